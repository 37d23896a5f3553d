/* botomfa-state.h — what the temporary credentials' lifetime means
 *
 * Pure functions of (expiry, now): the command line's --status and the tray
 * take every decision about state, label and next wake-up from here, so they
 * are tested without a clock, a display or a network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BOTOMFA_STATE_NOT_SET_UP,
  BOTOMFA_STATE_CHECKING,
  BOTOMFA_STATE_VALID,
  BOTOMFA_STATE_EXPIRING,
  BOTOMFA_STATE_EXPIRED,
  BOTOMFA_STATE_RENEWING,
  BOTOMFA_STATE_ERROR,
  BOTOMFA_STATE_UNKNOWN,   /* credentials present, expiry not recorded */
  BOTOMFA_STATE_MISSING,   /* set up, but no temporary credentials yet */
} BotomfaState;

#define BOTOMFA_DEFAULT_LEAD_SECONDS (10 * 60)

const char   *botomfa_state_to_string        (BotomfaState  state);
BotomfaState  botomfa_state_from_expiration  (GDateTime    *expiration,
                                              GDateTime    *now,
                                              gint64        lead_seconds);
gint64        botomfa_seconds_remaining      (GDateTime    *expiration,
                                              GDateTime    *now);
char         *botomfa_format_remaining_short (gint64        seconds);
const char   *botomfa_format_remaining_short_guide (void);
char         *botomfa_format_remaining_long  (gint64        seconds);
char         *botomfa_format_status_line     (BotomfaState  state,
                                              GDateTime    *expiration,
                                              GDateTime    *now,
                                              gint64        lead_seconds);
char         *botomfa_state_icon_name        (BotomfaState  state);
const char   *botomfa_state_describe         (BotomfaState  state);
gint64        botomfa_next_wakeup_ms         (GDateTime    *expiration,
                                              GDateTime    *now);

G_END_DECLS
