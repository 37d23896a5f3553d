/* fuzz-sigv4.c — libFuzzer target for the SigV4 signer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input reads like the request.txt files of the AWS test suite
 * (tests/data/sigv4/<case>/request.txt):
 *
 *   METHOD SP REQUEST-TARGET [SP HTTP-VERSION] LF
 *   Name:value LF          (a line starting with SP or HTTP-TAB continues
 *   ...                     the previous value: obs-fold)
 *   LF
 *   body (any bytes)
 *
 * A request built from it is signed with fixed credentials at a fixed time,
 * for STS and, depending on the input's length, for S3 (no path
 * normalisation) or with a session token (signed or not). There must be no
 * crash, every signature must be 64 lower-case hex digits, the canonical
 * request must be the same before and after botomfa_sigv4_request_sign()
 * (so the signature covers what goes on the wire), the Authorization header
 * must carry that signature, and no header line may hold a CR or LF
 * (header injection). Inputs the API refuses by contract (an empty method,
 * a target not starting with '/', a header name that is no HTTP token) are
 * skipped, not fed in.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/meson.build, -Dfuzzing=true)
 * or, without libFuzzer, linked with fuzz-replay.c to replay the corpus. */
#include "config.h"

#define FUZZ_TARGET "fuzz-sigv4"
#include "fuzz-common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "botomfa-sigv4.h"

#define ACCESS_KEY_ID "AKIDEXAMPLE"
#define SECRET_ACCESS_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SESSION_TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQ=="
#define MAX_HEADERS 64

static GDateTime *signing_time;

static void
init_once (void)
{
  if (signing_time != NULL)
    return;
  fuzz_make_warnings_fatal ();
  signing_time = g_date_time_new_utc (2015, 8, 30, 12, 36, 0);
}

