/* botomfa-sts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-sts"

#include "config.h"

#include <string.h>
#include <poll.h>
#include <glib/gi18n-lib.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "botomfa-sigv4.h"
#include "botomfa-sts-private.h"

#define STS_VERSION "2011-06-15"
#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

struct _BotomfaStsClient
{
  GObject parent_instance;

  char  *endpoint;
  char  *region;
  char  *host;         /* host[:port] as sent in the Host header */
  char  *display_host; /* for messages */
  guint  connect_timeout;
  guint  timeout;
  guint  max_attempts;

  /* One handle for the client's life: libcurl keeps its connection, so a
   * renewal's GetCallerIdentity reuses the TLS session of its
   * GetSessionToken. Calls from several threads take turns. */
  GMutex curl_lock;
  CURL  *curl;
};

G_DEFINE_FINAL_TYPE (BotomfaStsClient, botomfa_sts_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (botomfa-sts-error-quark, botomfa_sts_error)

/* ------------------------------------------------------------------------ */
/* Endpoint and region                                                       */

static char *
nonempty_env (const char *name)
{
  const char *value = g_getenv (name);

  return (value != NULL && *value != '\0') ? g_strstrip (g_strdup (value)) : NULL;
}

/* The precedence of the AWS SDKs' "service-specific endpoints":
 * AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then our setting, then the
 * global endpoint. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 * The signing region follows the endpoint: a regional endpoint
 * (sts.eu-west-1.amazonaws.com) must be signed for its own region, the
 * global one for us-east-1. */
void
_botomfa_sts_resolve_endpoint (const char  *endpoint_setting,
                               const char  *region_setting,
                               char       **endpoint,
                               char       **region)
{
  g_autofree char *url = NULL;
  g_autofree char *reg = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *host = NULL;

  url = nonempty_env ("AWS_ENDPOINT_URL_STS");
  if (url == NULL)
    url = nonempty_env ("AWS_ENDPOINT_URL");
  if (url == NULL && endpoint_setting != NULL && *endpoint_setting != '\0')
    url = g_strstrip (g_strdup (endpoint_setting));
  if (url == NULL && region_setting != NULL && *region_setting != '\0')
    url = g_strdup_printf ("https://sts.%s.amazonaws.com", region_setting);
  if (url == NULL)
    url = g_strdup (BOTOMFA_STS_DEFAULT_ENDPOINT);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    host = g_uri_get_host (uri);

  if (host != NULL && g_ascii_strcasecmp (host, "sts.amazonaws.com") == 0)
    reg = g_strdup (BOTOMFA_STS_DEFAULT_REGION);
  else if (host != NULL && g_str_has_prefix (host, "sts.") &&
           (g_str_has_suffix (host, ".amazonaws.com") || g_str_has_suffix (host, ".amazonaws.com.cn")))
    {
      const char *start = host + strlen ("sts.");
      const char *dot = strchr (start, '.');

      reg = g_strndup (start, dot - start);
      /* sts.fips… or sts-fips… are not region names */
      if (strchr (reg, '-') == NULL)
        g_clear_pointer (&reg, g_free);
    }

  if (reg == NULL && region_setting != NULL && *region_setting != '\0')
    reg = g_strdup (region_setting);
  if (reg == NULL)
    reg = nonempty_env ("AWS_REGION");
  if (reg == NULL)
    reg = nonempty_env ("AWS_DEFAULT_REGION");
  if (reg == NULL)
    reg = g_strdup (BOTOMFA_STS_DEFAULT_REGION);

  *endpoint = g_steal_pointer (&url);
  *region = g_steal_pointer (&reg);
}

/* ------------------------------------------------------------------------ */
/* Form encoding                                                             */

char *
_botomfa_sts_form_encode (const char *value)
{
  /* RFC 3986 unreserved characters stay; everything else is %XX, as SigV4
   * canonicalisation expects for the form body too. */
  return g_uri_escape_string (value, NULL, FALSE);
}

static void
form_append (GString    *form,
             const char *name,
             const char *value)
{
  g_autofree char *escaped = _botomfa_sts_form_encode (value);

  if (form->len > 0)
    g_string_append_c (form, '&');
  g_string_append_printf (form, "%s=%s", name, escaped);
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                 */

typedef struct
{
  GPtrArray *stack;       /* element names */
  GString   *text;
  char      *root;
  char      *error_code;
  char      *error_message;
  char      *access_key_id;
  char      *secret_access_key;
  char      *session_token;
  char      *expiration;
  char      *arn;
  char      *user_id;
  char      *account;
} ParseState;

static void
parse_state_clear (ParseState *state)
{
  g_clear_pointer (&state->stack, g_ptr_array_unref);
  if (state->text != NULL)
    {
      OPENSSL_cleanse (state->text->str, state->text->allocated_len);
      g_string_free (state->text, TRUE);
      state->text = NULL;
    }
  g_clear_pointer (&state->root, g_free);
  g_clear_pointer (&state->error_code, g_free);
  g_clear_pointer (&state->error_message, g_free);
  g_clear_pointer (&state->access_key_id, g_free);
  botomfa_secure_clear (&state->secret_access_key);
  botomfa_secure_clear (&state->session_token);
  g_clear_pointer (&state->expiration, g_free);
  g_clear_pointer (&state->arn, g_free);
  g_clear_pointer (&state->user_id, g_free);
  g_clear_pointer (&state->account, g_free);
}

static const char *
parent_element (ParseState *state)
{
  if (state->stack->len < 2)
    return NULL;
  return g_ptr_array_index (state->stack, state->stack->len - 2);
}

static void
on_start_element (GMarkupParseContext  *context,
                  const char           *element_name,
                  const char          **attribute_names,
                  const char          **attribute_values,
                  gpointer              user_data,
                  GError              **error)
{
  ParseState *state = user_data;

  if (state->root == NULL)
    state->root = g_strdup (element_name);
  g_ptr_array_add (state->stack, g_strdup (element_name));
  OPENSSL_cleanse (state->text->str, state->text->len);
  g_string_truncate (state->text, 0);
}

/* Takes the element's text without any whitespace: real keys and tokens
 * have none, but documented samples wrap the token across lines. */
static char *
take_compact_text (ParseState *state)
{
  GString *out = g_string_sized_new (state->text->len);

  for (gsize i = 0; i < state->text->len; i++)
    if (!g_ascii_isspace (state->text->str[i]))
      g_string_append_c (out, state->text->str[i]);

  return g_string_free (out, FALSE);
}

/* The server's <Code> and <Message>, which the user may read inside one of our
 * sentences: one line (runs of white space and control characters become a
 * single space), no angle brackets (an entity such as &#x3C; decodes to one;
 * they become ‹ ›, so nothing that looks like markup reaches a label or a
 * notification), and at most MAX_MESSAGE_CHARS characters. GMarkup has
 * already checked that the text is UTF-8. */
#define MAX_MESSAGE_CHARS 300

static char *
take_plain_text (ParseState *state)
{
  GString *out = g_string_sized_new (state->text->len);
  gboolean space = FALSE;
  guint chars = 0;
  const char *p;

  for (p = state->text->str; *p != '\0' && chars < MAX_MESSAGE_CHARS; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        {
          g_string_append_c (out, ' ');
          chars++;
          space = FALSE;
        }
      if (c == '<')
        g_string_append (out, "\u2039");
      else if (c == '>')
        g_string_append (out, "\u203a");
      else
        g_string_append_unichar (out, c);
      chars++;
    }
  while (*p != '\0' && (g_unichar_isspace (g_utf8_get_char (p)) || g_unichar_iscntrl (g_utf8_get_char (p))))
    p = g_utf8_next_char (p);
  if (*p != '\0')
    g_string_append (out, "\u2026");

  return g_string_free (out, FALSE);
}

static void
replace_string (char **field,
                char  *value)
{
  botomfa_secure_free (*field);
  *field = value;
}

static void
on_end_element (GMarkupParseContext  *context,
                const char           *element_name,
                gpointer              user_data,
                GError              **error)
{
  ParseState *state = user_data;
  const char *parent = parent_element (state);

  if (g_strcmp0 (parent, "Credentials") == 0)
    {
      if (g_str_equal (element_name, "AccessKeyId"))
        replace_string (&state->access_key_id, take_compact_text (state));
      else if (g_str_equal (element_name, "SecretAccessKey"))
        replace_string (&state->secret_access_key, take_compact_text (state));
      else if (g_str_equal (element_name, "SessionToken"))
        replace_string (&state->session_token, take_compact_text (state));
      else if (g_str_equal (element_name, "Expiration"))
        replace_string (&state->expiration, take_compact_text (state));
    }
  else if (g_strcmp0 (parent, "GetCallerIdentityResult") == 0)
    {
      if (g_str_equal (element_name, "Arn"))
        replace_string (&state->arn, take_compact_text (state));
      else if (g_str_equal (element_name, "UserId"))
        replace_string (&state->user_id, take_compact_text (state));
      else if (g_str_equal (element_name, "Account"))
        replace_string (&state->account, take_compact_text (state));
    }
  else if (g_strcmp0 (parent, "Error") == 0)
    {
      if (g_str_equal (element_name, "Code"))
        replace_string (&state->error_code, take_plain_text (state));
      else if (g_str_equal (element_name, "Message"))
        replace_string (&state->error_message, take_plain_text (state));
    }

  g_ptr_array_set_size (state->stack, state->stack->len - 1);
  OPENSSL_cleanse (state->text->str, state->text->len);
  g_string_truncate (state->text, 0);
}

static void
on_text (GMarkupParseContext  *context,
         const char           *text,
         gsize                 text_len,
         gpointer              user_data,
         GError              **error)
{
  ParseState *state = user_data;

  g_string_append_len (state->text, text, text_len);
}

static const GMarkupParser sts_parser = {
  on_start_element,
  on_end_element,
  on_text,
  NULL,
  NULL,
};

static gboolean
parse_xml (const char  *body,
           gsize        length,
           ParseState  *state)
{
  g_autoptr(GMarkupParseContext) context = NULL;

  state->stack = g_ptr_array_new_with_free_func (g_free);
  state->text = g_string_new (NULL);
  context = g_markup_parse_context_new (&sts_parser, G_MARKUP_TREAT_CDATA_AS_TEXT, state, NULL);

  return g_markup_parse_context_parse (context, body, length, NULL) &&
         g_markup_parse_context_end_parse (context, NULL);
}

/* "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z
 * (20220127T015928Z - 15 min.)": the time in parentheses is the server's
 * clock. Used when the response carries no Date header. */
static GDateTime *
server_time_from_message (const char *message)
{
  const char *open;
  int y, mo, d, h, mi, s;

  if (message == NULL || (open = strrchr (message, '(')) == NULL)
    return NULL;

  if (sscanf (open, "(%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s) != 6)
    return NULL;

  return g_date_time_new_utc (y, mo, d, h, mi, s);
}

/* "20 minutes", "3 hours", "2 days": the count is an int, so xgettext
 * reads the formats; the arithmetic is 64-bit, as a server's clock may be
 * centuries off */
static char *
format_duration_words (gint64 seconds)
{
  gint64 minutes = (ABS (seconds) + 30) / 60;
  gint64 hours, days;

  if (minutes < 120)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute", "%d minutes", minutes),
                            (int) minutes);

  hours = (minutes + 30) / 60;
  if (hours < 48)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour", "%d hours", hours),
                            (int) hours);

  days = MIN ((minutes + 720) / 1440, G_MAXINT);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day", "%d days", days), (int) days);
}

static void
set_clock_skew_error (GError     **error,
                      const char  *date_header,
                      GDateTime   *local_now,
                      const char  *message)
{
  g_autoptr(GDateTime) server_now = NULL;
  g_autofree char *amount = NULL;
  gint64 offset;

  if (date_header != NULL)
    {
      time_t t = curl_getdate (date_header, NULL);
      if (t > 0)
        server_now = g_date_time_new_from_unix_utc (t);
    }
  if (server_now == NULL)
    server_now = server_time_from_message (message);

  if (server_now == NULL || local_now == NULL)
    {
      g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW,
                           _("This computer’s clock is more than 15 minutes off, so AWS rejected "
                             "the request. Set the date and time automatically and try again."));
      return;
    }

  offset = g_date_time_difference (local_now, server_now) / G_TIME_SPAN_SECOND;
  amount = format_duration_words (offset);

  if (offset > 0)
    g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW,
                 /* Translators: %s is an amount of time, like “20 minutes” */
                 _("This computer’s clock is about %s ahead of AWS’s time, so AWS rejected the "
                   "request. Set the date and time automatically and try again."), amount);
  else
    g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW,
                 /* Translators: %s is an amount of time, like “20 minutes” */
                 _("This computer’s clock is about %s behind AWS’s time, so AWS rejected the "
                   "request. Set the date and time automatically and try again."), amount);
}

