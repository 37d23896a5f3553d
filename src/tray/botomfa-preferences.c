/* botomfa-preferences.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "botomfa-autostart.h"
#include "botomfa-credentials.h"
#include "botomfa-preferences.h"
#include "botomfa-sts.h"
#include "botomfa-targets.h"

struct _BotomfaPreferences
{
  GtkDialog        parent_instance;

  BotomfaSession  *session;
  GSettings       *settings;
  GCancellable    *cancellable;

  GtkLabel        *key_status_label;
  GtkWidget       *import_box;
  GtkLabel        *import_label;
  GtkWidget       *import_button;
  GtkEntry        *key_id_entry;
  GtkEntry        *secret_entry;
  GtkWidget       *store_button;
  GtkSpinner      *store_spinner;
  GtkLabel        *store_message_label;
  GtkEntry        *mfa_entry;
  GtkComboBoxText *duration_combo;
  GtkSpinButton   *lead_spin;
  GtkSwitch       *notifications_switch;
  GtkSwitch       *autostart_switch;
  GtkSwitch       *boto_switch;
  GtkEntry        *boto_entry;
  GtkEntry        *aws_profile_entry;
  GtkEntry        *aws_file_entry;
  GtkEntry        *region_entry;
  GtkEntry        *endpoint_entry;
};

G_DEFINE_FINAL_TYPE (BotomfaPreferences, botomfa_preferences, GTK_TYPE_DIALOG)

static void
set_message (BotomfaPreferences *self,
             const char         *message,
             gboolean            is_error)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self->store_message_label));

  gtk_label_set_text (self->store_message_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->store_message_label), message != NULL);
  if (is_error)
    gtk_style_context_add_class (context, "error");
  else
    gtk_style_context_remove_class (context, "error");
}

static void
update_key_status (BotomfaPreferences *self)
{
  const char *key_id = botomfa_session_get_long_term_key_id (self->session);
  BotomfaProfile *profile = botomfa_session_get_profile (self->session);
  gboolean has_section = botomfa_session_has_long_term_section (self->session);

  if (key_id != NULL)
    {
      g_autofree char *text = NULL;

      if (has_section)
        /* Translators: %s is an access key id */
        text = g_strdup_printf (_("The key %s is read from the boto config, unencrypted."), key_id);
      else
        text = g_strdup_printf (_("The key %s is stored in the keyring. Enter another below to "
                                  "replace it."), key_id);
      gtk_label_set_text (self->key_status_label, text);
    }
  else
    {
      gtk_label_set_text (self->key_status_label,
                          _("Enter your IAM user’s access key. It is checked with AWS and kept "
                            "in the keyring, never in a file."));
    }

  gtk_widget_set_visible (self->import_box, has_section);
  if (has_section)
    {
      g_autofree char *text =
        g_strdup_printf (_("%s has a [long-term] section, as the original botomfa used. Move the "
                           "key into the keyring and remove it from the file?"),
                         profile->boto_config);
      gtk_label_set_text (self->import_label, text);
    }
}

static void
on_key_changed (BotomfaPreferences *self)
{
  const char *key_id = gtk_entry_get_text (self->key_id_entry);
  const char *secret = gtk_entry_get_text (self->secret_entry);

  gtk_widget_set_sensitive (self->store_button,
                            self->cancellable == NULL &&
                            botomfa_access_key_id_is_valid (key_id) &&
                            botomfa_secret_access_key_is_valid (secret));
}

static void
set_busy (BotomfaPreferences *self,
          gboolean            busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->store_spinner), busy);
  if (busy)
    gtk_spinner_start (self->store_spinner);
  else
    gtk_spinner_stop (self->store_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_id_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->secret_entry), !busy);
  gtk_widget_set_sensitive (self->import_button, !busy);
  on_key_changed (self);
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(BotomfaPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *arn = NULL;

  arn = botomfa_session_store_key_finish (BOTOMFA_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);

  if (arn == NULL)
    {
      set_busy (self, FALSE);
      set_message (self, error->message, TRUE);
      /* Back to the field to correct, its text selected: the entries lost
       * the focus while they were insensitive */
      if (g_error_matches (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_KEY_ID))
        gtk_widget_grab_focus (GTK_WIDGET (self->key_id_entry));
      else
        gtk_widget_grab_focus (GTK_WIDGET (self->secret_entry));
      return;
    }

  {
    /* Translators: %s is an IAM ARN */
    g_autofree char *text = g_strdup_printf (_("Stored. The key belongs to %s."), arn);
    set_message (self, text, FALSE);
  }
  gtk_entry_set_text (self->secret_entry, "");
  gtk_entry_set_text (self->key_id_entry, "");
  set_busy (self, FALSE);
}

static void
on_store_clicked (BotomfaPreferences *self)
{
  g_autofree char *key_id = NULL;
  g_autoptr(BotomfaSecret) secret = NULL;

  if (self->cancellable != NULL || !gtk_widget_get_sensitive (self->store_button))
    return;

  key_id = g_strstrip (g_strdup (gtk_entry_get_text (self->key_id_entry)));
  secret = g_strstrip (g_strdup (gtk_entry_get_text (self->secret_entry)));

  if (!botomfa_access_key_is_long_term (key_id))
    {
      set_message (self, _("That is a temporary key (ASIA…). Enter your IAM user’s own key, which "
                           "starts with AKIA."), TRUE);
      return;
    }

  self->cancellable = g_cancellable_new ();
  set_message (self, _("Checking the key with AWS…"), FALSE);
  set_busy (self, TRUE);
  botomfa_session_store_key_async (self->session, key_id, secret, self->cancellable, on_stored,
                                   g_object_ref (self));
}

