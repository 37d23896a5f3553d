/* botomfa-ini.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "botomfa-ini"

#include "config.h"

#include "botomfa-ini.h"

#include <string.h>

#include <glib/gi18n.h>

/* A lossless editor for ~/.boto and ~/.aws/credentials.
 *
 * These files are read by Python's configparser (boto 2, botocore, the AWS
 * CLI), so a file we accept must mean to them what it means to us, and a
 * file they refuse must be refused here too instead of being "repaired": the
 * user's tools would keep failing on it. analyze() is therefore a line-by-line
 * port of RawConfigParser._read() of CPython 3.11 with its defaults
 * (delimiters "=" and ":", comment prefixes "#" and ";" on whole lines only,
 * no inline comments, strict=True, empty_lines_in_values=True,
 * allow_no_value=False, optionxform=str.lower), reading the file as UTF-8
 * with universal newlines.
 *
 * The document is the list of the file's lines, byte for byte, terminators
 * included; the structure (sections, keys, which lines continue a value) is
 * derived from the lines by analyze() after loading and after every edit.
 * to_data() of an unmodified document is the input. Edits replace, insert or
 * delete whole lines and leave the other lines alone, with two exceptions
 * that keep the file readable: a last line without a terminator gets one when
 * a line is added after it, and a header that would become a continuation
 * line once the section above it is removed loses its indentation.
 *
 * [DEFAULT]: configparser hides it from sections() and lets every section
 * inherit its keys. Here it is an ordinary section of the document (it is
 * listed by get_sections(), its own keys by get_keys(), it can be edited and
 * removed), but get() falls back to it like configparser's get() does, so a
 * value read here is the value boto and botocore would see. As in
 * configparser, [DEFAULT] may appear several times (the blocks merge) while any
 * other repeated section is an error.
 *
 * Deliberate differences from configparser: a NUL byte is refused (Python
 * would read it); str.lower() is reproduced with GLib's Unicode tables (simple
 * lower-case mappings, plus U+0130 and an approximation of the final-sigma
 * rule) — equal for every key name seen in the wild, possibly not for exotic
 * scripts across Unicode versions. */

typedef enum
{
  LINE_BLANK,
  LINE_COMMENT,
  LINE_HEADER,
  LINE_KEY,
  LINE_CONTINUATION,
  LINE_BAD,
} LineKind;

typedef struct
{
  char     *text;         /* the line's bytes, terminator included; may hold secrets */
  gsize     len;
  gsize     content_len;  /* len without the terminator ("\n", "\r\n", "\r" or none) */

  /* Derived by analyze() */
  LineKind  kind;
  gsize     start;        /* the content stripped as str.strip() does: [start, end) */
  gsize     end;
  guint     indent;       /* code points before start: configparser's indent level */
  gsize     delim;        /* LINE_KEY: offset of the "=" or ":" */
  gsize     value_start;  /* LINE_KEY: the value, after the spaces following delim */
} Line;

typedef struct
{
  char  *lower;  /* the name after optionxform (str.lower) */
  guint  line;   /* index of the key line */
  guint  last;   /* index of the value's last line (a continuation line, or line) */
} Key;

typedef struct
{
  char      *name;
  guint      header;  /* index of the header line */
  guint      end;     /* index one past the block's last line */
  GPtrArray *keys;    /* of Key, in file order */
} Block;

struct _BotomfaIni
{
  GPtrArray  *lines;   /* of Line */
  GPtrArray  *blocks;  /* of Block, in file order */
  const char *eol;     /* terminator for lines we add: the file's first one */
};

#define DEFAULT_SECTION "DEFAULT"

G_DEFINE_QUARK (botomfa-ini-error-quark, botomfa_ini_error)

/* Python's str.isspace(), which is what str.strip() and the \s and \S of the
 * re module use; configparser strips names and values with these. */
