/* botomfa-cli.c — the botomfa command, compatible with the original tool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <openssl/crypto.h>

#include "botomfa-keyring.h"
#include "botomfa-profile.h"
#include "botomfa-state.h"
#include "botomfa-sts.h"
#include "botomfa-targets.h"

/* Documented in --help, README and botomfa(1) */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_NOT_SET_UP = 3,
};

static gint64   opt_duration;
static gboolean opt_duration_given;
static gboolean opt_force;
static char    *opt_profile;
static char    *opt_mfa_serial;
static char    *opt_aws_profile;
static gboolean opt_status;
static gboolean opt_json;
static gboolean opt_set_long_term;
static gboolean opt_import_long_term;
static gboolean opt_forget_long_term;
static int      opt_timeout = BOTOMFA_STS_DEFAULT_TIMEOUT;
static gboolean opt_version;

/* A callback, not G_OPTION_ARG_INT with a "not given" value: every number
 * the user can type must reach the range check */
static gboolean
parse_duration (const char  *option_name,
                const char  *value,
                gpointer     data,
                GError     **error)
{
  if (!g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &opt_duration, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Cannot parse integer value “%s” for %s"), value, option_name);
      return FALSE;
    }
  opt_duration_given = TRUE;
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "duration", 'd', 0, G_OPTION_ARG_CALLBACK, parse_duration,
    N_("Lifetime of new temporary credentials, 900 to 129600 seconds (default 900, or the "
       "lifetime chosen in the applet)"), N_("SECONDS") },
  { "force", 'f', 0, G_OPTION_ARG_NONE, &opt_force,
    N_("Renew even if the current temporary credentials still work"), NULL },
  { "profile", 'p', 0, G_OPTION_ARG_STRING, &opt_profile,
    N_("Use the long-term key stored for NAME and write the AWS credentials profile NAME "
       "(default: “default”, which writes the boto config)"), N_("NAME") },
  { "mfa-serial", 'm', 0, G_OPTION_ARG_STRING, &opt_mfa_serial,
    N_("MFA device ARN or hardware serial number"), N_("SERIAL") },
  { "aws-profile", 0, 0, G_OPTION_ARG_STRING, &opt_aws_profile,
    N_("Also write the temporary credentials to this profile of the AWS shared credentials "
       "file"), N_("NAME") },
  { "status", 's', 0, G_OPTION_ARG_NONE, &opt_status,
    N_("Show the state of the temporary credentials without contacting AWS"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
    N_("With --status: print JSON"), NULL },
  { "set-long-term", 0, 0, G_OPTION_ARG_NONE, &opt_set_long_term,
    N_("Store a long-term access key in the keyring (asks for the key ID and the secret)"), NULL },
  { "import-long-term", 0, 0, G_OPTION_ARG_NONE, &opt_import_long_term,
    N_("Move the [long-term] section of the boto config into the keyring"), NULL },
  { "forget-long-term", 0, 0, G_OPTION_ARG_NONE, &opt_forget_long_term,
    N_("Remove the long-term key from the keyring"), NULL },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
    N_("Give up on AWS after this many seconds (default 30)"), N_("SECONDS") },
  { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Show the version and exit"), NULL },
  { NULL }
};

/* ------------------------------------------------------------------------ */
/* Terminal input                                                            */

static struct termios saved_termios;
static volatile sig_atomic_t echo_disabled;

static void
restore_echo (int signum)
{
  if (echo_disabled)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  signal (signum, SIG_DFL);
  raise (signum);
}

/* Reads one line from standard input, without its line ending. Returns
 * NULL at end of input. The caller wipes the result. */
