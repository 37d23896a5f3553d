/* botomfa-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gtk/gtk.h>
/* GDK_WINDOWING_X11 comes from gtk.h: only now can we ask */
#ifdef GDK_WINDOWING_X11
# include <gdk/gdkx.h>
#endif

#include "botomfa-application.h"
#include "botomfa-indicator.h"
#include "botomfa-mfa-dialog.h"
#include "botomfa-preferences.h"
#include "botomfa-status-window.h"

#define NOTIFICATION_ID "expiry"
/* How long to wait for a tray host before showing the window instead */
#define TRAY_GRACE_MS 2000

struct _BotomfaApplication
{
  GtkApplication    parent_instance;

  BotomfaSession   *session;
  BotomfaIndicator *indicator;
  GtkWidget        *mfa_dialog;
  GtkWidget        *preferences;
  GtkWidget        *status_window;

  BotomfaState      notified_state;
  gboolean          background;
  gboolean          activated;
  gboolean          offered_setup;
  guint             tray_timeout_id;
  guint             signal_ids[3];
};

G_DEFINE_FINAL_TYPE (BotomfaApplication, botomfa_application, GTK_TYPE_APPLICATION)

/* ------------------------------------------------------------------------ */
/* Windows                                                                   */

static void
show_preferences (BotomfaApplication *self)
{
  if (self->preferences == NULL)
    {
      self->preferences = botomfa_preferences_new (GTK_APPLICATION (self), self->session);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
      g_signal_connect (self->preferences, "response", G_CALLBACK (gtk_widget_destroy), NULL);
    }

  gtk_window_present (GTK_WINDOW (self->preferences));
}

static void
show_status_window (BotomfaApplication *self)
{
  if (self->status_window == NULL)
    {
      self->status_window = botomfa_status_window_new (GTK_APPLICATION (self), self->session);
      g_object_add_weak_pointer (G_OBJECT (self->status_window), (gpointer *) &self->status_window);
    }

  gtk_window_present (GTK_WINDOW (self->status_window));
}

static void
show_mfa_dialog (BotomfaApplication *self)
{
  if (botomfa_session_get_state (self->session) == BOTOMFA_STATE_NOT_SET_UP)
    {
      show_preferences (self);
      return;
    }

  if (self->mfa_dialog == NULL)
    {
      self->mfa_dialog = botomfa_mfa_dialog_new (GTK_APPLICATION (self), self->session);
      g_object_add_weak_pointer (G_OBJECT (self->mfa_dialog), (gpointer *) &self->mfa_dialog);
    }

  /* The notification is answered: it may go */
  g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
  gtk_window_present (GTK_WINDOW (self->mfa_dialog));
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                   */

static void
renew_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  show_mfa_dialog (user_data);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  show_preferences (user_data);
}

static void
status_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  show_status_window (user_data);
}

/* SIGTERM (logout, systemd, kill), SIGINT (Ctrl+C in a terminal), SIGHUP
 * (the terminal closed): quit as the Quit item does, so that a renewal in
 * flight is cancelled and everything is released in order */
static gboolean
on_quit_signal (gpointer user_data)
{
  g_debug ("Quitting on a signal");
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "renew", renew_action },
  { "preferences", preferences_action },
  { "status", status_action },
  { "quit", quit_action },
};

/* ------------------------------------------------------------------------ */
/* Notifications                                                             */

static void
notify (BotomfaApplication *self,
        BotomfaState        state)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = NULL;
  g_autofree char *status = NULL;
  g_autofree char *icon_name = botomfa_state_icon_name (state);

  if (state == BOTOMFA_STATE_EXPIRING)
    {
      status = botomfa_session_get_status_line (self->session);
      notification = g_notification_new (_("AWS credentials expire soon"));
      g_notification_set_body (notification, status);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_NORMAL);
    }
  else
    {
      notification = g_notification_new (_("AWS credentials expired"));
      g_notification_set_body (notification,
                               _("Tools using them will fail until you renew them with a code "
                                 "from your MFA device."));
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
    }

  icon = g_themed_icon_new (icon_name);
  g_notification_set_icon (notification, icon);
  g_notification_add_button (notification, _("Renew…"), "app.renew");
  g_notification_set_default_action (notification, "app.renew");

  /* One id: the expiry notice replaces the warning instead of stacking */
  g_application_send_notification (G_APPLICATION (self), NOTIFICATION_ID, notification);
}

