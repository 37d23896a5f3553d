/* test-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* The child_exit() request, when the headers are there (valgrind) */
#if defined __has_include
# if __has_include (<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
#  define HAVE_VALGRIND 1
# endif
#endif

#include <glib.h>
#include <glib/gstdio.h>

#include "botomfa-file.h"

#define NOBODY 65534

/* ---- Helpers ---------------------------------------------------------------- */

static void
rm_rf (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = NULL;
      const char *name;

      /* The tests make some directories read-only. */
      chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          rm_rf (child);
        }
      g_assert_no_errno (rmdir (path));
    }
  else
    g_assert_no_errno (unlink (path));
}

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("botomfa-file-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  rm_rf (fixture->dir);
  g_free (fixture->dir);
}

/* A forked child ends here. Under valgrind (meson test --setup valgrind)
 * memcheck checks every forked child for leaks when it exits, and there the
 * parent's buffers whose pointers the optimiser no longer keeps look lost:
 * the child turns the leak check off (invalid accesses are still errors). */
static G_NORETURN void
child_exit (int status)
{
#ifdef HAVE_VALGRIND
  VALGRIND_CLO_CHANGE ("--leak-check=no");
#endif
  _exit (status);
}

static char *
path_in (Fixture    *fixture,
         const char *first,
         ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *part;
  va_list args;

  g_ptr_array_add (parts, fixture->dir);
  va_start (args, first);
  for (part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static void
write_file (const char *path,
            const char *contents,
            mode_t      mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (path, mode));
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static mode_t
file_mode (const char *path)
{
  struct stat st;

  g_assert_no_errno (lstat (path, &st));
  return st.st_mode & 07777;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in DIR, sorted and joined with spaces: also shows that no
 * temporary file was left behind. */
static char *
list_dir (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
replace_ok (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (botomfa_file_replace (path, contents, strlen (contents), &error));
  g_assert_no_error (error);
}

/* ---- botomfa_file_read() ---------------------------------------------------- */

static void
test_read_missing (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 99;
  gboolean exists = TRUE;

  g_assert_true (botomfa_file_read (path, &contents, &length, &exists, &error));
  g_assert_no_error (error);
  g_assert_false (exists);
  g_assert_cmpuint (length, ==, 0);
  g_assert_cmpstr (contents, ==, "");
}

static void
test_read_contents (Fixture       *fixture,
                    gconstpointer  data)
{
  static const char bytes[] = "[default]\r\nk = v\0w\n\xff";
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *link = path_in (fixture, "link", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *via_link = NULL;
  gsize length = 0;
  gboolean exists = FALSE;

  g_file_set_contents (path, bytes, sizeof bytes - 1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (symlink ("credentials", link));

  g_assert_true (botomfa_file_read (path, &contents, &length, &exists, &error));
  g_assert_no_error (error);
  g_assert_true (exists);
  g_assert_cmpmem (contents, length, bytes, sizeof bytes - 1);
  g_assert_cmpint (contents[length], ==, '\0');

  exists = FALSE;
  g_assert_true (botomfa_file_read (link, &via_link, &length, &exists, &error));
  g_assert_no_error (error);
  g_assert_true (exists);
  g_assert_cmpmem (via_link, length, bytes, sizeof bytes - 1);
}

/* A FIFO reports size 0 and delivers more than the first guess: the buffer
 * must grow. */
static void
test_read_grows (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "fifo", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = g_malloc (20000);
  gsize length = 0;
  gboolean exists = FALSE;
  pid_t pid;
  int status;
  gsize i;

  for (i = 0; i < 20000; i++)
    expected[i] = 'a' + i % 26;
  g_assert_no_errno (mkfifo (path, 0600));

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int fd = open (path, O_WRONLY);
      gsize done = 0;

      while (fd >= 0 && done < 20000)
        {
          ssize_t n = write (fd, expected + done, MIN (1000, 20000 - done));

          if (n <= 0)
            child_exit (1);
          done += n;
        }
      child_exit (fd >= 0 ? 0 : 1);
    }

  g_assert_true (botomfa_file_read (path, &contents, &length, &exists, &error));
  g_assert_no_error (error);
  g_assert_true (exists);
  g_assert_cmpmem (contents, length, expected, 20000);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

static void
test_read_error (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "dot-aws", NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_no_errno (g_mkdir (path, 0700));
  g_assert_false (botomfa_file_read (path, &contents, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (contents);
}

/* ---- botomfa_file_replace() ------------------------------------------------- */

static void
test_replace_new_file (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;

  replace_ok (path, "[Credentials]\n");
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "[Credentials]\n");
  g_assert_cmpint (file_mode (path), ==, 0600);
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "credentials");
}

static void
test_replace_empty (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  write_file (path, "old", 0600);
  g_assert_true (botomfa_file_replace (path, NULL, 0, &error));
  g_assert_no_error (error);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "");
}

typedef struct
{
  const char *name;
  mode_t      before;
  mode_t      after;
} ModeCase;

static const ModeCase mode_cases[] = {
  { "0600-kept", 0600, 0600 },
  { "0640-tightened", 0640, 0600 },
  { "0644-tightened", 0644, 0600 },
  { "0666-tightened", 0666, 0600 },
  { "0400-owner-can-write", 0400, 0600 },
  { "0200-owner-can-read", 0200, 0600 },
  { "0700-owner-bits-kept", 0700, 0700 },
  { "0755-owner-bits-kept", 0755, 0700 },
};

static void
test_replace_mode (Fixture       *fixture,
                   gconstpointer  data)
{
  const ModeCase *tc = data;
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;

  write_file (path, "old", tc->before);
  replace_ok (path, "new");
  g_assert_cmpint (file_mode (path), ==, tc->after);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "new");
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "credentials");
}

static void
assert_link (const char *link,
             const char *expected_target)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_file_read_link (link, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, expected_target);
}

static void
test_replace_symlink_absolute (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *real = path_in (fixture, "dotfiles-boto", NULL);
  g_autofree char *link = path_in (fixture, ".boto", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;

  write_file (real, "old", 0640);
  g_assert_no_errno (symlink (real, link));

  replace_ok (link, "new");

  assert_link (link, real);
  contents = read_file (real);
  g_assert_cmpstr (contents, ==, "new");
  g_assert_cmpint (file_mode (real), ==, 0600);
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, ".boto dotfiles-boto");
}

static void
test_replace_symlink_relative (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *home = path_in (fixture, "home", NULL);
  g_autofree char *repo = path_in (fixture, "repo", NULL);
  g_autofree char *real = path_in (fixture, "repo", "boto", NULL);
  g_autofree char *hop = path_in (fixture, "repo", "hop", NULL);
  g_autofree char *link = path_in (fixture, "home", ".boto", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *home_names = NULL;
  g_autofree char *repo_names = NULL;

  g_assert_no_errno (g_mkdir (home, 0700));
  g_assert_no_errno (g_mkdir (repo, 0700));
  write_file (real, "old", 0600);
  /* home/.boto -> ../repo/hop -> boto: each relative to its own directory. */
  g_assert_no_errno (symlink ("../repo/hop", link));
  g_assert_no_errno (symlink ("boto", hop));

  replace_ok (link, "new");

  assert_link (link, "../repo/hop");
  assert_link (hop, "boto");
  contents = read_file (real);
  g_assert_cmpstr (contents, ==, "new");
  home_names = list_dir (home);
  g_assert_cmpstr (home_names, ==, ".boto");
  repo_names = list_dir (repo);
  g_assert_cmpstr (repo_names, ==, "boto hop");
}

/* A dangling link names the file to create. */
static void
test_replace_symlink_dangling (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *link = path_in (fixture, "credentials", NULL);
  g_autofree char *real = path_in (fixture, "store", "credentials", NULL);
  g_autofree char *contents = NULL;

  g_assert_no_errno (symlink ("store/credentials", link));
  replace_ok (link, "new");
  assert_link (link, "store/credentials");
  contents = read_file (real);
  g_assert_cmpstr (contents, ==, "new");
  g_assert_cmpint (file_mode (real), ==, 0600);
}

static void
test_replace_symlink_loop (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *a = path_in (fixture, "a", NULL);
  g_autofree char *b = path_in (fixture, "b", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  g_assert_no_errno (symlink ("b", a));
  g_assert_no_errno (symlink ("a", b));
  g_assert_false (botomfa_file_replace (a, "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
  g_assert_nonnull (strstr (error->message, a));
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "a b");
}

/* ~/.aws does not exist before the first use. */
static void
test_replace_missing_parent (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *aws = path_in (fixture, "home", ".aws", NULL);
  g_autofree char *home = path_in (fixture, "home", NULL);
  g_autofree char *path = path_in (fixture, "home", ".aws", "credentials", NULL);
  g_autofree char *contents = NULL;

  replace_ok (path, "[default]\n");
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "[default]\n");
  g_assert_cmpint (file_mode (path), ==, 0600);
  g_assert_cmpint (file_mode (aws), ==, 0700);
  g_assert_cmpint (file_mode (home), ==, 0700);
}

static void
test_replace_not_regular (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  g_assert_no_errno (g_mkdir (path, 0700));
  g_assert_false (botomfa_file_replace (path, "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_assert_nonnull (strstr (error->message, path));
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "credentials");
}

/* The target is replaced by a rename, never rewritten: a reader holding the
 * old file open keeps seeing the old, complete contents. */
static void
test_replace_is_atomic_rename (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  char buffer[16] = { 0 };
  struct stat before, after;
  int fd;

  write_file (path, "old contents", 0600);
  g_assert_no_errno (stat (path, &before));
  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);

  replace_ok (path, "new");

  g_assert_no_errno (stat (path, &after));
  g_assert_cmpuint (before.st_ino, !=, after.st_ino);
  g_assert_cmpint (read (fd, buffer, sizeof buffer - 1), ==, 12);
  g_assert_cmpstr (buffer, ==, "old contents");
  close (fd);
}

/* Fails as an unprivileged user; as root, in a child that became nobody. */
static void
test_replace_unwritable_dir (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *dir = path_in (fixture, "ro", NULL);
  g_autofree char *path = path_in (fixture, "ro", "credentials", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;
  char message[1024] = { 0 };
  int pipe_fds[2];
  pid_t pid;
  int status;

  g_assert_no_errno (g_mkdir (dir, 0700));
  write_file (path, "old", 0600);
  g_assert_no_errno (chmod (dir, 0500));
  if (geteuid () == 0)
    {
      g_assert_no_errno (chown (fixture->dir, NOBODY, NOBODY));
      g_assert_no_errno (chown (dir, NOBODY, NOBODY));
      g_assert_no_errno (chown (path, NOBODY, NOBODY));
    }

  g_assert_no_errno (pipe (pipe_fds));
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      GError *error = NULL;
      gboolean ok;

      close (pipe_fds[0]);
      if (geteuid () == 0 && (setgroups (0, NULL) != 0 || setgid (NOBODY) != 0 ||
                              setuid (NOBODY) != 0))
        child_exit (2);
      ok = botomfa_file_replace (path, "new", 3, &error);
      if (error != NULL && write (pipe_fds[1], error->message, strlen (error->message)) < 0)
        child_exit (3);
      child_exit (ok ? 1 : (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ? 0 : 4));
    }
  close (pipe_fds[1]);
  g_assert_cmpint (read (pipe_fds[0], message, sizeof message - 1), >, 0);
  close (pipe_fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_assert_nonnull (strstr (message, path));
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "old");
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "credentials");
}

/* A write that fails half-way (here: past the file size limit, as on a full
 * disk) leaves the original alone and removes the temporary file. */
static void
test_replace_write_fails (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;
  char message[1024] = { 0 };
  int pipe_fds[2];
  pid_t pid;
  int status;

  write_file (path, "old", 0600);
  g_assert_no_errno (pipe (pipe_fds));
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      struct rlimit limit = { 1024, 1024 };
      g_autofree char *big = g_strnfill (8192, 'x');
      GError *error = NULL;

      close (pipe_fds[0]);
      signal (SIGXFSZ, SIG_IGN);
      if (setrlimit (RLIMIT_FSIZE, &limit) != 0)
        child_exit (2);
      if (botomfa_file_replace (path, big, 8192, &error))
        child_exit (1);
      if (write (pipe_fds[1], error->message, strlen (error->message)) < 0)
        child_exit (3);
      child_exit (0);
    }
  close (pipe_fds[1]);
  g_assert_cmpint (read (pipe_fds[0], message, sizeof message - 1), >, 0);
  close (pipe_fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_assert_nonnull (strstr (message, path));
  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "old");
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "credentials");
}

/* root editing a user's file (sudo botomfa ...) leaves it the user's. */
static void
test_replace_keeps_owner (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  struct stat st;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to give a file to another user");
      return;
    }
  write_file (path, "old", 0640);
  g_assert_no_errno (chown (path, NOBODY, NOBODY));
  replace_ok (path, "new");
  g_assert_no_errno (stat (path, &st));
  g_assert_cmpuint (st.st_uid, ==, NOBODY);
  g_assert_cmpuint (st.st_gid, ==, NOBODY);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

/* In a child: a mount namespace of its own, as a Flatpak sandbox has, with
 * the file HOST bind-mounted over TARGET. Nothing done in it may propagate
 * back: the mount holding TARGET is made private. That is "/" on a normal
 * system; in a chroot "/" is no mount point, so walk up to the nearest. */
static gboolean
bind_mount_privately (const char *host,
                      const char *target)
{
  g_autofree char *mount_point = g_path_get_dirname (target);

  /* The kernel ignores source and type here; valgrind wants strings */
  if (unshare (CLONE_NEWNS) != 0)
    return FALSE;
  while (mount ("none", mount_point, "none", MS_REC | MS_PRIVATE, NULL) != 0)
    {
      char *parent;

      if (errno != EINVAL || g_str_equal (mount_point, "/"))
        return FALSE;
      parent = g_path_get_dirname (mount_point);
      g_free (mount_point);
      mount_point = parent;
    }
  return mount (host, target, "none", MS_BIND, NULL) == 0;
}

/* What a test does inside the sandbox: 0 for success, another exit status
 * names the step that failed */
typedef int (*SandboxedFunc) (const char *host,
                              const char *target,
                              const char *sandbox);

/* HOST (holding HOST_BEFORE) bind-mounted over SANDBOX/credentials in a
 * child of its own mount namespace, where FUNC runs; then HOST must hold
 * HOST_AFTER. The test is skipped where no private mount namespace can be
 * had. */
static void
run_sandboxed (Fixture       *fixture,
               const char    *host_before,
               SandboxedFunc  func,
               const char    *host_after)
{
  g_autofree char *host = path_in (fixture, "host-credentials", NULL);
  g_autofree char *sandbox = path_in (fixture, "sandbox", NULL);
  g_autofree char *target = path_in (fixture, "sandbox", "credentials", NULL);
  g_autofree char *names = NULL;
  g_autofree char *contents = NULL;
  pid_t pid;
  int status;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root for a private mount namespace");
      return;
    }
  write_file (host, host_before, 0600);
  g_assert_no_errno (g_mkdir (sandbox, 0700));
  write_file (target, "", 0600);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    child_exit (bind_mount_privately (host, target) ? func (host, target, sandbox) : 77);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    {
      g_test_skip ("cannot bind-mount a file here");
      return;
    }
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  /* no temporary file left in the sandbox's folder */
  names = list_dir (sandbox);
  g_assert_cmpstr (names, ==, "credentials");
  contents = read_file (host);
  g_assert_cmpstr (contents, ==, host_after);
}

