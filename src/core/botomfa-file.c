/* botomfa-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-file"

#include "config.h"

#include "botomfa-file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>

/* The files written here are the user's ~/.boto and ~/.aws/credentials: a
 * crash, a full disk or a concurrent writer must never leave them empty or
 * half-written, and they hold secrets, so they must never be readable by
 * others, not even for a moment. */

/* Linux's own limit for symlinks in one path (MAXSYMLINKS). */
#define MAX_SYMLINK_DEPTH 40

struct _BotomfaFileLock
{
  int fd;
};

/* FORMAT is a translated literal with a %s for the file and one for the
 * strerror() text; a macro so that the compiler still checks it. */
#define set_error_errno(error, errsv, format, path) \
  G_STMT_START { \
    int errsv_ = (errsv); \
    g_autofree char *display_ = g_filename_display_name (path); \
    g_set_error ((error), G_IO_ERROR, g_io_error_from_errno (errsv_), (format), \
                 display_, g_strerror (errsv_)); \
  } G_STMT_END

/* Inside a sandbox the file is bind-mounted at start; once a program
 * outside replaced it (renamed a new file over it) the sandbox sees only
 * the old one, nameless. Nothing but a restart of the sandbox helps. */
static void
set_stale_mount_error (GError     **error,
                       const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("“%s” was replaced by another program since botomfa started, and the sandbox "
                 "still shows the old file. Quit botomfa and start it again."), display);
}

static void
wipe_free (char  *buffer,
           gsize  size)
{
  if (buffer == NULL)
    return;
  explicit_bzero (buffer, size);
  g_free (buffer);
}

gboolean
botomfa_file_read (const char  *path,
                   char       **contents,
                   gsize       *length,
                   gboolean    *exists,
                   GError     **error)
{
  struct stat st;
  char *buffer;
  gsize size;
  gsize len = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int errsv = errno;

      /* A missing file (or a symlink to one) is the normal first run. */
      if (errsv == ENOENT)
        {
          *contents = g_strdup ("");
          if (length != NULL)
            *length = 0;
          if (exists != NULL)
            *exists = FALSE;
          return TRUE;
        }
      set_error_errno (error, errsv, _("Could not read “%s”: %s"), path);
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    st.st_size = 0;
  else if (st.st_nlink == 0)
    {
      close (fd);
      set_stale_mount_error (error, path);
      return FALSE;
    }

  size = st.st_size > 0 ? (gsize) st.st_size + 1 : 4096;
  buffer = g_malloc (size);

  for (;;)
    {
      ssize_t n;

      if (len + 1 == size)
        {
          /* The file grew since fstat(): grow by copying, and wipe the old
           * buffer instead of letting g_realloc() free a copy of secrets. */
          char *bigger = g_malloc (size * 2);

          memcpy (bigger, buffer, len);
          wipe_free (buffer, size);
          buffer = bigger;
          size *= 2;
        }

      n = read (fd, buffer + len, size - len - 1);
      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          close (fd);
          wipe_free (buffer, size);
          set_error_errno (error, errsv, _("Could not read “%s”: %s"), path);
          return FALSE;
        }
      if (n == 0)
        break;
      len += n;
    }
  close (fd);

  buffer[len] = '\0';
  *contents = buffer;
  if (length != NULL)
    *length = len;
  if (exists != NULL)
    *exists = TRUE;
  return TRUE;
}

static char *
read_link (const char  *path,
           int         *errsv)
{
  gsize size = 256;

  for (;;)
    {
      g_autofree char *buffer = g_malloc (size);
      ssize_t n = readlink (path, buffer, size);

      if (n < 0)
        {
          *errsv = errno;
          return NULL;
        }
      if ((gsize) n < size)
        {
          buffer[n] = '\0';
          return g_steal_pointer (&buffer);
        }
      size *= 2;
    }
}

/* Follows PATH's symlinks to the file they finally name, which need not exist
 * (a dangling link names the file to create). Writing a temporary file next
 * to the link and renaming it over the link would replace the link with a
 * regular file: the user's dotfiles are often links into a dotfiles repo. */