static gboolean
py_isspace (gunichar c)
{
  if (c < 0x80)
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
  return c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static gsize
skip_spaces (const char *text,
             gsize       pos,
             gsize       end,
             guint      *n_chars)
{
  while (pos < end && py_isspace (g_utf8_get_char (text + pos)))
    {
      pos = g_utf8_next_char (text + pos) - text;
      if (n_chars != NULL)
        (*n_chars)++;
    }
  return pos;
}

static gsize
rskip_spaces (const char *text,
              gsize       start,
              gsize       end)
{
  while (end > start)
    {
      const char *prev = g_utf8_prev_char (text + end);

      if (!py_isspace (g_utf8_get_char (prev)))
        break;
      end = prev - text;
    }
  return end;
}

/* "Cased" and "case-ignorable" as the Unicode final-sigma rule uses them,
 * approximated with GLib's character classes. */
static gboolean
is_cased (gunichar c)
{
  return g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);
}

static gboolean
is_case_ignorable (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK ||
      type == G_UNICODE_FORMAT || type == G_UNICODE_MODIFIER_LETTER ||
      type == G_UNICODE_MODIFIER_SYMBOL)
    return TRUE;
  return c == '\'' || c == '.' || c == ':' || c == 0xb7 || c == 0x2018 ||
         c == 0x2019 || c == 0x2024 || c == 0xfe52 || c == 0xff07 || c == 0xff0e;
}

static gboolean
sigma_is_final (const char *text,
                const char *sigma,
                const char *end)
{
  const char *p;
  gboolean cased_before = FALSE;

  for (p = sigma; p > text;)
    {
      gunichar c;

      p = g_utf8_prev_char (p);
      c = g_utf8_get_char (p);
      if (!is_case_ignorable (c))
        {
          cased_before = is_cased (c);
          break;
        }
    }
  if (!cased_before)
    return FALSE;

  for (p = g_utf8_next_char (sigma); p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!is_case_ignorable (c))
        return !is_cased (c);
    }
  return TRUE;
}

/* configparser's optionxform, str.lower(). Not g_utf8_strdown(): that one
 * follows the locale, and in a Turkish locale "AWS_ACCESS_KEY_ID" would
 * become "aws_access_key_ıd" and match nothing. */
static char *
py_lower (const char *text,
          gsize       len)
{
  GString *out = g_string_sized_new (len);
  const char *end = text + len;
  const char *p;

  for (p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80)
        g_string_append_c (out, g_ascii_tolower ((char) c));
      else if (c == 0x130)  /* the only unconditional multi-character lower case */
        g_string_append (out, "i\xcc\x87");
      else if (c == 0x3a3)
        g_string_append_unichar (out, sigma_is_final (text, p, end) ? 0x3c2 : 0x3c3);
      else
        g_string_append_unichar (out, g_unichar_tolower (c));
    }
  return g_string_free (out, FALSE);
}

static void
line_free (gpointer data)
{
  Line *line = data;

  /* Lines hold access keys and session tokens. */
  explicit_bzero (line->text, line->len);
  g_free (line->text);
  g_free (line);
}

static Line *
line_new_take (char  *text,
               gsize  len)
{
  Line *line = g_new0 (Line, 1);

  line->text = text;
  line->len = len;
  line->kind = LINE_BAD;  /* until analyze() has seen it */
  line->content_len = len;
  if (len > 0 && text[len - 1] == '\n')
    line->content_len--;
  if (line->content_len > 0 && text[line->content_len - 1] == '\r')
    line->content_len--;
  return line;
}

/* A new line made of up to four parts, allocated once at its final size so no
 * copy of a secret is left behind in a freed buffer. */
static Line *
line_new_concat (const char *a, gsize a_len,
                 const char *b, gsize b_len,
                 const char *c, gsize c_len,
                 const char *d, gsize d_len)
{
  gsize len = a_len + b_len + c_len + d_len;
  char *text = g_malloc (len + 1);

  memcpy (text, a, a_len);
  memcpy (text + a_len, b, b_len);
  memcpy (text + a_len + b_len, c, c_len);
  memcpy (text + a_len + b_len + c_len, d, d_len);
  text[len] = '\0';
  return line_new_take (text, len);
}