static int
replace_in_sandbox (const char *host,
                    const char *target,
                    const char *sandbox)
{
  GError *error = NULL;
  g_autofree char *seen = NULL;

  if (!botomfa_file_replace (target, "new", 3, &error))
    return 1;
  if (!g_file_get_contents (target, &seen, NULL, NULL) || strcmp (seen, "new") != 0)
    return 2;
  return 0;
}

/* A single file bind-mounted over the target (a Flatpak sandbox): rename()
 * fails with EBUSY and the file is rewritten in place. */
static void
test_replace_bind_mounted (Fixture       *fixture,
                           gconstpointer  data)
{
  /* The write goes through the mount into the host's file, truncated */
  run_sandboxed (fixture, "old contents, longer than the new ones", replace_in_sandbox, "new");
}

static int
replace_stale_in_sandbox (const char *host,
                          const char *target,
                          const char *sandbox)
{
  g_autofree char *host_new = g_strconcat (host, ".new", NULL);
  GError *error = NULL;
  g_autofree char *seen = NULL;
  gsize length;
  gboolean exists;

  /* the host's botomfa (or an editor) saves atomically */
  write_file (host_new, "written on the host", 0600);
  if (rename (host_new, host) != 0)
    return 4;

  if (botomfa_file_replace (target, "new", 3, &error))
    return 1;
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED) ||
      strstr (error->message, "start it again") == NULL)
    return 2;
  g_clear_error (&error);
  if (botomfa_file_read (target, &seen, &length, &exists, &error) ||
      strstr (error->message, "start it again") == NULL)
    return 3;
  g_clear_error (&error);
  return 0;
}

