/* ini-dump.c — shows what botomfa-ini makes of a file, for the tests that
 * compare it with Python's configparser.
 *
 *   ini-dump FILE
 *     prints {"sections": {"name": {"key": "value", ...}, ...}} — every
 *     section as configparser's cp[name] sees it (its own keys plus the ones
 *     it inherits from [DEFAULT]); "DEFAULT" itself is listed when it has
 *     keys. On a parse error prints {"error": "FILE:LINE: ..."}, exits 1.
 *
 *   ini-dump [--set SECTION KEY VALUE | --remove-key SECTION KEY |
 *             --remove-section SECTION]... FILE
 *     applies the edits in order and writes the new file's bytes to stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "botomfa-ini.h"

static void
append_json_string (GString    *out,
                    const char *text)
{
  const char *p;

  g_string_append_c (out, '"');
  for (p = text; *p != '\0'; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);  /* UTF-8 passes through */
    }
  g_string_append_c (out, '"');
}

static gboolean
strv_has (char       **strv,
          const char  *s)
{
  return strv != NULL && g_strv_contains ((const char * const *) strv, s);
}

static void
dump_section (GString    *out,
              BotomfaIni *ini,
              const char *section,
              char      **defaults)
{
  g_auto(GStrv) own = botomfa_ini_get_keys (ini, section);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  guint i;

  for (i = 0; own[i] != NULL; i++)
    g_ptr_array_add (keys, own[i]);
  if (strcmp (section, "DEFAULT") != 0)
    for (i = 0; defaults != NULL && defaults[i] != NULL; i++)
      if (!strv_has (own, defaults[i]))
        g_ptr_array_add (keys, defaults[i]);

  append_json_string (out, section);
  g_string_append (out, ": {");
  for (i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);
      g_autofree char *value = botomfa_ini_get (ini, section, key);

      if (i > 0)
        g_string_append (out, ", ");
      append_json_string (out, key);
      g_string_append (out, ": ");
      append_json_string (out, value);
    }
  g_string_append (out, "}");
}

static int
usage (void)
{
  g_printerr ("usage: ini-dump [--set SECTION KEY VALUE | --remove-key SECTION KEY |"
              " --remove-section SECTION]... FILE\n");
  return 2;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = NULL;
  g_autofree char *data = NULL;
  g_autofree char *display = NULL;
  const char *path;
  gboolean edit = FALSE;
  gsize length;
  int i;

  if (argc < 2)
    return usage ();
  path = argv[argc - 1];

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  display = g_filename_display_name (path);
  ini = botomfa_ini_new_from_data (data, length, display, &error);
  if (ini == NULL)
    {
      g_autoptr(GString) out = g_string_new ("{\"error\": ");

      append_json_string (out, error->message);
      g_string_append (out, "}\n");
      fputs (out->str, stdout);
      return 1;
    }

  for (i = 1; i < argc - 1;)
    {
      if (strcmp (argv[i], "--set") == 0 && i + 3 < argc - 1)
        {
          botomfa_ini_set (ini, argv[i + 1], argv[i + 2], argv[i + 3]);
          i += 4;
        }
      else if (strcmp (argv[i], "--remove-key") == 0 && i + 2 < argc - 1)
        {
          botomfa_ini_remove_key (ini, argv[i + 1], argv[i + 2]);
          i += 3;
        }
      else if (strcmp (argv[i], "--remove-section") == 0 && i + 1 < argc - 1)
        {
          botomfa_ini_remove_section (ini, argv[i + 1]);
          i += 2;
        }
      else
        return usage ();
      edit = TRUE;
    }

  if (edit)
    {
      g_autofree char *out = botomfa_ini_to_data (ini, &length);

      if (fwrite (out, 1, length, stdout) != length || fflush (stdout) != 0)
        return 2;
    }
  else
    {
      g_autoptr(GString) out = g_string_new ("{\"sections\": {");
      g_auto(GStrv) sections = botomfa_ini_get_sections (ini);
      g_auto(GStrv) defaults = botomfa_ini_get_keys (ini, "DEFAULT");
      gboolean first = TRUE;

      for (i = 0; sections[i] != NULL; i++)
        {
          if (strcmp (sections[i], "DEFAULT") == 0 && (defaults == NULL || defaults[0] == NULL))
            continue;
          if (!first)
            g_string_append (out, ", ");
          first = FALSE;
          dump_section (out, ini, sections[i], defaults);
        }
      g_string_append (out, "}}\n");
      fputs (out->str, stdout);
    }
  return 0;
}