static void
on_imported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(BotomfaPreferences) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_id = NULL;

  key_id = botomfa_session_import_finish (BOTOMFA_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);

  if (key_id == NULL)
    {
      set_message (self, error->message, TRUE);
      return;
    }

  {
    g_autofree char *text = g_strdup_printf (_("The key %s is now in the keyring."), key_id);
    set_message (self, text, FALSE);
  }
}

static void
on_import_clicked (BotomfaPreferences *self)
{
  if (self->cancellable != NULL)
    return;

  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  botomfa_session_import_async (self->session, self->cancellable, on_imported, g_object_ref (self));
}

static void
on_autostart_set (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(BotomfaPreferences) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!botomfa_autostart_set_finish (result, &error))
    {
      g_warning ("Could not change starting at login: %s", error->message);
    }

  /* Show what is true now, whatever was asked */
  g_signal_handlers_block_matched (self->autostart_switch, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_switch_set_active (self->autostart_switch, botomfa_autostart_is_enabled ());
  g_signal_handlers_unblock_matched (self->autostart_switch, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
}

static gboolean
on_autostart_state_set (GtkSwitch          *widget,
                        gboolean            state,
                        BotomfaPreferences *self)
{
  botomfa_autostart_set_async (state, NULL, on_autostart_set, g_object_ref (self));
  return FALSE;
}

/* GSettings holds the duration as a number; the combo box speaks ids */
static gboolean
duration_to_id (GValue   *value,
                GVariant *variant,
                gpointer  user_data)
{
  g_value_take_string (value, g_strdup_printf ("%u", g_variant_get_uint32 (variant)));
  return TRUE;
}

static GVariant *
id_to_duration (const GValue       *value,
                const GVariantType *expected_type,
                gpointer            user_data)
{
  const char *id = g_value_get_string (value);

  if (id == NULL)
    return NULL;
  return g_variant_new_uint32 ((guint32) g_ascii_strtoull (id, NULL, 10));
}

static void
on_session_changed (BotomfaPreferences *self)
{
  update_key_status (self);
}

static void
botomfa_preferences_dispose (GObject *object)
{
  BotomfaPreferences *self = (BotomfaPreferences *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  if (self->secret_entry != NULL)
    gtk_entry_set_text (self->secret_entry, "");

  G_OBJECT_CLASS (botomfa_preferences_parent_class)->dispose (object);
}

static void
botomfa_preferences_class_init (BotomfaPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = botomfa_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/botomfa/Botomfa/botomfa-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, key_status_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, import_box);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, import_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, import_button);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, key_id_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, secret_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, store_button);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, store_spinner);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, store_message_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, mfa_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, duration_combo);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, lead_spin);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, boto_switch);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, boto_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, aws_profile_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, aws_file_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, region_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaPreferences, endpoint_entry);
  gtk_widget_class_bind_template_callback (widget_class, on_key_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_store_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_import_clicked);
}

static void
botomfa_preferences_init (BotomfaPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
bind_settings (BotomfaPreferences *self)
{
  g_autofree char *default_serial = botomfa_default_mfa_serial ();
  g_autofree char *default_boto = botomfa_boto_config_path ();
  g_autofree char *default_aws = botomfa_aws_credentials_path ();

  /* Placeholders show what an empty setting means here, now */
  gtk_entry_set_placeholder_text (self->mfa_entry, default_serial ? default_serial
                                                   : "arn:aws:iam::123456789012:mfa/name");
  gtk_entry_set_placeholder_text (self->boto_entry, default_boto);
  gtk_entry_set_placeholder_text (self->aws_file_entry, default_aws);

  if (self->settings == NULL)
    {
      /* Without the schema (not installed) nothing can be kept */
      gtk_widget_set_sensitive (GTK_WIDGET (self->mfa_entry), FALSE);
      return;
    }

  g_settings_bind (self->settings, "mfa-serial", self->mfa_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "duration", self->duration_combo, "active-id",
                                G_SETTINGS_BIND_DEFAULT, duration_to_id, id_to_duration, NULL, NULL);
  g_settings_bind (self->settings, "warning-lead-minutes", self->lead_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "write-boto-config", self->boto_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "write-boto-config", self->boto_entry, "sensitive",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "boto-config", self->boto_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "aws-profile", self->aws_profile_entry, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "aws-credentials-file", self->aws_file_entry, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sts-region", self->region_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sts-endpoint", self->endpoint_entry, "text",
                   G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
botomfa_preferences_new (GtkApplication *application,
                         BotomfaSession *session)
{
  BotomfaPreferences *self = g_object_new (BOTOMFA_TYPE_PREFERENCES,
                                           "application", application,
                                           "use-header-bar", TRUE,
                                           NULL);

  self->session = g_object_ref (session);
  self->settings = botomfa_profile_get_settings ();

  bind_settings (self);
  gtk_switch_set_active (self->autostart_switch, botomfa_autostart_is_enabled ());
  g_signal_connect (self->autostart_switch, "state-set", G_CALLBACK (on_autostart_state_set), self);
  g_signal_connect_swapped (session, "changed", G_CALLBACK (on_session_changed), self);
  update_key_status (self);

  /* Set-up first: the key is what is missing */
  if (botomfa_session_get_long_term_key_id (session) == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->key_id_entry));

  return GTK_WIDGET (self);
}