static void
key_free (gpointer data)
{
  Key *key = data;

  g_free (key->lower);
  g_free (key);
}

static void
block_free (gpointer data)
{
  Block *block = data;

  g_free (block->name);
  g_ptr_array_unref (block->keys);
  g_free (block);
}

static inline Line *
get_line (BotomfaIni *self,
          guint       i)
{
  return g_ptr_array_index (self->lines, i);
}

static guint
line_number_at (const char *data,
                gsize       pos)
{
  guint line = 1;
  gsize i;

  for (i = 0; i < pos; i++)
    {
      if (data[i] == '\n')
        line++;
      else if (data[i] == '\r' && (i + 1 >= pos || data[i + 1] != '\n'))
        line++;
    }
  return line;
}

/* Like Python's universal newlines: "\n", "\r\n" and a lone "\r" end a line. */
static void
split_lines (BotomfaIni *self,
             const char *data,
             gsize       length)
{
  gsize start = 0;
  gsize i = 0;

  while (i < length)
    {
      gsize next;

      if (data[i] == '\n')
        next = i + 1;
      else if (data[i] == '\r')
        next = (i + 1 < length && data[i + 1] == '\n') ? i + 2 : i + 1;
      else
        {
          i++;
          continue;
        }

      if (self->eol == NULL)
        self->eol = (next - i == 2) ? "\r\n" : (data[i] == '\n' ? "\n" : "\r");
      g_ptr_array_add (self->lines,
                       line_new_take (g_strndup (data + start, next - start), next - start));
      start = i = next;
    }
  if (start < length)
    g_ptr_array_add (self->lines,
                     line_new_take (g_strndup (data + start, length - start), length - start));
}

/* SECTCRE is r"\[(?P<header>.+)\]" matched at the start of the stripped
 * line: the greedy .+ ends at the last "]", anything after it is ignored,
 * and there must be at least one character in between. */
static char *
header_name (const Line *line)
{
  const char *text = line->text;
  gsize close = line->end;

  if (text[line->start] != '[')
    return NULL;
  while (close > line->start + 2 && text[close - 1] != ']')
    close--;
  if (close <= line->start + 2 || text[close - 1] != ']')
    return NULL;
  return g_strndup (text + line->start + 1, close - line->start - 2);
}

typedef struct
{
  const char *display_name;
  GHashTable *sections;  /* name -> line number of its header; not DEFAULT */
  GHashTable *options;   /* "section\nkey" -> line number */
  GError     *deferred;  /* the first ParsingError, raised at the end like configparser */
} Analysis;

static void
defer_error (Analysis   *analysis,
             guint       lineno,
             const char *what)
{
  if (analysis->deferred == NULL)
    analysis->deferred = g_error_new (BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_PARSE, "%s:%u: %s",
                                      analysis->display_name, lineno, what);
}

static Block *
add_block (BotomfaIni  *self,
           Analysis    *analysis,
           guint        i,
           char        *name,
           GError     **error)
{
  gboolean is_default = strcmp (name, DEFAULT_SECTION) == 0;
  gpointer first;
  Block *block;

  /* configparser merges repeated [DEFAULT] blocks but refuses any other
   * repeated section (strict=True). */
  if (!is_default)
    {
      if (g_hash_table_lookup_extended (analysis->sections, name, NULL, &first))
        {
          g_set_error (error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_DUPLICATE_SECTION,
                       _("%s:%u: the section “%s” appears a second time (first on line %u)"),
                       analysis->display_name, i + 1, name, GPOINTER_TO_UINT (first));
          g_free (name);
          return NULL;
        }
      g_hash_table_insert (analysis->sections, g_strdup (name), GUINT_TO_POINTER (i + 1));
    }

  block = g_new0 (Block, 1);
  block->name = name;
  block->header = i;
  block->keys = g_ptr_array_new_with_free_func (key_free);
  g_ptr_array_add (self->blocks, block);
  return block;
}