static char *
resolve_target (const char  *path,
                GError     **error)
{
  g_autofree char *current = g_strdup (path);
  guint depth;

  for (depth = 0; depth <= MAX_SYMLINK_DEPTH; depth++)
    {
      g_autofree char *link = NULL;
      struct stat st;
      int errsv = 0;

      if (lstat (current, &st) != 0)
        {
          errsv = errno;
          if (errsv == ENOENT)
            return g_steal_pointer (&current);
          set_error_errno (error, errsv, _("Could not write “%s”: %s"), path);
          return NULL;
        }
      if (!S_ISLNK (st.st_mode))
        return g_steal_pointer (&current);

      link = read_link (current, &errsv);
      if (link == NULL)
        {
          set_error_errno (error, errsv, _("Could not write “%s”: %s"), path);
          return NULL;
        }
      if (g_path_is_absolute (link))
        {
          g_free (current);
          current = g_steal_pointer (&link);
        }
      else
        {
          /* A relative link is relative to the directory holding it. */
          g_autofree char *dir = g_path_get_dirname (current);

          g_free (current);
          current = g_build_filename (dir, link, NULL);
        }
    }

  set_error_errno (error, ELOOP, _("Could not write “%s”: %s"), path);
  return NULL;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           int         *errsv)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, MIN (length, (gsize) SSIZE_MAX));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *errsv = errno;
          return FALSE;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

/* Makes the rename itself durable: without it a crash soon after could bring
 * back the old file (or, on some filesystems, an empty one). */
static void
fsync_directory (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      g_debug ("Could not open %s to sync it: %s", dir, g_strerror (errno));
      return;
    }
  /* The new contents are in place whatever happens here; reporting an error
   * would tell the caller the old file was kept, which is false. */
  if (fsync (fd) != 0)
    g_debug ("Could not sync %s: %s", dir, g_strerror (errno));
  close (fd);
}

/* The path without rename(). Inside a Flatpak sandbox (or any container)
 * the file may be a single file bind-mounted into place: rename() over a
 * mount point fails with EBUSY (EXDEV when the temporary file is on another
 * filesystem), and there is no way to replace it atomically. It is
 * overwritten in place so that every state a crash can leave is a whole,
 * readable file:
 *
 *  1. one pwrite() of the new contents, padded with newlines to at least
 *     the old length. A write to a regular file is not interrupted half
 *     way by a signal (even SIGKILL acts when the system call returns), so
 *     the file is the old one or the new one followed by blank lines,
 *     which configparser and every INI reader ignore;
 *  2. fsync;
 *  3. ftruncate() to the new length, removing the padding; fsync.
 *
 * Only a power cut inside step 1 can still tear it, as it could any write
 * without a rename. */
static gboolean
rewrite_in_place (const char  *target,
                  const char  *contents,
                  gsize        length,
                  mode_t       mode,
                  int         *errsv)
{
  g_autofree char *padded = NULL;
  struct stat st;
  gsize padded_length;
  ssize_t n;
  int fd = open (target, O_WRONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      *errsv = errno;
      return FALSE;
    }
  /* Best effort: the sandbox may not allow it, and refusing to save the
   * credentials would not make the existing file any safer. */
  if (fchmod (fd, mode) != 0)
    g_debug ("Could not tighten the mode of %s: %s", target, g_strerror (errno));

  if (fstat (fd, &st) != 0)
    {
      *errsv = errno;
      goto fail;
    }
  /* Another program replaced the file outside the sandbox (a rename, as
   * we do ourselves): our bind mount still shows the old file, which no
   * longer has a name. Writing it would reach nobody. */
  if (st.st_nlink == 0)
    {
      *errsv = ESTALE;
      goto fail;
    }

  padded_length = MAX (length, (gsize) st.st_size);
  padded = g_malloc (padded_length);
  memcpy (padded, contents, length);
  memset (padded + length, '\n', padded_length - length);

  do
    n = pwrite (fd, padded, padded_length, 0);
  while (n < 0 && errno == EINTR);
  explicit_bzero (padded, padded_length);
  if (n < 0 || (gsize) n != padded_length)
    {
      /* A short write to a local file means a full disk: the file is now
       * the new contents' beginning over the old ones. Say so; nothing
       * better can be done without a rename. */
      *errsv = n < 0 ? errno : ENOSPC;
      goto fail;
    }
  if (fsync (fd) != 0 || ftruncate (fd, length) != 0 || fsync (fd) != 0)
    {
      *errsv = errno;
      goto fail;
    }
  if (close (fd) != 0)
    {
      *errsv = errno;
      return FALSE;
    }
  return TRUE;

fail:
  close (fd);
  return FALSE;
}

