/* botomfa-session.h — the live state of one profile's credentials
 *
 * Everything the tray shows comes from here, and nothing here knows GTK:
 * the keyring, the target files (watched), the STS calls, the wall-clock
 * timer and the resume signal. It emits ::changed whenever what it would
 * show changes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "botomfa-profile.h"
#include "botomfa-state.h"

G_BEGIN_DECLS

#define BOTOMFA_TYPE_SESSION (botomfa_session_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaSession, botomfa_session, BOTOMFA, SESSION, GObject)

BotomfaSession   *botomfa_session_new                  (const char           *profile_name);
void              botomfa_session_start                (BotomfaSession       *self);
void              botomfa_session_reload               (BotomfaSession       *self);
void              botomfa_session_refresh              (BotomfaSession       *self);

BotomfaProfile   *botomfa_session_get_profile          (BotomfaSession       *self);
BotomfaState      botomfa_session_get_state            (BotomfaSession       *self);
GDateTime        *botomfa_session_get_expiration       (BotomfaSession       *self);
const char       *botomfa_session_get_error            (BotomfaSession       *self);
const char       *botomfa_session_get_identity_arn     (BotomfaSession       *self);
const char       *botomfa_session_get_long_term_key_id (BotomfaSession       *self);
char             *botomfa_session_get_label            (BotomfaSession       *self);
char             *botomfa_session_get_status_line      (BotomfaSession       *self);

void              botomfa_session_renew_async          (BotomfaSession       *self,
                                                        const char           *mfa_code,
                                                        guint                 duration,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          botomfa_session_renew_finish         (BotomfaSession       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void              botomfa_session_store_key_async      (BotomfaSession       *self,
                                                        const char           *access_key_id,
                                                        const char           *secret_access_key,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char             *botomfa_session_store_key_finish     (BotomfaSession       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void              botomfa_session_import_async         (BotomfaSession       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char             *botomfa_session_import_finish        (BotomfaSession       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
gboolean          botomfa_session_has_long_term_section (BotomfaSession      *self);

G_END_DECLS
