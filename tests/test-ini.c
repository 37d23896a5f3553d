/* test-ini.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "botomfa-ini.h"

/* ---- Round trip of every fixture ---------------------------------------- */

/* Where Python 3.11's configparser refuses a fixture (see
 * data/config/OBSERVED-RESULTS.json); every other file must load and come
 * back byte for byte. */
typedef struct
{
  const char      *path;
  BotomfaIniError  code;
  guint            line;
} Refusal;

static const Refusal refusals[] = {
  { "CONFIGPARSER-NOTES.md", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 3 },
  { "OBSERVED-RESULTS.json", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "README.md", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 3 },
  { "SOURCE.md", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 3 },
  { "aws-cli-docs/credentials-plus-config.example-with-DUPLICATE-KEY.ini",
    BOTOMFA_INI_ERROR_DUPLICATE_KEY, 4 },
  { "botocore-tests-unit-cfg/aws_config_bad", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "botocore-tests-unit-cfg/aws_credentials", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "edge-cases/04-duplicate-sections.ini", BOTOMFA_INI_ERROR_DUPLICATE_SECTION, 4 },
  { "edge-cases/05-duplicate-keys.ini", BOTOMFA_INI_ERROR_DUPLICATE_KEY, 3 },
  { "edge-cases/10-no-section-header.ini", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "edge-cases/11-utf8-bom.ini", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "edge-cases/13-key-without-delimiter.ini", BOTOMFA_INI_ERROR_PARSE, 3 },
  { "sdk-profile-parser-suite/file-location-tests.json", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "sdk-profile-parser-suite/profile-parser-tests.json", BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
};

static void
collect_files (const char *base,
               const char *relative,
               GPtrArray  *out)
{
  g_autofree char *path = g_build_filename (base, relative, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = *relative != '\0' ? g_strconcat (relative, "/", name, NULL)
                                                 : g_strdup (name);
      g_autofree char *child_path = g_build_filename (base, child, NULL);

      if (g_file_test (child_path, G_FILE_TEST_IS_DIR))
        collect_files (base, child, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child));
    }
}

static gint
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static const Refusal *
find_refusal (const char *path)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (refusals); i++)
    if (strcmp (refusals[i].path, path) == 0)
      return &refusals[i];
  return NULL;
}

static void
test_fixture_roundtrip (gconstpointer data)
{
  const char *relative = data;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "config", relative, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = NULL;
  g_autofree char *contents = NULL;
  const Refusal *refusal = find_refusal (relative);
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);

  ini = botomfa_ini_new_from_data (contents, length, relative, &error);
  if (refusal != NULL)
    {
      g_autofree char *prefix = g_strdup_printf ("%s:%u: ", relative, refusal->line);

      g_assert_null (ini);
      g_assert_error (error, BOTOMFA_INI_ERROR, (gint) refusal->code);
      g_assert_true (g_str_has_prefix (error->message, prefix));
    }
  else
    {
      g_autofree char *out = NULL;
      gsize out_length;

      g_assert_no_error (error);
      g_assert_nonnull (ini);
      out = botomfa_ini_to_data (ini, &out_length);
      g_assert_cmpmem (out, out_length, contents, length);
    }
}

/* A missing data directory must fail, not run zero round-trip tests. */
static void
test_fixture_count (gconstpointer data)
{
  const GPtrArray *files = data;
  gsize i;

  g_assert_cmpuint (files->len, >=, 52);
  for (i = 0; i < G_N_ELEMENTS (refusals); i++)
    g_assert_true (g_ptr_array_find_with_equal_func ((GPtrArray *) files, refusals[i].path,
                                                     g_str_equal, NULL));
}

/* ---- What a document means ---------------------------------------------- */

typedef struct
{
  const char *name;
  const char *input;
  const char *section;
  const char *key;
  const char *value;  /* NULL: get() finds nothing */
} ValueCase;

