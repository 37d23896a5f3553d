/* test-targets.c — the credential targets: ~/.boto and ~/.aws/credentials
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "botomfa-targets.h"

typedef struct
{
  char *dir;
  char *boto;
  char *aws;
  BotomfaCredentials *creds;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GDateTime) expiration = g_date_time_new_utc (2026, 12, 4, 7, 30, 0);

  f->dir = g_dir_make_tmp ("botomfa-targets-XXXXXX", NULL);
  f->boto = g_build_filename (f->dir, "boto", NULL);
  f->aws = g_build_filename (f->dir, "aws", "credentials", NULL);
  f->creds = botomfa_credentials_new ("ASIANEWKEY0000000000", "newsecret0000000000000000000000000000000",
                                      "FwoGZXIvYXdzEBAaDNEWTOKEN+/=", expiration);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->boto);
  g_free (f->aws);
  botomfa_credentials_free (f->creds);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static GPtrArray *
both_targets (Fixture *f)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) botomfa_target_free);

  g_ptr_array_add (targets, botomfa_target_new_boto_config (f->boto));
  g_ptr_array_add (targets, botomfa_target_new_aws_credentials (f->aws, "mfa"));
  return targets;
}

static void
test_write_existing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) targets = both_targets (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *boto = NULL;
  g_autofree char *aws = NULL;

  write_file (f->boto,
              "# boto config\n"
              "[Credentials]\n"
              "aws_access_key_id=ASIAOLD\n"
              "AWS_Secret_Access_Key : oldsecret\n"
              "aws_security_token = oldtoken\n"
              "\n"
              "[Boto]\n"
              "debug = 2\n");
  write_file (f->aws,
              "[default]\n"
              "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
              "aws_secret_access_key = longterm\n"
              "\n"
              "[mfa]\n"
              "region = eu-west-1\n");

  g_assert_true (botomfa_targets_write (targets, f->creds, &error));
  g_assert_no_error (error);

  boto = read_file (f->boto);
  g_assert_cmpstr (boto, ==,
                   "# boto config\n"
                   "[Credentials]\n"
                   "aws_access_key_id=ASIANEWKEY0000000000\n"
                   "AWS_Secret_Access_Key : newsecret0000000000000000000000000000000\n"
                   "aws_security_token = FwoGZXIvYXdzEBAaDNEWTOKEN+/=\n"
                   "x_security_token_expires = 2026-12-04T07:30:00Z\n"
                   "\n"
                   "[Boto]\n"
                   "debug = 2\n");

  aws = read_file (f->aws);
  g_assert_cmpstr (aws, ==,
                   "[default]\n"
                   "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                   "aws_secret_access_key = longterm\n"
                   "\n"
                   "[mfa]\n"
                   "region = eu-west-1\n"
                   "aws_access_key_id = ASIANEWKEY0000000000\n"
                   "aws_secret_access_key = newsecret0000000000000000000000000000000\n"
                   "aws_session_token = FwoGZXIvYXdzEBAaDNEWTOKEN+/=\n"
                   "aws_security_token = FwoGZXIvYXdzEBAaDNEWTOKEN+/=\n"
                   "x_security_token_expires = 2026-12-04T07:30:00Z\n");
}

static void
test_create_missing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) targets = both_targets (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaCredentials) back = NULL;
  GStatBuf st;

  /* neither file nor ~/.aws exists yet */
  g_assert_true (botomfa_targets_write (targets, f->creds, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (f->boto, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->aws, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  back = botomfa_target_read (g_ptr_array_index (targets, 0), &error);
  g_assert_true (botomfa_credentials_equal (back, f->creds));
  g_clear_pointer (&back, botomfa_credentials_free);
  back = botomfa_target_read (g_ptr_array_index (targets, 1), &error);
  g_assert_true (botomfa_credentials_equal (back, f->creds));
}

/* A profile holding an IAM user's own keys is never overwritten, and the
 * refusal happens before any file is replaced */
static void
test_refuse_long_term_profile (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) botomfa_target_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *boto = NULL;
  g_autofree char *aws = NULL;
  const char *boto_before = "[Credentials]\naws_access_key_id = ASIAOLD\n";
  const char *aws_before = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n";

  write_file (f->boto, boto_before);
  write_file (f->aws, aws_before);
  g_ptr_array_add (targets, botomfa_target_new_boto_config (f->boto));
  g_ptr_array_add (targets, botomfa_target_new_aws_credentials (f->aws, "default"));

  g_assert_false (botomfa_targets_write (targets, f->creds, &error));
  g_assert_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_LONG_TERM_PROFILE);
  g_assert_nonnull (strstr (error->message, "[default]"));

  boto = read_file (f->boto);
  aws = read_file (f->aws);
  g_assert_cmpstr (boto, ==, boto_before);
  g_assert_cmpstr (aws, ==, aws_before);
}