static gboolean
is_token (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static void
check_signature (const char *signature,
                 const char *what)
{
  if (signature == NULL)
    fail ("%s: no signature", what);
  if (strlen (signature) != 64 || strspn (signature, "0123456789abcdef") != 64)
    fail ("%s: the signature “%s” is not 64 lower-case hex digits", what, signature);
}

typedef struct
{
  char      *method;
  char      *target;
  GPtrArray *names;
  GPtrArray *values;
  const char *body;
  gsize      body_length;
} Message;

static void
message_clear (Message *msg)
{
  g_clear_pointer (&msg->method, g_free);
  g_clear_pointer (&msg->target, g_free);
  g_clear_pointer (&msg->names, g_ptr_array_unref);
  g_clear_pointer (&msg->values, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Message, message_clear)

/* Splits the input as tests/test-sigv4.c reads request.txt. The head (up to
 * the blank line) is text: a NUL there ends it. FALSE if the API would
 * refuse the result. */
static gboolean
parse_message (const char *data,
               gsize       size,
               Message    *msg)
{
  const char *end = data + size;
  const char *p = data;
  const char *eol = memchr (p, '\n', size);
  g_autofree char *request_line = g_strndup (p, eol != NULL ? (gsize) (eol - p) : size);
  const char *space = strchr (request_line, ' ');
  const char *last_space = strrchr (request_line, ' ');

  msg->names = g_ptr_array_new_with_free_func (g_free);
  msg->values = g_ptr_array_new_with_free_func (g_free);
  msg->body = "";

  if (space == NULL || space == request_line)
    return FALSE;
  msg->method = g_strndup (request_line, (gsize) (space - request_line));
  if (last_space > space)
    msg->target = g_strndup (space + 1, (gsize) (last_space - space - 1));
  else
    msg->target = g_strdup (space + 1);
  if (msg->target[0] != '/')
    return FALSE;

  p = eol != NULL ? eol + 1 : end;
  while (p < end)
    {
      const char *line_end = memchr (p, '\n', (gsize) (end - p));
      gsize length = line_end != NULL ? (gsize) (line_end - p) : (gsize) (end - p);
      g_autofree char *line = g_strndup (p, length);

      if (length == 0)
        {
          msg->body = p + 1;
          msg->body_length = (gsize) (end - p - 1);
          break;
        }

      if (*p == ' ' || *p == '\t')
        {
          char *previous;

          if (msg->values->len == 0)
            return FALSE;
          /* obs-fold: the signer gets the value with its line break */
          previous = g_ptr_array_index (msg->values, msg->values->len - 1);
          msg->values->pdata[msg->values->len - 1] = g_strconcat (previous, "\n", line, NULL);
          g_free (previous);
        }
      else
        {
          char *colon = strchr (line, ':');

          if (colon == NULL || msg->names->len == MAX_HEADERS)
            return FALSE;
          *colon = '\0';
          if (!is_token (line))
            return FALSE;
          g_ptr_array_add (msg->names, g_strdup (line));
          g_ptr_array_add (msg->values, g_strdup (colon + 1));
        }

      p += length;
      if (p < end)
        p++;  /* the LF */
    }
  return TRUE;
}

static BotomfaSigv4Request *
build_request (const Message *msg)
{
  BotomfaSigv4Request *request = botomfa_sigv4_request_new (msg->method, msg->target);

  for (guint i = 0; i < msg->names->len; i++)
    botomfa_sigv4_request_add_header (request, msg->names->pdata[i], msg->values->pdata[i]);
  botomfa_sigv4_request_set_body (request, msg->body, msg->body_length);
  return request;
}

/* "...Signature=<64 hex>" at the end of the Authorization value */
static void
check_authorization (BotomfaSigv4Request *request,
                     const char          *signature,
                     const char          *what)
{
  const char *authorization = botomfa_sigv4_request_get_header (request, "Authorization");
  const char *found;

  if (authorization == NULL)
    fail ("%s: sign() added no Authorization header", what);
  found = g_strrstr (authorization, "Signature=");
  if (found == NULL || strcmp (found + strlen ("Signature="), signature) != 0)
    fail ("%s: the Authorization header “%s” does not carry the signature %s",
          what, authorization, signature);
}

static void
check_header_lines (BotomfaSigv4Request *request,
                    const char          *what)
{
  const char * const *lines = botomfa_sigv4_request_get_header_lines (request);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strpbrk (lines[i], "\r\n") != NULL)
      fail ("%s: the header line “%s” holds a line break", what, lines[i]);
}

static void
sign_one (const Message *msg,
          gboolean       normalize_path,
          const char    *session_token,
          gboolean       omit_session_token)
{
  BotomfaSigv4Params params = {
    .access_key_id = ACCESS_KEY_ID,
    .secret_access_key = SECRET_ACCESS_KEY,
    .session_token = session_token,
    .region = "us-east-1",
    .service = normalize_path ? "sts" : "s3",
    .time = signing_time,
    .normalize_path = normalize_path,
    .omit_session_token = omit_session_token,
  };
  g_autoptr(BotomfaSigv4Request) request = build_request (msg);
  g_autofree char *creq = botomfa_sigv4_request_canonical_request (request, &params);
  g_autofree char *sts = botomfa_sigv4_request_string_to_sign (request, &params);
  g_autofree char *signature = botomfa_sigv4_request_signature (request, &params);
  g_autofree char *creq_after = NULL;
  g_autofree char *signature_after = NULL;
  g_autofree char *presigned = NULL;
  const char *what = normalize_path ? "sts" : "s3";

  if (creq == NULL || sts == NULL)
    fail ("%s: no canonical request or string to sign", what);
  if (!g_str_has_prefix (sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
                              "20150830/us-east-1/"))
    fail ("%s: unexpected string to sign “%s”", what, sts);
  check_signature (signature, what);
  check_header_lines (request, what);

  botomfa_sigv4_request_sign (request, &params);
  check_authorization (request, signature, what);
  check_header_lines (request, what);

  /* What was signed is what is sent: signing again changes nothing */
  creq_after = botomfa_sigv4_request_canonical_request (request, &params);
  if (g_strcmp0 (creq, creq_after) != 0)
    fail ("%s: the canonical request changed with sign()\n--- before\n%s\n--- after\n%s",
          what, creq, creq_after);
  signature_after = botomfa_sigv4_request_signature (request, &params);
  if (g_strcmp0 (signature, signature_after) != 0)
    fail ("%s: the signature changed with sign()", what);
  botomfa_sigv4_request_sign (request, &params);
  check_authorization (request, signature, "sign() twice");

  presigned = botomfa_sigv4_presign_query (request, &params, 900);
  if (presigned == NULL || presigned[0] != '/' || g_strrstr (presigned, "&X-Amz-Signature=") == NULL)
    fail ("%s: presign_query() returned “%s”", what, presigned ? presigned : "(null)");
  check_signature (g_strrstr (presigned, "&X-Amz-Signature=") + strlen ("&X-Amz-Signature="),
                   "presign");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(Message) msg = { 0 };
  char hash[65];

  init_once ();

  botomfa_sigv4_hex_sha256 (data, size, hash);
  if (strlen (hash) != 64)
    fail ("hex_sha256() gave “%s”", hash);

  if (!parse_message ((const char *) data, size, &msg))
    return 0;

  /* Each signing costs some 35 HMACs: the plain case always, one of the
   * others picked by the input */
  sign_one (&msg, TRUE, NULL, FALSE);
  switch (size % 3)
    {
    case 0:
      sign_one (&msg, FALSE, NULL, FALSE);  /* S3: no path normalisation */
      break;
    case 1:
      sign_one (&msg, TRUE, SESSION_TOKEN, FALSE);
      break;
    default:
      sign_one (&msg, TRUE, SESSION_TOKEN, TRUE);
      break;
    }

  return 0;
}