static void
set_server_error (GError **error,
                  long     http_status)
{
  g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_SERVER,
               _("The AWS token service had an internal problem (HTTP %ld). Try again in a few "
                 "minutes."), http_status);
}

static gboolean
code_is_throttling (const char *code)
{
  /* botocore's retries/standard.py _THROTTLED_ERROR_CODES, the ones STS uses */
  static const char * const throttling[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException", NULL,
  };

  return code != NULL && g_strv_contains (throttling, code);
}

static void
set_aws_error (GError      **error,
               ParseState   *state,
               long          http_status,
               const char   *date_header,
               GDateTime    *local_now,
               gboolean      used_session_token)
{
  const char *code = state->error_code;
  const char *message = state->error_message ? state->error_message : "";

  if (g_strcmp0 (code, "AccessDenied") == 0)
    {
      if (strstr (message, "invalid MFA one time pass code") != NULL)
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_MFA_CODE,
                             _("That code was not accepted. A code works only once; wait for the "
                               "next one."));
      else if (strstr (message, "unable to validate MFA code") != NULL)
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE,
                             _("AWS could not check the code against the MFA device. Make sure the "
                               "device’s ARN or serial number is right and belongs to this user, "
                               "and that the code is current."));
      else
        g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_ACCESS_DENIED,
                     _("AWS denied the request: %s"), message);
    }
  else if (g_strcmp0 (code, "InvalidClientTokenId") == 0 ||
           g_strcmp0 (code, "UnrecognizedClientException") == 0)
    {
      if (used_session_token)
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_KEY_ID,
                             _("AWS does not recognise these temporary credentials; they may have "
                               "been revoked or replaced."));
      else
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_KEY_ID,
                             _("AWS does not recognise the access key ID. The key may have been "
                               "deleted or made inactive; create a new one in the IAM console and "
                               "store it again."));
    }
  else if (g_strcmp0 (code, "SignatureDoesNotMatch") == 0 ||
           g_strcmp0 (code, "RequestExpired") == 0)
    {
      if (g_str_has_prefix (message, "Signature expired") ||
          g_str_has_prefix (message, "Signature not yet current") ||
          g_strcmp0 (code, "RequestExpired") == 0)
        set_clock_skew_error (error, date_header, local_now, message);
      else
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_WRONG_SECRET,
                             _("AWS rejected the request signature: the secret access key does not "
                               "belong to the access key ID. Store the key pair again."));
    }
  else if (g_strcmp0 (code, "ExpiredToken") == 0 ||
           g_strcmp0 (code, "ExpiredTokenException") == 0)
    g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_EXPIRED_TOKEN,
                         _("The temporary credentials have expired."));
  else if (code_is_throttling (code))
    g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_THROTTLED,
                         _("AWS is limiting the rate of requests. Wait a minute and try again."));
  else if (http_status >= 500)
    set_server_error (error, http_status);
  else if (code != NULL)
    g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_REQUEST,
                 _("AWS refused the request: %s"), *message ? message : code);
  else
    g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                 _("The token service answered with an error (HTTP %ld) that botomfa does not "
                   "understand."), http_status);
}

