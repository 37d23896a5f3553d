/* placeholder, replaced by the real module */
#include "config.h"
void botomfa_placeholder_state (void);
void botomfa_placeholder_state (void) {}
