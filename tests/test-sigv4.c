/* test-sigv4.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "botomfa-sigv4.h"

/* The signer against the AWS SigV4 test suites in tests/data/sigv4/ (see
 * README.md and SOURCE.md there). Every case directory is run in every
 * layout it has:
 *
 *   /botomfa/sigv4/header/<case>   aws-c-auth request.txt, header-*.txt
 *   /botomfa/sigv4/query/<case>    aws-c-auth request.txt, query-*.txt
 *   /botomfa/sigv4/classic/<case>  2015 suite <case>.req/.creq/.sts/.authz/.sreq
 *   /botomfa/sigv4/legacy/<case>   2011 suite (_legacy-2011/), CRLF -> LF
 *   /botomfa/sigv4/extra/<case>    smithy-rs additions (_smithy-rs-extra/)
 *
 * /botomfa/sigv4/inventory fails if a case directory or a layout goes
 * missing, so nothing can drop out silently. */

#define ACCESS_KEY_ID "AKIDEXAMPLE"
#define SECRET_ACCESS_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME "2015-08-30T12:36:00Z"
#define STS_TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

#define N_AWS_C_AUTH_CASES 38
#define N_CLASSIC_CASES 34
#define N_LEGACY_CASES 30

typedef enum
{
  LAYOUT_HEADER,
  LAYOUT_QUERY,
  LAYOUT_CLASSIC,
  LAYOUT_LEGACY,
  LAYOUT_EXTRA,
} Layout;

typedef struct
{
  Layout  layout;
  char   *dir;
  char   *name;
} TestCase;

static void
test_case_free (gpointer data)
{
  TestCase *tc = data;

  g_free (tc->dir);
  g_free (tc->name);
  g_free (tc);
}

/* ------------------------------------------------------------------------ */
/* Reading the suite files                                                   */

static char *
read_file (const char *dir,
           const char *name,
           gboolean    crlf_to_lf)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  if (crlf_to_lf)
    {
      /* The 2011 suite keeps the zip's CRLF line ends; its canonical requests
       * and signatures are computed over LF (SOURCE.md) */
      char *out = contents;

      for (const char *in = contents; *in != '\0'; in++)
        if (!(in[0] == '\r' && in[1] == '\n'))
          *out++ = *in;
      *out = '\0';
    }

  return contents;
}

/* Some expected files end in a newline, some do not. A canonical request,
 * string to sign or signature never does (the last line is a hash). */
static char *
read_expected (const char *dir,
               const char *name,
               gboolean    crlf_to_lf)
{
  char *contents = read_file (dir, name, crlf_to_lf);
  gsize length = strlen (contents);

  while (length > 0 && contents[length - 1] == '\n')
    contents[--length] = '\0';

  return contents;
}

/* A tiny JSON reader for context.json: objects, strings and scalars,
 * flattened into "credentials.access_key_id" style keys. */
static void
json_skip_ws (const char **p)
{
  while (g_ascii_isspace (**p))
    (*p)++;
}

static char *
json_string (const char **p)
{
  GString *out = g_string_new (NULL);

  g_assert_cmpint (**p, ==, '"');
  (*p)++;
  while (**p != '"')
    {
      g_assert_cmpint (**p, !=, '\0');
      if (**p == '\\')
        {
          (*p)++;
          switch (**p)
            {
            case 'n':
              g_string_append_c (out, '\n');
              break;
            case 't':
              g_string_append_c (out, '\t');
              break;
            case '"':
            case '\\':
            case '/':
              g_string_append_c (out, **p);
              break;
            default:
              g_error ("context.json: unsupported escape \\%c", **p);
            }
        }
      else
        {
          g_string_append_c (out, **p);
        }
      (*p)++;
    }
  (*p)++;

  return g_string_free (out, FALSE);
}

static void
json_value (const char **p,
            const char  *path,
            GHashTable  *out)
{
  json_skip_ws (p);

  if (**p == '{')
    {
      (*p)++;
      json_skip_ws (p);
      if (**p == '}')
        {
          (*p)++;
          return;
        }
      for (;;)
        {
          g_autofree char *key = NULL;
          g_autofree char *child = NULL;

          json_skip_ws (p);
          key = json_string (p);
          child = path != NULL ? g_strconcat (path, ".", key, NULL) : g_strdup (key);
          json_skip_ws (p);
          g_assert_cmpint (**p, ==, ':');
          (*p)++;
          json_value (p, child, out);
          json_skip_ws (p);
          if (**p == ',')
            {
              (*p)++;
              continue;
            }
          g_assert_cmpint (**p, ==, '}');
          (*p)++;
          return;
        }
    }
  else if (**p == '"')
    {
      g_assert_nonnull (path);
      g_hash_table_insert (out, g_strdup (path), json_string (p));
    }
  else
    {
      gsize length = strcspn (*p, ",} \t\r\n");

      g_assert_nonnull (path);
      g_assert_cmpuint (length, >, 0);
      g_hash_table_insert (out, g_strdup (path), g_strndup (*p, length));
      *p += length;
    }
}

static GHashTable *
read_context (const char *dir)
{
  g_autofree char *text = read_file (dir, "context.json", FALSE);
  GHashTable *context = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *p = text;

  json_value (&p, NULL, context);
  json_skip_ws (&p);
  g_assert_cmpint (*p, ==, '\0');

  return context;
}

static const char *
context_get (GHashTable *context,
             const char *key)
{
  const char *value = g_hash_table_lookup (context, key);

  if (value == NULL)
    g_error ("context.json has no \"%s\"", key);
  return value;
}

