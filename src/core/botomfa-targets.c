/* botomfa-targets.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-targets"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>

#include "botomfa-file.h"
#include "botomfa-ini.h"
#include "botomfa-targets.h"

G_DEFINE_QUARK (botomfa-target-error-quark, botomfa_target_error)

/* The keys we own. Everything else in the user's files is theirs. */
#define KEY_ID      "aws_access_key_id"
#define KEY_SECRET  "aws_secret_access_key"
#define KEY_TOKEN   "aws_security_token"   /* the only name boto 2 reads */
#define KEY_SESSION "aws_session_token"    /* what boto3 and the CLI document */
#define KEY_EXPIRES "x_security_token_expires"

static char *
path_from_env (const char *variable,
               const char *fallback)
{
  const char *value = g_getenv (variable);

  if (value != NULL && *value != '\0')
    {
      /* boto and botocore expand a leading ~ in these variables */
      if (value[0] == '~' && (value[1] == '/' || value[1] == '\0'))
        return g_build_filename (g_get_home_dir (), value + 1, NULL);
      return g_strdup (value);
    }

  return g_build_filename (g_get_home_dir (), fallback, NULL);
}

char *
botomfa_boto_config_path (void)
{
  return path_from_env ("BOTO_CONFIG", ".boto");
}

char *
botomfa_aws_credentials_path (void)
{
  return path_from_env ("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
}

BotomfaTarget *
botomfa_target_new (BotomfaTargetKind  kind,
                    const char        *path,
                    const char        *section)
{
  BotomfaTarget *self = g_new0 (BotomfaTarget, 1);

  self->kind = kind;
  self->path = g_strdup (path);
  self->section = g_strdup (section);

  return self;
}

BotomfaTarget *
botomfa_target_new_boto_config (const char *path)
{
  g_autofree char *default_path = path ? NULL : botomfa_boto_config_path ();

  return botomfa_target_new (BOTOMFA_TARGET_BOTO_CONFIG, path ? path : default_path,
                             BOTOMFA_BOTO_SECTION);
}

BotomfaTarget *
botomfa_target_new_aws_credentials (const char *path,
                                    const char *profile)
{
  g_autofree char *default_path = path ? NULL : botomfa_aws_credentials_path ();

  return botomfa_target_new (BOTOMFA_TARGET_AWS_CREDENTIALS, path ? path : default_path,
                             profile ? profile : "default");
}

void
botomfa_target_free (BotomfaTarget *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_free (self->section);
  g_free (self);
}

char *
botomfa_target_describe (const BotomfaTarget *self)
{
  g_autofree char *display = g_filename_display_name (self->path);

  /* Translators: "[Credentials] in /home/alice/.boto" */
  return g_strdup_printf (_("[%s] in %s"), self->section, display);
}

/* Reads and parses a file; a missing file is an empty document. */
static BotomfaIni *
load_ini (const char  *path,
          GError     **error)
{
  g_autofree char *display = g_filename_display_name (path);
  char *contents = NULL;
  gsize length = 0;
  gboolean exists = FALSE;
  BotomfaIni *ini;

  if (!botomfa_file_read (path, &contents, &length, &exists, error))
    return NULL;

  ini = botomfa_ini_new_from_data (contents, length, display, error);
  OPENSSL_cleanse (contents, length);
  g_free (contents);

  return ini;
}

static gboolean
save_ini (const char  *path,
          BotomfaIni  *ini,
          GError     **error)
{
  gsize length = 0;
  char *data = botomfa_ini_to_data (ini, &length);
  gboolean ret;

  /* Every caller holds the file's lock here */
  botomfa_file_sweep_temporaries (path);
  ret = botomfa_file_replace (path, data, length, error);
  OPENSSL_cleanse (data, length);
  g_free (data);

  return ret;
}

static BotomfaCredentials *
credentials_from_section (BotomfaIni *ini,
                          const char *section)
{
  g_autofree char *key_id = NULL;
  g_autoptr(BotomfaSecret) secret = NULL;
  g_autoptr(BotomfaSecret) token = NULL;
  g_autofree char *expires = NULL;
  g_autoptr(GDateTime) expiration = NULL;

  if (!botomfa_ini_has_section (ini, section))
    return NULL;

  key_id = botomfa_ini_get (ini, section, KEY_ID);
  secret = botomfa_ini_get (ini, section, KEY_SECRET);
  if (key_id == NULL || *key_id == '\0' || secret == NULL || *secret == '\0')
    return NULL;

  /* botocore prefers aws_security_token when both are present; do the same
   * so we report what the tools will use */
  token = botomfa_ini_get (ini, section, KEY_TOKEN);
  if (token == NULL || *token == '\0')
    {
      botomfa_secure_clear (&token);
      token = botomfa_ini_get (ini, section, KEY_SESSION);
    }
  if (token != NULL && *token == '\0')
    botomfa_secure_clear (&token);

  expires = botomfa_ini_get (ini, section, KEY_EXPIRES);
  expiration = botomfa_parse_iso8601 (expires);

  return botomfa_credentials_new (key_id, secret, token, expiration);
}

BotomfaCredentials *
botomfa_target_read (const BotomfaTarget  *self,
                     GError              **error)
{
  g_autoptr(BotomfaIni) ini = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  ini = load_ini (self->path, error);
  if (ini == NULL)
    return NULL;

  return credentials_from_section (ini, self->section);
}

/* A section that holds an IAM user's own keys is not ours to replace:
 * overwriting it would destroy the only copy of a long-term secret. An
 * AKIA key beside a token is a stale example, not a key pair in use. */
static gboolean
check_writable (const BotomfaTarget  *target,
                BotomfaIni           *ini,
                GError              **error)
{
  g_autofree char *existing = botomfa_ini_get (ini, target->section, KEY_ID);
  g_autoptr(BotomfaSecret) token = botomfa_ini_get (ini, target->section, KEY_TOKEN);
  g_autoptr(BotomfaSecret) session = botomfa_ini_get (ini, target->section, KEY_SESSION);

  if (botomfa_access_key_is_long_term (existing) &&
      (token == NULL || *token == '\0') && (session == NULL || *session == '\0'))
    {
      g_autofree char *display = g_filename_display_name (target->path);
      g_set_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_LONG_TERM_PROFILE,
                   _("[%s] in %s holds long-term keys (%s…); botomfa will not overwrite them. "
                     "Store them in the keyring with “botomfa --set-long-term” and remove them "
                     "from the file, or choose another profile for the temporary credentials."),
                   target->section, display, "AKIA");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_not_empty (GPtrArray  *targets,
                 GError    **error)
{
  if (targets->len > 0)
    return TRUE;

  g_set_error_literal (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_TARGET,
                       _("botomfa is set to write the temporary credentials nowhere. Turn on "
                         "writing the boto config, or name an AWS credentials profile."));
  return FALSE;
}

gboolean
botomfa_targets_check (GPtrArray  *targets,
                       GError    **error)
{
  g_return_val_if_fail (targets != NULL, FALSE);

  if (!check_not_empty (targets, error))
    return FALSE;

  for (guint i = 0; i < targets->len; i++)
    {
      const BotomfaTarget *target = g_ptr_array_index (targets, i);
      g_autoptr(BotomfaIni) ini = load_ini (target->path, error);

      if (ini == NULL || !check_writable (target, ini, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
apply_credentials (const BotomfaTarget       *target,
                   BotomfaIni                *ini,
                   const BotomfaCredentials  *credentials,
                   GError                   **error)
{
  g_autofree char *expires = NULL;

  if (!check_writable (target, ini, error))
    return FALSE;

  botomfa_ini_set (ini, target->section, KEY_ID, credentials->access_key_id);
  botomfa_ini_set (ini, target->section, KEY_SECRET, credentials->secret_access_key);

  if (target->kind == BOTOMFA_TARGET_AWS_CREDENTIALS)
    {
      /* botocore reads aws_security_token before aws_session_token: write
       * both, or a stale one would shadow the new token */
      botomfa_ini_set (ini, target->section, KEY_SESSION, credentials->session_token);
      botomfa_ini_set (ini, target->section, KEY_TOKEN, credentials->session_token);
    }
  else
    {
      botomfa_ini_set (ini, target->section, KEY_TOKEN, credentials->session_token);
    }

  if (credentials->expiration != NULL)
    {
      expires = botomfa_format_iso8601 (credentials->expiration);
      botomfa_ini_set (ini, target->section, KEY_EXPIRES, expires);
    }
  else
    {
      botomfa_ini_remove_key (ini, target->section, KEY_EXPIRES);
    }

  return TRUE;
}

typedef struct
{
  const BotomfaTarget *target;
  char                *real_path;  /* canonical: two names, one file */
  BotomfaFileLock     *lock;
  BotomfaIni          *ini;
  gboolean             shared;     /* the file of an earlier target */
} PendingWrite;

static void
pending_write_clear (PendingWrite *pending)
{
  if (!pending->shared)
    {
      g_clear_pointer (&pending->ini, botomfa_ini_free);
      g_clear_pointer (&pending->lock, botomfa_file_unlock);
    }
  g_clear_pointer (&pending->real_path, g_free);
}

gboolean
botomfa_targets_write (GPtrArray                 *targets,
                       const BotomfaCredentials  *credentials,
                       GError                   **error)
{
  g_autofree PendingWrite *pending = NULL;
  gboolean ret = FALSE;
  guint i;

  g_return_val_if_fail (targets != NULL, FALSE);
  g_return_val_if_fail (credentials != NULL && credentials->session_token != NULL, FALSE);

  if (!check_not_empty (targets, error))
    return FALSE;

  pending = g_new0 (PendingWrite, targets->len);

  /* Phase 1: lock, read, parse and edit every file in memory. Any refusal
   * here (a file we cannot parse, a long-term profile) leaves all of them
   * as they were. Locks are taken in the given order; every caller uses
   * the same order (boto config first), so two writers cannot deadlock. */
  for (i = 0; i < targets->len; i++)
    {
      const BotomfaTarget *target = g_ptr_array_index (targets, i);

      pending[i].target = target;
      pending[i].real_path = botomfa_file_canonical (target->path);
      /* The same file once more: a second lock of our own would wait for
       * ever, and two saves would each drop the other's edit */
      for (guint j = 0; j < i && pending[i].real_path != NULL; j++)
        if (g_strcmp0 (pending[j].real_path, pending[i].real_path) == 0)
          {
            pending[i].shared = TRUE;
            pending[i].lock = pending[j].lock;
            pending[i].ini = pending[j].ini;
            break;
          }

      if (!pending[i].shared)
        {
          pending[i].lock = botomfa_file_lock (target->path, error);
          if (pending[i].lock == NULL)
            goto out;

          pending[i].ini = load_ini (target->path, error);
          if (pending[i].ini == NULL)
            goto out;
        }

      if (!apply_credentials (target, pending[i].ini, credentials, error))
        goto out;
    }

  /* Phase 2: replace each file atomically. */
  for (i = 0; i < targets->len; i++)
    if (!pending[i].shared && !save_ini (pending[i].target->path, pending[i].ini, error))
      goto out;

  ret = TRUE;

out:
  for (i = 0; i < targets->len; i++)
    pending_write_clear (&pending[i]);

  return ret;
}

BotomfaCredentials *
botomfa_boto_config_read_long_term (const char  *path,
                                    GError     **error)
{
  g_autoptr(BotomfaIni) ini = load_ini (path, error);
  BotomfaCredentials *credentials;

  if (ini == NULL)
    return NULL;

  credentials = credentials_from_section (ini, BOTOMFA_LONG_TERM_SECTION);
  if (credentials == NULL)
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_LONG_TERM,
                   _("%s has no [%s] section with aws_access_key_id and aws_secret_access_key."),
                   display, BOTOMFA_LONG_TERM_SECTION);
      return NULL;
    }

  /* Long-term keys have no token or expiry, whatever the section says */
  botomfa_secure_clear (&credentials->session_token);
  g_clear_pointer (&credentials->expiration, g_date_time_unref);

  return credentials;
}

gboolean
botomfa_boto_config_remove_long_term (const char  *path,
                                      const char  *expected_key_id,
                                      GError     **error)
{
  g_autoptr(BotomfaFileLock) lock = NULL;
  g_autoptr(BotomfaIni) ini = NULL;
  g_autofree char *key_id = NULL;

  lock = botomfa_file_lock (path, error);
  if (lock == NULL)
    return FALSE;

  ini = load_ini (path, error);
  if (ini == NULL)
    return FALSE;

  /* Someone may have edited the file since we read it: only remove the
   * section that holds the key we stored */
  key_id = botomfa_ini_get (ini, BOTOMFA_LONG_TERM_SECTION, KEY_ID);
  if (g_strcmp0 (key_id, expected_key_id) != 0)
    {
      g_autofree char *display = g_filename_display_name (path);
      g_set_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_LONG_TERM,
                   _("The [%s] section of %s changed while it was being imported; it was left "
                     "as it is."), BOTOMFA_LONG_TERM_SECTION, display);
      return FALSE;
    }

  botomfa_ini_remove_section (ini, BOTOMFA_LONG_TERM_SECTION);
  return save_ini (path, ini, error);
}

gboolean
botomfa_boto_config_write_long_term (const char                *path,
                                     const BotomfaCredentials  *credentials,
                                     GError                   **error)
{
  g_autoptr(BotomfaFileLock) lock = NULL;
  g_autoptr(BotomfaIni) ini = NULL;

  lock = botomfa_file_lock (path, error);
  if (lock == NULL)
    return FALSE;

  ini = load_ini (path, error);
  if (ini == NULL)
    return FALSE;

  botomfa_ini_set (ini, BOTOMFA_LONG_TERM_SECTION, KEY_ID, credentials->access_key_id);
  botomfa_ini_set (ini, BOTOMFA_LONG_TERM_SECTION, KEY_SECRET, credentials->secret_access_key);

  return save_ini (path, ini, error);
}