static char *
read_line (const char *prompt,
           gboolean    echo)
{
  gboolean tty = isatty (STDIN_FILENO);
  char buffer[1024];
  char *ret = NULL;
  gsize len;

  if (prompt != NULL)
    {
      /* The original printed its prompt on standard output: keep that for
       * scripts that expect it */
      fputs (prompt, stdout);
      fflush (stdout);
    }

  if (tty && !echo && tcgetattr (STDIN_FILENO, &saved_termios) == 0)
    {
      struct termios quiet = saved_termios;
      quiet.c_lflag &= ~ECHO;
      signal (SIGINT, restore_echo);
      signal (SIGTERM, restore_echo);
      echo_disabled = TRUE;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  if (fgets (buffer, sizeof buffer, stdin) != NULL)
    {
      len = strcspn (buffer, "\r\n");
      ret = g_strndup (buffer, len);
    }
  OPENSSL_cleanse (buffer, sizeof buffer);

  if (echo_disabled)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
      echo_disabled = FALSE;
      signal (SIGINT, SIG_DFL);
      signal (SIGTERM, SIG_DFL);
      fputc ('\n', stdout);
    }
  else if (!tty && prompt != NULL)
    {
      /* Keep the output readable when the answer came from a pipe */
      fputc ('\n', stdout);
    }

  return ret;
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */

static void
say (const char *message)
{
  g_print ("%s\n", message);
}

static void
complain (const char *message)
{
  g_printerr ("botomfa: %s\n", message);
}

static void
warn (const char *message)
{
  /* Translators: prefix of a warning of the command line tool */
  g_printerr (_("botomfa: warning: %s\n"), message);
}

static int
fail_with (GError *error)
{
  complain (error->message);
  return EXIT_FAILED;
}

static BotomfaStsClient *
make_sts_client (BotomfaProfile *profile)
{
  BotomfaStsClient *client = botomfa_sts_client_new (profile->sts_endpoint, profile->sts_region);

  botomfa_sts_client_set_timeouts (client, MIN (opt_timeout, BOTOMFA_STS_DEFAULT_CONNECT_TIMEOUT),
                                   opt_timeout);
  g_debug ("STS endpoint %s, region %s", botomfa_sts_client_get_endpoint (client),
           botomfa_sts_client_get_region (client));
  return client;
}

/* ------------------------------------------------------------------------ */
/* Long-term keys                                                            */

static BotomfaCredentials *
find_long_term (BotomfaProfile  *profile,
                GError         **error)
{
  g_autoptr(GError) keyring_problem = NULL;
  g_autofree char *message = NULL;
  BotomfaCredentials *credentials;
  gboolean from_file;

  credentials = botomfa_keyring_find_long_term (profile->name, profile->boto_config, &from_file,
                                                &keyring_problem, NULL, error);
  if (credentials == NULL || !from_file)
    return credentials;

  if (keyring_problem != NULL)
    message = g_strdup_printf (_("%s Using the [long-term] section of %s, where the secret key "
                                 "lies unencrypted."), keyring_problem->message,
                               profile->boto_config);
  else
    message = g_strdup_printf (_("The long-term key is read from the [long-term] section of %s. "
                                 "Run “botomfa --import-long-term” to move it into the keyring."),
                               profile->boto_config);
  warn (message);

  return credentials;
}

static void
print_not_set_up (BotomfaProfile *profile)
{
  g_autofree char *message =
    g_strdup_printf (_("No long-term access key is stored for the profile “%s”. Run “botomfa "
                       "--set-long-term” to store one in the keyring."), profile->name);
  complain (message);
}

/* ------------------------------------------------------------------------ */
/* Validating and renewing                                                   */

static gboolean
error_is_about_credentials (const GError *error)
{
  if (error->domain != BOTOMFA_STS_ERROR)
    return FALSE;

  switch ((BotomfaStsError) error->code)
    {
    case BOTOMFA_STS_ERROR_INVALID_KEY_ID:
    case BOTOMFA_STS_ERROR_WRONG_SECRET:
    case BOTOMFA_STS_ERROR_EXPIRED_TOKEN:
    case BOTOMFA_STS_ERROR_ACCESS_DENIED:
      return TRUE;

    case BOTOMFA_STS_ERROR_INVALID_MFA_CODE:
    case BOTOMFA_STS_ERROR_INVALID_MFA_DEVICE:
    case BOTOMFA_STS_ERROR_CLOCK_SKEW:
    case BOTOMFA_STS_ERROR_INVALID_REQUEST:
    case BOTOMFA_STS_ERROR_THROTTLED:
    case BOTOMFA_STS_ERROR_SERVER:
    case BOTOMFA_STS_ERROR_NETWORK:
    case BOTOMFA_STS_ERROR_TIMEOUT:
    case BOTOMFA_STS_ERROR_TLS:
    case BOTOMFA_STS_ERROR_MALFORMED_RESPONSE:
    default:
      return FALSE;
    }
}

typedef enum
{
  CHECK_VALID,
  CHECK_INVALID,   /* renewal will help */
  CHECK_ERROR,     /* renewal would fail the same way */
} CheckResult;

/* "Validating current temporary credentials..": a recorded expiry in the
 * future is trusted without a request; otherwise GetCallerIdentity says. */
static CheckResult
check_current (BotomfaProfile    *profile,
               BotomfaStsClient  *client,
               GError           **error)
{
  g_autoptr(BotomfaTarget) target = botomfa_profile_get_primary_target (profile);
  g_autoptr(BotomfaCredentials) current = NULL;
  g_autoptr(BotomfaIdentity) identity = NULL;
  g_autoptr(GError) local_error = NULL;

  current = botomfa_target_read (target, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return CHECK_ERROR;
    }

  if (current == NULL || current->session_token == NULL)
    return CHECK_INVALID;

  if (current->expiration != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      return botomfa_seconds_remaining (current->expiration, now) > 0 ? CHECK_VALID : CHECK_INVALID;
    }

  identity = botomfa_sts_client_get_caller_identity (client, current, NULL, &local_error);
  if (identity != NULL)
    return CHECK_VALID;

  if (error_is_about_credentials (local_error))
    return CHECK_INVALID;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return CHECK_ERROR;
}

static char *
describe_expiry (GDateTime *expiration)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) local = g_date_time_to_local (expiration);
  g_autofree char *when = g_date_time_format (local, "%Y-%m-%d %H:%M %Z");
  g_autofree char *left = botomfa_format_remaining_short (botomfa_seconds_remaining (expiration, now));

  /* Translators: "valid until 2026-12-04 08:00 CET (11h 59m left)" */
  return g_strdup_printf (_("valid until %s (%s left)"), when, left);
}