/* OPTCRE: the name ends at the first "=" or ":" on the line. Returns the
 * new key, or NULL with LINE_BAD and a deferred error if the line has no
 * delimiter, or NULL with ERROR set for a duplicate key. */
static Key *
add_key (Block       *block,
         Analysis    *analysis,
         Line        *line,
         guint        i,
         GError     **error)
{
  const char *text = line->text;
  gsize delim = line->start;
  g_autofree char *lower = NULL;
  g_autofree char *option_id = NULL;
  gpointer first;
  Key *key;

  while (delim < line->end && text[delim] != '=' && text[delim] != ':')
    delim++;
  if (delim == line->end)
    {
      /* Never quote the line: it may be a wrapped secret. */
      line->kind = LINE_BAD;
      defer_error (analysis, i + 1,
                   _("the line is neither “key = value”, a [section] header nor a comment"));
      return NULL;
    }

  line->kind = LINE_KEY;
  line->delim = delim;
  line->value_start = skip_spaces (text, delim + 1, line->end, NULL);

  lower = py_lower (text + line->start, rskip_spaces (text, line->start, delim) - line->start);
  if (*lower == '\0')
    defer_error (analysis, i + 1, _("a value without a key name"));

  option_id = g_strconcat (block->name, "\n", lower, NULL);
  if (g_hash_table_lookup_extended (analysis->options, option_id, NULL, &first))
    {
      g_set_error (error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_DUPLICATE_KEY,
                   _("%s:%u: the key “%s” appears a second time in the section “%s” "
                     "(first on line %u)"),
                   analysis->display_name, i + 1, lower, block->name, GPOINTER_TO_UINT (first));
      return NULL;
    }
  g_hash_table_insert (analysis->options, g_steal_pointer (&option_id), GUINT_TO_POINTER (i + 1));

  key = g_new0 (Key, 1);
  key->lower = g_steal_pointer (&lower);
  key->line = key->last = i;
  g_ptr_array_add (block->keys, key);
  return key;
}

/* Derives the structure from the lines; see RawConfigParser._read(). Errors
 * that configparser raises at once (duplicates, no header) are returned at
 * once; lines it cannot read are collected and the first one is reported at
 * the end, so the error reported is the one Python would report. */
static gboolean
analyze (BotomfaIni  *self,
         const char  *display_name,
         GError     **error)
{
  g_autoptr(GHashTable) sections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Analysis analysis = { display_name, sections, options, NULL };
  Block *cur_block = NULL;
  Key *cur_key = NULL;  /* configparser's optname: NULL when it is None or "" */
  GError *local_error = NULL;
  guint indent_level = 0;
  guint i;

  g_ptr_array_set_size (self->blocks, 0);

  for (i = 0; i < self->lines->len; i++)
    {
      Line *line = get_line (self, i);
      const char *text = line->text;
      guint indent = 0;
      char *name;

      line->start = skip_spaces (text, 0, line->content_len, &indent);
      line->end = rskip_spaces (text, line->start, line->content_len);
      line->indent = indent;

      if (line->start == line->end)
        {
          /* Part of the current value if more continuation lines follow;
           * key_value() takes care of that. */
          line->kind = LINE_BLANK;
          continue;
        }
      if (text[line->start] == '#' || text[line->start] == ';')
        {
          line->kind = LINE_COMMENT;
          continue;
        }

      if (cur_block != NULL && cur_key != NULL && indent > indent_level)
        {
          line->kind = LINE_CONTINUATION;
          cur_key->last = i;
          continue;
        }

      indent_level = indent;

      if ((name = header_name (line)) != NULL)
        {
          if (cur_block != NULL)
            cur_block->end = i;
          cur_block = add_block (self, &analysis, i, name, &local_error);
          if (cur_block == NULL)
            goto fail;
          line->kind = LINE_HEADER;
          cur_key = NULL;
          continue;
        }

      if (cur_block == NULL)
        {
          if (i == 0 && g_str_has_prefix (text, "\xef\xbb\xbf"))
            /* Python reads the file as UTF-8, not UTF-8-SIG: the BOM stays
             * in front of the first header and hides it. */
            g_set_error (&local_error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_NO_SECTION_HEADER,
                         _("%s:%u: the file starts with a byte order mark (BOM), which "
                           "Python’s configparser cannot read; save it as UTF-8 without BOM"),
                         display_name, i + 1);
          else
            g_set_error (&local_error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_NO_SECTION_HEADER,
                         _("%s:%u: a line before the first [section] header"),
                         display_name, i + 1);
          goto fail;
        }

      {
        Key *key = add_key (cur_block, &analysis, line, i, &local_error);

        if (local_error != NULL)
          goto fail;
        /* After a bad line configparser keeps the previous optname; an empty
         * name is falsy: no continuation lines follow it. */
        if (key != NULL)
          cur_key = (*key->lower != '\0') ? key : NULL;
      }
    }

  if (cur_block != NULL)
    cur_block->end = self->lines->len;

  if (analysis.deferred != NULL)
    {
      g_propagate_error (error, analysis.deferred);
      return FALSE;
    }
  return TRUE;

fail:
  g_clear_error (&analysis.deferred);
  g_propagate_error (error, local_error);
  return FALSE;
}

