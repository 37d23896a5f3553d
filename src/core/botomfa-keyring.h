/* botomfa-keyring.h — long-term keys in the desktop keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsecret/secret.h>

#include "botomfa-credentials.h"

G_BEGIN_DECLS

#define BOTOMFA_KEYRING_ERROR (botomfa_keyring_error_quark ())

typedef enum
{
  BOTOMFA_KEYRING_ERROR_UNAVAILABLE,  /* no Secret Service on the session bus */
  BOTOMFA_KEYRING_ERROR_LOCKED,       /* locked, and unlocking was refused */
  BOTOMFA_KEYRING_ERROR_FAILED,
  BOTOMFA_KEYRING_ERROR_NOT_FOUND,    /* nothing stored for the profile */
} BotomfaKeyringError;

#define BOTOMFA_DEFAULT_PROFILE "default"

GQuark              botomfa_keyring_error_quark       (void);
const SecretSchema *botomfa_keyring_get_schema        (void) G_GNUC_CONST;

/* NULL without an error: no key is stored for @profile. */
BotomfaCredentials *botomfa_keyring_lookup_sync       (const char                *profile,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);
gboolean            botomfa_keyring_has_key_sync      (const char                *profile,
                                                       char                     **access_key_id,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);
gboolean            botomfa_keyring_store_sync        (const char                *profile,
                                                       const BotomfaCredentials  *long_term,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);
gboolean            botomfa_keyring_clear_sync        (const char                *profile,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);

void                botomfa_keyring_lookup_async      (const char                *profile,
                                                       GCancellable              *cancellable,
                                                       GAsyncReadyCallback        callback,
                                                       gpointer                   user_data);
BotomfaCredentials *botomfa_keyring_lookup_finish     (GAsyncResult              *result,
                                                       GError                   **error);
void                botomfa_keyring_store_async       (const char                *profile,
                                                       const BotomfaCredentials  *long_term,
                                                       GCancellable              *cancellable,
                                                       GAsyncReadyCallback        callback,
                                                       gpointer                   user_data);
gboolean            botomfa_keyring_store_finish      (GAsyncResult              *result,
                                                       GError                   **error);

/* The long-term key of @profile: from the keyring or, where no Secret
 * Service is reachable (an SSH session) or it holds nothing, from the
 * original tool's [long-term] section of @boto_config, so nobody is locked
 * out by upgrading. *from_file tells which; *keyring_problem (may be NULL)
 * receives why the keyring was not used. Nothing anywhere:
 * BOTOMFA_KEYRING_ERROR_NOT_FOUND. */
BotomfaCredentials *botomfa_keyring_find_long_term     (const char               *profile,
                                                        const char               *boto_config,
                                                        gboolean                 *from_file,
                                                        GError                  **keyring_problem,
                                                        GCancellable             *cancellable,
                                                        GError                  **error);

/* Moves the original botomfa's [long-term] section of @boto_config into the
 * keyring: store, read back and compare, and only then remove the section
 * from the file. Returns the imported access key id. */
char               *botomfa_keyring_import_boto_config (const char               *profile,
                                                        const char               *boto_config,
                                                        GCancellable             *cancellable,
                                                        GError                  **error);

G_END_DECLS
