/* fuzz-common.h — what every libFuzzer target of botomfa shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* FUZZ_TARGET names the target in the message ("fuzz-ini: …") */
#ifndef FUZZ_TARGET
# error "define FUZZ_TARGET before including fuzz-common.h"
#endif

/* GLib criticals and warnings count as crashes too */
static inline void
fuzz_make_warnings_fatal (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* A violated invariant: abort(), which libFuzzer reports as a crash (and
 * fuzz-replay as a failed test) */
G_GNUC_NORETURN G_GNUC_PRINTF (1, 2) static inline void
fail (const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  fprintf (stderr, FUZZ_TARGET ": ");
  vfprintf (stderr, format, args);
  fprintf (stderr, "\n");
  va_end (args);
  abort ();
}