/* After an edit: the edits are built so that the document stays valid, so a
 * failure here is a bug in this file. */
static void
reanalyze (BotomfaIni *self)
{
  g_autoptr(GError) error = NULL;

  if (!analyze (self, "(edited)", &error))
    g_critical ("The edited document no longer parses: %s", error->message);
}

BotomfaIni *
botomfa_ini_new (void)
{
  BotomfaIni *self = g_new0 (BotomfaIni, 1);

  self->lines = g_ptr_array_new_with_free_func (line_free);
  self->blocks = g_ptr_array_new_with_free_func (block_free);
  return self;
}

/* Parses DATA (LENGTH bytes, need not be NUL-terminated). Errors read
 * "DISPLAY_NAME:LINE: what is wrong". */
BotomfaIni *
botomfa_ini_new_from_data (const char  *data,
                           gsize        length,
                           const char  *display_name,
                           GError     **error)
{
  g_autoptr(BotomfaIni) self = NULL;
  const char *nul;
  const char *invalid;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (display_name == NULL)
    display_name = "-";
  if (data == NULL)
    data = "";

  nul = memchr (data, '\0', length);
  if (nul != NULL)
    {
      g_set_error (error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_ENCODING,
                   _("%s:%u: the file contains a NUL byte; it is not a text file"),
                   display_name, line_number_at (data, nul - data));
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, &invalid))
    {
      g_set_error (error, BOTOMFA_INI_ERROR, BOTOMFA_INI_ERROR_ENCODING,
                   _("%s:%u: the file is not valid UTF-8"),
                   display_name, line_number_at (data, invalid - data));
      return NULL;
    }

  self = botomfa_ini_new ();
  split_lines (self, data, length);
  if (!analyze (self, display_name, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
botomfa_ini_free (BotomfaIni *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->blocks);
  g_ptr_array_unref (self->lines);  /* line_free() wipes every line */
  g_free (self);
}

/* Returns the document's bytes, NUL-terminated, in a new buffer; the caller
 * wipes it (it holds the credentials) before freeing it. */
char *
botomfa_ini_to_data (BotomfaIni *self,
                     gsize      *length)
{
  gsize total = 0;
  gsize pos = 0;
  char *data;
  guint i;

  g_return_val_if_fail (self != NULL, NULL);

  for (i = 0; i < self->lines->len; i++)
    total += get_line (self, i)->len;

  data = g_malloc (total + 1);
  for (i = 0; i < self->lines->len; i++)
    {
      Line *line = get_line (self, i);

      memcpy (data + pos, line->text, line->len);
      pos += line->len;
    }
  data[total] = '\0';

  if (length != NULL)
    *length = total;
  return data;
}

static Block *
find_block (BotomfaIni *self,
            const char *section,
            gboolean    last)
{
  Block *found = NULL;
  guint i;

  for (i = 0; i < self->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (self->blocks, i);

      if (strcmp (block->name, section) == 0)
        {
          found = block;
          if (!last)
            break;
        }
    }
  return found;
}

/* Only [DEFAULT] can have several blocks; its keys are unique across them. */
static Key *
find_key (BotomfaIni *self,
          const char *section,
          const char *lower)
{
  guint i, j;

  for (i = 0; i < self->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (self->blocks, i);

      if (strcmp (block->name, section) != 0)
        continue;
      for (j = 0; j < block->keys->len; j++)
        {
          Key *key = g_ptr_array_index (block->keys, j);

          if (strcmp (key->lower, lower) == 0)
            return key;
        }
    }
  return NULL;
}

/* Every section name in file order, [DEFAULT] included. */
char **
botomfa_ini_get_sections (BotomfaIni *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  g_return_val_if_fail (self != NULL, NULL);

  for (i = 0; i < self->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (self->blocks, i);

      if (g_hash_table_add (seen, block->name))
        g_strv_builder_add (builder, block->name);
    }
  return g_strv_builder_end (builder);
}

/* The section's own keys (lower-cased, file order) — not the ones it inherits
 * from [DEFAULT]; NULL if there is no such section. */
char **
botomfa_ini_get_keys (BotomfaIni *self,
                      const char *section)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  gboolean found = FALSE;
  guint i, j;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);

  builder = g_strv_builder_new ();
  for (i = 0; i < self->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (self->blocks, i);

      if (strcmp (block->name, section) != 0)
        continue;
      found = TRUE;
      for (j = 0; j < block->keys->len; j++)
        g_strv_builder_add (builder, ((Key *) g_ptr_array_index (block->keys, j))->lower);
    }
  return found ? g_strv_builder_end (builder) : NULL;
}

