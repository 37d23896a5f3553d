/* botomfa-autostart.h — start the applet at login
 *
 * Natively an XDG autostart desktop file; inside Flatpak the Background
 * portal, which is the only way a sandboxed app may ask for it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean botomfa_autostart_is_enabled (void);
void     botomfa_autostart_set_async  (gboolean              enabled,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean botomfa_autostart_set_finish (GAsyncResult         *result,
                                       GError              **error);
gboolean botomfa_is_flatpak           (void);

G_END_DECLS
