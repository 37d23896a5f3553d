/* botomfa-credentials.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-credentials"

#include "config.h"

#include <string.h>
#include <openssl/crypto.h>

#include "botomfa-credentials.h"

void
botomfa_secure_free (char *secret)
{
  if (secret == NULL)
    return;
  /* OPENSSL_cleanse cannot be optimised away, unlike a memset before free */
  OPENSSL_cleanse (secret, strlen (secret));
  g_free (secret);
}

void
botomfa_secure_clear (char **secret)
{
  botomfa_secure_free (g_steal_pointer (secret));
}

BotomfaCredentials *
botomfa_credentials_new (const char *access_key_id,
                         const char *secret_access_key,
                         const char *session_token,
                         GDateTime  *expiration)
{
  BotomfaCredentials *self = g_new0 (BotomfaCredentials, 1);

  self->access_key_id = g_strdup (access_key_id);
  self->secret_access_key = g_strdup (secret_access_key);
  self->session_token = g_strdup (session_token);
  self->expiration = expiration ? g_date_time_to_utc (expiration) : NULL;

  return self;
}

BotomfaCredentials *
botomfa_credentials_copy (const BotomfaCredentials *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return botomfa_credentials_new (self->access_key_id, self->secret_access_key,
                                  self->session_token, self->expiration);
}

void
botomfa_credentials_free (BotomfaCredentials *self)
{
  if (self == NULL)
    return;

  g_free (self->access_key_id);
  botomfa_secure_free (self->secret_access_key);
  botomfa_secure_free (self->session_token);
  g_clear_pointer (&self->expiration, g_date_time_unref);
  g_free (self);
}

gboolean
botomfa_credentials_equal (const BotomfaCredentials *a,
                           const BotomfaCredentials *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  if (g_strcmp0 (a->access_key_id, b->access_key_id) != 0 ||
      g_strcmp0 (a->secret_access_key, b->secret_access_key) != 0 ||
      g_strcmp0 (a->session_token, b->session_token) != 0)
    return FALSE;

  if (a->expiration == NULL || b->expiration == NULL)
    return a->expiration == b->expiration;

  return g_date_time_compare (a->expiration, b->expiration) == 0;
}

/* IAM user keys start with AKIA; STS-issued temporary keys with ASIA.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids */
gboolean
botomfa_access_key_is_long_term (const char *access_key_id)
{
  return access_key_id != NULL && g_str_has_prefix (access_key_id, "AKIA");
}

gboolean
botomfa_access_key_id_is_valid (const char *access_key_id)
{
  gsize len;

  if (access_key_id == NULL)
    return FALSE;

  len = strlen (access_key_id);
  if (len < 16 || len > 128)
    return FALSE;

  for (const char *p = access_key_id; *p; p++)
    if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p))
      return FALSE;

  return TRUE;
}

gboolean
botomfa_secret_access_key_is_valid (const char *secret)
{
  if (secret == NULL || strlen (secret) < 16)
    return FALSE;

  /* base64-like alphabet; a pasted space or newline is a mistake */
  for (const char *p = secret; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '/' && *p != '+' && *p != '=')
      return FALSE;

  return TRUE;
}

void
botomfa_identity_free (BotomfaIdentity *self)
{
  if (self == NULL)
    return;

  g_free (self->account);
  g_free (self->arn);
  g_free (self->user_id);
  g_free (self);
}

char *
botomfa_format_iso8601 (GDateTime *time)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  utc = g_date_time_to_utc (time);
  /* Not g_date_time_format(): its %Y does not pad years before 1000 to the
   * four digits ISO 8601 wants */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                          g_date_time_get_year (utc), g_date_time_get_month (utc),
                          g_date_time_get_day_of_month (utc), g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc), g_date_time_get_second (utc));
}

GDateTime *
botomfa_parse_iso8601 (const char *text)
{
  g_autoptr(GTimeZone) utc = NULL;
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *stripped = NULL;

  if (text == NULL)
    return NULL;

  stripped = g_strstrip (g_strdup (text));
  utc = g_time_zone_new_utc ();
  /* A timestamp without a zone is taken as UTC, as STS and the tools that
   * write x_security_token_expires mean it. */
  parsed = g_date_time_new_from_iso8601 (stripped, utc);
  if (parsed == NULL)
    return NULL;

  return g_date_time_to_utc (parsed);
}
