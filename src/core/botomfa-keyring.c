/* botomfa-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-keyring"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "botomfa-keyring.h"
#include "botomfa-targets.h"

#define ATTR_PROFILE       "profile"
#define ATTR_ACCESS_KEY_ID "access-key-id"

G_DEFINE_QUARK (botomfa-keyring-error-quark, botomfa_keyring_error)

const SecretSchema *
botomfa_keyring_get_schema (void)
{
  /* Only non-secret attributes: the Secret Service stores attributes in
   * clear and anyone on the session bus may search them. The access key id
   * is an identifier, not a secret (it appears in every signed request). */
  static const SecretSchema schema = {
    "io.github.botomfa.LongTermKey", SECRET_SCHEMA_NONE,
    {
      { ATTR_PROFILE, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { ATTR_ACCESS_KEY_ID, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* libsecret reports a missing service or bus as D-Bus or I/O errors with
 * technical messages; the user needs to know what to do instead. */
static void
propagate_secret_error (GError  **error,
                        GError   *secret_error)
{
  if (g_error_matches (secret_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, secret_error);
      return;
    }

  g_debug ("Secret Service error: %s", secret_error->message);

  if (g_error_matches (secret_error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    g_set_error_literal (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_LOCKED,
                         _("The keyring is locked. Unlock it (log in again, or open Passwords "
                           "and Keys) and try again."));
  else if (secret_error->domain == G_DBUS_ERROR || secret_error->domain == G_IO_ERROR ||
           secret_error->domain == G_SPAWN_ERROR)
    g_set_error_literal (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_UNAVAILABLE,
                         _("No keyring is available: the Secret Service (for example "
                           "gnome-keyring) is not running in this session."));
  else
    g_set_error (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_FAILED,
                 _("The keyring could not be used: %s"), secret_error->message);

  g_error_free (secret_error);
}

/* The SecretService API rather than secret_password_*(): inside Flatpak,
 * libsecret's simple API switches to its private file backend whenever the
 * Secret portal answers, whatever finish-args say, and the key would then
 * be invisible to the botomfa command on the host. This API always talks
 * to the Secret Service on the bus (org.freedesktop.secrets), which the
 * manifest allows. https://gitlab.gnome.org/GNOME/libsecret/-/blob/0.20.5/libsecret/secret-backend.c */
static SecretService *
get_service (GCancellable  *cancellable,
             GError       **error)
{
  GError *local_error = NULL;
  SecretService *service;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, &local_error);
  if (service == NULL)
    propagate_secret_error (error, local_error);

  return service;
}

static GHashTable *
attributes_for (const char *profile,
                const char *access_key_id)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer) ATTR_PROFILE, (gpointer) profile);
  if (access_key_id != NULL)
    g_hash_table_insert (attributes, (gpointer) ATTR_ACCESS_KEY_ID, (gpointer) access_key_id);

  return attributes;
}

static GList *
search_items (SecretService  *service,
              const char     *profile,
              gboolean        load_secrets,
              GCancellable   *cancellable,
              GError        **error)
{
  g_autoptr(GHashTable) attributes = attributes_for (profile, NULL);
  GError *local_error = NULL;
  GList *items;
  SecretSearchFlags flags = SECRET_SEARCH_ALL;

  if (load_secrets)
    flags |= SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS;

  items = secret_service_search_sync (service, botomfa_keyring_get_schema (), attributes, flags,
                                      cancellable, &local_error);
  if (local_error != NULL)
    {
      propagate_secret_error (error, local_error);
      return NULL;
    }

  return items;
}

static char *
item_key_id (SecretItem *item)
{
  g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);

  return g_strdup (g_hash_table_lookup (attributes, ATTR_ACCESS_KEY_ID));
}

gboolean
botomfa_keyring_has_key_sync (const char    *profile,
                              char         **access_key_id,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autolist(SecretItem) items = NULL;
  GError *local_error = NULL;

  service = get_service (cancellable, error);
  if (service == NULL)
    return FALSE;

  /* Without SECRET_SEARCH_UNLOCK: answering "is it set up?" must never pop
   * up an unlock prompt */
  items = search_items (service, profile, FALSE, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (items == NULL)
    return FALSE;

  if (access_key_id != NULL)
    *access_key_id = item_key_id (items->data);

  return TRUE;
}

BotomfaCredentials *
botomfa_keyring_lookup_sync (const char    *profile,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autolist(SecretItem) items = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(BotomfaSecret) secret = NULL;
  g_autofree char *key_id = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (profile != NULL, NULL);

  service = get_service (cancellable, error);
  if (service == NULL)
    return NULL;

  items = search_items (service, profile, TRUE, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (items == NULL)
    return NULL;

  key_id = item_key_id (items->data);
  value = secret_item_get_secret (items->data);
  if (value == NULL)
    {
      /* Found, but its collection stayed locked (the prompt was dismissed) */
      g_set_error_literal (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_LOCKED,
                           _("The keyring is locked. Unlock it (log in again, or open Passwords "
                             "and Keys) and try again."));
      return NULL;
    }

  secret = g_strdup (secret_value_get_text (value));
  if (key_id == NULL || secret == NULL)
    {
      g_set_error_literal (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_FAILED,
                           _("The keyring item for the long-term key is damaged; store the key "
                             "again."));
      return NULL;
    }

  return botomfa_credentials_new (key_id, secret, NULL, NULL);
}

gboolean
botomfa_keyring_store_sync (const char                *profile,
                            const BotomfaCredentials  *long_term,
                            GCancellable              *cancellable,
                            GError                   **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autolist(SecretItem) items = NULL;
  g_autofree char *label = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (profile != NULL, FALSE);
  g_return_val_if_fail (long_term != NULL, FALSE);

  service = get_service (cancellable, error);
  if (service == NULL)
    return FALSE;

  /* Translators: the label of the keyring item, seen in Passwords and Keys */
  label = g_strdup_printf (_("AWS long-term access key %s (botomfa, profile %s)"),
                           long_term->access_key_id, profile);
  attributes = attributes_for (profile, long_term->access_key_id);
  value = secret_value_new (long_term->secret_access_key, -1, "text/plain");

  if (!secret_service_store_sync (service, botomfa_keyring_get_schema (), attributes,
                                  SECRET_COLLECTION_DEFAULT, label, value, cancellable,
                                  &local_error))
    {
      propagate_secret_error (error, local_error);
      return FALSE;
    }

  /* One key per profile. The new item is stored before the old ones go, so
   * a failure never leaves the profile without a key. */
  items = search_items (service, profile, FALSE, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autofree char *key_id = item_key_id (l->data);

      if (g_strcmp0 (key_id, long_term->access_key_id) == 0)
        continue;

      if (!secret_item_delete_sync (l->data, cancellable, &local_error))
        {
          propagate_secret_error (error, local_error);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
botomfa_keyring_clear_sync (const char    *profile,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SecretService) service = NULL;
  g_autolist(SecretItem) items = NULL;
  GError *local_error = NULL;

  service = get_service (cancellable, error);
  if (service == NULL)
    return FALSE;

  items = search_items (service, profile, FALSE, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  for (GList *l = items; l != NULL; l = l->next)
    if (!secret_item_delete_sync (l->data, cancellable, &local_error))
      {
        propagate_secret_error (error, local_error);
        return FALSE;
      }

  return TRUE;
}

/* The async forms run the sync calls in a worker thread: libsecret's sync
 * API is thread-safe and brings its own main context, and one code path is
 * easier to keep correct than two. */

typedef struct
{
  char               *profile;
  BotomfaCredentials *credentials;
} KeyringData;

static void
keyring_data_free (KeyringData *data)
{
  g_free (data->profile);
  botomfa_credentials_free (data->credentials);
  g_free (data);
}

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  KeyringData *data = task_data;
  GError *error = NULL;
  BotomfaCredentials *credentials;

  credentials = botomfa_keyring_lookup_sync (data->profile, cancellable, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, credentials, (GDestroyNotify) botomfa_credentials_free);
}

void
botomfa_keyring_lookup_async (const char          *profile,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  KeyringData *data = g_new0 (KeyringData, 1);

  data->profile = g_strdup (profile);
  g_task_set_source_tag (task, botomfa_keyring_lookup_async);
  g_task_set_task_data (task, data, (GDestroyNotify) keyring_data_free);
  g_task_run_in_thread (task, lookup_thread);
}

BotomfaCredentials *
botomfa_keyring_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  KeyringData *data = task_data;
  GError *error = NULL;

  if (botomfa_keyring_store_sync (data->profile, data->credentials, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
botomfa_keyring_store_async (const char                *profile,
                             const BotomfaCredentials  *long_term,
                             GCancellable              *cancellable,
                             GAsyncReadyCallback        callback,
                             gpointer                   user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  KeyringData *data = g_new0 (KeyringData, 1);

  data->profile = g_strdup (profile);
  data->credentials = botomfa_credentials_copy (long_term);
  g_task_set_source_tag (task, botomfa_keyring_store_async);
  g_task_set_task_data (task, data, (GDestroyNotify) keyring_data_free);
  g_task_run_in_thread (task, store_thread);
}

gboolean
botomfa_keyring_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

BotomfaCredentials *
botomfa_keyring_find_long_term (const char    *profile,
                                const char    *boto_config,
                                gboolean      *from_file,
                                GError       **keyring_problem,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(GError) keyring_error = NULL;
  g_autoptr(GError) file_error = NULL;
  BotomfaCredentials *credentials;

  *from_file = FALSE;

  credentials = botomfa_keyring_lookup_sync (profile, cancellable, &keyring_error);
  if (credentials != NULL)
    return credentials;

  /* Locked, or the user dismissed the prompt: the file is no way round */
  if (keyring_error != NULL &&
      !g_error_matches (keyring_error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_UNAVAILABLE))
    {
      g_propagate_error (error, g_steal_pointer (&keyring_error));
      return NULL;
    }

  credentials = botomfa_boto_config_read_long_term (boto_config, &file_error);
  if (credentials != NULL)
    {
      *from_file = TRUE;
      if (keyring_error != NULL)
        g_propagate_error (keyring_problem, g_steal_pointer (&keyring_error));
      return credentials;
    }

  if (!g_error_matches (file_error, BOTOMFA_TARGET_ERROR, BOTOMFA_TARGET_ERROR_NO_LONG_TERM))
    g_propagate_error (error, g_steal_pointer (&file_error));
  else if (keyring_error != NULL)
    g_propagate_error (error, g_steal_pointer (&keyring_error));
  else
    g_set_error (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_NOT_FOUND,
                 _("No long-term access key is stored for the profile “%s”."), profile);

  return NULL;
}

char *
botomfa_keyring_import_boto_config (const char    *profile,
                                    const char    *boto_config,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autoptr(BotomfaCredentials) from_file = NULL;
  g_autoptr(BotomfaCredentials) stored = NULL;
  GError *local_error = NULL;

  from_file = botomfa_boto_config_read_long_term (boto_config, error);
  if (from_file == NULL)
    return NULL;

  if (!botomfa_keyring_store_sync (profile, from_file, cancellable, error))
    return NULL;

  /* Read it back before touching the file: the section is the user's only
   * copy of the secret until we know the keyring holds it. */
  stored = botomfa_keyring_lookup_sync (profile, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (!botomfa_credentials_equal (stored, from_file))
    {
      g_set_error_literal (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_FAILED,
                           _("The keyring did not give back the key that was stored; the "
                             "[long-term] section was left in place."));
      return NULL;
    }

  if (!botomfa_boto_config_remove_long_term (boto_config, from_file->access_key_id, error))
    return NULL;

  return g_strdup (from_file->access_key_id);
}
