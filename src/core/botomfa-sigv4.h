/* botomfa-sigv4.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The inputs of one signature. Secrets are borrowed, never copied into the
 * request; the derived key is wiped before botomfa_sigv4_request_sign()
 * returns. */
typedef struct
{
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token;      /* NULL for long-term keys */
  const char *region;             /* "us-east-1" */
  const char *service;            /* "sts" */
  GDateTime  *time;               /* signing time; converted to UTC */
  gboolean    normalize_path;     /* RFC 3986 dot-segment removal: TRUE for every service but S3 */
  gboolean    omit_session_token; /* add X-Amz-Security-Token after signing, unsigned */
} BotomfaSigv4Params;

typedef struct _BotomfaSigv4Request BotomfaSigv4Request;

BotomfaSigv4Request *botomfa_sigv4_request_new                     (const char                *method,
                                                                    const char                *uri);
void                 botomfa_sigv4_request_free                    (BotomfaSigv4Request       *self);
void                 botomfa_sigv4_request_add_header              (BotomfaSigv4Request       *self,
                                                                    const char                *name,
                                                                    const char                *value);
void                 botomfa_sigv4_request_set_body                (BotomfaSigv4Request       *self,
                                                                    const char                *body,
                                                                    gsize                      length);
char                *botomfa_sigv4_request_canonical_request       (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params);
char                *botomfa_sigv4_request_string_to_sign          (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params);
char                *botomfa_sigv4_request_signature               (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params);
void                 botomfa_sigv4_request_sign                    (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params);
const char * const  *botomfa_sigv4_request_get_header_lines        (BotomfaSigv4Request       *self);
const char          *botomfa_sigv4_request_get_header              (BotomfaSigv4Request       *self,
                                                                    const char                *name);
char                *botomfa_sigv4_presign_query                   (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params,
                                                                    guint                      expires_seconds);
/* The intermediate steps of botomfa_sigv4_presign_query(), for tests */
char                *botomfa_sigv4_presign_canonical_request       (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params,
                                                                    guint                      expires_seconds);
char                *botomfa_sigv4_presign_string_to_sign          (BotomfaSigv4Request       *self,
                                                                    const BotomfaSigv4Params  *params,
                                                                    guint                      expires_seconds);

void                 botomfa_sigv4_hex_sha256                      (const void                *data,
                                                                    gsize                      length,
                                                                    char                       out[65]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaSigv4Request, botomfa_sigv4_request_free)

G_END_DECLS
