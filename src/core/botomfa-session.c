/* botomfa-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-session"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "botomfa-file.h"
#include "botomfa-keyring.h"
#include "botomfa-session.h"
#include "botomfa-sts.h"
#include "botomfa-targets.h"

struct _BotomfaSession
{
  GObject             parent_instance;

  char               *profile_name;
  BotomfaProfile     *profile;
  GSettings          *settings;

  /* What we know */
  gboolean            set_up_known;
  gboolean            has_key;
  char               *key_id;
  BotomfaCredentials *current;      /* from the primary target */
  gboolean            validated;    /* GetCallerIdentity accepted current */
  gboolean            rejected;     /* GetCallerIdentity refused current */
  char               *identity_arn;
  char               *error;          /* the last renewal or file read failed */
  char               *check_error;    /* the last check with AWS could not be made */
  char               *setup_problem;  /* the keyring could not be asked */
  gboolean            has_section;    /* the boto config has [long-term] */

  /* What we are doing */
  gboolean            renewing;
  gboolean            checking;
  guint               set_up_serial;  /* only the latest look at the keyring counts */
  GCancellable       *cancellable;    /* everything in flight, until dispose */
  GCancellable       *check_cancellable;  /* the check of the current credentials */

  /* How we keep up */
  guint               timer_id;
  guint               reread_id;
  GPtrArray          *monitors;
  GDBusConnection    *system_bus;
  guint               sleep_subscription;
  GNetworkMonitor    *network_monitor;
};

