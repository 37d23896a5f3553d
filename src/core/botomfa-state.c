/* botomfa-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-state"

#include "config.h"

#include "botomfa-state.h"

const char *
botomfa_state_to_string (BotomfaState state)
{
  /* Stable identifiers: they are the --status --json "state" values and the
   * suffixes of the status icon names. */
  switch (state)
    {
    case BOTOMFA_STATE_NOT_SET_UP: return "not-set-up";
    case BOTOMFA_STATE_CHECKING:   return "checking";
    case BOTOMFA_STATE_VALID:      return "valid";
    case BOTOMFA_STATE_EXPIRING:   return "expiring";
    case BOTOMFA_STATE_EXPIRED:    return "expired";
    case BOTOMFA_STATE_RENEWING:   return "renewing";
    case BOTOMFA_STATE_ERROR:      return "error";
    case BOTOMFA_STATE_UNKNOWN:    return "unknown";
    case BOTOMFA_STATE_MISSING:    return "missing";
    default:                       g_return_val_if_reached ("error");
    }
}

gint64
botomfa_seconds_remaining (GDateTime *expiration,
                           GDateTime *now)
{
  g_return_val_if_fail (expiration != NULL, 0);
  g_return_val_if_fail (now != NULL, 0);

  return g_date_time_difference (expiration, now) / G_TIME_SPAN_SECOND;
}

BotomfaState
botomfa_state_from_expiration (GDateTime *expiration,
                               GDateTime *now,
                               gint64     lead_seconds)
{
  gint64 remaining;

  if (expiration == NULL)
    return BOTOMFA_STATE_UNKNOWN;

  remaining = botomfa_seconds_remaining (expiration, now);
  if (remaining <= 0)
    return BOTOMFA_STATE_EXPIRED;
  if (remaining <= lead_seconds)
    return BOTOMFA_STATE_EXPIRING;

  return BOTOMFA_STATE_VALID;
}

/* "2h 14m", "14m", "<1m": compact enough for a panel. Minutes are rounded
 * down so the label never promises time that is not there. */
char *
botomfa_format_remaining_short (gint64 seconds)
{
  gint64 hours, minutes;

  if (seconds < 60)
    return g_strdup ("<1m");

  hours = seconds / 3600;
  minutes = (seconds % 3600) / 60;

  if (hours == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m", minutes);

  return g_strdup_printf ("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", hours, minutes);
}
