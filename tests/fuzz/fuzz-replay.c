/* fuzz-replay.c — runs a libFuzzer target over files, without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz-replay-TARGET PATH…: feeds every file (a directory: every regular
 * file in it, in name order) to LLVMFuzzerTestOneInput() once. The target
 * abort()s on a violated invariant, so a plain build (gcc, no sanitizers or
 * with -Db_sanitize) turns the seed corpus and any saved crash input into an
 * ordinary test. Prints TAP. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    {
      g_ptr_array_add (files, g_strdup (path));  /* reported when read */
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&child));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint failed = 0;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY…\n", argv[0]);
      return 2;
    }

  for (int i = 1; i < argc; i++)
    {
      guint first = files->len;

      collect (argv[i], files);
      /* name order within each argument, so the TAP numbering is stable */
      if (files->len - first > 1)
        qsort (files->pdata + first, files->len - first, sizeof (gpointer), compare_paths);
    }

  if (files->len == 0)
    {
      printf ("1..0 # SKIP no input files\n");
      return 0;
    }

  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          printf ("not ok %u %s # %s\n", i + 1, path, error->message);
          failed++;
          continue;
        }

      /* A copy of exactly LENGTH bytes, so ASan sees a read past the end
       * (g_file_get_contents() adds a NUL). A crash ends the process:
       * the TAP plan then shows which file it was. */
      fflush (stdout);
      {
        g_autofree guint8 *copy = g_malloc (MAX (length, 1));

        memcpy (copy, contents, length);

        LLVMFuzzerTestOneInput (copy, length);
      }
      printf ("ok %u %s\n", i + 1, path);
    }

  return failed > 0 ? 1 : 0;
}
