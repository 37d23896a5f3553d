#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak packaging as far as it can be checked without the
GNOME runtime: the manifest (flatpak/io.github.botomfa.Botomfa.json), its
permissions against flatpak/README.md, and what `meson install` puts under
the /app prefix, which is all a Flatpak can ship and export.

The install check configures the source tree afresh in a temporary folder
(`meson setup --prefix=/app -Dbuildtype=plain`, then `meson install
--destdir`), so it takes about a minute and never touches a build tree.

Run: /usr/bin/python3 tests/test-flatpak.py
"""

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = SOURCE_ROOT / 'flatpak' / 'io.github.botomfa.Botomfa.json'
README = SOURCE_ROOT / 'flatpak' / 'README.md'

APP_ID = 'io.github.botomfa.Botomfa'
PREFIX = '/app'

# The sandbox permissions, exactly. Each one is justified in
# flatpak/README.md; adding one means justifying it there and here.
FINISH_ARGS = [
    '--share=network',
    '--share=ipc',
    '--socket=fallback-x11',
    '--socket=wayland',
    '--talk-name=org.kde.StatusNotifierWatcher',
    '--talk-name=org.freedesktop.secrets',
    '--filesystem=~/.boto',
    '--filesystem=~/.aws:create',
    '--filesystem=xdg-run/botomfa:create',
]

# The tray stack for GTK 3, built from pinned sources
AYATANA_MODULES = ['libdbusmenu', 'ayatana-ido', 'libayatana-indicator', 'libayatana-appindicator']

STATES = ['not-set-up', 'checking', 'valid', 'expiring', 'expired', 'renewing', 'error']
LANGUAGES = ['de', 'fr', 'es']

# Everything the Flatpak needs from `meson install`, relative to the prefix
INSTALLED = [
    'bin/botomfa',
    'bin/botomfa-tray',
    f'share/applications/{APP_ID}.desktop',
    f'share/metainfo/{APP_ID}.metainfo.xml',
    f'share/glib-2.0/schemas/{APP_ID}.gschema.xml',
    f'share/icons/hicolor/scalable/apps/{APP_ID}.svg',
    f'share/icons/hicolor/symbolic/apps/{APP_ID}-symbolic.svg',
    *[f'share/icons/hicolor/scalable/status/{APP_ID}-{state}-symbolic.svg' for state in STATES],
    'share/man/man1/botomfa.1',
    'share/man/man1/botomfa-tray.1',
    *[f'share/locale/{lang}/LC_MESSAGES/botomfa.mo' for lang in LANGUAGES],
    f'share/botomfa/{APP_ID}-autostart.desktop',
]

HEX64 = re.compile(r'[0-9a-f]{64}')
HEX40 = re.compile(r'[0-9a-f]{40}')


def load_manifest():
    with open(MANIFEST, encoding='utf-8') as f:
        return json.load(f)


def all_modules(modules):
    """Every module, nested ones included, in build order."""
    for module in modules:
        if isinstance(module, str):
            raise AssertionError(f'module {module!r} is an include of another file: '
                                 'keep every module in the one manifest')
        yield from all_modules(module.get('modules', []))
        yield module


def desktop_entry(path):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(path, encoding='utf-8')
    return parser['Desktop Entry']


class TestManifest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.manifest = load_manifest()
        cls.modules = list(all_modules(cls.manifest['modules']))

    def test_identity(self):
        m = self.manifest
        self.assertEqual(m.get('app-id', m.get('id')), APP_ID)
        self.assertEqual(m['runtime'], 'org.gnome.Platform')
        self.assertEqual(m['sdk'], 'org.gnome.Sdk')
        self.assertIn(m['runtime-version'], ['48', '49'],
                      'a current GNOME runtime; update this list with the manifest')
        self.assertEqual(m['command'], 'botomfa-tray')

    def test_every_remote_source_is_pinned(self):
        problems = []
        for module in self.modules:
            for source in module.get('sources', []):
                kind = source.get('type')
                where = f"{module['name']}: {source.get('url', source.get('path', kind))}"
                if kind in ('archive', 'file') and 'url' in source:
                    if not HEX64.fullmatch(source.get('sha256', '')):
                        problems.append(f'{where}: no sha256 (64 hex digits)')
                elif kind == 'git':
                    if not HEX40.fullmatch(source.get('commit', '')):
                        problems.append(f'{where}: no commit (40 hex digits)')
                    if 'tag' not in source:
                        problems.append(f'{where}: no tag beside the commit')
                    if 'branch' in source:
                        problems.append(f'{where}: a branch moves; pin the commit only')
                elif kind in ('bzr', 'svn', 'extra-data'):
                    problems.append(f'{where}: {kind} sources are not allowed')
                elif kind == 'patch' and 'url' in source:
                    problems.append(f'{where}: a remote patch')
        if problems:
            self.fail('unpinned sources:\n  ' + '\n  '.join(problems))

    def test_tray_stack(self):
        names = [module['name'] for module in self.modules]
        for name in AYATANA_MODULES:
            self.assertIn(name, names)
        # In dependency order, before the app
        self.assertEqual([n for n in names if n in AYATANA_MODULES], AYATANA_MODULES)

        by_name = {module['name']: module for module in self.modules}
        self.assertIn('--with-gtk=3', by_name['libdbusmenu']['config-opts'])
        for opt in ['--disable-tests', '--disable-vala', '--disable-gtk-doc']:
            self.assertIn(opt, by_name['libdbusmenu']['config-opts'])
        appindicator = by_name['libayatana-appindicator']['config-opts']
        for opt in ['-DENABLE_BINDINGS_MONO=NO', '-DENABLE_BINDINGS_VALA=NO', '-DENABLE_TESTS=OFF']:
            self.assertIn(opt, appindicator)

    def test_app_module_is_last(self):
        app = self.manifest['modules'][-1]
        self.assertEqual(app['name'], 'botomfa')
        self.assertEqual(app['buildsystem'], 'meson')
        self.assertIs(app.get('run-tests'), True)
        self.assertEqual(app['sources'], [{'type': 'dir', 'path': '..'}])

    def test_finish_args_exactly(self):
        self.assertEqual(self.manifest['finish-args'], FINISH_ARGS,
                         'finish-args changed: update FINISH_ARGS and flatpak/README.md')

    def test_no_broad_permissions(self):
        forbidden = ['--filesystem=home', '--filesystem=host', '--socket=x11',
                     '--talk-name=org.freedesktop.Notifications', '--socket=session-bus']
        for arg in self.manifest['finish-args']:
            self.assertNotIn(arg, forbidden)
            self.assertFalse(arg.startswith('--own-name='), arg)
            self.assertFalse(arg.startswith('--filesystem=host'), arg)

    def test_readme_justifies_every_finish_arg(self):
        readme = README.read_text(encoding='utf-8')
        missing = [arg for arg in FINISH_ARGS if f'`{arg}`' not in readme]
        if missing:
            self.fail('flatpak/README.md does not justify (mention in backticks): '
                      + ', '.join(missing))


class TestInstall(unittest.TestCase):
    """One `meson install` into a temporary DESTDIR, shared by the tests."""

    @classmethod
    def setUpClass(cls):
        meson = shutil.which('meson')
        if meson is None:
            raise unittest.SkipTest('meson is not installed')

        cls.tmp = tempfile.TemporaryDirectory(prefix='botomfa-flatpak-')
        tmp = Path(cls.tmp.name)
        cls.build = tmp / 'build'
        cls.dest = tmp / 'dest'
        cls.root = cls.dest / PREFIX.lstrip('/')

        env = dict(os.environ)
        # A DESTDIR from outside would redirect the install
        for name in ['DESTDIR', 'MESON_BUILD_ROOT', 'MESON_SOURCE_ROOT', 'MESONINTROSPECT']:
            env.pop(name, None)

        def run(*args):
            result = subprocess.run([meson, *args], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, check=False)
            if result.returncode != 0:
                cls.tmp.cleanup()
                raise AssertionError(f"meson {' '.join(args)} failed:\n{result.stdout[-6000:]}")
            return result.stdout

        run('setup', f'--prefix={PREFIX}', '-Dbuildtype=plain', str(cls.build), str(SOURCE_ROOT))
        run('install', '-C', str(cls.build), '--destdir', str(cls.dest), '--quiet')
        cls.tests = json.loads(run('introspect', '--tests', str(cls.build)))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_promised_files_are_installed(self):
        missing = [path for path in INSTALLED if not (self.root / path).is_file()]
        if missing:
            self.fail(f'{len(missing)} of the files the Flatpak needs are not installed '
                      f'under {PREFIX}:\n  ' + '\n  '.join(missing))

    def test_command_is_installed(self):
        command = load_manifest()['command']
        self.assertTrue(os.access(self.root / 'bin' / command, os.X_OK), command)

    def test_icons_carry_the_app_id(self):
        # Flatpak exports only icons named after the application; a tray
        # host outside the sandbox can show no other. The theme cache that
        # gtk-update-icon-cache may leave is not exported and not needed.
        icons = self.root / 'share' / 'icons'
        self.assertTrue(icons.is_dir(), f'{PREFIX}/share/icons is missing')
        stray = [str(p.relative_to(self.root)) for p in icons.rglob('*')
                 if p.is_file() and p.name != 'icon-theme.cache'
                 and not p.name.startswith(APP_ID)]
        if stray:
            self.fail(f'icons without the {APP_ID} prefix, which Flatpak would not export:\n  '
                      + '\n  '.join(stray))

    def icon_exists(self, name):
        icons = self.root / 'share' / 'icons'
        return any(icons.glob(f'*/*/*/{name}.svg')) or any(icons.glob(f'*/*/*/{name}.png'))

    def test_desktop_file_icons_exist(self):
        missing = []
        for path in [f'share/applications/{APP_ID}.desktop',
                     f'share/botomfa/{APP_ID}-autostart.desktop']:
            desktop = self.root / path
            if not desktop.is_file():
                missing.append(f'{path} (the file itself)')
                continue
            entry = desktop_entry(desktop)
            icon = entry.get('Icon')
            if icon is None or not self.icon_exists(icon):
                missing.append(f'{path}: Icon={icon}')
            command = shlex.split(entry.get('Exec', ''))[:1]
            if not command or not (self.root / 'bin' / command[0]).is_file():
                missing.append(f'{path}: Exec={entry.get("Exec")}')
        if missing:
            self.fail('desktop files name what is not installed:\n  ' + '\n  '.join(missing))

    def test_metainfo_id(self):
        path = self.root / 'share' / 'metainfo' / f'{APP_ID}.metainfo.xml'
        if not path.is_file():
            self.skipTest('no metainfo (reported by test_promised_files_are_installed)')
        component = ET.parse(path).getroot()
        self.assertEqual(component.findtext('id'), APP_ID)
        launchable = component.find("launchable[@type='desktop-id']")
        self.assertIsNotNone(launchable, 'no <launchable type="desktop-id">')
        self.assertEqual(launchable.text, f'{APP_ID}.desktop')

    def test_manifest_test_commands_name_real_tests(self):
        # The manifest runs a subset of the suite inside the SDK, by name:
        # a renamed test must not silently drop out of it
        names = {t['name'] for t in self.tests}
        suites = {s.split(':')[-1] for t in self.tests for s in t['suite']}
        app = load_manifest()['modules'][-1]
        unknown = []
        for command in app.get('test-commands', []):
            words = shlex.split(command)
            if words[:2] != ['meson', 'test']:
                continue
            i = 2
            while i < len(words):
                word = words[i]
                if word == '--suite':
                    i += 1
                    if words[i] not in suites:
                        unknown.append(f'suite {words[i]}')
                elif not word.startswith('-') and word not in names:
                    unknown.append(f'test {word}')
                i += 1
        if unknown:
            self.fail('the manifest\'s test-commands name what the project does not have: '
                      + ', '.join(unknown))


if __name__ == '__main__':
    unittest.main(verbosity=2)