gboolean
botomfa_ini_has_section (BotomfaIni *self,
                         const char *section)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (section != NULL, FALSE);

  return find_block (self, section, FALSE) != NULL;
}

/* configparser's value: the pieces (the key line's value, then one per
 * continuation line and "" per blank line in between; comment lines are
 * skipped) joined with "\n", trailing blank lines dropped. Sized first and
 * allocated once, so no partial copy of a secret is left in freed memory. */
static char *
key_value (BotomfaIni *self,
           Key        *key)
{
  Line *first = get_line (self, key->line);
  gsize total = first->end - first->value_start;
  char *value;
  gsize pos;
  guint i;

  for (i = key->line + 1; i <= key->last; i++)
    {
      Line *line = get_line (self, i);

      if (line->kind == LINE_BLANK)
        total += 1;
      else if (line->kind == LINE_CONTINUATION)
        total += 1 + line->end - line->start;
    }

  value = g_malloc (total + 1);
  memcpy (value, first->text + first->value_start, first->end - first->value_start);
  pos = first->end - first->value_start;
  for (i = key->line + 1; i <= key->last; i++)
    {
      Line *line = get_line (self, i);

      if (line->kind == LINE_BLANK)
        value[pos++] = '\n';
      else if (line->kind == LINE_CONTINUATION)
        {
          value[pos++] = '\n';
          memcpy (value + pos, line->text + line->start, line->end - line->start);
          pos += line->end - line->start;
        }
    }
  value[pos] = '\0';
  return value;
}

/* The value configparser's get() would return: the section's own key, else
 * the key of [DEFAULT]. NULL if the section or the key is missing. The
 * caller wipes the result if it is a secret. */
char *
botomfa_ini_get (BotomfaIni *self,
                 const char *section,
                 const char *key)
{
  g_autofree char *lower = NULL;
  Key *found;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (key != NULL && g_utf8_validate (key, -1, NULL), NULL);

  if (find_block (self, section, FALSE) == NULL)
    return NULL;

  lower = py_lower (key, strlen (key));
  found = find_key (self, section, lower);
  if (found == NULL && strcmp (section, DEFAULT_SECTION) != 0)
    found = find_key (self, DEFAULT_SECTION, lower);
  return found != NULL ? key_value (self, found) : NULL;
}