static gboolean
content_type_is_xml (const char *content_type)
{
  if (content_type == NULL)
    return FALSE;

  return g_ascii_strncasecmp (content_type, "text/xml", 8) == 0 ||
         g_ascii_strncasecmp (content_type, "application/xml", 15) == 0;
}

void
_botomfa_sts_result_clear (BotomfaStsResult *result)
{
  g_clear_pointer (&result->credentials, botomfa_credentials_free);
  g_clear_pointer (&result->identity, botomfa_identity_free);
}

gboolean
_botomfa_sts_parse_response (const char        *action,
                             long               http_status,
                             const char        *content_type,
                             const char        *body,
                             gsize              length,
                             const char        *date_header,
                             GDateTime         *local_now,
                             gboolean           used_session_token,
                             BotomfaStsResult  *result,
                             GError           **error)
{
  ParseState state = { 0 };
  g_autofree char *expected_root = g_strdup_printf ("%sResponse", action);
  gboolean parsed;
  gboolean ret = FALSE;

  memset (result, 0, sizeof *result);

  if (http_status >= 300 && http_status < 400)
    {
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                   _("The token service endpoint answered with a redirect (HTTP %ld), which "
                     "botomfa does not follow. Check the endpoint address."), http_status);
      return FALSE;
    }

  /* A 5xx often has an empty body (STS's 503 does): its status says enough */
  if (length == 0 || !content_type_is_xml (content_type))
    {
      if (http_status >= 500)
        set_server_error (error, http_status);
      else
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                             _("The answer did not come from the AWS token service. Check the "
                               "endpoint address, or whether a proxy or captive portal is in "
                               "the way."));
      return FALSE;
    }

  parsed = parse_xml (body, length, &state);

  if (parsed && g_strcmp0 (state.root, "ErrorResponse") == 0 && state.error_code != NULL)
    {
      set_aws_error (error, &state, http_status, date_header, local_now, used_session_token);
      goto out;
    }

  if (!parsed || http_status != 200 || g_strcmp0 (state.root, expected_root) != 0)
    {
      if (http_status >= 500)
        set_server_error (error, http_status);
      else
        g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                             _("The token service sent an incomplete or damaged answer. Try "
                               "again."));
      goto out;
    }

  /* GetSessionToken, and the AssumeRole family, whose credentials look
   * the same */
  if (!g_str_equal (action, "GetCallerIdentity"))
    {
      g_autoptr(GDateTime) expiration = botomfa_parse_iso8601 (state.expiration);

      if (state.access_key_id == NULL || *state.access_key_id == '\0' ||
          state.secret_access_key == NULL || *state.secret_access_key == '\0' ||
          state.session_token == NULL || *state.session_token == '\0' ||
          expiration == NULL)
        {
          g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                               _("The token service’s answer lacks part of the credentials. "
                                 "Nothing was changed; try again."));
          goto out;
        }

      result->credentials = botomfa_credentials_new (state.access_key_id, state.secret_access_key,
                                                     state.session_token, expiration);
    }
  else
    {
      if (state.arn == NULL || state.account == NULL)
        {
          g_set_error_literal (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                               _("The token service’s answer does not say who the credentials "
                                 "belong to. Try again."));
          goto out;
        }

      result->identity = g_new0 (BotomfaIdentity, 1);
      result->identity->arn = g_steal_pointer (&state.arn);
      result->identity->account = g_steal_pointer (&state.account);
      result->identity->user_id = g_steal_pointer (&state.user_id);
    }

  ret = TRUE;

