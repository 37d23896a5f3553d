/* botomfa-profile.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-profile"

#include "config.h"

#include <string.h>

#include "botomfa-keyring.h"
#include "botomfa-profile.h"
#include "botomfa-state.h"
#include "botomfa-sts.h"

/* The command line tool also runs where the schema is not installed (from
 * a build tree, over SSH on a server): then it uses the defaults instead of
 * aborting as g_settings_new() would. */
GSettings *
botomfa_profile_get_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return NULL;

  schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    return NULL;

  return g_settings_new_full (schema, NULL, NULL);
}

static char *
env_value (const char *name)
{
  const char *value = g_getenv (name);

  return (value != NULL && *value != '\0') ? g_strdup (value) : NULL;
}

/* The original botomfa: arn:aws:iam::$AWS_ACT_NUM:mfa/$MFA_USER, MFA_USER
 * defaulting to $USER; its later versions call it MFA_DEVICE_NAME. */
char *
botomfa_default_mfa_serial (void)
{
  g_autofree char *account = env_value ("AWS_ACT_NUM");
  g_autofree char *user = NULL;

  if (account == NULL)
    return NULL;

  user = env_value ("MFA_USER");
  if (user == NULL)
    user = env_value ("MFA_DEVICE_NAME");
  if (user == NULL)
    user = env_value ("USER");
  if (user == NULL)
    user = g_strdup (g_get_user_name ());

  return g_strdup_printf ("arn:aws:iam::%s:mfa/%s", g_strstrip (account), user);
}

/* "Enter AWS MFA code for user NAME:" — the device name is what the
 * original showed (it was $MFA_USER). */
char *
botomfa_mfa_user_name (const char *mfa_serial)
{
  const char *slash;

  if (mfa_serial == NULL)
    return g_strdup (g_get_user_name ());

  slash = strrchr (mfa_serial, '/');
  if (g_str_has_prefix (mfa_serial, "arn:") && slash != NULL && slash[1] != '\0')
    return g_strdup (slash + 1);

  return g_strdup (mfa_serial);
}

static char *
string_setting (GSettings  *settings,
                const char *key)
{
  g_autofree char *value = NULL;

  if (settings == NULL)
    return NULL;

  value = g_settings_get_string (settings, key);
  g_strstrip (value);
  return *value ? g_steal_pointer (&value) : NULL;
}

BotomfaProfile *
botomfa_profile_load (const char *name)
{
  g_autoptr(GSettings) settings = NULL;
  BotomfaProfile *self = g_new0 (BotomfaProfile, 1);
  gboolean is_default;
  g_autofree char *boto = NULL;
  g_autofree char *aws_file = NULL;

  self->name = g_strdup (name ? name : BOTOMFA_DEFAULT_PROFILE);
  is_default = g_str_equal (self->name, BOTOMFA_DEFAULT_PROFILE);

  /* The settings describe the default profile. A named profile is the
   * original tool's layout turned sideways: it writes the AWS credentials
   * profile of the same name, and never the single boto [Credentials]. */
  settings = botomfa_profile_get_settings ();

  self->duration = BOTOMFA_STS_DEFAULT_DURATION;
  self->lead_seconds = BOTOMFA_DEFAULT_LEAD_SECONDS;
  self->notifications = TRUE;
  self->write_boto_config = is_default;

  if (settings != NULL)
    {
      g_autoptr(GVariant) user_duration = g_settings_get_user_value (settings, "duration");

      self->duration = g_settings_get_uint (settings, "duration");
      self->duration_is_set = user_duration != NULL;
      self->lead_seconds = 60 * (gint64) g_settings_get_uint (settings, "warning-lead-minutes");
      self->notifications = g_settings_get_boolean (settings, "notifications");
      self->sts_endpoint = string_setting (settings, "sts-endpoint");
      self->sts_region = string_setting (settings, "sts-region");
      boto = string_setting (settings, "boto-config");
      aws_file = string_setting (settings, "aws-credentials-file");
      if (is_default)
        {
          self->mfa_serial = string_setting (settings, "mfa-serial");
          self->write_boto_config = g_settings_get_boolean (settings, "write-boto-config");
          self->aws_profile = string_setting (settings, "aws-profile");
        }
    }

  if (self->mfa_serial == NULL)
    self->mfa_serial = botomfa_default_mfa_serial ();

  if (!is_default)
    self->aws_profile = g_strdup (self->name);

  self->boto_config = boto ? g_steal_pointer (&boto) : botomfa_boto_config_path ();
  self->aws_credentials = aws_file ? g_steal_pointer (&aws_file) : botomfa_aws_credentials_path ();

  return self;
}

void
botomfa_profile_free (BotomfaProfile *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_free (self->mfa_serial);
  g_free (self->boto_config);
  g_free (self->aws_profile);
  g_free (self->aws_credentials);
  g_free (self->sts_endpoint);
  g_free (self->sts_region);
  g_free (self);
}

GPtrArray *
botomfa_profile_get_targets (BotomfaProfile *self)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) botomfa_target_free);

  /* Always in this order: botomfa_targets_write() locks in array order */
  if (self->write_boto_config)
    g_ptr_array_add (targets, botomfa_target_new_boto_config (self->boto_config));
  if (self->aws_profile != NULL)
    g_ptr_array_add (targets, botomfa_target_new_aws_credentials (self->aws_credentials,
                                                                  self->aws_profile));

  return targets;
}

/* The target whose credentials say "how are we doing": the first one. */
BotomfaTarget *
botomfa_profile_get_primary_target (BotomfaProfile *self)
{
  if (self->write_boto_config || self->aws_profile == NULL)
    return botomfa_target_new_boto_config (self->boto_config);

  return botomfa_target_new_aws_credentials (self->aws_credentials, self->aws_profile);
}