static void
remove_lines (BotomfaIni *self,
              guint       first,
              guint       n_lines)
{
  if (n_lines > 0)
    g_ptr_array_remove_range (self->lines, first, n_lines);
}

static void
replace_line (BotomfaIni *self,
              guint       i,
              Line       *line)
{
  line_free (g_steal_pointer (&self->lines->pdata[i]));
  self->lines->pdata[i] = line;
}

/* Gives the last line of the file a terminator before a line is added after
 * it, so the two are not glued together. */
static void
terminate_line (BotomfaIni *self,
                guint       i)
{
  Line *line = get_line (self, i);
  const char *eol = self->eol != NULL ? self->eol : "\n";

  if (line->content_len < line->len)
    return;
  replace_line (self, i, line_new_concat (line->text, line->len, eol, strlen (eol),
                                          "", 0, "", 0));
}

static gboolean
valid_section_name (const char *section)
{
  return section != NULL && *section != '\0' && g_utf8_validate (section, -1, NULL) &&
         strpbrk (section, "\r\n") == NULL;
}

/* A name that reads back as itself: no delimiter, nothing that would make the
 * line a header or a comment, no surrounding spaces configparser would strip. */
static gboolean
valid_key_name (const char *key)
{
  gsize len;

  if (key == NULL || *key == '\0' || !g_utf8_validate (key, -1, NULL))
    return FALSE;
  if (strpbrk (key, "\r\n=:") != NULL || strchr ("[#;", *key) != NULL)
    return FALSE;
  len = strlen (key);
  return skip_spaces (key, 0, len, NULL) == 0 && rskip_spaces (key, 0, len) == len;
}

/* Replaces the value part of the key line, keeping the key's spelling, the
 * delimiter, the spaces around it, what follows the value and the
 * terminator; the lines of a multi-line value (its continuation lines and the
 * blank and comment lines between them) are deleted. */
static void
replace_value (BotomfaIni *self,
               Key        *key,
               const char *value)
{
  Line *line = get_line (self, key->line);
  const char *space = "";
  guint first = key->line;
  guint last = key->last;

  /* "region =" becomes "region = x", not "region =x"; "output=" stays tight. */
  if (line->value_start == line->end && line->value_start == line->delim + 1 &&
      line->delim > 0 && *value != '\0' &&
      py_isspace (g_utf8_get_char (g_utf8_prev_char (line->text + line->delim))))
    space = " ";

  replace_line (self, first,
                line_new_concat (line->text, line->value_start,
                                 space, strlen (space),
                                 value, strlen (value),
                                 line->text + line->end, line->len - line->end));
  remove_lines (self, first + 1, last - first);
}

/* Adds "key = value" after the section's last value, before the blank and
 * comment lines that end the section. The new line is indented like the
 * section's last key (so it neither continues that key's value nor turns a
 * following indented header into a continuation line). */
static void
insert_key (BotomfaIni *self,
            Block      *block,
            const char *key,
            const char *value)
{
  const char *eol = self->eol != NULL ? self->eol : "\n";
  const Line *model;
  guint at;

  if (block->keys->len > 0)
    {
      Key *last = g_ptr_array_index (block->keys, block->keys->len - 1);

      at = last->last + 1;
      model = get_line (self, last->line);
    }
  else
    {
      at = block->header + 1;
      model = get_line (self, block->header);
      /* Right after a header anything is a key, but the next header must not
       * become a continuation of ours. */
      if (block->end < self->lines->len && get_line (self, block->end)->indent > model->indent)
        model = get_line (self, block->end);
    }

  /* The indentation is copied before terminate_line() may free the model. */
  {
    g_autofree char *indent = g_strndup (model->text, model->start);
    g_autofree char *middle = g_strconcat (key, " = ", NULL);

    terminate_line (self, at - 1);
    g_ptr_array_insert (self->lines, at,
                        line_new_concat (indent, strlen (indent),
                                         middle, strlen (middle),
                                         value, strlen (value),
                                         eol, strlen (eol)));
  }
}