out:
  parse_state_clear (&state);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                      */

typedef struct
{
  GByteArray   *body;
  char         *date_header;
  GCancellable *cancellable;
  gboolean      too_large;
} Exchange;

static size_t
on_body (char   *data,
         size_t  size,
         size_t  nmemb,
         void   *user_data)
{
  Exchange *ex = user_data;
  gsize n = size * nmemb;

  /* A cap on what we hold: STS answers are a few KiB; anything bigger is
   * not STS, and must not be allowed to grow without bound. */
  if (ex->body->len + n > BOTOMFA_STS_MAX_RESPONSE_SIZE)
    {
      ex->too_large = TRUE;
      return 0;
    }

  g_byte_array_append (ex->body, (const guint8 *) data, n);
  return n;
}

static size_t
on_header (char   *data,
           size_t  size,
           size_t  nmemb,
           void   *user_data)
{
  Exchange *ex = user_data;
  gsize n = size * nmemb;

  if (n > 5 && g_ascii_strncasecmp (data, "Date:", 5) == 0)
    {
      g_free (ex->date_header);
      ex->date_header = g_strstrip (g_strndup (data + 5, n - 5));
    }

  return n;
}

static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  Exchange *ex = user_data;

  /* Non-zero aborts the transfer: this is how Cancel reaches libcurl */
  return g_cancellable_is_cancelled (ex->cancellable) ? 1 : 0;
}

