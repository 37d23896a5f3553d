#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: botomfa against a token service that misbehaves.

For every fault: the documented exit code, one plain sentence (no XML, no
library jargon), the target files byte-identical unless the renewal
succeeded, and the keyring untouched.
"""

import re
import socket
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import BOTOMFA, CliTestCase, StsServer, keyring_items  # noqa: E402

JARGON = re.compile(r'<|curl|CURL|GMarkup|errno|GDBus|org\.freedesktop|Error on line|'
                    r'SSL|HTTP/1|Traceback|\(null\)')
BOTO = ('# my boto config\n[Boto]\nhttps_validate_certificates = True\n\n'
        '[Credentials]\naws_access_key_id = ASIAOLDOLDOLDOLDOLD0\n'
        'aws_secret_access_key = old\naws_security_token = old\n'
        'x_security_token_expires = 2020-01-01T00:00:00Z\n')
CREDENTIALS = '[default]\nregion = eu-west-1\n'


class FaultTest(CliTestCase):
    PREFIX = 'botomfa-faults-'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tls_server = StsServer(tls=True, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.tls_server.stop()

    def setUp(self):
        self.tls_server.reset(everything=True)
        super().setUp()
        self.boto.write_text(BOTO)
        self.aws.write_text(CREDENTIALS)
        self.keyring_before = keyring_items('default')

    def run_cli(self, *args, stdin='123456\n', env=None, timeout=60):
        return subprocess.run([BOTOMFA, *args], input=stdin, capture_output=True, text=True,
                              env=env or self.env, timeout=timeout)

    def renew(self, *args, env=None):
        return self.run_cli('--force', '--aws-profile', 'mfa', *args, env=env)

    def assert_failed_cleanly(self, r, sentence):
        """Exit 1, one plain sentence, nothing written, keyring as it was."""
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(sentence, r.stderr)
        message = r.stderr.strip()
        self.assertTrue(message.startswith('botomfa: '), message)
        self.assertEqual(len(message.splitlines()), 1, message)
        self.assertIsNone(JARGON.search(message), message)
        self.assertEqual(self.boto.read_text(), BOTO)
        self.assertEqual(self.aws.read_text(), CREDENTIALS)
        self.assertEqual(keyring_items('default'), self.keyring_before)

    def assert_renewed(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Current temporary credentials success!', r.stdout)
        self.assertNotEqual(self.boto.read_text(), BOTO)
        self.assertIn('[mfa]', self.aws.read_text())
        self.assertEqual(keyring_items('default'), self.keyring_before)

    def statuses(self, server=None):
        return [s for a, s in (server or self.server).actions() if a == 'GetSessionToken']

    # --- the matrix -------------------------------------------------------

    def test_delay_past_the_timeout(self):
        self.server.fault('delay', seconds=6)
        started = time.monotonic()
        r = self.renew('--timeout', '2')
        self.assertLess(time.monotonic() - started, 5)
        self.assert_failed_cleanly(r, 'did not answer within 2 seconds')
        # The server answers late all the same (and spends the code): let
        # it finish, so that it cannot spend the next test's code
        deadline = time.monotonic() + 10
        while self.server.requests()[-1].get('status') is None and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.boto.read_text(), BOTO, 'a late answer changes nothing')

    def test_hanging_server(self):
        self.server.fault('hang')
        started = time.monotonic()
        r = self.renew('--timeout', '3')
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 6, 'gives up within its documented timeout')
        self.assert_failed_cleanly(r, 'did not answer within 3 seconds')

    def test_connection_refused(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        env = dict(self.env, AWS_ENDPOINT_URL_STS='http://127.0.0.1:%d' % port)
        r = self.renew(env=env)
        self.assert_failed_cleanly(r, 'Could not connect to 127.0.0.1')

    def test_connection_reset_mid_response(self):
        self.server.fault('reset')
        self.assert_failed_cleanly(self.renew(), 'broke off before the answer was complete')

    def test_connection_closed_without_answer(self):
        self.server.fault('close')
        self.assert_failed_cleanly(self.renew(), 'broke off before the answer was complete')

    def test_one_500_is_retried(self):
        self.server.fault('status500')
        self.assert_renewed(self.renew())
        self.assertEqual(self.statuses(), [500, 200])

    def test_persistent_5xx_bounded_retries(self):
        for fault, status in (('status500', 500), ('status503', 503)):
            self.server.reset()
            self.server.fault(fault, count=-1)
            started = time.monotonic()
            r = self.renew()
            self.assert_failed_cleanly(r, 'internal problem (HTTP %d)' % status)
            self.assertEqual(self.statuses(), [status] * 3, 'three attempts, no more')
            # 0.5 s then 1 s, with up to 50 % jitter
            self.assertGreater(time.monotonic() - started, 1.4)

    def test_throttling_is_retried_with_backoff(self):
        self.server.fault('throttle')
        self.assert_renewed(self.renew())
        self.assertEqual(self.statuses(), [400, 200])

    def test_persistent_throttling(self):
        self.server.fault('throttle', count=-1)
        r = self.renew()
        self.assert_failed_cleanly(r, 'limiting the rate of requests')
        self.assertEqual(self.statuses(), [400] * 3)

    def test_truncated_xml(self):
        self.server.fault('truncated_xml')
        self.assert_failed_cleanly(self.renew(), 'incomplete or damaged answer')

    def test_body_shorter_than_content_length(self):
        self.server.fault('short_body')
        self.assert_failed_cleanly(self.renew(), 'broke off before the answer was complete')

    def test_malformed_xml(self):
        self.server.fault('malformed_xml')
        self.assert_failed_cleanly(self.renew(), 'incomplete or damaged answer')

    def test_empty_200(self):
        self.server.fault('empty200')
        self.assert_failed_cleanly(self.renew(), 'did not come from the AWS token service')

    def test_not_http(self):
        self.server.fault('garbage')
        self.assert_failed_cleanly(self.renew(), 'did not answer like a web server')

    def test_oversized_response_is_capped(self):
        self.server.fault('oversized')
        self.assert_failed_cleanly(self.renew(), 'far larger than any token service answer')

    def test_wrong_content_type(self):
        self.server.fault('wrong_content_type')
        self.assert_failed_cleanly(self.renew(), 'captive portal')

    def test_redirect_is_not_followed(self):
        self.server.fault('redirect')
        self.assert_failed_cleanly(self.renew(), 'answered with a redirect (HTTP 302)')
        self.assertEqual(len(self.server.requests()), 1)

    def test_clock_skew(self):
        self.server.control(clock_offset=1800)
        r = self.renew()
        self.assert_failed_cleanly(r, 'clock is about 30 minutes behind')
        self.server.control(clock_offset=-3 * 3600)
        r = self.renew()
        self.assert_failed_cleanly(r, 'clock is about 3 hours ahead')

    def test_untrusted_certificate(self):
        env = dict(self.env, AWS_ENDPOINT_URL_STS=self.tls_server.url)
        r = self.renew(env=env)
        self.assert_failed_cleanly(r, 'its certificate is not trusted')
        self.assertEqual(self.tls_server.requests(), [], 'nothing was sent')

    def test_certificate_trusted_through_aws_ca_bundle(self):
        env = dict(self.env, AWS_ENDPOINT_URL_STS=self.tls_server.url,
                   AWS_CA_BUNDLE=self.tls_server.ca_file)
        self.assert_renewed(self.renew(env=env))
        self.assertEqual(self.statuses(self.tls_server), [200])

    def test_wrong_code_is_not_retried(self):
        r = self.run_cli('--force', stdin='000000\n')
        self.assert_failed_cleanly(r, 'That code was not accepted')
        self.assertEqual(self.statuses(), [403], 'a refused code is never sent twice')


if __name__ == '__main__':
    unittest.main(verbosity=2)
