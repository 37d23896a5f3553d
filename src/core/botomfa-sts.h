/* botomfa-sts.h — the AWS Security Token Service, over the Query API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "botomfa-credentials.h"

G_BEGIN_DECLS

#define BOTOMFA_STS_ERROR (botomfa_sts_error_quark ())

typedef enum
{
  BOTOMFA_STS_ERROR_INVALID_MFA_CODE,    /* wrong or reused code */
  BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE,  /* serial unknown or not this user's */
  BOTOMFA_STS_ERROR_INVALID_KEY_ID,      /* access key id (or token) not recognised */
  BOTOMFA_STS_ERROR_WRONG_SECRET,        /* SignatureDoesNotMatch */
  BOTOMFA_STS_ERROR_CLOCK_SKEW,          /* signature expired / not yet current */
  BOTOMFA_STS_ERROR_EXPIRED_TOKEN,
  BOTOMFA_STS_ERROR_ACCESS_DENIED,       /* any other AccessDenied */
  BOTOMFA_STS_ERROR_INVALID_REQUEST,     /* ValidationError and friends */
  BOTOMFA_STS_ERROR_THROTTLED,
  BOTOMFA_STS_ERROR_SERVER,              /* 5xx */
  BOTOMFA_STS_ERROR_NETWORK,
  BOTOMFA_STS_ERROR_TIMEOUT,
  BOTOMFA_STS_ERROR_TLS,
  BOTOMFA_STS_ERROR_MALFORMED_RESPONSE,
} BotomfaStsError;

#define BOTOMFA_STS_DEFAULT_ENDPOINT        "https://sts.amazonaws.com"
#define BOTOMFA_STS_DEFAULT_REGION          "us-east-1"
#define BOTOMFA_STS_MIN_DURATION            900
#define BOTOMFA_STS_MAX_DURATION            129600
#define BOTOMFA_STS_DEFAULT_DURATION        43200
#define BOTOMFA_STS_MAX_RESPONSE_SIZE       (256 * 1024)
#define BOTOMFA_STS_DEFAULT_CONNECT_TIMEOUT 10
#define BOTOMFA_STS_DEFAULT_TIMEOUT         30
#define BOTOMFA_STS_DEFAULT_MAX_ATTEMPTS    3

#define BOTOMFA_TYPE_STS_CLIENT (botomfa_sts_client_get_type ())

G_DECLARE_FINAL_TYPE (BotomfaStsClient, botomfa_sts_client, BOTOMFA, STS_CLIENT, GObject)

GQuark              botomfa_sts_error_quark                      (void);

BotomfaStsClient   *botomfa_sts_client_new                       (const char           *endpoint_setting,
                                                                  const char           *region_setting);
const char         *botomfa_sts_client_get_endpoint              (BotomfaStsClient     *self);
const char         *botomfa_sts_client_get_region                (BotomfaStsClient     *self);
void                botomfa_sts_client_set_timeouts              (BotomfaStsClient     *self,
                                                                  guint                 connect_seconds,
                                                                  guint                 total_seconds);
void                botomfa_sts_client_set_max_attempts          (BotomfaStsClient     *self,
                                                                  guint                 max_attempts);

BotomfaCredentials *botomfa_sts_client_get_session_token         (BotomfaStsClient          *self,
                                                                  const BotomfaCredentials  *long_term,
                                                                  const char                *mfa_serial,
                                                                  const char                *mfa_code,
                                                                  guint                      duration_seconds,
                                                                  GCancellable              *cancellable,
                                                                  GError                   **error);
void                botomfa_sts_client_get_session_token_async   (BotomfaStsClient          *self,
                                                                  const BotomfaCredentials  *long_term,
                                                                  const char                *mfa_serial,
                                                                  const char                *mfa_code,
                                                                  guint                      duration_seconds,
                                                                  GCancellable              *cancellable,
                                                                  GAsyncReadyCallback        callback,
                                                                  gpointer                   user_data);
BotomfaCredentials *botomfa_sts_client_get_session_token_finish  (BotomfaStsClient          *self,
                                                                  GAsyncResult              *result,
                                                                  GError                   **error);

BotomfaIdentity    *botomfa_sts_client_get_caller_identity        (BotomfaStsClient          *self,
                                                                  const BotomfaCredentials  *credentials,
                                                                  GCancellable              *cancellable,
                                                                  GError                   **error);
void                botomfa_sts_client_get_caller_identity_async  (BotomfaStsClient          *self,
                                                                  const BotomfaCredentials  *credentials,
                                                                  GCancellable              *cancellable,
                                                                  GAsyncReadyCallback        callback,
                                                                  gpointer                   user_data);
BotomfaIdentity    *botomfa_sts_client_get_caller_identity_finish (BotomfaStsClient          *self,
                                                                  GAsyncResult              *result,
                                                                  GError                   **error);

gboolean            botomfa_mfa_code_normalize                    (const char                *input,
                                                                  char                       out[7]);

G_END_DECLS
