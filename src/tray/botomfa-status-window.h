/* botomfa-status-window.h — the window shown where no tray host exists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "botomfa-session.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_STATUS_WINDOW (botomfa_status_window_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaStatusWindow, botomfa_status_window, BOTOMFA, STATUS_WINDOW, GtkApplicationWindow)

GtkWidget *botomfa_status_window_new (GtkApplication *application,
                                      BotomfaSession *session);

G_END_DECLS
