# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness of the applet's tests: botomfa-tray as a panel, a desktop and
a person meet it.

    from traytest import TrayTest

    class MyTest(TrayTest):
        def test_something(self):
            self.set_up_key()
            self.start()
            self.wait_icon('not-set-up')

Per test class: a real X server (Xvfb), a notification server on the test
bus (python3-dbusmock's notification_daemon template), a second bus playing
the system bus with a mock logind on it (python3-dbusmock's logind
template), and the test STS server. Per test: a StatusNotifierWatcher
(tests/sni-watcher.py) to which the applet registers its item, unless the
test asks for no tray host.

Everything is read back from outside the process, as a desktop would:
the item's properties and its com.canonical.dbusmenu layout over D-Bus, the
Notify calls from the mock, the windows through the accessibility bus
(AT-SPI, the interface screen readers use: every label, its state, the
focus), and xdotool types as a person does.
"""

import os
import re
import select
import shutil
import subprocess
import time
import unittest
from datetime import timezone
from pathlib import Path

import gi
gi.require_version('Gio', '2.0')
gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, Gio, GLib  # noqa: E402

from botomfatest import (StsServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY, ACCOUNT,  # noqa: E402,F401
                         stop_process, wait_for)

TESTS = Path(__file__).resolve().parent
SOURCE = TESTS.parent
BUILD = Path(os.environ.get('BOTOMFA_CLI', 'build/src/cli/botomfa')).resolve().parents[2]
TRAY = BUILD / 'src' / 'tray' / 'botomfa-tray'
CLI = BUILD / 'src' / 'cli' / 'botomfa'
APP_ID = 'io.github.botomfa.Botomfa'
ICON = APP_ID + '-%s-symbolic'
MFA_DIALOG = 'Renew AWS Credentials'
STATUS_WINDOW = 'AWS Credentials'
# Debian's libfaketime, the multi-threaded flavour (GDBus and GTask run
# threads): moves the applet's wall clock, as a suspend does, while its
# monotonic clock, and so every GLib timeout, runs on
FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1'


# What AddressSanitizer, LeakSanitizer and UBSan print (a -Db_sanitize build)
SANITIZER_REPORT = re.compile(r'ERROR: (Address|Leak)Sanitizer|runtime error: ')


def iso(dt):
    return dt.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def start_bus():
    """A private bus daemon; returns (process, address)."""
    bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return bus, bus.stdout.readline().strip()


# --- accessibility (AT-SPI) --------------------------------------------------

def a11y_find_all(root, predicate, limit=None):
    """Every accessible under `root` (itself included) for which
    predicate(accessible) holds, depth first."""
    found = []
    stack = [root]
    while stack and (limit is None or len(found) < limit):
        node = stack.pop()
        if node is None:
            continue
        try:
            if predicate(node):
                found.append(node)
            count = node.get_child_count()
        except GLib.Error:
            continue      # gone while we looked
        stack.extend(node.get_child_at_index(i) for i in reversed(range(count)))
    return found


def a11y_find(root, predicate):
    found = a11y_find_all(root, predicate, limit=1)
    return found[0] if found else None


def a11y_has_state(node, state):
    return node.get_state_set().contains(state)


def a11y_showing(node):
    return a11y_has_state(node, Atspi.StateType.SHOWING)


def a11y_sensitive(node):
    return a11y_has_state(node, Atspi.StateType.SENSITIVE)


def a11y_text(node):
    """The text of an entry (its Text interface)."""
    return Atspi.Text.get_text(node, 0, -1)


def a11y_labelled_by(node):
    """The names of the labels that label `node` (GtkLabel:mnemonic-widget)."""
    names = []
    for relation in node.get_relation_set():
        if relation.get_relation_type() == Atspi.RelationType.LABELLED_BY:
            names += [relation.get_target(i).get_name() for i in range(relation.get_n_targets())]
    return names


class TrayTest(unittest.TestCase):
    # Settings every test starts from (the keyfile GSettings backend)
    SETTINGS = '[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 10\n'

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
        wait_for(lambda: cls.name_has_owner(cls.bus, 'org.freedesktop.Notifications'),
                 what='the notification server')
        # logind lives on the system bus: the applet gets a private one
        cls.system_bus_daemon, cls.system_bus_address = start_bus()
        cls.system_bus = Gio.DBusConnection.new_for_address_sync(
            cls.system_bus_address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        cls.logind = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system',
                                       '--template', 'logind'],
                                      env=dict(os.environ,
                                               DBUS_SYSTEM_BUS_ADDRESS=cls.system_bus_address),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: cls.name_has_owner(cls.system_bus, 'org.freedesktop.login1'),
                 what='the mock logind')
        cls.sts = StsServer(stderr=None if os.environ.get("BOTOMFA_TEST_VERBOSE") else subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.sts.stop()
        for p in (cls.logind, cls.notifier, cls.xvfb, cls.system_bus_daemon):
            stop_process(p)

    @staticmethod
    def name_has_owner(bus, name):
        return bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
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
            'DBUS_SYSTEM_BUS_ADDRESS': self.system_bus_address,
            'BOTO_CONFIG': str(self.boto),
            'AWS_SHARED_CREDENTIALS_FILE': str(self.tmp / 'credentials'),
            'AWS_ENDPOINT_URL_STS': self.sts.url,
            'AWS_ACT_NUM': ACCOUNT, 'MFA_USER': 'alice',
            'LANGUAGE': 'C', 'LC_ALL': 'C.UTF-8', 'TZ': 'UTC',
            'GSETTINGS_BACKEND': 'keyfile',
            'BOTOMFA_ICON_THEME_PATH': str(SOURCE / 'data' / 'icons'),
            'GDK_BACKEND': 'x11',
        })
        # The accessibility bridge on: the dialogs are read as a screen
        # reader reads them
        self.env.pop('NO_AT_BRIDGE', None)
        settings = Path(os.environ['XDG_CONFIG_HOME']) / 'glib-2.0' / 'settings' / 'keyfile'
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(self.SETTINGS)
        self.settings = settings
        self.cli('--forget-long-term')
        self.watcher = None
        self.tray = None
        self.calls_before = len(self.notify_calls())

    def tearDown(self):
        crashed = self.tray is not None and self.tray.poll() not in (None, 0)
        for p in (self.tray, self.watcher):
            if p is not None:
                stop_process(p, timeout=15)
        if self.watcher is not None:
            self.watcher.stdout.close()
        if self.tray is not None:
            self.check_tray_log(crashed)
        # the next test's applet takes the same bus name
        wait_for(lambda: not self.name_has_owner(self.bus, APP_ID), what='the applet to leave')
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_tray_log(self, crashed):
        """The applet must not have died by itself, and must have quit
        cleanly on SIGTERM (as at logout); in a sanitizer build its log
        holds any report of a memory error, undefined behaviour or leak."""
        log = self.tray_log.read_text(errors='replace')
        report = SANITIZER_REPORT.search(log)
        self.assertFalse(crashed or report or self.tray.returncode != 0,
                         'the applet exited with %s; its log:\n%s' % (self.tray.returncode, log))

    # --- the applet ---------------------------------------------------------

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

    def set_expiry(self, expires, path=None):
        path = path or self.boto
        text = path.read_text()
        text = re.sub(r'x_security_token_expires = .*', 'x_security_token_expires = ' + iso(expires),
                      text)
        path.write_text(text)

    def start(self, log=None, tray_host=True, args=(), **env):
        """Starts the applet; with tray_host, first a StatusNotifierWatcher,
        and waits for the item to register."""
        if tray_host:
            self.watcher = subprocess.Popen(['/usr/bin/python3', str(TESTS / 'sni-watcher.py')],
                                            stdout=subprocess.PIPE, text=True)
            self.assertEqual(self.watcher.stdout.readline().strip(), 'READY')
        # Always logged: tearDown() reads the log for a sanitizer's report
        self.tray_log = Path(log) if log else self.tmp / 'tray.log'
        with open(self.tray_log, 'w') as out:
            self.tray = subprocess.Popen([str(TRAY), *args], env=dict(self.env, **env),
                                         stdout=out, stderr=subprocess.STDOUT)
        if tray_host:
            line = self.watcher_line(timeout=30).split()
            self.assertEqual(line[0], 'REGISTERED')
            self.item_name, self.item_path = line[1], line[2]

    def watcher_line(self, timeout):
        """The watcher's next line; fails (with the applet's log) if the
        applet exits or nothing comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not select.select([self.watcher.stdout], [], [], 0.2)[0]:
            if self.tray.poll() is not None or time.monotonic() > deadline:
                self.fail('the applet did not register (exit status %s):\n%s'
                          % (self.tray.poll(), self.tray_log.read_text(errors='replace')[-5000:]))
        return self.watcher.stdout.readline()

    def props(self):
        return self.bus.call_sync(self.item_name, self.item_path, 'org.freedesktop.DBus.Properties',
                                  'GetAll', GLib.Variant('(s)', ('org.kde.StatusNotifierItem',)),
                                  None, 0, 5000, None).unpack()[0]

    def wait_icon(self, state, timeout=10):
        wait_for(lambda: self.props().get('IconName') == ICON % state, timeout=timeout,
                 what=lambda: 'icon %s (have %s)' % (state, self.props().get('IconName')))
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

    # --- the desktop around it -----------------------------------------------

    def notify_calls(self):
        calls = self.bus.call_sync('org.freedesktop.Notifications', '/org/freedesktop/Notifications',
                                   'org.freedesktop.DBus.Mock', 'GetCalls', None, None, 0, 5000,
                                   None).unpack()[0]
        return [args for _, method, args in calls if method == 'Notify']

    def new_notifications(self):
        return self.notify_calls()[self.calls_before:]

    def notification_ids(self):
        """The id the mock returned for each Notify call, in order: the
        replaced one's, or the next of its counter."""
        ids, next_id = [], 1
        for call in self.notify_calls():
            if call[1]:
                ids.append(call[1])
            else:
                ids.append(next_id)
                next_id += 1
        return ids

    def click_notification_action(self, notification_id, action):
        """What a notification server does when the user clicks a button."""
        self.bus.call_sync('org.freedesktop.Notifications', '/org/freedesktop/Notifications',
                           'org.freedesktop.DBus.Mock', 'EmitSignal',
                           GLib.Variant('(sssav)', ('org.freedesktop.Notifications',
                                                    'ActionInvoked', 'us',
                                                    [GLib.Variant('u', notification_id),
                                                     GLib.Variant('s', action)])),
                           None, 0, 5000, None)

    def logind_prepare_for_sleep(self, going_to_sleep):
        """logind's signal before a suspend (True) and after the resume (False)."""
        self.system_bus.call_sync('org.freedesktop.login1', '/org/freedesktop/login1',
                                  'org.freedesktop.DBus.Mock', 'EmitSignal',
                                  GLib.Variant('(sssav)', ('org.freedesktop.login1.Manager',
                                                           'PrepareForSleep', 'b',
                                                           [GLib.Variant('b', going_to_sleep)])),
                                  None, 0, 5000, None)

    def xdotool(self, *args):
        return subprocess.run(['xdotool', *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def windows_named(self, name):
        r = self.xdotool('search', '--onlyvisible', '--name', '^%s$' % re.escape(name))
        return r.stdout.split()

    def dialog_window(self):
        return self.windows_named(MFA_DIALOG)

    def focus_window(self, name):
        window = wait_for(lambda: self.windows_named(name), what='the window “%s”' % name)[0]
        self.xdotool('windowfocus', '--sync', window)
        return window

    def type_code(self, code, submit=True):
        self.focus_window(MFA_DIALOG)
        self.xdotool('type', '--delay', '30', code)
        if submit:
            self.xdotool('key', 'Return')

    # --- the applet's windows, through AT-SPI --------------------------------

    def a11y_app(self):
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_process_id() == self.tray.pid:
                return app
        return None

    def a11y_window(self, name, timeout=10):
        """The applet's showing window or dialog titled `name`."""
        def find():
            app = self.a11y_app()
            if app is None:
                return None
            return a11y_find(app, lambda n: n.get_role() in (Atspi.Role.DIALOG, Atspi.Role.FRAME)
                             and n.get_name() == name and a11y_showing(n))
        return wait_for(find, timeout=timeout, what='the window “%s”' % name)

    def a11y_window_gone(self, name, timeout=10):
        def gone():
            app = self.a11y_app()
            return app is None or a11y_find(
                app, lambda n: n.get_name() == name and a11y_showing(n)) is None
        wait_for(gone, timeout=timeout, what='the window “%s” to close' % name)

    def a11y_labels(self, window):
        """The texts of the window's showing labels."""
        return [n.get_name() for n in a11y_find_all(
            window, lambda n: n.get_role() == Atspi.Role.LABEL and a11y_showing(n))]

    def a11y_wait_label(self, window, pattern, timeout=10):
        """Waits for a showing label matching the regular expression."""
        return wait_for(lambda: next((t for t in self.a11y_labels(window)
                                      if re.search(pattern, t)), None),
                        timeout=timeout,
                        what=lambda: 'a label /%s/ (have %r)' % (pattern, self.a11y_labels(window)))

    def a11y_focused(self, window):
        return a11y_find(window, lambda n: a11y_has_state(n, Atspi.StateType.FOCUSED))

    def a11y_entry(self, window, label):
        """The entry labelled `label` (by its mnemonic label)."""
        return a11y_find(window, lambda n: n.get_role() in (Atspi.Role.TEXT,
                                                            Atspi.Role.PASSWORD_TEXT)
                         and label in a11y_labelled_by(n))

    def a11y_button(self, window, name):
        return a11y_find(window, lambda n: n.get_role() == Atspi.Role.PUSH_BUTTON
                         and n.get_name() == name)


def main():
    unittest.main(verbosity=2)
