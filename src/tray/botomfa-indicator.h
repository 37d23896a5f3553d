/* botomfa-indicator.h — the panel item (StatusNotifierItem, XEmbed fallback)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "botomfa-session.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_INDICATOR (botomfa_indicator_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaIndicator, botomfa_indicator, BOTOMFA, INDICATOR, GObject)

BotomfaIndicator *botomfa_indicator_new           (GApplication     *application,
                                                   BotomfaSession   *session);
gboolean          botomfa_indicator_is_connected  (BotomfaIndicator *self);

G_END_DECLS