static int
renew (BotomfaProfile   *profile,
       BotomfaStsClient *client)
{
  g_autoptr(BotomfaCredentials) long_term = NULL;
  g_autoptr(BotomfaCredentials) temporary = NULL;
  g_autoptr(BotomfaIdentity) identity = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *expiry = NULL;
  g_autoptr(BotomfaSecret) input = NULL;
  char code[7];
  guint duration;

  long_term = find_long_term (profile, &error);
  if (g_error_matches (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_NOT_FOUND))
    {
      print_not_set_up (profile);
      return EXIT_NOT_SET_UP;
    }
  if (long_term == NULL)
    return fail_with (error);

  if (profile->mfa_serial == NULL)
    {
      complain (_("No MFA device is known. Set AWS_ACT_NUM (and MFA_USER if the device is not "
                  "named after your user name), or pass --mfa-serial."));
      return EXIT_NOT_SET_UP;
    }

  /* Before the code is asked for: one spent on credentials that could not
   * be written would be lost */
  targets = botomfa_profile_get_targets (profile);
  if (!botomfa_targets_check (targets, &error))
    return fail_with (error);

  user = botomfa_mfa_user_name (profile->mfa_serial);
  prompt = g_strdup_printf (_("Enter AWS MFA code for user %s:"), user);
  input = read_line (prompt, TRUE);
  if (input == NULL || !botomfa_mfa_code_normalize (input, code))
    {
      complain (_("An MFA code is six digits, as the authenticator app shows it. Nothing was "
                  "sent to AWS."));
      return EXIT_USAGE;
    }

  /* The original's default was 900 s; a lifetime chosen in the applet
   * counts as the user's default here too */
  if (opt_duration_given)
    duration = (guint) opt_duration;
  else if (profile->duration_is_set)
    duration = profile->duration;
  else
    duration = BOTOMFA_STS_MIN_DURATION;

  temporary = botomfa_sts_client_get_session_token (client, long_term, profile->mfa_serial, code,
                                                    duration, NULL, &error);
  OPENSSL_cleanse (code, sizeof code);
  if (temporary == NULL)
    return fail_with (error);

  if (!botomfa_targets_write (targets, temporary, &error))
    return fail_with (error);

  say (_("Validating current temporary credentials.."));
  identity = botomfa_sts_client_get_caller_identity (client, temporary, NULL, &error);
  if (identity == NULL)
    {
      say (_("Current temporary creds failed."));
      return fail_with (error);
    }

  say (_("Current temporary credentials success!"));

  expiry = describe_expiry (temporary->expiration);
  for (guint i = 0; i < targets->len; i++)
    {
      g_autofree char *where = botomfa_target_describe (g_ptr_array_index (targets, i));
      /* Translators: "[Credentials] in ~/.boto: valid until …" */
      g_print (_("%s: %s\n"), where, expiry);
    }

  return EXIT_OK;
}