static gboolean
context_get_boolean (GHashTable *context,
                     const char *key)
{
  const char *value = g_hash_table_lookup (context, key);

  if (value == NULL)
    return FALSE;
  g_assert_true (g_str_equal (value, "true") || g_str_equal (value, "false"));
  return g_str_equal (value, "true");
}

/* An HTTP message as the suites write it: request line, headers
 * (continuation lines kept, joined with '\n'), blank line, body. */
typedef struct
{
  char      *request_line;
  char      *method;
  char      *target;
  GPtrArray *names;
  GPtrArray *values;
  char      *body;
} Message;

static void
message_free (Message *msg)
{
  g_free (msg->request_line);
  g_free (msg->method);
  g_free (msg->target);
  g_ptr_array_unref (msg->names);
  g_ptr_array_unref (msg->values);
  g_free (msg->body);
  g_free (msg);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Message, message_free)

static Message *
parse_message (const char *text,
               gboolean    legacy)
{
  Message *msg = g_new0 (Message, 1);
  const char *p = text;
  const char *eol = strchr (p, '\n');
  const char *space;
  const char *last_space;

  msg->names = g_ptr_array_new_with_free_func (g_free);
  msg->values = g_ptr_array_new_with_free_func (g_free);

  msg->request_line = eol != NULL ? g_strndup (p, (gsize) (eol - p)) : g_strdup (p);
  p = eol != NULL ? eol + 1 : p + strlen (p);

  space = strchr (msg->request_line, ' ');
  last_space = strrchr (msg->request_line, ' ');
  g_assert_nonnull (space);
  msg->method = g_strndup (msg->request_line, (gsize) (space - msg->request_line));
  if (legacy)
    {
      /* The 2011 suite split the request line at every space: for
       * "POST /?f oo=b ar http/1.1" it signs the target "/?f" */
      msg->target = g_strndup (space + 1, strcspn (space + 1, " "));
    }
  else if (last_space > space)
    {
      /* The 2015 suites keep spaces inside the target ("/example space/") */
      msg->target = g_strndup (space + 1, (gsize) (last_space - space - 1));
    }
  else
    {
      /* smithy-rs' double-url-encode writes no HTTP version */
      msg->target = g_strdup (space + 1);
    }

  while (*p != '\0')
    {
      gsize length;

      eol = strchr (p, '\n');
      length = eol != NULL ? (gsize) (eol - p) : strlen (p);

      if (length == 0)
        {
          msg->body = g_strdup (p + 1);
          break;
        }

      if (*p == ' ' || *p == '\t')
        {
          char *previous;

          /* obs-fold: the signer gets the value with its line breaks */
          g_assert_cmpuint (msg->values->len, >, 0);
          previous = g_ptr_array_index (msg->values, msg->values->len - 1);
          msg->values->pdata[msg->values->len - 1] =
            g_strdup_printf ("%s\n%.*s", previous, (int) length, p);
          g_free (previous);
        }
      else
        {
          const char *colon = memchr (p, ':', length);

          g_assert_nonnull (colon);
          g_ptr_array_add (msg->names, g_strndup (p, (gsize) (colon - p)));
          g_ptr_array_add (msg->values, g_strndup (colon + 1, length - (gsize) (colon - p) - 1));
        }

      p += length;
      if (*p == '\n')
        p++;
    }

  if (msg->body == NULL)
    msg->body = g_strdup ("");

  return msg;
}

/* A header value as a comparison sees it: folded lines joined by one space,
 * blanks at either end dropped (what the signer stores and sends) */