static void
exchange_clear (Exchange *ex)
{
  if (ex->body != NULL)
    {
      OPENSSL_cleanse (ex->body->data, ex->body->len);
      g_byte_array_unref (ex->body);
    }
  g_free (ex->date_header);
}

static void
set_curl_error (GError            **error,
                BotomfaStsClient   *self,
                CURLcode            code,
                Exchange           *ex)
{
  switch ((int) code)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_NETWORK,
                   _("Could not find %s. Check the network connection."), self->display_host);
      break;

    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_NETWORK,
                   _("Could not connect to %s. Check the network connection and the proxy "
                     "settings."), self->display_host);
      break;

    case CURLE_OPERATION_TIMEDOUT:
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_TIMEOUT,
                   _("%s did not answer within %u seconds. Check the network connection and try "
                     "again."), self->display_host, self->timeout);
      break;

    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_TLS,
                   _("The secure connection to %s could not be verified: its certificate is not "
                     "trusted. Behind a company proxy, set AWS_CA_BUNDLE to the proxy’s "
                     "certificate file."), self->display_host);
      break;

    case CURLE_WRITE_ERROR:
      if (ex->too_large)
        {
          g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                       _("The answer from %s is far larger than any token service answer; it "
                         "was not read."), self->display_host);
          break;
        }
      G_GNUC_FALLTHROUGH;

    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
                   _("%s did not answer like a web server. Check the endpoint address."),
                   self->display_host);
      break;

    case CURLE_ABORTED_BY_CALLBACK:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      break;

    default:
      /* RECV_ERROR, GOT_NOTHING, PARTIAL_FILE, SEND_ERROR, … */
      g_set_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_NETWORK,
                   _("The connection to %s broke off before the answer was complete. Check the "
                     "network connection and try again."), self->display_host);
      break;
    }
}

static gboolean
wait_cancellable (GCancellable *cancellable,
                  guint         milliseconds)
{
  GPollFD pfd;
  int n_fds = 0;

  if (g_cancellable_make_pollfd (cancellable, &pfd))
    n_fds = 1;

  g_poll (&pfd, n_fds, milliseconds);

  if (n_fds > 0)
    g_cancellable_release_fd (cancellable);

  return !g_cancellable_is_cancelled (cancellable);
}

/* Runs one STS action: signs, sends, retries throttling and 5xx with
 * exponential back-off and jitter (never other errors: a wrong code must not
 * be sent twice), parses. */
