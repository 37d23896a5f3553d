#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proves that tests/sts-server.py behaves like AWS STS where it claims to.

Real AWS clients (boto3/botocore and the aws CLI, as packaged by Debian) are
the judges: if they accept the server's answers and reject what AWS would
reject, botomfa's own tests against this server mean something. Raw requests
(signed with botocore, sent with http.client or a bare socket) check the wire
format and the misbehaviour modes byte by byte.

Run: /usr/bin/python3 tests/test-sts-server.py
"""

import datetime
import email.utils
import hashlib
import http.client
import json
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import botocore.exceptions  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from botomfatest import (  # noqa: E402
    ACCESS_KEY_ID, ACCOUNT, API_VERSION, MFA_CODES, MFA_SERIAL, REGION,
    SECRET_ACCESS_KEY, STS_NAMESPACE, USER_ARN, USER_ID, StsServer)

DATA = Path(__file__).resolve().parent / 'data' / 'sts'
NS = {'sts': STS_NAMESPACE}
UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


def sample(name):
    return (DATA / name).read_bytes()


def sample_message(name):
    return re.search(rb'<Message>(.*?)</Message>', sample(name)).group(1) \
        .decode()


def with_request_id(body, request_id):
    return re.sub(rb'<RequestId>[^<]*</RequestId>',
                  b'<RequestId>' + request_id.encode() + b'</RequestId>',
                  body)


class Raw:
    """A botocore-signed request sent with http.client, for wire checks."""

    def __init__(self, server):
        self.server = server

    def sign(self, params=None, body=None, key=ACCESS_KEY_ID,
             secret=SECRET_ACCESS_KEY, token=None, region=REGION,
             method='POST', path='/', extra_headers=None, at=None):
        if body is None:
            body = urlencode(params or {}).encode()
        request = AWSRequest(method=method, url=self.server.url + path,
                             data=body, headers={
            'Content-Type': 'application/x-www-form-urlencoded; '
                            'charset=utf-8',
            'Host': '127.0.0.1:%d' % self.server.port,
            **(extra_headers or {})})
        signer = SigV4Auth(Credentials(key, secret, token), 'sts', region)
        if at is None:
            signer.add_auth(request)
        else:
            # add_auth() always signs "now"; these are its steps with a
            # chosen timestamp.
            request.context['timestamp'] = time.strftime(
                '%Y%m%dT%H%M%SZ', time.gmtime(at))
            signer._modify_request_before_signing(request)
            canonical = signer.canonical_request(request)
            signer._inject_signature_to_request(request, signer.signature(
                signer.string_to_sign(request, canonical), request))
        return request

    def connection(self, timeout=10):
        if self.server.tls:
            context = ssl.create_default_context(cafile=self.server.ca_file)
            return http.client.HTTPSConnection('127.0.0.1', self.server.port,
                                               timeout=timeout,
                                               context=context)
        return http.client.HTTPConnection('127.0.0.1', self.server.port,
                                          timeout=timeout)

    def send(self, request, body=None, timeout=10, headers=None):
        """Returns (status, headers, body)."""
        conn = self.connection(timeout)
        try:
            all_headers = dict(request.headers.items())
            all_headers.update(headers or {})
            conn.request(request.method, request.url.split(
                str(self.server.port), 1)[1] or '/',
                body=request.body if body is None else body,
                headers=all_headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def call(self, params, **kwargs):
        return self.send(self.sign(params, **kwargs))


def gst_params(code='123456', serial=MFA_SERIAL, duration=None):
    params = {'Action': 'GetSessionToken', 'Version': API_VERSION}
    if serial is not None:
        params['SerialNumber'] = serial
    if code is not None:
        params['TokenCode'] = code
    if duration is not None:
        params['DurationSeconds'] = str(duration)
    return params


GCI = {'Action': 'GetCallerIdentity', 'Version': API_VERSION}


def error_of(body):
    """(Code, Message) of an error body, whatever its namespace."""
    root = ET.fromstring(body)
    return (root.find('{*}Error/{*}Code').text,
            root.find('{*}Error/{*}Message').text)


class ServerTestCase(unittest.TestCase):
    """One shared plain-HTTP server, fully reset before each test."""

    @classmethod
    def setUpClass(cls):
        cls.server = StsServer(stderr=subprocess.DEVNULL)
        cls.raw = Raw(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.server.reset(everything=True)

    def client(self, **kwargs):
        return self.server.boto3_client(**kwargs)

    def session(self, code='123456', **kwargs):
        return self.client().get_session_token(
            SerialNumber=MFA_SERIAL, TokenCode=code, **kwargs)['Credentials']

    def temp_client(self, creds, **kwargs):
        return self.client(access_key_id=creds['AccessKeyId'],
                           secret_access_key=creds['SecretAccessKey'],
                           session_token=creds['SessionToken'], **kwargs)

    def assertClientError(self, call, code, message=None, status=None):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call()
        error = cm.exception.response['Error']
        self.assertEqual(error['Code'], code)
        if message is not None:
            self.assertEqual(error['Message'], message)
        if status is not None:
            self.assertEqual(cm.exception.response['ResponseMetadata']
                             ['HTTPStatusCode'], status)
        return cm.exception


class TestHonestSts(ServerTestCase):

    def test_session_token_then_caller_identity(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        creds = self.session(DurationSeconds=3600)
        self.assertRegex(creds['AccessKeyId'], r'^ASIA[A-Z0-9]{16}$')
        self.assertEqual(len(creds['SecretAccessKey']), 40)
        self.assertGreater(len(creds['SessionToken']), 300)
        self.assertRegex(creds['SessionToken'], r'^[A-Za-z0-9+/]+=*$')
        expected = before + datetime.timedelta(seconds=3600)
        self.assertLess(abs((creds['Expiration'] - expected)
                            .total_seconds()), 5)

        identity = self.temp_client(creds).get_caller_identity()
        self.assertEqual(identity['Arn'], USER_ARN)
        self.assertEqual(identity['Account'], ACCOUNT)
        self.assertEqual(identity['UserId'], USER_ID)
        # Long-term keys see the same identity.
        self.assertEqual(self.client().get_caller_identity()['Arn'], USER_ARN)

        log = self.server.requests()
        self.assertEqual([(r['action'], r['status'], r['key_type'],
                           r['signature_ok']) for r in log],
                         [('GetSessionToken', 200, 'long-term', True),
                          ('GetCallerIdentity', 200, 'temporary', True),
                          ('GetCallerIdentity', 200, 'long-term', True)])
        self.assertEqual(log[0]['issued_access_key_id'], creds['AccessKeyId'])
        self.assertTrue(log[0]['mfa'])
        self.assertEqual(log[0]['duration_seconds'], 3600)

    def test_default_duration_is_12_hours(self):
        creds = self.session()
        left = creds['Expiration'] - datetime.datetime.now(
            datetime.timezone.utc)
        self.assertLess(abs(left.total_seconds() - 43200), 5)

    def test_success_body_has_the_sample_layout(self):
        status, headers, body = self.raw.call(gst_params())
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Type'], 'text/xml')
        self.assertEqual(int(headers['Content-Length']), len(body))
        self.assertIsNone(headers['Server'])
        request_id = headers['x-amzn-RequestId']
        self.assertRegex(request_id, '^' + UUID_RE + '$')

        # Blank out the variable parts of both: what is left must be equal.
        def skeleton(text):
            for name in ('SessionToken', 'SecretAccessKey', 'Expiration',
                         'AccessKeyId', 'RequestId'):
                text = re.sub(rb'<%s>.*?</%s>' % (name.encode(),
                                                  name.encode()),
                              b'<' + name.encode() + b'/>', text, flags=re.S)
            return text
        self.assertEqual(skeleton(body),
                         skeleton(sample('GetSessionTokenResponse.xml')))
        root = ET.fromstring(body)
        self.assertEqual(root.find('sts:ResponseMetadata/sts:RequestId',
                                   NS).text, request_id)
        expiration = root.find('sts:GetSessionTokenResult/sts:Credentials/'
                               'sts:Expiration', NS).text
        self.assertRegex(expiration,
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

        status, headers, body = self.raw.call(GCI)
        self.assertEqual(status, 200)
        expected = sample('GetCallerIdentityResponse.moto-template.xml')
        for name, value in (('Arn', USER_ARN), ('UserId', USER_ID),
                            ('Account', ACCOUNT)):
            expected = re.sub(rb'<%s>.*?</%s>' % (name.encode(),
                                                  name.encode()),
                              b'<%s>%s</%s>' % (name.encode(),
                                                value.encode(),
                                                name.encode()), expected)
        self.assertEqual(body, with_request_id(expected,
                                               headers['x-amzn-RequestId']))

    def test_error_body_is_byte_exact_sample(self):
        # The wire capture of InvalidClientTokenId was 305 bytes; ours must
        # be identical except for the RequestId (same length).
        status, headers, body = self.raw.call(
            GCI, key='AKIAUNKNOWNKEY000000', secret='x' * 40)
        self.assertEqual(status, 403)
        self.assertEqual(headers['Content-Type'], 'text/xml')
        self.assertEqual(headers['Content-Length'], '305')
        self.assertEqual(body, with_request_id(
            sample('ErrorResponse-InvalidClientTokenId.xml'),
            headers['x-amzn-RequestId']))

    def test_wrong_secret_is_signature_mismatch(self):
        self.assertClientError(
            lambda: self.client(secret_access_key='x' * 40)
            .get_caller_identity(),
            'SignatureDoesNotMatch',
            sample_message('ErrorResponse-SignatureDoesNotMatch.assembled.xml'),
            403)
        self.assertFalse(self.server.requests()[0]['signature_ok'])

    def test_tampered_body_is_rejected(self):
        request = self.raw.sign(gst_params(duration=900))
        status, _, _ = self.raw.send(request)
        self.assertEqual(status, 200)
        # Same signature, one byte of the body changed: 900 -> 990.
        request = self.raw.sign(gst_params(code='654321', duration=900))
        tampered = request.body.replace(b'DurationSeconds=900',
                                        b'DurationSeconds=990')
        self.assertNotEqual(tampered, request.body)
        status, _, body = self.raw.send(request, body=tampered)
        self.assertEqual(status, 403)
        self.assertEqual(error_of(body)[0], 'SignatureDoesNotMatch')
        # The untouched request still works, so the code was not consumed.
        self.assertEqual(self.raw.send(request)[0], 200)

    def test_tampered_signed_header_and_payload_hash(self):
        request = self.raw.sign(GCI, extra_headers={
            'X-Amz-Content-SHA256': hashlib.sha256(
                urlencode(GCI).encode()).hexdigest()})
        self.assertEqual(self.raw.send(request)[0], 200)
        # Body changed but the (signed) payload hash left as it was.
        status, _, body = self.raw.send(
            request, body=request.body.replace(b'2011', b'2012'))
        self.assertEqual(status, 403)
        status, _, _ = self.raw.send(request, headers={
            'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(status, 403)

    def test_reused_and_wrong_mfa_codes(self):
        self.session('111111')
        invalid = sample_message(
            'ErrorResponse-AccessDenied-invalid-MFA-code.assembled.xml')
        self.assertEqual(invalid, 'MultiFactorAuthentication failed with '
                                  'invalid MFA one time pass code.')
        self.assertClientError(lambda: self.session('111111'),
                               'AccessDenied', invalid, 403)
        self.assertClientError(lambda: self.session('999999'),
                               'AccessDenied', invalid, 403)
        self.assertClientError(
            lambda: self.client().get_session_token(
                SerialNumber='arn:aws:iam::123456789012:mfa/bob',
                TokenCode='222222'),
            'AccessDenied', sample_message(
                'ErrorResponse-AccessDenied-MFA-serial-not-valid'
                '.assembled.xml'), 403)
        # A failed attempt with a wrong serial must not burn the code.
        self.session('222222')
        # The raw error body follows the envelope exactly.
        status, headers, body = self.raw.call(gst_params('111111'))
        self.assertEqual(body, with_request_id(
            sample('ErrorResponse-AccessDenied-invalid-MFA-code'
                   '.assembled.xml'), headers['x-amzn-RequestId']))

    def test_duration_out_of_range(self):
        client = self.client(parameter_validation=False)
        for value, bound in ((899, 'greater than or equal to 900'),
                             (129601, 'less than or equal to 129600'),
                             (0, 'greater than or equal to 900')):
            self.assertClientError(
                lambda: client.get_session_token(
                    SerialNumber=MFA_SERIAL, TokenCode='123456',
                    DurationSeconds=value),
                'ValidationError',
                "1 validation error detected: Value '%d' at "
                "'durationSeconds' failed to satisfy constraint: Member must"
                " have value %s" % (value, bound), 400)
        for value, code in ((900, MFA_CODES[0]), (129600, MFA_CODES[1])):
            client.get_session_token(SerialNumber=MFA_SERIAL, TokenCode=code,
                                     DurationSeconds=value)

    def test_token_code_must_be_six_digits(self):
        client = self.client(parameter_validation=False)
        self.assertClientError(
            lambda: client.get_session_token(SerialNumber=MFA_SERIAL,
                                             TokenCode='12345'),
            'ValidationError',
            "1 validation error detected: Value '12345' at 'tokenCode' failed"
            " to satisfy constraint: Member must have length greater than or"
            " equal to 6", 400)
        self.assertClientError(
            lambda: client.get_session_token(SerialNumber=MFA_SERIAL,
                                             TokenCode='12a456'),
            'ValidationError',
            "1 validation error detected: Value '12a456' at 'tokenCode' "
            "failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [\\d]*", 400)
        self.assertClientError(
            lambda: client.get_session_token(SerialNumber=MFA_SERIAL,
                                             TokenCode='abc',
                                             DurationSeconds=5),
            'ValidationError',
            "3 validation errors detected: Value '5' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value greater "
            "than or equal to 900; Value 'abc' at 'tokenCode' failed to "
            "satisfy constraint: Member must satisfy regular expression "
            "pattern: [\\d]*; Value 'abc' at 'tokenCode' failed to satisfy "
            "constraint: Member must have length greater than or equal to 6",
            400)

    def test_duration_number_syntax(self):
        for text, code in (('', 'MalformedInput'), ('abc', 'MalformedInput'),
                           ('900.0', 'MalformedInput'),
                           ('2147483648', 'MalformedInput'),
                           ('2147483647', 'ValidationError'),
                           ('-1', 'ValidationError')):
            status, _, body = self.raw.call(gst_params(
                code='123456', duration=text))
            self.assertEqual((status, error_of(body)[0]), (400, code), text)
        self.assertEqual(error_of(self.raw.call(gst_params(duration=''))[2]),
                         ('MalformedInput', 'missing value for decimal type'))
        for text, code in (('+900', '123456'), ('0900', '654321')):
            status, _, body = self.raw.call(gst_params(code=code,
                                                       duration=text))
            self.assertEqual(status, 200, text)

    def test_temporary_key_without_or_with_wrong_token(self):
        creds = self.session()
        invalid = sample_message('ErrorResponse-InvalidClientTokenId.xml')
        no_token = dict(creds, SessionToken=None)
        self.assertClientError(
            lambda: self.temp_client(no_token).get_caller_identity(),
            'InvalidClientTokenId', invalid, 403)
        wrong = dict(creds, SessionToken=creds['SessionToken'][:-4] + 'AAA=')
        self.assertClientError(
            lambda: self.temp_client(wrong).get_caller_identity(),
            'InvalidClientTokenId', invalid, 403)
        # A long-term key with a session token is just as invalid.
        self.assertClientError(
            lambda: self.client(session_token=creds['SessionToken'])
            .get_caller_identity(), 'InvalidClientTokenId', invalid, 403)
        self.temp_client(creds).get_caller_identity()

    def test_unsigned_security_token_header_is_accepted(self):
        # botomfa's signer can add X-Amz-Security-Token after signing.
        creds = self.session()
        request = self.raw.sign(GCI, key=creds['AccessKeyId'],
                                secret=creds['SecretAccessKey'])
        self.assertNotIn('x-amz-security-token',
                         request.headers['Authorization'])
        status, _, _ = self.raw.send(request, headers={
            'X-Amz-Security-Token': creds['SessionToken']})
        self.assertEqual(status, 200)
        log = self.server.requests()[-1]
        self.assertTrue(log['security_token_present'])
        self.assertFalse(log['security_token_signed'])

    def test_expired_credentials(self):
        creds = self.session()
        client = self.temp_client(creds)
        client.get_caller_identity()
        self.server.expire_all()
        self.assertClientError(
            client.get_caller_identity, 'ExpiredToken',
            sample_message('ErrorResponse-ExpiredToken.assembled.xml'), 403)
        status, headers, body = self.raw.call(
            GCI, key=creds['AccessKeyId'], secret=creds['SecretAccessKey'],
            token=creds['SessionToken'])
        self.assertEqual(body, with_request_id(
            sample('ErrorResponse-ExpiredToken.assembled.xml'),
            headers['x-amzn-RequestId']))

    def test_credentials_expire_with_the_clock(self):
        creds = self.session(DurationSeconds=900)
        keys = dict(key=creds['AccessKeyId'], secret=creds['SecretAccessKey'],
                    token=creds['SessionToken'])
        # Move the server's clock and sign at the same moved time, so only
        # the credentials' lifetime decides.
        self.server.control(clock_offset=890)
        self.assertEqual(self.raw.call(GCI, at=time.time() + 890, **keys)[0],
                         200)
        self.server.control(clock_offset=910)
        status, _, body = self.raw.call(GCI, at=time.time() + 910, **keys)
        self.assertEqual((status, error_of(body)[0]), (403, 'ExpiredToken'))

    def test_session_credentials_cannot_get_session_token(self):
        creds = self.session()
        self.assertClientError(
            lambda: self.temp_client(creds).get_session_token(
                SerialNumber=MFA_SERIAL, TokenCode='654321'),
            'AccessDenied',
            'Cannot call GetSessionToken with session credentials', 403)

    def test_unknown_action_and_version(self):
        status, _, body = self.raw.call({'Action': 'FooBar',
                                         'Version': API_VERSION})
        self.assertEqual(status, 400)
        self.assertEqual(error_of(body), (
            'InvalidAction',
            'Could not find operation FooBar for version 2011-06-15'))
        status, _, body = self.raw.call({'Action': 'GetCallerIdentity',
                                         'Version': '2011-06-16'})
        self.assertEqual((status, error_of(body)[0]), (400, 'InvalidAction'))
        # Real STS answers InvalidAction in the AWSFault namespace.
        self.assertTrue(body.startswith(
            b'<ErrorResponse xmlns="http://webservices.amazon.com/AWSFault/'
            b'2005-15-09">\n  <Error>\n    <Type>Sender</Type>\n'), body)
        status, _, body = self.raw.call({'Action': 'GetCallerIdentity'})
        self.assertEqual(error_of(body)[1], 'Could not find operation '
                         'GetCallerIdentity for version NO_VERSION_SPECIFIED')
        status, _, body = self.raw.call({'Action': 'GetCallerIdentity',
                                         'Version': ''})
        self.assertEqual(error_of(body)[1], 'Could not find operation '
                         'GetCallerIdentity for version ')

    def test_missing_action_redirects_like_sts(self):
        status, headers, body = self.raw.call({'Version': API_VERSION})
        self.assertEqual((status, body), (302, b''))
        self.assertEqual(headers['Location'], 'https://aws.amazon.com/iam')
        self.assertIsNotNone(headers['x-amzn-RequestId'])
        # A body that is not declared form-encoded is ignored.
        request = self.raw.sign(GCI)
        status, _, _ = self.raw.send(request, headers={
            'Content-Type': 'text/plain'})
        self.assertEqual(status, 302)
        status, headers, _ = self.raw.send(self.raw.sign(
            body=b'', method='GET', path='/?Version=2011-06-15'))
        self.assertEqual(headers['Location'],
                         'https://aws.amazon.com/iam?Version=2011-06-15')

    def test_repeated_parameters_first_wins(self):
        body = urlencode([('Action', 'GetCallerIdentity'),
                          ('Action', 'NoSuchAction'),
                          ('Version', API_VERSION), ('Version', '2000-01-01'),
                          ('Unknown', 'value')]).encode()
        self.assertEqual(self.raw.send(self.raw.sign(body=body))[0], 200)
        body = urlencode([('Action', 'NoSuchAction'),
                          ('Action', 'GetCallerIdentity'),
                          ('Version', API_VERSION)]).encode()
        self.assertEqual(error_of(self.raw.send(self.raw.sign(
            body=body))[2])[0], 'InvalidAction')

    def test_get_with_query_parameters(self):
        status, _, body = self.raw.send(self.raw.sign(
            body=b'', method='GET', path='/?' + urlencode(GCI)))
        self.assertEqual(status, 200, body)

    def test_missing_and_garbled_authorization(self):
        conn = self.raw.connection()
        conn.request('POST', '/', body=urlencode(GCI), headers={
            'Content-Type': 'application/x-www-form-urlencoded'})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        self.assertEqual(response.status, 403)
        self.assertEqual(error_of(body), (
            'MissingAuthenticationToken',
            'Request is missing Authentication Token'))

        request = self.raw.sign(GCI)
        good = request.headers['Authorization']
        for garbled in ('Bearer abc', good.replace('Credential=',
                                                   'Credential= '),
                        good.split(', Signature=')[0],
                        good.replace('/aws4_request', '')):
            status, _, body = self.raw.send(request, headers={
                'Authorization': garbled})
            self.assertEqual((status, error_of(body)[0]),
                             (400, 'IncompleteSignature'), garbled)
        status, _, body = self.raw.send(request, headers={
            'Authorization': good.replace('/us-east-1/', '/eu-west-1/')})
        self.assertEqual((status, error_of(body)), (
            403, ('SignatureDoesNotMatch',
                  'Credential should be scoped to a valid region. ')))

    def test_wrong_signing_region(self):
        status, _, body = self.raw.call(GCI, region='eu-west-1')
        self.assertEqual((status, error_of(body)), (
            403, ('SignatureDoesNotMatch',
                  'Credential should be scoped to a valid region. ')))

    def test_clock_skew(self):
        for offset, words in ((3600, 'Signature expired: '),
                              (-3600, 'Signature not yet current: ')):
            self.server.control(clock_offset=offset)
            status, headers, body = self.raw.call(GCI)
            code, message = error_of(body)
            self.assertEqual((status, code), (403, 'SignatureDoesNotMatch'))
            self.assertTrue(message.startswith(words), message)
            # The Date header shows the server's (offset) clock, and the
            # message's "now" agrees with it.
            server_now = email.utils.parsedate_to_datetime(headers['Date'])
            skew = (server_now - datetime.datetime.now(
                datetime.timezone.utc)).total_seconds()
            self.assertLess(abs(skew - offset), 5)
            stamps = re.findall(r'\d{8}T\d{6}Z', message)
            self.assertEqual(len(stamps), 3)
            now = datetime.datetime.strptime(stamps[2], '%Y%m%dT%H%M%SZ') \
                .replace(tzinfo=datetime.timezone.utc)
            bound = datetime.datetime.strptime(stamps[1], '%Y%m%dT%H%M%SZ') \
                .replace(tzinfo=datetime.timezone.utc)
            self.assertLess(abs((now - server_now).total_seconds()), 2)
            self.assertEqual((bound - now).total_seconds(),
                             -900 if offset > 0 else 900)
            sign = '-' if offset > 0 else '+'
            self.assertTrue(message.endswith(' %s 15 min.)' % sign))
        # Within 15 minutes, requests are fine.
        self.server.control(clock_offset=600)
        self.assertEqual(self.raw.call(GCI)[0], 200)
        # The clock_skew fault is an alias for clock_offset.
        self.server.fault('clock_skew', seconds=-1200)
        self.assertEqual(self.server.settings()['settings']['clock_offset'],
                         -1200)
        self.assertEqual(self.raw.call(GCI)[0], 403)
        self.server.reset()
        self.assertEqual(self.raw.call(GCI)[0], 200)

    def test_session_duration_cap_and_millis(self):
        self.server.control(session_duration_cap=3600, expiration_millis=True)
        status, _, body = self.raw.call(gst_params(duration=43200))
        self.assertEqual(status, 200)
        expiration = ET.fromstring(body).find(
            'sts:GetSessionTokenResult/sts:Credentials/sts:Expiration',
            NS).text
        self.assertRegex(expiration,
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
        when = datetime.datetime.strptime(expiration, '%Y-%m-%dT%H:%M:%S.%fZ')
        left = when - datetime.datetime.utcnow()
        self.assertLess(abs(left.total_seconds() - 3600), 5)
        # botocore parses the millisecond form too.
        creds = self.session('654321')
        self.assertEqual(creds['Expiration'].tzinfo is not None, True)

    def test_any_code_and_custom_codes(self):
        self.server.control(any_code=True)
        for _ in range(3):
            self.session('000042')
        self.server.control(any_code=False, codes=['424242'])
        self.assertClientError(lambda: self.session('123456'),
                               'AccessDenied')
        self.session('424242')
        self.assertClientError(lambda: self.session('424242'),
                               'AccessDenied')

    def test_no_mfa_is_allowed_but_logged(self):
        # Like AWS: no SerialNumber/TokenCode gives non-MFA credentials.
        self.client().get_session_token()
        self.assertFalse(self.server.requests()[0]['mfa'])

    def test_presigned_get_caller_identity(self):
        # The HTTP method is signed: a GET URL (as EKS tokens use).
        url = self.client().generate_presigned_url('get_caller_identity',
                                                   HttpMethod='GET')
        conn = self.raw.connection()
        conn.request('GET', url.split(str(self.server.port), 1)[1])
        response = conn.getresponse()
        body = response.read()
        conn.close()
        self.assertEqual(response.status, 200, body)
        self.assertIn(USER_ARN.encode(), body)

    def test_log_redacts_secrets(self):
        creds = self.session('654321')
        self.temp_client(creds).get_caller_identity()
        text = json.dumps(self.server.requests())
        for secret in (SECRET_ACCESS_KEY, creds['SecretAccessKey'],
                       creds['SessionToken'], '654321'):
            self.assertNotIn(secret, text)
        self.assertIn('"TokenCode": "REDACTED"', text)

    def test_robust_against_bad_input(self):
        def raw_bytes(data):
            with socket.create_connection(('127.0.0.1', self.server.port),
                                          timeout=5) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                out = b''
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return out
                    out += chunk
        raw_bytes(b'\x00\x01\x02 garbage\r\n\r\n')
        raw_bytes(b'POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n')
        self.assertIn(b' 413 ', raw_bytes(
            b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n'))
        raw_bytes(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'
                  b'Authorization: AWS4-HMAC-SHA256 \xff\xfe=,,=,\r\n\r\nab')
        raw_bytes(b'POST /_control HTTP/1.1\r\nContent-Length: 3\r\n\r\n{{{')
        raw_bytes(b'POST / HTTP/1.1\r\nContent-Length: 20\r\n'
                  b'Content-Type: application/x-www-form-urlencoded\r\n'
                  b'X-Amz-Date: 2\r\nAuthorization: AWS4-HMAC-SHA256 '
                  b'Credential=a/b/c/d/e, SignedHeaders=, Signature=\r\n\r\n'
                  b'Action=%ff%00&&&=&==')
        # Still serving.
        self.assertEqual(self.client().get_caller_identity()['Account'],
                         ACCOUNT)

    def test_control_rejects_unknown_fault(self):
        with self.assertRaises(RuntimeError):
            self.server.control(fault='nonsense')
        with self.assertRaises(RuntimeError):
            self.server.control(colour='blue')


class TestFaults(ServerTestCase):

    def expect_clean(self):
        status, _, _ = self.raw.call(GCI)
        self.assertEqual(status, 200)

    def test_status500_then_success(self):
        self.server.fault('status500')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual(status, 500)
        self.assertEqual(headers['Content-Type'], 'text/xml')
        self.assertEqual(error_of(body)[0], 'InternalFailure')
        self.assertIn(b'<Type>Receiver</Type>', body)
        self.expect_clean()
        # boto3's standard retry mode retries it transparently.
        self.server.fault('status500', count=2)
        client = self.client(retries={'max_attempts': 3, 'mode': 'standard'})
        result = client.get_caller_identity()
        self.assertEqual(result['ResponseMetadata']['RetryAttempts'], 2)
        self.assertEqual([r['status'] for r in self.server.requests()],
                         [500, 200, 500, 500, 200])

    def test_status503_empty_body(self):
        self.server.fault('status503')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual((status, body), (503, b''))
        self.assertEqual(headers['Content-Type'], 'text/xml')
        self.assertEqual(headers['Content-Length'], '0')
        self.expect_clean()

    def test_throttle_is_the_sample_body(self):
        self.server.fault('throttle')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual(status, 400)
        self.assertEqual(body, with_request_id(
            sample('ErrorResponse-Throttling.xml'),
            headers['x-amzn-RequestId']))
        self.server.fault('throttle')
        self.assertClientError(self.client().get_caller_identity,
                               'Throttling', 'Rate exceeded', 400)

    def test_fault_queue_and_forever(self):
        self.server.control(faults=[{'fault': 'status503'},
                                    {'fault': 'throttle', 'count': 2}])
        self.assertEqual([self.raw.call(GCI)[0] for _ in range(4)],
                         [503, 400, 400, 200])
        self.server.fault('status500', count=-1)
        self.assertEqual([self.raw.call(GCI)[0] for _ in range(3)],
                         [500] * 3)
        self.server.reset()
        self.expect_clean()

    def test_faults_do_not_consume_codes(self):
        self.server.fault('status503')
        self.assertEqual(self.raw.call(gst_params('123456'))[0], 503)
        self.assertEqual(self.raw.call(gst_params('123456'))[0], 200)
        entry = self.server.requests()[0]
        self.assertEqual((entry['action'], entry['fault']),
                         ('GetSessionToken', 'status503'))

    def test_delay(self):
        self.server.fault('delay', seconds=1)
        start = time.monotonic()
        self.expect_clean()
        self.assertGreaterEqual(time.monotonic() - start, 1)

    def test_reset_sends_rst(self):
        self.server.fault('reset')
        request = self.raw.sign(GCI)
        with socket.create_connection(('127.0.0.1', self.server.port),
                                      timeout=5) as s:
            head = 'POST / HTTP/1.1\r\n' + ''.join(
                '%s: %s\r\n' % kv for kv in request.headers.items()) + \
                'Content-Length: %d\r\n\r\n' % len(request.body)
            s.sendall(head.encode() + request.body)
            time.sleep(0.3)
            with self.assertRaises(ConnectionResetError):
                while s.recv(65536):
                    pass

    def test_close_without_response(self):
        self.server.fault('close')
        with self.assertRaises(http.client.RemoteDisconnected):
            self.raw.call(GCI)
        self.expect_clean()

    def test_truncated_xml(self):
        self.server.fault('truncated_xml')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual(status, 200)
        self.assertEqual(int(headers['Content-Length']), len(body))
        self.assertTrue(body.startswith(b'<GetCallerIdentityResponse '))
        with self.assertRaises(ET.ParseError):
            ET.fromstring(body)

    def test_short_body(self):
        self.server.fault('short_body')
        with self.assertRaises(http.client.IncompleteRead):
            self.raw.call(GCI)

    def test_malformed_xml(self):
        self.server.fault('malformed_xml')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual((status, headers['Content-Type']), (200, 'text/xml'))
        self.assertEqual(int(headers['Content-Length']), len(body))
        with self.assertRaises(ET.ParseError):
            ET.fromstring(body)

    def test_empty200(self):
        self.server.fault('empty200')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual((status, body, headers['Content-Length']),
                         (200, b'', '0'))

    def test_garbage(self):
        self.server.fault('garbage')
        with self.assertRaises(http.client.HTTPException):
            self.raw.call(GCI)
        self.expect_clean()

    def test_oversized(self):
        self.server.fault('oversized')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual((status, headers['Content-Type']), (200, 'text/xml'))
        self.assertEqual(len(body), 5 * 1024 * 1024)
        self.assertEqual(int(headers['Content-Length']), len(body))

    def test_wrong_content_type(self):
        self.server.fault('wrong_content_type')
        status, headers, body = self.raw.call(GCI)
        self.assertEqual(status, 200)
        self.assertTrue(headers['Content-Type'].startswith('text/html'))
        self.assertIn(b'<html>', body)

    def test_redirect(self):
        self.server.fault('redirect')
        status, headers, _ = self.raw.call(GCI)
        self.assertEqual(status, 302)
        self.assertEqual(headers['Location'],
                         'http://127.0.0.2:%d/' % self.server.port)


class TestSeparateServers(unittest.TestCase):

    def test_tls_round_trip(self):
        with StsServer(tls=True, stderr=subprocess.DEVNULL) as server:
            self.assertTrue(server.url.startswith('https://127.0.0.1:'))
            client = server.boto3_client()
            creds = client.get_session_token(
                SerialNumber=MFA_SERIAL, TokenCode='123456')['Credentials']
            identity = server.boto3_client(
                creds['AccessKeyId'], creds['SecretAccessKey'],
                creds['SessionToken']).get_caller_identity()
            self.assertEqual(identity['Arn'], USER_ARN)
            # An untrusting client refuses the self-signed certificate.
            with self.assertRaises(ssl.SSLError):
                ctx = ssl.create_default_context()
                with socket.create_connection(('127.0.0.1', server.port),
                                              timeout=5) as s:
                    ctx.wrap_socket(s, server_hostname='localhost')
            # Faults work over TLS too.
            server.fault('reset')
            with self.assertRaises((ConnectionResetError,
                                    http.client.IncompleteRead,
                                    ssl.SSLError)):
                Raw(server).call(GCI)
            # A client that connects and never handshakes blocks nothing.
            idle = socket.create_connection(('127.0.0.1', server.port))
            self.assertEqual(client.get_caller_identity()['Account'],
                             ACCOUNT)
            idle.close()

    def test_hang_blocks_nothing_and_stop_is_prompt(self):
        server = StsServer(stderr=subprocess.DEVNULL)
        try:
            server.fault('hang')
            raw = Raw(server)
            start = time.monotonic()
            with self.assertRaises((socket.timeout, TimeoutError)):
                raw.send(raw.sign(GCI), timeout=1)
            self.assertLess(time.monotonic() - start, 5)
            # While another request hangs (connection left open), the next
            # one is answered.
            server.fault('hang')
            hung = threading.Thread(target=lambda: self.swallow(
                lambda: raw.send(raw.sign(GCI), timeout=30)), daemon=True)
            hung.start()
            deadline = time.monotonic() + 10
            while sum(r['fault'] == 'hang' for r in server.requests()) < 2:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            self.assertEqual(raw.call(GCI)[0], 200)
            # And boto3 with a short read timeout gives up on a hang.
            server.fault('hang')
            client = server.boto3_client(read_timeout=1, connect_timeout=1)
            with self.assertRaises(botocore.exceptions.ReadTimeoutError):
                client.get_caller_identity()
            self.assertEqual(server.requests()[0]['fault'], 'hang')
        finally:
            start = time.monotonic()
            status = server.stop()
            self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(status, 0)

    @staticmethod
    def swallow(call):
        try:
            call()
        except Exception:
            pass

    def test_stderr_never_shows_secrets(self):
        with tempfile.TemporaryFile() as err:
            server = StsServer(stderr=err)
            try:
                client = server.boto3_client()
                creds = client.get_session_token(
                    SerialNumber=MFA_SERIAL,
                    TokenCode='654321')['Credentials']
                server.boto3_client(creds['AccessKeyId'],
                                    creds['SecretAccessKey'],
                                    creds['SessionToken']) \
                    .get_caller_identity()
                server.boto3_client(secret_access_key='s3cr3t' * 7) \
                    .generate_presigned_url('get_caller_identity')
                server.fault('truncated_xml')
                Raw(server).call(gst_params('111111'))
                # A malformed request line quoting a token.
                with socket.create_connection(('127.0.0.1', server.port),
                                              timeout=5) as s:
                    s.sendall(b'GET /?X-Amz-Security-Token=%s junk junk\r\n'
                              b'\r\n' % creds['SessionToken'].encode())
                    s.recv(65536)
            finally:
                self.assertEqual(server.stop(), 0)
            err.seek(0)
            text = err.read().decode()
        self.assertIn('GetSessionToken -> 200', text)
        for secret in (SECRET_ACCESS_KEY, creds['SecretAccessKey'],
                       creds['SessionToken'], '654321', '111111',
                       'Signature', 'X-Amz'):
            self.assertNotIn(secret, text)

    def test_config_file_overrides_identity(self):
        config = {'account': '210987654321', 'user': 'bob',
                  'access_key_id': 'AKIAEXAMPLEBOB000000',
                  'secret_access_key': 'b' * 40,
                  'mfa_serial': 'arn:aws:iam::210987654321:mfa/bob',
                  'codes': ['000001'], 'session_duration_cap': 3600}
        with StsServer(config=config, region='eu-west-1',
                       stderr=subprocess.DEVNULL) as server:
            client = server.boto3_client(config['access_key_id'],
                                         config['secret_access_key'])
            self.assertEqual(client.get_caller_identity()['Arn'],
                             'arn:aws:iam::210987654321:user/bob')
            creds = client.get_session_token(
                SerialNumber=config['mfa_serial'], TokenCode='000001',
                DurationSeconds=7200)['Credentials']
            left = creds['Expiration'] - datetime.datetime.now(
                datetime.timezone.utc)
            self.assertLess(abs(left.total_seconds() - 3600), 5)
            with self.assertRaises(botocore.exceptions.ClientError):
                server.boto3_client().get_caller_identity()


class TestAwsCli(ServerTestCase):

    def aws(self, env, *args):
        result = subprocess.run(
            ['/usr/bin/aws', '--endpoint-url', self.server.url,
             '--output', 'json'] + list(args),
            env=env, capture_output=True, text=True, timeout=60)
        return result

    def test_cli_get_caller_identity_and_session_token(self):
        with tempfile.TemporaryDirectory() as home:
            env = self.server.aws_env(home)
            result = self.aws(env, 'sts', 'get-caller-identity')
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)['Arn'], USER_ARN)

            result = self.aws(env, 'sts', 'get-session-token',
                              '--serial-number', MFA_SERIAL,
                              '--token-code', '333333',
                              '--duration-seconds', '900')
            self.assertEqual(result.returncode, 0, result.stderr)
            creds = json.loads(result.stdout)['Credentials']

            env = self.server.aws_env(home, creds['AccessKeyId'],
                                      creds['SecretAccessKey'],
                                      creds['SessionToken'])
            result = self.aws(env, 'sts', 'get-caller-identity')
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)['UserId'], USER_ID)

            self.server.expire_all()
            result = self.aws(env, 'sts', 'get-caller-identity')
            self.assertNotEqual(result.returncode, 0)
            self.assertIn('ExpiredToken', result.stderr)

    def test_cli_over_tls(self):
        with StsServer(tls=True, stderr=subprocess.DEVNULL) as server, \
                tempfile.TemporaryDirectory() as home:
            result = subprocess.run(
                ['/usr/bin/aws', '--endpoint-url', server.url,
                 'sts', 'get-caller-identity'],
                env=server.aws_env(home), capture_output=True, text=True,
                timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)['Account'], ACCOUNT)


if __name__ == '__main__':
    unittest.main(verbosity=2)