static char *
normalize_value (const char *value)
{
  g_auto(GStrv) lines = g_strsplit (value, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    g_strstrip (lines[i]);
  return g_strstrip (g_strjoinv (" ", lines));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The 2011 suite predates the 2015 rule change that keeps the values of a
 * repeated header in request order (2015 get-header-value-order signs
 * "value4,value1,value3,value2"); it sorted them ("p:a,a,p,z"). The signer
 * follows the current rule, so for the 2011 cases the test hands it the
 * values of a repeated header already sorted, at the same positions, and
 * sorts the expected signed request the same way. Only the 2011
 * get-header-key-duplicate and get-header-value-order repeat a header. */
static void
sort_repeated_values (Message *msg)
{
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < msg->names->len; i++)
    {
      char *lname = g_ascii_strdown (g_ptr_array_index (msg->names, i), -1); /* owned by done */
      g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func (g_free);

      if (!g_hash_table_add (done, lname))
        continue;

      for (guint j = i; j < msg->names->len; j++)
        if (g_ascii_strcasecmp (g_ptr_array_index (msg->names, j), lname) == 0)
          {
            g_array_append_val (positions, j);
            g_ptr_array_add (sorted, normalize_value (g_ptr_array_index (msg->values, j)));
          }

      if (positions->len < 2)
        continue;

      g_ptr_array_sort (sorted, compare_strings);
      for (guint k = 0; k < positions->len; k++)
        {
          guint position = g_array_index (positions, guint, k);

          g_free (msg->values->pdata[position]);
          msg->values->pdata[position] = g_steal_pointer (&sorted->pdata[k]);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Comparisons                                                               */

static BotomfaSigv4Request *
request_from_message (const Message *msg)
{
  BotomfaSigv4Request *request = botomfa_sigv4_request_new (msg->method, msg->target);

  g_assert_nonnull (request);
  for (guint i = 0; i < msg->names->len; i++)
    botomfa_sigv4_request_add_header (request, g_ptr_array_index (msg->names, i),
                                      g_ptr_array_index (msg->values, i));
  botomfa_sigv4_request_set_body (request, msg->body, strlen (msg->body));

  return request;
}

/* The headers the request would send, in order, against a signed request
 * file. Names must match exactly (case included); values after
 * normalize_value(): the suites write "Name:value" and keep the original
 * folding, get_header_lines() gives "Name: value" on one line. */
static void
assert_headers (BotomfaSigv4Request *request,
                const Message       *expected)
{
  const char * const *lines = botomfa_sigv4_request_get_header_lines (request);
  guint n_lines = g_strv_length ((char **) lines);

  for (guint i = 0; i < n_lines && i < expected->names->len; i++)
    {
      gsize name_length = strcspn (lines[i], ":;");
      g_autofree char *name = g_strndup (lines[i], name_length);
      g_autofree char *value = NULL;
      g_autofree char *expected_value = normalize_value (g_ptr_array_index (expected->values, i));

      /* No line may break: each is handed to curl as one header */
      g_assert_null (strpbrk (lines[i], "\r\n"));
      g_assert_true (lines[i][name_length] == ':' || lines[i][name_length] == ';');
      if (lines[i][name_length] == ':')
        {
          g_assert_cmpint (lines[i][name_length + 1], ==, ' ');
          value = g_strdup (lines[i] + name_length + 2);
        }
      else
        {
          value = g_strdup ("");
        }

      g_assert_cmpstr (name, ==, g_ptr_array_index (expected->names, i));
      g_assert_cmpstr (value, ==, expected_value);
    }

  g_assert_cmpuint (n_lines, ==, expected->names->len);
}

static const char *
expected_header (const Message *msg,
                 const char    *name)
{
  for (guint i = 0; i < msg->names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (msg->names, i), name) == 0)
      return g_ptr_array_index (msg->values, i);
  g_error ("expected signed request has no %s header", name);
}

static char *
signature_of_authorization (const char *authorization)
{
  const char *sig = strstr (authorization, "Signature=");

  g_assert_nonnull (sig);
  return g_strstrip (g_strdup (sig + strlen ("Signature=")));
}

static GDateTime *
parse_time (const char *iso8601)
{
  GDateTime *time = g_date_time_new_from_iso8601 (iso8601, NULL);

  g_assert_nonnull (time);
  return time;
}

/* canonical request, string to sign and signature before signing, then
 * sign() and the whole signed request */
static void
check_header_signing (BotomfaSigv4Request      *request,
                      const BotomfaSigv4Params *params,
                      const char               *expected_creq,
                      const char               *expected_sts,
                      const char               *expected_signature,
                      const char               *expected_authorization,
                      const Message            *input,
                      const Message            *expected_signed)
{
  g_autofree char *creq = botomfa_sigv4_request_canonical_request (request, params);
  g_autofree char *sts = botomfa_sigv4_request_string_to_sign (request, params);
  g_autofree char *signature = botomfa_sigv4_request_signature (request, params);
  g_autofree char *creq_after = NULL;

  g_assert_cmpstr (creq, ==, expected_creq);
  g_assert_cmpstr (sts, ==, expected_sts);
  g_assert_cmpstr (signature, ==, expected_signature);

  botomfa_sigv4_request_sign (request, params);

  g_assert_cmpstr (botomfa_sigv4_request_get_header (request, "Authorization"), ==,
                   expected_authorization);
  /* The canonical request describes the signed request too */
  creq_after = botomfa_sigv4_request_canonical_request (request, params);
  g_assert_cmpstr (creq_after, ==, expected_creq);

  g_assert_cmpstr (expected_signed->method, ==, input->method);
  g_assert_cmpstr (expected_signed->target, ==, input->target);
  if (strchr (expected_signed->request_line, ' ') != strrchr (expected_signed->request_line, ' '))
    g_assert_cmpstr (expected_signed->request_line, ==, input->request_line);
  assert_headers (request, expected_signed);
  g_assert_cmpstr (expected_signed->body, ==, input->body);
}

/* ------------------------------------------------------------------------ */
/* aws-c-auth layout                                                         */

typedef struct
{
  GHashTable         *context;
  GDateTime          *time;
  BotomfaSigv4Params  params;
  guint               expires;
  gboolean            sign_body;
} AwsContext;

static void
aws_context_clear (AwsContext *ctx)
{
  g_clear_pointer (&ctx->context, g_hash_table_unref);
  g_clear_pointer (&ctx->time, g_date_time_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AwsContext, aws_context_clear)

static void
aws_context_load (AwsContext *ctx,
                  const char *dir)
{
  guint64 expires = 0;

  ctx->context = read_context (dir);
  ctx->time = parse_time (context_get (ctx->context, "timestamp"));
  g_assert_true (g_ascii_string_to_unsigned (context_get (ctx->context, "expiration_in_seconds"),
                                             10, 1, G_MAXUINT, &expires, NULL));
  ctx->expires = (guint) expires;
  ctx->sign_body = context_get_boolean (ctx->context, "sign_body");

  ctx->params.access_key_id = context_get (ctx->context, "credentials.access_key_id");
  ctx->params.secret_access_key = context_get (ctx->context, "credentials.secret_access_key");
  ctx->params.session_token = g_hash_table_lookup (ctx->context, "credentials.token");
  ctx->params.region = context_get (ctx->context, "region");
  ctx->params.service = context_get (ctx->context, "service");
  ctx->params.time = ctx->time;
  ctx->params.normalize_path = context_get_boolean (ctx->context, "normalize");
  ctx->params.omit_session_token = context_get_boolean (ctx->context, "omit_session_token");
}

static void
test_header_case (gconstpointer data)
{
  const TestCase *tc = data;
  g_auto(AwsContext) ctx = { 0 };
  g_autofree char *request_text = read_file (tc->dir, "request.txt", FALSE);
  g_autofree char *creq = read_expected (tc->dir, "header-canonical-request.txt", FALSE);
  g_autofree char *sts = read_expected (tc->dir, "header-string-to-sign.txt", FALSE);
  g_autofree char *signature = read_expected (tc->dir, "header-signature.txt", FALSE);
  g_autofree char *signed_text = read_file (tc->dir, "header-signed-request.txt", FALSE);
  g_autoptr(Message) input = parse_message (request_text, FALSE);
  g_autoptr(Message) expected = parse_message (signed_text, FALSE);
  g_autoptr(BotomfaSigv4Request) request = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *authorization_signature = NULL;

  aws_context_load (&ctx, tc->dir);
  request = request_from_message (input);

  if (ctx.sign_body)
    {
      /* aws-c-auth's sign_body adds X-Amz-Date and then
       * x-amz-content-sha256 (hex SHA-256 of the body) and signs both. The
       * signer signs whatever headers are there and only adds X-Amz-Date
       * when it is missing, so the test adds the two itself, in that
       * order, as a caller that wants the payload hash sent would. */
      g_autofree char *amz_date = g_date_time_format (ctx.time, "%Y%m%dT%H%M%SZ");
      char body_hash[65];

      botomfa_sigv4_hex_sha256 (input->body, strlen (input->body), body_hash);
      botomfa_sigv4_request_add_header (request, "X-Amz-Date", amz_date);
      botomfa_sigv4_request_add_header (request, "x-amz-content-sha256", body_hash);
    }

  authorization = normalize_value (expected_header (expected, "Authorization"));
  authorization_signature = signature_of_authorization (authorization);
  g_assert_cmpstr (authorization_signature, ==, signature);

  check_header_signing (request, &ctx.params, creq, sts, signature, authorization,
                        input, expected);
}

static void
test_query_case (gconstpointer data)
{
  const TestCase *tc = data;
  g_auto(AwsContext) ctx = { 0 };
  g_autofree char *request_text = read_file (tc->dir, "request.txt", FALSE);
  g_autofree char *expected_creq = read_expected (tc->dir, "query-canonical-request.txt", FALSE);
  g_autofree char *expected_sts = read_expected (tc->dir, "query-string-to-sign.txt", FALSE);
  g_autofree char *expected_signature = read_expected (tc->dir, "query-signature.txt", FALSE);
  g_autofree char *signed_text = read_file (tc->dir, "query-signed-request.txt", FALSE);
  g_autoptr(Message) input = parse_message (request_text, FALSE);
  g_autoptr(Message) expected = parse_message (signed_text, FALSE);
  g_autoptr(BotomfaSigv4Request) request = NULL;
  g_autofree char *creq = NULL;
  g_autofree char *sts = NULL;
  g_autofree char *target = NULL;
  const char *signature;

  aws_context_load (&ctx, tc->dir);
  /* Presigning covers the headers as they are: no x-amz-content-sha256 is
   * added for sign_body, matching query-canonical-request.txt (the payload
   * hash is the body's either way) */
  request = request_from_message (input);

  creq = botomfa_sigv4_presign_canonical_request (request, &ctx.params, ctx.expires);
  g_assert_cmpstr (creq, ==, expected_creq);
  sts = botomfa_sigv4_presign_string_to_sign (request, &ctx.params, ctx.expires);
  g_assert_cmpstr (sts, ==, expected_sts);

  target = botomfa_sigv4_presign_query (request, &ctx.params, ctx.expires);
  g_assert_cmpstr (target, ==, expected->target);
  signature = strstr (target, "&X-Amz-Signature=");
  g_assert_nonnull (signature);
  g_assert_cmpstr (signature + strlen ("&X-Amz-Signature="), ==, expected_signature);

  /* Presigning leaves the request's headers and body alone */
  g_assert_cmpstr (expected->method, ==, input->method);
  assert_headers (request, expected);
  g_assert_null (botomfa_sigv4_request_get_header (request, "Authorization"));
  g_assert_cmpstr (expected->body, ==, input->body);
}

/* ------------------------------------------------------------------------ */
/* Classic 2015 layout, 2011 layout                                          */

/* The classic files have no context: the suite parameters are fixed
 * (SOURCE.md) and the session tokens come from post-sts-token/readme.txt
 * and get-vanilla-with-session-token.creq. */
static const struct
{
  const char *name;
  const char *token;
  gboolean    omit;
} classic_tokens[] = {
  { "get-vanilla-with-session-token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", FALSE },
  /* its .req already carries the header: the signer must not add another */
  { "post-sts-header-before", STS_TOKEN, FALSE },
  { "post-sts-header-after", STS_TOKEN, TRUE },
};

/* Replaces the expected Authorization of a signed request file that is
 * known to be wrong, after checking that it is wrong in the known way:
 * its value must end with known_bad. */
static void
replace_authorization (Message    *expected,
                       const char *authorization,
                       const char *known_bad)
{
  guint replaced = 0;

  for (guint i = 0; i < expected->names->len; i++)
    if (g_str_equal (g_ptr_array_index (expected->names, i), "Authorization"))
      {
        g_autofree char *value = normalize_value (g_ptr_array_index (expected->values, i));

        g_assert_true (g_str_has_suffix (value, known_bad));
        g_assert_cmpstr (value, !=, authorization);
        g_free (expected->values->pdata[i]);
        expected->values->pdata[i] = g_strdup (authorization);
        replaced++;
      }
  g_assert_cmpuint (replaced, ==, 1);
}

static void
run_classic (const TestCase *tc,
             gboolean        legacy)
{
  g_autofree char *req_name = g_strconcat (tc->name, ".req", NULL);
  g_autofree char *creq_name = g_strconcat (tc->name, ".creq", NULL);
  g_autofree char *sts_name = g_strconcat (tc->name, ".sts", NULL);
  g_autofree char *authz_name = g_strconcat (tc->name, ".authz", NULL);
  g_autofree char *sreq_name = g_strconcat (tc->name, ".sreq", NULL);
  g_autofree char *request_text = read_file (tc->dir, req_name, legacy);
  g_autofree char *creq = read_expected (tc->dir, creq_name, legacy);
  g_autofree char *sts = read_expected (tc->dir, sts_name, legacy);
  g_autofree char *authz = read_expected (tc->dir, authz_name, legacy);
  g_autofree char *sreq_text = read_file (tc->dir, sreq_name, legacy);
  g_autofree char *signature = signature_of_authorization (authz);
  g_autoptr(Message) input = parse_message (request_text, legacy);
  g_autoptr(Message) expected = parse_message (sreq_text, legacy);
  g_autoptr(BotomfaSigv4Request) request = NULL;
  g_autoptr(GDateTime) time = NULL;
  BotomfaSigv4Params params = {
    .access_key_id = ACCESS_KEY_ID,
    .secret_access_key = SECRET_ACCESS_KEY,
    .region = "us-east-1",
    .normalize_path = TRUE,
  };

  if (legacy)
    {
      /* 2011: host.foo.com, Date header instead of X-Amz-Date (the signer
       * then adds none), scope 20110909/us-east-1/host */
      time = parse_time ("2011-09-09T23:36:00Z");
      params.service = "host";
      sort_repeated_values (input);
      sort_repeated_values (expected);
    }
  else
    {
      time = parse_time (SUITE_TIME);
      params.service = "service";
      for (guint i = 0; i < G_N_ELEMENTS (classic_tokens); i++)
        if (g_str_equal (tc->name, classic_tokens[i].name))
          {
            params.session_token = classic_tokens[i].token;
            params.omit_session_token = classic_tokens[i].omit;
          }
    }
  params.time = time;

  if (!legacy && g_str_equal (tc->name, "get-vanilla-with-session-token"))
    {
      /* Known upstream inconsistency (SOURCE.md): botocore's .sreq carries
       * get-vanilla's signature 5fa00fa3…, which does not go with its own
       * SignedHeaders; the .authz, .sts and aws-c-auth agree on 07ec1639…,
       * which is what verifies. The .sreq is compared with its
       * Authorization taken from the .authz. */
      replace_authorization (expected, authz,
                             "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }
  else if (legacy && (g_str_equal (tc->name, "get-space") || g_str_equal (tc->name, "get-utf8")))
    {
      /* Second upstream inconsistency (2011 suite): the .creq, .sts and
       * .authz of get-space ("/%20/foo") and get-utf8 ("/%E1%88%B4")
       * encode the path twice, as every non-S3 service does, but their
       * .sreq was signed over the path encoded once. Both are checked: the
       * .sreq signature must be what the S3 rules (normalize_path FALSE)
       * give, and the request itself is compared with the .authz. */
      g_autoptr(BotomfaSigv4Request) s3_style = request_from_message (input);
      BotomfaSigv4Params s3_params = params;

      s3_params.normalize_path = FALSE;
      botomfa_sigv4_request_sign (s3_style, &s3_params);
      replace_authorization (expected, authz,
                             botomfa_sigv4_request_get_header (s3_style, "Authorization"));
    }

  request = request_from_message (input);
  check_header_signing (request, &params, creq, sts, signature, authz, input, expected);
}

static void
test_classic_case (gconstpointer data)
{
  run_classic (data, FALSE);
}

static void
test_legacy_case (gconstpointer data)
{
  run_classic (data, TRUE);
}

/* ------------------------------------------------------------------------ */
/* smithy-rs extras                                                          */

static void
test_extra_double_url_encode (gconstpointer data)
{
  const TestCase *tc = data;
  g_autofree char *request_text = read_file (tc->dir, "request.txt", FALSE);
  g_autofree char *creq = read_expected (tc->dir, "header-canonical-request.txt", FALSE);
  g_autofree char *sts = read_expected (tc->dir, "header-string-to-sign.txt", FALSE);
  g_autofree char *signed_text = read_file (tc->dir, "header-signed-request.txt", FALSE);
  g_autoptr(Message) input = parse_message (request_text, FALSE);
  g_autoptr(Message) expected = parse_message (signed_text, FALSE);
  g_autoptr(BotomfaSigv4Request) request = request_from_message (input);
  g_autoptr(GDateTime) time = parse_time ("2021-05-11T15:40:45Z");
  g_autofree char *authorization = normalize_value (expected_header (expected, "Authorization"));
  g_autofree char *signature = signature_of_authorization (authorization);
  /* Lambda is not S3: path normalisation and double encoding, so the
   * already-encoded "%3A" of the ARN signs as "%253A" */
  BotomfaSigv4Params params = {
    .access_key_id = ACCESS_KEY_ID,
    .secret_access_key = SECRET_ACCESS_KEY,
    .region = "us-east-2",
    .service = "lambda",
    .time = time,
    .normalize_path = TRUE,
  };

  check_header_signing (request, &params, creq, sts, signature, authorization, input, expected);
}

static void
test_extra_double_encode_path (gconstpointer data)
{
  const TestCase *tc = data;
  g_autofree char *request_text = read_file (tc->dir, "request.txt", FALSE);
  g_autofree char *creq = read_expected (tc->dir, "header-canonical-request.txt", FALSE);
  g_autoptr(Message) input = parse_message (request_text, FALSE);
  g_autoptr(BotomfaSigv4Request) request = request_from_message (input);
  g_autoptr(GDateTime) time = parse_time ("2021-05-11T15:40:45Z");
  g_auto(GStrv) expected_lines = g_strsplit (creq, "\n", -1);
  g_auto(GStrv) lines = NULL;
  g_autofree char *ours = NULL;
  BotomfaSigv4Params params = {
    .access_key_id = ACCESS_KEY_ID,
    .secret_access_key = SECRET_ACCESS_KEY,
    .region = "us-east-1",
    .service = "execute-api",
    .time = time,
    .normalize_path = TRUE,
  };

  /* This case is inconsistent upstream (SOURCE.md): its request says
   * X-amz-date 20150830T123600Z, its canonical request 20210511T154045Z,
   * and its signature is not reproducible. What it does pin down is the
   * canonical URI of "/test/@connections/JBDvjfGEIAMCERw%3D", so only the
   * method and URI lines are compared; the headers and signature of the
   * file cannot be. */
  ours = botomfa_sigv4_request_canonical_request (request, &params);
  lines = g_strsplit (ours, "\n", -1);
  g_assert_cmpstr (lines[0], ==, expected_lines[0]);
  g_assert_cmpstr (lines[1], ==, expected_lines[1]);
  g_assert_cmpstr (lines[1], ==, "/test/%40connections/JBDvjfGEIAMCERw%253D");
}

/* ------------------------------------------------------------------------ */
/* Unit tests                                                                */

static BotomfaSigv4Request *
new_vanilla_request (void)
{
  BotomfaSigv4Request *request = botomfa_sigv4_request_new ("GET", "/");

  botomfa_sigv4_request_add_header (request, "Host", "example.amazonaws.com");
  return request;
}

static void
suite_params (BotomfaSigv4Params *params,
              GDateTime          *time)
{
  *params = (BotomfaSigv4Params) {
    .access_key_id = ACCESS_KEY_ID,
    .secret_access_key = SECRET_ACCESS_KEY,
    .region = "us-east-1",
    .service = "service",
    .time = time,
    .normalize_path = TRUE,
  };
}

static void
test_unit_header_lines (void)
{
  g_autoptr(BotomfaSigv4Request) request = new_vanilla_request ();
  g_autoptr(GDateTime) time = parse_time (SUITE_TIME);
  BotomfaSigv4Params params;
  const char * const *lines;

  suite_params (&params, time);
  params.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  botomfa_sigv4_request_sign (request, &params);

  /* get-vanilla-with-session-token, as curl_slist lines */
  lines = botomfa_sigv4_request_get_header_lines (request);
  g_assert_cmpuint (g_strv_length ((char **) lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, "Host: example.amazonaws.com");
  g_assert_cmpstr (lines[1], ==, "X-Amz-Security-Token: 6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
  g_assert_cmpstr (lines[2], ==, "X-Amz-Date: 20150830T123600Z");
  g_assert_cmpstr (lines[3], ==, "Authorization: AWS4-HMAC-SHA256 "
                   "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                   "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                   "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
  g_assert_null (lines[4]);

  g_assert_cmpstr (botomfa_sigv4_request_get_header (request, "x-amz-date"), ==, "20150830T123600Z");
  g_assert_null (botomfa_sigv4_request_get_header (request, "Content-Type"));
}

static void
test_unit_omit_session_token (void)
{
  g_autoptr(BotomfaSigv4Request) request = botomfa_sigv4_request_new ("POST", "/");
  g_autoptr(BotomfaSigv4Request) plain = botomfa_sigv4_request_new ("POST", "/");
  g_autoptr(GDateTime) time = parse_time (SUITE_TIME);
  g_autofree char *creq = NULL;
  g_autofree char *plain_creq = NULL;
  BotomfaSigv4Params params;
  BotomfaSigv4Params plain_params;
  const char * const *lines;
  const char *authorization;

  botomfa_sigv4_request_add_header (request, "Host", "example.amazonaws.com");
  botomfa_sigv4_request_add_header (plain, "Host", "example.amazonaws.com");
  suite_params (&params, time);
  suite_params (&plain_params, time);
  params.session_token = STS_TOKEN;
  params.omit_session_token = TRUE;

  creq = botomfa_sigv4_request_canonical_request (request, &params);
  plain_creq = botomfa_sigv4_request_canonical_request (plain, &plain_params);
  g_assert_cmpstr (creq, ==, plain_creq);
  g_assert_null (strstr (creq, "x-amz-security-token"));

  botomfa_sigv4_request_sign (request, &params);
  botomfa_sigv4_request_sign (plain, &plain_params);

  /* Sent, but outside the signature: same Authorization as without it */
  g_assert_cmpstr (botomfa_sigv4_request_get_header (request, "X-Amz-Security-Token"), ==, STS_TOKEN);
  authorization = botomfa_sigv4_request_get_header (request, "Authorization");
  g_assert_cmpstr (authorization, ==, botomfa_sigv4_request_get_header (plain, "Authorization"));
  g_assert_nonnull (strstr (authorization, "SignedHeaders=host;x-amz-date, "));
  g_assert_true (g_str_has_suffix (authorization,
                                   "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));

  lines = botomfa_sigv4_request_get_header_lines (request);
  g_assert_cmpuint (g_strv_length ((char **) lines), ==, 4);
  g_assert_cmpstr (lines[1], ==, "X-Amz-Security-Token: " STS_TOKEN);
  g_assert_true (g_str_has_prefix (lines[3], "Authorization: "));

  /* The canonical request still leaves it out now that it is present */
  g_clear_pointer (&creq, g_free);
  creq = botomfa_sigv4_request_canonical_request (request, &params);
  g_assert_cmpstr (creq, ==, plain_creq);
}

static void
test_unit_resign (void)
{
  g_autoptr(BotomfaSigv4Request) request = new_vanilla_request ();
  g_autoptr(GDateTime) time = parse_time (SUITE_TIME);
  g_autoptr(GDateTime) later = g_date_time_add_minutes (time, 5);
  BotomfaSigv4Params params;
  const char * const *lines;

  suite_params (&params, later);
  botomfa_sigv4_request_sign (request, &params);
  suite_params (&params, time);
  botomfa_sigv4_request_sign (request, &params);

  /* A second sign() (a retry) leaves one date and one signature, current */
  lines = botomfa_sigv4_request_get_header_lines (request);
  g_assert_cmpuint (g_strv_length ((char **) lines), ==, 3);
  g_assert_cmpstr (lines[1], ==, "X-Amz-Date: 20150830T123600Z");
  g_assert_cmpstr (lines[2], ==, "Authorization: AWS4-HMAC-SHA256 "
                   "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                   "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static char *
canonical_uri_line (const char *uri,
                    gboolean    normalize)
{
  g_autoptr(BotomfaSigv4Request) request = botomfa_sigv4_request_new ("GET", uri);
  g_autoptr(GDateTime) time = parse_time (SUITE_TIME);
  g_autofree char *creq = NULL;
  g_auto(GStrv) lines = NULL;
  BotomfaSigv4Params params;

  suite_params (&params, time);
  params.normalize_path = normalize;
  botomfa_sigv4_request_add_header (request, "Host", "example.amazonaws.com");
  creq = botomfa_sigv4_request_canonical_request (request, &params);
  lines = g_strsplit (creq, "\n", 4);
  return g_strdup_printf ("%s\n%s", lines[1], lines[2]);
}

static void
test_unit_uri_encoding (void)
{
  static const struct
  {
    const char *uri;
    gboolean    normalize;
    const char *expected; /* canonical URI "\n" canonical query */
  } cases[] = {
    /* S3 style: decoded and encoded once, encoded or not */
    { "/example%20space/", FALSE, "/example%20space/\n" },
    { "/example space/", FALSE, "/example%20space/\n" },
    /* an encoded slash is part of an S3 key, not a separator */
    { "/bucket/a%2Fb//c/./d", FALSE, "/bucket/a%2Fb//c/./d\n" },
    /* every other service: what is on the wire is encoded again */
    { "/example%20space/", TRUE, "/example%2520space/\n" },
    { "/example space/", TRUE, "/example%20space/\n" },
    { "/foo/bar/..", TRUE, "/foo/\n" },
    { "/foo/./bar/../../baz", TRUE, "/baz\n" },
    { "/..", TRUE, "/\n" },
    /* queries are decoded and encoded once; '+' is a space */
    { "/?b=%2B&a=x+y&c", TRUE, "/\na=x%20y&b=%2B&c=" },
    { "/?a=%zz&a=%41&&", TRUE, "/\na=%25zz&a=A" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = canonical_uri_line (cases[i].uri, cases[i].normalize);

      g_test_message ("%s (normalize %d)", cases[i].uri, cases[i].normalize);
      g_assert_cmpstr (line, ==, cases[i].expected);
    }
}

static void
test_unit_header_folding (void)
{
  g_autoptr(BotomfaSigv4Request) request = new_vanilla_request ();
  const char * const *lines;

  /* Line breaks never reach the header lines: no header injection */
  botomfa_sigv4_request_add_header (request, "X-Test", "a\r\nEvil: yes");
  botomfa_sigv4_request_add_header (request, "X-Fold", "  one\n   two\r\n\tthree  ");
  botomfa_sigv4_request_add_header (request, "X-Empty", "");

  lines = botomfa_sigv4_request_get_header_lines (request);
  g_assert_cmpstr (lines[1], ==, "X-Test: a Evil: yes");
  g_assert_cmpstr (lines[2], ==, "X-Fold: one two three");
  /* curl: "Name:" would remove the header, "Name;" sends it empty */
  g_assert_cmpstr (lines[3], ==, "X-Empty;");
  g_assert_null (lines[4]);
}

static void
test_unit_hex_sha256 (void)
{
  char out[65];

  botomfa_sigv4_hex_sha256 ("", 0, out);
  g_assert_cmpstr (out, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  botomfa_sigv4_hex_sha256 ("Param1=value1", 13, out);
  g_assert_cmpstr (out, ==, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

static void
test_unit_presign_token_placement (void)
{
  g_autoptr(BotomfaSigv4Request) request = botomfa_sigv4_request_new ("GET", "/path?a=1");
  g_autoptr(GDateTime) time = parse_time (SUITE_TIME);
  g_autofree char *target = NULL;
  g_autofree char *creq = NULL;
  BotomfaSigv4Params params;

  botomfa_sigv4_request_add_header (request, "Host", "example.amazonaws.com");
  suite_params (&params, time);
  params.session_token = "a+b/c=";

  /* An existing query is kept; the token is encoded on the wire and signed */
  target = botomfa_sigv4_presign_query (request, &params, 60);
  g_assert_true (g_str_has_prefix (target, "/path?a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
  g_assert_nonnull (strstr (target, "&X-Amz-Expires=60&X-Amz-Security-Token=a%2Bb%2Fc%3D&X-Amz-Signature="));
  creq = botomfa_sigv4_presign_canonical_request (request, &params, 60);
  g_assert_nonnull (strstr (creq, "&X-Amz-Security-Token=a%2Bb%2Fc%3D&"));
  /* No headers are added by presigning */
  g_assert_cmpuint (g_strv_length ((char **) botomfa_sigv4_request_get_header_lines (request)), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */

static char *
data_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "sigv4", NULL);
}

static gboolean
file_exists (const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* Sorted subdirectory names, '_' ones (extras, metadata) left out */
static GPtrArray *
list_cases (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, &error);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (gdir == NULL)
    g_error ("Cannot read the SigV4 suite: %s", error->message);

  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (name[0] != '_' && g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_strings);

  return names;
}

static GPtrArray *all_cases;
static guint counts[LAYOUT_EXTRA + 1];
static guint n_dirs_without_layout;

static void
add_case (Layout          layout,
          const char     *dir,
          const char     *name,
          GTestDataFunc   func)
{
  static const char * const layout_names[] = { "header", "query", "classic", "legacy", "extra" };
  TestCase *tc = g_new0 (TestCase, 1);
  g_autofree char *path = g_strdup_printf ("/botomfa/sigv4/%s/%s", layout_names[layout], name);

  tc->layout = layout;
  tc->dir = g_build_filename (dir, name, NULL);
  tc->name = g_strdup (name);
  g_ptr_array_add (all_cases, tc);
  counts[layout]++;
  g_test_add_data_func (path, tc, func);
}

static void
test_inventory (void)
{
  /* Numbers from SOURCE.md: a missing directory or file set fails here
   * instead of silently shrinking the run */
  g_assert_cmpuint (counts[LAYOUT_HEADER], ==, N_AWS_C_AUTH_CASES);
  g_assert_cmpuint (counts[LAYOUT_QUERY], ==, N_AWS_C_AUTH_CASES);
  g_assert_cmpuint (counts[LAYOUT_CLASSIC], ==, N_CLASSIC_CASES);
  g_assert_cmpuint (counts[LAYOUT_LEGACY], ==, N_LEGACY_CASES);
  g_assert_cmpuint (counts[LAYOUT_EXTRA], ==, 2);
  g_assert_cmpuint (n_dirs_without_layout, ==, 0);
}

static void
register_suite (void)
{
  g_autofree char *root = data_dir ();
  g_autofree char *legacy_root = g_build_filename (root, "_legacy-2011", NULL);
  g_autofree char *extra_root = g_build_filename (root, "_smithy-rs-extra", NULL);
  g_autoptr(GPtrArray) names = list_cases (root);
  g_autoptr(GPtrArray) legacy_names = list_cases (legacy_root);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *dir = g_build_filename (root, name, NULL);
      g_autofree char *req = g_strconcat (name, ".req", NULL);
      gboolean any = FALSE;

      if (file_exists (dir, "request.txt"))
        {
          add_case (LAYOUT_HEADER, root, name, test_header_case);
          add_case (LAYOUT_QUERY, root, name, test_query_case);
          any = TRUE;
        }
      if (file_exists (dir, req))
        {
          add_case (LAYOUT_CLASSIC, root, name, test_classic_case);
          any = TRUE;
        }
      if (!any)
        n_dirs_without_layout++;
    }

  for (guint i = 0; i < legacy_names->len; i++)
    add_case (LAYOUT_LEGACY, legacy_root, g_ptr_array_index (legacy_names, i), test_legacy_case);

  add_case (LAYOUT_EXTRA, extra_root, "double-url-encode", test_extra_double_url_encode);
  add_case (LAYOUT_EXTRA, extra_root, "double-encode-path", test_extra_double_encode_path);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  all_cases = g_ptr_array_new_with_free_func (test_case_free);
  register_suite ();
  g_test_add_func ("/botomfa/sigv4/inventory", test_inventory);

  g_test_add_func ("/botomfa/sigv4/unit/header-lines", test_unit_header_lines);
  g_test_add_func ("/botomfa/sigv4/unit/omit-session-token", test_unit_omit_session_token);
  g_test_add_func ("/botomfa/sigv4/unit/resign", test_unit_resign);
  g_test_add_func ("/botomfa/sigv4/unit/uri-encoding", test_unit_uri_encoding);
  g_test_add_func ("/botomfa/sigv4/unit/header-folding", test_unit_header_folding);
  g_test_add_func ("/botomfa/sigv4/unit/hex-sha256", test_unit_hex_sha256);
  g_test_add_func ("/botomfa/sigv4/unit/presign-token", test_unit_presign_token_placement);

  ret = g_test_run ();
  g_ptr_array_unref (all_cases);

  return ret;
}
