#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Translations: po/POTFILES.in is complete, every catalog in po/LINGUAS is
fully translated, and the built botomfa command really speaks them.

The last part runs the built binary with the catalogs of the build tree
(BOTOMFA_LOCALEDIR, passed to bindtextdomain) and LANGUAGE=xx under the
C.UTF-8 locale: glibc ignores LANGUAGE only for the plain "C" locale, so no
locale package has to be installed. The expected sentences are read from the
.po files, so improving a translation does not break this test.
"""

import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

SRCDIR = Path(__file__).resolve().parent.parent
PODIR = SRCDIR / 'po'
GETTEXT_PACKAGE = 'botomfa'

# Source files xgettext reads, and how each kind marks translatable text
C_SUFFIXES = ('.c', '.h')
C_MARKERS = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|Q_|g_dngettext|g_dpgettext2?|g_dgettext|'
                       r'ngettext|dngettext|gettext|dgettext)\s*\(')
UI_MARKER = re.compile(r'\btranslatable\s*=\s*"(?:yes|true|1)"', re.I)
DESKTOP_MARKER = re.compile(r'^\s*(?:Name|GenericName|Comment|Keywords)\s*=', re.M)
METAINFO_MARKER = re.compile(r'<(?:name|summary|p|li|caption|developer_name|keyword)\b([^>]*)>')
GSCHEMA_MARKER = re.compile(r'<(?:summary|description)\b[^>]*>')


def strip_c_comments(text):
    """C source without its comments; string and character literals kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            i = n if end < 0 else end + 2
            out.append(' ')
        elif text.startswith('//', i):
            end = text.find('\n', i)
            i = n if end < 0 else end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def has_translatable_strings(path):
    name = path.name
    try:
        text = path.read_text(encoding='utf-8')
    except (UnicodeDecodeError, OSError):
        return False
    if name.endswith(C_SUFFIXES):
        return C_MARKERS.search(strip_c_comments(text)) is not None
    if name.endswith('.ui'):
        return UI_MARKER.search(text) is not None
    if name.endswith('.desktop.in'):
        return DESKTOP_MARKER.search(text) is not None
    if name.endswith(('.metainfo.xml.in', '.appdata.xml.in')):
        return any('translate="no"' not in m.group(1) for m in METAINFO_MARKER.finditer(text))
    if name.endswith('.gschema.xml'):
        return GSCHEMA_MARKER.search(text) is not None
    return False


def read_potfiles():
    entries = []
    for line in (PODIR / 'POTFILES.in').read_text(encoding='utf-8').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        # "[type: gettext/glade] file" names the file after the bracket
        line = re.sub(r'^\[[^\]]*\]\s*', '', line)
        entries.append(line)
    return entries


def read_linguas():
    langs = []
    for line in (PODIR / 'LINGUAS').read_text(encoding='utf-8').splitlines():
        line = line.split('#', 1)[0]
        langs.extend(line.split())
    return langs


# ---------------------------------------------------------------------------
# A small .po reader (no polib on the build machines)

_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'a': '\a', 'b': '\b',
            'f': '\f', 'v': '\v'}


def _unquote(s):
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError('not a quoted string: %r' % s)
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


