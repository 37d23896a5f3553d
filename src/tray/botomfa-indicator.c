/* botomfa-indicator.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-indicator"

#include "config.h"

#include <glib/gi18n.h>
#include <libayatana-appindicator/app-indicator.h>

#include "botomfa-indicator.h"

struct _BotomfaIndicator
{
  GObject         parent_instance;

  GApplication   *application;   /* weak: the application owns us */
  BotomfaSession *session;
  AppIndicator   *indicator;
  GtkWidget      *menu;
  GtkWidget      *status_item;
  GtkWidget      *identity_item;
  GtkWidget      *error_item;
  GtkWidget      *renew_item;
  char           *icon_name;
  const char     *icon_description;
  gboolean        connected;
};

G_DEFINE_FINAL_TYPE (BotomfaIndicator, botomfa_indicator, G_TYPE_OBJECT)

static void
update (BotomfaIndicator *self)
{
  BotomfaState state = botomfa_session_get_state (self->session);
  g_autofree char *icon_name = botomfa_state_icon_name (state);
  g_autofree char *label = botomfa_session_get_label (self->session);
  g_autofree char *status = botomfa_session_get_status_line (self->session);
  g_autofree char *title = NULL;
  const char *arn = botomfa_session_get_identity_arn (self->session);
  const char *error = botomfa_session_get_error (self->session);

  /* Only on change: each call is a D-Bus signal, and some hosts redraw
   * (flicker) on every NewIcon. States share icons ("missing" and
   * "expired"), not descriptions: compare both. */
  if (g_strcmp0 (icon_name, self->icon_name) != 0 ||
      g_strcmp0 (botomfa_state_describe (state), self->icon_description) != 0)
    {
      g_free (self->icon_name);
      self->icon_name = g_steal_pointer (&icon_name);
      self->icon_description = botomfa_state_describe (state);
      app_indicator_set_icon_full (self->indicator, self->icon_name, self->icon_description);
    }

  if (g_strcmp0 (label, app_indicator_get_label (self->indicator) ?: "") != 0)
    app_indicator_set_label (self->indicator, label, botomfa_format_remaining_short_guide ());

  /* AppIndicator has no tooltip: the title carries the state in words */
  /* Translators: the tray item's title, "AWS credentials: Valid for 2 h 14 min, until 16:05" */
  title = g_strdup_printf (_("AWS credentials: %s"), status);
  if (g_strcmp0 (title, app_indicator_get_title (self->indicator)) != 0)
    app_indicator_set_title (self->indicator, title);

  gtk_menu_item_set_label (GTK_MENU_ITEM (self->status_item), status);

  gtk_widget_set_visible (self->identity_item, arn != NULL);
  if (arn != NULL)
    gtk_menu_item_set_label (GTK_MENU_ITEM (self->identity_item), arn);

  gtk_widget_set_visible (self->error_item, error != NULL && (state == BOTOMFA_STATE_ERROR ||
                                                              state == BOTOMFA_STATE_NOT_SET_UP));
  if (error != NULL)
    gtk_menu_item_set_label (GTK_MENU_ITEM (self->error_item), error);

  /* Not set up, the same item (and middle click) leads to the set-up */
  gtk_menu_item_set_label (GTK_MENU_ITEM (self->renew_item),
                           state == BOTOMFA_STATE_NOT_SET_UP ? _("_Set Up…") : _("_Renew…"));
  gtk_widget_set_sensitive (self->renew_item, state != BOTOMFA_STATE_RENEWING);
}

static void
activate_action (GtkMenuItem *item,
                 gpointer     user_data)
{
  BotomfaIndicator *self = g_object_get_data (G_OBJECT (item), "indicator");

  g_action_group_activate_action (G_ACTION_GROUP (self->application), user_data, NULL);
}

static GtkWidget *
add_item (BotomfaIndicator *self,
          const char       *label,
          const char       *action)
{
  GtkWidget *item = gtk_menu_item_new_with_mnemonic (label);

  if (action != NULL)
    {
      g_object_set_data (G_OBJECT (item), "indicator", self);
      g_signal_connect (item, "activate", G_CALLBACK (activate_action), (gpointer) action);
    }
  else
    {
      gtk_widget_set_sensitive (item, FALSE);
    }

  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), item);
  gtk_widget_show (item);

  return item;
}

