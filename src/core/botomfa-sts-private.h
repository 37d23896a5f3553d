/* botomfa-sts-private.h — internals exposed to the unit tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "botomfa-sts.h"

G_BEGIN_DECLS

typedef struct
{
  BotomfaCredentials *credentials;  /* GetSessionToken */
  BotomfaIdentity    *identity;     /* GetCallerIdentity */
} BotomfaStsResult;

void     _botomfa_sts_result_clear       (BotomfaStsResult  *result);

/* Turns one HTTP response into a result or a BOTOMFA_STS_ERROR.
 * @date_header: the response's Date header (NULL if none), @local_now: the
 * local clock when the response arrived; together they measure clock skew.
 * @used_session_token: whether the request was signed with temporary
 * credentials (changes what InvalidClientTokenId means). */
gboolean _botomfa_sts_parse_response     (const char        *action,
                                          long               http_status,
                                          const char        *content_type,
                                          const char        *body,
                                          gsize              length,
                                          const char        *date_header,
                                          GDateTime         *local_now,
                                          gboolean           used_session_token,
                                          BotomfaStsResult  *result,
                                          GError           **error);

void     _botomfa_sts_resolve_endpoint   (const char        *endpoint_setting,
                                          const char        *region_setting,
                                          char             **endpoint,
                                          char             **region);

char    *_botomfa_sts_form_encode        (const char        *value);

G_END_DECLS