/* A file we cannot parse safely is not written, nor is any other target */
static void
test_refuse_unparseable (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) targets = both_targets (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *boto = NULL;
  g_autofree char *aws = NULL;
  const char *boto_before = "[Credentials]\naws_access_key_id = ASIAOLD\n";
  const char *aws_before = "[mfa]\nregion = a\nregion = b\n";

  write_file (f->boto, boto_before);
  write_file (f->aws, aws_before);

  g_assert_false (botomfa_targets_write (targets, f->creds, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, ":3"));

  boto = read_file (f->boto);
  aws = read_file (f->aws);
  g_assert_cmpstr (boto, ==, boto_before);
  g_assert_cmpstr (aws, ==, aws_before);
}

static void
test_read_variants (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(BotomfaTarget) target = botomfa_target_new_aws_credentials (f->aws, "p");
  g_autoptr(BotomfaCredentials) creds = NULL;
  g_autoptr(GError) error = NULL;

  /* no file: nothing, and no error */
  creds = botomfa_target_read (target, &error);
  g_assert_no_error (error);
  g_assert_null (creds);

  /* aws_session_token alone, no expiry recorded */
  write_file (f->aws, "[p]\naws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\n");
  creds = botomfa_target_read (target, &error);
  g_assert_cmpstr (creds->session_token, ==, "t");
  g_assert_null (creds->expiration);
  g_clear_pointer (&creds, botomfa_credentials_free);

  /* aws_security_token wins, as in botocore */
  write_file (f->aws, "[p]\naws_access_key_id = ASIAX\naws_secret_access_key = s\n"
                      "aws_session_token = new\naws_security_token = old\n"
                      "x_security_token_expires = 2026-12-04T07:30:00+00:00\n");
  creds = botomfa_target_read (target, &error);
  g_assert_cmpstr (creds->session_token, ==, "old");
  g_assert_nonnull (creds->expiration);
}

static void
test_long_term_section (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(BotomfaCredentials) lt = NULL;
  g_autoptr(BotomfaCredentials) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  lt = botomfa_boto_config_read_long_term (f->boto, &error);
  g_assert_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_LONG_TERM);
  g_clear_error (&error);

  write_file (f->boto, "[Credentials]\naws_access_key_id = ASIAOLD\n");
  lt = botomfa_credentials_new ("AKIAIOSFODNN7EXAMPLE", "secret00000000000000", NULL, NULL);
  g_assert_true (botomfa_boto_config_write_long_term (f->boto, lt, &error));
  back = botomfa_boto_config_read_long_term (f->boto, &error);
  g_assert_true (botomfa_credentials_equal (back, lt));

  /* removal checks the key id it is told, so a concurrent edit survives */
  g_assert_false (botomfa_boto_config_remove_long_term (f->boto, "AKIAOTHER", &error));
  g_clear_error (&error);
  g_assert_true (botomfa_boto_config_remove_long_term (f->boto, "AKIAIOSFODNN7EXAMPLE", &error));
  contents = read_file (f->boto);
  g_assert_null (strstr (contents, "long-term"));
  g_assert_nonnull (strstr (contents, "[Credentials]\naws_access_key_id = ASIAOLD\n"));
}

static void
test_default_paths (void)
{
  g_autofree char *boto = NULL;
  g_autofree char *aws = NULL;
  g_autofree char *home_boto = g_build_filename (g_get_home_dir (), ".boto", NULL);
  g_autofree char *tilde = g_build_filename (g_get_home_dir (), "cfg", "boto", NULL);

  g_unsetenv ("BOTO_CONFIG");
  boto = botomfa_boto_config_path ();
  g_assert_cmpstr (boto, ==, home_boto);
  g_clear_pointer (&boto, g_free);

  g_setenv ("BOTO_CONFIG", "~/cfg/boto", TRUE);
  boto = botomfa_boto_config_path ();
  g_assert_cmpstr (boto, ==, tilde);

  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/tmp/creds", TRUE);
  aws = botomfa_aws_credentials_path ();
  g_assert_cmpstr (aws, ==, "/tmp/creds");
  g_unsetenv ("BOTO_CONFIG");
  g_unsetenv ("AWS_SHARED_CREDENTIALS_FILE");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/botomfa/targets/write-existing", Fixture, NULL, fixture_set_up, test_write_existing, fixture_tear_down);
  g_test_add ("/botomfa/targets/create-missing", Fixture, NULL, fixture_set_up, test_create_missing, fixture_tear_down);
  g_test_add ("/botomfa/targets/refuse-long-term-profile", Fixture, NULL, fixture_set_up, test_refuse_long_term_profile, fixture_tear_down);
  g_test_add ("/botomfa/targets/refuse-unparseable", Fixture, NULL, fixture_set_up, test_refuse_unparseable, fixture_tear_down);
  g_test_add ("/botomfa/targets/read-variants", Fixture, NULL, fixture_set_up, test_read_variants, fixture_tear_down);
  g_test_add ("/botomfa/targets/long-term-section", Fixture, NULL, fixture_set_up, test_long_term_section, fixture_tear_down);
  g_test_add_func ("/botomfa/targets/default-paths", test_default_paths);

  return g_test_run ();
}
