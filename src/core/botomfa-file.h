/* botomfa-file.h — crash-safe replacement of the user's files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _BotomfaFileLock BotomfaFileLock;

/* Reads the whole file. A missing file is not an error: *exists = FALSE,
 * *contents = "" . Symlinks are followed. */
gboolean         botomfa_file_read    (const char       *path,
                                       char            **contents,
                                       gsize            *length,
                                       gboolean         *exists,
                                       GError          **error);
/* The file PATH finally names after following its symlinks (which need
 * not exist); NULL if a link cannot be read. */
char            *botomfa_file_resolve (const char       *path);
/* PATH as the one name every way of naming the file maps to (symlinks
 * followed, absolute, the folder's own links resolved); NULL if a link
 * cannot be read. */
char            *botomfa_file_canonical (const char     *path);
/* Replaces the file atomically: a temporary file in the target's directory
 * (after following symlinks), fsync, rename over the target, fsync of the
 * directory. The mode is kept but never looser than 0600 (new files: 0600). */
gboolean         botomfa_file_replace (const char       *path,
                                       const char       *contents,
                                       gsize             length,
                                       GError          **error);
/* Removes temporary files an interrupted botomfa_file_replace() of PATH
 * left behind. Call it only while holding the lock. */
void             botomfa_file_sweep_temporaries (const char  *path);
/* An exclusive advisory lock serialising read-modify-write cycles of PATH
 * between processes; blocks until it is had. */
BotomfaFileLock *botomfa_file_lock    (const char       *path,
                                       GError          **error);
void             botomfa_file_unlock  (BotomfaFileLock  *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaFileLock, botomfa_file_unlock)

G_END_DECLS
