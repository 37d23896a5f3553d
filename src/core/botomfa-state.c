/* botomfa-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-state"

#include "config.h"

#include <glib/gi18n-lib.h>

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
 * down so the label never promises time that is not there. The numbers
 * are ints, so that xgettext can read the formats. */
char *
botomfa_format_remaining_short (gint64 seconds)
{
  int hours, minutes;

  if (seconds < 60)
    /* Translators: the panel label when less than a minute is left */
    return g_strdup (_("<1m"));

  hours = (int) MIN (seconds / 3600, G_MAXINT);
  minutes = (int) ((seconds % 3600) / 60);

  if (hours == 0)
    /* Translators: the panel label, minutes left: "14m". Keep it short */
    return g_strdup_printf (_("%dm"), minutes);

  /* Translators: the panel label, hours and minutes left: "2h 14m". Keep
   * it short, and translate "00h 00m" (its widest form) to match */
  return g_strdup_printf (_("%dh %02dm"), hours, minutes);
}

const char *
botomfa_format_remaining_short_guide (void)
{
  /* Translators: the widest panel label ("%dh %02dm" with two-digit
   * hours), which keeps the panel from jumping as it counts down */
  return _("00h 00m");
}

/* "2 h 14 min", "14 min", "less than a minute": for sentences. The
 * numbers are ints, not gint64, so that xgettext can read the formats. */
char *
botomfa_format_remaining_long (gint64 seconds)
{
  int hours, minutes;

  if (seconds < 60)
    return g_strdup (_("less than a minute"));

  hours = (int) MIN (seconds / 3600, G_MAXINT);
  minutes = (int) ((seconds % 3600) / 60);

  if (hours == 0)
    /* Translators: a duration, "14 min" */
    return g_strdup_printf (_("%d min"), minutes);
  if (minutes == 0)
    /* Translators: a duration, "2 h" */
    return g_strdup_printf (_("%d h"), hours);

  /* Translators: a duration, "2 h 14 min" */
  return g_strdup_printf (_("%d h %d min"), hours, minutes);
}

static char *
format_clock (GDateTime *time)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  /* %R follows the locale's 24-hour convention less than %X, but every
   * GNOME locale shows it well; the date is added when it is not today */
  return g_date_time_format (local, "%H:%M");
}

/* The first line of the menu: the state in full. */
char *
botomfa_format_status_line (BotomfaState  state,
                            GDateTime    *expiration,
                            GDateTime    *now,
                            gint64        lead_seconds)
{
  g_autofree char *when = NULL;
  g_autofree char *left = NULL;

  if (expiration != NULL && (state == BOTOMFA_STATE_ERROR || state == BOTOMFA_STATE_RENEWING ||
                             state == BOTOMFA_STATE_CHECKING))
    state = botomfa_state_from_expiration (expiration, now, lead_seconds);

  switch (state)
    {
    case BOTOMFA_STATE_VALID:
    case BOTOMFA_STATE_EXPIRING:
      {
        g_autoptr(GDateTime) local_now = g_date_time_to_local (now);
        g_autoptr(GDateTime) local_exp = g_date_time_to_local (expiration);

        left = botomfa_format_remaining_long (botomfa_seconds_remaining (expiration, now));
        if (g_date_time_get_day_of_year (local_now) == g_date_time_get_day_of_year (local_exp) &&
            g_date_time_get_year (local_now) == g_date_time_get_year (local_exp))
          when = format_clock (expiration);
        else
          /* Translators: a date and time within the next days, "Fri 16:05" */
          when = g_date_time_format (local_exp, _("%a %H:%M"));

        /* Translators: "Valid for 2 h 14 min, until 16:05" */
        return g_strdup_printf (_("Valid for %s, until %s"), left, when);
      }

    case BOTOMFA_STATE_EXPIRED:
      when = format_clock (expiration);
      /* Translators: "Expired at 14:05" */
      return g_strdup_printf (_("Expired at %s"), when);

    case BOTOMFA_STATE_NOT_SET_UP:
      return g_strdup (_("Not set up"));
    case BOTOMFA_STATE_CHECKING:
      return g_strdup (_("Checking the temporary credentials…"));
    case BOTOMFA_STATE_RENEWING:
      return g_strdup (_("Renewing…"));
    case BOTOMFA_STATE_UNKNOWN:
      return g_strdup (_("Temporary credentials of unknown lifetime"));
    case BOTOMFA_STATE_MISSING:
      return g_strdup (_("No temporary credentials"));
    case BOTOMFA_STATE_ERROR:
    default:
      return g_strdup (_("Renewal failed"));
    }
}

/* Icons carry the application id so a Flatpak can export them. Unknown
 * and missing credentials look like expired ones: either way they need a
 * renewal before they can be used. */
char *
botomfa_state_icon_name (BotomfaState state)
{
  const char *name;

  switch (state)
    {
    case BOTOMFA_STATE_UNKNOWN:
    case BOTOMFA_STATE_CHECKING:
      name = "checking";
      break;
    case BOTOMFA_STATE_MISSING:
      name = "expired";
      break;
    case BOTOMFA_STATE_NOT_SET_UP:
    case BOTOMFA_STATE_VALID:
    case BOTOMFA_STATE_EXPIRING:
    case BOTOMFA_STATE_EXPIRED:
    case BOTOMFA_STATE_RENEWING:
    case BOTOMFA_STATE_ERROR:
    default:
      name = botomfa_state_to_string (state);
      break;
    }

  return g_strdup_printf ("%s-%s-symbolic", APP_ID, name);
}

/* The icon's accessible description: the state in words */
const char *
botomfa_state_describe (BotomfaState state)
{
  switch (state)
    {
    case BOTOMFA_STATE_NOT_SET_UP: return _("AWS credentials: not set up");
    case BOTOMFA_STATE_CHECKING:   return _("AWS credentials: checking");
    case BOTOMFA_STATE_VALID:      return _("AWS credentials: valid");
    case BOTOMFA_STATE_EXPIRING:   return _("AWS credentials: expiring soon");
    case BOTOMFA_STATE_EXPIRED:    return _("AWS credentials: expired");
    case BOTOMFA_STATE_RENEWING:   return _("AWS credentials: renewing");
    case BOTOMFA_STATE_UNKNOWN:    return _("AWS credentials: lifetime unknown");
    case BOTOMFA_STATE_MISSING:    return _("AWS credentials: none yet");
    case BOTOMFA_STATE_ERROR:
    default:                       return _("AWS credentials: renewal failed");
    }
}

/* When must the display change next? The label counts whole minutes down
 * and every state boundary (the lead time, the expiry) falls on a whole
 * minute of remaining time, so the next minute boundary is the only
 * candidate. -1: nothing will change (expired or unknown). A little slack
 * lands the wake-up just after the boundary, never just before it. */
gint64
botomfa_next_wakeup_ms (GDateTime *expiration,
                        GDateTime *now)
{
  GTimeSpan remaining;
  GTimeSpan to_boundary;

  if (expiration == NULL)
    return -1;

  remaining = g_date_time_difference (expiration, now);
  if (remaining <= 0)
    return -1;

  to_boundary = remaining % (60 * G_TIME_SPAN_SECOND);
  if (to_boundary == 0)
    to_boundary = 60 * G_TIME_SPAN_SECOND;

  return to_boundary / G_TIME_SPAN_MILLISECOND + 50;
}
