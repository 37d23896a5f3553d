#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""botomfa-tray in the panel: the item's state, label, title and menu as a
StatusNotifierWatcher reads them, the notifications, and the clock and the
files it follows. The harness is tests/traytest.py.
"""

import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from botomfatest import USER_ARN  # noqa: E402
from traytest import APP_ID, FAKETIME, ICON, TrayTest, main, wait_for  # noqa: E402

# Credentials that expire this soon, with the warning one minute ahead: the
# "valid" state lasts some ten seconds, long enough to be seen even when a
# sanitizer build starts slowly
VALID_SECONDS = 70


class IndicatorTest(TrayTest):
    # --- tests ------------------------------------------------------------

    def test_not_set_up(self):
        self.start()
        props = self.wait_icon('not-set-up')
        self.assertEqual(props['Status'], 'Active')
        self.assertEqual(props['Id'], APP_ID)
        self.assertEqual(props['IconAccessibleDesc'], 'AWS credentials: not set up')
        self.assertEqual(props['Title'], 'AWS credentials: Not set up')
        self.assertEqual(props.get('XAyatanaLabel', ''), '')
        self.assertEqual(self.menu(), [('Not set up', False), ('_Set Up…', True),
                                       ('_Preferences…', True), ('_Quit', True)])

    def test_key_but_no_mfa_device(self):
        self.set_up_key()
        del self.env['AWS_ACT_NUM']
        self.start()
        self.wait_icon('not-set-up')
        self.assertIn('No MFA device is known. Enter its ARN or serial number in Preferences.',
                      [label for label, _ in self.menu()])

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
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=VALID_SECONDS))
        self.start()
        self.wait_icon('valid')
        # one minute before expiry: the warning, with a Renew button
        self.wait_icon('expiring', timeout=VALID_SECONDS - 40)
        warning = wait_for(self.new_notifications, what='the warning')[0]
        app_name, replaces, icon, summary, body, actions, hints, timeout = warning
        self.assertEqual(summary, 'AWS credentials expire soon')
        self.assertRegex(body, r'^Valid for less than a minute, until \d\d:\d\d$|^Valid for 1 min')
        self.assertIn('Renew…', actions)
        # at expiry: the expiry notice replaces the warning
        self.wait_icon('expired', timeout=VALID_SECONDS + 10)
        calls = wait_for(lambda: len(self.new_notifications()) >= 2 and self.new_notifications(),
                         what='the expiry notice')
        self.assertEqual(calls[1][3], 'AWS credentials expired')
        self.assertIn('Renew…', calls[1][5])
        self.assertEqual(calls[1][1], 1 + self.calls_before, 'replaces the warning')
        self.assertEqual(len(calls), 2)

    def test_renew_from_the_notification(self):
        self.settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 1\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=VALID_SECONDS))
        self.start()
        self.wait_icon('expiring', timeout=VALID_SECONDS - 40)
        wait_for(self.new_notifications, what='the warning')
        self.assertFalse(self.dialog_window())
        # the user clicks the notification's Renew button
        self.click_notification_action(self.notification_ids()[-1], 'app.renew')
        self.type_code('333333')
        self.wait_icon('valid')
        wait_for(lambda: not self.dialog_window(), what='the dialog to close')

    def test_no_notification_while_the_dialog_is_open(self):
        self.settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 1\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=VALID_SECONDS))
        self.start()
        self.wait_icon('valid')
        self.activate('renew')
        wait_for(self.dialog_window, what='the MFA dialog')
        self.wait_icon('expiring', timeout=VALID_SECONDS - 40)
        time.sleep(1)
        self.assertEqual(self.new_notifications(), [], 'the dialog is already asking')

    def test_notifications_can_be_turned_off(self):
        self.settings.write_text('[io/github/botomfa/Botomfa]\nwarning-lead-minutes=uint32 1\n'
                                 'notifications=false\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(seconds=VALID_SECONDS))
        self.start()
        self.wait_icon('valid')
        self.wait_icon('expiring', timeout=VALID_SECONDS - 40)
        time.sleep(1)
        self.assertEqual(self.new_notifications(), [])

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


    def test_file_behind_a_symlink_rewritten(self):
        """~/.boto as a link into a dotfiles folder: a write to the file the
        link names is noticed too."""
        dotfiles = self.tmp / 'dotfiles'
        dotfiles.mkdir()
        real = dotfiles / 'boto'
        self.boto.symlink_to(real)
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=3))
        self.assertTrue(self.boto.is_symlink(), 'the renewal wrote through the link')
        self.start()
        self.wait_icon('valid')
        self.set_expiry(datetime.now(timezone.utc) + timedelta(minutes=42, seconds=30), path=real)
        wait_for(lambda: self.props().get('XAyatanaLabel') == '42m', timeout=5,
                 what='the new lifetime')
        # the link is pointed elsewhere: that file is followed from then on
        other = dotfiles / 'boto-other'
        other.write_bytes(real.read_bytes())
        self.set_expiry(datetime.now(timezone.utc) + timedelta(minutes=30, seconds=30), path=other)
        self.boto.unlink()
        self.boto.symlink_to(other)
        wait_for(lambda: self.props().get('XAyatanaLabel') == '30m', timeout=5,
                 what='the lifetime from the new link target')
        self.set_expiry(datetime.now(timezone.utc) + timedelta(minutes=20, seconds=30), path=other)
        wait_for(lambda: self.props().get('XAyatanaLabel') == '20m', timeout=5,
                 what='a change to the new link target')

    def test_resume_recomputes_at_once(self):
        """After a suspend the wall clock has jumped while the minute timer
        (monotonic) still waits: logind's PrepareForSleep(false) brings the
        label up to date at once."""
        clock = self.tmp / 'faketime'
        clock.write_text('+0\n')
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2, minutes=14, seconds=45))
        self.start(LD_PRELOAD=FAKETIME, FAKETIME_TIMESTAMP_FILE=str(clock),
                   FAKETIME_NO_CACHE='1', FAKETIME_DONT_FAKE_MONOTONIC='1')
        self.assertEqual(self.wait_icon('valid')['XAyatanaLabel'], '2h 14m')
        # "Suspended" for half an hour
        self.logind_prepare_for_sleep(True)
        clock.write_text('+30m\n')
        time.sleep(1.5)
        self.assertEqual(self.props()['XAyatanaLabel'], '2h 14m',
                         'nothing changes before the resume (or the test proves nothing)')
        self.logind_prepare_for_sleep(False)
        wait_for(lambda: self.props().get('XAyatanaLabel') == '1h 44m', timeout=3,
                 what=lambda: 'the label after the resume (have %s)'
                 % self.props().get('XAyatanaLabel'))

    def test_failed_check_keeps_the_state_and_is_tried_again(self):
        """No network at login: the recorded lifetime stands (no error
        icon all day) and the check is made again on the next occasion."""
        self.set_up_key()
        self.renew_with_cli(datetime.now(timezone.utc) + timedelta(hours=2, minutes=14, seconds=30))
        self.sts.reset()
        self.sts.fault('reset')     # a network error: not retried at once
        self.start()
        wait_for(lambda: self.sts.actions(), what='the check')
        time.sleep(1)
        props = self.wait_icon('valid')
        self.assertEqual(props['XAyatanaLabel'], '2h 14m')
        self.assertNotIn(USER_ARN, [label for label, _ in self.menu()])
        # back from a suspend, on another network: the check succeeds now
        self.logind_prepare_for_sleep(False)
        wait_for(lambda: USER_ARN in [label for label, _ in self.menu()],
                 what='the identity after the second check')
        self.assertEqual(self.props()['IconName'], ICON % 'valid')

    def test_no_secret_service(self):
        """No Secret Service on the bus: not set up, and the menu says why."""
        self.start(SECRET_SERVICE_BUS_NAME='org.example.NoSecretsHere')
        self.wait_icon('not-set-up')
        labels = [label for label, _ in self.menu()]
        self.assertIn('No keyring is available: the Secret Service (for example gnome-keyring) '
                      'is not running in this session.', labels)


if __name__ == '__main__':
    main()
