/* botomfa-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "botomfa-session.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_APPLICATION (botomfa_application_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaApplication, botomfa_application, BOTOMFA, APPLICATION, GtkApplication)

BotomfaApplication *botomfa_application_new         (void);
BotomfaSession     *botomfa_application_get_session (BotomfaApplication *self);

G_END_DECLS
