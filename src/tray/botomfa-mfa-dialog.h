/* botomfa-mfa-dialog.h — asks for the six digits and renews
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "botomfa-session.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_MFA_DIALOG (botomfa_mfa_dialog_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaMfaDialog, botomfa_mfa_dialog, BOTOMFA, MFA_DIALOG, GtkDialog)

GtkWidget *botomfa_mfa_dialog_new (GtkApplication *application,
                                   BotomfaSession *session);

G_END_DECLS