static void
add_separator (BotomfaIndicator *self)
{
  GtkWidget *item = gtk_separator_menu_item_new ();

  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), item);
  gtk_widget_show (item);
}

static void
on_connection_changed (AppIndicator *indicator,
                       gboolean      connected,
                       gpointer      user_data)
{
  BotomfaIndicator *self = user_data;

  g_debug ("Tray host %s", connected ? "connected" : "gone");
  self->connected = connected;
  g_object_notify (G_OBJECT (self), "connected");
}

static void
botomfa_indicator_dispose (GObject *object)
{
  BotomfaIndicator *self = (BotomfaIndicator *) object;

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->indicator);
  if (self->menu != NULL)
    gtk_widget_destroy (g_steal_pointer (&self->menu));

  G_OBJECT_CLASS (botomfa_indicator_parent_class)->dispose (object);
}

static void
botomfa_indicator_finalize (GObject *object)
{
  BotomfaIndicator *self = (BotomfaIndicator *) object;

  g_free (self->icon_name);

  G_OBJECT_CLASS (botomfa_indicator_parent_class)->finalize (object);
}

static void
botomfa_indicator_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  BotomfaIndicator *self = BOTOMFA_INDICATOR (object);

  if (prop_id == 1)
    g_value_set_boolean (value, self->connected);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
botomfa_indicator_class_init (BotomfaIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = botomfa_indicator_dispose;
  object_class->finalize = botomfa_indicator_finalize;
  object_class->get_property = botomfa_indicator_get_property;

  g_object_class_install_property (object_class, 1,
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
}

static void
botomfa_indicator_init (BotomfaIndicator *self)
{
}

BotomfaIndicator *
botomfa_indicator_new (GApplication   *application,
                       BotomfaSession *session)
{
  BotomfaIndicator *self = g_object_new (BOTOMFA_TYPE_INDICATOR, NULL);
  const char *theme_path = g_getenv ("BOTOMFA_ICON_THEME_PATH");
  g_autofree char *icon = botomfa_state_icon_name (BOTOMFA_STATE_CHECKING);

  self->application = application;
  self->session = g_object_ref (session);

  self->indicator = app_indicator_new (APP_ID, icon, APP_INDICATOR_CATEGORY_APPLICATION_STATUS);
  /* Running from a build tree (build-aux/run): the icons are not installed */
  if (theme_path != NULL)
    app_indicator_set_icon_theme_path (self->indicator, theme_path);
  app_indicator_set_title (self->indicator, _("AWS credentials"));

  self->menu = g_object_ref_sink (gtk_menu_new ());
  self->status_item = add_item (self, "", NULL);
  self->identity_item = add_item (self, "", NULL);
  self->error_item = add_item (self, "", NULL);
  add_separator (self);
  self->renew_item = add_item (self, _("_Renew…"), "renew");
  add_item (self, _("_Preferences…"), "preferences");
  add_separator (self);
  add_item (self, _("_Quit"), "quit");
  /* The labels of the first three are data, not mnemonics */
  gtk_menu_item_set_use_underline (GTK_MENU_ITEM (self->status_item), FALSE);
  gtk_menu_item_set_use_underline (GTK_MENU_ITEM (self->identity_item), FALSE);
  gtk_menu_item_set_use_underline (GTK_MENU_ITEM (self->error_item), FALSE);

  app_indicator_set_menu (self->indicator, GTK_MENU (self->menu));
  /* Middle click renews: the one thing people come for */
  app_indicator_set_secondary_activate_target (self->indicator, self->renew_item);
  app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);

  g_signal_connect (self->indicator, APP_INDICATOR_SIGNAL_CONNECTION_CHANGED,
                    G_CALLBACK (on_connection_changed), self);
  g_signal_connect_swapped (session, "changed", G_CALLBACK (update), self);
  update (self);

  return self;
}

gboolean
botomfa_indicator_is_connected (BotomfaIndicator *self)
{
  g_return_val_if_fail (BOTOMFA_IS_INDICATOR (self), FALSE);
  return self->connected;
}
