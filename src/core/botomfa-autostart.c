/* botomfa-autostart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-autostart"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "botomfa-autostart.h"
#include "botomfa-core-resources.h"

#define AUTOSTART_FILE APP_ID ".desktop"

gboolean
botomfa_is_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

static char *
autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", AUTOSTART_FILE, NULL);
}

gboolean
botomfa_autostart_is_enabled (void)
{
  g_autofree char *path = autostart_path ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();

  /* Inside Flatpak the portal writes a file of its own that we cannot
   * see; the flag the user chose is kept beside our settings instead */
  if (botomfa_is_flatpak ())
    {
      g_autofree char *flag = g_build_filename (g_get_user_data_dir (), "autostart-requested", NULL);
      return g_file_test (flag, G_FILE_TEST_EXISTS);
    }

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return FALSE;

  /* A user may have switched it off in GNOME Tweaks, which sets Hidden */
  return !g_key_file_get_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, "Hidden", NULL) &&
         g_key_file_get_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", NULL);
}

static gboolean
set_native (gboolean   enabled,
            GError   **error)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GBytes) contents = NULL;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  /* data/io.github.botomfa.Botomfa-autostart.desktop.in, merged with its
   * translations and compiled in: --background keeps the start at login
   * quiet (no window, no set-up dialog over the desktop) */
  contents = g_resource_lookup_data (botomfa_core_get_resource (),
                                     "/io/github/botomfa/Botomfa/core/autostart.desktop",
                                     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (contents == NULL)
    return FALSE;

  return g_file_set_contents (path, g_bytes_get_data (contents, NULL),
                              g_bytes_get_size (contents), error);
}

typedef struct
{
  GDBusConnection *bus;
  guint            subscription;
  gboolean         enabled;
} PortalRequest;

static void
portal_request_free (PortalRequest *request)
{
  if (request->subscription != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->subscription);
  g_clear_object (&request->bus);
  g_free (request);
}

/* The portal's answer comes as a Response signal on the request object,
 * once the user has agreed or refused: only then is it known whether
 * botomfa will start at login. */
static void
on_portal_response (GDBusConnection *bus,
                    const char      *sender_name,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  PortalRequest *request = g_task_get_task_data (task);
  g_autoptr(GVariant) results = NULL;
  g_autofree char *flag = g_build_filename (g_get_user_data_dir (), "autostart-requested", NULL);
  gboolean autostart = FALSE;
  guint32 response;

  /* One answer per request */
  g_dbus_connection_signal_unsubscribe (bus, request->subscription);
  request->subscription = 0;

  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  if (response != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               _("Starting at login was not allowed."));
      return;
    }

  g_variant_lookup (results, "autostart", "b", &autostart);
  if (autostart)
    g_file_set_contents (flag, "", 0, NULL);
  else
    g_unlink (flag);

  g_task_return_boolean (task, autostart == request->enabled);
}

static void
on_portal_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      PortalRequest *request = g_task_get_task_data (task);

      g_dbus_connection_signal_unsubscribe (request->bus, request->subscription);
      request->subscription = 0;
      g_task_return_error (task, error);
      /* the reference the signal handler held */
      g_object_unref (task);
    }
}

/* https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.Background.html
 * The request's object path is known in advance from the handle token,
 * so the Response signal is subscribed to before it can be sent. */
static void
set_portal (GTask    *task,
            gboolean  enabled)
{
  PortalRequest *request = g_new0 (PortalRequest, 1);
  g_autofree char *sender = NULL;
  g_autofree char *token = NULL;
  g_autofree char *handle = NULL;
  GVariantBuilder options;
  GError *error = NULL;
  const char *commandline[] = { "botomfa-tray", "--background", NULL };

  request->enabled = enabled;
  g_task_set_task_data (task, request, (GDestroyNotify) portal_request_free);

  request->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, g_task_get_cancellable (task), &error);
  if (request->bus == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  sender = g_strdup (g_dbus_connection_get_unique_name (request->bus) + 1);
  g_strdelimit (sender, ".", '_');
  token = g_strdup_printf ("botomfa%u", g_random_int ());
  handle = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", sender, token);

  request->subscription =
    g_dbus_connection_signal_subscribe (request->bus, "org.freedesktop.portal.Desktop",
                                        "org.freedesktop.portal.Request", "Response", handle,
                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_portal_response, g_object_ref (task), NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Keep the AWS credentials state in the panel")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (enabled));
  g_variant_builder_add (&options, "{sv}", "commandline", g_variant_new_strv (commandline, -1));
  g_variant_builder_add (&options, "{sv}", "dbus-activatable", g_variant_new_boolean (FALSE));

  g_dbus_connection_call (request->bus, "org.freedesktop.portal.Desktop",
                          "/org/freedesktop/portal/desktop", "org.freedesktop.portal.Background",
                          "RequestBackground", g_variant_new ("(sa{sv})", "", &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), on_portal_reply, g_object_ref (task));
}

void
botomfa_autostart_set_async (gboolean             enabled,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, botomfa_autostart_set_async);
  g_task_set_task_data (task, GINT_TO_POINTER (enabled), NULL);

  if (botomfa_is_flatpak ())
    {
      set_portal (task, enabled);
      return;
    }

  if (set_native (enabled, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

gboolean
botomfa_autostart_set_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
