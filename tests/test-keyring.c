/* test-keyring.c — against a real gnome-keyring-daemon
 *
 * Runs inside tests/session-wrapper: a private D-Bus session with an
 * unlocked login keyring, so the developer's keyring is never touched.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "botomfa-keyring.h"
#include "botomfa-targets.h"

#define KEY_ID  "AKIAIOSFODNN7EXAMPLE"
#define SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define KEY_ID2 "AKIAI44QH8DHBEXAMPLE"
#define SECRET2 "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"

static void
test_store_lookup (void)
{
  g_autoptr(BotomfaCredentials) in = botomfa_credentials_new (KEY_ID, SECRET, NULL, NULL);
  g_autoptr(BotomfaCredentials) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_id = NULL;

  g_assert_true (botomfa_keyring_store_sync ("store-lookup", in, NULL, &error));
  g_assert_no_error (error);

  out = botomfa_keyring_lookup_sync ("store-lookup", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpstr (out->access_key_id, ==, KEY_ID);
  g_assert_cmpstr (out->secret_access_key, ==, SECRET);
  g_assert_null (out->session_token);

  g_assert_true (botomfa_keyring_has_key_sync ("store-lookup", &key_id, NULL, &error));
  g_assert_cmpstr (key_id, ==, KEY_ID);
}

static void
test_not_found (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaCredentials) out = botomfa_keyring_lookup_sync ("nobody", NULL, &error);

  g_assert_no_error (error);
  g_assert_null (out);
  g_assert_false (botomfa_keyring_has_key_sync ("nobody", NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_replace_and_profiles (void)
{
  g_autoptr(BotomfaCredentials) first = botomfa_credentials_new (KEY_ID, SECRET, NULL, NULL);
  g_autoptr(BotomfaCredentials) second = botomfa_credentials_new (KEY_ID2, SECRET2, NULL, NULL);
  g_autoptr(BotomfaCredentials) out = NULL;
  g_autoptr(BotomfaCredentials) other = NULL;
  g_autoptr(GError) error = NULL;
  GList *items;

  g_assert_true (botomfa_keyring_store_sync ("work", first, NULL, &error));
  g_assert_true (botomfa_keyring_store_sync ("home", first, NULL, &error));
  /* a rotated key replaces the old one of the same profile only */
  g_assert_true (botomfa_keyring_store_sync ("work", second, NULL, &error));
  g_assert_no_error (error);

  items = secret_password_search_sync (botomfa_keyring_get_schema (), SECRET_SEARCH_ALL, NULL,
                                       &error, "profile", "work", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);

  out = botomfa_keyring_lookup_sync ("work", NULL, &error);
  g_assert_cmpstr (out->access_key_id, ==, KEY_ID2);
  g_assert_cmpstr (out->secret_access_key, ==, SECRET2);
  other = botomfa_keyring_lookup_sync ("home", NULL, &error);
  g_assert_cmpstr (other->access_key_id, ==, KEY_ID);

  g_assert_true (botomfa_keyring_clear_sync ("work", NULL, &error));
  g_clear_pointer (&out, botomfa_credentials_free);
  out = botomfa_keyring_lookup_sync ("work", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (out);
  g_clear_pointer (&other, botomfa_credentials_free);
  other = botomfa_keyring_lookup_sync ("home", NULL, &error);
  g_assert_nonnull (other);
}

/* The item's attributes are visible to anyone on the bus: only the profile
 * and the key id, never the secret */
static void
test_attributes_not_secret (void)
{
  g_autoptr(BotomfaCredentials) in = botomfa_credentials_new (KEY_ID, SECRET, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;
  GList *items;
  GHashTableIter iter;
  gpointer name, value;

  g_assert_true (botomfa_keyring_store_sync ("attrs", in, NULL, &error));
  items = secret_password_search_sync (botomfa_keyring_get_schema (), SECRET_SEARCH_ALL, NULL,
                                       &error, "profile", "attrs", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);

  attributes = secret_retrievable_get_attributes (items->data);
  label = secret_retrievable_get_label (items->data);
  g_hash_table_iter_init (&iter, attributes);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      g_assert_true (g_str_equal (name, "profile") || g_str_equal (name, "access-key-id") ||
                     g_str_equal (name, "xdg:schema"));
      g_assert_null (strstr (value, SECRET));
    }
  g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==,
                   "io.github.botomfa.LongTermKey");
  g_assert_null (strstr (label, SECRET));
  g_list_free_full (items, g_object_unref);
}

static void
on_lookup (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BotomfaCredentials **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = botomfa_keyring_lookup_finish (result, &error);
  g_assert_no_error (error);
}

static void
on_store (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  *done = botomfa_keyring_store_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autoptr(BotomfaCredentials) in = botomfa_credentials_new (KEY_ID2, SECRET2, NULL, NULL);
  BotomfaCredentials *out = NULL;
  gboolean stored = FALSE;

  botomfa_keyring_store_async ("async", in, NULL, on_store, &stored);
  while (!stored)
    g_main_context_iteration (NULL, TRUE);

  botomfa_keyring_lookup_async ("async", NULL, on_lookup, &out);
  while (out == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (out->secret_access_key, ==, SECRET2);
  botomfa_credentials_free (out);
}

static const char boto_before[] =
  "# my boto config\n"
  "[Boto]\n"
  "debug = 0\n"
  "\n"
  "[long-term]\n"
  "aws_access_key_id = " KEY_ID "\n"
  "aws_secret_access_key = " SECRET "\n"
  "\n"
  "[Credentials]\n"
  "aws_access_key_id = ASIAOLD\n";

static const char boto_after[] =
  "# my boto config\n"
  "[Boto]\n"
  "debug = 0\n"
  "\n"
  "[Credentials]\n"
  "aws_access_key_id = ASIAOLD\n";

static void
test_import (void)
{
  g_autofree char *dir = g_dir_make_tmp ("botomfa-keyring-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "boto", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaCredentials) out = NULL;
  g_autofree char *key_id = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_file_set_contents (path, boto_before, -1, &error));
  key_id = botomfa_keyring_import_boto_config ("import", path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key_id, ==, KEY_ID);

  out = botomfa_keyring_lookup_sync ("import", NULL, &error);
  g_assert_cmpstr (out->secret_access_key, ==, SECRET);

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, boto_after);

  /* Nothing left to import: a clear error, the file untouched */
  g_clear_pointer (&key_id, g_free);
  key_id = botomfa_keyring_import_boto_config ("import", path, NULL, &error);
  g_assert_null (key_id);
  g_assert_error (error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_LONG_TERM);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, boto_after);

  g_unlink (path);
  g_rmdir (dir);
}

/* Without a Secret Service (an SSH session) the error says so plainly */
static void
test_unavailable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BotomfaCredentials) out = NULL;

      out = botomfa_keyring_lookup_sync ("default", NULL, &error);
      g_assert_null (out);
      g_assert_error (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_UNAVAILABLE);
      g_print ("%s\n", error->message);
      return;
    }

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*No keyring is available*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/botomfa/keyring/store-lookup", test_store_lookup);
  g_test_add_func ("/botomfa/keyring/not-found", test_not_found);
  g_test_add_func ("/botomfa/keyring/replace-and-profiles", test_replace_and_profiles);
  g_test_add_func ("/botomfa/keyring/attributes-not-secret", test_attributes_not_secret);
  g_test_add_func ("/botomfa/keyring/async", test_async);
  g_test_add_func ("/botomfa/keyring/import", test_import);
  g_test_add_func ("/botomfa/keyring/unavailable", test_unavailable);

  return g_test_run ();
}