def parse_po(path):
    """The entries of a .po file: dicts with msgctxt, msgid, msgid_plural,
    msgstr (a list: one string, or one per plural form), flags, obsolete,
    lineno."""
    entries = []
    entry = None
    field = None

    def finish():
        if entry is not None and 'msgid' in entry:
            entries.append(entry)

    for lineno, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
        line = raw
        obsolete = line.startswith('#~')
        if obsolete:
            line = line[2:].lstrip()
            if line.startswith('|'):       # "#~| msgid": the previous msgid
                continue
        if not line.strip():
            finish()
            entry, field = None, None
            continue
        starts_entry = line.startswith('#') or re.match(r'(msgctxt|msgid)\s', line)
        if entry is not None and entry['msgstr'] and starts_entry:
            finish()
            entry = None
        if entry is None:
            entry = {'msgctxt': None, 'msgid_plural': None, 'msgstr': [], 'flags': set(),
                     'obsolete': False, 'lineno': lineno}
            field = None
        if obsolete:
            entry['obsolete'] = True
        if line.startswith('#,'):
            entry['flags'].update(f.strip() for f in line[2:].split(','))
            continue
        if line.startswith('#'):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$', line)
        if m:
            keyword, index, value = m.group(1), m.group(2), _unquote(m.group(3))
            if keyword.startswith('msgstr'):
                i = int(index) if index is not None else 0
                while len(entry['msgstr']) <= i:
                    entry['msgstr'].append('')
                entry['msgstr'][i] = value
                field = ('msgstr', i)
            else:
                if keyword == 'msgid' and 'msgid' in entry:
                    raise ValueError('%s:%d: msgid without msgstr before it' % (path, lineno))
                entry[keyword] = value
                field = (keyword, None)
            continue
        if line.lstrip().startswith('"') and field is not None:
            keyword, i = field
            if keyword == 'msgstr':
                entry['msgstr'][i] += _unquote(line)
            else:
                entry[keyword] += _unquote(line)
            continue
        raise ValueError('%s:%d: cannot parse %r' % (path, lineno, raw))
    finish()
    return entries


def translations(lang):
    """{(msgctxt, msgid): msgstr} of the live, translated, non-fuzzy entries."""
    table = {}
    for e in parse_po(PODIR / (lang + '.po')):
        if e['obsolete'] or 'fuzzy' in e['flags'] or e['msgid'] == '':
            continue
        if e['msgstr'] and e['msgstr'][0]:
            table[(e['msgctxt'], e['msgid'])] = e['msgstr'][0]
    return table