/* The host replaced the file (renamed a new one over it) after the
 * sandbox bind-mounted it: the sandbox sees the old file, which has no
 * name any more. Writing it would reach nobody; reading it would show
 * what is no longer true. Both say so, and the host's file is untouched. */
static void
test_replace_bind_mounted_stale (Fixture       *fixture,
                                 gconstpointer  data)
{
  run_sandboxed (fixture, "as the sandbox found it", replace_stale_in_sandbox,
                 "written on the host");
}

/* What a writer killed between mkostemp() and rename() leaves behind is
 * swept by the next one; nothing else in the folder is touched. */
static void
test_sweep_temporaries (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *names = NULL;
  const char *keep[] = { ".credentials.bak", ".credentials.1234567", ".other.AbC123",
                         "credentials.AbC123" };

  const char *stale[] = { ".credentials.Xy12Zq", ".credentials.000000" };

  write_file (path, "old", 0600);
  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      g_autofree char *p = path_in (fixture, stale[i], NULL);
      write_file (p, "half", 0600);
    }
  for (guint i = 0; i < G_N_ELEMENTS (keep); i++)
    {
      g_autofree char *p = path_in (fixture, keep[i], NULL);
      write_file (p, "x", 0600);
    }

  botomfa_file_sweep_temporaries (path);

  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, ".credentials.1234567 .credentials.bak .other.AbC123 credentials "
                              "credentials.AbC123");
}

