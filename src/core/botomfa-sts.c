/* placeholder, replaced by the real module */
#include "config.h"
void botomfa_placeholder_sts (void);
void botomfa_placeholder_sts (void) {}