static gboolean
sts_call_locked (BotomfaStsClient          *self,
                 const char                *action,
                 const char                *form,
                 const BotomfaCredentials  *credentials,
                 BotomfaStsResult          *result,
                 GCancellable              *cancellable,
                 GError                   **error)
{
  g_autoptr(GError) last_error = NULL;

  for (guint attempt = 0; attempt < self->max_attempts; attempt++)
    {
      g_autoptr(BotomfaSigv4Request) request = NULL;
      g_autoptr(GDateTime) now = NULL;
      g_autoptr(GDateTime) arrived = NULL;
      g_autofree char *user_agent = NULL;
      struct curl_slist *headers = NULL;
      const char * const *lines;
      const char *ca_bundle;
      Exchange ex = { 0 };
      CURL *curl;
      CURLcode code;
      long status = 0;
      char *content_type = NULL;
      BotomfaSigv4Params params = {
        .access_key_id = credentials->access_key_id,
        .secret_access_key = credentials->secret_access_key,
        .session_token = credentials->session_token,
        .region = self->region,
        .service = "sts",
        .normalize_path = TRUE,
      };

      g_clear_error (&last_error);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (attempt > 0)
        {
          /* 0.5 s, 1 s, 2 s… plus up to 50 % jitter, capped at 5 s */
          guint delay = MIN (500u << (attempt - 1), 5000u);
          delay += g_random_int_range (0, delay / 2 + 1);
          g_debug ("Retrying %s in %u ms (attempt %u of %u)", action, delay, attempt + 1,
                   self->max_attempts);
          if (!wait_cancellable (cancellable, delay))
            return g_cancellable_set_error_if_cancelled (cancellable, error), FALSE;
        }

      /* Signed afresh on each attempt: X-Amz-Date must be current */
      now = g_date_time_new_now_utc ();
      params.time = now;
      request = botomfa_sigv4_request_new ("POST", "/");
      botomfa_sigv4_request_add_header (request, "Host", self->host);
      botomfa_sigv4_request_add_header (request, "Content-Type", FORM_CONTENT_TYPE);
      botomfa_sigv4_request_set_body (request, form, strlen (form));
      botomfa_sigv4_request_sign (request, &params);

      lines = botomfa_sigv4_request_get_header_lines (request);
      for (guint i = 0; lines[i] != NULL; i++)
        headers = curl_slist_append (headers, lines[i]);
      /* curl would add "Expect: 100-continue" for larger bodies: a round
       * trip for nothing */
      headers = curl_slist_append (headers, "Expect:");

      ex.body = g_byte_array_new ();
      ex.cancellable = cancellable;

      curl = self->curl;
      curl_easy_reset (curl);
      user_agent = g_strdup_printf ("botomfa/%s", PACKAGE_VERSION);
      curl_easy_setopt (curl, CURLOPT_URL, self->endpoint);
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, form);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (form));
      curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt (curl, CURLOPT_USERAGENT, user_agent);
      curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt (curl, CURLOPT_WRITEDATA, &ex);
      curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
      curl_easy_setopt (curl, CURLOPT_HEADERDATA, &ex);
      curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &ex);
      curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) self->connect_timeout);
      curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) self->timeout);
      /* A redirect would resend signed credentials to another host */
      curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
      ca_bundle = g_getenv ("AWS_CA_BUNDLE");
      if (ca_bundle != NULL && *ca_bundle != '\0')
        curl_easy_setopt (curl, CURLOPT_CAINFO, ca_bundle);

      code = curl_easy_perform (curl);
      arrived = g_date_time_new_now_utc ();

      curl_slist_free_all (headers);

      if (code != CURLE_OK)
        {
          set_curl_error (&last_error, self, code, &ex);
        }
      else
        {
          curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
          curl_easy_getinfo (curl, CURLINFO_CONTENT_TYPE, &content_type);
          g_debug ("%s: HTTP %ld, %u bytes", action, status, ex.body->len);

          if (_botomfa_sts_parse_response (action, status, content_type,
                                           (const char *) ex.body->data, ex.body->len,
                                           ex.date_header, arrived,
                                           credentials->session_token != NULL,
                                           result, &last_error))
            {
              exchange_clear (&ex);
              return TRUE;
            }
        }

      exchange_clear (&ex);

      if (!g_error_matches (last_error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_THROTTLED) &&
          !g_error_matches (last_error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_SERVER))
        break;
    }

  g_propagate_error (error, g_steal_pointer (&last_error));
  return FALSE;
}

