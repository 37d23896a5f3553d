/* placeholder, replaced by the real module */
#include "config.h"
void botomfa_placeholder_sigv4 (void);
void botomfa_placeholder_sigv4 (void) {}
