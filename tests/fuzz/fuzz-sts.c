/* fuzz-sts.c — libFuzzer target for the STS response parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds arbitrary bytes as the body of an STS answer to
 * _botomfa_sts_parse_response(), for GetSessionToken and GetCallerIdentity,
 * with HTTP statuses 200, 400, 403 and 500, content type text/xml, with and
 * without a Date header. Each call must either return a complete result or
 * fail with a BOTOMFA_STS_ERROR whose message is UTF-8 and holds no '<'
 * (the messages are shown to the user; markup from the server must never
 * reach them). Anything else abort()s.
 *
 * The same bytes also go, NUL-terminated, to botomfa_parse_iso8601() (the
 * Expiration of the answer, and x_security_token_expires in ~/.boto) and to
 * botomfa_mfa_code_normalize() (the code the user types).
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/meson.build, -Dfuzzing=true)
 * or, without libFuzzer, linked with fuzz-replay.c to replay the corpus. */
#include "config.h"

#define FUZZ_TARGET "fuzz-sts"
#include "fuzz-common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "botomfa-credentials.h"
#include "botomfa-sts-private.h"

static GDateTime *local_now;

static void
init_once (void)
{
  if (local_now != NULL)
    return;
  fuzz_make_warnings_fatal ();
  /* Fixed, so a crash reproduces; an hour ahead of the Date header below */
  local_now = g_date_time_new_utc (2022, 1, 27, 2, 59, 28);
}

static void
check_nonempty_utf8 (const char *what,
                     const char *text)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    fail ("%s is NULL or not UTF-8", what);
}

static void
parse_one (const char *action,
           long        status,
           const char *date_header,
           gboolean    used_session_token,
           const char *body,
           gsize       length)
{
  BotomfaStsResult result = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = _botomfa_sts_parse_response (action, status, "text/xml", body, length,
                                    date_header, local_now, used_session_token,
                                    &result, &error);
  if (ok)
    {
      if (error != NULL)
        fail ("%s, HTTP %ld: success with an error set (%s)", action, status, error->message);
      if (status != 200)
        fail ("%s, HTTP %ld: success for a status other than 200", action, status);

      if (g_str_equal (action, "GetCallerIdentity"))
        {
          if (result.identity == NULL || result.credentials != NULL)
            fail ("%s: success without an identity", action);
          check_nonempty_utf8 ("Arn", result.identity->arn);
          check_nonempty_utf8 ("Account", result.identity->account);
        }
      else
        {
          if (result.credentials == NULL || result.identity != NULL)
            fail ("%s: success without credentials", action);
          check_nonempty_utf8 ("AccessKeyId", result.credentials->access_key_id);
          check_nonempty_utf8 ("SecretAccessKey", result.credentials->secret_access_key);
          check_nonempty_utf8 ("SessionToken", result.credentials->session_token);
          if (*result.credentials->access_key_id == '\0' ||
              *result.credentials->secret_access_key == '\0' ||
              *result.credentials->session_token == '\0')
            fail ("%s: success with an empty credential", action);
          if (result.credentials->expiration == NULL)
            fail ("%s: success without an expiration", action);
        }
    }
  else
    {
      if (error == NULL)
        fail ("%s, HTTP %ld: failure without an error", action, status);
      if (error->domain != BOTOMFA_STS_ERROR)
        fail ("%s, HTTP %ld: the error is not a BOTOMFA_STS_ERROR: %s",
              action, status, error->message);
      if (error->message == NULL || *error->message == '\0' ||
          !g_utf8_validate (error->message, -1, NULL))
        fail ("%s, HTTP %ld: empty or invalid UTF-8 error message", action, status);
      if (strchr (error->message, '<') != NULL)
        fail ("%s, HTTP %ld: the error message holds a '<': %s", action, status, error->message);
      if (result.credentials != NULL || result.identity != NULL)
        fail ("%s, HTTP %ld: failure that leaves a result behind", action, status);
    }

  _botomfa_sts_result_clear (&result);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const actions[] = { "GetSessionToken", "GetCallerIdentity" };
  static const long statuses[] = { 200, 400, 403, 500 };
  const char *body = (const char *) data;
  g_autofree char *text = NULL;

  init_once ();

  for (guint a = 0; a < G_N_ELEMENTS (actions); a++)
    for (guint s = 0; s < G_N_ELEMENTS (statuses); s++)
      {
        /* Without a Date header the clock skew comes from the message */
        parse_one (actions[a], statuses[s], NULL, s % 2 == 0, body, size);
        if (statuses[s] == 403)
          parse_one (actions[a], statuses[s], "Thu, 27 Jan 2022 01:59:28 GMT", TRUE, body, size);
      }

  /* The other two parsers of untrusted text, on the same bytes */
  text = g_strndup (body, size);
  {
    g_autoptr(GDateTime) parsed = botomfa_parse_iso8601 (text);
    char code[7];

    if (parsed != NULL)
      {
        g_autofree char *formatted = botomfa_format_iso8601 (parsed);
        g_autoptr(GDateTime) again = NULL;

        if (g_date_time_get_utc_offset (parsed) != 0)
          fail ("parse_iso8601() returned a time that is not UTC");
        /* What we write must read back as the same instant */
        again = botomfa_parse_iso8601 (formatted);
        if (again == NULL || g_date_time_to_unix (again) != g_date_time_to_unix (parsed))
          fail ("format_iso8601() wrote “%s”, which does not read back", formatted);
      }

    memset (code, 'X', sizeof code);
    if (botomfa_mfa_code_normalize (text, code))
      {
        if (strlen (code) != 6 || strspn (code, "0123456789") != 6)
          fail ("mfa_code_normalize() accepted and produced “%.7s”", code);
      }
  }

  return 0;
}