G_DEFINE_FINAL_TYPE (BotomfaSession, botomfa_session, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_timer (BotomfaSession *self);
static void validate_current (BotomfaSession *self);
static void watch_targets (BotomfaSession *self);
static void check_set_up (BotomfaSession *self);

static void
emit_changed (BotomfaSession *self)
{
  schedule_timer (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
set_error (BotomfaSession *self,
           const char     *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

/* Whatever we knew about the old credentials is moot; a check of them
 * still in flight is stopped, so its answer cannot land on these. */
static void
set_current (BotomfaSession     *self,
             BotomfaCredentials *credentials,
             gboolean            validated)
{
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->checking = FALSE;

  g_clear_pointer (&self->current, botomfa_credentials_free);
  self->current = credentials;
  self->validated = validated;
  self->rejected = FALSE;
  g_clear_pointer (&self->identity_arn, g_free);
  g_clear_pointer (&self->check_error, g_free);
}

/* Target files are small local files: read on the main thread. */
static void
read_current (BotomfaSession *self)
{
  g_autoptr(BotomfaTarget) target = botomfa_profile_get_primary_target (self->profile);
  g_autoptr(BotomfaCredentials) fresh = NULL;
  g_autoptr(GError) error = NULL;

  fresh = botomfa_target_read (target, &error);
  if (error != NULL)
    {
      g_debug ("Cannot read %s: %s", target->path, error->message);
      set_error (self, error->message);
    }

  if (fresh != NULL && fresh->session_token == NULL)
    g_clear_pointer (&fresh, botomfa_credentials_free);

  if (!botomfa_credentials_equal (fresh, self->current))
    {
      /* New credentials (ours, or another tool's): what we knew about the
       * old ones no longer holds */
      set_current (self, g_steal_pointer (&fresh), FALSE);
      if (self->current != NULL && error == NULL && !self->renewing)
        g_clear_pointer (&self->error, g_free);
    }
}

typedef struct
{
  BotomfaProfile *profile;   /* its own: a reload frees the session's meanwhile */
  guint           serial;
} SetUpData;

static void
set_up_data_free (SetUpData *data)
{
  botomfa_profile_free (data->profile);
  g_free (data);
}

typedef struct
{
  gboolean  has_key;
  gboolean  has_section;
  char     *key_id;
  char     *problem;   /* why the keyring could not be asked */
} SetUpResult;

static void
set_up_result_free (SetUpResult *result)
{
  g_free (result->key_id);
  g_free (result->problem);
  g_free (result);
}

static void
check_set_up_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  BotomfaProfile *profile = ((SetUpData *) task_data)->profile;
  SetUpResult *result = g_new0 (SetUpResult, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaCredentials) from_file = NULL;

  result->has_key = botomfa_keyring_has_key_sync (profile->name, &result->key_id, cancellable,
                                                  &error);
  if (error != NULL)
    result->problem = g_strdup (error->message);

  /* The original tool's layout: counts as set up too, and Preferences
   * offers to move it into the keyring */
  from_file = botomfa_boto_config_read_long_term (profile->boto_config, NULL);
  result->has_section = from_file != NULL;
  if (!result->has_key && from_file != NULL)
    {
      result->has_key = TRUE;
      result->key_id = g_strdup (from_file->access_key_id);
    }

  g_task_return_pointer (task, result, (GDestroyNotify) set_up_result_free);
}

static void
on_set_up_checked (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(BotomfaSession) self = user_data;
  SetUpData *data = g_task_get_task_data (G_TASK (res));
  SetUpResult *result = g_task_propagate_pointer (G_TASK (res), NULL);

  if (result == NULL)
    return;
  /* The settings changed again while we looked: a newer look follows */
  if (data->serial != self->set_up_serial)
    {
      set_up_result_free (result);
      return;
    }

  self->set_up_known = TRUE;
  self->has_key = result->has_key;
  self->has_section = result->has_section;
  g_free (self->key_id);
  self->key_id = g_steal_pointer (&result->key_id);
  /* No Secret Service, or a locked one: say so rather than just "not set
   * up", which would send the user to store a key that cannot be stored */
  g_free (self->setup_problem);
  self->setup_problem = result->has_key ? NULL : g_steal_pointer (&result->problem);
  set_up_result_free (result);

  emit_changed (self);
  validate_current (self);
}

static void
check_set_up (BotomfaSession *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, on_set_up_checked, g_object_ref (self));
  SetUpData *data = g_new0 (SetUpData, 1);

  data->profile = botomfa_profile_load (self->profile_name);
  data->serial = ++self->set_up_serial;
  g_task_set_task_data (task, data, (GDestroyNotify) set_up_data_free);
  g_task_run_in_thread (task, check_set_up_thread);
}

/* ------------------------------------------------------------------------ */
/* Checking with AWS                                                         */

static void
on_validated (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(BotomfaSession) self = user_data;
  g_autoptr(BotomfaIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;

  identity = botomfa_sts_client_get_caller_identity_finish (BOTOMFA_STS_CLIENT (source), res,
                                                            &error);
  /* Cancelled: the credentials changed (set_current()) or we are going */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->checking = FALSE;
  g_clear_object (&self->check_cancellable);
  g_clear_pointer (&self->check_error, g_free);

  if (identity != NULL)
    {
      self->validated = TRUE;
      g_free (self->identity_arn);
      self->identity_arn = g_strdup (identity->arn);
    }
  else if (error->domain == BOTOMFA_STS_ERROR &&
           (error->code == BOTOMFA_STS_ERROR_EXPIRED_TOKEN ||
            error->code == BOTOMFA_STS_ERROR_INVALID_KEY_ID ||
            error->code == BOTOMFA_STS_ERROR_WRONG_SECRET))
    {
      /* The credentials do not work: that is a state, not an error */
      self->rejected = TRUE;
    }
  else
    {
      /* No network yet (an applet started at login), a proxy, AWS
       * unwell: tried again when the network changes. With a recorded
       * expiry the credentials' state stands meanwhile. */
      g_debug ("Could not check the credentials: %s", error->message);
      self->check_error = g_strdup (error->message);
    }

  emit_changed (self);
}

/* The original's "Validating current temporary credentials": at start and
 * whenever the file changes, if there is something worth asking about. */
static void
validate_current (BotomfaSession *self)
{
  g_autoptr(BotomfaStsClient) client = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (self->current == NULL || self->validated || self->rejected || self->checking ||
      self->renewing)
    return;

  if (self->current->expiration != NULL &&
      botomfa_seconds_remaining (self->current->expiration, now) <= 0)
    return;

  self->checking = TRUE;
  self->check_cancellable = g_cancellable_new ();
  client = botomfa_sts_client_new (self->profile->sts_endpoint, self->profile->sts_region);
  botomfa_sts_client_get_caller_identity_async (client, self->current, self->check_cancellable,
                                                on_validated, g_object_ref (self));
  emit_changed (self);
}

/* ------------------------------------------------------------------------ */
/* Time                                                                      */

static gboolean
on_timer (gpointer user_data)
{
  BotomfaSession *self = user_data;

  self->timer_id = 0;
  emit_changed (self);

  return G_SOURCE_REMOVE;
}

/* No polling: one timeout to the next moment the display changes,
 * computed from the wall clock each time, so a suspend or a clock change is
 * corrected at the next tick (and at once on resume, below). */
static void
schedule_timer (BotomfaSession *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gint64 ms;

  g_clear_handle_id (&self->timer_id, g_source_remove);

  if (self->current == NULL)
    return;

  ms = botomfa_next_wakeup_ms (self->current->expiration, now);
  if (ms < 0)
    return;

  self->timer_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (ms, G_MAXUINT),
                                       on_timer, self, NULL);
}

static void
on_prepare_for_sleep (GDBusConnection *connection,
                      const char      *sender_name,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *signal_name,
                      GVariant        *parameters,
                      gpointer         user_data)
{
  BotomfaSession *self = user_data;
  gboolean going_to_sleep = FALSE;

  g_variant_get (parameters, "(b)", &going_to_sleep);
  if (!going_to_sleep)
    {
      g_debug ("Resumed from sleep");
      botomfa_session_refresh (self);
    }
}

static void
on_system_bus (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(BotomfaSession) self = user_data;
  g_autoptr(GError) error = NULL;

  self->system_bus = g_bus_get_finish (res, &error);
  if (self->system_bus == NULL)
    {
      /* No system bus (a container): the minute timer still catches up */
      g_debug ("No system bus: %s", error->message);
      return;
    }

  self->sleep_subscription =
    g_dbus_connection_signal_subscribe (self->system_bus, "org.freedesktop.login1",
                                        "org.freedesktop.login1.Manager", "PrepareForSleep",
                                        "/org/freedesktop/login1", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_prepare_for_sleep, self,
                                        NULL);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

static gboolean
on_reread (gpointer user_data)
{
  BotomfaSession *self = user_data;

  self->reread_id = 0;
  watch_targets (self);
  botomfa_session_refresh (self);
  /* Someone may have added or removed a [long-term] section */
  check_set_up (self);

  return G_SOURCE_REMOVE;
}

static void
on_file_changed (GFileMonitor      *monitor,
                 GFile             *file,
                 GFile             *other_file,
                 GFileMonitorEvent  event,
                 gpointer           user_data)
{
  BotomfaSession *self = user_data;

  /* Another tool may rewrite the file in several steps: settle first */
  g_clear_handle_id (&self->reread_id, g_source_remove);
  self->reread_id = g_timeout_add (250, on_reread, self);
}

static void
watch_path (BotomfaSession *self,
            const char     *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GFileMonitor *monitor;

  /* A file monitor watches the name in its folder: it sees our own atomic
   * renames and other tools' in-place writes alike */
  monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      g_debug ("Cannot watch %s: %s", path, error->message);
      return;
    }
  g_signal_connect (monitor, "changed", G_CALLBACK (on_file_changed), self);
  g_ptr_array_add (self->monitors, monitor);
}

/* Each target's own name, and where its symlinks lead (~/.boto as a link
 * into a dotfiles folder: a write there changes nothing in the link's
 * folder). Done again after every change, as a link may point elsewhere. */
static void
watch_targets (BotomfaSession *self)
{
  g_autoptr(GPtrArray) targets = botomfa_profile_get_targets (self->profile);

  for (guint i = 0; i < self->monitors->len; i++)
    g_file_monitor_cancel (g_ptr_array_index (self->monitors, i));
  g_ptr_array_set_size (self->monitors, 0);

  for (guint i = 0; i < targets->len; i++)
    {
      BotomfaTarget *target = g_ptr_array_index (targets, i);
      g_autofree char *resolved = botomfa_file_resolve (target->path);

      watch_path (self, target->path);
      if (resolved != NULL && g_strcmp0 (resolved, target->path) != 0)
        watch_path (self, resolved);
    }
}

/* ------------------------------------------------------------------------ */
/* Public                                                                    */

static void
botomfa_session_dispose (GObject *object)
{
  BotomfaSession *self = (BotomfaSession *) object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->check_cancellable);
  if (self->network_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->network_monitor, self);
  self->network_monitor = NULL;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->reread_id, g_source_remove);
  if (self->sleep_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
  self->sleep_subscription = 0;
  g_clear_object (&self->system_bus);
  g_clear_pointer (&self->monitors, g_ptr_array_unref);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (botomfa_session_parent_class)->dispose (object);
}

static void
botomfa_session_finalize (GObject *object)
{
  BotomfaSession *self = (BotomfaSession *) object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->check_cancellable);
  g_clear_pointer (&self->profile, botomfa_profile_free);
  g_clear_pointer (&self->current, botomfa_credentials_free);
  g_free (self->profile_name);
  g_free (self->key_id);
  g_free (self->identity_arn);
  g_free (self->error);
  g_free (self->check_error);
  g_free (self->setup_problem);

  G_OBJECT_CLASS (botomfa_session_parent_class)->finalize (object);
}

