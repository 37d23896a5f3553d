/* placeholder, replaced by the real module */
#include "config.h"
void botomfa_placeholder_targets (void);
void botomfa_placeholder_targets (void) {}
