#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""botomfa-tray's windows as a person uses them: the MFA dialog, the set-up
and preferences, the status window. xdotool types; the windows are read
through the accessibility bus (AT-SPI), as a screen reader reads them; the
keyring through libsecret's Python binding; the files byte for byte. The
harness is tests/traytest.py.
"""

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import (ACCESS_KEY_ID, MFA_SERIAL, SECRET_ACCESS_KEY, USER_ARN,  # noqa: E402
                         keyring_items)
from traytest import (ICON, MFA_DIALOG, STATUS_WINDOW, TRAY, TrayTest, a11y_find,  # noqa: E402
                      a11y_sensitive, a11y_showing, a11y_text, main, wait_for)
from gi.repository import Atspi  # noqa: E402

REFUSED = 'That code was not accepted. A code works only once; wait for the next one.'


class MfaDialogTest(TrayTest):
    def open_dialog(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) - timedelta(minutes=5))
        self.start()
        self.wait_icon('expired')
        self.sts.reset()
        self.activate('renew')
        return self.a11y_window(MFA_DIALOG)

    def test_code_entry(self):
        dialog = self.open_dialog()
        labels = self.a11y_labels(dialog)
        self.assertIn(MFA_SERIAL, labels, 'the device is shown')
        self.assertIn('123456789012', labels, 'the account is shown')
        entry = self.a11y_entry(dialog, 'Code')
        renew = self.a11y_button(dialog, 'Renew')
        self.focus_window(MFA_DIALOG)     # as a window manager does for a new window
        wait_for(lambda: entry.get_state_set().contains(Atspi.StateType.FOCUSED),
                 what='the focus in the code entry')
        self.assertFalse(a11y_sensitive(renew))

        self.type_code('12a3b45', submit=False)
        self.assertEqual(a11y_text(entry), '12345', 'letters are refused')
        self.assertFalse(a11y_sensitive(renew), 'five digits are not a code')
        self.xdotool('key', 'Return')
        time.sleep(0.5)
        self.assertEqual(self.sts.actions(), [], 'Enter does nothing without six digits')

        self.xdotool('type', '6')
        wait_for(lambda: a11y_sensitive(renew), what='Renew with six digits')
        self.xdotool('type', '7')
        wait_for(lambda: not a11y_sensitive(renew), what='Renew off with seven digits')

    def test_refused_code_then_renewal(self):
        dialog = self.open_dialog()
        before = self.boto.read_bytes()

        self.type_code('999999')
        self.assertEqual(self.a11y_wait_label(dialog, '^That code'), REFUSED)
        self.assertEqual(self.sts.actions(), [('GetSessionToken', 403)])
        self.assertTrue(self.dialog_window(), 'a refused code keeps the dialog open')
        self.assertEqual(self.boto.read_bytes(), before, 'a refused code writes nothing')
        self.assertEqual(self.props()['IconName'], ICON % 'error')
        entry = self.a11y_entry(dialog, 'Code')
        self.assertEqual(a11y_text(entry), '', 'the spent code is cleared')
        self.assertTrue(entry.get_state_set().contains(Atspi.StateType.FOCUSED))

        # the entry keeps the focus: just type the next code, spaces and all
        # as it is pasted from an authenticator
        self.xdotool('type', '--delay', '30', '654 321')
        self.xdotool('key', 'Return')
        self.wait_icon('valid')
        self.a11y_window_gone(MFA_DIALOG)
        self.assertIn(self.props()['XAyatanaLabel'], ('11h 59m', '12h 00m'))
        self.assertNotEqual(self.boto.read_bytes(), before)
        self.assertEqual([a for a, _ in self.sts.actions()][-2:],
                         ['GetSessionToken', 'GetCallerIdentity'])
        self.assertEqual(self.sts.requests()[1]['params']['DurationSeconds'], '43200')

    def test_duration_choice_is_remembered(self):
        dialog = self.open_dialog()
        combo = a11y_find(dialog, lambda n: n.get_role() == Atspi.Role.COMBO_BOX)
        self.assertEqual(combo.get_name(), '12 hours')
        self.type_code('654321', submit=False)
        self.xdotool('key', 'Tab')          # to "Valid for"
        self.xdotool('key', 'Down')
        wait_for(lambda: combo.get_name() == '24 hours', what='24 hours chosen')
        renew = self.a11y_button(dialog, 'Renew')
        self.assertTrue(a11y_sensitive(renew))
        Atspi.Action.do_action(renew, 0)    # a click on Renew
        self.wait_icon('valid')
        self.assertEqual(self.sts.requests()[0]['params']['DurationSeconds'], '86400')
        self.assertRegex(self.props()['XAyatanaLabel'], r'^2[34]h \d\dm$')
        # the next dialog starts from the last choice
        self.activate('renew')
        dialog = self.a11y_window(MFA_DIALOG)
        combo = a11y_find(dialog, lambda n: n.get_role() == Atspi.Role.COMBO_BOX)
        self.assertEqual(combo.get_name(), '24 hours')
        self.assertRegex(self.settings.read_text(), r'\nduration=(uint32 )?86400\n')

    def test_cancel_stops_the_request(self):
        dialog = self.open_dialog()
        before = self.boto.read_bytes()
        self.sts.fault('delay', seconds=4)

        self.type_code('123456')
        self.a11y_wait_label(dialog, '^Asking AWS for new credentials')
        entry = self.a11y_entry(dialog, 'Code')
        combo = a11y_find(dialog, lambda n: n.get_role() == Atspi.Role.COMBO_BOX)
        spinner = a11y_find(dialog, lambda n: n.get_role() == Atspi.Role.ANIMATION)
        self.assertFalse(a11y_sensitive(entry), 'the code cannot change while it is sent')
        self.assertFalse(a11y_sensitive(combo))
        self.assertFalse(a11y_sensitive(self.a11y_button(dialog, 'Renew')))
        self.assertTrue(a11y_showing(spinner), 'a spinner says something is happening')
        self.assertEqual(self.props()['IconName'], ICON % 'renewing')

        self.xdotool('key', 'Escape')
        started = time.monotonic()
        self.a11y_window_gone(MFA_DIALOG, timeout=2)
        self.assertLess(time.monotonic() - started, 2, 'Cancel does not wait for AWS')
        self.wait_icon('expired')
        # the server answers after its delay: nobody listens any more
        time.sleep(4.5)
        self.assertEqual(self.boto.read_bytes(), before, 'a cancelled renewal writes nothing')
        self.assertEqual(self.props()['IconName'], ICON % 'expired')

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


class SetUpTest(TrayTest):
    def test_first_start_opens_set_up_and_stores_the_key(self):
        self.start()
        self.wait_icon('not-set-up')
        prefs = self.a11y_window('Preferences')
        key_id = self.a11y_entry(prefs, 'Access key ID')
        secret = self.a11y_entry(prefs, 'Secret access key')
        store = self.a11y_button(prefs, 'Check and Store')
        self.assertEqual(secret.get_role(), Atspi.Role.PASSWORD_TEXT, 'the secret is hidden')
        wait_for(lambda: key_id.get_state_set().contains(Atspi.StateType.FOCUSED),
                 what='the focus in the key id entry')
        self.assertFalse(a11y_sensitive(store))

        # A wrong secret: AWS says so, nothing is stored
        self.focus_window('Preferences')
        self.xdotool('type', '--delay', '10', ACCESS_KEY_ID)
        self.xdotool('key', 'Tab')
        self.xdotool('type', '--delay', '10', 'x' * 40)
        wait_for(lambda: a11y_sensitive(store), what='Check and Store with a whole key')
        self.xdotool('key', 'Return')
        self.a11y_wait_label(prefs, '^AWS rejected the request signature')
        self.assertEqual(keyring_items('default'), [])
        self.assertEqual(self.sts.actions(), [('GetCallerIdentity', 403)])
        self.assertEqual(self.props()['IconName'], ICON % 'not-set-up')

        # Back in the secret entry, its text selected: the right one replaces
        # it, is checked, stored, and the applet is set up
        wait_for(lambda: secret.get_state_set().contains(Atspi.StateType.FOCUSED),
                 what='the focus back in the secret entry')
        self.xdotool('type', '--delay', '10', SECRET_ACCESS_KEY)
        self.xdotool('key', 'Return')
        self.assertEqual(self.a11y_wait_label(prefs, '^Stored'),
                         'Stored. The key belongs to %s.' % USER_ARN)
        self.assertEqual(keyring_items('default'),
                         [({'profile': 'default', 'access-key-id': ACCESS_KEY_ID,
                            'xdg:schema': 'io.github.botomfa.LongTermKey'}, SECRET_ACCESS_KEY)])
        self.assertEqual(self.sts.actions()[-1], ('GetCallerIdentity', 200))
        self.assertEqual(a11y_text(secret), '', 'the secret leaves the window')
        self.a11y_wait_label(prefs, '^The key %s is stored in the keyring' % ACCESS_KEY_ID)
        wait_for(lambda: self.props()['IconName'] != ICON % 'not-set-up',
                 what='the applet to be set up')
        self.assertIn(('_Renew…', True), self.menu())
        self.assertFalse(self.boto.exists(), 'the long-term key goes into no file')

    def test_background_start_opens_nothing(self):
        """At login (the autostart file's --background) the set-up waits
        for the user."""
        self.start(args=['--background'])
        self.wait_icon('not-set-up')
        time.sleep(3)
        self.assertEqual(self.windows_named('Preferences'), [])

    def test_import_of_the_long_term_section(self):
        original = ('# my boto config\n[Boto]\nhttps_validate_certificates = True\n\n'
                    '[long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n'
                    '[Credentials]\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.boto.write_text(original)
        self.start()
        self.activate('preferences')
        prefs = self.a11y_window('Preferences')
        self.a11y_wait_label(prefs, r'has a \[long-term\] section')
        move = self.a11y_button(prefs, 'Move to Keyring')
        self.assertTrue(a11y_showing(move))
        self.focus_window('Preferences')
        Atspi.Action.do_action(move, 0)
        self.a11y_wait_label(prefs, '^The key %s is now in the keyring' % ACCESS_KEY_ID)
        self.assertEqual([secret for _, secret in keyring_items('default')], [SECRET_ACCESS_KEY])
        self.assertEqual(self.boto.read_text(),
                         '# my boto config\n[Boto]\nhttps_validate_certificates = True\n\n'
                         '[Credentials]\n', 'only the section went')
        wait_for(lambda: not a11y_showing(move), what='the offer to go')


class StatusWindowTest(TrayTest):
    def test_without_a_tray_host_a_window(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2, minutes=14, seconds=30))
        self.start(tray_host=False)
        window = self.a11y_window(STATUS_WINDOW, timeout=10)
        self.assertTrue(self.windows_named(STATUS_WINDOW), 'the window list shows its title')
        self.assertRegex(self.a11y_wait_label(window, '^Valid for'),
                         r'^Valid for 2 h 14 min, until \d\d:\d\d$')
        self.a11y_wait_label(window, '^%s$' % re.escape(USER_ARN))
        renew = self.a11y_button(window, 'Renew…')
        self.assertTrue(a11y_sensitive(renew))
        Atspi.Action.do_action(renew, 0)
        self.a11y_window(MFA_DIALOG)

    def test_with_a_tray_host_no_window(self):
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2))
        self.start()
        self.wait_icon('valid')
        time.sleep(3)       # past the applet's wait for a tray host
        self.assertEqual(self.windows_named(STATUS_WINDOW), [])

    def test_second_start_shows_the_window(self):
        """One applet per session: starting it again shows its window."""
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2))
        self.start()
        self.wait_icon('valid')
        second = subprocess.run([str(TRAY)], env=self.env, capture_output=True, timeout=10)
        self.assertEqual(second.returncode, 0)
        self.a11y_window(STATUS_WINDOW, timeout=5)
        self.assertEqual(self.tray.poll(), None, 'the first one still runs')


if __name__ == '__main__':
    main()
