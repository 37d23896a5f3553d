/* botomfa-mfa-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-mfa-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "botomfa-mfa-dialog.h"
#include "botomfa-sts.h"

struct _BotomfaMfaDialog
{
  GtkDialog       parent_instance;

  BotomfaSession *session;
  GSettings      *settings;
  GCancellable   *cancellable;

  GtkLabel       *device_label;
  GtkLabel       *account_label;
  GtkEntry       *code_entry;
  GtkComboBoxText *duration_combo;
  GtkSpinner     *spinner;
  GtkWidget      *message_box;
  GtkLabel       *message_label;
  GtkWidget      *renew_button;
  GtkWidget      *cancel_button;
};

G_DEFINE_FINAL_TYPE (BotomfaMfaDialog, botomfa_mfa_dialog, GTK_TYPE_DIALOG)

static gboolean
get_code (BotomfaMfaDialog *self,
          char              code[7])
{
  return botomfa_mfa_code_normalize (gtk_entry_get_text (self->code_entry), code);
}

static void
on_code_changed (BotomfaMfaDialog *self)
{
  char code[7];
  gboolean complete = get_code (self, code);

  gtk_widget_set_sensitive (self->renew_button, complete && self->cancellable == NULL);
  explicit_bzero (code, sizeof code);
}

/* Digits and spaces only (a pasted "123 456" is fine, letters are not):
 * the entry refuses what can never be part of a code */
static void
on_code_insert_text (GtkEditable *editable,
                     const char  *text,
                     int          length,
                     int         *position,
                     gpointer     user_data)
{
  if (length < 0)
    length = strlen (text);

  for (int i = 0; i < length; i++)
    if (!g_ascii_isdigit (text[i]) && !g_ascii_isspace (text[i]))
      {
        gtk_widget_error_bell (GTK_WIDGET (editable));
        g_signal_stop_emission_by_name (editable, "insert-text");
        return;
      }
}

static void
show_message (BotomfaMfaDialog *self,
              const char       *message,
              gboolean          is_error)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self->message_label));

  gtk_label_set_text (self->message_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  gtk_widget_set_visible (self->message_box, message != NULL || self->cancellable != NULL);
  if (is_error)
    gtk_style_context_add_class (context, "error");
  else
    gtk_style_context_remove_class (context, "error");
}

static void
set_busy (BotomfaMfaDialog *self,
          gboolean          busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  if (busy)
    gtk_widget_show (self->message_box);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);

  gtk_widget_set_sensitive (GTK_WIDGET (self->code_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->duration_combo), !busy);
  on_code_changed (self);
}

static void
on_renewed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(BotomfaMfaDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (botomfa_session_renew_finish (BOTOMFA_SESSION (source), result, &error))
    {
      /* The tray has already updated: nothing more to say */
      gtk_widget_destroy (GTK_WIDGET (self));
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  show_message (self, error->message, TRUE);

  /* A refused code is spent: clear it so the next one can be typed at once */
  if (g_error_matches (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_MFA_CODE) ||
      g_error_matches (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE))
    gtk_entry_set_text (self->code_entry, "");

  gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
}

static void
submit (BotomfaMfaDialog *self)
{
  const char *duration_id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->duration_combo));
  guint duration = duration_id ? (guint) g_ascii_strtoull (duration_id, NULL, 10)
                               : BOTOMFA_STS_DEFAULT_DURATION;
  char code[7];

  if (self->cancellable != NULL || !get_code (self, code))
    return;

  /* The last choice is the next default, here and for the command line */
  if (self->settings != NULL)
    g_settings_set_uint (self->settings, "duration", duration);

  self->cancellable = g_cancellable_new ();
  show_message (self, _("Asking AWS for new credentials…"), FALSE);
  set_busy (self, TRUE);

  botomfa_session_renew_async (self->session, code, duration, self->cancellable, on_renewed,
                               g_object_ref (self));
  explicit_bzero (code, sizeof code);
}

static void
on_response (GtkDialog *dialog,
             int        response,
             gpointer   user_data)
{
  BotomfaMfaDialog *self = BOTOMFA_MFA_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      submit (self);
      return;
    }

  /* Cancel, Escape or the window's close button: stop any request */
  g_cancellable_cancel (self->cancellable);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
botomfa_mfa_dialog_dispose (GObject *object)
{
  BotomfaMfaDialog *self = (BotomfaMfaDialog *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  /* The entry may hold a code: wipe it before GTK frees the buffer */
  if (self->code_entry != NULL)
    gtk_entry_set_text (self->code_entry, "");

  G_OBJECT_CLASS (botomfa_mfa_dialog_parent_class)->dispose (object);
}

static void
botomfa_mfa_dialog_class_init (BotomfaMfaDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = botomfa_mfa_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/botomfa/Botomfa/botomfa-mfa-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, device_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, account_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, code_entry);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, duration_combo);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, message_box);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, renew_button);
  gtk_widget_class_bind_template_child (widget_class, BotomfaMfaDialog, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_code_insert_text);
  gtk_widget_class_bind_template_callback (widget_class, on_response);
}

static void
botomfa_mfa_dialog_init (BotomfaMfaDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_style_context_add_class (gtk_widget_get_style_context (self->renew_button),
                               "suggested-action");
}

/* "arn:aws:iam::123456789012:mfa/alice" → "123456789012" */
static char *
account_of (const char *arn)
{
  g_auto(GStrv) parts = NULL;

  if (arn == NULL || !g_str_has_prefix (arn, "arn:"))
    return NULL;

  parts = g_strsplit (arn, ":", 6);
  if (g_strv_length (parts) < 5 || *parts[4] == '\0')
    return NULL;

  return g_strdup (parts[4]);
}

GtkWidget *
botomfa_mfa_dialog_new (GtkApplication *application,
                        BotomfaSession *session)
{
  BotomfaMfaDialog *self;
  BotomfaProfile *profile = botomfa_session_get_profile (session);
  g_autofree char *account = NULL;
  g_autofree char *duration_id = NULL;
  guint duration;

  self = g_object_new (BOTOMFA_TYPE_MFA_DIALOG,
                       "application", application,
                       "use-header-bar", TRUE,
                       NULL);
  self->session = g_object_ref (session);
  self->settings = botomfa_profile_get_settings ();

  gtk_label_set_text (self->device_label, profile->mfa_serial ? profile->mfa_serial : "");
  account = account_of (botomfa_session_get_identity_arn (session));
  if (account == NULL)
    account = account_of (profile->mfa_serial);
  gtk_label_set_text (self->account_label, account ? account : _("Unknown"));

  /* The last choice, also one made in this run (the session's profile
   * does not follow the duration setting) */
  duration = self->settings != NULL ? g_settings_get_uint (self->settings, "duration")
                                    : profile->duration;
  duration_id = g_strdup_printf ("%u", duration);
  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->duration_combo), duration_id))
    {
      /* A lifetime set elsewhere (gsettings, the command line) that is not
       * in the list: offer it as it is rather than silently change it */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second",
                                                            "%u seconds", duration),
                                               duration);
      gtk_combo_box_text_append (self->duration_combo, duration_id, text);
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->duration_combo), duration_id);
    }

  gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));

  return GTK_WIDGET (self);
}
