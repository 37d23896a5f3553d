# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for botomfa's Python integration tests.

    from botomfatest import StsServer, ACCESS_KEY_ID, SECRET_ACCESS_KEY

    with StsServer(tls=True) as sts:
        sts.control(fault='status500', count=2)
        ...  # point botomfa (or boto3) at sts.url, trusting sts.ca_file
        assert [r['status'] for r in sts.requests()] == [500, 500, 200]

StsServer runs tests/sts-server.py in a subprocess on 127.0.0.1 with a random
port. Everything it needs (the sample bodies, the certificate) comes from the
source tree or a private temporary directory.
"""

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import ssl
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
SERVER = TESTS_DIR / 'sts-server.py'
PYTHON = '/usr/bin/python3'     # Debian's, which has botocore
BOTOMFA = os.environ.get('BOTOMFA_CLI', 'build/src/cli/botomfa')

# The server's default test identity (tests/sts-server.py DEFAULT_CONFIG).
REGION = 'us-east-1'
ACCOUNT = '123456789012'
USER = 'alice'
USER_ARN = 'arn:aws:iam::123456789012:user/alice'
USER_ID = 'AIDACKCEVSQ6C2EXAMPLE'
ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
MFA_SERIAL = 'arn:aws:iam::123456789012:mfa/alice'
MFA_CODES = ('123456', '654321', '111111', '222222', '333333')
STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/'
API_VERSION = '2011-06-15'


def wait_for(predicate, timeout=10, interval=0.1, what='condition'):
    """Polls predicate() until it returns something true, and returns that;
    AssertionError (a test failure) after `timeout` seconds. `what` may be
    a function: it then says what was seen when the time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % (what() if callable(what) else what))
        time.sleep(interval)