/* ---- botomfa_file_lock() ---------------------------------------------------- */

static void
append_log (const char *log,
            const char *line)
{
  int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0 || write (fd, line, strlen (line)) != (ssize_t) strlen (line))
    child_exit (9);
  close (fd);
}

/* A child takes the lock (through a symlink to the file) and holds it until
 * it has looked for the parent getting it too; the parent, asking for the
 * lock by the file's real name, must get it only after the child released
 * it. The order of the log lines is the result: the child's wait only bounds
 * how long a broken lock has to show itself. */
static void
test_lock_excludes (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *link = path_in (fixture, "link", NULL);
  g_autofree char *log = g_build_filename (g_get_user_runtime_dir (), "order.log", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BotomfaFileLock) lock = NULL;
  g_autofree char *order = NULL;
  int ready[2], acquired[2];
  char c;
  pid_t pid;
  int status;

  write_file (path, "x", 0600);
  g_assert_no_errno (symlink ("credentials", link));
  g_assert_no_errno (pipe (ready));
  g_assert_no_errno (pipe (acquired));

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      BotomfaFileLock *child_lock = botomfa_file_lock (link, NULL);
      struct pollfd pfd = { acquired[0], POLLIN, 0 };

      if (child_lock == NULL)
        child_exit (1);
      append_log (log, "child locked\n");
      if (write (ready[1], "L", 1) != 1)
        child_exit (2);
      if (poll (&pfd, 1, 500) > 0)
        append_log (log, "parent got the lock too\n");
      append_log (log, "child unlocks\n");
      botomfa_file_unlock (child_lock);
      child_exit (0);
    }

  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  lock = botomfa_file_lock (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
  append_log (log, "parent locked\n");
  g_assert_cmpint (write (acquired[1], "A", 1), ==, 1);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  order = read_file (log);
  g_assert_cmpstr (order, ==, "child locked\nchild unlocks\nparent locked\n");

  close (ready[0]);
  close (ready[1]);
  close (acquired[0]);
  close (acquired[1]);
}

