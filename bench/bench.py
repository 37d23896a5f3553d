#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""botomfa's benchmarks. Run through bench/run, which puts this inside
tests/session-wrapper (throwaway HOME, private D-Bus session, unlocked
gnome-keyring) and compiles bench/rusage.c first.

Environment:
  RUNS            timed runs of each renewal client (default 10)
  IDLE_SECONDS    length of each idle window of the applet (default 180)
  STARTS          applet starts timed (default 10)
  RENEWALS        renewals typed into the applet (default 100)
  TRACE_SECONDS   strace -f -ttt window that names the wakers (default 65)
  PROFILE         1 (default) to run the callgrind profiles, 0 to skip
  BENCH_BUILD     the build tree (default <source>/build-bench)
  RUSAGE          the compiled bench/rusage.c (bench/run sets it)
  RESULTS         where to write (default bench/results.md)
"""

import sys
sys.dont_write_bytecode = True  # no bench/__pycache__, no tests/__pycache__

import configparser
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

BENCH = Path(__file__).resolve().parent
SOURCE = BENCH.parent
sys.path.insert(0, str(SOURCE / 'tests'))
from botomfatest import (StsServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY,  # noqa: E402
                         MFA_SERIAL, ACCOUNT, stop_process, wait_for)

WATCHER = SOURCE / 'tests' / 'sni-watcher.py'


def sts_server(tls):
    """tests/sts-server.py through botomfatest.StsServer, every code accepted.
    The server sets TCP_NODELAY on its sockets itself."""
    return StsServer(tls=tls, config={'any_code': True}, stderr=subprocess.DEVNULL)

BUILD = Path(os.environ.get('BENCH_BUILD', SOURCE / 'build-bench'))
CLI = BUILD / 'src' / 'cli' / 'botomfa'
TRAY = BUILD / 'src' / 'tray' / 'botomfa-tray'
RUSAGE = os.environ.get('RUSAGE', str(BENCH / 'rusage'))
RESULTS = Path(os.environ.get('RESULTS', BENCH / 'results.md'))
PYTHON = '/usr/bin/python3'
AWS = '/usr/bin/aws'
CURL = '/usr/bin/curl'
APP_ID = 'io.github.botomfa.Botomfa'
APP_PATH = '/' + APP_ID.replace('.', '/')
ICON = APP_ID + '-%s-symbolic'
CODE = '123456'

RUNS = int(os.environ.get('RUNS', '10'))
IDLE_SECONDS = int(os.environ.get('IDLE_SECONDS', '180'))
STARTS = int(os.environ.get('STARTS', '10'))
RENEWALS = int(os.environ.get('RENEWALS', '100'))
TRACE_SECONDS = int(os.environ.get('TRACE_SECONDS', '65'))
PROFILE = os.environ.get('PROFILE', '1') != '0'

WORK = Path(os.environ['HOME']) / 'bench'

# Targets (bench/README.md)
TARGET_VS_AWS_WALL = 25.0       # botomfa at least 25x faster than aws
TARGET_VS_AWS_RSS = 0.25        # and at most 1/4 of its peak RSS
TARGET_VS_CURL_WALL = 3.0       # within 3x of the curl floor
TARGET_IDLE_RSS_MIB = 30.0
TARGET_START_MS = 200.0
TARGET_RSS_GROWTH_MIB = 1.0     # from after the first renewal to after the last

# restart_syscall too: a thread that is asleep when strace attaches wakes up
# in it (its poll is restarted), not in poll
TRACED = ('poll,ppoll,epoll_wait,epoll_pwait,select,pselect6,nanosleep,clock_nanosleep,futex,'
          'restart_syscall')
WAIT_CALLS = ('poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'select', 'pselect6')


PHASE_LOADS = []


def log(*args):
    print('[%s]' % time.strftime('%H:%M:%S'), *args, file=sys.stderr, flush=True)


def phase(name):
    """Logs the start of a phase with the load average at that moment."""
    load = loadavg()
    PHASE_LOADS.append((time.strftime('%H:%M:%S'), name, ' '.join(load)))
    log('%s (load %s)' % (name, ' '.join(load)))


def loadavg():
    return Path('/proc/loadavg').read_text().split()[:3]


def median(values):
    return statistics.median(values) if values else float('nan')


# --------------------------------------------------------------------------
# Machine and versions

def machine():
    cpuinfo = Path('/proc/cpuinfo').read_text()
    model = re.search(r'^model name\s*:\s*(.*)$', cpuinfo, re.M)
    mhz = re.search(r'^cpu MHz\s*:\s*(.*)$', cpuinfo, re.M)
    meminfo = Path('/proc/meminfo').read_text()
    mem_kb = int(re.search(r'^MemTotal:\s*(\d+)', meminfo, re.M).group(1))
    debian = Path('/etc/debian_version').read_text().strip() \
        if Path('/etc/debian_version').exists() else '?'
    pretty = '?'
    if Path('/etc/os-release').exists():
        m = re.search(r'^PRETTY_NAME="?(.*?)"?$', Path('/etc/os-release').read_text(), re.M)
        if m:
            pretty = m.group(1)
    return {
        'cpu': model.group(1).strip() if model else platform.processor(),
        'mhz': mhz.group(1).strip() if mhz else '?',
        'cores': os.cpu_count(),
        'ram_gib': mem_kb / 1024 / 1024,
        'kernel': platform.release(),
        'debian': '%s (%s)' % (pretty, debian),
    }


def first_line(args, env=None):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
        return (r.stdout.strip() or r.stderr.strip()).splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError) as e:
        return '? (%s)' % e


def source_state():
    def git(*args):
        r = subprocess.run(['git', '-C', str(SOURCE), *args], capture_output=True, text=True,
                           timeout=30)
        return r.stdout.strip()
    head = git('log', '-1', '--format=%h %s')
    dirty = [line[3:] for line in git('status', '--porcelain', '--', 'src', 'data',
                                      'meson.build', 'meson_options.txt').splitlines()]
    return head, dirty


def versions():
    py = ('import boto, boto3, botocore, sys; '
          'print(boto3.__version__, botocore.__version__, boto.__version__, '
          'sys.version.split()[0])')
    b3, bc, b2, pyv = first_line([PYTHON, '-c', py]).split()
    return {
        'botomfa': first_line([str(CLI), '--version']),
        'botomfa-tray': first_line([str(TRAY), '--version']),
        'aws': first_line([AWS, '--version']),
        'boto3': '%s (botocore %s)' % (b3, bc),
        'boto': b2,
        'python3': pyv,
        'curl': first_line([CURL, '--version']),
        'valgrind': first_line(['valgrind', '--version']),
        'strace': first_line(['strace', '--version']),
    }


# --------------------------------------------------------------------------
# One measured process

def measure(args, env, stdin_path=None, stdout_path=os.devnull, stderr_path=os.devnull,
            timeout=120):
    """Runs args under bench/rusage; returns dict(wall_ms, cpu_ms, user_ms,
    sys_ms, rss_mib, status)."""
    r, w = os.pipe()
    stdin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
    try:
        with open(stdout_path, 'wb') as out, open(stderr_path, 'wb') as err:
            p = subprocess.Popen([RUSAGE, '--fd=%d' % w, *args], env=env, stdin=stdin,
                                 stdout=out, stderr=err, pass_fds=(w,))
            os.close(w)
            w = -1
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise
    finally:
        if w >= 0:
            os.close(w)
        if stdin_path:
            stdin.close()
    with os.fdopen(r) as f:
        line = f.read().strip()
    fields = dict(kv.split('=') for kv in line.split())
    user = int(fields['utime_us']) / 1000
    sys_ = int(fields['stime_us']) / 1000
    return {
        'wall_ms': int(fields['wall_ns']) / 1e6,
        'user_ms': user,
        'sys_ms': sys_,
        'cpu_ms': user + sys_,
        'rss_mib': int(fields['maxrss_kb']) / 1024,
        'status': int(fields['status']),
    }


# --------------------------------------------------------------------------
# The renewal clients

class Clients:
    """The five clients, each with its own isolated files, for one server."""

    LABELS = {
        'A': 'botomfa --force --duration 900',
        'B': 'aws sts get-session-token',
        'C': 'boto3 script',
        'D': 'boto2 script (original botomfa)',
        'E': 'curl --aws-sigv4 (floor)',
    }

    def __init__(self, name, server, base_env):
        self.name = name
        self.server = server
        self.url = server.url
        self.dir = WORK / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.code_file = self.dir / 'code'
        self.code_file.write_text(CODE + '\n')
        tls = server.tls

        # A: botomfa, long-term key in the keyring (stored once by run())
        self.env_a = dict(base_env)
        self.env_a.update({
            'BOTO_CONFIG': str(self.dir / 'a-boto'),
            'AWS_SHARED_CREDENTIALS_FILE': str(self.dir / 'a-credentials'),
            'AWS_ENDPOINT_URL_STS': self.url,
            'AWS_ACT_NUM': ACCOUNT, 'MFA_USER': 'alice',
        })
        if tls:
            self.env_a['AWS_CA_BUNDLE'] = server.ca_file

        # B and C: an isolated ~/.aws with the long-term key
        home = self.dir / 'aws-home'
        (home / '.aws').mkdir(parents=True, exist_ok=True)
        (home / '.aws' / 'credentials').write_text(
            '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
            % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        (home / '.aws' / 'config').write_text('[default]\nregion = us-east-1\n')
        self.env_b = {k: v for k, v in base_env.items() if not k.startswith('AWS_')}
        self.env_b.update({
            'HOME': str(home),
            'AWS_EC2_METADATA_DISABLED': 'true',
            'AWS_PAGER': '',
        })
        if tls:
            self.env_b['AWS_CA_BUNDLE'] = server.ca_file
        self.env_c = dict(self.env_b)

        # D: the original's boto config, [long-term] inside
        boto2 = self.dir / 'd-boto'
        text = ''
        if tls:
            text += '[Boto]\nca_certificates_file = %s\n\n' % server.ca_file
        text += ('[long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                 % (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        boto2.write_text(text)
        self.env_d = {k: v for k, v in base_env.items() if not k.startswith('AWS_')}
        self.env_d['BOTO_CONFIG'] = str(boto2)
        # boto 2 matches the certificate against DNS names only
        self.url_d = self.url.replace('127.0.0.1', 'localhost') if tls else self.url

        self.env_e = {k: v for k, v in base_env.items() if not k.startswith('AWS_')}

    def command(self, tool):
        d = self.dir
        if tool == 'A':
            return ([str(CLI), '--force', '--duration', '900'], self.env_a, self.code_file,
                    d / 'a.out')
        if tool == 'B':
            return ([AWS, 'sts', 'get-session-token', '--serial-number', MFA_SERIAL,
                     '--token-code', CODE, '--duration-seconds', '900',
                     '--endpoint-url', self.url], self.env_b, None, d / 'b.json')
        if tool == 'C':
            return ([PYTHON, str(BENCH / 'boto3-renew.py'), self.url, MFA_SERIAL, '900',
                     str(d / 'c-credentials'), 'mfa'], self.env_c, self.code_file, d / 'c.out')
        if tool == 'D':
            return ([PYTHON, str(BENCH / 'boto2-renew.py'), self.url_d, MFA_SERIAL, '900'],
                    self.env_d, self.code_file, d / 'd.out')
        if tool == 'E':
            args = [CURL, '-sS', '-f', '--aws-sigv4', 'aws:amz:us-east-1:sts',
                    '--user', '%s:%s' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
                    '-d', 'Action=GetCallerIdentity&Version=2011-06-15',
                    '-o', str(d / 'e.xml')]
            if self.server.tls:
                args += ['--cacert', self.server.ca_file]
            return (args + [self.url + '/'], self.env_e, None, d / 'e.out')
        raise ValueError(tool)

    def run(self, tool):
        args, env, stdin, stdout = self.command(tool)
        stderr = self.dir / ('%s.err' % tool.lower())
        result = measure(args, env, stdin, stdout, stderr)
        if result['status'] != 0:
            raise RuntimeError('%s %s failed (%d): %s' % (
                self.name, tool, result['status'], stderr.read_text()[-2000:]))
        return result

    def check_outputs(self):
        """Each client really wrote what it should have."""
        boto = configparser.ConfigParser()
        boto.read(self.env_a['BOTO_CONFIG'])
        assert boto['Credentials']['aws_access_key_id'].startswith('ASIA')
        b = json.loads((self.dir / 'b.json').read_text())
        assert b['Credentials']['AccessKeyId'].startswith('ASIA')
        c = configparser.ConfigParser()
        c.read(self.dir / 'c-credentials')
        assert c['mfa']['aws_access_key_id'].startswith('ASIA')
        d = configparser.ConfigParser()
        d.read(self.dir / 'd-boto')
        assert d['Credentials']['aws_access_key_id'].startswith('ASIA')
        assert '<Arn>' in (self.dir / 'e.xml').read_text()


def renewal_benchmark(servers, base_env):
    clients = [Clients(name, server, base_env) for name, server in servers]
    # the long-term key, once, in the keyring (shared by both clients)
    r = subprocess.run([str(CLI), '--set-long-term'], env=clients[0].env_a,
                       input='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError('botomfa --set-long-term: ' + r.stderr)

    tools = 'ABCDE'
    phase('renewal: warm-up')
    for c in clients:
        for t in tools:
            c.run(t)
        c.check_outputs()

    results = {(c.name, t): [] for c in clients for t in tools}
    for i in range(RUNS):
        phase('renewal: round %d/%d' % (i + 1, RUNS))
        for c in clients:
            for t in tools:
                results[(c.name, t)].append(c.run(t))
    for c in clients:
        c.check_outputs()
    # what the servers saw: 2 requests per botomfa run, 1 per other client
    return clients, results


# --------------------------------------------------------------------------
# The applet

class Desktop:
    """Xvfb, a notification server, the bus; one applet at a time."""

    def __init__(self, sts, base_env):
        self.sts = sts
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        r, w = os.pipe()
        self.xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0',
                                      '1024x768x24', '-nolisten', 'tcp'], pass_fds=[w],
                                     stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            self.display = ':' + f.readline().strip()
        self.notifier = subprocess.Popen([PYTHON, '-m', 'dbusmock', '--template',
                                          'notification_daemon'],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.has_owner('org.freedesktop.Notifications'), 20,
                 what='the notification server')
        self.dir = WORK / 'tray'
        self.dir.mkdir(parents=True, exist_ok=True)
        self.boto = self.dir / 'boto'
        self.env = dict(base_env)
        self.env.update({
            'DISPLAY': self.display,
            'BOTO_CONFIG': str(self.boto),
            'AWS_SHARED_CREDENTIALS_FILE': str(self.dir / 'credentials'),
            'AWS_ENDPOINT_URL_STS': sts.url,
            'AWS_ACT_NUM': ACCOUNT, 'MFA_USER': 'alice',
            'LANGUAGE': 'C', 'LC_ALL': 'C.UTF-8', 'TZ': 'UTC',
            'GSETTINGS_BACKEND': 'memory',
            'BOTOMFA_ICON_THEME_PATH': str(SOURCE / 'data' / 'icons'),
            'GDK_BACKEND': 'x11', 'NO_AT_BRIDGE': '1',
        })
        if sts.tls:
            self.env['AWS_CA_BUNDLE'] = sts.ca_file
        self.watcher = None
        self.tray = None
        self.item = None

    def close(self):
        self.stop_tray()
        for p in (self.notifier, self.xvfb):
            stop_process(p)

    def has_owner(self, name):
        return self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                  'org.freedesktop.DBus', 'NameHasOwner',
                                  GLib.Variant('(s)', (name,)), None, 0, -1, None).unpack()[0]

    def cli(self, *args, stdin=''):
        r = subprocess.run([str(CLI), *args], input=stdin, capture_output=True, text=True,
                           env=self.env, timeout=60)
        if r.returncode != 0:
            raise RuntimeError('botomfa %s: %s' % (' '.join(args), r.stderr))
        return r

    def expiry(self):
        cfg = configparser.ConfigParser()
        cfg.read(self.boto)
        text = cfg['Credentials']['x_security_token_expires']
        return datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)

    def start_tray(self, prefix=(), timeout=10):
        """Starts watcher and applet; returns seconds from exec to the
        watcher receiving RegisterStatusNotifierItem."""
        self.watcher = subprocess.Popen([PYTHON, str(WATCHER)],
                                        stdout=subprocess.PIPE, text=True)
        if self.watcher.stdout.readline().strip() != 'READY':
            raise RuntimeError('watcher did not start')
        wait_for(lambda: not self.has_owner(APP_ID), 10, what='the previous applet to leave')
        out = open(self.dir / 'tray.log', 'ab')
        t0 = time.monotonic()
        self.tray = subprocess.Popen([*prefix, str(TRAY)], env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT)
        out.close()
        ready, _, _ = select.select([self.watcher.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError('the applet did not register its item in %ss' % timeout)
        words = self.watcher.stdout.readline().split()
        if not words or words[0] != 'REGISTERED':
            raise RuntimeError('watcher said %r' % words)
        self.item = (words[1], words[2])
        return float(words[3]) - t0

    def stop_tray(self):
        if self.tray is not None:
            asked = False
            if self.tray.poll() is None:
                try:
                    self.activate('quit')
                    asked = True
                except GLib.Error:
                    pass
            stop_process(self.tray, timeout=60, terminate=not asked)
        if self.watcher is not None:
            stop_process(self.watcher)
        self.tray = self.watcher = None

    def activate(self, action):
        self.bus.call_sync(APP_ID, APP_PATH, 'org.gtk.Actions', 'Activate',
                           GLib.Variant('(sava{sv})', (action, [], {})), None, 0, 10000, None)

    def props(self):
        return self.bus.call_sync(self.item[0], self.item[1], 'org.freedesktop.DBus.Properties',
                                  'GetAll', GLib.Variant('(s)', ('org.kde.StatusNotifierItem',)),
                                  None, 0, 5000, None).unpack()[0]

    def wait_icon(self, state, timeout=15):
        return wait_for(lambda: self.props().get('IconName') == ICON % state, timeout, 0.1,
                        'icon %s' % state)

    def xdotool(self, *args):
        return subprocess.run(['xdotool', *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def dialog_windows(self):
        return self.xdotool('search', '--name', 'Renew AWS Credentials').stdout.split()

    def renew_by_typing(self):
        self.activate('renew')
        window = wait_for(self.dialog_windows, 15, 0.05, 'the MFA dialog')[0]
        self.xdotool('windowfocus', '--sync', window)
        self.xdotool('type', '--delay', '30', CODE)
        self.xdotool('key', 'Return')
        wait_for(lambda: not self.dialog_windows(), 30, 0.05, 'the dialog to close')

    def memory(self):
        pid = self.tray.pid
        status = Path('/proc/%d/status' % pid).read_text()
        out = {}
        for key in ('VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM'):
            m = re.search(r'^%s:\s*(\d+) kB' % key, status, re.M)
            out[key] = int(m.group(1)) / 1024 if m else float('nan')
        m = re.search(r'^Pss:\s*(\d+) kB', Path('/proc/%d/smaps_rollup' % pid).read_text(), re.M)
        out['Pss'] = int(m.group(1)) / 1024 if m else float('nan')
        out['threads'] = int(re.search(r'^Threads:\s*(\d+)', status, re.M).group(1))
        return out


def applet_starts(desk, n):
    times = []
    for i in range(n):
        dt = desk.start_tray()
        times.append(dt * 1000)
        log('applet start %d/%d: %.1f ms to registration' % (i + 1, n, dt * 1000))
        time.sleep(0.5)
        desk.stop_tray()
    return times


def applet_renewals(desk, n, step=25):
    """Memory after start (0), after the first renewal (the first dialog's
    one-time cost: fonts, theme, icons, GtkBuilder), after every step-th and
    the last, and once more after 20 s idle."""
    desk.start_tray()
    desk.wait_icon('valid')
    time.sleep(2)
    samples = [(0, desk.memory())]
    maps = top_mappings(desk.tray.pid)
    desk.sts.reset()
    seconds = []
    for i in range(1, n + 1):
        t = time.monotonic()
        desk.renew_by_typing()
        seconds.append(time.monotonic() - t)
        if i == 1 or i % step == 0 or i == n:
            time.sleep(1)
            samples.append((i, desk.memory()))
            log('applet renewals: %d, VmRSS %.1f MiB' % (i, samples[-1][1]['VmRSS']))
    actions = [a for a, s in desk.sts.actions() if s == 200]
    n_gst = actions.count('GetSessionToken')
    # After the last renewal the GLib worker threads exit within ~15 s
    time.sleep(20)
    settled = desk.memory()
    desk.stop_tray()
    return {'samples': samples, 'settled': settled, 'seconds': seconds, 'n_gst': n_gst,
            'n': n, 'maps': maps}


def top_mappings(pid):
    rss = {}
    name = None
    for line in Path('/proc/%d/smaps' % pid).read_text().splitlines():
        if re.match(r'^[0-9a-f]+-[0-9a-f]+ ', line):
            parts = line.split()
            name = parts[5] if len(parts) > 5 else '[anonymous]'
        elif line.startswith('Rss:') and name is not None:
            rss[name] = rss.get(name, 0) + int(line.split()[1])
    return sorted(rss.items(), key=lambda x: -x[1])


def thread_table(pid):
    out = {}
    for task in Path('/proc/%d/task' % pid).iterdir():
        try:
            comm = (task / 'comm').read_text().strip()
            status = (task / 'status').read_text()
        except OSError:
            continue
        vol = int(re.search(r'^voluntary_ctxt_switches:\s*(\d+)', status, re.M).group(1))
        nonvol = int(re.search(r'^nonvoluntary_ctxt_switches:\s*(\d+)', status, re.M).group(1))
        out[int(task.name)] = (comm, vol, nonvol)
    return out


def fd_table(pid):
    out = {}
    for fd in Path('/proc/%d/fd' % pid).iterdir():
        try:
            out[int(fd.name)] = os.readlink(fd)
        except OSError:
            pass
    return out


def label_changes(expiry, t0, t1):
    """Epoch times in (t0, t1] at which the applet's minute timer fires:
    each whole minute of remaining lifetime, plus its 50 ms margin."""
    e = expiry.timestamp()
    out = []
    k = max(0, int((e - t1) // 60))
    while e - 60 * k + 0.05 > t0:
        t = e - 60 * k + 0.05
        if t0 < t <= t1:
            out.append(t)
        k += 1
    return sorted(out)


STRACE_LINE = re.compile(r'^(\d+)\s+(\d+\.\d+)\s+(.*?)(?:\s+<(\d+\.\d+)>)?$')


def parse_strace(path):
    """strace -f -ttt -T output → one dict per completed call: tid, call,
    text, entry (epoch of the call's entry, None if it began before strace
    attached), end (epoch of its return), seconds (time inside the call,
    -T), at_attach (the thread was already asleep in it when strace
    attached). A call split by other threads' lines is joined.

    strace's -ttt stamp is the time of the syscall's entry on a complete
    line and of its return on a "<... resumed>" line; -T is the time
    inside the call. A thread asleep when strace attaches shows up as
    restart_syscall (its sleep is carried on) or as a resumed line without
    a start. A call still pending when strace detaches ("<detached ...>",
    or an "<unfinished ...>" never resumed) has not returned: it is left
    out, and its thread is in the second value returned, the threads
    asleep at the end of the window."""
    events = []
    pending = {}
    detached = set()
    for line in Path(path).read_text(errors='replace').splitlines():
        m = STRACE_LINE.match(line)
        if not m:
            continue
        tid, ts, rest, dur = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
        if rest.endswith('<unfinished ...>'):
            pending[tid] = (rest.split('(', 1)[0], rest, ts)
            continue
        if '<detached ...>' in rest:
            detached.add(tid)
            continue
        r = re.match(r'<\.\.\. (\w+) resumed>(.*)$', rest)
        if r:
            call = r.group(1)
            start = pending.pop(tid, None)
            entry = start[2] if start else None
            seconds = float(dur) if dur else (ts - entry if entry is not None else float('inf'))
            events.append({
                'tid': tid, 'call': call, 'text': (start[1] if start else '') + ' … ' + r.group(2),
                'entry': entry, 'end': ts, 'seconds': seconds,
                'at_attach': call == 'restart_syscall' or start is None,
            })
            continue
        if '(' in rest and ' = ' in rest:
            call = rest.split('(', 1)[0]
            seconds = float(dur) if dur else 0.0
            events.append({
                'tid': tid, 'call': call, 'text': rest, 'entry': ts, 'end': ts + seconds,
                'seconds': seconds, 'at_attach': call == 'restart_syscall',
            })
    events.sort(key=lambda e: e['end'])
    return events, sorted(detached | set(pending))


def blocked(call, text, seconds):
    """Did this call put the thread to sleep (so its return is a wake-up)?"""
    if call == 'restart_syscall':
        return True                         # asleep since strace attached
    if call in ('poll', 'epoll_wait', 'epoll_pwait'):
        m = re.search(r'\],\s*\d+,\s*(-?\d+)\)', text) if call == 'poll' else \
            re.search(r',\s*\d+,\s*(-?\d+)\)', text)
        if m and m.group(1) == '0':
            return False                    # a non-blocking check
    if call == 'futex' and 'FUTEX_WAIT' not in text:
        return False                        # waking another thread
    return seconds >= 0.0005


# A call that was asleep when strace attached and returns this soon after
# the attach is taken to be ended by the attach (ptrace interrupting the
# sleep), not woken by the applet
ATTACH_WINDOW = 1.0


def classify_calls(events, attach, changes, threads, fds):
    """Each traced call as a row of the wake-up table; kind is 'wake-up'
    (returned after sleeping), 'strace attach' (asleep at attach, returned
    within ATTACH_WINDOW of it) or 'no sleep'."""
    calls = []
    for e in events:
        call, text = e['call'], e['text']
        if call == 'restart_syscall':
            m = re.search(r'resuming interrupted (\w+)', text)
            call_name = 'restart_syscall (%s)' % (m.group(1) if m else '?')
        else:
            call_name = call
        if e['at_attach'] and e['end'] - attach <= ATTACH_WINDOW:
            kind = 'strace attach'
        elif blocked(call, text, e['seconds']):
            kind = 'wake-up'
        else:
            kind = 'no sleep'
        near = min((abs(e['end'] - c) for c in changes), default=float('inf'))
        result = text.rsplit(' = ', 1)[-1] if ' = ' in text else ''
        woke_fds = re.findall(r'fd=(\d+), revents=', result)
        calls.append({
            'tid': e['tid'], 'thread': threads.get(e['tid'], '?'), 'time': e['end'],
            'call': call_name, 'kind': kind, 'at_attach': e['at_attach'],
            'fds': [(int(f), fds.get(int(f), '?')) for f in woke_fds],
            'timeout': bool(re.match(r'0 \(Timeout\)', result)),
            'seconds': e['seconds'],
            'near_label_change': near <= 1.0, 'offset': near,
        })
    return calls


def applet_idle(desk):
    # Valid credentials for two hours, from the command line tool
    desk.cli('--force', '--duration', '7200', stdin=CODE + '\n')
    expiry = desk.expiry()
    desk.start_tray()
    desk.wait_icon('valid')
    label = desk.props().get('XAyatanaLabel')
    settle = 20
    log('applet idle: settling %d s (label %s)' % (settle, label))
    time.sleep(settle)
    pid = desk.tray.pid
    mem_start = desk.memory()

    # 1. no tracer: context switches per thread
    before = thread_table(pid)
    t0 = time.time()
    phase('applet idle: %d s of context-switch counting' % IDLE_SECONDS)
    time.sleep(IDLE_SECONDS)
    t1 = time.time()
    after = thread_table(pid)
    ctx = []
    for tid, (comm, vol, nonvol) in sorted(after.items()):
        b = before.get(tid, (comm, 0, 0))
        ctx.append((tid, comm, vol - b[1], nonvol - b[2], tid in before))
    ctx_changes = len(label_changes(expiry, t0, t1))

    # 2. strace -f -c
    phase('applet idle: %d s under strace -f -c' % IDLE_SECONDS)
    summary_file = WORK / 'strace-c.txt'
    t2 = time.time()
    subprocess.run(['timeout', '-s', 'INT', str(IDLE_SECONDS), 'strace', '-f', '-c', '-o',
                    str(summary_file), '-e', 'trace=' + TRACED, '-p', str(pid)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t3 = time.time()
    strace_changes = len(label_changes(expiry, t2, t3))
    summary = summary_file.read_text() if summary_file.exists() else ''

    # 3. strace -f -ttt -T: who wakes, on which fd
    phase('applet idle: %d s under strace -f -ttt -T' % TRACE_SECONDS)
    threads = {tid: v[0] for tid, v in thread_table(pid).items()}
    fds = fd_table(pid)
    trace_file = WORK / 'strace-ttt.txt'
    t4 = time.time()
    subprocess.run(['timeout', '-s', 'INT', str(TRACE_SECONDS), 'strace', '-f', '-ttt', '-T',
                    '-o', str(trace_file), '-e', 'trace=' + TRACED, '-p', str(pid)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t5 = time.time()
    changes = label_changes(expiry, t4, t5)
    events, asleep_at_end = parse_strace(trace_file) if trace_file.exists() else ([], [])
    # the attach: where the sleeps strace found began (restart_syscall's
    # entry stamp), else when strace was started
    attach = min((e['entry'] for e in events if e['at_attach'] and e['entry'] is not None),
                 default=t4)
    calls = classify_calls(events, attach, changes, threads, fds)
    mem_end = desk.memory()
    desk.stop_tray()
    return {
        'expiry': expiry, 'label': label, 'settle': settle,
        'ctx': ctx, 'ctx_seconds': t1 - t0, 'ctx_changes': ctx_changes,
        'strace_summary': summary, 'strace_seconds': t3 - t2, 'strace_changes': strace_changes,
        'trace_seconds': t5 - t4, 'trace_changes': changes, 'calls': calls,
        'attach': attach, 'pid': pid, 'asleep_at_end': asleep_at_end,
        'mem_start': mem_start, 'mem_end': mem_end, 'threads': threads,
    }


# --------------------------------------------------------------------------
# Profiles

def annotate(path, inclusive):
    r = subprocess.run(['callgrind_annotate', '--inclusive=%s' % ('yes' if inclusive else 'no'),
                        '--threshold=100', str(path)], capture_output=True, text=True,
                       timeout=120)
    total = None
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r'^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS', line)
        if m:
            total = int(m.group(1).replace(',', ''))
            continue
        m = re.match(r'^\s*([\d,]+)\s+(?:\(\s*([\d.]+)%\)\s+)?(\S.*?)\s*$', line)
        if m and total is not None and ':' in m.group(3):
            ir = int(m.group(1).replace(',', ''))
            where = m.group(3)
            file_, _, rest = where.partition(':')
            func = rest
            lib = ''
            lm = re.match(r'^(.*?) \[(.*)\]$', rest)
            if lm:
                func, lib = lm.group(1), os.path.basename(lm.group(2))
            rows.append((ir, func, lib))
    return total, rows


def profile_cli(client, label):
    out = WORK / ('callgrind-cli-%s.out' % label)
    args, env, stdin, stdout = client.command('A')
    with open(stdin, 'rb') as i, open(WORK / 'callgrind-cli.log', 'ab') as e:
        subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=%s' % out,
                        *args], env=env, stdin=i, stdout=subprocess.DEVNULL, stderr=e,
                       timeout=600, check=True)
    return out


def profile_applet(desk):
    out = WORK / 'callgrind-tray.out'
    for f in WORK.glob('callgrind-tray.out*'):
        f.unlink()
    dt = desk.start_tray(prefix=['valgrind', '--tool=callgrind',
                                 '--callgrind-out-file=%s' % out], timeout=300)
    # Dump what it took up to the registration, then let it finish
    subprocess.run(['callgrind_control', '--dump=registered', str(desk.tray.pid)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    desk.stop_tray()
    dumps = sorted(WORK.glob('callgrind-tray.out.*'))
    return (dumps[0] if dumps else out), dt


# --------------------------------------------------------------------------
# Report

def fmt_ms(v):
    return '%.0f' % v if v >= 100 else '%.1f' % v


def stat_cell(values, fmt=fmt_ms):
    return '%s (%s–%s)' % (fmt(median(values)), fmt(min(values)), fmt(max(values)))


def mib(v):
    return '%.1f' % v


def verdict(ok):
    return '**met**' if ok else '**missed**'


def utc_time(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime('%H:%M:%S.%f')


def wakeups(idle):
    """(wake-ups, those more than 1 s from a minute-timer firing, calls
    ended by strace's attach) of the strace -ttt window."""
    calls = idle['calls']
    wakes = [c for c in calls if c['kind'] == 'wake-up']
    stray = [c for c in wakes if not c['near_label_change']]
    attach = [c for c in calls if c['kind'] == 'strace attach']
    return wakes, stray, attach


def main_thread_switches(idle):
    return sum(vol for tid, comm, vol, nonvol, existed in idle['ctx'] if tid == idle['pid'])


def write_report(info):
    L = []
    w = L.append
    m = info['machine']
    v = info['versions']
    w('# botomfa benchmarks')
    w('')
    w('Generated by `bench/run` on %s (UTC), RUNS=%d, IDLE_SECONDS=%d, STARTS=%d, '
      'RENEWALS=%d. What each number means: [README.md](README.md).'
      % (info['started'], RUNS, IDLE_SECONDS, STARTS, RENEWALS))
    w('')
    w('## Machine')
    w('')
    w('| | |')
    w('|---|---|')
    w('| CPU | %s (%s MHz) |' % (m['cpu'], m['mhz']))
    w('| cores | %d |' % m['cores'])
    w('| RAM | %.1f GiB |' % m['ram_gib'])
    w('| kernel | %s |' % m['kernel'])
    w('| OS | %s |' % m['debian'])
    w('| load average at start | %s |' % ' '.join(info['load_start']))
    w('| load average at end | %s |' % ' '.join(info['load_end']))
    w('| duration of the run | %.0f s |' % info['elapsed'])
    w('')
    w('The machine is shared: other work may have been running. Load average (1, 5, 15 '
      'min) as each phase began:')
    w('')
    w('| time | phase | load |')
    w('|---|---|---|')
    for when, name, load in PHASE_LOADS:
        w('| %s | %s | %s |' % (when, name, load))
    w('')
    w('## Versions')
    w('')
    w('| | |')
    w('|---|---|')
    for k in ('botomfa', 'botomfa-tray', 'aws', 'boto3', 'boto', 'python3', 'curl',
              'valgrind', 'strace'):
        w('| %s | %s |' % (k, v[k]))
    w('| botomfa build | `%s`, `meson setup -Dbuildtype=release` |' % BUILD)
    head, dirty = info['source']
    w('| source | commit %s%s |' % (head, '; uncommitted changes built in: ' + ', '.join(
        '`%s`' % d for d in dirty) if dirty else ''))
    w('')

    # ---- renewal
    res = info['renewal']
    w('## Renewal, one process each')
    w('')
    w('All ten variants ran interleaved (each round: HTTP A B C D E, TLS A B C D E), %d '
      'timed rounds after one untimed warm-up round. Each cell: median '
      '(min–max). Wall time is fork to wait4() return in `bench/rusage`; CPU is '
      'ru_utime + ru_stime; peak RSS is ru_maxrss. "× botomfa" divides the median by '
      'botomfa\'s median on the same server.' % RUNS)
    w('')
    summary = {}
    titles = {
        'http': 'plain HTTP',
        'https': 'TLS (self-signed certificate, trusted via the CA bundle)',
    }
    for name in ('http', 'https'):
        if (name, 'A') not in res:
            continue
        w('### %s' % titles[name])
        w('')
        w('| | client | requests | wall ms | × botomfa | CPU ms | × botomfa | peak RSS MiB '
          '| × botomfa |')
        w('|---|---|---|---|---|---|---|---|---|')
        a = res[(name, 'A')]
        aw, ac, ar = (median([x['wall_ms'] for x in a]), median([x['cpu_ms'] for x in a]),
                      median([x['rss_mib'] for x in a]))
        for t in 'ABCDE':
            rs = res[(name, t)]
            wall = [x['wall_ms'] for x in rs]
            cpu = [x['cpu_ms'] for x in rs]
            rss = [x['rss_mib'] for x in rs]
            summary[(name, t)] = (median(wall), median(cpu), median(rss))
            w('| %s | %s | %s | %s | %.2f | %s | %.2f | %s | %.3f |' % (
                t, Clients.LABELS[t], '2' if t == 'A' else '1', stat_cell(wall),
                median(wall) / aw, stat_cell(cpu), median(cpu) / ac,
                stat_cell(rss, mib), median(rss) / ar))
        w('')
    w('Notes:')
    w('')
    w('- **botomfa makes two requests**: GetSessionToken, then GetCallerIdentity with the '
      'new credentials (the original\'s "Validating current temporary credentials.."). '
      'Every other client makes one. botomfa also looks the key up in gnome-keyring over '
      'D-Bus (the others read a file), and writes `~/.boto` atomically (temporary file, '
      'fsync, rename, fsync of the folder) under a lock.')
    w('- B: `/usr/bin/aws sts get-session-token --serial-number … --token-code … '
      '--duration-seconds 900 --endpoint-url …`, long-term key in an isolated '
      '`~/.aws/credentials`, output redirected to a file; it writes no credentials file.')
    w('- C: `bench/boto3-renew.py`: boto3 `get_session_token`, then an INI profile written '
      'with configparser.')
    w('- D: `bench/boto2-renew.py`: `boto.sts.STSConnection.get_session_token` (custom '
      'host/port/is_secure through `RegionInfo`, `auth_region_name`/`auth_service_name` set '
      'because boto 2 guesses them from the host name), then `boto.config.save_option` once '
      'per key, as the original did. For TLS boto 2 gets `[Boto] ca_certificates_file` in '
      'its config and `https://localhost:PORT` (its own host-name check ignores IP-address '
      'SANs).')
    w('- E: `curl --aws-sigv4 "aws:amz:us-east-1:sts" --user KEY:SECRET -d '
      '\'Action=GetCallerIdentity&Version=2011-06-15\'` (plus `--cacert` for TLS): one '
      'signed POST, no keyring, no file written — the floor for "a process that makes a '
      'signed STS request".')
    w('- The server is `tests/sts-server.py` (Python, one thread per connection, each '
      'signature re-checked with botocore) on 127.0.0.1, `any_code` on. Its own time per '
      'request is part of every wall time, twice for botomfa; the clients\' CPU and RSS '
      'columns do not include it. It answers with TCP_NODELAY on its sockets, as real STS '
      'front ends do, so no response waits for the client\'s delayed ACK.')
    w('- The command-line tool uses the GSettings backend it finds (dconf here, as on a '
      'desktop) and the compiled schema of the build tree (`GSETTINGS_SCHEMA_DIR`).')
    w('')

    # ---- applet
    ap = info['applet']
    w('## The applet')
    w('')
    w('Xvfb, `tests/sni-watcher.py` as StatusNotifierWatcher (its REGISTERED line carries '
      'the `time.monotonic()` at which the registration arrived), '
      'python3-dbusmock\'s notification daemon, the TLS STS server; `NO_AT_BRIDGE=1`, '
      '`GSETTINGS_BACKEND=memory`, `GDK_BACKEND=x11`, credentials valid at start.')
    w('')
    st = ap['starts']
    w('### Start to tray registration')
    w('')
    w('Each start a fresh watcher and a fresh process; time from just before `Popen` to '
      'the watcher receiving `RegisterStatusNotifierItem`.')
    w('')
    w('| starts | median | min | max | all (ms) |')
    w('|---|---|---|---|---|')
    w('| %d | %.1f ms | %.1f ms | %.1f ms | %s |' % (
        len(st), median(st), min(st), max(st), ', '.join('%.0f' % x for x in st)))
    w('')

    rn = ap['renewals']
    samples = rn['samples']
    settled = rn['settled']
    w('### Memory over %d renewals typed into the dialog' % rn['n'])
    w('')
    w('Each renewal as a person does it: `renew` activated through `org.gtk.Actions`, '
      'the code typed with xdotool into "Renew AWS Credentials", Return, wait for the '
      'dialog to close. The server answered %d GetSessionToken requests with 200 '
      '(expected %d). Median %.2f s per renewal, typing (6 × 30 ms) included. '
      'VmRSS/RssAnon/RssFile from `/proc/PID/status`, Pss from `smaps_rollup`, taken 1 s '
      'after the renewal named in the first column. "0" is 2 s after start, before any '
      'dialog.' % (rn['n_gst'], rn['n'], median(rn['seconds'])))
    w('')
    w('| renewals | VmRSS MiB | RssAnon MiB | RssFile MiB | Pss MiB | threads |')
    w('|---|---|---|---|---|---|')
    for n, mem in samples:
        what = {0: '0 (after start)', 1: '1 (the first dialog)'}.get(n, '%d' % n)
        w('| %s | %s | %s | %s | %s | %d |' % (
            what, mib(mem['VmRSS']), mib(mem['RssAnon']), mib(mem['RssFile']),
            mib(mem['Pss']), mem['threads']))
    w('| %d, then 20 s idle | %s | %s | %s | %s | %d |' % (
        rn['n'], mib(settled['VmRSS']), mib(settled['RssAnon']), mib(settled['RssFile']),
        mib(settled['Pss']), settled['threads']))
    w('')
    mem0, mem1, memn = samples[0][1], samples[1][1], samples[-1][1]
    first_cost = mem1['VmRSS'] - mem0['VmRSS']
    growth = memn['VmRSS'] - mem1['VmRSS']
    w('- **One-time cost of the first dialog** (0 → 1): %+.1f MiB VmRSS, %+.1f MiB RssAnon, '
      '%+.1f MiB RssFile — fonts, theme, icons and the GtkBuilder template are loaded the '
      'first time the dialog opens and stay.' % (
          first_cost, mem1['RssAnon'] - mem0['RssAnon'], mem1['RssFile'] - mem0['RssFile']))
    w('- **Growth over the renewals** (1 → %d): %+.1f MiB VmRSS, %+.1f MiB RssAnon.' % (
        rn['n'], growth, memn['RssAnon'] - mem1['RssAnon']))
    w('- **Idle after the renewals**: %.1f MiB VmRSS (%+.1f MiB against idle after start).'
      % (settled['VmRSS'], settled['VmRSS'] - mem0['VmRSS']))
    w('')
    if ap.get('maps'):
        gl = [(name, kb) for name, kb in ap['maps']
              if re.search(r'/(libGL|libEGL|libGLX|libGLdispatch|libLLVM|libgallium|'
                           r'libglapi|libdrm)|/dri/', name)]
        w('OpenGL libraries resident after start: %s.' % (
            ', '.join('`%s` %d kB' % (os.path.basename(n), kb) for n, kb in gl)
            if gl else 'none'))
        w('')
        w('Largest resident mappings after start (`/proc/PID/smaps`, Rss):')
        w('')
        w('| kB | mapping |')
        w('|---|---|')
        for name, kb in ap['maps'][:12]:
            w('| %d | `%s` |' % (kb, name))
        w('')

    idle = ap['idle']
    w('### Idle wake-ups')
    w('')
    w('Credentials valid until %s (label "%s" at start); measured after a %d s settle, so '
      'that the GLib worker threads of the start-up check have exited.'
      % (idle['expiry'].strftime('%H:%M:%S UTC'), idle['label'], idle['settle']))
    w('')
    w('**Without a tracer** (voluntary context switches per thread from '
      '`/proc/PID/task/*/status`, %.0f s, %d minute-timer firings expected in the window):'
      % (idle['ctx_seconds'], idle['ctx_changes']))
    w('')
    w('| thread | voluntary switches | per minute | involuntary |')
    w('|---|---|---|---|')
    total_vol = 0
    for tid, comm, vol, nonvol, existed in idle['ctx']:
        total_vol += vol
        w('| %s (%d)%s | %d | %.2f | %d |' % (comm, tid, '' if existed else ', new', vol,
                                            vol * 60 / idle['ctx_seconds'], nonvol))
    w('| **all** | %d | %.2f | |' % (total_vol, total_vol * 60 / idle['ctx_seconds']))
    w('')
    main_vol = main_thread_switches(idle)
    w('Without a tracer a switch cannot be placed in time, only counted: the main thread '
      '(%d) made %d voluntary switches in a window with %d minute-timer firings (label '
      'changes), %s.'
      % (idle['pid'], main_vol, idle['ctx_changes'],
         'the same number' if main_vol == idle['ctx_changes'] else 'not the same number'))
    w('')
    w('**`strace -f -c -e trace=%s -p PID`**, attached after start, %.0f s, %d '
      'minute-timer firings expected:' % (TRACED, idle['strace_seconds'],
                                          idle['strace_changes']))
    w('')
    w('```')
    w(idle['strace_summary'].strip() or '(no traced calls)')
    w('```')
    w('')
    n_calls = 0
    for line in idle['strace_summary'].splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in TRACED.split(',') and parts[3].isdigit():
            n_calls += int(parts[3])
    w('%d traced calls in %.0f s = %.2f per minute, %.1f per label change. These count '
      'every call, also the non-blocking `poll(…, 0)` a GLib main-loop iteration makes and '
      'the `FUTEX_WAKE`s of one thread waking another; the table below separates them.'
      % (n_calls, idle['strace_seconds'], n_calls * 60 / idle['strace_seconds'],
         n_calls / max(1, idle['strace_changes'])))
    w('')
    calls = idle['calls']
    wakes, stray, attach_calls = wakeups(idle)
    w('**`strace -f -ttt -T`**, %.0f s, attached at %s; the minute timer was due at %s. '
      '%d traced calls; %d returned after the thread had slept (a wake-up), %d of those more '
      'than 1 s from a minute-timer firing. %d call(s) the threads were asleep in when strace '
      'attached returned within 1 s of the attach: taken to be the attach (ptrace '
      'interrupting the sleep), listed as "strace attach" and not counted. Times are when each call '
      'returned (strace stamps a complete line with its entry; -T gives the time inside). '
      'Asleep when strace detached, so not in the table: %s.'
      % (idle['trace_seconds'], utc_time(idle['attach'])[:-3], ', '.join(
          utc_time(c)[:-3] for c in idle['trace_changes']) or 'never', len(calls), len(wakes),
         len(stray), len(attach_calls),
         ', '.join('%s (%d)' % (idle['threads'].get(t, '?'), t) for t in idle['asleep_at_end'])
         or 'no thread'))
    w('')
    w('| returned (UTC) | thread | call | slept | returned because | counted as '
      '| near a label change |')
    w('|---|---|---|---|---|---|---|')
    for c in calls[:80]:
        by = ', '.join('fd %d %s' % f for f in c['fds']) or ('timeout' if c['timeout']
                                                             else '—')
        if c['kind'] == 'no sleep':
            slept = 'no'
        elif c['seconds'] == float('inf'):
            slept = 'since attach'
        else:
            slept = '%.3f s%s' % (c['seconds'], ' (since attach)' if c['at_attach'] else '')
        if c['kind'] == 'strace attach':
            near = '—'
        else:
            near = 'yes' if c['near_label_change'] else 'no (%.1f s away)' % c['offset']
        w('| %s | %s (%d) | %s | %s | %s | %s | %s |' % (
            utc_time(c['time']), c['thread'], c['tid'], c['call'], slept, by,
            {'no sleep': '—'}.get(c['kind'], c['kind']), near))
    if len(calls) > 80:
        w('| … %d more | | | | | | |' % (len(calls) - 80))
    w('')
    w('Threads while tracing: %s.' % ', '.join(
        '%s (%d)' % (n, t) for t, n in sorted(idle['threads'].items())))
    w('')
    w('VmRSS idle: %.1f MiB at the start of the idle windows, %.1f MiB at the end.'
      % (idle['mem_start']['VmRSS'], idle['mem_end']['VmRSS']))
    w('')

    # ---- profiles
    if info.get('profiles'):
        w('## Profiles (callgrind)')
        w('')
        w('`valgrind --tool=callgrind` instruction counts (Ir). The build has no debug '
          'information, so costs are per function symbol (addresses where a library has '
          'no symbol for them); static functions keep their names from the symbol table.')
        w('')
        for title, (total, self_rows, incl_rows) in info['profiles']:
            w('### %s — %s instructions in total' % (title, '{:,}'.format(total or 0)))
            w('')
            w('Top 10 by own cost:')
            w('')
            w('| Ir | % | function | object |')
            w('|---|---|---|---|')
            for ir, func, lib in self_rows[:10]:
                w('| {:,} | {:.1f} | `{}` | {} |'.format(ir, 100 * ir / total, func, lib))
            w('')
            w('Inclusive cost of selected entry points (where the instructions go):')
            w('')
            w('| Ir incl. | % | function | object |')
            w('|---|---|---|---|')
            for ir, func, lib in incl_rows:
                w('| {:,} | {:.1f} | `{}` | {} |'.format(ir, 100 * ir / total, func, lib))
            w('')

    # ---- targets
    w('## Targets')
    w('')
    w('| target | measured | |')
    w('|---|---|---|')
    for name, title in (('http', 'HTTP'), ('https', 'TLS')):
        if (name, 'A') not in summary:
            continue
        aw, ac, ar = summary[(name, 'A')]
        bw, bc, br = summary[(name, 'B')]
        ew, ec, er = summary[(name, 'E')]
        w('| %s: renewal ≥ 25× faster (wall) than the AWS CLI | %.1f× (%.0f ms vs %.1f ms) '
          '| %s |' % (title, bw / aw, bw, aw, verdict(bw / aw >= TARGET_VS_AWS_WALL)))
        w('| %s: peak RSS ≤ ¼ of the AWS CLI\'s | %.3f (%.1f MiB vs %.1f MiB) | %s |'
          % (title, ar / br, ar, br, verdict(ar / br <= TARGET_VS_AWS_RSS)))
        w('| %s: wall within 3× of the curl floor | %.2f× (%.1f ms vs %.1f ms) | %s |'
          % (title, aw / ew, aw, ew, verdict(aw / ew <= TARGET_VS_CURL_WALL)))
    idle_rss = idle['mem_start']['VmRSS']
    after_ok = settled['VmRSS'] < TARGET_IDLE_RSS_MIB
    w('| applet idle RSS < 30 MiB | %.1f MiB VmRSS idle after start; idle after %d renewals '
      '(20 s after the last): %.1f MiB, %s | %s (after start); after the renewals %s |'
      % (idle_rss, rn['n'], settled['VmRSS'],
         'under 30 MiB too' if after_ok else 'over 30 MiB',
         verdict(idle_rss < TARGET_IDLE_RSS_MIB), verdict(after_ok)))
    w('| start to tray registration < 200 ms | %.1f ms median (max %.1f ms) | %s |'
      % (median(st), max(st), verdict(median(st) < TARGET_START_MS)))
    w('| zero wake-ups between label changes | %d of %d wake-ups in the %.0f s `strace -ttt` '
      'window more than 1 s from a minute-timer firing (%d strace attach, not counted); '
      'untraced, the main thread made %d voluntary switches for %d label changes%s '
      '(%.2f per minute, all threads) | %s |'
      % (len(stray), len(wakes), idle['trace_seconds'], len(attach_calls), main_vol,
         idle['ctx_changes'], ', the same number' if main_vol == idle['ctx_changes'] else
         ', not the same number',
         total_vol * 60 / idle['ctx_seconds'], verdict(not stray)))
    w('| no RSS growth over %d renewals | %+.1f MiB VmRSS from after renewal 1 to after '
      'renewal %d; the first dialog\'s one-time cost (0 → 1, not part of the target) was '
      '%+.1f MiB | %s |' % (rn['n'], growth, rn['n'], first_cost,
                            verdict(growth <= TARGET_RSS_GROWTH_MIB)))
    w('')
    w('Renewal targets are judged on the medians of the tables above. "Idle RSS" is judged '
      'on VmRSS 20 s after start with no dialog opened yet; the idle RSS after the renewals '
      'is in the same row. "No growth" allows +%.1f MiB VmRSS from after the first renewal '
      'to after the last: the first dialog\'s fonts, theme, icons and GtkBuilder template '
      'are a one-time cost, reported beside it, not growth.' % TARGET_RSS_GROWTH_MIB)
    w('')
    RESULTS.write_text('\n'.join(L) + '\n')


# --------------------------------------------------------------------------

def pick_inclusive(rows):
    interesting = re.compile(
        r'^(main|renew|run_default|find_long_term|botomfa_\w+|sts_call|secret_\w+_sync|'
        r'curl_easy_perform|curl_global_init|g_settings_new\w*|g_settings_schema_source_'
        r'get_default|SSL_CTX_load_verify_locations|SSL_CTX_new|OPENSSL_init_ssl|'
        r'gtk_init\w*|gtk_application_\w+|app_indicator_new\w*|_dl_start|_dl_start_final|'
        r'_dl_relocate_object|dl_main|_dl_map_object_deps|_dl_init|'
        r'g_application_run|g_type_init\w*|gtk_widget_init_template|g_bus_get_sync|'
        r'gdk_display_open|pango_\w+_new|gtk_icon_theme_\w+|'
        r'botomfa_application_startup|botomfa_indicator_new|botomfa_session_\w+)$')
    seen = set()
    out = []
    for ir, func, lib in rows:
        if interesting.match(func) and func not in seen:
            seen.add(func)
            out.append((ir, func, lib))
    return out[:24]


def main():
    started = datetime.now(timezone.utc)
    t_start = time.monotonic()
    load_start = loadavg()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    info = {'started': started.strftime('%Y-%m-%d %H:%M'), 'load_start': load_start,
            'machine': machine(), 'versions': versions(), 'source': source_state()}
    log('load average at start:', ' '.join(load_start))

    base_env = dict(os.environ)
    base_env.update({
        'GSETTINGS_SCHEMA_DIR': str(BUILD / 'data'),
        'LANGUAGE': 'C', 'LC_ALL': 'C.UTF-8',
    })

    http = sts_server(tls=False)
    https = sts_server(tls=True)
    desk = None
    try:
        clients, info['renewal'] = renewal_benchmark([('http', http), ('https', https)],
                                                     base_env)

        desk = Desktop(https, base_env)
        desk.cli('--force', '--duration', '7200', stdin=CODE + '\n')
        phase('applet: %d starts' % STARTS)
        starts = applet_starts(desk, STARTS)
        phase('applet: %d renewals' % RENEWALS)
        renewals = applet_renewals(desk, RENEWALS)
        idle = applet_idle(desk)
        info['applet'] = {'starts': starts, 'renewals': renewals, 'idle': idle,
                          'maps': renewals.pop('maps')}

        if PROFILE:
            profiles = []
            for c in clients[:2]:
                phase('profile: botomfa renewal over %s' % c.name)
                path = profile_cli(c, c.name)
                total, self_rows = annotate(path, False)
                _, incl_rows = annotate(path, True)
                profiles.append(('botomfa --force, one renewal over %s' % c.name.upper(),
                                 (total, self_rows, pick_inclusive(incl_rows))))
            phase('profile: applet start')
            desk.cli('--force', '--duration', '7200', stdin=CODE + '\n')
            path, dt = profile_applet(desk)
            total, self_rows = annotate(path, False)
            _, incl_rows = annotate(path, True)
            profiles.append(('botomfa-tray, exec to tray registration (%.1f s under valgrind)'
                             % dt, (total, self_rows, pick_inclusive(incl_rows))))
            info['profiles'] = profiles
    finally:
        if desk is not None:
            desk.close()
        http.stop()
        https.stop()

    info['load_end'] = loadavg()
    info['elapsed'] = time.monotonic() - t_start
    log('load average at end:', ' '.join(info['load_end']))
    write_report(info)
    log('wrote', RESULTS)


if __name__ == '__main__':
    main()