static int
run_default (BotomfaProfile *profile)
{
  g_autoptr(BotomfaStsClient) client = make_sts_client (profile);
  g_autoptr(GError) error = NULL;

  if (!opt_force)
    {
      CheckResult result;

      say (_("Validating current temporary credentials.."));
      result = check_current (profile, client, &error);

      switch (result)
        {
        case CHECK_VALID:
          say (_("Current temporary credentials success!"));
          return EXIT_OK;

        case CHECK_ERROR:
          return fail_with (error);

        case CHECK_INVALID:
        default:
          say (_("Current temporary creds failed."));
          break;
        }
    }

  return renew (profile, client);
}

/* ------------------------------------------------------------------------ */
/* --status                                                                  */

static void
json_string (GString    *out,
             const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      switch (*p)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if ((guchar) *p < 0x20)
            g_string_append_printf (out, "\\u%04x", (guchar) *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

static gboolean
is_set_up (BotomfaProfile *profile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaCredentials) from_file = NULL;

  if (botomfa_keyring_has_key_sync (profile->name, NULL, NULL, &error))
    return TRUE;

  from_file = botomfa_boto_config_read_long_term (profile->boto_config, NULL);
  return from_file != NULL;
}

static int
run_status (BotomfaProfile *profile)
{
  g_autoptr(BotomfaTarget) target = botomfa_profile_get_primary_target (profile);
  g_autoptr(BotomfaCredentials) current = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  g_autofree char *expiration = NULL;
  BotomfaState state;
  gint64 remaining = 0;

  current = botomfa_target_read (target, &error);
  if (error != NULL)
    return fail_with (error);

  if (current != NULL && current->session_token != NULL)
    {
      state = botomfa_state_from_expiration (current->expiration, now, profile->lead_seconds);
      if (current->expiration != NULL)
        {
          expiration = botomfa_format_iso8601 (current->expiration);
          remaining = MAX (0, botomfa_seconds_remaining (current->expiration, now));
        }
    }
  else
    {
      g_clear_pointer (&current, botomfa_credentials_free);
      state = is_set_up (profile) ? BOTOMFA_STATE_MISSING : BOTOMFA_STATE_NOT_SET_UP;
    }

  if (opt_json)
    {
      g_autoptr(GString) out = g_string_new ("{");

      g_string_append (out, "\"state\": ");
      json_string (out, botomfa_state_to_string (state));
      g_string_append (out, ", \"expiration\": ");
      json_string (out, expiration);
      g_string_append (out, ", \"remaining_seconds\": ");
      if (expiration != NULL)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, remaining);
      else
        g_string_append (out, "null");
      g_string_append (out, ", \"access_key_id\": ");
      json_string (out, current ? current->access_key_id : NULL);
      g_string_append (out, ", \"profile\": ");
      json_string (out, profile->name);
      g_string_append (out, ", \"file\": ");
      json_string (out, target->path);
      g_string_append (out, ", \"section\": ");
      json_string (out, target->section);
      g_string_append (out, "}\n");
      g_print ("%s", out->str);
    }
  else
    {
      g_autofree char *where = botomfa_target_describe (target);

      switch (state)
        {
        case BOTOMFA_STATE_VALID:
        case BOTOMFA_STATE_EXPIRING:
          {
            g_autofree char *expiry = describe_expiry (current->expiration);
            /* Translators: "Temporary credentials (ASIA…) in [Credentials] in ~/.boto: valid until …" */
            g_print (_("Temporary credentials %s in %s: %s\n"), current->access_key_id, where, expiry);
          }
          break;

        case BOTOMFA_STATE_EXPIRED:
          {
            g_autoptr(GDateTime) local = g_date_time_to_local (current->expiration);
            g_autofree char *when = g_date_time_format (local, "%Y-%m-%d %H:%M %Z");
            g_print (_("Temporary credentials %s in %s: expired at %s\n"),
                     current->access_key_id, where, when);
          }
          break;

        case BOTOMFA_STATE_UNKNOWN:
          g_print (_("Temporary credentials %s in %s: expiry not recorded; run botomfa to "
                     "check them\n"), current->access_key_id, where);
          break;

        case BOTOMFA_STATE_MISSING:
          g_print (_("No temporary credentials in %s yet; run botomfa to get some\n"), where);
          break;

        case BOTOMFA_STATE_NOT_SET_UP:
        case BOTOMFA_STATE_CHECKING:
        case BOTOMFA_STATE_RENEWING:
        case BOTOMFA_STATE_ERROR:
        default:
          g_print (_("Not set up: run “botomfa --set-long-term” to store a long-term key\n"));
          break;
        }
    }

  switch (state)
    {
    case BOTOMFA_STATE_VALID:
    case BOTOMFA_STATE_EXPIRING:
      return EXIT_OK;
    case BOTOMFA_STATE_NOT_SET_UP:
      return EXIT_NOT_SET_UP;
    case BOTOMFA_STATE_CHECKING:
    case BOTOMFA_STATE_EXPIRED:
    case BOTOMFA_STATE_RENEWING:
    case BOTOMFA_STATE_ERROR:
    case BOTOMFA_STATE_UNKNOWN:
    case BOTOMFA_STATE_MISSING:
    default:
      return EXIT_FAILED;
    }
}

