#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile files: `botomfa` renewing into a boto config or an AWS
credentials file that is binary, huge, oddly encoded, ambiguous, or not a
file at all.

Each file is either read correctly (the renewal goes through, and every
byte outside the section botomfa owns is as it was) or refused with the
file and line and a sentence saying what is wrong, before the MFA code is
spent, leaving the file byte-identical and no temporary file behind.
"""

import configparser
import io
import os
import random
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import BOTOMFA, CliTestCase  # noqa: E402

BOTO = b'# my boto config\n[Boto]\nhttps_validate_certificates = True\n'
KEYS = ('aws_access_key_id', 'aws_secret_access_key', 'aws_security_token')

# Refused, for either target: (name, contents, line, what the sentence says)
REFUSED = [
    ('nul-byte', BOTO + b'debug = 0\x00\n', 4, 'contains a NUL byte'),
    ('binary-garbage', bytes(random.Random(5).randrange(256) for _ in range(4096)), None,
     'NUL byte|not UTF-8|not valid UTF-8'),
    ('binary-without-nul', b'[Boto]\n' + bytes(random.Random(7).randrange(128, 256)
                                              for _ in range(512)) + b'\n', 2, 'UTF-8'),
    ('utf8-bom', b'\xef\xbb\xbf' + BOTO[BOTO.index(b'['):], 1, 'byte order mark'),
    ('duplicate-section', BOTO + b'[Boto]\ndebug = 1\n', 4, 'appears a second time'),
    ('duplicate-key', BOTO + b'HTTPS_validate_certificates = False\n', 4,
     'appears a second time in the section'),
    ('duplicate-credentials', BOTO + b'[Credentials]\naws_access_key_id = A\n'
     b'[Credentials]\n', 6, 'appears a second time'),
    ('no-section-header', b'aws_access_key_id = AKIA\n' + BOTO, 1, 'section'),
    ('line-without-delimiter', BOTO + b'this is not a key\n', 4, '.'),
]

# Read correctly: (name, contents)
ACCEPTED = [
    ('crlf', BOTO.replace(b'\n', b'\r\n')),
    ('lone-cr', BOTO.replace(b'\n', b'\r')),
    ('no-final-newline', BOTO.rstrip(b'\n')),
    ('crlf-without-final-newline', BOTO.replace(b'\n', b'\r\n').rstrip(b'\r\n')),
    ('very-long-line', BOTO + b'[huge]\nvalue = ' + b'x' * (4 << 20) + b'\n'),
    ('long-continuation', BOTO + b'[multi]\nvalue = first\n' + b'  more\n' * 100000),
    ('unicode', BOTO + '[ünïcödé]\nclé = välue ✓ 😀\n'.encode()),
    ('20-mb', BOTO + b''.join(b'[profile p%06d]\nregion = eu-west-1\nnote = %s\n'
                              % (i, b'n' * 80) for i in range(180000))),
]


def read_like_boto(data):
    """configparser on the file opened in text mode, as boto 2 and
    botocore open it: universal newlines, so a lone CR ends a line too."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_file(io.TextIOWrapper(io.BytesIO(data), encoding='utf-8'))
    return parser


