/* botomfa-status-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-status-window"

#include "config.h"

#include <glib/gi18n.h>

#include "botomfa-status-window.h"

struct _BotomfaStatusWindow
{
  GtkApplicationWindow  parent_instance;

  BotomfaSession       *session;

  GtkImage             *state_image;
  GtkLabel             *status_label;
  GtkLabel             *identity_label;
  GtkLabel             *error_label;
};

G_DEFINE_FINAL_TYPE (BotomfaStatusWindow, botomfa_status_window, GTK_TYPE_APPLICATION_WINDOW)

static void
update (BotomfaStatusWindow *self)
{
  BotomfaState state = botomfa_session_get_state (self->session);
  g_autofree char *icon = botomfa_state_icon_name (state);
  g_autofree char *status = botomfa_session_get_status_line (self->session);
  const char *arn = botomfa_session_get_identity_arn (self->session);
  const char *error = botomfa_session_get_error (self->session);

  gtk_image_set_from_icon_name (self->state_image, icon, GTK_ICON_SIZE_DIALOG);
  atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->state_image)),
                              botomfa_state_describe (state));
  gtk_label_set_text (self->status_label, status);
  gtk_label_set_text (self->identity_label, arn ? arn : "");
  gtk_widget_set_visible (GTK_WIDGET (self->identity_label), arn != NULL);
  gtk_label_set_text (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label),
                          error != NULL && (state == BOTOMFA_STATE_ERROR ||
                                            state == BOTOMFA_STATE_NOT_SET_UP));
}

static void
botomfa_status_window_dispose (GObject *object)
{
  BotomfaStatusWindow *self = (BotomfaStatusWindow *) object;

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (botomfa_status_window_parent_class)->dispose (object);
}

static void
botomfa_status_window_class_init (BotomfaStatusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = botomfa_status_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/botomfa/Botomfa/botomfa-status-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BotomfaStatusWindow, state_image);
  gtk_widget_class_bind_template_child (widget_class, BotomfaStatusWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaStatusWindow, identity_label);
  gtk_widget_class_bind_template_child (widget_class, BotomfaStatusWindow, error_label);
}

static void
botomfa_status_window_init (BotomfaStatusWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
botomfa_status_window_new (GtkApplication *application,
                           BotomfaSession *session)
{
  BotomfaStatusWindow *self = g_object_new (BOTOMFA_TYPE_STATUS_WINDOW,
                                            "application", application,
                                            NULL);

  self->session = g_object_ref (session);
  g_signal_connect_swapped (session, "changed", G_CALLBACK (update), self);
  update (self);

  return GTK_WIDGET (self);
}
