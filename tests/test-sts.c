/* test-sts.c — STS response parsing, error mapping, endpoints
 *
 * Every sample body in data/sts (real STS wire captures, AWS documentation
 * examples and assembled errors; see data/sts/SOURCE.md) goes through the
 * same parser the client uses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "botomfa-sts-private.h"

typedef struct
{
  const char *file;
  const char *action;
  long        status;
  int         error_code;      /* -1: success */
  const char *access_key_id;   /* or the ARN for GetCallerIdentity */
  const char *expiration;
  const char *token_prefix;
  const char *token_suffix;
} Sample;

static const Sample samples[] = {
  { "GetSessionTokenResponse.xml", "GetSessionToken", 200, -1, "AKIAIOSFODNN7EXAMPLE",
    "2011-07-11T19:55:29Z", "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/LTo6UDdy",
    "Z3CYWFXG8C5zqx37wnOE49mRl/+OtkIKGO7fAE" },
  { "GetSessionTokenResponse.moto-template.xml", "GetSessionToken", 200, -1, "AKIAIOSFODNN7EXAMPLE",
    "2026-12-03T20:00:00Z", "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT", "AE" },
  { "AssumeRoleResponse.xml", "AssumeRole", 200, -1, "ASIAIOSFODNN7EXAMPLE",
    "2019-11-09T13:34:41Z", "AQoDYXdz", NULL },
  { "AssumeRoleResponse.smithy-rs-recorded.xml", "AssumeRole", 200, -1, "ASIARTESTID",
    "2021-08-05T19:58:02Z", "TESTSESSIONTOKEN", "TESTSESSIONTOKEN" },
  { "AssumeRoleResponse.moto-template.xml", "AssumeRole", 200, -1, "ASIATEMPLATEKEY00000",
    "2026-12-03T20:00:00Z", "TEMPLATETOKEN", "TEMPLATETOKEN" },
  { "GetCallerIdentityResponse.xml", "GetCallerIdentity", 200, -1,
    "arn:aws:iam::123456789012:user/Alice", NULL, NULL, NULL },
  { "GetCallerIdentityResponse.botocore-functional-no-namespace.xml", "GetCallerIdentity", 200, -1,
    "arn:aws:iam::123456789012:user/myuser", NULL, NULL, NULL },
  { "GetCallerIdentityResponse.moto-template.xml", "GetCallerIdentity", 200, -1,
    "arn:aws:iam::123456789012:user/template", NULL, NULL, NULL },
  { "ErrorResponse-AccessDenied-invalid-MFA-code.assembled.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_INVALID_MFA_CODE },
  { "ErrorResponse-AccessDenied-MFA-serial-not-valid.assembled.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE },
  { "ErrorResponse-AccessDenied-MFA-unable-to-validate.botocore.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE },
  { "ErrorResponse-AccessDenied-GetCallerIdentity.xml", "GetCallerIdentity", 403,
    BOTOMFA_STS_ERROR_ACCESS_DENIED },
  { "ErrorResponse-InvalidClientTokenId.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_INVALID_KEY_ID },
  { "ErrorResponse-InvalidClientTokenId.aws-sdk-go-base-mock.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_INVALID_KEY_ID },
  { "ErrorResponse-ExpiredToken.assembled.xml", "GetCallerIdentity", 403,
    BOTOMFA_STS_ERROR_EXPIRED_TOKEN },
  { "ErrorResponse-ExpiredToken.iam-verbatim.xml", "GetCallerIdentity", 403,
    BOTOMFA_STS_ERROR_EXPIRED_TOKEN },
  { "ErrorResponse-ExpiredTokenException-AssumeRoleWithWebIdentity.xml", "GetCallerIdentity", 400,
    BOTOMFA_STS_ERROR_EXPIRED_TOKEN },
  { "ErrorResponse-SignatureDoesNotMatch.assembled.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_WRONG_SECRET },
  { "ErrorResponse-SignatureDoesNotMatch-SignatureExpired.assembled.xml", "GetSessionToken", 403,
    BOTOMFA_STS_ERROR_CLOCK_SKEW },
  { "ErrorResponse-SignatureDoesNotMatch-SignatureNotYetCurrent.assembled.xml", "GetSessionToken",
    403, BOTOMFA_STS_ERROR_CLOCK_SKEW },
  { "ErrorResponse-Throttling.xml", "GetSessionToken", 400, BOTOMFA_STS_ERROR_THROTTLED },
  { "ErrorResponse-InvalidIdentityToken.smithy-rs-recorded.xml", "GetSessionToken", 400,
    BOTOMFA_STS_ERROR_INVALID_REQUEST },
};

/* moto's templates carry Jinja placeholders: fill them as moto would */
static char *
fill_template (const char *body)
{
  static const char * const values[][2] = {
    { "{{ token.expiration_ISO8601 }}", "2026-12-03T20:00:00.000Z" },
    { "{{ role.expiration_ISO8601 }}", "2026-12-03T20:00:00Z" },
    { "{{ role.session_token }}", "TEMPLATETOKEN" },
    { "{{ role.secret_access_key }}", "TEMPLATESECRETKEY0000000000000000000000000" },
    { "{{ role.access_key_id }}", "ASIATEMPLATEKEY00000" },
    { "{{ role.arn }}", "arn:aws:sts::123456789012:assumed-role/r/s" },
    { "{{ role.user_id }}", "AROATEMPLATE:s" },
    { "{{ arn }}", "arn:aws:iam::123456789012:user/template" },
    { "{{ user_id }}", "AIDATEMPLATE" },
    { "{{ account_id }}", "123456789012" },
  };
  g_autoptr(GString) out = g_string_new (body);

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_string_replace (out, values[i][0], values[i][1], 0);

  g_assert_null (strstr (out->str, "{{"));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
load_sample (const char *name,
             gsize      *length)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "sts", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);

  if (strstr (name, "template") != NULL)
    {
      char *filled = fill_template (contents);
      g_free (contents);
      contents = filled;
      *length = strlen (contents);
    }

  return contents;
}

static void
test_sample (gconstpointer data)
{
  const Sample *sample = data;
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 3, 12, 0, 0);
  BotomfaStsResult result;
  gsize length;
  gboolean ok;

  body = load_sample (sample->file, &length);
  ok = _botomfa_sts_parse_response (sample->action, sample->status, "text/xml", body, length,
                                    NULL, now, FALSE, &result, &error);

  if (sample->error_code >= 0)
    {
      g_assert_false (ok);
      g_assert_error (error, BOTOMFA_STS_ERROR, sample->error_code);
      /* A sentence for people, never the XML */
      g_assert_null (strchr (error->message, '<'));
      g_assert_null (result.credentials);
      g_assert_null (result.identity);
      return;
    }

  g_assert_no_error (error);
  g_assert_true (ok);

  if (g_str_equal (sample->action, "GetCallerIdentity"))
    {
      g_assert_nonnull (result.identity);
      g_assert_cmpstr (result.identity->arn, ==, sample->access_key_id);
      g_assert_cmpstr (result.identity->account, ==, "123456789012");
    }
  else
    {
      g_autofree char *expiration = NULL;
      const char *token;

      g_assert_nonnull (result.credentials);
      g_assert_cmpstr (result.credentials->access_key_id, ==, sample->access_key_id);
      expiration = botomfa_format_iso8601 (result.credentials->expiration);
      g_assert_cmpstr (expiration, ==, sample->expiration);
      token = result.credentials->session_token;
      /* A token wrapped over lines in the sample is one token without
       * whitespace: it goes into an HTTP header and an INI value */
      g_assert_true (g_str_has_prefix (token, sample->token_prefix));
      if (sample->token_suffix != NULL)
        g_assert_true (g_str_has_suffix (token, sample->token_suffix));
      for (const char *p = token; *p; p++)
        g_assert_false (g_ascii_isspace (*p));
      g_assert_cmpuint (strlen (result.credentials->secret_access_key), >=, 13);
    }

  _botomfa_sts_result_clear (&result);
}

static void
test_wrapped_token_exact (void)
{
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  BotomfaStsResult result;
  gsize length;

  body = load_sample ("GetSessionTokenResponse.xml", &length);
  g_assert_true (_botomfa_sts_parse_response ("GetSessionToken", 200, "text/xml", body, length,
                                              NULL, NULL, FALSE, &result, &error));
  g_assert_cmpstr (result.credentials->session_token, ==,
                   "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/L"
                   "To6UDdyJwOOvEVPvLXCrrrUtdnniCEXAMPLE/IvU1dYUg2RVAJBanLiHb4IgRmpRV3z"
                   "rkuWJOgQs8IZZaIv2BXIa2R4OlgkBN9bkUDNCJiBeb/AXlzBBko7b15fjrBs2+cTQtp"
                   "Z3CYWFXG8C5zqx37wnOE49mRl/+OtkIKGO7fAE");
  g_assert_cmpstr (result.credentials->secret_access_key, ==,
                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  _botomfa_sts_result_clear (&result);
}

static void
assert_parse_error (const char *body,
                    long        status,
                    const char *content_type,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  BotomfaStsResult result;

  g_assert_false (_botomfa_sts_parse_response ("GetSessionToken", status, content_type, body,
                                               strlen (body), NULL, NULL, FALSE, &result, &error));
  g_assert_error (error, BOTOMFA_STS_ERROR, code);
  g_assert_null (strchr (error->message, '<'));
}

static void
test_bad_responses (void)
{
  g_autofree char *good = NULL;
  g_autofree char *truncated = NULL;
  gsize length;

  good = load_sample ("GetSessionTokenResponse.xml", &length);
  truncated = g_strndup (good, length / 2);

  assert_parse_error ("", 503, "text/xml", BOTOMFA_STS_ERROR_SERVER);
  assert_parse_error ("", 500, NULL, BOTOMFA_STS_ERROR_SERVER);
  assert_parse_error ("", 200, "text/xml", BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  assert_parse_error (truncated, 200, "text/xml", BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  assert_parse_error ("<html><body>Log in to the hotel Wi-Fi</body></html>", 200, "text/html",
                      BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  assert_parse_error (good, 200, "text/html", BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  assert_parse_error ("<GetSessionTokenResponse><<<", 200, "text/xml",
                      BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  assert_parse_error ("", 302, NULL, BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  /* the right envelope for another action is not an answer to ours */
  assert_parse_error ("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn>"
                      "<Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
                      200, "text/xml", BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
  /* credentials without a token are not temporary credentials */
  assert_parse_error ("<GetSessionTokenResponse><GetSessionTokenResult><Credentials>"
                      "<AccessKeyId>ASIAXXXXXXXXXXXXXXXX</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                      "<Expiration>2026-01-01T00:00:00Z</Expiration></Credentials>"
                      "</GetSessionTokenResult></GetSessionTokenResponse>",
                      200, "text/xml", BOTOMFA_STS_ERROR_MALFORMED_RESPONSE);
}

static void
test_server_message_plain (void)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GString) long_message = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) long_error = NULL;
  BotomfaStsResult result;

  /* An entity decodes to '<'; line breaks, tabs and runs of spaces collapse */
  g_string_assign (body, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>\n"
                         "  User &#x3C;alice&gt; is not\tallowed\r\n   to call\x01 this.  \n"
                         "</Message></Error></ErrorResponse>");
  g_assert_false (_botomfa_sts_parse_response ("GetSessionToken", 403, "text/xml", body->str,
                                               body->len, NULL, NULL, FALSE, &result, &error));
  g_assert_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_ACCESS_DENIED);
  g_assert_cmpstr (error->message, ==,
                   "AWS denied the request: User \u2039alice\u203a is not allowed to call this.");

  /* A server cannot fill the user's screen */
  for (guint i = 0; i < 100; i++)
    g_string_append (long_message, "blah ");
  g_string_printf (body, "<ErrorResponse><Error><Code>Odd</Code><Message>%s</Message></Error>"
                         "</ErrorResponse>", long_message->str);
  g_assert_false (_botomfa_sts_parse_response ("GetSessionToken", 400, "text/xml", body->str,
                                               body->len, NULL, NULL, FALSE, &result, &long_error));
  g_assert_error (long_error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_REQUEST);
  g_assert_true (g_str_has_suffix (long_error->message, "\u2026"));
  g_assert_cmpuint (g_utf8_strlen (long_error->message, -1), <, 300 + 40);
  g_assert_cmpuint (g_utf8_strlen (long_error->message, -1), >, 300);
}

static void
test_clock_skew_from_date_header (void)
{
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) local_now = g_date_time_new_utc (2022, 1, 27, 0, 14, 27);
  BotomfaStsResult result;
  gsize length;

  body = load_sample ("ErrorResponse-SignatureDoesNotMatch-SignatureExpired.assembled.xml", &length);
  /* the server's clock is 1 h 45 min ahead of ours */
  g_assert_false (_botomfa_sts_parse_response ("GetSessionToken", 403, "text/xml", body, length,
                                               "Thu, 27 Jan 2022 01:59:28 GMT", local_now, FALSE,
                                               &result, &error));
  g_assert_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW);
  g_assert_nonnull (strstr (error->message, "105 minutes behind"));
}

static void
test_clock_skew_from_message (void)
{
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  /* "Signature not yet current: 20210112T194419Z is still later than
   * 20210112T072625Z (20210112T071125Z + 15 min.)": we are 12.5 h ahead */
  g_autoptr(GDateTime) local_now = g_date_time_new_utc (2021, 1, 12, 19, 44, 19);
  BotomfaStsResult result;
  gsize length;

  body = load_sample ("ErrorResponse-SignatureDoesNotMatch-SignatureNotYetCurrent.assembled.xml",
                      &length);
  g_assert_false (_botomfa_sts_parse_response ("GetSessionToken", 403, "text/xml", body, length,
                                               NULL, local_now, FALSE, &result, &error));
  g_assert_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW);
  g_assert_nonnull (strstr (error->message, "13 hours ahead"));
}

static void
test_invalid_token_with_session (void)
{
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  BotomfaStsResult result;
  gsize length;

  body = load_sample ("ErrorResponse-InvalidClientTokenId.xml", &length);
  g_assert_false (_botomfa_sts_parse_response ("GetCallerIdentity", 403, "text/xml", body, length,
                                               NULL, NULL, TRUE, &result, &error));
  g_assert_error (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_KEY_ID);
  g_assert_nonnull (strstr (error->message, "temporary credentials"));
}

typedef struct
{
  const char *env_sts;
  const char *env_all;
  const char *setting;
  const char *region_setting;
  const char *endpoint;
  const char *region;
} EndpointCase;

static const EndpointCase endpoint_cases[] = {
  { NULL, NULL, NULL, NULL, "https://sts.amazonaws.com", "us-east-1" },
  { NULL, NULL, NULL, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1" },
  { NULL, NULL, "https://sts.ap-south-2.amazonaws.com", NULL, "https://sts.ap-south-2.amazonaws.com", "ap-south-2" },
  { NULL, "http://127.0.0.1:9999", "https://sts.eu-west-1.amazonaws.com", NULL, "http://127.0.0.1:9999", "us-east-1" },
  { "http://localhost:1", "http://127.0.0.1:9999", NULL, NULL, "http://localhost:1", "us-east-1" },
  { "https://sts.cn-north-1.amazonaws.com.cn", NULL, NULL, NULL, "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1" },
  { "https://vpce-1234.sts.us-west-2.vpce.amazonaws.com", NULL, NULL, "us-west-2", "https://vpce-1234.sts.us-west-2.vpce.amazonaws.com", "us-west-2" },
};

static void
test_endpoint (gconstpointer data)
{
  const EndpointCase *c = data;
  g_autofree char *endpoint = NULL;
  g_autofree char *region = NULL;

  g_unsetenv ("AWS_REGION");
  g_unsetenv ("AWS_DEFAULT_REGION");
  if (c->env_sts)
    g_setenv ("AWS_ENDPOINT_URL_STS", c->env_sts, TRUE);
  else
    g_unsetenv ("AWS_ENDPOINT_URL_STS");
  if (c->env_all)
    g_setenv ("AWS_ENDPOINT_URL", c->env_all, TRUE);
  else
    g_unsetenv ("AWS_ENDPOINT_URL");

  _botomfa_sts_resolve_endpoint (c->setting, c->region_setting, &endpoint, &region);
  g_assert_cmpstr (endpoint, ==, c->endpoint);
  g_assert_cmpstr (region, ==, c->region);
}

static void
test_mfa_code (void)
{
  char code[7];

  g_assert_true (botomfa_mfa_code_normalize ("123456", code));
  g_assert_cmpstr (code, ==, "123456");
  g_assert_true (botomfa_mfa_code_normalize (" 123 456\n", code));
  g_assert_cmpstr (code, ==, "123456");
  g_assert_false (botomfa_mfa_code_normalize ("12345", code));
  g_assert_false (botomfa_mfa_code_normalize ("1234567", code));
  g_assert_false (botomfa_mfa_code_normalize ("12345a", code));
  g_assert_false (botomfa_mfa_code_normalize ("", code));
  g_assert_false (botomfa_mfa_code_normalize (NULL, code));
}

static void
test_form_encode (void)
{
  g_autofree char *a = _botomfa_sts_form_encode ("arn:aws:iam::123456789012:mfa/alice");
  g_autofree char *b = _botomfa_sts_form_encode ("a b+c~d_e.f-g");

  g_assert_cmpstr (a, ==, "arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice");
  g_assert_cmpstr (b, ==, "a%20b%2Bc~d_e.f-g");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *path = g_strdup_printf ("/botomfa/sts/sample/%s", samples[i].file);
      g_test_add_data_func (path, &samples[i], test_sample);
    }
  g_test_add_func ("/botomfa/sts/wrapped-token", test_wrapped_token_exact);
  g_test_add_func ("/botomfa/sts/bad-responses", test_bad_responses);
  g_test_add_func ("/botomfa/sts/server-message-plain", test_server_message_plain);
  g_test_add_func ("/botomfa/sts/clock-skew/date-header", test_clock_skew_from_date_header);
  g_test_add_func ("/botomfa/sts/clock-skew/message", test_clock_skew_from_message);
  g_test_add_func ("/botomfa/sts/invalid-session-token", test_invalid_token_with_session);
  for (guint i = 0; i < G_N_ELEMENTS (endpoint_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/botomfa/sts/endpoint/%u", i);
      g_test_add_data_func (path, &endpoint_cases[i], test_endpoint);
    }
  g_test_add_func ("/botomfa/sts/mfa-code", test_mfa_code);
  g_test_add_func ("/botomfa/sts/form-encode", test_form_encode);

  return g_test_run ();
}