static void
botomfa_session_class_init (BotomfaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = botomfa_session_dispose;
  object_class->finalize = botomfa_session_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
botomfa_session_init (BotomfaSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->monitors = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
on_settings_changed (GSettings  *settings,
                     const char *key,
                     gpointer    user_data)
{
  BotomfaSession *self = user_data;

  /* The dialog's remembered duration changes nothing we show */
  if (g_strcmp0 (key, "duration") == 0)
    return;

  botomfa_session_reload (self);
}

BotomfaSession *
botomfa_session_new (const char *profile_name)
{
  BotomfaSession *self = g_object_new (BOTOMFA_TYPE_SESSION, NULL);

  self->profile_name = g_strdup (profile_name);
  self->profile = botomfa_profile_load (profile_name);
  self->settings = botomfa_profile_get_settings ();
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);

  return self;
}

/* A check that could not be made is tried again when the network comes
 * (or changes: a VPN, another Wi-Fi). No timer: nothing polls. */
static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         user_data)
{
  BotomfaSession *self = user_data;

  if (available && self->check_error != NULL && !self->checking)
    {
      g_debug ("The network changed: checking the credentials again");
      validate_current (self);
    }
}

void
botomfa_session_start (BotomfaSession *self)
{
  g_return_if_fail (BOTOMFA_IS_SESSION (self));

  self->network_monitor = g_network_monitor_get_default ();
  g_signal_connect (self->network_monitor, "network-changed", G_CALLBACK (on_network_changed),
                    self);
  watch_targets (self);
  read_current (self);
  g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, on_system_bus, g_object_ref (self));
  check_set_up (self);
  emit_changed (self);
}

