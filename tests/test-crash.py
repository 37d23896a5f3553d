#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash safety and concurrent writers.

A renewing botomfa is killed with SIGKILL at random moments, hundreds of
times, with the server slowed so that the kills spread over the whole
renewal. After each kill the boto config and the AWS credentials file are
each the complete old or the complete new content, never a mix and never
torn. Two processes renewing in a loop never interleave their writes.
"""

import configparser
import os
import random
import signal
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import BOTOMFA, CliTestCase  # noqa: E402

KILLS = int(os.environ.get('BOTOMFA_CRASH_KILLS', '300'))
ROUNDS = int(os.environ.get('BOTOMFA_CONCURRENT_ROUNDS', '25'))
OURS = {'aws_access_key_id', 'aws_secret_access_key', 'aws_security_token',
        'aws_session_token', 'x_security_token_expires'}

BOTO = ('# my boto config\n[Boto]\ndebug = 0\nnum_retries = 10\n\n'
        '[Credentials]\naws_access_key_id = ASIAOLDOLDOLDOLDOLD0\n'
        'aws_secret_access_key = old\naws_security_token = old\n'
        'x_security_token_expires = 2020-01-01T00:00:00Z\n\n'
        '[s3]\nhost = s3.us-west-2.amazonaws.com\n')
CREDENTIALS = ('[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = keep\n\n'
               '[mfa]\nregion = eu-west-1\n')


def other_lines(text):
    """Every line that is not one of our keys: what must never change."""
    return [line for line in text.splitlines()
            if line.split('=')[0].strip().lower() not in OURS]


def temporaries(directory):
    return sorted(p.name for p in Path(directory).iterdir()
                  if p.name.startswith('.') and len(p.name.rsplit('.', 1)[-1]) == 6)


class CrashTest(CliTestCase):
    SERVER_CONFIG = {'any_code': True}
    PREFIX = 'botomfa-crash-'

    def setUp(self):
        super().setUp()
        self.boto.write_text(BOTO)
        self.aws.write_text(CREDENTIALS)

    def start_renewal(self):
        p = subprocess.Popen([BOTOMFA, '--force', '--aws-profile', 'mfa'], env=self.env,
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(b'%06d\n' % random.randrange(1000000))
        p.stdin.close()
        return p

    def assert_whole(self, path, old):
        """The complete old content, or a complete new one: it parses, our
        keys form one consistent set, and every other line is the old one."""
        text = path.read_text()
        if text == old:
            return 'old'
        self.assertEqual(other_lines(text), other_lines(old), 'only our keys may change')
        parser = configparser.RawConfigParser()
        parser.read_string(text)
        section = parser['Credentials' if path == self.boto else 'mfa']
        self.assertTrue(section['aws_access_key_id'].startswith('ASIA'))
        self.assertNotEqual(section['aws_security_token'], 'old')
        self.assertTrue(section['x_security_token_expires'].endswith('Z'))
        if path == self.aws:
            self.assertEqual(section['aws_session_token'], section['aws_security_token'])
        return 'new'

    def test_sigkill_at_random_moments(self):
        # One renewal's duration, with the server slowed to ~40 ms a request
        self.server.control(fault='delay', seconds=0.04, count=-1)
        started = time.monotonic()
        p = self.start_renewal()
        self.assertEqual(p.wait(), 0)
        duration = time.monotonic() - started
        self.server.reset()
        self.server.control(fault='delay', seconds=0.04, count=-1)

        outcomes = {'old': 0, 'new': 0}
        leftovers = 0
        for i in range(KILLS):
            boto_before = self.boto.read_text()
            aws_before = self.aws.read_text()
            p = self.start_renewal()
            time.sleep(random.uniform(0, duration * 1.1))
            p.send_signal(signal.SIGKILL)
            p.wait()
            outcome = self.assert_whole(self.boto, boto_before)
            outcomes[outcome] += 1
            self.assert_whole(self.aws, aws_before)
            if temporaries(self.tmp) or temporaries(self.aws.parent):
                leftovers += 1
        # Whatever a kill left behind, the next complete renewal sweeps
        p = self.start_renewal()
        self.assertEqual(p.wait(), 0)
        self.assertEqual(temporaries(self.tmp), [])
        self.assertEqual(temporaries(self.aws.parent), [])
        print('\n%d kills: %d left the old files, %d the new ones, %d left a temporary file '
              '(swept by the next writer)' % (KILLS, outcomes['old'], outcomes['new'], leftovers),
              file=sys.stderr)
        # the kills really spread over the renewal
        self.assertGreater(outcomes['old'], KILLS // 10)
        self.assertGreater(outcomes['new'], KILLS // 10)

    def assert_usable(self, section):
        """Key, secret and token come from one renewal: the server accepts
        them together (a mix of two writers' keys would not verify)."""
        client = self.server.boto3_client(section['aws_access_key_id'],
                                          section['aws_secret_access_key'],
                                          section['aws_security_token'])
        self.assertTrue(client.get_caller_identity()['Arn'].endswith(':user/alice'))

    def test_concurrent_writers_never_interleave(self):
        self.server.control(fault='delay', seconds=0.01, count=-1)
        for _ in range(ROUNDS):
            a, b = self.start_renewal(), self.start_renewal()
            self.assertEqual(a.wait(), 0)
            self.assertEqual(b.wait(), 0)
            text = self.boto.read_text()
            self.assertEqual(text.count('[Credentials]'), 1)
            self.assertEqual(other_lines(text), other_lines(BOTO))
            boto = configparser.RawConfigParser()
            boto.read_string(text)
            aws = configparser.RawConfigParser()
            aws.read(self.aws)
            self.assertEqual(other_lines(self.aws.read_text()), other_lines(CREDENTIALS))
            self.assert_usable(boto['Credentials'])
            self.assert_usable(aws['mfa'])
            self.assertEqual(aws['mfa']['aws_session_token'], aws['mfa']['aws_security_token'])
        self.assertEqual(temporaries(self.tmp), [])
        print('\n%d rounds of two concurrent renewals' % ROUNDS, file=sys.stderr)

    def test_missing_folder_and_unwritable_target(self):
        # A folder that cannot be created: a clear error, nothing else changed
        env = dict(self.env, BOTO_CONFIG='/proc/botomfa/boto')
        r = subprocess.run([BOTOMFA, '--force'], input='123456\n', capture_output=True,
                           text=True, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn('/proc/botomfa', r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
