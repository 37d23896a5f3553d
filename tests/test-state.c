/* test-state.c — lifetime → state and label, as pure functions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "botomfa-credentials.h"
#include "botomfa-state.h"

typedef struct
{
  gint64       remaining;
  BotomfaState state;
  const char  *label;
} StateCase;

static const StateCase cases[] = {
  { 12 * 3600,         BOTOMFA_STATE_VALID,    "12h 00m" },
  { 2 * 3600 + 14 * 60 + 59, BOTOMFA_STATE_VALID, "2h 14m" },
  { 3600 + 5 * 60,     BOTOMFA_STATE_VALID,    "1h 05m" },
  { 14 * 60 + 30,      BOTOMFA_STATE_VALID,    "14m" },
  { 10 * 60 + 1,       BOTOMFA_STATE_VALID,    "10m" },
  { 10 * 60,           BOTOMFA_STATE_EXPIRING, "10m" },
  { 61,                BOTOMFA_STATE_EXPIRING, "1m" },
  { 59,                BOTOMFA_STATE_EXPIRING, "<1m" },
  { 1,                 BOTOMFA_STATE_EXPIRING, "<1m" },
  { 0,                 BOTOMFA_STATE_EXPIRED,  NULL },
  { -3600,             BOTOMFA_STATE_EXPIRED,  NULL },
};

static void
test_state (gconstpointer data)
{
  const StateCase *c = data;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 3, 12, 0, 0);
  g_autoptr(GDateTime) expiration = g_date_time_add_seconds (now, (gdouble) c->remaining);

  g_assert_cmpint (botomfa_state_from_expiration (expiration, now, BOTOMFA_DEFAULT_LEAD_SECONDS),
                   ==, c->state);
  g_assert_cmpint (botomfa_seconds_remaining (expiration, now), ==, c->remaining);
  if (c->label != NULL)
    {
      g_autofree char *label = botomfa_format_remaining_short (c->remaining);
      g_assert_cmpstr (label, ==, c->label);
    }
}

static void
test_unknown (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_assert_cmpint (botomfa_state_from_expiration (NULL, now, 600), ==, BOTOMFA_STATE_UNKNOWN);
  g_assert_cmpstr (botomfa_state_to_string (BOTOMFA_STATE_UNKNOWN), ==, "unknown");
  g_assert_cmpstr (botomfa_state_to_string (BOTOMFA_STATE_NOT_SET_UP), ==, "not-set-up");
}

static void
test_iso8601 (void)
{
  g_autoptr(GDateTime) a = botomfa_parse_iso8601 ("2011-07-11T19:55:29.611Z");
  g_autoptr(GDateTime) b = botomfa_parse_iso8601 ("2011-07-11T21:55:29+02:00");
  g_autoptr(GDateTime) c = botomfa_parse_iso8601 ("2011-07-11T19:55:29");
  g_autofree char *sa = botomfa_format_iso8601 (a);
  g_autofree char *sb = botomfa_format_iso8601 (b);
  g_autofree char *sc = botomfa_format_iso8601 (c);

  g_assert_cmpstr (sa, ==, "2011-07-11T19:55:29Z");
  g_assert_cmpstr (sb, ==, "2011-07-11T19:55:29Z");
  g_assert_cmpstr (sc, ==, "2011-07-11T19:55:29Z");
  {
    /* four-digit years, also before 1000, so it reads back */
    g_autoptr(GDateTime) early = g_date_time_new_utc (999, 1, 2, 3, 4, 5);
    g_autofree char *se = botomfa_format_iso8601 (early);
    g_autoptr(GDateTime) again = botomfa_parse_iso8601 (se);

    g_assert_cmpstr (se, ==, "0999-01-02T03:04:05Z");
    g_assert_nonnull (again);
    g_assert_true (g_date_time_equal (early, again));
  }
  g_assert_null (botomfa_parse_iso8601 ("soon"));
  g_assert_null (botomfa_parse_iso8601 (NULL));
}