/* The settings changed: targets, device or endpoint may be others now */
void
botomfa_session_reload (BotomfaSession *self)
{
  g_return_if_fail (BOTOMFA_IS_SESSION (self));

  botomfa_profile_free (self->profile);
  self->profile = botomfa_profile_load (self->profile_name);
  watch_targets (self);
  botomfa_session_refresh (self);
  check_set_up (self);
}

void
botomfa_session_refresh (BotomfaSession *self)
{
  g_return_if_fail (BOTOMFA_IS_SESSION (self));

  read_current (self);
  emit_changed (self);
  if (self->set_up_known)
    validate_current (self);
}

BotomfaProfile *
botomfa_session_get_profile (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);
  return self->profile;
}

static BotomfaState
lifetime_state (BotomfaSession *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (self->current == NULL)
    return BOTOMFA_STATE_MISSING;
  if (self->rejected)
    return BOTOMFA_STATE_EXPIRED;
  if (self->current->expiration == NULL)
    return self->validated ? BOTOMFA_STATE_VALID : BOTOMFA_STATE_UNKNOWN;

  return botomfa_state_from_expiration (self->current->expiration, now,
                                        self->profile->lead_seconds);
}

BotomfaState
botomfa_session_get_state (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), BOTOMFA_STATE_ERROR);

  if (self->renewing)
    return BOTOMFA_STATE_RENEWING;
  if (!self->set_up_known)
    return BOTOMFA_STATE_CHECKING;
  if (!self->has_key || self->profile->mfa_serial == NULL)
    return BOTOMFA_STATE_NOT_SET_UP;
  if (self->error != NULL)
    return BOTOMFA_STATE_ERROR;
  /* Credentials without a recorded expiry are known only through a check */
  if (self->check_error != NULL && self->current != NULL && self->current->expiration == NULL)
    return BOTOMFA_STATE_ERROR;
  /* A known expiry is shown at once; the check in the background only
   * adds the identity (or finds the keys rejected) */
  if (self->checking && (self->current == NULL || self->current->expiration == NULL))
    return BOTOMFA_STATE_CHECKING;

  return lifetime_state (self);
}

