/* botomfa-tray-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "botomfa-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(BotomfaApplication) app = NULL;

  /* The applet never draws with OpenGL, but GTK 3 on X11 initialises GLX
   * at start-up to choose its visuals: that loads the whole Mesa driver
   * (with LLVM, ~55 MiB resident) and doubles the time to the tray. The
   * user's own GDK_GL wins; the applet starts no programs that could
   * inherit it. */
  g_setenv ("GDK_GL", "disable", FALSE);

  setlocale (LC_ALL, "");
  /* BOTOMFA_LOCALEDIR: translations from a build tree (the tests) */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("BOTOMFA_LOCALEDIR") ? g_getenv ("BOTOMFA_LOCALEDIR")
                                                                   : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("botomfa"));
  app = botomfa_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
