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

int
main (int   argc,
      char *argv[])
{
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

  return g_test_run ();
}