/* Gives an O_TMPFILE file the name TEMPLATE ("….XXXXXX", filled in here),
 * just before it is renamed over the target. linkat() through /proc needs
 * no privilege, unlike AT_EMPTY_PATH. */
static gboolean
link_unnamed (int    fd,
              char  *template,
              int   *errsv)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  static const char letters[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  gsize len = strlen (template);

  for (guint attempt = 0; attempt < 100; attempt++)
    {
      for (gsize i = len - 6; i < len; i++)
        template[i] = letters[g_random_int_range (0, sizeof letters - 1)];

      if (linkat (AT_FDCWD, proc, AT_FDCWD, template, AT_SYMLINK_FOLLOW) == 0)
        return TRUE;
      if (errno != EEXIST)
        break;
    }

  *errsv = errno;
  return FALSE;
}

/* A writer killed between creating its temporary file and renaming it
 * (SIGKILL, a power cut) leaves ".NAME.XXXXXX" behind, holding secrets.
 * The next writer, holding the lock, knows no other writer is at work and
 * removes them. */
void
botomfa_file_sweep_temporaries (const char *path)
{
  g_autofree char *target = resolve_target (path, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name;

  if (target == NULL)
    return;

  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  prefix = g_strdup_printf (".%s.", base);
  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    return;

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *stale = NULL;
      const char *suffix;
      struct stat st;
      gboolean ours = TRUE;

      if (!g_str_has_prefix (name, prefix))
        continue;
      suffix = name + strlen (prefix);
      /* exactly what mkostemp() makes of XXXXXX */
      if (strlen (suffix) != 6)
        continue;
      for (const char *p = suffix; *p; p++)
        if (!g_ascii_isalnum (*p))
          ours = FALSE;
      stale = g_build_filename (dir, name, NULL);
      if (!ours || lstat (stale, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
        continue;

      g_debug ("Removing %s, left by an interrupted write", stale);
      unlink (stale);
    }
}

gboolean
botomfa_file_replace (const char  *path,
                      const char  *contents,
                      gsize        length,
                      GError     **error)
{
  g_autofree char *target = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_name = NULL;
  g_autofree char *tmp = NULL;
  struct stat st;
  gboolean have_old;
  mode_t mode;
  gboolean unnamed = TRUE;
  int errsv = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (contents == NULL)
    contents = "";

  target = resolve_target (path, error);
  if (target == NULL)
    return FALSE;
  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);

  /* ~/.aws does not exist before the first use of the AWS tools; it gets
   * the mode the AWS CLI would give it. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      set_error_errno (error, errno, _("Could not create the folder “%s”: %s"), dir);
      return FALSE;
    }

  have_old = stat (target, &st) == 0;
  if (!have_old && errno != ENOENT)
    {
      set_error_errno (error, errno, _("Could not write “%s”: %s"), path);
      return FALSE;
    }
  if (have_old && !S_ISREG (st.st_mode))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("Could not write “%s”: it is not a regular file"), display);
      return FALSE;
    }

  /* Owner bits only, and at least read-write for the owner: a credentials
   * file the group or others could read is a leak, one the owner cannot
   * read back is useless. */
  mode = have_old ? ((st.st_mode & 0700) | 0600) : 0600;

  /* In the target's directory, so that rename() stays on one filesystem;
   * hidden, so a crash leaves no visible debris; created 0600 before a
   * single secret byte is written. Where the filesystem allows, the file
   * has no name at all until it is complete (O_TMPFILE): a writer killed
   * while writing then leaves nothing behind. */
  tmp_name = g_strdup_printf (".%s.XXXXXX", base);
  tmp = g_build_filename (dir, tmp_name, NULL);
  fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      unnamed = FALSE;
      fd = mkostemp (tmp, O_CLOEXEC);
    }
  if (fd < 0)
    {
      set_error_errno (error, errno, _("Could not write “%s”: %s"), path);
      return FALSE;
    }

  /* When root edits another user's file, that user must keep owning it.
   * EPERM just means we are not allowed to, and are then its owner anyway. */
  if (have_old && (st.st_uid != geteuid () || st.st_gid != getegid ()) &&
      fchown (fd, st.st_uid, st.st_gid) != 0 && errno != EPERM)
    goto fail_errno;

  if (fchmod (fd, mode) != 0)
    goto fail_errno;
  if (!write_all (fd, contents, length, &errsv))
    goto fail;
  if (fsync (fd) != 0)
    goto fail_errno;
  if (unnamed && !link_unnamed (fd, tmp, &errsv))
    goto fail;
  unnamed = FALSE;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail_errno;
    }
  fd = -1;

  if (rename (tmp, target) != 0)
    {
      errsv = errno;
      if (errsv != EBUSY && errsv != EXDEV)
        goto fail;
      if (!rewrite_in_place (target, contents, length, mode, &errsv))
        {
          unlink (tmp);
          if (errsv != ESTALE)
            goto fail_message;
          set_stale_mount_error (error, path);
          return FALSE;
        }
      unlink (tmp);
      return TRUE;
    }

  fsync_directory (dir);
  return TRUE;

