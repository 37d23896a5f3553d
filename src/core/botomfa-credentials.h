/* botomfa-credentials.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A set of AWS credentials: long-term (an AKIA… key id, no token) or
 * temporary (ASIA…, with a session token and an expiry). Every string is
 * wiped when the struct is freed. */
typedef struct
{
  char      *access_key_id;
  char      *secret_access_key;
  char      *session_token;   /* NULL for long-term keys */
  GDateTime *expiration;      /* NULL when unknown; UTC */
} BotomfaCredentials;

/* Who the credentials belong to, as GetCallerIdentity says. */
typedef struct
{
  char *account;
  char *arn;
  char *user_id;
} BotomfaIdentity;

BotomfaCredentials *botomfa_credentials_new            (const char                *access_key_id,
                                                        const char                *secret_access_key,
                                                        const char                *session_token,
                                                        GDateTime                 *expiration);
BotomfaCredentials *botomfa_credentials_copy           (const BotomfaCredentials  *self);
void                botomfa_credentials_free           (BotomfaCredentials        *self);
gboolean            botomfa_credentials_equal          (const BotomfaCredentials  *a,
                                                        const BotomfaCredentials  *b);
gboolean            botomfa_access_key_is_long_term    (const char                *access_key_id);
gboolean            botomfa_access_key_id_is_valid     (const char                *access_key_id);
gboolean            botomfa_secret_access_key_is_valid (const char                *secret);

void                botomfa_identity_free              (BotomfaIdentity           *self);

/* Wipes then frees a string that held a secret. */
void                botomfa_secure_free                (char                      *secret);
void                botomfa_secure_clear               (char                     **secret);

/* ISO 8601 in UTC with a Z: the form x_security_token_expires holds. */
char               *botomfa_format_iso8601             (GDateTime                 *time);
GDateTime          *botomfa_parse_iso8601              (const char                *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaCredentials, botomfa_credentials_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaIdentity, botomfa_identity_free)

/* g_autoptr(BotomfaSecret) wipes a string holding a secret on scope exit. */
typedef char BotomfaSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaSecret, botomfa_secure_free)

G_END_DECLS
