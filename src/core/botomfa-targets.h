/* botomfa-targets.h — where the temporary credentials are written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "botomfa-credentials.h"

G_BEGIN_DECLS

#define BOTOMFA_TARGET_ERROR (botomfa_target_error_quark ())

typedef enum
{
  BOTOMFA_TARGET_ERROR_LONG_TERM_PROFILE,  /* would overwrite AKIA… keys */
  BOTOMFA_TARGET_ERROR_NO_LONG_TERM,       /* no [long-term] section to import */
  BOTOMFA_TARGET_ERROR_NO_TARGET,          /* set to write the credentials nowhere */
} BotomfaTargetError;

typedef enum
{
  BOTOMFA_TARGET_BOTO_CONFIG,       /* [Credentials] of ~/.boto */
  BOTOMFA_TARGET_AWS_CREDENTIALS,   /* a profile of ~/.aws/credentials */
} BotomfaTargetKind;

typedef struct
{
  BotomfaTargetKind  kind;
  char              *path;
  char              *section;
} BotomfaTarget;

#define BOTOMFA_BOTO_SECTION      "Credentials"
#define BOTOMFA_LONG_TERM_SECTION "long-term"

GQuark              botomfa_target_error_quark                 (void);

char               *botomfa_boto_config_path                   (void);
char               *botomfa_aws_credentials_path               (void);

BotomfaTarget      *botomfa_target_new                         (BotomfaTargetKind    kind,
                                                                const char          *path,
                                                                const char          *section);
BotomfaTarget      *botomfa_target_new_boto_config             (const char          *path);
BotomfaTarget      *botomfa_target_new_aws_credentials         (const char          *path,
                                                                const char          *profile);
void                botomfa_target_free                        (BotomfaTarget       *self);
char               *botomfa_target_describe                    (const BotomfaTarget *self);

/* Reads the temporary credentials a target holds. Returns NULL without an
 * error when the file or section or key is absent. */
BotomfaCredentials *botomfa_target_read                        (const BotomfaTarget *self,
                                                                GError             **error);

/* Whether botomfa_targets_write() would refuse these targets (none at
 * all, a file that cannot be parsed safely, a profile holding long-term
 * keys): asked before an MFA code is spent on credentials that could not
 * be written. Takes no locks; the write checks again. */
gboolean            botomfa_targets_check                      (GPtrArray           *targets,
                                                                GError             **error);
/* Writes @credentials to every target, all or nothing as far as a file
 * system allows: every file is read, parsed and checked under its lock
 * before the first one is replaced. Two targets in one file (the boto
 * config named as the AWS credentials file too) are one edit. */
gboolean            botomfa_targets_write                      (GPtrArray           *targets,
                                                                const BotomfaCredentials *credentials,
                                                                GError             **error);

/* The original botomfa's [long-term] section of the boto config. */
BotomfaCredentials *botomfa_boto_config_read_long_term         (const char          *path,
                                                                GError             **error);
gboolean            botomfa_boto_config_remove_long_term       (const char          *path,
                                                                const char          *expected_key_id,
                                                                GError             **error);
gboolean            botomfa_boto_config_write_long_term        (const char          *path,
                                                                const BotomfaCredentials *credentials,
                                                                GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaTarget, botomfa_target_free)

G_END_DECLS