static const ValueCase value_cases[] = {
  { "inline-pound-is-value", "[default]\nregion = us-west-2 # c\n", "default", "region",
    "us-west-2 # c" },
  { "inline-semicolon-is-value", "[default]\noutput = json ; c\n", "default", "output",
    "json ; c" },
  { "colon-delimiter", "[d]\naws_access_key_id: AKIA\n", "d", "aws_access_key_id", "AKIA" },
  { "first-delimiter-wins", "[d]\nurl = https://x/a=b:c\n", "d", "url", "https://x/a=b:c" },
  { "colon-before-equals", "[d]\na:b = c\n", "d", "a", "b = c" },
  { "odd-spacing", "[d]\n  k\t:\t v \t\n", "d", "k", "v" },
  { "no-spaces", "[d]\nk=v\n", "d", "k", "v" },
  { "unicode-spaces-stripped", "[d]\nk = \xc2\xa0v\xc2\xa0w\xe3\x80\x80\n", "d", "k",
    "v\xc2\xa0w" },
  { "continuation", "[d]\nk = a\n  b\n\n  c\n\n\nnext = 1\n", "d", "k", "a\nb\n\nc" },
  { "continuation-tab", "[d]\nk = a\n\tb\n", "d", "k", "a\nb" },
  { "continuation-skips-comments", "[d]\nk =\n  x = 1\n  # c\n  ; d\n  y = 2\n", "d", "k",
    "\nx = 1\ny = 2" },
  { "continuation-keeps-late-pound", "[d]\nk = a\n  -b # c\n", "d", "k", "a\n-b # c" },
  { "continuation-ends-at-same-indent", "[d]\n  k = a\n  j = b\n", "d", "j", "b" },
  { "continuation-bracket-line", "[d]\nk = a\n  [e]\n", "d", "k", "a\n[e]" },
  { "indented-key-after-header", "  [d]\n    k = v\n", "d", "k", "v" },
  { "indented-line-after-header-is-a-key", "[d]\n Will expire on 2015-05-09T12:34:56Z\n",
    "d", "will expire on 2015-05-09t12", "34:56Z" },
  { "key-case-insensitive", "[d]\nAWS_Access_Key_ID = A\n", "d", "AWS_ACCESS_KEY_ID", "A" },
  { "key-lowercase-non-ascii", "[d]\n\xc3\x84\xc3\x96 = 1\n", "d", "\xc3\xa4\xc3\xb6", "1" },
  /* str.lower(): U+0130 becomes "i" + U+0307, a final capital sigma "ς". */
  { "key-lowercase-dotted-i", "[d]\n\xc4\xb0" "d = 1\n", "d", "i\xcc\x87" "d", "1" },
  { "key-lowercase-final-sigma", "[d]\n\xce\xa3\xce\x91\xce\xa3 = 1\n", "d",
    "\xcf\x83\xce\xb1\xcf\x82", "1" },
  { "key-with-spaces", "[d]\nkey with spaces = v\n", "d", "Key With Spaces", "v" },
  { "section-case-sensitive", "[Default]\nk = 1\n", "default", "k", NULL },
  { "section-inner-spaces-kept", "[ profile dev ]\nk = v\n", "profile dev", "k", NULL },
  { "section-inner-spaces", "[ profile dev ]\nk = v\n", " profile dev ", "k", "v" },
  { "section-junk-after-bracket", "[default] ; c\nk = v\n", "default", "k", "v" },
  { "section-last-bracket", "[a]b]\nk = v\n", "a]b", "k", "v" },
  { "default-inherited", "[DEFAULT]\nregion = eu\n[p]\nk = v\n", "p", "region", "eu" },
  { "default-overridden", "[DEFAULT]\nregion = eu\n[p]\nregion = us\n", "p", "region", "us" },
  { "default-blocks-merge", "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\n", "s", "b", "2" },
  { "default-not-for-missing-section", "[DEFAULT]\nregion = eu\n", "p", "region", NULL },
  { "empty-value", "[d]\nregion =\n", "d", "region", "" },
  { "empty-value-tight", "[d]\noutput=\n", "d", "output", "" },
  { "quotes-kept", "[d]\nk = \"x\"\n", "d", "k", "\"x\"" },
  { "percent-raw", "[d]\nk = abc%def\n", "d", "k", "abc%def" },
  { "crlf", "[d]\r\nk = v\r\n  w\r\n", "d", "k", "v\nw" },
  { "lone-cr", "[d]\rk = v\r  w\r", "d", "k", "v\nw" },
  { "no-final-newline", "[d]\nk = v", "d", "k", "v" },
  { "missing-key", "[d]\nk = v\n", "d", "x", NULL },
  { "missing-section", "[d]\nk = v\n", "e", "k", NULL },
  { "comment-indented", "[d]\n   # k = x\nk = v\n", "d", "k", "v" },
};