static BotomfaState
lifetime_of (BotomfaSession *session)
{
  BotomfaState state = botomfa_session_get_state (session);
  GDateTime *expiration = botomfa_session_get_expiration (session);
  g_autoptr(GDateTime) now = NULL;

  /* While renewing or after an error the credentials' own lifetime still
   * decides whether to warn */
  if ((state == BOTOMFA_STATE_ERROR || state == BOTOMFA_STATE_RENEWING ||
       state == BOTOMFA_STATE_CHECKING) && expiration != NULL)
    {
      now = g_date_time_new_now_utc ();
      return botomfa_state_from_expiration (expiration, now,
                                            botomfa_session_get_profile (session)->lead_seconds);
    }

  return state;
}

static void
on_session_changed (BotomfaApplication *self)
{
  BotomfaState state = botomfa_session_get_state (self->session);
  BotomfaState lifetime = lifetime_of (self->session);
  BotomfaProfile *profile = botomfa_session_get_profile (self->session);

  if (state == BOTOMFA_STATE_NOT_SET_UP && !self->offered_setup && !self->background)
    {
      /* First start without a key: set-up is the only useful thing */
      self->offered_setup = TRUE;
      show_preferences (self);
    }

  if (lifetime == self->notified_state)
    return;

  if (lifetime == BOTOMFA_STATE_EXPIRING || lifetime == BOTOMFA_STATE_EXPIRED)
    {
      /* Never over the dialog that is already asking for the code, never
       * against the user's wish, and not for credentials never seen valid
       * in this session (no "expired" greeting at every login) */
      if (profile->notifications && self->mfa_dialog == NULL &&
          self->notified_state != BOTOMFA_STATE_NOT_SET_UP &&
          (self->notified_state == BOTOMFA_STATE_VALID ||
           self->notified_state == BOTOMFA_STATE_EXPIRING))
        notify (self, lifetime);
      self->notified_state = lifetime;
    }
  else if (lifetime == BOTOMFA_STATE_VALID)
    {
      g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
      self->notified_state = lifetime;
    }
}

/* ------------------------------------------------------------------------ */
/* Tray host                                                                 */

static gboolean
have_xembed_tray (void)
{
#ifdef GDK_WINDOWING_X11
  GdkDisplay *display = gdk_display_get_default ();

  if (GDK_IS_X11_DISPLAY (display))
    {
      Display *xdisplay = gdk_x11_display_get_xdisplay (display);
      int screen = DefaultScreen (xdisplay);
      g_autofree char *name = g_strdup_printf ("_NET_SYSTEM_TRAY_S%d", screen);
      Atom atom = XInternAtom (xdisplay, name, False);

      return XGetSelectionOwner (xdisplay, atom) != None;
    }
#endif
  return FALSE;
}

static gboolean
tray_is_shown (BotomfaApplication *self)
{
  return botomfa_indicator_is_connected (self->indicator) || have_xembed_tray ();
}

static gboolean
on_tray_timeout (gpointer user_data)
{
  BotomfaApplication *self = user_data;

  self->tray_timeout_id = 0;
  if (!tray_is_shown (self))
    {
      g_debug ("No tray host: showing the status window");
      show_status_window (self);
    }

  return G_SOURCE_REMOVE;
}

static void
on_tray_connection (BotomfaApplication *self)
{
  /* The host went away (the extension was switched off): do not leave the
   * user without a way to see or renew */
  if (!tray_is_shown (self) && self->tray_timeout_id == 0)
    self->tray_timeout_id = g_timeout_add (TRAY_GRACE_MS, on_tray_timeout, self);
}

/* ------------------------------------------------------------------------ */
/* GApplication                                                              */

