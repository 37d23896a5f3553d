#!/usr/bin/python3
# test-ini-configparser.py — botomfa's INI editor against Python's configparser
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# boto 2, botocore and the AWS CLI read ~/.boto and ~/.aws/credentials with
# configparser.RawConfigParser, so configparser is the reference: for every
# fixture under tests/data/config (and for the cross-SDK suite's inputs and
# generated documents) `ini-dump FILE` must see the same sections, keys and
# values, or refuse the file where configparser raises, naming the same line.
# Edits made through `ini-dump --set/--remove-key/--remove-section` must change
# exactly the intended values (checked with configparser) and only the lines
# of the edited keys (checked with difflib).
#
# Run: BOTOMFA_INI_DUMP=build/tests/ini-dump /usr/bin/python3 tests/test-ini-configparser.py

import configparser
import difflib
import json
import os
import random
import re
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data', 'config')
INI_DUMP = os.environ.get('BOTOMFA_INI_DUMP')

# The credentials botomfa writes, in the section boto 2 reads them from.
NEW_CREDENTIALS = [
    ('aws_access_key_id', 'ASIAXNEWEXAMPLEKEYID'),
    ('aws_secret_access_key', 'new/Secret+Access=Key:EXAMPLE'),
    ('aws_security_token', 'FwoGZXIvYXdzENEWTOKEN//////////EXAMPLE=='),
]


def data_files():
    paths = []
    for root, dirs, files in os.walk(DATA):
        dirs.sort()
        for name in sorted(files):
            paths.append(os.path.join(root, name))
    return paths


def split_lines(data):
    """Lines of DATA (bytes) with their terminators, as universal newlines
    splits them."""
    return re.findall(rb'[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$', data)


def strip_eol(line):
    return line.rstrip(b'\r\n')


def error_line(exc):
    """The line configparser blames, or None if it reported none."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return exc.lineno
    if isinstance(exc, (configparser.DuplicateSectionError,
                        configparser.DuplicateOptionError)):
        return exc.lineno
    if isinstance(exc, configparser.ParsingError):
        return exc.errors[0][0]
    return None


def reference(path, raw=False):
    """configparser's view of PATH: (sections, None) or (None, exception).

    The normal view is what boto/botocore see: every section with the keys
    it inherits from [DEFAULT], and "DEFAULT" itself when it has keys. The
    raw view (RAW=True) has each section's own keys only."""
    cp = configparser.RawConfigParser(strict=True, interpolation=None)
    try:
        cp.read(path, encoding='utf-8')
    except (configparser.Error, UnicodeDecodeError) as exc:
        return None, exc
    sections = {}
    if cp.defaults():
        sections['DEFAULT'] = dict(cp.defaults())
    for name in cp.sections():
        # _sections holds a section's own keys, without the inherited ones.
        sections[name] = dict(cp._sections[name]) if raw else dict(cp[name])
    return sections, None