class HostileFileTest(CliTestCase):
    # Every case renews more than once: codes may be used again
    SERVER_CONFIG = {'any_code': True}
    PREFIX = 'botomfa-hostile-'

    def run_cli(self, *args, stdin='123456\n'):
        return subprocess.run([BOTOMFA, *args], input=stdin.encode(), capture_output=True,
                              env=self.env, timeout=120)

    def renew(self, path):
        """Renews into `path`: the boto config, or the AWS credentials
        file's [mfa] profile (the boto config then missing)."""
        if path == self.aws:
            return self.run_cli('--force', '--aws-profile', 'mfa')
        return self.run_cli('--force')

    def targets(self):
        return (('boto', self.boto, 'Credentials'), ('aws', self.aws, 'mfa'))

    def clean(self):
        """Before each case: neither file there, the server's log empty."""
        self.server.reset()
        for p in (self.boto, self.aws):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)

    def folder_listing(self, path):
        return sorted(p.name for p in path.parent.iterdir())

    def session_tokens_asked(self):
        return [a for a, _ in self.server.actions() if a == 'GetSessionToken']

    # --- refused ----------------------------------------------------------

    def test_refused_with_file_and_line(self):
        for name, contents, line, sentence in REFUSED:
            for target, path, _ in self.targets():
                with self.subTest(name, target=target):
                    self.clean()
                    path.write_bytes(contents)
                    before = self.folder_listing(path)
                    r = self.renew(path)
                    message = r.stderr.decode()
                    self.assertEqual(r.returncode, 1, message)
                    self.assertEqual(len(message.strip().splitlines()), 1, message)
                    where = r'^botomfa: %s:%s: ' % (re.escape(str(path)),
                                                     line if line else r'\d+')
                    self.assertRegex(message, where)
                    self.assertRegex(message, sentence)
                    self.assertEqual(path.read_bytes(), contents, 'the file is untouched')
                    self.assertEqual(self.folder_listing(path), before,
                                     'no temporary file, nothing created beside it')
                    self.assertEqual(self.session_tokens_asked(), [],
                                     'refused before the MFA code is spent')

    def test_symlink_loop(self):
        for target, path, _ in self.targets():
            with self.subTest(target=target):
                self.clean()
                os.symlink(path.name + '.b', path)
                os.symlink(path.name, str(path) + '.b')
                r = self.renew(path)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.decode(), 'botomfa: Could not read “%s”: Too many levels '
                                 'of symbolic links\n' % path)
                self.assertEqual(os.readlink(path), path.name + '.b', 'the link is left alone')
                self.assertEqual(self.session_tokens_asked(), [])
                os.unlink(str(path) + '.b')

    def test_folder_where_the_file_should_be(self):
        for target, path, _ in self.targets():
            with self.subTest(target=target):
                self.clean()
                path.mkdir()
                (path / 'inside').write_text('kept')
                r = self.renew(path)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.decode(),
                                 'botomfa: Could not read “%s”: Is a directory\n' % path)
                self.assertEqual((path / 'inside').read_text(), 'kept')
                self.assertEqual(self.session_tokens_asked(), [])

    # --- read correctly ---------------------------------------------------

    def test_accepted_and_rewritten_losslessly(self):
        for name, contents in ACCEPTED:
            for target, path, section in self.targets():
                with self.subTest(name, target=target):
                    self.clean()
                    path.write_bytes(contents)
                    self.renew_and_check_appended(path, contents, section)
                    # Again, now that the section is there: only its lines change
                    once = path.read_bytes()
                    self.renew_and_check_edited(path, once, section)

    def test_section_in_the_middle_of_a_crlf_file(self):
        """The section botomfa owns between others, CRLF, no final newline:
        the second renewal replaces its values in place."""
        for target, path, section in self.targets():
            with self.subTest(target=target):
                self.clean()
                contents = ('[Boto]\r\ndebug = 0\r\n[%s]\r\naws_access_key_id = ASIAOLD\r\n'
                            'aws_secret_access_key = old\r\naws_session_token = old\r\n'
                            'aws_security_token = old\r\n\r\n[after]\r\nk = v' % section).encode()
                path.write_bytes(contents)
                self.renew_and_check_edited(path, contents, section)

    # --- checks -----------------------------------------------------------

    def renew_and_check_appended(self, path, contents, section):
        r = self.renew(path)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        after = path.read_bytes()
        eol = re.search(rb'\r\n|\r|\n', contents).group(0)
        kept = contents if contents.endswith((b'\n', b'\r')) else contents + eol
        self.assertTrue(after.startswith(kept), 'every byte before the new section kept')
        added = after[len(kept):]
        self.assertTrue(added.startswith(b'[' + section.encode() + b']' + eol) or
                        added.startswith(eol + b'[' + section.encode() + b']' + eol), added[:80])
        self.assertNotIn(b'\n' if eol != b'\n' else b'\r', added.replace(b'\r\n', b''),
                         "the new lines end as the file's own do")
        self.assert_section_readable(after, section)

    def renew_and_check_edited(self, path, contents, section):
        r = self.renew(path)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        after = path.read_bytes()
        before_lines = contents.splitlines(keepends=True)
        after_lines = after.splitlines(keepends=True)
        self.assertEqual(len(after_lines), len(before_lines) + self.added_keys(contents, section))
        # With the credential lines taken out of both, the files are the
        # same line for line, byte for byte
        ours = set(KEYS) | {'aws_session_token', 'x_security_token_expires'}

        def others(lines):
            return [line for line in lines if line.split(b'=')[0].strip().decode() not in ours]
        self.assertEqual(others(after_lines), others(before_lines),
                         'only the credential lines change')
        self.assert_section_readable(after, section)

    def added_keys(self, contents, section):
        parser = read_like_boto(contents[contents.rindex(b'[' + section.encode() + b']'):])
        wanted = set(KEYS) | {'x_security_token_expires'}
        if section != 'Credentials':
            wanted.add('aws_session_token')
        return len(wanted - set(parser[section]))

    def assert_section_readable(self, data, section):
        """Python's configparser (what boto and botocore use) reads the
        whole file and finds the new credentials in it."""
        if len(data) > 1 << 20:
            # configparser takes seconds over the 20 MB file: read from
            # the section on (the last in both cases), after the check of
            # every other byte above
            data = data[data.rindex(b'[' + section.encode() + b']'):]
        parser = read_like_boto(data)
        self.assertTrue(parser[section]['aws_access_key_id'].startswith('ASIA'))
        self.assertTrue(parser[section]['aws_security_token'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