GDateTime *
botomfa_session_get_expiration (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);
  return self->current ? self->current->expiration : NULL;
}

const char *
botomfa_session_get_error (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);

  if (self->error != NULL)
    return self->error;
  if (botomfa_session_get_state (self) == BOTOMFA_STATE_ERROR)
    return self->check_error;
  if (self->setup_problem != NULL)
    return self->setup_problem;
  /* A key but no device: "not set up" alone would not say what is missing */
  if (self->set_up_known && self->has_key && self->profile->mfa_serial == NULL)
    return _("No MFA device is known. Enter its ARN or serial number in Preferences.");
  return NULL;
}

const char *
botomfa_session_get_identity_arn (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);
  return self->identity_arn;
}

const char *
botomfa_session_get_long_term_key_id (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);
  return self->key_id;
}

/* The panel label: the remaining lifetime whenever it is known, also
 * while renewing or after an error (the old credentials still count). */
char *
botomfa_session_get_label (BotomfaSession *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gint64 remaining;

  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);

  if (self->current == NULL || self->current->expiration == NULL || self->rejected ||
      botomfa_session_get_state (self) == BOTOMFA_STATE_NOT_SET_UP)
    return g_strdup ("");

  remaining = botomfa_seconds_remaining (self->current->expiration, now);
  if (remaining <= 0)
    return g_strdup ("");

  return botomfa_format_remaining_short (remaining);
}

char *
botomfa_session_get_status_line (BotomfaSession *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  BotomfaState state;

  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), NULL);

  state = botomfa_session_get_state (self);
  if (state == BOTOMFA_STATE_ERROR || state == BOTOMFA_STATE_CHECKING ||
      state == BOTOMFA_STATE_RENEWING)
    {
      /* Say what the credentials are worth meanwhile */
      BotomfaState lifetime = lifetime_state (self);
      if (lifetime == BOTOMFA_STATE_VALID || lifetime == BOTOMFA_STATE_EXPIRING ||
          lifetime == BOTOMFA_STATE_EXPIRED)
        state = lifetime;
    }

  if (state == BOTOMFA_STATE_VALID && self->current != NULL && self->current->expiration == NULL)
    return g_strdup (_("Valid (lifetime not recorded)"));
  if (state == BOTOMFA_STATE_EXPIRED && self->current != NULL &&
      (self->rejected || self->current->expiration == NULL))
    return g_strdup (_("Expired or no longer accepted"));

  return botomfa_format_status_line (state, self->current ? self->current->expiration : NULL, now,
                                     self->profile->lead_seconds);
}