static void
append_section (BotomfaIni *self,
                const char *section,
                const char *key,
                const char *value)
{
  const char *eol = self->eol != NULL ? self->eol : "\n";
  g_autofree char *header = NULL;

  if (self->lines->len > 0)
    {
      guint last = self->lines->len - 1;
      gboolean blank = get_line (self, last)->kind == LINE_BLANK;

      terminate_line (self, last);
      if (!blank)
        g_ptr_array_add (self->lines, line_new_concat (eol, strlen (eol), "", 0, "", 0, "", 0));
    }

  header = g_strconcat ("[", section, "]", eol, NULL);
  g_ptr_array_add (self->lines, line_new_concat (header, strlen (header), "", 0, "", 0, "", 0));
  g_ptr_array_add (self->lines, line_new_concat (key, strlen (key),
                                                 " = ", 3,
                                                 value, strlen (value),
                                                 eol, strlen (eol)));
}

/* Sets KEY (matched case-insensitively, as configparser does) in SECTION:
 * an existing value is replaced in place, a missing key is added to the
 * section, a missing section is appended to the file. VALUE must be one
 * line; spaces around it are stripped when the file is read back, as with
 * configparser. */
void
botomfa_ini_set (BotomfaIni *self,
                 const char *section,
                 const char *key,
                 const char *value)
{
  g_autofree char *lower = NULL;
  Key *existing;
  Block *block;

  g_return_if_fail (self != NULL);
  g_return_if_fail (valid_section_name (section));
  g_return_if_fail (valid_key_name (key));
  g_return_if_fail (value != NULL && g_utf8_validate (value, -1, NULL));
  g_return_if_fail (strpbrk (value, "\r\n") == NULL);

  lower = py_lower (key, strlen (key));
  existing = find_key (self, section, lower);
  if (existing != NULL)
    replace_value (self, existing, value);
  else if ((block = find_block (self, section, TRUE)) != NULL)
    insert_key (self, block, key, value);
  else
    append_section (self, section, key, value);

  reanalyze (self);
}

/* Deletes the key line and the lines of its value (continuation lines and
 * the blank or comment lines between them). */
gboolean
botomfa_ini_remove_key (BotomfaIni *self,
                        const char *section,
                        const char *key)
{
  g_autofree char *lower = NULL;
  Key *found;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (section != NULL, FALSE);
  g_return_val_if_fail (key != NULL && g_utf8_validate (key, -1, NULL), FALSE);

  lower = py_lower (key, strlen (key));
  found = find_key (self, section, lower);
  if (found == NULL)
    return FALSE;

  remove_lines (self, found->line, found->last - found->line + 1);
  reanalyze (self);
  return TRUE;
}

/* Deletes the header and every line up to the next header, except the
 * comment lines directly above the next header: those describe the next
 * section. Blank lines before the removed header are kept. All the blocks of
 * a repeated [DEFAULT] are removed. */
gboolean
botomfa_ini_remove_section (BotomfaIni *self,
                            const char *section)
{
  Block *block;
  gboolean removed = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (section != NULL, FALSE);

  while ((block = find_block (self, section, FALSE)) != NULL)
    {
      guint first = block->header;
      guint end = block->end;  /* block is freed by reanalyze() */
      guint stop = end;
      gboolean next_is_header = end < self->lines->len;

      if (next_is_header)
        while (stop - 1 > first && get_line (self, stop - 1)->kind == LINE_COMMENT)
          stop--;

      remove_lines (self, first, stop - first);
      reanalyze (self);
      removed = TRUE;

      if (next_is_header)
        {
          guint next = first + (end - stop);
          Line *line = get_line (self, next);

          /* "[b]" may have been indented when it followed a header; after
           * a key line such an indented header would continue the key's
           * value, so it loses its indentation. */
          if (line->kind != LINE_HEADER)
            {
              replace_line (self, next, line_new_concat (line->text + line->start,
                                                         line->len - line->start,
                                                         "", 0, "", 0, "", 0));
              reanalyze (self);
            }
        }
    }
  return removed;
}