static void
test_value (gconstpointer data)
{
  const ValueCase *tc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (tc->input, strlen (tc->input),
                                                         "test.ini", &error);
  g_autofree char *value = NULL;

  g_assert_no_error (error);
  value = botomfa_ini_get (ini, tc->section, tc->key);
  g_assert_cmpstr (value, ==, tc->value);
}

static void
test_sections_and_keys (void)
{
  static const char input[] =
    "[DEFAULT]\nregion = eu-west-1\n\n[default]\nAWS_ACCESS_KEY_ID = A\n\n"
    "[profile dev]\nrole_arn = r\nSource_Profile = default\n[empty]\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (input, strlen (input), "t", &error);
  g_auto(GStrv) sections = NULL;
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) empty = NULL;
  const char * const expected_sections[] = { "DEFAULT", "default", "profile dev", "empty", NULL };
  const char * const expected_keys[] = { "role_arn", "source_profile", NULL };

  g_assert_no_error (error);
  sections = botomfa_ini_get_sections (ini);
  g_assert_cmpstrv (sections, expected_sections);
  /* Own keys only: region is inherited, not listed. */
  keys = botomfa_ini_get_keys (ini, "profile dev");
  g_assert_cmpstrv (keys, expected_keys);
  empty = botomfa_ini_get_keys (ini, "empty");
  g_assert_nonnull (empty);
  g_assert_null (empty[0]);
  g_assert_null (botomfa_ini_get_keys (ini, "missing"));
  g_assert_true (botomfa_ini_has_section (ini, "DEFAULT"));
  g_assert_true (botomfa_ini_has_section (ini, "empty"));
  g_assert_false (botomfa_ini_has_section (ini, "Default"));
}

static void
test_new_empty (void)
{
  g_autoptr(BotomfaIni) ini = botomfa_ini_new ();
  g_auto(GStrv) sections = botomfa_ini_get_sections (ini);
  g_autofree char *data = NULL;
  gsize length = 1;

  g_assert_nonnull (sections);
  g_assert_null (sections[0]);
  data = botomfa_ini_to_data (ini, &length);
  g_assert_cmpuint (length, ==, 0);
  g_assert_cmpstr (data, ==, "");
}

/* ---- Files configparser refuses ------------------------------------------ */

