/* placeholder, replaced by the real module */
#include "config.h"
void botomfa_placeholder_profile (void);
void botomfa_placeholder_profile (void) {}