static gboolean
sts_call (BotomfaStsClient          *self,
          const char                *action,
          const char                *form,
          const BotomfaCredentials  *credentials,
          BotomfaStsResult          *result,
          GCancellable              *cancellable,
          GError                   **error)
{
  gboolean ret;

  g_mutex_lock (&self->curl_lock);
  if (self->curl == NULL)
    self->curl = curl_easy_init ();
  ret = sts_call_locked (self, action, form, credentials, result, cancellable, error);
  g_mutex_unlock (&self->curl_lock);

  return ret;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

static void
botomfa_sts_client_finalize (GObject *object)
{
  BotomfaStsClient *self = (BotomfaStsClient *) object;

  g_clear_pointer (&self->endpoint, g_free);
  g_clear_pointer (&self->region, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->display_host, g_free);
  g_clear_pointer (&self->curl, curl_easy_cleanup);
  g_mutex_clear (&self->curl_lock);

  G_OBJECT_CLASS (botomfa_sts_client_parent_class)->finalize (object);
}

static void
botomfa_sts_client_class_init (BotomfaStsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = botomfa_sts_client_finalize;

  /* Thread-safe global init, once, before any handle is made in a worker */
  curl_global_init (CURL_GLOBAL_DEFAULT);
}

static void
botomfa_sts_client_init (BotomfaStsClient *self)
{
  g_mutex_init (&self->curl_lock);
  self->connect_timeout = BOTOMFA_STS_DEFAULT_CONNECT_TIMEOUT;
  self->timeout = BOTOMFA_STS_DEFAULT_TIMEOUT;
  self->max_attempts = BOTOMFA_STS_DEFAULT_MAX_ATTEMPTS;
}

BotomfaStsClient *
botomfa_sts_client_new (const char *endpoint_setting,
                        const char *region_setting)
{
  BotomfaStsClient *self = g_object_new (BOTOMFA_TYPE_STS_CLIENT, NULL);
  g_autoptr(GUri) uri = NULL;

  _botomfa_sts_resolve_endpoint (endpoint_setting, region_setting, &self->endpoint, &self->region);

  uri = g_uri_parse (self->endpoint, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL && g_uri_get_host (uri) != NULL)
    {
      int port = g_uri_get_port (uri);
      const char *scheme = g_uri_get_scheme (uri);
      gboolean default_port = port == -1 ||
                              (port == 443 && g_strcmp0 (scheme, "https") == 0) ||
                              (port == 80 && g_strcmp0 (scheme, "http") == 0);

      self->display_host = g_strdup (g_uri_get_host (uri));
      /* Must match what libcurl sends, or the signature will not verify */
      if (default_port)
        self->host = g_strdup (g_uri_get_host (uri));
      else if (strchr (g_uri_get_host (uri), ':') != NULL)
        self->host = g_strdup_printf ("[%s]:%d", g_uri_get_host (uri), port);
      else
        self->host = g_strdup_printf ("%s:%d", g_uri_get_host (uri), port);
    }
  else
    {
      /* libcurl will reject it with a clear error; keep something to show */
      self->display_host = g_strdup (self->endpoint);
      self->host = g_strdup (self->endpoint);
    }

  return self;
}

const char *
botomfa_sts_client_get_endpoint (BotomfaStsClient *self)
{
  g_return_val_if_fail (BOTOMFA_IS_STS_CLIENT (self), NULL);
  return self->endpoint;
}

const char *
botomfa_sts_client_get_region (BotomfaStsClient *self)
{
  g_return_val_if_fail (BOTOMFA_IS_STS_CLIENT (self), NULL);
  return self->region;
}

void
botomfa_sts_client_set_timeouts (BotomfaStsClient *self,
                                 guint             connect_seconds,
                                 guint             total_seconds)
{
  g_return_if_fail (BOTOMFA_IS_STS_CLIENT (self));
  g_return_if_fail (connect_seconds > 0 && total_seconds > 0);

  self->connect_timeout = connect_seconds;
  self->timeout = total_seconds;
}

void
botomfa_sts_client_set_max_attempts (BotomfaStsClient *self,
                                     guint             max_attempts)
{
  g_return_if_fail (BOTOMFA_IS_STS_CLIENT (self));
  g_return_if_fail (max_attempts >= 1);

  self->max_attempts = max_attempts;
}

/* Accepts "123456", "123 456", " 123456\n": people paste codes with
 * spaces. Anything but exactly six digits is refused before any request. */
gboolean
botomfa_mfa_code_normalize (const char *input,
                            char        out[7])
{
  guint n = 0;

  if (input == NULL)
    return FALSE;

  for (const char *p = input; *p; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isdigit (*p) || n == 6)
        return FALSE;
      out[n++] = *p;
    }
  out[n] = '\0';

  return n == 6;
}