static void
test_key_ids (void)
{
  g_assert_true (botomfa_access_key_id_is_valid ("AKIAIOSFODNN7EXAMPLE"));
  g_assert_true (botomfa_access_key_is_long_term ("AKIAIOSFODNN7EXAMPLE"));
  g_assert_false (botomfa_access_key_is_long_term ("ASIAIOSFODNN7EXAMPLE"));
  g_assert_false (botomfa_access_key_id_is_valid ("AKIA IOSFODNN7EXAMPLE"));
  g_assert_false (botomfa_access_key_id_is_valid ("akiaiosfodnn7example"));
  g_assert_false (botomfa_access_key_id_is_valid ("AKIA"));
  g_assert_true (botomfa_secret_access_key_is_valid ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
  g_assert_false (botomfa_secret_access_key_is_valid ("wJalrXUtnFEMI/K7MDENG/bPxRfi YEXAMPLEKEY"));
  g_assert_false (botomfa_secret_access_key_is_valid ("short"));
}

static void
test_status_line (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (utc, 2026, 12, 3, 13, 51, 0);
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 2 * 3600 + 14 * 60 + 20);
  g_autoptr(GDateTime) soon = g_date_time_add_seconds (now, 8 * 60 + 5);
  g_autoptr(GDateTime) past = g_date_time_add_seconds (now, -3600);
  g_autoptr(GDateTime) tomorrow = g_date_time_add_seconds (now, 30 * 3600);
  g_autofree char *valid = botomfa_format_status_line (BOTOMFA_STATE_VALID, later, now, 600);
  g_autofree char *expiring = botomfa_format_status_line (BOTOMFA_STATE_EXPIRING, soon, now, 600);
  g_autofree char *expired = botomfa_format_status_line (BOTOMFA_STATE_EXPIRED, past, now, 600);
  g_autofree char *error = botomfa_format_status_line (BOTOMFA_STATE_ERROR, later, now, 600);
  g_autofree char *next_day = botomfa_format_status_line (BOTOMFA_STATE_VALID, tomorrow, now, 600);
  g_autofree char *not_set_up = botomfa_format_status_line (BOTOMFA_STATE_NOT_SET_UP, NULL, now, 600);

  /* TZ=UTC is set in main(): local time is UTC */
  g_assert_cmpstr (valid, ==, "Valid for 2 h 14 min, until 16:05");
  g_assert_cmpstr (expiring, ==, "Valid for 8 min, until 13:59");
  g_assert_cmpstr (expired, ==, "Expired at 12:51");
  /* a failed renewal still shows what the old credentials are worth */
  g_assert_cmpstr (error, ==, valid);
  g_assert_cmpstr (next_day, ==, "Valid for 30 h, until Fri 19:51");
  g_assert_cmpstr (not_set_up, ==, "Not set up");
}

static void
test_icon_names (void)
{
  g_autofree char *valid = botomfa_state_icon_name (BOTOMFA_STATE_VALID);
  g_autofree char *missing = botomfa_state_icon_name (BOTOMFA_STATE_MISSING);

  g_assert_cmpstr (valid, ==, "io.github.botomfa.Botomfa-valid-symbolic");
  g_assert_cmpstr (missing, ==, "io.github.botomfa.Botomfa-expired-symbolic");
  for (BotomfaState s = BOTOMFA_STATE_NOT_SET_UP; s <= BOTOMFA_STATE_MISSING; s++)
    g_assert_nonnull (botomfa_state_describe (s));
}

typedef struct
{
  double  remaining;
  gint64  wakeup_ms;
} WakeCase;

static const WakeCase wake_cases[] = {
  { 3600.0,  60050 },   /* exactly on a boundary: the next one */
  { 3599.5,  59550 },
  { 125.25,   5300 },
  { 0.5,       550 },
  { 0.0,        -1 },   /* expired: nothing will change */
  { -10.0,      -1 },
};

static void
test_next_wakeup (gconstpointer data)
{
  const WakeCase *c = data;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 3, 12, 0, 0);
  g_autoptr(GDateTime) expiration = g_date_time_add_seconds (now, c->remaining);

  g_assert_cmpint (botomfa_next_wakeup_ms (expiration, now), ==, c->wakeup_ms);
}

static void
test_wakeup_lands_after_label_change (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 3, 12, 0, 0);
  g_autoptr(GDateTime) expiration = g_date_time_add_seconds (now, 10 * 60 + 17.3);
  g_autoptr(GDateTime) woken = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 ms = botomfa_next_wakeup_ms (expiration, now);

  woken = g_date_time_add (now, ms * G_TIME_SPAN_MILLISECOND);
  before = botomfa_format_remaining_short (botomfa_seconds_remaining (expiration, now));
  after = botomfa_format_remaining_short (botomfa_seconds_remaining (expiration, woken));
  g_assert_cmpstr (before, ==, "10m");
  g_assert_cmpstr (after, ==, "9m");
  g_assert_cmpint (botomfa_state_from_expiration (expiration, now, 600), ==, BOTOMFA_STATE_VALID);
  g_assert_cmpint (botomfa_state_from_expiration (expiration, woken, 600), ==, BOTOMFA_STATE_EXPIRING);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/botomfa/state/remaining/%" G_GINT64_FORMAT,
                                               cases[i].remaining);
      g_test_add_data_func (path, &cases[i], test_state);
    }
  g_test_add_func ("/botomfa/state/unknown", test_unknown);
  g_test_add_func ("/botomfa/state/iso8601", test_iso8601);
  g_test_add_func ("/botomfa/state/key-ids", test_key_ids);
  g_test_add_func ("/botomfa/state/status-line", test_status_line);
  g_test_add_func ("/botomfa/state/icon-names", test_icon_names);
  for (guint i = 0; i < G_N_ELEMENTS (wake_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/botomfa/state/next-wakeup/%u", i);
      g_test_add_data_func (path, &wake_cases[i], test_next_wakeup);
    }
  g_test_add_func ("/botomfa/state/wakeup-after-label-change", test_wakeup_lands_after_label_change);

  return g_test_run ();
}