static void
botomfa_application_startup (GApplication *app)
{
  BotomfaApplication *self = BOTOMFA_APPLICATION (app);
  const char *theme_path = g_getenv ("BOTOMFA_ICON_THEME_PATH");
  const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (botomfa_application_parent_class)->startup (app);

  /* A tray applet lives without windows */
  g_application_hold (app);

  /* From a build tree (build-aux/run, the tests) the icons are not
   * installed: look them up unthemed in the source folders */
  if (theme_path != NULL)
    {
      static const char * const subdirs[] = {
        "hicolor/scalable/status", "hicolor/scalable/apps", "hicolor/symbolic/apps",
      };

      for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
        {
          g_autofree char *dir = g_build_filename (theme_path, subdirs[i], NULL);
          gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), dir);
        }
      /* The indicator's icon-theme-path too: when it falls back to a
       * GtkStatusIcon, libayatana-appindicator 0.5 looks for that path in
       * the search path with "i < n || path[i] == NULL" and reads past the
       * end of the array unless it finds it (AddressSanitizer caught it) */
      gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), theme_path);
    }
  gtk_window_set_default_icon_name (APP_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  self->signal_ids[0] = g_unix_signal_add (SIGTERM, on_quit_signal, self);
  self->signal_ids[1] = g_unix_signal_add (SIGINT, on_quit_signal, self);
  self->signal_ids[2] = g_unix_signal_add (SIGHUP, on_quit_signal, self);

  self->session = botomfa_session_new (NULL);
  self->indicator = botomfa_indicator_new (app, self->session);
  g_signal_connect_swapped (self->indicator, "notify::connected",
                            G_CALLBACK (on_tray_connection), self);
  g_signal_connect_swapped (self->session, "changed", G_CALLBACK (on_session_changed), self);
  botomfa_session_start (self->session);
}

static void
botomfa_application_activate (GApplication *app)
{
  BotomfaApplication *self = BOTOMFA_APPLICATION (app);

  if (self->activated)
    {
      /* Launched again while running: the user is looking for us */
      show_status_window (self);
      return;
    }

  self->activated = TRUE;
  self->tray_timeout_id = g_timeout_add (TRAY_GRACE_MS, on_tray_timeout, self);
}

static int
botomfa_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("botomfa-tray %s\n", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static int
botomfa_application_command_line (GApplication            *app,
                                  GApplicationCommandLine *command_line)
{
  BotomfaApplication *self = BOTOMFA_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);

  /* --background counts only for the first start (the autostart one) */
  if (!self->activated)
    self->background = g_variant_dict_contains (options, "background");

  g_application_activate (app);
  return 0;
}

static void
botomfa_application_shutdown (GApplication *app)
{
  BotomfaApplication *self = BOTOMFA_APPLICATION (app);

  g_clear_handle_id (&self->tray_timeout_id, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  g_clear_object (&self->indicator);
  g_clear_object (&self->session);

  G_APPLICATION_CLASS (botomfa_application_parent_class)->shutdown (app);
}

static void
botomfa_application_class_init (BotomfaApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = botomfa_application_startup;
  app_class->activate = botomfa_application_activate;
  app_class->command_line = botomfa_application_command_line;
  app_class->handle_local_options = botomfa_application_handle_local_options;
  app_class->shutdown = botomfa_application_shutdown;
}

static void
botomfa_application_init (BotomfaApplication *self)
{
  static const GOptionEntry options[] = {
    { "background", 'b', 0, G_OPTION_ARG_NONE, NULL,
      N_("Start quietly, as at login: no window and no set-up dialog"), NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { NULL }
  };

  self->notified_state = BOTOMFA_STATE_CHECKING;
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
    _("Shows the state of your temporary AWS credentials in the panel and renews them with an "
      "MFA code."));
}

BotomfaApplication *
botomfa_application_new (void)
{
  return g_object_new (BOTOMFA_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/botomfa/Botomfa",
                       NULL);
}

BotomfaSession *
botomfa_application_get_session (BotomfaApplication *self)
{
  g_return_val_if_fail (BOTOMFA_IS_APPLICATION (self), NULL);
  return self->session;
}
