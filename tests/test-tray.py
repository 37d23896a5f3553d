#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""botomfa-tray as a panel and a person see it.

A real X server (Xvfb), a StatusNotifierWatcher on the test bus
(tests/sni-watcher.py) to which the applet registers its item, a
notification server (python3-dbusmock's notification_daemon template),
the test STS server, and xdotool typing into the MFA dialog. Everything
is read back over D-Bus: the item's properties, its com.canonical.dbusmenu
layout, the Notify calls.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import StsServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY, USER_ARN, ACCOUNT  # noqa: E402

TESTS = Path(__file__).resolve().parent
SOURCE = TESTS.parent
BUILD = Path(os.environ.get('BOTOMFA_CLI', 'build/src/cli/botomfa')).resolve().parents[2]
TRAY = BUILD / 'src' / 'tray' / 'botomfa-tray'
CLI = BUILD / 'src' / 'cli' / 'botomfa'
APP_ID = 'io.github.botomfa.Botomfa'
ICON = APP_ID + '-%s-symbolic'


def wait_for(predicate, timeout=10, interval=0.1, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(interval)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class TrayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        r, w = os.pipe()
        cls.xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0', '1024x768x24',
                                     '-nolisten', 'tcp'], pass_fds=[w],
                                    stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            cls.display = ':' + f.readline().strip()
        cls.notifier = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--template',
                                         'notification_daemon'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: cls.name_has_owner('org.freedesktop.Notifications'),
                 what='the notification server')
        cls.sts = StsServer(stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.sts.stop()
        cls.notifier.terminate()
        cls.xvfb.terminate()
        cls.notifier.wait()
        cls.xvfb.wait()

    @classmethod
    def name_has_owner(cls, name):
        return cls.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                 'org.freedesktop.DBus', 'NameHasOwner',
                                 GLib.Variant('(s)', (name,)), None, 0, -1, None).unpack()[0]

    def setUp(self):
        self.sts.reset(everything=True)
        self.tmp = Path(os.environ['HOME']) / ('t-' + self.id().rsplit('.', 1)[-1])
        self.tmp.mkdir()
        self.boto = self.tmp / 'boto'
        self.env = dict(os.environ)
        self.env.update({
            'DISPLAY': self.display,
            'BOTO_CONFIG': str(self.boto),
            'AWS_SHARED_CREDENTIALS_FILE': str(self.tmp / 'credentials'),
            'AWS_ENDPOINT_URL_STS': self.sts.url,
            'AWS_ACT_NUM': ACCOUNT, 'MFA_USER': 'alice',
            'LANGUAGE': 'C', 'LC_ALL': 'C.UTF-8', 'TZ': 'UTC',
            'GSETTINGS_BACKEND': 'keyfile',
            'BOTOMFA_ICON_THEME_PATH': str(SOURCE / 'data' / 'icons'),
            'GDK_BACKEND': 'x11', 'NO_AT_BRIDGE': '1',
        })
        settings = Path(os.environ['XDG_CONFIG_HOME']) / 'glib-2.0' / 'settings' / 'keyfile'
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 10\n')
        self.settings = settings
        self.cli('--forget-long-term')
        self.watcher = None
        self.tray = None
        self.calls_before = len(self.notify_calls())

    def tearDown(self):
        for p in (self.tray, self.watcher):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers ----------------------------------------------------------

    def cli(self, *args, stdin=''):
        return subprocess.run([str(CLI), *args], input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=60)

    def set_up_key(self):
        r = self.cli('--set-long-term', stdin='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.assertEqual(r.returncode, 0, r.stderr)

    def renew_with_cli(self, expires):
        """Real temporary credentials from the server, with the recorded
        expiry moved to `expires` (the server does not care)."""
        r = self.cli('--force', stdin='123456\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.set_expiry(expires)

    def set_expiry(self, expires):
        text = self.boto.read_text()
        text = re.sub(r'x_security_token_expires = .*', 'x_security_token_expires = ' + iso(expires),
                      text)
        self.boto.write_text(text)

    def start(self, log=None, **env):
        self.watcher = subprocess.Popen(['/usr/bin/python3', str(TESTS / 'sni-watcher.py')],
                                        stdout=subprocess.PIPE, text=True)
        self.assertEqual(self.watcher.stdout.readline().strip(), 'READY')
        out = open(log, 'w') if log else subprocess.DEVNULL
        self.tray = subprocess.Popen([str(TRAY)], env=dict(self.env, **env), stdout=out,
                                     stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
        if log:
            out.close()
        line = self.watcher.stdout.readline().split()
        self.assertEqual(line[0], 'REGISTERED')
        self.item_name, self.item_path = line[1], line[2]

    def props(self):
        return self.bus.call_sync(self.item_name, self.item_path, 'org.freedesktop.DBus.Properties',
                                  'GetAll', GLib.Variant('(s)', ('org.kde.StatusNotifierItem',)),
                                  None, 0, 5000, None).unpack()[0]

    def wait_icon(self, state, timeout=10):
        wait_for(lambda: self.props().get('IconName') == ICON % state, timeout=timeout,
                 what='icon %s (have %s)' % (state, self.props().get('IconName')))
        return self.props()

    def menu(self):
        """Visible labels of the item's menu, from its dbusmenu layout."""
        menu_path = self.props()['Menu']
        layout = self.bus.call_sync(self.item_name, menu_path, 'com.canonical.dbusmenu',
                                    'GetLayout', GLib.Variant('(iias)', (0, -1, [])),
                                    None, 0, 5000, None).unpack()[1]
        items = []
        for child in layout[2]:
            _, p, _ = child
            if p.get('visible', True) and p.get('type') != 'separator':
                items.append((p.get('label', ''), p.get('enabled', True)))
        return items

    def activate(self, action):
        self.bus.call_sync(APP_ID, '/' + APP_ID.replace('.', '/'), 'org.gtk.Actions', 'Activate',
                           GLib.Variant('(sava{sv})', (action, [], {})), None, 0, 5000, None)

    def notify_calls(self):
        calls = self.bus.call_sync('org.freedesktop.Notifications', '/org/freedesktop/Notifications',
                                   'org.freedesktop.DBus.Mock', 'GetCalls', None, None, 0, 5000,
                                   None).unpack()[0]
        return [args for _, method, args in calls if method == 'Notify']

    def new_notifications(self):
        return self.notify_calls()[self.calls_before:]

    def xdotool(self, *args):
        return subprocess.run(['xdotool', *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def dialog_window(self):
        r = self.xdotool('search', '--name', 'Renew AWS Credentials')
        return r.stdout.split()

    def type_code(self, code):
        window = wait_for(self.dialog_window, what='the MFA dialog')[0]
        self.xdotool('windowfocus', '--sync', window)
        self.xdotool('type', '--delay', '30', code)
        self.xdotool('key', 'Return')

    # --- tests ------------------------------------------------------------

    def test_not_set_up(self):
        self.start()
        props = self.wait_icon('not-set-up')
        self.assertEqual(props['Status'], 'Active')
        self.assertEqual(props['Id'], APP_ID)
        self.assertEqual(props['IconAccessibleDesc'], 'AWS credentials: not set up')
        self.assertEqual(props['Title'], 'AWS credentials: Not set up')
        self.assertEqual(props.get('XAyatanaLabel', ''), '')
        self.assertEqual(self.menu(), [('Not set up', False), ('_Renew…', False),
                                       ('_Preferences…', True), ('_Quit', True)])

    def test_valid(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2, minutes=14, seconds=30))
        self.start()
        props = self.wait_icon('valid')
        self.assertEqual(props['IconAccessibleDesc'], 'AWS credentials: valid')
        self.assertEqual(props['XAyatanaLabel'], '2h 14m')
        self.assertEqual(props['XAyatanaLabelGuide'], '00h 00m')
        self.assertRegex(props['Title'], r'^AWS credentials: Valid for 2 h 14 min, until \d\d:\d\d$')
        menu = wait_for(lambda: (m := self.menu()) and len(m) == 5 and m, what='identity in menu')
        self.assertRegex(menu[0][0], r'^Valid for 2 h 14 min, until \d\d:\d\d$')
        self.assertEqual(menu[1], (USER_ARN, False))
        self.assertEqual(menu[2], ('_Renew…', True))

    def test_expiring(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(minutes=5, seconds=30))
        self.start()
        props = self.wait_icon('expiring')
        self.assertEqual(props['XAyatanaLabel'], '5m')
        self.assertEqual(props['IconAccessibleDesc'], 'AWS credentials: expiring soon')

    def test_expired(self):
        self.set_up_key()
        past = datetime.now(timezone.utc) - timedelta(hours=1)
        self.renew_with_cli(past)
        self.start()
        props = self.wait_icon('expired')
        self.assertEqual(props.get('XAyatanaLabel', ''), '')
        self.assertEqual(self.menu()[0], ('Expired at %s' % past.strftime('%H:%M'), False))

    def test_warning_and_expiry_notifications(self):
        self.settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 1\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=64))
        self.start()
        self.wait_icon('valid')
        # one minute before expiry: the warning, with a Renew button
        self.wait_icon('expiring', timeout=15)
        warning = wait_for(self.new_notifications, what='the warning')[0]
        app_name, replaces, icon, summary, body, actions, hints, timeout = warning
        self.assertEqual(summary, 'AWS credentials expire soon')
        self.assertRegex(body, r'^Valid for less than a minute, until \d\d:\d\d$|^Valid for 1 min')
        self.assertIn('Renew…', actions)
        # at expiry: the expiry notice replaces the warning
        self.wait_icon('expired', timeout=70)
        calls = wait_for(lambda: len(self.new_notifications()) >= 2 and self.new_notifications(),
                         what='the expiry notice')
        self.assertEqual(calls[1][3], 'AWS credentials expired')
        self.assertIn('Renew…', calls[1][5])
        self.assertEqual(calls[1][1], 1 + self.calls_before, 'replaces the warning')
        self.assertEqual(len(calls), 2)

    def test_notifications_can_be_turned_off(self):
        self.settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 1\n'
                                 'notifications=false\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=63))
        self.start()
        self.wait_icon('valid')
        self.wait_icon('expiring', timeout=15)
        time.sleep(1)
        self.assertEqual(self.new_notifications(), [])

    def test_renewal_flow(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) - timedelta(minutes=5))
        self.start()
        self.wait_icon('expired')
        before = self.boto.read_bytes()
        self.sts.reset()

        self.activate('renew')
        self.type_code('999999')
        wait_for(lambda: self.sts.actions(), what='the request')
        time.sleep(1)
        self.assertEqual(self.sts.actions(), [('GetSessionToken', 403)])
        self.assertTrue(self.dialog_window(), 'a refused code keeps the dialog open')
        self.assertEqual(self.boto.read_bytes(), before, 'a refused code writes nothing')
        self.assertEqual(self.props()['IconName'], ICON % 'error')

        # the entry was cleared and keeps the focus: just type the next code
        self.xdotool('type', '--delay', '30', '654321')
        self.xdotool('key', 'Return')
        props = self.wait_icon('valid')
        wait_for(lambda: not self.dialog_window(), what='the dialog to close')
        self.assertIn(self.props()['XAyatanaLabel'], ('11h 59m', '12h 00m'))
        self.assertNotEqual(self.boto.read_bytes(), before)
        self.assertEqual([a for a, _ in self.sts.actions()][-2:],
                         ['GetSessionToken', 'GetCallerIdentity'])
        self.assertEqual(self.sts.requests()[1]['params']['DurationSeconds'], '43200')

    def test_file_rewritten_by_another_program(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=3))
        self.start()
        self.wait_icon('valid')
        started = time.monotonic()
        self.set_expiry(datetime.now(timezone.utc) - timedelta(minutes=1))
        self.wait_icon('expired', timeout=5)
        self.assertLess(time.monotonic() - started, 5)
        self.set_expiry(datetime.now(timezone.utc) + timedelta(minutes=42, seconds=30))
        wait_for(lambda: self.props().get('XAyatanaLabel') == '42m', timeout=5,
                 what='the new lifetime')


    def test_no_secret_service(self):
        """No Secret Service on the bus: not set up, and the menu says why."""
        self.start(SECRET_SERVICE_BUS_NAME='org.example.NoSecretsHere')
        self.wait_icon('not-set-up')
        labels = [label for label, _ in self.menu()]
        self.assertIn('No keyring is available: the Secret Service (for example gnome-keyring) '
                      'is not running in this session.', labels)

    def test_key_deleted_while_running(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) - timedelta(minutes=1))
        self.start()
        self.wait_icon('expired')
        self.cli('--forget-long-term')
        self.activate('renew')
        self.type_code('123456')
        self.wait_icon('not-set-up')
        self.assertIn('No long-term access key is stored. Open Preferences to set one up.',
                      [label for label, _ in self.menu()])

    def test_renewal_keeps_secrets_out_of_logs_argv_and_environment(self):
        log = self.tmp / 'tray.log'
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) - timedelta(minutes=1))
        self.start(log=str(log), G_MESSAGES_DEBUG='all')
        self.wait_icon('expired')
        self.activate('renew')
        self.type_code('222222')
        self.wait_icon('valid')
        text = self.boto.read_text()
        token = re.search(r'aws_security_token = (\S+)', text).group(1)
        secret = re.search(r'aws_secret_access_key = (\S+)', text).group(1)
        proc = Path('/proc', str(self.tray.pid))
        exposed = {
            'log': log.read_text(),
            'argv': (proc / 'cmdline').read_bytes().decode(errors='replace'),
            'environment': (proc / 'environ').read_bytes().decode(errors='replace'),
        }
        self.assertIn('botomfa', exposed['log'], 'the debug log is not empty')
        for where, content in exposed.items():
            for name, value in (('long-term secret', SECRET_ACCESS_KEY),
                                ('temporary secret', secret), ('session token', token),
                                ('MFA code', '222222')):
                self.assertNotIn(value, content, '%s in the %s' % (name, where))


if __name__ == '__main__':
    unittest.main(verbosity=2)
