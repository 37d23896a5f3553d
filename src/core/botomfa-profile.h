/* botomfa-profile.h — one set of long-term keys, MFA device and targets
 *
 * The model holds several named profiles; the keyring item, the MFA device
 * and the targets hang off the profile name. The "default" profile is the
 * original botomfa's: boto config [Credentials], settings from GSettings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "botomfa-targets.h"

G_BEGIN_DECLS

typedef struct
{
  char      *name;
  char      *mfa_serial;        /* NULL when neither set nor derivable */
  guint      duration;          /* seconds */
  gboolean   duration_is_set;   /* chosen by the user, not a default */
  gint64     lead_seconds;
  gboolean   notifications;
  gboolean   write_boto_config;
  char      *boto_config;       /* resolved path */
  char      *aws_profile;       /* NULL: no AWS credentials target */
  char      *aws_credentials;   /* resolved path */
  char      *sts_endpoint;
  char      *sts_region;
} BotomfaProfile;

BotomfaProfile *botomfa_profile_load               (const char      *name);
void            botomfa_profile_free               (BotomfaProfile  *self);
GPtrArray      *botomfa_profile_get_targets        (BotomfaProfile  *self);
BotomfaTarget  *botomfa_profile_get_primary_target (BotomfaProfile  *self);
GSettings      *botomfa_profile_get_settings       (void);

char           *botomfa_default_mfa_serial         (void);
char           *botomfa_mfa_user_name              (const char      *mfa_serial);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaProfile, botomfa_profile_free)

G_END_DECLS
