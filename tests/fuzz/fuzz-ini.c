/* fuzz-ini.c — libFuzzer target for the lossless INI editor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds arbitrary bytes to botomfa_ini_new_from_data(). A refused input must
 * come back as a BOTOMFA_INI_ERROR. An accepted one must
 *  (a) come back byte for byte from botomfa_ini_to_data(), and
 *  (b) survive the edits botomfa makes to ~/.boto: setting and removing
 *      aws_access_key_id, aws_secret_access_key and aws_security_token in
 *      [Credentials]. After each edit the document must parse again, get()
 *      must return what was set (or, once removed, what [DEFAULT] provides),
 *      and every other section and key must keep its value.
 * Any violation abort()s, which libFuzzer reports as a crash. GLib criticals
 * and warnings (the editor logs one when an edit breaks the document) are
 * made fatal too.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/meson.build, -Dfuzzing=true)
 * or, without libFuzzer, linked with fuzz-replay.c to replay the corpus. */
#include "config.h"

#define FUZZ_TARGET "fuzz-ini"
#include "fuzz-common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "botomfa-ini.h"

#define SECTION "Credentials"
#define DEFAULT_SECTION "DEFAULT"

static const char * const edited_keys[] = {
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_security_token",
};
#define N_EDITED G_N_ELEMENTS (edited_keys)

/* Values botomfa could write, and some that look like syntax. None has
 * leading or trailing white space (configparser strips that) nor a line
 * break (set() refuses those). */
static const char * const values[] = {
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  "FwoGZXIvYXdzEBYaDHqa0AP1/////////wEaDOQ+bxBEXAMPLEtoken==",
  "",
  "x",
  "a = b : c",
  "[Credentials]",
  "#not a comment",
  ";nor this",
  "%(interpolation)s",
  "tab\tinside",
  "\xc3\xa9t\xc3\xa9 \xe2\x88\x91 \xce\xa3",
};

static void
init_once (void)
{
  static gboolean done = FALSE;

  if (done)
    return;
  done = TRUE;
  fuzz_make_warnings_fatal ();
}