typedef struct
{
  const char      *name;
  const char      *input;
  gssize           length;  /* -1: strlen */
  BotomfaIniError  code;
  guint            line;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "no-header", "k = v\n", -1, BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "no-header-after-comments", "# c\n\n; d\nk = v\n", -1, BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 4 },
  { "bom", "\xef\xbb\xbf[default]\nk = v\n", -1, BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "empty-brackets", "[]\nk = v\n", -1, BOTOMFA_INI_ERROR_NO_SECTION_HEADER, 1 },
  { "duplicate-section", "[a]\n[b]\n[a]\n", -1, BOTOMFA_INI_ERROR_DUPLICATE_SECTION, 3 },
  { "duplicate-key-case-insensitive", "[a]\nRegion = 1\nregion = 2\n", -1,
    BOTOMFA_INI_ERROR_DUPLICATE_KEY, 3 },
  { "duplicate-key-colon", "[a]\nk = 1\nk: 2\n", -1, BOTOMFA_INI_ERROR_DUPLICATE_KEY, 3 },
  { "duplicate-key-across-default-blocks", "[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n", -1,
    BOTOMFA_INI_ERROR_DUPLICATE_KEY, 4 },
  { "no-delimiter", "[a]\nk = v\nbogus\n", -1, BOTOMFA_INI_ERROR_PARSE, 3 },
  { "no-key-name", "[a]\n= v\n", -1, BOTOMFA_INI_ERROR_PARSE, 2 },
  { "first-bad-line-reported", "[a]\nx\ny\n", -1, BOTOMFA_INI_ERROR_PARSE, 2 },
  /* configparser raises duplicates at once but bad lines at the end. */
  { "duplicate-before-bad-line", "[a]\nbogus\n[a]\n", -1, BOTOMFA_INI_ERROR_DUPLICATE_SECTION, 3 },
  { "crlf-line-numbers", "[a]\r\nk = v\r\nbogus\r\n", -1, BOTOMFA_INI_ERROR_PARSE, 3 },
  { "cr-line-numbers", "[a]\rk = v\rbogus\r", -1, BOTOMFA_INI_ERROR_PARSE, 3 },
  { "invalid-utf8", "[a]\nk = \xff\n", -1, BOTOMFA_INI_ERROR_ENCODING, 2 },
  { "nul-byte", "[a]\nk = v\0\n", 11, BOTOMFA_INI_ERROR_ENCODING, 2 },
};