def stop_process(process, timeout=10, terminate=True):
    """Ends `process`: SIGTERM (unless `terminate` is false: it was already
    asked to quit), then SIGKILL if it has not exited within `timeout`
    seconds. Returns its exit status."""
    if process.poll() is None:
        if terminate:
            process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class CliTestCase(unittest.TestCase):
    """A test of the `botomfa` command against the test STS server: both
    targets in a private folder (self.boto, self.aws, not created), the
    long-term key stored, self.env to run it in. SERVER_CONFIG goes to the
    server, started once for the class."""
    SERVER_CONFIG = None
    PREFIX = 'botomfa-cli-'

    @classmethod
    def setUpClass(cls):
        cls.server = StsServer(config=cls.SERVER_CONFIG, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.server.reset(everything=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=self.PREFIX))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.boto = self.tmp / 'boto'
        self.aws = self.tmp / 'aws' / 'credentials'
        self.aws.parent.mkdir()
        self.env = dict(os.environ, BOTO_CONFIG=str(self.boto),
                        AWS_SHARED_CREDENTIALS_FILE=str(self.aws),
                        AWS_ENDPOINT_URL_STS=self.server.url, AWS_ACT_NUM=ACCOUNT,
                        MFA_USER='alice', LANGUAGE='C', LC_ALL='C.UTF-8')
        r = subprocess.run([BOTOMFA, '--set-long-term'], capture_output=True, text=True,
                           input='%s\n%s\n' % (ACCESS_KEY_ID, SECRET_ACCESS_KEY), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.reset()


def keyring_items(profile):
    """Our keyring items for `profile` as [(attributes, secret)], read with
    libsecret's Python binding: an independent reader of what the C code
    stored."""
    import gi
    gi.require_version('Secret', '1')
    from gi.repository import Secret
    schema = Secret.Schema.new('io.github.botomfa.LongTermKey', Secret.SchemaFlags.NONE,
                               {'profile': Secret.SchemaAttributeType.STRING,
                                'access-key-id': Secret.SchemaAttributeType.STRING})
    items = Secret.password_search_sync(
        schema, {'profile': profile},
        Secret.SearchFlags.ALL | Secret.SearchFlags.LOAD_SECRETS | Secret.SearchFlags.UNLOCK,
        None)
    return [(dict(item.get_attributes()), item.retrieve_secret_sync(None).get_text())
            for item in items]


def make_certificate(directory):
    """A self-signed certificate valid for 127.0.0.1 and localhost."""
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-subj', '/CN=localhost',
         '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
         '-days', '2', '-keyout', key, '-out', cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


class StsServer:
    """The test STS server as a context manager.

    tls:     serve HTTPS with a fresh self-signed certificate (.ca_file).
    config:  dict of overrides for the server's identity and behaviour
             (keys of DEFAULT_CONFIG in sts-server.py, e.g. codes, any_code,
             session_duration_cap, expiration_millis, clock_offset).
    region:  the only signing region the server accepts.
    stderr:  where the server's log goes (default: inherited, so it shows
             up in the test's own log; pass subprocess.DEVNULL to hide it).
    """

    def __init__(self, tls=False, config=None, region=REGION, stderr=None,
                 start_timeout=20):
        self.tls = tls
        self.region = region
        self._tmp = tempfile.TemporaryDirectory(prefix='botomfa-sts-')
        self.ca_file = None
        self._clients = []
        args = [PYTHON, str(SERVER), '--port', '0', '--region', region]
        if tls:
            self.ca_file, key = make_certificate(self._tmp.name)
            args += ['--tls-cert', self.ca_file, '--tls-key', key]
        if config:
            path = os.path.join(self._tmp.name, 'config.json')
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(config, f)
            args += ['--config', path]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=stderr)
        try:
            self.port = self._read_port(start_timeout)
        except BaseException:
            self.stop()
            raise
        scheme = 'https' if tls else 'http'
        self.url = '%s://127.0.0.1:%d' % (scheme, self.port)
        self._ssl_context = None
        if tls:
            self._ssl_context = ssl.create_default_context(
                cafile=self.ca_file)

    def _read_port(self, timeout):
        # Read byte by byte with a deadline: a server that dies or wedges
        # before printing must fail the test, not hang it.
        deadline = time.monotonic() + timeout
        line = b''
        fd = self.process.stdout.fileno()
        while not line.endswith(b'\n'):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError('sts-server did not report its port')
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1)
                if not chunk:
                    raise RuntimeError('sts-server exited with status %s'
                                       % self.process.wait())
                line += chunk
        words = line.decode().split()
        if len(words) != 2 or words[0] != 'PORT':
            raise RuntimeError('unexpected first line %r' % line)
        return int(words[1])

    # --- control plane ---------------------------------------------------

    def _call(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=10,
                                        context=self._ssl_context) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise RuntimeError('sts-server %s %s: %s'
                               % (method, path, e.read().decode())) from None

    def control(self, **kwargs):
        """POST /_control, e.g. control(fault='hang'),
        control(fault='delay', seconds=3, count=-1), control(clock_offset=
        -3600), control(any_code=True), control(codes=['999999']),
        control(faults=[{'fault': 'status503'}, {'fault': 'throttle'}]).
        Returns the server's settings summary."""
        return self._call('POST', '/_control', kwargs)

    def fault(self, name, count=1, **params):
        """Shortcut: the next `count` STS requests get fault `name`."""
        return self.control(fault=name, count=count, **params)

    def settings(self):
        return self._call('GET', '/_control')

    def requests(self):
        """The log of STS requests, oldest first (secrets redacted)."""
        return self._call('GET', '/_requests')

    def actions(self):
        """[(action, status), ...] from the request log."""
        return [(r['action'], r['status']) for r in self.requests()]

    def reset(self, everything=False):
        """Clear the log, pending faults and the clock offset; with
        everything=True also restore MFA codes and drop issued credentials."""
        return self._call('POST', '/_reset', {'all': everything})

    def expire_all(self):
        """Make every issued temporary credential expired."""
        return self._call('POST', '/_expire', {})

    def expire(self, access_key_id):
        return self._call('POST', '/_expire',
                          {'access_key_id': access_key_id})

    # --- clients ---------------------------------------------------------

    def boto3_client(self, access_key_id=ACCESS_KEY_ID,
                     secret_access_key=SECRET_ACCESS_KEY, session_token=None,
                     **config_kwargs):
        """A boto3 STS client for this server (retries off by default)."""
        import boto3
        from botocore.config import Config
        # total_max_attempts counts the first try (max_attempts does not).
        config_kwargs.setdefault('retries', {'total_max_attempts': 1,
                                             'mode': 'standard'})
        client = boto3.client(
            'sts', endpoint_url=self.url, region_name=self.region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token,
            verify=self.ca_file if self.tls else None,
            config=Config(**config_kwargs))
        # Closed by stop(), so tests need not track their clients.
        self._clients.append(client)
        return client

    def aws_env(self, directory, access_key_id=ACCESS_KEY_ID,
                secret_access_key=SECRET_ACCESS_KEY, session_token=None):
        """Environment for /usr/bin/aws that sees nothing of the real
        user's configuration; `directory` holds the empty config files."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('AWS_')}
        config = os.path.join(directory, 'aws-config')
        creds = os.path.join(directory, 'aws-credentials')
        for path in (config, creds):
            open(path, 'a').close()
        env.update({
            'AWS_CONFIG_FILE': config,
            'AWS_SHARED_CREDENTIALS_FILE': creds,
            'AWS_DEFAULT_REGION': self.region,
            'AWS_ACCESS_KEY_ID': access_key_id,
            'AWS_SECRET_ACCESS_KEY': secret_access_key,
            'AWS_EC2_METADATA_DISABLED': 'true',
            'AWS_PAGER': '',
            'HOME': directory,
        })
        if session_token:
            env['AWS_SESSION_TOKEN'] = session_token
        if self.tls:
            env['AWS_CA_BUNDLE'] = self.ca_file
        return env

    # --- lifetime --------------------------------------------------------

    def stop(self):
        """SIGTERM, then SIGKILL if the server does not exit in time.
        Returns the exit status."""
        for client in self._clients:
            client.close()
        self._clients = []
        stop_process(self.process)
        if self.process.stdout:
            self.process.stdout.close()
        self._tmp.cleanup()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