def ini_dump(*args):
    proc = subprocess.run([INI_DUMP, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    return proc


def spans(lines):
    """{(section, key): [first, last]} line spans of every key and its
    continuation lines, following configparser's rules (a test oracle for
    which lines an edit may touch). LINES are str without terminators."""
    result = {}
    sect = opt = None
    indent_level = 0
    for i, line in enumerate(lines):
        value = line.strip()
        if not value or value[0] in '#;':
            continue
        indent = len(line) - len(line.lstrip())
        if sect is not None and opt and indent > indent_level:
            result[(sect, opt)][1] = i
            continue
        indent_level = indent
        mo = configparser.RawConfigParser.SECTCRE.match(value)
        if mo:
            sect, opt = mo.group('header'), None
            continue
        mo = configparser.RawConfigParser.OPTCRE.match(value)
        opt = mo.group('option').rstrip().lower()
        result[(sect, opt)] = [i, i]
    return result


class IniTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not INI_DUMP or not os.access(INI_DUMP, os.X_OK):
            raise unittest.SkipTest('BOTOMFA_INI_DUMP does not name the ini-dump program')
        cls.tmp = tempfile.TemporaryDirectory(prefix='botomfa-ini-')

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write_tmp(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def assert_agrees(self, path):
        """ini-dump reads PATH as configparser does; returns the sections
        (None if the file is refused)."""
        expected, exc = reference(path)
        proc = ini_dump(path)
        self.assertEqual(proc.stderr, b'', path)
        out = json.loads(proc.stdout.decode('utf-8'))
        if exc is not None:
            self.assertEqual(proc.returncode, 1, f'{path}: configparser raises {exc!r}, '
                                                 f'botomfa read {out}')
            self.assertIn('error', out)
            line = error_line(exc)
            if line is not None:
                self.assertTrue(out['error'].startswith(f'{path}:{line}: '),
                                f'{out["error"]!r} does not blame line {line} ({exc!r})')
            else:
                self.assertRegex(out['error'], '^' + re.escape(path) + r':\d+: ')
            return None
        self.assertEqual(proc.returncode, 0, f'{path}: {out}')
        got = out['sections']
        self.assertEqual(got, expected, path)
        # Same order too: sections as in the file, keys own-first.
        self.assertEqual([s for s in got if s != 'DEFAULT'],
                         [s for s in expected if s != 'DEFAULT'], path)
        for name in expected:
            self.assertEqual(list(got[name]), list(expected[name]), f'{path} [{name}]')
        return got

    def check_set_property(self, path, section, pairs):
        """Sets PAIRS in SECTION of PATH and checks that only those values
        and only those lines changed."""
        with open(path, 'rb') as f:
            old = f.read()
        before, exc = reference(path, raw=True)
        self.assertIsNone(exc)

        args = []
        for key, value in pairs:
            args += ['--set', section, key, value]
        proc = ini_dump(*args, path)
        self.assertEqual((proc.returncode, proc.stderr), (0, b''), f'{path} [{section}]')
        new = proc.stdout
        new_path = self.write_tmp('set.ini', new)
        after, exc = reference(new_path, raw=True)
        self.assertIsNone(exc, f'{path} [{section}]: the result does not parse:\n'
                               f'{new.decode()}')

        # configparser: exactly the intended values changed.
        expected = {name: dict(keys) for name, keys in before.items()}
        target = expected.setdefault(section, {})
        for key, value in pairs:
            target[key.lower()] = value
        self.assertEqual(after, expected, f'{path} [{section}]')
        self.assertEqual([s for s in after if s != 'DEFAULT'],
                         [s for s in expected if s != 'DEFAULT'])
        for name in expected:
            self.assertEqual(list(after[name]), list(expected[name]), f'{path} [{name}]')
        self.assert_agrees(new_path)

        # difflib: only the lines of those keys changed, or lines were added.
        old_lines, new_lines = split_lines(old), split_lines(new)
        eol = re.search(rb'\r\n|\r|\n', old)
        eol = eol.group(0) if eol else b'\n'
        old_text = [strip_eol(line).decode() for line in old_lines]
        new_text = [strip_eol(line).decode() for line in new_lines]
        old_spans = spans(old_text)
        allowed_old = set()
        for key, _ in pairs:
            first_last = old_spans.get((section, key.lower()))
            if first_last:
                allowed_old.update(range(first_last[0], first_last[1] + 1))
        new_key_line = {
            key.lower(): re.compile(r'\s*' + re.escape(key) + r'\s*[=:]\s*' + re.escape(value) +
                                    r'\s*', re.IGNORECASE)
            for key, value in pairs}
        section_added = section not in before

        matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            where = f'{path} [{section}] {tag} old {i1}:{i2} new {j1}:{j2}'
            if tag == 'equal':
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    if old_lines[i] != new_lines[j]:
                        # Only a missing final newline may be added.
                        self.assertEqual(i, len(old_lines) - 1, where)
                        self.assertEqual(old_lines[i] + eol, new_lines[j], where)
                continue
            for i in range(i1, i2):
                self.assertIn(i, allowed_old, f'{where}: changed {old_text[i]!r}')
            # A replaced line keeps its terminator, an added one gets the
            # file's (its first one).
            eols = {eol} | {old_lines[i][len(strip_eol(old_lines[i])):] for i in range(i1, i2)}
            for j in range(j1, j2):
                line = new_text[j]
                ok = any(regex.fullmatch(line) for regex in new_key_line.values())
                if section_added:
                    ok = ok or line == f'[{section}]' or line == ''
                self.assertTrue(ok, f'{where}: added {line!r}')
                self.assertIn(new_lines[j][len(strip_eol(new_lines[j])):], eols,
                              f'{where}: line ending of {line!r}')


class TestFixtures(IniTestCase):
    def test_every_fixture_reads_like_configparser(self):
        paths = data_files()
        self.assertGreater(len(paths), 50)
        refused = 0
        for path in paths:
            with self.subTest(path=os.path.relpath(path, DATA)):
                if self.assert_agrees(path) is None:
                    refused += 1
        # The fixtures include files configparser refuses; make sure both
        # branches ran.
        self.assertGreater(refused, 5)
        self.assertLess(refused, len(paths) - 20)

    def test_sdk_suite_inputs_read_like_configparser(self):
        with open(os.path.join(DATA, 'sdk-profile-parser-suite', 'profile-parser-tests.json'),
                  encoding='utf-8') as f:
            cases = json.load(f)['tests']
        n = 0
        for number, case in enumerate(cases):
            for kind, text in sorted(case['input'].items()):
                with self.subTest(case=case['name'], file=kind):
                    path = self.write_tmp(f'sdk-{number}-{kind}.ini', text.encode('utf-8'))
                    self.assert_agrees(path)
                    n += 1
        self.assertGreater(n, 60)

    def test_setting_credentials_changes_only_their_lines(self):
        n = 0
        for path in data_files():
            before, exc = reference(path, raw=True)
            if exc is not None:
                continue
            for section in ['Credentials'] + list(before):
                with self.subTest(path=os.path.relpath(path, DATA), section=section):
                    self.check_set_property(path, section, NEW_CREDENTIALS)
                    n += 1
        self.assertGreater(n, 50)

    def test_setting_mixed_case_key_names(self):
        # The existing line's spelling is kept whatever case the caller uses.
        path = os.path.join(DATA, 'edge-cases', '06-case-sensitivity.ini')
        self.check_set_property(path, 'default', [('Aws_Access_Key_Id', 'AKIANEW'),
                                                  ('REGION', 'eu-north-1')])

    def test_removing_keys_and_sections(self):
        n = 0
        for path in data_files():
            before, exc = reference(path, raw=True)
            if exc is not None:
                continue
            with open(path, 'rb') as f:
                old = f.read()
            old_text = [strip_eol(line).decode() for line in split_lines(old)]
            for section, keys in before.items():
                for key in keys:
                    with self.subTest(path=os.path.relpath(path, DATA), section=section, key=key):
                        proc = ini_dump('--remove-key', section, key, path)
                        self.assertEqual(proc.returncode, 0)
                        after, exc = reference(self.write_tmp('rm.ini', proc.stdout), raw=True)
                        self.assertIsNone(exc)
                        expected = {name: {k: v for k, v in ks.items()
                                           if (name, k) != (section, key)}
                                    for name, ks in before.items()}
                        self.assertEqual(after, expected)
                        first, last = spans(old_text)[(section, key)]
                        new_text = [strip_eol(line).decode()
                                    for line in split_lines(proc.stdout)]
                        self.assertEqual(new_text, old_text[:first] + old_text[last + 1:])
                        n += 1
                with self.subTest(path=os.path.relpath(path, DATA), section=section):
                    proc = ini_dump('--remove-section', section, path)
                    self.assertEqual(proc.returncode, 0)
                    after, exc = reference(self.write_tmp('rm.ini', proc.stdout), raw=True)
                    self.assertIsNone(exc)
                    expected = {name: ks for name, ks in before.items() if name != section}
                    self.assertEqual(after, expected)
                    # Only deletions.
                    new_text = [strip_eol(line).decode() for line in split_lines(proc.stdout)]
                    matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
                    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                        self.assertIn(tag, ('equal', 'delete'))
        self.assertGreater(n, 100)


class TestGenerated(IniTestCase):
    """Random documents built from the constructs configparser treats
    specially; botomfa must agree on every one of them."""

    HEADERS = ['[default]', '[Credentials]', '[DEFAULT]', '[ profile dev ]', '[a]b]', '[]',
               '[x] ; c', '[Default]', '[profile\tfoo]', '[é ü]', '[[n]]', '[s]junk']
    KEYS = ['aws_access_key_id', 'AWS_Secret_Access_Key', 'Region', 'key with spaces',
            'ÄÖ', 'İd', 'ΣΑΣ', 'x', 'aws_security_token', 'k#1', 'k;2', 'k[3]']
    DELIMS = ['=', ':', ' = ', ' : ', '\t=\t', '  =', '= ', ' := ', '=:']
    VALUES = ['', 'v', 'a=b:c', '# not a comment', ' spaced ', 'x\xa0', '\u3000y', '%(x)s',
              'v ; c', 'ASIA//+=', '[bracket]', 'tail\x1c', 'ü']
    INDENTS = ['', ' ', '  ', '\t', '    ', '\xa0', '\u3000']
    BLANKS = ['', '   ', '\t', '\x0c', '\xa0', '\u2003']
    COMMENTS = ['# c', '; c', '  # indented', '\t;x', '#', ';']
    EOLS = ['\n', '\n', '\n', '\r\n', '\r']

    def random_line(self, rng):
        kind = rng.choices(['header', 'key', 'blank', 'comment', 'continuation', 'bogus',
                            'nokey'], [12, 40, 12, 8, 20, 2, 1])[0]
        indent = rng.choice(self.INDENTS) if rng.random() < 0.3 else ''
        if kind == 'header':
            return indent + rng.choice(self.HEADERS)
        if kind == 'key':
            return indent + rng.choice(self.KEYS) + rng.choice(self.DELIMS) + rng.choice(self.VALUES)
        if kind == 'blank':
            return rng.choice(self.BLANKS)
        if kind == 'comment':
            return indent + rng.choice(self.COMMENTS)
        if kind == 'continuation':
            return rng.choice(self.INDENTS[1:]) * rng.randint(1, 3) + rng.choice(
                self.VALUES[1:] + self.HEADERS[:2] + ['k = v', '# c'])
        if kind == 'bogus':
            return indent + 'no delimiter here'
        return indent + rng.choice(self.DELIMS).lstrip() + 'value'

    def random_document(self, rng):
        lines = [rng.choice(self.HEADERS[:8])] + [self.random_line(rng)
                                                  for _ in range(rng.randint(0, 14))]
        if rng.random() < 0.05:
            lines.insert(0, rng.choice(self.COMMENTS))
        if rng.random() < 0.03:
            lines[0] = self.random_line(rng)
        eol = rng.choice(self.EOLS)
        text = ''
        for line in lines:
            text += line + (rng.choice(self.EOLS) if rng.random() < 0.05 else eol)
        if rng.random() < 0.2:
            text = text.rstrip('\r\n')
        data = text.encode('utf-8')
        if rng.random() < 0.02:
            data = b'\xef\xbb\xbf' + data
        return data

    def test_generated_documents_read_like_configparser(self):
        rng = random.Random(20240611)
        accepted = refused = edited = 0
        for number in range(1500):
            data = self.random_document(rng)
            with self.subTest(number=number, document=data):
                path = self.write_tmp('generated.ini', data)
                sections = self.assert_agrees(path)
                if sections is None:
                    refused += 1
                    continue
                accepted += 1
                if number % 3 == 0:
                    raw, _ = reference(path, raw=True)
                    for section in ['Credentials'] + list(raw)[:2]:
                        self.check_set_property(path, section, NEW_CREDENTIALS)
                        edited += 1
        self.assertGreater(accepted, 300)
        self.assertGreater(refused, 300)
        self.assertGreater(edited, 200)


if __name__ == '__main__':
    unittest.main(verbosity=1)
