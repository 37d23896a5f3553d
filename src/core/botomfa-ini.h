/* botomfa-ini.h — a lossless editor for configparser-style INI files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BOTOMFA_INI_ERROR (botomfa_ini_error_quark ())

typedef enum
{
  BOTOMFA_INI_ERROR_NO_SECTION_HEADER,  /* a key before any [section] */
  BOTOMFA_INI_ERROR_PARSE,              /* a line configparser cannot read */
  BOTOMFA_INI_ERROR_DUPLICATE_SECTION,
  BOTOMFA_INI_ERROR_DUPLICATE_KEY,
  BOTOMFA_INI_ERROR_ENCODING,           /* not UTF-8, or a NUL byte */
} BotomfaIniError;

typedef struct _BotomfaIni BotomfaIni;

GQuark      botomfa_ini_error_quark    (void);
BotomfaIni *botomfa_ini_new            (void);
BotomfaIni *botomfa_ini_new_from_data  (const char  *data,
                                        gsize        length,
                                        const char  *display_name,
                                        GError     **error);
void        botomfa_ini_free           (BotomfaIni  *self);
char       *botomfa_ini_to_data        (BotomfaIni  *self,
                                        gsize       *length);
char      **botomfa_ini_get_sections   (BotomfaIni  *self);
char      **botomfa_ini_get_keys       (BotomfaIni  *self,
                                        const char  *section);
gboolean    botomfa_ini_has_section    (BotomfaIni  *self,
                                        const char  *section);
char       *botomfa_ini_get            (BotomfaIni  *self,
                                        const char  *section,
                                        const char  *key);
void        botomfa_ini_set            (BotomfaIni  *self,
                                        const char  *section,
                                        const char  *key,
                                        const char  *value);
gboolean    botomfa_ini_remove_key     (BotomfaIni  *self,
                                        const char  *section,
                                        const char  *key);
gboolean    botomfa_ini_remove_section (BotomfaIni  *self,
                                        const char  *section);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BotomfaIni, botomfa_ini_free)

G_END_DECLS