static void
test_error (gconstpointer data)
{
  const ErrorCase *tc = data;
  gsize length = tc->length >= 0 ? (gsize) tc->length : strlen (tc->input);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (tc->input, length, "dir/test.ini",
                                                         &error);
  g_autofree char *prefix = g_strdup_printf ("dir/test.ini:%u: ", tc->line);

  g_assert_null (ini);
  g_assert_error (error, BOTOMFA_INI_ERROR, (gint) tc->code);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

/* A line without a delimiter may be a wrapped secret: never quote it. */
static void
test_error_hides_line (void)
{
  static const char input[] = "[default]\naws_secret_access_key = abc\nwJalrXUtnFEMIK7MDENG\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (input, strlen (input), "t", &error);

  g_assert_error (error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_PARSE);
  g_assert_null (strstr (error->message, "wJalrXUtnFEMIK7MDENG"));
}

/* ---- Edits ---------------------------------------------------------------- */

typedef enum
{
  EDIT_SET,
  EDIT_REMOVE_KEY,
  EDIT_REMOVE_SECTION,
} EditOp;

typedef struct
{
  const char *name;
  const char *input;
  EditOp      op;
  const char *section;
  const char *key;
  const char *value;
  const char *expected;  /* the whole new file */
  gboolean    result;    /* of remove_*() */
} EditCase;

static const EditCase edit_cases[] = {
  /* An existing key: only its value changes. */
  { "set/existing-odd-spacing",
    "[Credentials]\naws_access_key_id   =  OLD  \nregion = x\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[Credentials]\naws_access_key_id   =  NEW  \nregion = x\n" },
  { "set/existing-colon",
    "[Credentials]\naws_access_key_id: OLD\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[Credentials]\naws_access_key_id: NEW\n" },
  { "set/existing-colon-tabs-indent",
    "[c]\n  key\t:\tOLD # not a comment\n",
    EDIT_SET, "c", "key", "NEW",
    "[c]\n  key\t:\tNEW\n" },
  { "set/existing-tight",
    "[c]\nk=OLD\nj=1\n",
    EDIT_SET, "c", "k", "NEW",
    "[c]\nk=NEW\nj=1\n" },
  { "set/existing-trailing-space-kept",
    "[c]\nk = OLD\t\n",
    EDIT_SET, "c", "k", "NEW",
    "[c]\nk = NEW\t\n" },
  { "set/existing-empty-spaced",
    "[c]\nregion =\n",
    EDIT_SET, "c", "region", "NEW",
    "[c]\nregion = NEW\n" },
  { "set/existing-empty-tight",
    "[c]\noutput=\n",
    EDIT_SET, "c", "output", "NEW",
    "[c]\noutput=NEW\n" },
  { "set/existing-to-empty",
    "[c]\nk = OLD\n",
    EDIT_SET, "c", "k", "",
    "[c]\nk = \n" },
  { "set/existing-case-in-file",
    "[Credentials]\nAWS_Access_Key_ID = OLD\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[Credentials]\nAWS_Access_Key_ID = NEW\n" },
  { "set/existing-case-of-caller",
    "[Credentials]\naws_access_key_id = OLD\n",
    EDIT_SET, "Credentials", "AWS_Access_Key_ID", "NEW",
    "[Credentials]\naws_access_key_id = NEW\n" },
  { "set/existing-continuation-replaced",
    "[c]\naws_session_token = AAA\n    BBB\n\n    CCC\n# after\nregion = r\n",
    EDIT_SET, "c", "aws_session_token", "NEW",
    "[c]\naws_session_token = NEW\n# after\nregion = r\n" },
  { "set/existing-nested-replaced",
    "[c]\ns3 =\n  a = 1\n  # c\n  b = 2\n\nregion = r\n",
    EDIT_SET, "c", "s3", "NEW",
    "[c]\ns3 = NEW\n\nregion = r\n" },
  { "set/existing-default-first-block",
    "[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n",
    EDIT_SET, "DEFAULT", "a", "NEW",
    "[DEFAULT]\na = NEW\n[DEFAULT]\nb = 2\n" },
  /* Line endings. */
  { "set/crlf-existing",
    "[c]\r\nk = OLD\r\nx = 1\r\n",
    EDIT_SET, "c", "k", "NEW",
    "[c]\r\nk = NEW\r\nx = 1\r\n" },
  { "set/crlf-new-key",
    "[c]\r\nk = v\r\n\r\n[d]\r\n",
    EDIT_SET, "c", "new", "NEW",
    "[c]\r\nk = v\r\nnew = NEW\r\n\r\n[d]\r\n" },
  { "set/crlf-new-section",
    "[c]\r\nk = v\r\n",
    EDIT_SET, "d", "x", "NEW",
    "[c]\r\nk = v\r\n\r\n[d]\r\nx = NEW\r\n" },
  { "set/cr-new-key",
    "[c]\rk = v\r",
    EDIT_SET, "c", "x", "NEW",
    "[c]\rk = v\rx = NEW\r" },
  { "set/no-final-newline-existing",
    "[c]\nk = OLD",
    EDIT_SET, "c", "k", "NEW",
    "[c]\nk = NEW" },
  { "set/no-final-newline-new-key",
    "[c]\nk = v",
    EDIT_SET, "c", "x", "NEW",
    "[c]\nk = v\nx = NEW\n" },
  { "set/no-final-newline-new-section",
    "[c]\nk = v",
    EDIT_SET, "d", "x", "NEW",
    "[c]\nk = v\n\n[d]\nx = NEW\n" },
  { "set/no-final-newline-comment",
    "# c",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "# c\n\n[Credentials]\naws_access_key_id = NEW\n" },
  /* A missing section is appended. */
  { "set/missing-section",
    "[default]\nk = v\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[default]\nk = v\n\n[Credentials]\naws_access_key_id = NEW\n" },
  { "set/missing-section-after-blank-line",
    "[default]\nk = v\n\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[default]\nk = v\n\n[Credentials]\naws_access_key_id = NEW\n" },
  { "set/missing-section-after-comment",
    "[default]\nk = v\n# end\n",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[default]\nk = v\n# end\n\n[Credentials]\naws_access_key_id = NEW\n" },
  { "set/missing-section-case",
    "[credentials]\nk = v\n",
    EDIT_SET, "Credentials", "k", "NEW",
    "[credentials]\nk = v\n\n[Credentials]\nk = NEW\n" },
  { "set/empty-file",
    "",
    EDIT_SET, "Credentials", "aws_access_key_id", "NEW",
    "[Credentials]\naws_access_key_id = NEW\n" },
  /* A missing key goes after the section's last value. */
  { "set/missing-key-before-trailing-lines",
    "[Credentials]\naws_access_key_id = A\n\n# the next one\n[Boto]\nx = 1\n",
    EDIT_SET, "Credentials", "aws_secret_access_key", "S",
    "[Credentials]\naws_access_key_id = A\naws_secret_access_key = S\n\n# the next one\n"
    "[Boto]\nx = 1\n" },
  { "set/missing-key-after-continuation",
    "[c]\nk = a\n  b\n\n[d]\n",
    EDIT_SET, "c", "x", "NEW",
    "[c]\nk = a\n  b\nx = NEW\n\n[d]\n" },
  { "set/missing-key-empty-section",
    "[c]\n# comment\n\n[d]\n",
    EDIT_SET, "c", "x", "NEW",
    "[c]\nx = NEW\n# comment\n\n[d]\n" },
  { "set/missing-key-indented-like-siblings",
    "  [c]\n  k = v\n",
    EDIT_SET, "c", "x", "NEW",
    "  [c]\n  k = v\n  x = NEW\n" },
  { "set/missing-key-next-header-indented",
    "[c]\n  [d]\n  k = v\n",
    EDIT_SET, "c", "x", "NEW",
    "[c]\n  x = NEW\n  [d]\n  k = v\n" },
  { "set/missing-key-default-last-block",
    "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\n",
    EDIT_SET, "DEFAULT", "c", "NEW",
    "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\nc = NEW\n" },
  { "set/missing-key-mixed-endings-use-first",
    "[c]\nk = v\r\n",
    EDIT_SET, "c", "x", "NEW",
    "[c]\nk = v\r\nx = NEW\n" },
  /* remove_key() */
  { "remove-key/with-continuation",
    "[c]\na = 1\nb = 2\n  cont\n\nc = 3\n",
    EDIT_REMOVE_KEY, "c", "b", NULL,
    "[c]\na = 1\n\nc = 3\n", TRUE },
  { "remove-key/case-insensitive",
    "[c]\nAWS_Security_Token = x\n# keep\n",
    EDIT_REMOVE_KEY, "c", "aws_security_token", NULL,
    "[c]\n# keep\n", TRUE },
  { "remove-key/missing-key",
    "[c]\na = 1\n",
    EDIT_REMOVE_KEY, "c", "b", NULL,
    "[c]\na = 1\n", FALSE },
  { "remove-key/other-section",
    "[c]\na = 1\n[d]\n",
    EDIT_REMOVE_KEY, "d", "a", NULL,
    "[c]\na = 1\n[d]\n", FALSE },
  /* remove_section() */
  { "remove-section/middle",
    "[a]\nk = 1\n\n[b]\nk = 2\n  cont\n\n[c]\nk = 3\n",
    EDIT_REMOVE_SECTION, "b", NULL, NULL,
    "[a]\nk = 1\n\n[c]\nk = 3\n", TRUE },
  { "remove-section/last",
    "[a]\nk = 1\n\n[b]\nk = 2\n",
    EDIT_REMOVE_SECTION, "b", NULL, NULL,
    "[a]\nk = 1\n\n", TRUE },
  { "remove-section/keeps-next-headers-comment",
    "[a]\nk = 1\n\n# about b\n[b]\n",
    EDIT_REMOVE_SECTION, "a", NULL, NULL,
    "# about b\n[b]\n", TRUE },
  { "remove-section/indented-next-header",
    "[a]\nk = 1\n[x]\n  [b]\n  j = 2\n",
    EDIT_REMOVE_SECTION, "x", NULL, NULL,
    "[a]\nk = 1\n[b]\n  j = 2\n", TRUE },
  { "remove-section/all-default-blocks",
    "[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\n",
    EDIT_REMOVE_SECTION, "DEFAULT", NULL, NULL,
    "[s]\n", TRUE },
  { "remove-section/missing",
    "[a]\nk = 1\n",
    EDIT_REMOVE_SECTION, "A", NULL, NULL,
    "[a]\nk = 1\n", FALSE },
};

static void
test_edit (gconstpointer data)
{
  const EditCase *tc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (tc->input, strlen (tc->input),
                                                         "test.ini", &error);
  g_autoptr(BotomfaIni) reread = NULL;
  g_autofree char *out = NULL;
  gsize length;

  g_assert_no_error (error);

  switch (tc->op)
    {
    case EDIT_SET:
      botomfa_ini_set (ini, tc->section, tc->key, tc->value);
      break;
    case EDIT_REMOVE_KEY:
      g_assert_cmpint (botomfa_ini_remove_key (ini, tc->section, tc->key), ==, tc->result);
      break;
    case EDIT_REMOVE_SECTION:
      g_assert_cmpint (botomfa_ini_remove_section (ini, tc->section), ==, tc->result);
      break;
    default:
      g_assert_not_reached ();
    }

  out = botomfa_ini_to_data (ini, &length);
  g_assert_cmpmem (out, length, tc->expected, strlen (tc->expected));

  /* The result reads back as intended. */
  reread = botomfa_ini_new_from_data (out, length, "out.ini", &error);
  g_assert_no_error (error);
  if (tc->op == EDIT_SET)
    {
      g_autofree char *value = botomfa_ini_get (ini, tc->section, tc->key);
      g_autofree char *reread_value = botomfa_ini_get (reread, tc->section, tc->key);

      g_assert_cmpstr (value, ==, tc->value);
      g_assert_cmpstr (reread_value, ==, tc->value);
    }
  else if (tc->op == EDIT_REMOVE_KEY)
    {
      g_autofree char *value = botomfa_ini_get (reread, tc->section, tc->key);

      g_assert_null (value);
    }
  else
    g_assert_false (botomfa_ini_has_section (reread, tc->section));
}

/* The other sections keep their values and their keys stay parseable. */
static void
test_edit_sequence (void)
{
  static const char input[] =
    "# my credentials\n[default]\nregion = eu-west-1\n\n[Credentials]\n"
    "aws_access_key_id = OLD\n; keep me\n\n[Boto]\ndebug = 0\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (input, strlen (input), "t", &error);
  g_autofree char *out = NULL;
  g_autofree char *region = NULL;
  gsize length;

  g_assert_no_error (error);
  botomfa_ini_set (ini, "Credentials", "aws_access_key_id", "AKIA1");
  botomfa_ini_set (ini, "Credentials", "aws_secret_access_key", "S1");
  botomfa_ini_set (ini, "Credentials", "aws_security_token", "T1");
  botomfa_ini_set (ini, "Credentials", "aws_security_token", "T2");
  g_assert_true (botomfa_ini_remove_key (ini, "Credentials", "aws_secret_access_key"));
  out = botomfa_ini_to_data (ini, &length);
  g_assert_cmpstr (out, ==,
                   "# my credentials\n[default]\nregion = eu-west-1\n\n[Credentials]\n"
                   "aws_access_key_id = AKIA1\naws_security_token = T2\n; keep me\n\n"
                   "[Boto]\ndebug = 0\n");
  region = botomfa_ini_get (ini, "default", "region");
  g_assert_cmpstr (region, ==, "eu-west-1");
}

/* to_data() hands out a copy the caller may wipe. */
static void
test_to_data_is_a_copy (void)
{
  static const char input[] = "[c]\nk = SECRET\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (input, strlen (input), "t", &error);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gsize length;

  g_assert_no_error (error);
  first = botomfa_ini_to_data (ini, &length);
  memset (first, 0, length);
  second = botomfa_ini_to_data (ini, NULL);
  g_assert_cmpstr (second, ==, input);
}

typedef struct
{
  const char *name;
  const char *section;
  const char *key;
  const char *value;
} BadSetCase;

static const BadSetCase bad_set_cases[] = {
  { "value-newline", "c", "k", "a\nb" },
  { "value-cr", "c", "k", "a\rb" },
  { "value-not-utf8", "c", "k", "\xff" },
  { "key-empty", "c", "", "v" },
  { "key-equals", "c", "a=b", "v" },
  { "key-colon", "c", "a:b", "v" },
  { "key-bracket", "c", "[x]", "v" },
  { "key-comment", "c", "#k", "v" },
  { "key-spaces", "c", " k", "v" },
  { "section-empty", "", "k", "v" },
  { "section-newline", "a\nb", "k", "v" },
};

static void
test_bad_set (gconstpointer data)
{
  const BadSetCase *tc = data;
  static const char input[] = "[c]\nk = v\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaIni) ini = botomfa_ini_new_from_data (input, strlen (input), "t", &error);
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  g_test_expect_message ("botomfa-ini", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  botomfa_ini_set (ini, tc->section, tc->key, tc->value);
  g_test_assert_expected_messages ();

  out = botomfa_ini_to_data (ini, NULL);
  g_assert_cmpstr (out, ==, input);
}

/* meson runs the tests with G_TEST_SRCDIR set; when the binary is run by
 * hand, find the source directory from __FILE__, which meson passes
 * relative to the build root (the parent of this binary's directory). */
static void
set_srcdir_if_unset (void)
{
  g_autofree char *exe = NULL;
  g_autofree char *exe_dir = NULL;
  g_autofree char *build_root = NULL;
  g_autofree char *file_dir = NULL;
  g_autofree char *candidate = NULL;
  g_autofree char *data = NULL;

  if (g_getenv ("G_TEST_SRCDIR") != NULL)
    return;

  file_dir = g_path_get_dirname (__FILE__);
  if (g_path_is_absolute (file_dir))
    candidate = g_strdup (file_dir);
  else
    {
      exe = g_file_read_link ("/proc/self/exe", NULL);
      if (exe == NULL)
        return;
      exe_dir = g_path_get_dirname (exe);
      build_root = g_path_get_dirname (exe_dir);
      candidate = g_build_filename (build_root, file_dir, NULL);
    }

  data = g_build_filename (candidate, "data", "config", NULL);
  if (g_file_test (data, G_FILE_TEST_IS_DIR))
    g_setenv ("G_TEST_SRCDIR", candidate, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data_dir = NULL;
  gsize i;

  set_srcdir_if_unset ();
  g_test_init (&argc, &argv, NULL);

  data_dir = g_test_build_filename (G_TEST_DIST, "data", "config", NULL);
  collect_files (data_dir, "", files);
  g_ptr_array_sort (files, compare_paths);

  g_test_add_data_func ("/botomfa/ini/fixtures/count", files, test_fixture_count);
  for (i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autofree char *test_path = g_strconcat ("/botomfa/ini/fixtures/roundtrip/", relative, NULL);

      g_test_add_data_func (test_path, relative, test_fixture_roundtrip);
    }

  for (i = 0; i < G_N_ELEMENTS (value_cases); i++)
    {
      g_autofree char *test_path = g_strconcat ("/botomfa/ini/value/", value_cases[i].name, NULL);

      g_test_add_data_func (test_path, &value_cases[i], test_value);
    }
  g_test_add_func ("/botomfa/ini/sections-and-keys", test_sections_and_keys);
  g_test_add_func ("/botomfa/ini/new-empty", test_new_empty);

  for (i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *test_path = g_strconcat ("/botomfa/ini/error/", error_cases[i].name, NULL);

      g_test_add_data_func (test_path, &error_cases[i], test_error);
    }
  g_test_add_func ("/botomfa/ini/error/hides-line", test_error_hides_line);

  for (i = 0; i < G_N_ELEMENTS (edit_cases); i++)
    {
      g_autofree char *test_path = g_strconcat ("/botomfa/ini/edit/", edit_cases[i].name, NULL);

      g_test_add_data_func (test_path, &edit_cases[i], test_edit);
    }
  g_test_add_func ("/botomfa/ini/edit/sequence", test_edit_sequence);
  g_test_add_func ("/botomfa/ini/to-data-is-a-copy", test_to_data_is_a_copy);

  for (i = 0; i < G_N_ELEMENTS (bad_set_cases); i++)
    {
      g_autofree char *test_path = g_strconcat ("/botomfa/ini/bad-set/", bad_set_cases[i].name,
                                                NULL);

      g_test_add_data_func (test_path, &bad_set_cases[i], test_bad_set);
    }

  return g_test_run ();
}