def c_env():
    """An environment in which gettext tools report in English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('LC_') and k != 'LANGUAGE'}
    env['LC_ALL'] = 'C'
    return env


# ---------------------------------------------------------------------------

class PotfilesTest(unittest.TestCase):
    def test_listed_files_exist(self):
        missing = [f for f in read_potfiles() if not (SRCDIR / f).is_file()]
        self.assertEqual(missing, [], 'po/POTFILES.in lists files that do not exist')

    def test_sorted_without_duplicates(self):
        listed = read_potfiles()
        self.assertEqual(listed, sorted(set(listed)),
                         'po/POTFILES.in must be sorted (LC_ALL=C sort) and list each file once')

    def test_nothing_from_tests(self):
        self.assertEqual([f for f in read_potfiles() if f.startswith('tests/')], [],
                         'test sources do not belong in po/POTFILES.in')

    def test_complete(self):
        listed = set(read_potfiles())
        found = []
        for top in ('src', 'data'):
            for path in sorted((SRCDIR / top).rglob('*')):
                if path.is_file() and has_translatable_strings(path):
                    found.append(path.relative_to(SRCDIR).as_posix())
        self.assertTrue(found, 'no source file with translatable strings found: scanner broken?')
        missing = [f for f in found if f not in listed]
        self.assertEqual(missing, [],
                         'files with translatable strings missing from po/POTFILES.in: '
                         + ', '.join(missing))

    def test_scanner(self):
        # The scanner must see what xgettext sees, and only that
        self.assertIsNotNone(C_MARKERS.search(strip_c_comments('x = _("a");')))
        self.assertIsNotNone(C_MARKERS.search(strip_c_comments('{ N_("a") }')))
        self.assertIsNotNone(C_MARKERS.search(strip_c_comments('C_("ctx", "a")')))
        self.assertIsNotNone(C_MARKERS.search(strip_c_comments('g_dngettext (P, "a", "b", n)')))
        self.assertIsNone(C_MARKERS.search(strip_c_comments('/* _("a") */ x = 1; // _("b")')))
        self.assertIsNone(C_MARKERS.search(strip_c_comments('foo_("a"); s = "/*"; t = 1;')))


class CatalogTest(unittest.TestCase):
    def test_linguas(self):
        langs = read_linguas()
        self.assertTrue(langs, 'po/LINGUAS is empty')
        self.assertEqual(len(langs), len(set(langs)), 'po/LINGUAS lists a language twice')
        for lang in langs:
            self.assertTrue((PODIR / (lang + '.po')).is_file(), 'po/%s.po is missing' % lang)

    def test_complete_and_valid(self):
        counts = {}
        for lang in read_linguas():
            with self.subTest(lang=lang):
                po = PODIR / (lang + '.po')
                result = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull,
                                         str(po)],
                                        capture_output=True, text=True, env=c_env(), timeout=60)
                report = (result.stderr + result.stdout).strip()
                self.assertEqual(result.returncode, 0, 'msgfmt --check %s:\n%s' % (po, report))

                def count(what):
                    m = re.search(r'(\d+) ' + what, report)
                    return int(m.group(1)) if m else 0

                translated = count('translated message')
                fuzzy = count('fuzzy translation')
                untranslated = count('untranslated message')
                self.assertGreater(translated, 0, report)
                self.assertEqual(fuzzy, 0, '%s has fuzzy messages: %s' % (po.name, report))
                self.assertEqual(untranslated, 0,
                                 '%s has untranslated messages: %s' % (po.name, report))
                counts[lang] = translated
        self.assertEqual(len(set(counts.values())), 1,
                         'the catalogs translate different numbers of messages: %s' % counts)

    def test_current_with_the_sources(self):
        """Every message the sources have now is in every catalog: a string
        added or changed since the last msgmerge fails here, not at run time."""
        with tempfile.TemporaryDirectory() as tmp:
            pot = Path(tmp, 'botomfa.pot')
            # The keywords of meson's i18n.gettext(preset: 'glib')
            keywords = ['--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
                        '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
                        '--keyword=g_dpgettext2:2c,3']
            subprocess.run(['xgettext', '--from-code=UTF-8', '--add-comments', *keywords,
                            '--directory', str(SRCDIR), '--files-from', str(PODIR / 'POTFILES.in'),
                            '--output', str(pot)],
                           check=True, capture_output=True, env=c_env(), timeout=120)
            for lang in read_linguas():
                with self.subTest(lang=lang):
                    merged = Path(tmp, lang + '.po')
                    subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '--output-file',
                                    str(merged), str(PODIR / (lang + '.po')), str(pot)],
                                   check=True, capture_output=True, env=c_env(), timeout=120)
                    missing = [e['msgid'] for e in parse_po(merged)
                               if e['msgid'] and not e['obsolete'] and not any(e['msgstr'])]
                    self.assertEqual(missing, [], '%s.po lacks messages the sources have now; '
                                     'run msgmerge and translate them' % lang)

    def test_no_fuzzy_entries(self):
        for lang in read_linguas():
            with self.subTest(lang=lang):
                fuzzy = ['line %d: %r' % (e['lineno'], e['msgid'])
                         for e in parse_po(PODIR / (lang + '.po')) if 'fuzzy' in e['flags']]
                self.assertEqual(fuzzy, [], '%s.po has fuzzy entries (the header counts too)'
                                 % lang)

    def test_plural_forms_header(self):
        for lang in read_linguas():
            with self.subTest(lang=lang):
                header = next(e for e in parse_po(PODIR / (lang + '.po')) if e['msgid'] == '')
                text = header['msgstr'][0]
                self.assertRegex(text, r'(?m)^Language: %s$' % re.escape(lang))
                self.assertRegex(text, r'(?m)^Content-Type: text/plain; charset=UTF-8$')
                m = re.search(r'(?m)^Plural-Forms: nplurals=(\d+);', text)
                self.assertIsNotNone(m, 'no Plural-Forms header')
                nplurals = int(m.group(1))
                for e in parse_po(PODIR / (lang + '.po')):
                    if e['msgid_plural'] is not None and not e['obsolete']:
                        self.assertEqual(len(e['msgstr']), nplurals, e['msgid'])


class ProgramSpeaksTest(unittest.TestCase):
    """The built command line tool, in each language of po/LINGUAS."""

    @classmethod
    def setUpClass(cls):
        builddir = os.environ.get('G_TEST_BUILDDIR')
        if not builddir:
            raise unittest.SkipTest('G_TEST_BUILDDIR is not set: run through meson test')
        cls.builddir = Path(builddir).resolve().parent
        # meson's i18n.gettext() builds <builddir>/po/LANG/LC_MESSAGES/botomfa.mo:
        # the directory bindtextdomain() wants is <builddir>/po
        cls.localedir = cls.builddir / 'po'
        cls.cli = os.environ.get('BOTOMFA_CLI') or str(cls.builddir / 'src' / 'cli' / 'botomfa')
        cls.tmp = tempfile.TemporaryDirectory(prefix='botomfa-po-')

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_cli(self, lang, *args):
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith(('LC_', 'AWS_')) or k in ('LANGUAGE', 'LANG', 'BOTO_CONFIG',
                                                               'MFA_USER', 'MFA_DEVICE_NAME'))}
        env.update({
            'LANGUAGE': lang,
            'LANG': 'C.UTF-8',
            'LC_ALL': 'C.UTF-8',
            'BOTOMFA_LOCALEDIR': str(self.localedir),
            # Nothing set up, and nothing could leave the machine if it were
            'BOTO_CONFIG': os.path.join(self.tmp.name, 'boto'),
            'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.tmp.name, 'aws-credentials'),
            'AWS_ENDPOINT_URL_STS': 'http://127.0.0.1:9',
            'GSETTINGS_BACKEND': 'memory',
        })
        return subprocess.run([self.cli, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=env, timeout=60)

    def tr(self, table, msgid, msgctxt=None):
        self.assertIn((msgctxt, msgid), table, 'not translated: %r' % msgid)
        msgstr = table[(msgctxt, msgid)]
        self.assertNotEqual(msgstr, msgid, 'the translation of %r is the English text' % msgid)
        return msgstr

    def each_language(self):
        for lang in read_linguas():
            with self.subTest(lang=lang):
                mo = self.localedir / lang / 'LC_MESSAGES' / (GETTEXT_PACKAGE + '.mo')
                self.assertTrue(mo.is_file(), '%s not built: the test must depend on the '
                                'i18n.gettext() mo targets' % mo)
                yield lang, translations(lang)

    def test_help(self):
        for lang, table in self.each_language():
            result = self.run_cli(lang, '--help')
            self.assertEqual(result.returncode, 0, result.stderr)
            for msgid in ('Renew even if the current temporary credentials still work',
                          'Show the state of the temporary credentials without contacting AWS',
                          'Move the [long-term] section of the boto config into the keyring'):
                self.assertIn(self.tr(table, msgid), result.stdout,
                              'LANGUAGE=%s: --help is not translated' % lang)
                self.assertNotIn(msgid, result.stdout)
            self.assertIn('--duration=' + self.tr(table, 'SECONDS'), result.stdout)

    def test_usage_error(self):
        for lang, table in self.each_language():
            result = self.run_cli(lang, '--duration', '5')
            self.assertEqual(result.returncode, 2, result.stderr)
            expected = self.tr(table, 'The duration must be between %d and %d seconds '
                                      '(15 minutes to 36 hours).') % (900, 129600)
            self.assertIn(expected, result.stderr)

    def test_not_set_up(self):
        # The messages the original tool printed are translated too
        for lang, table in self.each_language():
            not_set_up = self.tr(table, 'No long-term access key is stored for the profile '
                                        '“%s”. Run “botomfa --set-long-term” to store one in '
                                        'the keyring.') % 'default'

            result = self.run_cli(lang)
            self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
            self.assertIn(self.tr(table, 'Validating current temporary credentials..'),
                          result.stdout)
            self.assertIn(self.tr(table, 'Current temporary creds failed.'), result.stdout)
            self.assertIn(not_set_up, result.stderr)

            result = self.run_cli(lang, '--force')
            self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
            self.assertIn(not_set_up, result.stderr)

            result = self.run_cli(lang, '--status')
            self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
            self.assertIn(self.tr(table, 'Not set up: run “botomfa --set-long-term” to store a '
                                         'long-term key\n'), result.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