static gboolean
is_edited_key (const char *section,
               const char *key)
{
  if (strcmp (section, SECTION) != 0)
    return FALSE;
  for (guint i = 0; i < N_EDITED; i++)
    if (strcmp (key, edited_keys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Every section, key and value except the three edited keys of
 * [Credentials] (and [Credentials] itself in the section list, since set()
 * may create it), serialised for comparison. */
static GString *
snapshot (BotomfaIni *ini,
          gboolean    list_credentials)
{
  g_auto(GStrv) sections = botomfa_ini_get_sections (ini);
  GString *out = g_string_new (NULL);

  for (guint i = 0; sections[i] != NULL; i++)
    {
      g_auto(GStrv) keys = botomfa_ini_get_keys (ini, sections[i]);

      if (keys == NULL)
        fail ("get_sections() lists [%s] but get_keys() finds no such section", sections[i]);
      if (!botomfa_ini_has_section (ini, sections[i]))
        fail ("get_sections() lists [%s] but has_section() says no", sections[i]);

      if (strcmp (sections[i], SECTION) != 0 || list_credentials)
        g_string_append_printf (out, "[%s]\n", sections[i]);

      for (guint j = 0; keys[j] != NULL; j++)
        {
          g_autofree char *value = NULL;

          if (is_edited_key (sections[i], keys[j]))
            continue;
          value = botomfa_ini_get (ini, sections[i], keys[j]);
          if (value == NULL)
            fail ("[%s] lists the key %s but get() returns NULL", sections[i], keys[j]);
          g_string_append_printf (out, "%s=%s\x1f", keys[j], value);
        }
    }
  return out;
}

/* BEFORE was taken with list_credentials = HAD_SECTION: a [Credentials]
 * that set() appended is left out of the comparison (any key of its own
 * other than the edited ones would still show up and differ). */
static void
check_unchanged (BotomfaIni *ini,
                 GString    *before,
                 gboolean    had_section,
                 const char *what)
{
  g_autoptr(GString) after = snapshot (ini, had_section);

  if (!g_str_equal (before->str, after->str))
    fail ("after %s: other sections or keys changed\n--- before\n%s\n--- after\n%s",
          what, before->str, after->str);
}

/* to_data(), then parse that again: an edited document must always parse,
 * and its bytes must come back unchanged. */
static BotomfaIni *
round_trip (BotomfaIni *ini,
            const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bytes = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;
  gsize again_length = 0;
  BotomfaIni *parsed;

  bytes = botomfa_ini_to_data (ini, &length);
  if (bytes == NULL || strlen (bytes) != length)
    fail ("after %s: to_data() returned a bad buffer", what);

  parsed = botomfa_ini_new_from_data (bytes, length, "(edited)", &error);
  if (parsed == NULL)
    fail ("after %s: the edited document no longer parses: %s\n--- document\n%s",
          what, error->message, bytes);

  again = botomfa_ini_to_data (parsed, &again_length);
  if (again_length != length || memcmp (again, bytes, length) != 0)
    fail ("after %s: the re-parsed document does not round-trip", what);

  return parsed;
}

static void
check_value (BotomfaIni *ini,
             const char *key,
             const char *expected,
             const char *what)
{
  g_autofree char *value = botomfa_ini_get (ini, SECTION, key);

  if (g_strcmp0 (value, expected) != 0)
    fail ("after %s: get([" SECTION "], %s) is “%s”, expected “%s”",
          what, key, value ? value : "(null)", expected ? expected : "(null)");
}

static gboolean
section_has_key (BotomfaIni *ini,
                 const char *section,
                 const char *key)
{
  g_auto(GStrv) keys = botomfa_ini_get_keys (ini, section);

  return keys != NULL && g_strv_contains ((const char * const *) keys, key);
}

/* After remove_key(): [Credentials] has no such key of its own, so get()
 * falls back to [DEFAULT] like configparser. */
static void
check_removed (BotomfaIni *ini,
               const char *key,
               const char *what)
{
  g_autofree char *inherited = botomfa_ini_get (ini, DEFAULT_SECTION, key);

  if (section_has_key (ini, SECTION, key))
    fail ("after %s: [" SECTION "] still has %s", what, key);
  check_value (ini, key, botomfa_ini_has_section (ini, SECTION) ? inherited : NULL, what);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = NULL;
  g_autoptr(GString) before = NULL;
  g_autofree char *bytes = NULL;
  const char *set_values[N_EDITED];
  gsize length = 0;
  gboolean had_section;
  guint32 seed = 2166136261u;

  init_once ();

  ini = botomfa_ini_new_from_data ((const char *) data, size, "fuzz", &error);
  if (ini == NULL)
    {
      if (error == NULL || error->domain != BOTOMFA_INI_ERROR)
        fail ("refused without a BOTOMFA_INI_ERROR");
      if (!g_utf8_validate (error->message, -1, NULL))
        fail ("an error message is not UTF-8");
      return 0;
    }
  if (error != NULL)
    fail ("accepted but set an error");

  /* (a) lossless */
  bytes = botomfa_ini_to_data (ini, &length);
  if (length != size || (size > 0 && memcmp (bytes, data, size) != 0))
    fail ("to_data() differs from the input (%" G_GSIZE_FORMAT " bytes in, %"
          G_GSIZE_FORMAT " out)", (gsize) size, length);

  /* (b) the edits, with values picked from the input's hash */
  for (size_t i = 0; i < size; i++)
    seed = (seed ^ data[i]) * 16777619u;

  had_section = botomfa_ini_has_section (ini, SECTION);
  before = snapshot (ini, had_section);

  /* Set all three: adds the keys (or the section) or replaces them */
  for (guint k = 0; k < N_EDITED; k++)
    {
      set_values[k] = values[(seed >> (4 * k)) % G_N_ELEMENTS (values)];
      botomfa_ini_set (ini, SECTION, edited_keys[k], set_values[k]);
      check_value (ini, edited_keys[k], set_values[k], "set");
    }
  {
    g_autoptr(BotomfaIni) parsed = round_trip (ini, "set");

    for (guint k = 0; k < N_EDITED; k++)
      {
        check_value (parsed, edited_keys[k], set_values[k], "set and re-parse");
        if (!section_has_key (parsed, SECTION, edited_keys[k]))
          fail ("after set: get_keys([" SECTION "]) lacks %s", edited_keys[k]);
      }
    check_unchanged (parsed, before, had_section, "set");
  }

  /* Set again, with other values: the replace path, on the existing keys */
  for (guint k = 0; k < N_EDITED; k++)
    {
      set_values[k] = values[(seed >> (4 * k + 12)) % G_N_ELEMENTS (values)];
      botomfa_ini_set (ini, SECTION, edited_keys[k], set_values[k]);
    }
  {
    g_autoptr(BotomfaIni) parsed = round_trip (ini, "second set");

    for (guint k = 0; k < N_EDITED; k++)
      check_value (parsed, edited_keys[k], set_values[k], "second set and re-parse");
    check_unchanged (parsed, before, had_section, "second set");
  }

  /* Remove them one by one, starting at a key picked by the seed (the
   * session token is what botomfa removes when it writes long-term keys) */
  for (guint n = 0; n < N_EDITED; n++)
    {
      guint k = (seed / 7 + n) % N_EDITED;
      g_autoptr(BotomfaIni) parsed = NULL;

      if (!botomfa_ini_remove_key (ini, SECTION, edited_keys[k]))
        fail ("remove_key() did not find %s", edited_keys[k]);
      check_removed (ini, edited_keys[k], "remove_key");

      parsed = round_trip (ini, "remove_key");
      check_removed (parsed, edited_keys[k], "remove_key and re-parse");
      for (guint m = 1; m < N_EDITED - n; m++)
        {
          guint other = (k + m) % N_EDITED;

          check_value (parsed, edited_keys[other], set_values[other], "removing another key");
        }
      check_unchanged (parsed, before, had_section, "remove_key");
    }

  if (botomfa_ini_remove_key (ini, SECTION, edited_keys[0]))
    fail ("remove_key() removed a key twice");

  return 0;
}
