/* botomfa-preferences.h — set-up and preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "botomfa-session.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_PREFERENCES (botomfa_preferences_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaPreferences, botomfa_preferences, BOTOMFA, PREFERENCES, GtkDialog)

GtkWidget *botomfa_preferences_new (GtkApplication *application,
                                    BotomfaSession *session);

G_END_DECLS
