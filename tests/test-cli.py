#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of the botomfa command.

The real binary against the test STS server (which re-checks every SigV4
signature with botocore), a real gnome-keyring (tests/session-wrapper), and
real readers of the files it writes: boto 2, boto3 and the AWS CLI.
"""

import configparser
import difflib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import (StsServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY,  # noqa: E402
                         MFA_SERIAL, USER_ARN, ACCOUNT, keyring_items)

BOTOMFA = os.environ.get('BOTOMFA_CLI', 'build/src/cli/botomfa')
DATA = Path(__file__).resolve().parent / 'data'
BOTO_SAMPLE = DATA / 'config' / 'boto2' / 'dot-boto.assembled-from-boto-docs.ini'
OUR_KEYS = {'aws_access_key_id', 'aws_secret_access_key', 'aws_security_token',
            'aws_session_token', 'x_security_token_expires'}


class CliTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = StsServer(stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.server.reset(everything=True)
        self.tmp = tempfile.mkdtemp(prefix='botomfa-cli-')
        self.boto = os.path.join(self.tmp, 'boto')
        self.aws = os.path.join(self.tmp, 'aws', 'credentials')
        self.env = dict(os.environ)
        self.env.update({
            'BOTO_CONFIG': self.boto,
            'AWS_SHARED_CREDENTIALS_FILE': self.aws,
            'AWS_ENDPOINT_URL_STS': self.server.url,
            'AWS_ACT_NUM': ACCOUNT,
            'MFA_USER': 'alice',
            'LANGUAGE': 'C', 'LC_ALL': 'C.UTF-8',
        })
        self.run_cli('--forget-long-term')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    # --- helpers ----------------------------------------------------------

    def run_cli(self, *args, stdin='', env=None, timeout=60):
        return subprocess.run([BOTOMFA, *args], input=stdin, capture_output=True, text=True,
                              env=env or self.env, timeout=timeout)

    def store_key(self):
        r = self.run_cli('--set-long-term', stdin='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.reset()

    def install_boto(self, text=None):
        if text is None:
            shutil.copyfile(BOTO_SAMPLE, self.boto)
        else:
            Path(self.boto).write_text(text)
        return Path(self.boto).read_bytes()

    def read_ini(self, path):
        parser = configparser.RawConfigParser()
        parser.read(path)
        return parser

    def assert_only_our_lines_changed(self, before, after):
        """Every line that differs is one of our keys, in [Credentials]."""
        a = before.decode().splitlines(keepends=True)
        b = after.decode().splitlines(keepends=True)
        for line in difflib.ndiff(a, b):
            if line[:2] in ('- ', '+ '):
                key = line[2:].split('=')[0].split(':')[0].strip().lower()
                self.assertIn(key, OUR_KEYS, 'unexpected change: %r' % line)

    # --- tests ------------------------------------------------------------

    def test_set_long_term_stores_in_keyring(self):
        r = self.run_cli('--set-long-term', stdin='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(USER_ARN, r.stdout)
        self.assertNotIn(SECRET_ACCESS_KEY, r.stdout + r.stderr)
        items = keyring_items('default')
        self.assertEqual(len(items), 1)
        attributes, secret = items[0]
        self.assertEqual(attributes['access-key-id'], ACCESS_KEY_ID)
        self.assertEqual(secret, SECRET_ACCESS_KEY)
        self.assertEqual(set(attributes), {'profile', 'access-key-id', 'xdg:schema'})
        self.assertFalse(os.path.exists(self.boto), 'no file may hold the long-term key')

    def test_set_long_term_rejects_wrong_secret(self):
        r = self.run_cli('--set-long-term', stdin='%s\n%s\n' % (ACCESS_KEY_ID, 'x' * 40))
        self.assertEqual(r.returncode, 1)
        self.assertIn('secret access key does not belong', r.stderr)
        self.assertEqual(keyring_items('default'), [])

    def test_set_long_term_rejects_malformed_input(self):
        r = self.run_cli('--set-long-term', stdin='not a key\n%s\n' % SECRET_ACCESS_KEY)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(self.server.requests(), [])

    def test_renew_writes_and_keeps_every_other_byte(self):
        self.store_key()
        before = self.install_boto()
        os.chmod(self.boto, 0o644)
        r = self.run_cli(stdin='123456\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[:5], [
            'Validating current temporary credentials..',
            'Current temporary creds failed.',
            'Enter AWS MFA code for user alice:',
            'Validating current temporary credentials..',
            'Current temporary credentials success!'])
        after = Path(self.boto).read_bytes()
        self.assert_only_our_lines_changed(before, after)
        # never looser than 0600 once it holds a token
        self.assertEqual(stat.S_IMODE(os.stat(self.boto).st_mode), 0o600)

        cfg = self.read_ini(self.boto)
        creds = cfg['Credentials']
        self.assertTrue(creds['aws_access_key_id'].startswith('ASIA'))
        self.assertTrue(creds['x_security_token_expires'].endswith('Z'))
        actions = self.server.requests()
        # the sample's [Credentials] records no expiry: checked first, and
        # AWS does not know its documentation example key
        self.assertEqual([(a['action'], a['status']) for a in actions],
                         [('GetCallerIdentity', 403), ('GetSessionToken', 200),
                          ('GetCallerIdentity', 200)])
        self.assertTrue(all(a['signature_ok'] for a in actions[1:]))
        # the original's default lifetime
        self.assertEqual(actions[1]['params']['DurationSeconds'], '900')
        self.assertEqual(actions[1]['params']['SerialNumber'], MFA_SERIAL)

    def test_wrong_code_leaves_file_identical(self):
        self.store_key()
        before = self.install_boto()
        r = self.run_cli(stdin='999999\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('That code was not accepted. A code works only once; wait for the next one.',
                      r.stderr)
        self.assertNotIn('<', r.stderr)
        self.assertEqual(Path(self.boto).read_bytes(), before)

    def test_reused_code_is_refused(self):
        self.store_key()
        self.install_boto()
        self.assertEqual(self.run_cli('--force', stdin='123456\n').returncode, 0)
        before = Path(self.boto).read_bytes()
        r = self.run_cli('--force', stdin='123456\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('A code works only once', r.stderr)
        self.assertEqual(Path(self.boto).read_bytes(), before)

    def test_valid_credentials_need_no_prompt(self):
        self.store_key()
        self.install_boto()
        self.assertEqual(self.run_cli(stdin='123456\n').returncode, 0)
        self.server.reset()
        r = self.run_cli(stdin='')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'Validating current temporary credentials..\n'
                                   'Current temporary credentials success!\n')
        # the recorded expiry is trusted: no request at all
        self.assertEqual(self.server.requests(), [])

    def test_unknown_expiry_is_checked_with_get_caller_identity(self):
        self.store_key()
        self.install_boto()
        self.assertEqual(self.run_cli(stdin='123456\n').returncode, 0)
        text = Path(self.boto).read_text()
        Path(self.boto).write_text(''.join(l for l in text.splitlines(keepends=True)
                                           if not l.startswith('x_security_token_expires')))
        self.server.reset()
        r = self.run_cli(stdin='')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.server.actions(), [('GetCallerIdentity', 200)])

        # revoked behind our back: the check fails and a code is asked for
        self.server.expire_all()
        self.server.reset()
        r = self.run_cli(stdin='654321\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Current temporary creds failed.', r.stdout)
        self.assertEqual([a for a, _ in self.server.actions()],
                         ['GetCallerIdentity', 'GetSessionToken', 'GetCallerIdentity'])

    def test_expired_credentials_prompt(self):
        self.store_key()
        self.install_boto('[Credentials]\naws_access_key_id = ASIAOLD\n'
                          'aws_secret_access_key = old\naws_security_token = old\n'
                          'x_security_token_expires = 2020-01-01T00:00:00Z\n')
        r = self.run_cli('--duration', '3600', stdin='111111\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Enter AWS MFA code for user alice:', r.stdout)
        self.assertEqual(self.server.requests()[0]['params']['DurationSeconds'], '3600')

    def test_input_checked_before_any_request(self):
        self.store_key()
        before = self.install_boto()
        for args, stdin in ((['--duration', '899'], '123456\n'),
                            (['--duration', '129601'], '123456\n'),
                            (['--duration', '-1'], '123456\n'),
                            (['--duration', '0'], '123456\n'),
                            (['--duration', 'soon'], '123456\n'),
                            (['--force'], '12345\n'),
                            (['--force'], '12345a\n'),
                            (['--force'], '')):
            r = self.run_cli(*args, stdin=stdin)
            self.assertEqual(r.returncode, 2, (args, stdin, r.stderr))
            self.assertTrue(r.stderr.strip(), 'a message is expected')
        self.assertEqual(self.server.requests(), [])
        self.assertEqual(Path(self.boto).read_bytes(), before)

    def test_pasted_code_with_spaces(self):
        self.store_key()
        r = self.run_cli('--force', stdin=' 123 456 \n')
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_not_set_up(self):
        r = self.run_cli('--force', stdin='123456\n')
        self.assertEqual(r.returncode, 3)
        self.assertIn('--set-long-term', r.stderr)
        r = self.run_cli('--status', '--json')
        self.assertEqual(r.returncode, 3)
        self.assertEqual(json.loads(r.stdout)['state'], 'not-set-up')
        self.assertEqual(self.server.requests(), [])

    def test_no_mfa_device(self):
        self.store_key()
        env = dict(self.env)
        del env['AWS_ACT_NUM']
        r = self.run_cli('--force', stdin='123456\n', env=env)
        self.assertEqual(r.returncode, 3)
        self.assertIn('AWS_ACT_NUM', r.stderr)

    def test_mfa_device_name_and_serial_option(self):
        self.store_key()
        env = dict(self.env)
        del env['MFA_USER']
        env['MFA_DEVICE_NAME'] = 'alice'
        r = self.run_cli('--force', stdin='123456\n', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('for user alice:', r.stdout)
        r = self.run_cli('--force', '--mfa-serial', 'arn:aws:iam::123456789012:mfa/bob',
                         stdin='654321\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('for user bob:', r.stdout)
        self.assertIn('MFA device', r.stderr)

    def test_status_json(self):
        self.store_key()
        r = self.run_cli('--status', '--json')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)['state'], 'missing')
        self.assertEqual(self.run_cli('--duration', '7200', stdin='123456\n').returncode, 0)
        r = self.run_cli('--status', '--json')
        self.assertEqual(r.returncode, 0, r.stderr)
        status = json.loads(r.stdout)
        self.assertEqual(status['state'], 'valid')
        self.assertTrue(7100 < status['remaining_seconds'] <= 7200, status)
        self.assertEqual(status['access_key_id'],
                         self.read_ini(self.boto)['Credentials']['aws_access_key_id'])
        self.assertTrue(status['expiration'].endswith('Z'))
        r = self.run_cli('--status')
        self.assertIn('valid until', r.stdout)

    def test_boto2_reads_what_we_wrote(self):
        self.store_key()
        self.install_boto()
        self.assertEqual(self.run_cli(stdin='123456\n').returncode, 0)
        cfg = self.read_ini(self.boto)['Credentials']
        code = ('import boto.provider, json; p = boto.provider.Provider("aws"); '
                'print(json.dumps([p.access_key, p.secret_key, p.security_token]))')
        env = {k: v for k, v in self.env.items() if not k.startswith('AWS_')}
        out = subprocess.run(['/usr/bin/python3', '-c', code], env=env, capture_output=True,
                             text=True, check=True).stdout
        self.assertEqual(json.loads(out), [cfg['aws_access_key_id'], cfg['aws_secret_access_key'],
                                           cfg['aws_security_token']])

    def test_boto3_and_awscli_use_the_profile(self):
        self.store_key()
        Path(self.aws).parent.mkdir()
        Path(self.aws).write_text('[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n'
                                  'aws_secret_access_key = keep-me\n')
        r = self.run_cli('--aws-profile', 'mfa', stdin='123456\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        code = ('import boto3, sys; s = boto3.session.Session(profile_name="mfa"); '
                'c = s.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1"); '
                'print(c.get_caller_identity()["Arn"])')
        env = {k: v for k, v in self.env.items() if not k.startswith('AWS_')}
        env['AWS_SHARED_CREDENTIALS_FILE'] = self.aws
        env['AWS_CONFIG_FILE'] = os.path.join(self.tmp, 'aws', 'config')
        out = subprocess.run(['/usr/bin/python3', '-c', code, self.server.url], env=env,
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), USER_ARN)
        aws = subprocess.run(['/usr/bin/aws', '--profile', 'mfa', '--region', 'us-east-1',
                              '--endpoint-url', self.server.url, 'sts', 'get-caller-identity',
                              '--output', 'json'], env=env, capture_output=True, text=True)
        self.assertEqual(aws.returncode, 0, aws.stderr)
        self.assertEqual(json.loads(aws.stdout)['Arn'], USER_ARN)
        # the long-term profile beside it is untouched
        self.assertIn('aws_secret_access_key = keep-me', Path(self.aws).read_text())

    def test_long_term_profile_is_never_overwritten(self):
        self.store_key()
        Path(self.aws).parent.mkdir()
        before = b'[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = k\n'
        Path(self.aws).write_bytes(before)
        boto_before = self.install_boto()
        r = self.run_cli('--aws-profile', 'default', stdin='123456\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('long-term keys', r.stderr)
        self.assertEqual(Path(self.aws).read_bytes(), before)
        self.assertEqual(Path(self.boto).read_bytes(), boto_before)
        self.assertNotIn('Enter AWS MFA code', r.stdout, 'refused before the code is asked for')
        self.assertNotIn('GetSessionToken', [a for a, _ in self.server.actions()])

    def test_boto_config_as_the_aws_credentials_file_too(self):
        """Both targets in one file: one edit, one write, no lock waiting
        for itself."""
        self.store_key()
        before = self.install_boto('[Boto]\ndebug = 0\n')
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=self.boto)
        r = self.run_cli('--force', '--aws-profile', 'mfa', stdin='123456\n', env=env, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        ini = self.read_ini(self.boto)
        token = ini.get('Credentials', 'aws_security_token')
        self.assertEqual(ini.get('mfa', 'aws_session_token'), token)
        self.assertEqual(ini.get('mfa', 'aws_security_token'), token)
        self.assertTrue(Path(self.boto).read_bytes().startswith(before))

    def test_written_nowhere_is_refused_before_the_code(self):
        self.store_key()
        config = Path(self.tmp) / 'config'
        keyfile = config / 'glib-2.0' / 'settings' / 'keyfile'
        keyfile.parent.mkdir(parents=True)
        keyfile.write_text('[io/github/botomfa/Botomfa]\nwrite-boto-config=false\n')
        env = dict(self.env, GSETTINGS_BACKEND='keyfile', XDG_CONFIG_HOME=str(config))
        r = self.run_cli('--force', stdin='123456\n', env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('write the temporary credentials nowhere', r.stderr)
        self.assertNotIn('Enter AWS MFA code', r.stdout)
        self.assertEqual(self.server.requests(), [])
        self.assertFalse(Path(self.boto).exists())

    def test_boto_credentials_with_long_term_keys_are_kept(self):
        self.store_key()
        before = self.install_boto('[Credentials]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n'
                                   'aws_secret_access_key = only-copy\n')
        r = self.run_cli(stdin='123456\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('[Credentials] in %s holds long-term keys' % self.boto, r.stderr)
        self.assertEqual(Path(self.boto).read_bytes(), before)
        self.assertNotIn('GetSessionToken', [a for a, _ in self.server.actions()])

    def test_import_long_term(self):
        text = ('# mine\n[long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n'
                '[Boto]\nhttps_validate_certificates = True\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.install_boto(text)
        r = self.run_cli('--import-long-term', stdin='n\n')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(Path(self.boto).read_text(), text)
        r = self.run_cli('--import-long-term', stdin='y\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(Path(self.boto).read_text(),
                         '# mine\n[Boto]\nhttps_validate_certificates = True\n')
        self.assertEqual(keyring_items('default')[0][1], SECRET_ACCESS_KEY)
        r = self.run_cli(stdin='123456\n')
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_original_layout_without_keyring(self):
        """An SSH session: no Secret Service. The original [long-term]
        section still works, with a warning."""
        self.install_boto('[long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n'
                          '[Credentials]\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        env = dict(self.env, DBUS_SESSION_BUS_ADDRESS='unix:path=/nonexistent/bus')
        r = self.run_cli(stdin='123456\n', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('No keyring is available', r.stderr)
        self.assertIn('warning', r.stderr)
        self.assertTrue(self.read_ini(self.boto)['Credentials']['aws_access_key_id']
                        .startswith('ASIA'))

    def test_locked_keyring(self):
        """Locked: libsecret asks the desktop's prompter to unlock (there is
        none on a test bus); the user reads a plain sentence. Run in a
        session of its own: a locked keyring cannot be unlocked without a
        prompt, and the other tests need theirs open."""
        script = textwrap.dedent('''
            import json, os, subprocess, sys
            import gi
            gi.require_version('Secret', '1')
            from gi.repository import Secret
            cli = sys.argv[1]
            os.environ.update(json.loads(sys.argv[3]))
            store = subprocess.run([cli, '--set-long-term'], input=sys.argv[2], text=True,
                                   capture_output=True)
            service = Secret.Service.get_sync(Secret.ServiceFlags.LOAD_COLLECTIONS, None)
            service.lock_sync(service.get_collections(), None)
            r = subprocess.run([cli, '--force'], input='123456\\n', text=True,
                               capture_output=True, timeout=60)
            print(json.dumps([store.returncode, r.returncode, r.stderr]))
        ''')
        before = self.install_boto()
        out = subprocess.run([str(Path(__file__).resolve().parent / 'session-wrapper'),
                              '/usr/bin/python3', '-c', script, BOTOMFA,
                              '%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
                              json.dumps({k: self.env[k] for k in (
                                  'BOTO_CONFIG', 'AWS_ENDPOINT_URL_STS', 'AWS_ACT_NUM',
                                  'MFA_USER')})],
                             env=self.env, capture_output=True, text=True, timeout=120)
        self.assertTrue(out.stdout, out.stderr)
        stored, code, stderr = json.loads(out.stdout)
        self.assertEqual(stored, 0)
        self.assertEqual(code, 1)
        self.assertEqual(stderr.strip(), 'botomfa: The keyring is locked. Unlock it (log in '
                         'again, or open Passwords and Keys) and try again.')
        self.assertEqual(Path(self.boto).read_bytes(), before)
        self.assertEqual([a for a, _ in self.server.actions()], ['GetCallerIdentity'],
                         'only the check of the key being stored; nothing after the lock')

    def test_named_profile(self):
        r = self.run_cli('--profile', 'work', '--set-long-term',
                         stdin='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(keyring_items('work')), 1)
        self.assertEqual(keyring_items('default'), [])
        r = self.run_cli('--profile', 'work', stdin='123456\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.boto), 'a named profile leaves ~/.boto alone')
        self.assertTrue(self.read_ini(self.aws)['work']['aws_access_key_id'].startswith('ASIA'))
        self.run_cli('--profile', 'work', '--forget-long-term')

    def test_no_secret_in_debug_output(self):
        self.store_key()
        env = dict(self.env, G_MESSAGES_DEBUG='all')
        r = self.run_cli('--force', stdin='123456\n', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        cfg = self.read_ini(self.boto)['Credentials']
        for secret in (SECRET_ACCESS_KEY, cfg['aws_secret_access_key'],
                       cfg['aws_security_token']):
            self.assertNotIn(secret, r.stdout + r.stderr)

    def test_help_and_version(self):
        r = self.run_cli('--help')
        self.assertEqual(r.returncode, 0)
        for text in ('--duration', '--status', '--set-long-term', 'Exit status', 'AWS_ACT_NUM'):
            self.assertIn(text, r.stdout)
        r = self.run_cli('--version')
        self.assertRegex(r.stdout, r'^botomfa \d+\.\d+')
        r = self.run_cli('--bogus')
        self.assertEqual(r.returncode, 2)


if __name__ == '__main__':
    unittest.main(verbosity=2)