/* ------------------------------------------------------------------------ */
/* Long-term key management                                                  */

static int
run_set_long_term (BotomfaProfile *profile)
{
  g_autoptr(BotomfaStsClient) client = make_sts_client (profile);
  g_autoptr(BotomfaCredentials) credentials = NULL;
  g_autoptr(BotomfaIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_id = NULL;
  g_autoptr(BotomfaSecret) secret = NULL;

  key_id = read_line (_("AWS access key ID: "), TRUE);
  if (key_id != NULL)
    g_strstrip (key_id);
  if (!botomfa_access_key_id_is_valid (key_id))
    {
      complain (_("That is not an access key ID: it has 20 capitals and digits, like "
                  "AKIAIOSFODNN7EXAMPLE."));
      return EXIT_USAGE;
    }
  if (!botomfa_access_key_is_long_term (key_id))
    {
      complain (_("That is a temporary access key ID (ASIA…). Store your IAM user’s own key, "
                  "which starts with AKIA."));
      return EXIT_USAGE;
    }

  secret = read_line (_("AWS secret access key: "), FALSE);
  if (secret != NULL)
    g_strstrip (secret);
  if (!botomfa_secret_access_key_is_valid (secret))
    {
      complain (_("That is not a secret access key: it is 40 characters of letters, digits, "
                  "“/” and “+”."));
      return EXIT_USAGE;
    }

  credentials = botomfa_credentials_new (key_id, secret, NULL, NULL);

  /* Checked before it is stored: a typo found now saves a confusing
   * failure at the next renewal. Unreachable AWS does not stop storing. */
  say (_("Checking the key with AWS.."));
  identity = botomfa_sts_client_get_caller_identity (client, credentials, NULL, &error);
  if (identity == NULL)
    {
      if (error_is_about_credentials (error) ||
          g_error_matches (error, BOTOMFA_STS_ERROR, BOTOMFA_STS_ERROR_CLOCK_SKEW))
        {
          complain (error->message);
          complain (_("The key was not stored."));
          return EXIT_FAILED;
        }
      warn (error->message);
      warn (_("The key could not be checked; it is stored anyway."));
      g_clear_error (&error);
    }

  if (!botomfa_keyring_store_sync (profile->name, credentials, NULL, &error))
    {
      if (!g_error_matches (error, BOTOMFA_KEYRING_ERROR, BOTOMFA_KEYRING_ERROR_UNAVAILABLE))
        return fail_with (error);

      {
        g_autofree char *message =
          g_strdup_printf (_("%s The key is written to the [long-term] section of %s instead, "
                             "where the secret lies unencrypted."), error->message,
                           profile->boto_config);
        warn (message);
      }
      g_clear_error (&error);
      if (!botomfa_boto_config_write_long_term (profile->boto_config, credentials, &error))
        return fail_with (error);
    }

  if (identity != NULL)
    g_print (_("Stored the key %s of %s.\n"), key_id, identity->arn);
  else
    g_print (_("Stored the key %s.\n"), key_id);

  return EXIT_OK;
}

static int
run_import_long_term (BotomfaProfile *profile)
{
  g_autoptr(BotomfaCredentials) from_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *question = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *key_id = NULL;

  from_file = botomfa_boto_config_read_long_term (profile->boto_config, &error);
  if (from_file == NULL)
    return fail_with (error);

  question = g_strdup_printf (_("Move the key %s from the [long-term] section of %s into the "
                                "keyring, and remove the section from the file? [y/N] "),
                              from_file->access_key_id, profile->boto_config);
  answer = read_line (question, TRUE);
  if (answer != NULL)
    g_strstrip (answer);
  /* "y" always confirms, as scripts send it; a translated "yes" too */
  if (answer == NULL || (g_ascii_strncasecmp (answer, "y", 1) != 0 &&
                         /* Translators: the first letter of "yes", typed to confirm; use
                          * the same letter as in the “[y/N]” of the question */
                         g_ascii_strncasecmp (answer, C_("answer", "y"), 1) != 0))
    {
      say (_("Nothing was changed."));
      return EXIT_FAILED;
    }

  key_id = botomfa_keyring_import_boto_config (profile->name, profile->boto_config, NULL, &error);
  if (key_id == NULL)
    return fail_with (error);

  g_print (_("The key %s is now in the keyring, and the [long-term] section is gone from %s.\n"),
           key_id, profile->boto_config);
  return EXIT_OK;
}

static int
run_forget_long_term (BotomfaProfile *profile)
{
  g_autoptr(GError) error = NULL;

  if (!botomfa_keyring_clear_sync (profile->name, NULL, &error))
    return fail_with (error);

  g_print (_("The long-term key of the profile “%s” was removed from the keyring.\n"),
           profile->name);
  return EXIT_OK;
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaProfile) profile = NULL;
  g_autofree char *description = NULL;
  guint n_actions;

  setlocale (LC_ALL, "");
  /* BOTOMFA_LOCALEDIR: translations from a build tree (the tests) */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("BOTOMFA_LOCALEDIR") ? g_getenv ("BOTOMFA_LOCALEDIR")
                                                                   : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    _("Keeps temporary AWS credentials from STS GetSessionToken, obtained with an MFA code, in "
      "the boto config and the AWS credentials file."));
  description = g_strdup_printf ("%s\n\n%s\n\n%s",
    _("Without options: check the current temporary credentials and, only if they no longer "
      "work, ask for an MFA code and renew them. The code is read from the terminal, or as one "
      "line of standard input."),
    _("Exit status:\n"
      "  0  the credentials are valid (or were renewed)\n"
      "  1  the check or the renewal failed\n"
      "  2  wrong usage or input (the duration, the MFA code)\n"
      "  3  not set up: no long-term key, or no MFA device"),
    _("Environment:\n"
      "  AWS_ACT_NUM, MFA_USER, MFA_DEVICE_NAME  build the MFA device ARN\n"
      "  BOTO_CONFIG                   the boto config (default ~/.boto)\n"
      "  AWS_SHARED_CREDENTIALS_FILE   the AWS credentials file (default ~/.aws/credentials)\n"
      "  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL  the STS endpoint\n"
      "  AWS_CA_BUNDLE                 extra trusted certificates\n"
      "  AWS_REGION, AWS_DEFAULT_REGION  the signing region for custom endpoints"));
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      complain (error->message);
      return EXIT_USAGE;
    }

  if (opt_version)
    {
      g_print ("botomfa %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("Unexpected argument “%s”. See botomfa --help."),
                                                  argv[1]);
      complain (message);
      return EXIT_USAGE;
    }

  n_actions = opt_status + opt_set_long_term + opt_import_long_term + opt_forget_long_term;
  if (n_actions > 1)
    {
      complain (_("Use only one of --status, --set-long-term, --import-long-term and "
                  "--forget-long-term."));
      return EXIT_USAGE;
    }
  if (opt_json && !opt_status)
    {
      complain (_("--json goes with --status."));
      return EXIT_USAGE;
    }

  /* Checked before anything else happens: AWS would refuse it anyway */
  if (opt_duration_given &&
      (opt_duration < BOTOMFA_STS_MIN_DURATION || opt_duration > BOTOMFA_STS_MAX_DURATION))
    {
      g_autofree char *message =
        g_strdup_printf (_("The duration must be between %d and %d seconds (15 minutes to 36 "
                           "hours)."), BOTOMFA_STS_MIN_DURATION, BOTOMFA_STS_MAX_DURATION);
      complain (message);
      return EXIT_USAGE;
    }
  if (opt_timeout < 1 || opt_timeout > 600)
    {
      complain (_("The timeout must be between 1 and 600 seconds."));
      return EXIT_USAGE;
    }
  if (opt_profile != NULL && (*opt_profile == '\0' || strpbrk (opt_profile, "[]\r\n") != NULL))
    {
      complain (_("A profile name cannot be empty or contain brackets or line breaks."));
      return EXIT_USAGE;
    }

  profile = botomfa_profile_load (opt_profile);
  if (opt_mfa_serial != NULL)
    {
      g_free (profile->mfa_serial);
      profile->mfa_serial = g_strstrip (g_strdup (opt_mfa_serial));
    }
  if (opt_aws_profile != NULL)
    {
      g_free (profile->aws_profile);
      profile->aws_profile = g_strdup (opt_aws_profile);
    }

  if (opt_status)
    return run_status (profile);
  if (opt_set_long_term)
    return run_set_long_term (profile);
  if (opt_import_long_term)
    return run_import_long_term (profile);
  if (opt_forget_long_term)
    return run_forget_long_term (profile);

  return run_default (profile);
}