fail_errno:
  errsv = errno;
fail:
  if (fd >= 0)
    close (fd);
  if (!unnamed)
    unlink (tmp);
fail_message:
  set_error_errno (error, errsv, _("Could not write “%s”: %s"), path);
  return FALSE;
}

char *
botomfa_file_resolve (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return resolve_target (path, NULL);
}

/* The path the lock is about: symlinks followed, absolute, with the
 * directory's own symlinks resolved when it exists, so that every way of
 * naming the file maps to the same lock. */
static char *
canonical_target (const char  *path,
                  GError     **error)
{
  g_autofree char *target = resolve_target (path, error);
  g_autofree char *absolute = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *real_dir = NULL;

  if (target == NULL)
    return NULL;

  absolute = g_canonicalize_filename (target, NULL);
  dir = g_path_get_dirname (absolute);
  base = g_path_get_basename (absolute);
  real_dir = realpath (dir, NULL);
  if (real_dir == NULL)
    return g_steal_pointer (&absolute);
  return g_build_filename (real_dir, base, NULL);
}

char *
botomfa_file_canonical (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return canonical_target (path, NULL);
}

/* The lock is a separate file in $XDG_RUNTIME_DIR, not the target itself:
 * botomfa_file_replace() renames a new inode over the target, so a lock held
 * on the old inode would not exclude a writer that opens the file after the
 * rename. The runtime directory is private to the user and cleared at
 * logout, so stale lock files do not pile up; they are never unlinked,
 * because unlinking a lock file someone else is waiting on lets two
 * processes lock two different inodes of the same name. */
BotomfaFileLock *
botomfa_file_lock (const char  *path,
                   GError     **error)
{
  g_autofree char *canonical = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *name = NULL;
  g_autofree char *lock_path = NULL;
  BotomfaFileLock *lock;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  canonical = canonical_target (path, error);
  if (canonical == NULL)
    return NULL;

  dir = g_build_filename (g_get_user_runtime_dir (), "botomfa", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      set_error_errno (error, errno, _("Could not create the folder “%s”: %s"), dir);
      return NULL;
    }

  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  name = g_strconcat (hash, ".lock", NULL);
  lock_path = g_build_filename (dir, name, NULL);

  fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      set_error_errno (error, errno, _("Could not lock “%s”: %s"), path);
      return NULL;
    }

  while (flock (fd, LOCK_EX) != 0)
    {
      int errsv = errno;

      if (errsv == EINTR)
        continue;
      close (fd);
      set_error_errno (error, errsv, _("Could not lock “%s”: %s"), path);
      return NULL;
    }

  lock = g_new0 (BotomfaFileLock, 1);
  lock->fd = fd;
  return lock;
}

void
botomfa_file_unlock (BotomfaFileLock *lock)
{
  if (lock == NULL)
    return;
  /* Closing the only descriptor of the open file description drops the
   * flock() lock. */
  close (lock->fd);
  g_free (lock);
}