BotomfaCredentials *
botomfa_sts_client_get_session_token (BotomfaStsClient          *self,
                                      const BotomfaCredentials  *long_term,
                                      const char                *mfa_serial,
                                      const char                *mfa_code,
                                      guint                      duration_seconds,
                                      GCancellable              *cancellable,
                                      GError                   **error)
{
  BotomfaStsResult result = { 0 };
  g_autoptr(GString) form = g_string_new (NULL);
  g_autofree char *duration = NULL;
  BotomfaCredentials *ret = NULL;

  g_return_val_if_fail (BOTOMFA_IS_STS_CLIENT (self), NULL);
  g_return_val_if_fail (long_term != NULL, NULL);
  g_return_val_if_fail (mfa_serial != NULL, NULL);
  g_return_val_if_fail (mfa_code != NULL, NULL);

  duration = g_strdup_printf ("%u", duration_seconds);
  form_append (form, "Action", "GetSessionToken");
  form_append (form, "Version", STS_VERSION);
  form_append (form, "DurationSeconds", duration);
  form_append (form, "SerialNumber", mfa_serial);
  form_append (form, "TokenCode", mfa_code);

  if (sts_call (self, "GetSessionToken", form->str, long_term, &result, cancellable, error))
    ret = g_steal_pointer (&result.credentials);

  _botomfa_sts_result_clear (&result);
  OPENSSL_cleanse (form->str, form->len);
  return ret;
}

BotomfaIdentity *
botomfa_sts_client_get_caller_identity (BotomfaStsClient          *self,
                                        const BotomfaCredentials  *credentials,
                                        GCancellable              *cancellable,
                                        GError                   **error)
{
  BotomfaStsResult result = { 0 };
  g_autoptr(GString) form = g_string_new (NULL);
  BotomfaIdentity *ret = NULL;

  g_return_val_if_fail (BOTOMFA_IS_STS_CLIENT (self), NULL);
  g_return_val_if_fail (credentials != NULL, NULL);

  form_append (form, "Action", "GetCallerIdentity");
  form_append (form, "Version", STS_VERSION);

  if (sts_call (self, "GetCallerIdentity", form->str, credentials, &result, cancellable, error))
    ret = g_steal_pointer (&result.identity);

  _botomfa_sts_result_clear (&result);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* Async: the blocking libcurl work runs in a GTask worker thread            */

typedef struct
{
  BotomfaCredentials *credentials;
  char               *mfa_serial;
  char               *mfa_code;
  guint               duration;
} CallData;

static void
call_data_free (CallData *data)
{
  botomfa_credentials_free (data->credentials);
  g_free (data->mfa_serial);
  botomfa_secure_free (data->mfa_code);
  g_free (data);
}

static void
get_session_token_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  CallData *data = task_data;
  GError *error = NULL;
  BotomfaCredentials *creds;

  creds = botomfa_sts_client_get_session_token (source_object, data->credentials, data->mfa_serial,
                                                data->mfa_code, data->duration, cancellable, &error);
  if (creds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, creds, (GDestroyNotify) botomfa_credentials_free);
}

void
botomfa_sts_client_get_session_token_async (BotomfaStsClient          *self,
                                            const BotomfaCredentials  *long_term,
                                            const char                *mfa_serial,
                                            const char                *mfa_code,
                                            guint                      duration_seconds,
                                            GCancellable              *cancellable,
                                            GAsyncReadyCallback        callback,
                                            gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  CallData *data;

  g_return_if_fail (BOTOMFA_IS_STS_CLIENT (self));
  g_return_if_fail (long_term != NULL);

  data = g_new0 (CallData, 1);
  data->credentials = botomfa_credentials_copy (long_term);
  data->mfa_serial = g_strdup (mfa_serial);
  data->mfa_code = g_strdup (mfa_code);
  data->duration = duration_seconds;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, botomfa_sts_client_get_session_token_async);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, get_session_token_thread);
}

BotomfaCredentials *
botomfa_sts_client_get_session_token_finish (BotomfaStsClient  *self,
                                             GAsyncResult      *result,
                                             GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        botomfa_sts_client_get_session_token_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
get_caller_identity_thread (GTask        *task,
                            gpointer      source_object,
                            gpointer      task_data,
                            GCancellable *cancellable)
{
  CallData *data = task_data;
  GError *error = NULL;
  BotomfaIdentity *identity;

  identity = botomfa_sts_client_get_caller_identity (source_object, data->credentials,
                                                     cancellable, &error);
  if (identity == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, identity, (GDestroyNotify) botomfa_identity_free);
}

void
botomfa_sts_client_get_caller_identity_async (BotomfaStsClient          *self,
                                              const BotomfaCredentials  *credentials,
                                              GCancellable              *cancellable,
                                              GAsyncReadyCallback        callback,
                                              gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  CallData *data;

  g_return_if_fail (BOTOMFA_IS_STS_CLIENT (self));
  g_return_if_fail (credentials != NULL);

  data = g_new0 (CallData, 1);
  data->credentials = botomfa_credentials_copy (credentials);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, botomfa_sts_client_get_caller_identity_async);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);
  g_task_run_in_thread (task, get_caller_identity_thread);
}

BotomfaIdentity *
botomfa_sts_client_get_caller_identity_finish (BotomfaStsClient  *self,
                                               GAsyncResult      *result,
                                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        botomfa_sts_client_get_caller_identity_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