/* ------------------------------------------------------------------------ */
/* Renewal                                                                   */

typedef struct
{
  BotomfaProfile     *profile;    /* a copy: the settings may change meanwhile */
  char               *code;
  guint               duration;
  BotomfaCredentials *temporary;
  char               *arn;
} RenewData;

static void
renew_data_free (RenewData *data)
{
  botomfa_profile_free (data->profile);
  botomfa_secure_free (data->code);
  botomfa_credentials_free (data->temporary);
  g_free (data->arn);
  g_free (data);
}

/* One worker thread does the whole blocking sequence; the main thread only
 * sees the outcome. Cancel works until the files are being written. */
static void
renew_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  RenewData *data = task_data;
  g_autoptr(BotomfaCredentials) long_term = NULL;
  g_autoptr(BotomfaStsClient) client = NULL;
  g_autoptr(BotomfaIdentity) identity = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  GError *error = NULL;
  gboolean from_file;

  long_term = botomfa_keyring_find_long_term (data->profile->name, data->profile->boto_config,
                                              &from_file, NULL, cancellable, &error);
  if (long_term == NULL)
    {
      if (g_error_matches (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_NOT_FOUND))
        {
          /* Said the way the applet's user can act on */
          g_clear_error (&error);
          g_set_error_literal (&error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_NOT_FOUND,
                               _("No long-term access key is stored. Open Preferences to set "
                                 "one up."));
        }
      g_task_return_error (task, error);
      return;
    }

  /* Before the code is spent: on credentials that could not be written */
  targets = botomfa_profile_get_targets (data->profile);
  if (!botomfa_targets_check (targets, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  client = botomfa_sts_client_new (data->profile->sts_endpoint, data->profile->sts_region);
  data->temporary = botomfa_sts_client_get_session_token (client, long_term,
                                                          data->profile->mfa_serial, data->code,
                                                          data->duration, cancellable, &error);
  if (data->temporary == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!botomfa_targets_write (targets, data->temporary, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Who they belong to, for the menu; the renewal stands either way */
  identity = botomfa_sts_client_get_caller_identity (client, data->temporary, NULL, NULL);
  if (identity != NULL)
    data->arn = g_strdup (identity->arn);

  g_task_return_boolean (task, TRUE);
}

static void
on_renewed (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  BotomfaSession *self = BOTOMFA_SESSION (source);
  GTask *task = G_TASK (res);
  RenewData *data = g_task_get_task_data (task);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  self->renewing = FALSE;

  if (!g_task_propagate_boolean (task, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      /* The key went away behind our back (deleted in Passwords and Keys):
       * look again, so the tray turns to "not set up" */
      if (g_error_matches (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_NOT_FOUND))
        check_set_up (self);
      emit_changed (self);
      g_task_return_error (outer, error);
      return;
    }

  g_clear_pointer (&self->error, g_free);
  set_current (self, g_steal_pointer (&data->temporary), TRUE);
  self->identity_arn = g_steal_pointer (&data->arn);

  emit_changed (self);
  g_task_return_boolean (outer, TRUE);
}

void
botomfa_session_renew_async (BotomfaSession      *self,
                             const char          *mfa_code,
                             guint                duration,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *outer;
  g_autoptr(GTask) task = NULL;
  RenewData *data;

  g_return_if_fail (BOTOMFA_IS_SESSION (self));
  g_return_if_fail (mfa_code != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, botomfa_session_renew_async);

  if (self->renewing)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("A renewal is already running."));
      g_object_unref (outer);
      return;
    }

  data = g_new0 (RenewData, 1);
  data->profile = botomfa_profile_load (self->profile_name);
  data->code = g_strdup (mfa_code);
  data->duration = duration;

  self->renewing = TRUE;
  /* A check of the old credentials is moot now */
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->checking = FALSE;

  task = g_task_new (self, cancellable, on_renewed, outer);
  /* The thread decides: once the files are written, the renewal stands
   * even if Cancel comes during the last GetCallerIdentity */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, data, (GDestroyNotify) renew_data_free);
  g_task_run_in_thread (task, renew_thread);

  emit_changed (self);
}

gboolean
botomfa_session_renew_finish (BotomfaSession  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Setting up                                                                */

typedef struct
{
  char *profile_name;
  char *boto_config;
  char *sts_endpoint;
  char *sts_region;
  BotomfaCredentials *credentials;
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_free (data->profile_name);
  g_free (data->boto_config);
  g_free (data->sts_endpoint);
  g_free (data->sts_region);
  botomfa_credentials_free (data->credentials);
  g_free (data);
}

static StoreData *
store_data_new (BotomfaSession *self)
{
  StoreData *data = g_new0 (StoreData, 1);

  data->profile_name = g_strdup (self->profile->name);
  data->boto_config = g_strdup (self->profile->boto_config);
  data->sts_endpoint = g_strdup (self->profile->sts_endpoint);
  data->sts_region = g_strdup (self->profile->sts_region);

  return data;
}

/* Checked with GetCallerIdentity before it is stored: a typo shows at
 * once, not at the next renewal. */
static void
store_key_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  StoreData *data = task_data;
  g_autoptr(BotomfaStsClient) client = NULL;
  g_autoptr(BotomfaIdentity) identity = NULL;
  GError *error = NULL;

  client = botomfa_sts_client_new (data->sts_endpoint, data->sts_region);
  identity = botomfa_sts_client_get_caller_identity (client, data->credentials, cancellable, &error);
  if (identity == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!botomfa_keyring_store_sync (data->profile_name, data->credentials, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_strdup (identity->arn), g_free);
}

static void
on_key_stored (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  BotomfaSession *self = BOTOMFA_SESSION (source);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;
  char *arn;

  arn = g_task_propagate_pointer (G_TASK (res), &error);
  if (arn == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }

  check_set_up (self);
  g_task_return_pointer (outer, arn, g_free);
}

void
botomfa_session_store_key_async (BotomfaSession      *self,
                                 const char          *access_key_id,
                                 const char          *secret_access_key,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) task = NULL;
  StoreData *data = store_data_new (self);

  g_task_set_source_tag (outer, botomfa_session_store_key_async);
  data->credentials = botomfa_credentials_new (access_key_id, secret_access_key, NULL, NULL);

  task = g_task_new (self, cancellable, on_key_stored, outer);
  g_task_set_task_data (task, data, (GDestroyNotify) store_data_free);
  g_task_run_in_thread (task, store_key_thread);
}

char *
botomfa_session_store_key_finish (BotomfaSession  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
botomfa_session_has_long_term_section (BotomfaSession *self)
{
  g_return_val_if_fail (BOTOMFA_IS_SESSION (self), FALSE);

  return self->has_section;
}

static void
import_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  StoreData *data = task_data;
  GError *error = NULL;
  char *key_id;

  key_id = botomfa_keyring_import_boto_config (data->profile_name, data->boto_config, cancellable,
                                               &error);
  if (key_id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, key_id, g_free);
}

static void
on_imported (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  on_key_stored (source, res, user_data);
}

void
botomfa_session_import_async (BotomfaSession      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) task = NULL;

  g_task_set_source_tag (outer, botomfa_session_import_async);
  task = g_task_new (self, cancellable, on_imported, outer);
  g_task_set_task_data (task, store_data_new (self), (GDestroyNotify) store_data_free);
  g_task_run_in_thread (task, import_thread);
}

char *
botomfa_session_import_finish (BotomfaSession  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
