/* test-autostart.c — start at login, the native way
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "botomfa-autostart.h"

static void
on_set (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (botomfa_autostart_set_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
set (gboolean enabled)
{
  gboolean done = FALSE;

  botomfa_autostart_set_async (enabled, NULL, on_set, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_native (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "autostart",
                                            "io.github.botomfa.Botomfa.desktop", NULL);
  g_autofree char *contents = NULL;

  g_assert_false (botomfa_autostart_is_enabled ());

  set (TRUE);
  g_assert_true (botomfa_autostart_is_enabled ());
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\nExec=botomfa-tray --background\n"));
  g_assert_nonnull (strstr (contents, "\nX-GNOME-Autostart-enabled=true\n"));

  /* GNOME Tweaks switches it off by adding Hidden=true */
  g_assert_true (g_file_set_contents (path, "[Desktop Entry]\nType=Application\nExec=x\n"
                                            "X-GNOME-Autostart-enabled=true\nHidden=true\n", -1, NULL));
  g_assert_false (botomfa_autostart_is_enabled ());

  set (FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (botomfa_autostart_is_enabled ());
  /* switching off twice is fine */
  set (FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config = g_dir_make_tmp ("botomfa-autostart-XXXXXX", NULL);

  /* before GLib caches the user directories */
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/botomfa/autostart/native", test_native);

  return g_test_run ();
}