/* The lock lives in the runtime directory, private to the user, named after
 * the file; the file's own directory is left alone, and the lock does not
 * stop the file from being replaced. */
static void
test_lock_file (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "credentials", NULL);
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "botomfa", NULL);
  g_autofree char *hash = NULL;
  g_autofree char *name = NULL;
  g_autofree char *lock_path = NULL;
  g_autofree char *real_dir = realpath (fixture->dir, NULL);
  g_autofree char *canonical = g_build_filename (real_dir, "credentials", NULL);
  g_autofree char *names = NULL;
  g_autoptr(GError) error = NULL;
  BotomfaFileLock *lock;

  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  name = g_strconcat (hash, ".lock", NULL);
  lock_path = g_build_filename (dir, name, NULL);

  lock = botomfa_file_lock (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (lock_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (file_mode (lock_path), ==, 0600);
  g_assert_cmpint (file_mode (dir), ==, 0700);
  names = list_dir (fixture->dir);
  g_assert_cmpstr (names, ==, "");

  replace_ok (path, "new");
  botomfa_file_unlock (lock);

  /* Unlocking released it: taking it again does not block. */
  lock = botomfa_file_lock (path, &error);
  g_assert_no_error (error);
  botomfa_file_unlock (lock);
  botomfa_file_unlock (NULL);
}

int
main (int    argc,
      char **argv)
{
  gsize i;

  /* Own XDG_RUNTIME_DIR and HOME per test: the locks never touch the
   * developer's. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(name, func) \
  g_test_add ("/botomfa/file/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("read/missing", test_read_missing);
  ADD ("read/contents", test_read_contents);
  ADD ("read/grows", test_read_grows);
  ADD ("read/error", test_read_error);
  ADD ("replace/new-file", test_replace_new_file);
  ADD ("replace/empty", test_replace_empty);
  for (i = 0; i < G_N_ELEMENTS (mode_cases); i++)
    {
      g_autofree char *test_path = g_strconcat ("/botomfa/file/replace/mode/",
                                                mode_cases[i].name, NULL);

      g_test_add (test_path, Fixture, &mode_cases[i], fixture_set_up, test_replace_mode,
                  fixture_tear_down);
    }
  ADD ("replace/symlink-absolute", test_replace_symlink_absolute);
  ADD ("replace/symlink-relative", test_replace_symlink_relative);
  ADD ("replace/symlink-dangling", test_replace_symlink_dangling);
  ADD ("replace/symlink-loop", test_replace_symlink_loop);
  ADD ("replace/missing-parent", test_replace_missing_parent);
  ADD ("replace/not-regular", test_replace_not_regular);
  ADD ("replace/atomic-rename", test_replace_is_atomic_rename);
  ADD ("replace/unwritable-dir", test_replace_unwritable_dir);
  ADD ("replace/write-fails", test_replace_write_fails);
  ADD ("replace/keeps-owner", test_replace_keeps_owner);
  ADD ("replace/bind-mounted", test_replace_bind_mounted);
  ADD ("replace/bind-mounted-stale", test_replace_bind_mounted_stale);
  ADD ("replace/sweep-temporaries", test_sweep_temporaries);
  ADD ("lock/excludes", test_lock_excludes);
  ADD ("lock/file", test_lock_file);

#undef ADD

  return g_test_run ();
}
