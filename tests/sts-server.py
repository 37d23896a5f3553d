#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local, honest imitation of AWS STS for botomfa's tests.

It speaks the STS Query API (GetSessionToken, GetCallerIdentity), re-checks
every SigV4 signature with botocore (an implementation independent of
botomfa's C signer), enforces one-time MFA codes, issues and expires temporary
credentials, and can be told to misbehave (HTTP errors, hangs, broken
connections, bad bodies, clock skew) through a small JSON control plane.

Response bodies are built from the sample bodies in tests/data/sts/ (see
SOURCE.md there): the envelopes and the error messages are taken from those
files, so they stay byte-for-byte in the shape real STS sends.

Usage:
  sts-server.py [--port 0] [--tls-cert F --tls-key F] [--region us-east-1]
                [--config JSON_FILE] [--data-dir DIR]

The first line on stdout is "PORT <n>". One line per request goes to stderr;
it never contains secrets, session tokens, signatures or MFA codes.

Control plane (no signature needed; never part of STS):
  POST /_control  JSON: {"fault": NAME, "count": N, ...params}
                        {"faults": [{...}, ...]}
                        {"clock_offset": seconds} {"any_code": bool}
                        {"codes": [...]} {"session_duration_cap": s|null}
                        {"expiration_millis": bool}
  GET  /_control  current settings and pending faults
  GET  /_requests JSON log of STS requests (secrets redacted)
  POST /_reset    clear the log, pending faults and the clock offset;
                  with {"all": true} also restore the MFA codes, forget issued
                  credentials and drop /_control changes
  POST /_expire   mark every issued temporary credential expired
                  (or only {"access_key_id": "ASIA..."})

Faults queue up; each applies to the next `count` STS requests (default 1,
-1 = forever), in the order they were posted:
  status500           500 InternalFailure error body
  status503           503, empty body (as real STS sends it)
  throttle            400 Throttling "Rate exceeded"
  delay               answer normally after `seconds` (default 2)
  hang                never answer; released only when the server stops
  close               close the connection without a response
  reset               headers + half the body, then RST (SO_LINGER 0)
  short_body          Content-Length of the full body, half of it, then FIN
  truncated_xml       half the body, with a matching Content-Length
  malformed_xml       a body that is not well-formed XML
  empty200            200 with an empty body
  garbage             bytes that are not HTTP, then close
  oversized           200 text/xml of `bytes` bytes (default 5 MiB)
  wrong_content_type  200 text/html captive-portal page
  redirect            302 to http://127.0.0.2:<port>/
  clock_skew          sets clock_offset to `seconds` (not queued)
reset, short_body, truncated_xml and malformed_xml damage the real answer,
so the request takes effect (an MFA code is used up, credentials are
issued); every other fault answers without touching any state.
"""

import argparse
import base64
import calendar
import copy
import email.utils
import hashlib
import hmac
import json
import re
import secrets
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

API_VERSION = '2011-06-15'
SERVICE = 'sts'
ALGORITHM = 'AWS4-HMAC-SHA256'
MAX_BODY = 64 * 1024           # STS bodies are tiny; refuse anything big
SKEW_LIMIT = 15 * 60           # SigV4 allows 15 minutes of clock skew
AMZ_DATE_FORMAT = '%Y%m%dT%H%M%SZ'

DEFAULT_CONFIG = {
    'account': '123456789012',
    'user': 'alice',
    # AWS documentation's example IAM user id; GetSessionToken credentials
    # report the same UserId and Arn as the long-term keys, as on AWS.
    'user_id': 'AIDACKCEVSQ6C2EXAMPLE',
    'arn': None,                 # default arn:aws:iam::<account>:user/<user>
    'access_key_id': 'AKIAIOSFODNN7EXAMPLE',
    'secret_access_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'mfa_serial': 'arn:aws:iam::123456789012:mfa/alice',
    'codes': ['123456', '654321', '111111', '222222', '333333'],
    'any_code': False,           # any 6-digit code, reusable (benchmarks)
    'session_duration_cap': None,  # e.g. 3600 for a root user
    'expiration_millis': False,  # Expiration as ...T..:..:...mmmZ
    'clock_offset': 0,           # seconds added to the server's clock
}

# Control-plane settings that /_control may change at run time.
MUTABLE_SETTINGS = ('any_code', 'session_duration_cap', 'expiration_millis',
                    'clock_offset')

FAULTS = (
    'status500', 'status503', 'throttle', 'delay', 'hang', 'reset', 'close',
    'truncated_xml', 'short_body', 'malformed_xml', 'empty200', 'garbage',
    'oversized', 'wrong_content_type', 'redirect', 'clock_skew',
)
# These mangle the real answer, so the request is processed first (an MFA
# code is consumed, credentials are issued) exactly as when a real response
# is lost on the way back. All other faults answer before any processing.
FAULTS_AFTER_PROCESSING = ('truncated_xml', 'short_body', 'malformed_xml',
                           'reset')

# Messages for which tests/data/sts/ holds no sample. Each was seen in real
# AWS responses unless marked "unverified"; the provenance is given inline.
MSG_MISSING_AUTH = 'Request is missing Authentication Token'
# ^ STS wire capture: 403, text/xml, Content-Length 297
#   (amzn/selling-partner-api-docs#3081).
MSG_INCOMPLETE_NO_PARAMS = (
    "Authorization header requires 'Credential' parameter. "
    "Authorization header requires 'Signature' parameter. "
    "Authorization header requires 'SignedHeaders' parameter. "
    "Authorization header requires existence of either a 'X-Amz-Date' or a "
    "'Date' header. Authorization=%s")
# ^ AWS front-end wording for an Authorization header that is not SigV4 at
#   all (aws/chalice#828 and others); for a SigV4 header that lacks some
#   parameters only the sentences for the missing ones are given.
#   IncompleteSignature is HTTP 400 per AWS "Common Errors".
MSG_INCOMPLETE_PAIR = ("'%s' not a valid key=value pair (missing equal-sign) "
                       "in Authorization header: '%s'.")
# ^ Real STS (boto/boto3#2280, jenkinsci/aws-credentials-plugin#72).
MSG_INCOMPLETE_CREDENTIAL = ("Credential must have exactly 5 slash-delimited "
                             "elements, e.g. keyid/date/region/service/term,"
                             " got '%s'")
MSG_INCOMPLETE_DATE = ("Date must be in ISO-8601 'basic format'. Got '%s'. "
                       "See http://en.wikipedia.org/wiki/ISO_8601")
MSG_INCOMPLETE_ALGORITHM = "Unsupported AWS 'algorithm': '%s'"  # unverified
MSG_SCOPE_REGION = 'Credential should be scoped to a valid region. '
# ^ STS, note the trailing space (hashicorp/terraform-provider-aws#34865).
MSG_SCOPE_SERVICE = "Credential should be scoped to correct service: '%s'. "
MSG_SCOPE_TERMINATOR = ("Credential should be scoped with a valid terminator:"
                        " 'aws4_request', not '%s'. ")
MSG_SCOPE_DATE = ("Date in Credential scope does not match YYYYMMDD from "
                  "ISO-8601 version of date from HTTP: '%s' != '%s', from "
                  "'%s'.")
MSG_INVALID_ACTION = 'Could not find operation %s for version %s'
# ^ Query-protocol wording (aws/aws-cli#37). A public suite of probes
#   against real STS (an "AWS STS Query protocol oracle" in Rust) pins the
#   rest of what this server does around actions and parameters:
#   InvalidAction comes in the AWSFault namespace below; "Version" absent
#   reads NO_VERSION_SPECIFIED, empty reads ""; no Action at all is a 302 to
#   https://aws.amazon.com/iam with an empty body (a body that is not
#   form-encoded is ignored, so it ends up there too); of repeated
#   parameters the first wins; unknown parameters are ignored; a
#   DurationSeconds that is not a 32-bit integer is MalformedInput, while
#   "+900" and "0900" are fine; per member, the pattern error is listed
#   before the length error.
AWS_FAULT_NAMESPACE = 'http://webservices.amazon.com/AWSFault/2005-15-09'
MISSING_ACTION_LOCATION = 'https://aws.amazon.com/iam'
MSG_EMPTY_NUMBER = 'missing value for decimal type'
MSG_SESSION_CREDS = 'Cannot call GetSessionToken with session credentials'
MSG_INTERNAL = ('The request processing has failed because of an unknown '
                'error, exception or failure.')
# ^ AWS "Common Errors" description of InternalFailure (500).
MSG_PRESIGN_EXPIRED = 'Request has expired'                    # unverified
MSG_BAD_NUMBER = 'For input string: "%s"'                  # unverified


def log(line):
    """One line to stderr. Callers pass only non-secret values."""
    sys.stderr.write('sts-server: %s\n' % line)
    sys.stderr.flush()


def xml_escape(text):
    return (text.replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;').replace('"', '&quot;'))


def xml_unescape(text):
    return (text.replace('&lt;', '<').replace('&gt;', '>')
            .replace('&quot;', '"').replace('&apos;', "'")
            .replace('&amp;', '&'))


def fill(template, values):
    """Replace the text of each <Name>...</Name> in an XML sample.

    The samples are used as templates as they are, so indentation, element
    order and the trailing newline (or its absence) are those of the sample.
    """
    for name, value in values.items():
        pattern = re.compile(r'(<%s>).*?(</%s>)' % (name, name), re.S)
        if not pattern.search(template):
            raise ValueError('sample has no <%s>' % name)
        template = pattern.sub(
            lambda m, v=value: m.group(1) + xml_escape(v) + m.group(2),
            template, count=1)
    return template


class Samples:
    """Envelopes and messages taken from tests/data/sts/."""

    def __init__(self, data_dir):
        self.dir = Path(data_dir)
        # The one error body captured on the wire with its Content-Length:
        # its exact layout is the error envelope for every error.
        self.error_envelope = self._text(
            'ErrorResponse-InvalidClientTokenId.xml')
        # Official example, 2-space indentation, trailing LF.
        self.session_token_envelope = self._text('GetSessionTokenResponse.xml')
        # The AWS docs example has a stray 3-space indent before <Arn>; moto's
        # template has the regular layout (and a trailing LF like every other
        # STS body), so it is the better model of a real response.
        self.caller_identity_envelope = self._text(
            'GetCallerIdentityResponse.moto-template.xml')

        self.invalid_token = self._message(
            'ErrorResponse-InvalidClientTokenId.xml', 'InvalidClientTokenId')
        self.expired_token = self._message(
            'ErrorResponse-ExpiredToken.assembled.xml', 'ExpiredToken')
        self.signature_mismatch = self._message(
            'ErrorResponse-SignatureDoesNotMatch.assembled.xml',
            'SignatureDoesNotMatch')
        self.mfa_invalid_code = self._message(
            'ErrorResponse-AccessDenied-invalid-MFA-code.assembled.xml',
            'AccessDenied')
        self.mfa_bad_serial = self._message(
            'ErrorResponse-AccessDenied-MFA-serial-not-valid.assembled.xml',
            'AccessDenied')
        self.throttling = self._message('ErrorResponse-Throttling.xml',
                                        'Throttling')
        # "Signature expired: A is now earlier than B (C - 15 min.)": keep
        # the words, substitute the three timestamps.
        self.signature_expired = self._stamp_template(
            'ErrorResponse-SignatureDoesNotMatch-SignatureExpired'
            '.assembled.xml')
        self.signature_not_yet_current = self._stamp_template(
            'ErrorResponse-SignatureDoesNotMatch-SignatureNotYetCurrent'
            '.assembled.xml')

    def _text(self, name):
        return (self.dir / name).read_bytes().decode('utf-8')

    def _message(self, name, code):
        text = self._text(name)
        found = re.search(r'<Code>(.*?)</Code>', text).group(1)
        if found != code:
            raise ValueError('%s: code %s, expected %s' % (name, found, code))
        return xml_unescape(re.search(r'<Message>(.*?)</Message>', text,
                                      re.S).group(1))

    def _stamp_template(self, name):
        message = self._message(name, 'SignatureDoesNotMatch')
        parts = re.split(r'\d{8}T\d{6}Z', message)
        if len(parts) != 4:
            raise ValueError('%s: expected three timestamps' % name)
        return parts

    @staticmethod
    def stamps(parts, first, second, third):
        return (parts[0] + first + parts[1] + second + parts[2] + third
                + parts[3])

    def error_body(self, code, message, request_id, fault_type='Sender',
                   namespace=None):
        body = fill(self.error_envelope, {
            'Type': fault_type, 'Code': code, 'Message': message,
            'RequestId': request_id})
        if namespace:
            body = re.sub(r'xmlns="[^"]*"', 'xmlns="%s"' % namespace, body,
                          count=1)
        return body.encode('utf-8')


class Response:
    """A complete STS answer, built before it is (maybe) mangled by a fault."""

    def __init__(self, status, body, request_id, code=None,
                 content_type='text/xml', extra=()):
        self.status = status
        self.body = body
        self.request_id = request_id
        self.code = code
        self.content_type = content_type
        self.extra = list(extra)


class StsError(Exception):
    def __init__(self, status, code, message, fault_type='Sender',
                 namespace=None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fault_type = fault_type
        self.namespace = namespace


def amz_date(epoch):
    return time.strftime(AMZ_DATE_FORMAT, time.gmtime(epoch))


def random_alnum(n, alphabet=string.ascii_uppercase + string.digits):
    return ''.join(secrets.choice(alphabet) for _ in range(n))


def new_session_token():
    """A token shaped like a real one: ~350 base64 chars using + / and =."""
    while True:
        # 250 random bytes -> 336 base64 chars ending in "==".
        token = 'IQoJb3JpZ2luX2Vj' + base64.b64encode(
            secrets.token_bytes(250)).decode('ascii')
        if '+' in token and '/' in token:
            return token


class State:
    """Everything the server remembers, behind one lock."""

    def __init__(self, config):
        self.initial = copy.deepcopy(config)
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.reset(everything=True)

    def reset(self, everything=False):
        with self.lock:
            self.log = []
            self.seq = 0
            self.faults = []
            if everything:
                self.settings = {k: copy.deepcopy(self.initial[k])
                                 for k in MUTABLE_SETTINGS}
                self.codes = list(self.initial['codes'])
                self.used_codes = set()
                self.temp = {}
            # The clock offset is a fault too: back to the configured one.
            self.settings['clock_offset'] = float(self.initial['clock_offset'])

    def now(self):
        return time.time() + self.settings['clock_offset']

    def take_fault(self):
        """The fault for the next STS request, if any."""
        with self.lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            if fault['count'] > 0:
                fault['count'] -= 1
                if fault['count'] == 0:
                    self.faults.pop(0)
            return dict(fault)

    def add_log(self, entry):
        with self.lock:
            self.seq += 1
            entry['seq'] = self.seq
            self.log.append(entry)

    def summary(self):
        return {
            'settings': dict(self.settings),
            'faults': [dict(f) for f in self.faults],
            'codes_unused': len(self.codes),
            'codes_used': len(self.used_codes),
            'issued_credentials': len(self.temp),
        }


def parse_fault(spec):
    """Validate one {"fault": NAME, "count": N, ...} request."""
    if not isinstance(spec, dict) or spec.get('fault') not in FAULTS:
        raise ValueError('unknown fault %r; known: %s'
                         % (spec.get('fault') if isinstance(spec, dict)
                            else spec, ', '.join(FAULTS)))
    fault = dict(spec)
    count = fault.get('count', 1)
    if not isinstance(count, int) or isinstance(count, bool) or \
            (count < 1 and count != -1):
        raise ValueError('count must be a positive integer or -1')
    fault['count'] = count
    for key in ('seconds', 'bytes'):
        if key in fault and not isinstance(fault[key], (int, float)):
            raise ValueError('%s must be a number' % key)
    return fault


class StsLogic:
    """The STS side: authentication and the two operations."""

    def __init__(self, state, samples, region, scheme):
        self.state = state
        self.samples = samples
        self.region = region
        self.scheme = scheme
        cfg = state.initial
        self.arn = cfg['arn'] or 'arn:aws:iam::%s:user/%s' % (cfg['account'],
                                                             cfg['user'])

    # --- authentication -------------------------------------------------

    def _parse_authorization(self, header):
        """Split "AWS4-HMAC-SHA256 Credential=.., SignedHeaders=..,
        Signature=.." into its three values."""
        algorithm, _, rest = header.strip().partition(' ')
        if not algorithm.startswith('AWS4-'):
            raise StsError(400, 'IncompleteSignature',
                           MSG_INCOMPLETE_NO_PARAMS % header)
        if algorithm != ALGORITHM:
            raise StsError(400, 'IncompleteSignature',
                           MSG_INCOMPLETE_ALGORITHM % algorithm)
        # AWS splits the parameters on commas and then on white space, so a
        # stray space after "Credential=" (a classic copy-paste mistake)
        # leaves the key id as a token of its own without "=".
        fields = {}
        for part in rest.split(','):
            for token in part.split():
                key, eq, value = token.partition('=')
                if not eq:
                    raise StsError(400, 'IncompleteSignature',
                                   MSG_INCOMPLETE_PAIR % (token, header))
                fields[key] = value
        missing = [name for name in ('Credential', 'Signature',
                                     'SignedHeaders') if name not in fields]
        if missing:
            sentences = ["Authorization header requires '%s' parameter. "
                         % name for name in missing]
            raise StsError(400, 'IncompleteSignature',
                           ''.join(sentences) + 'Authorization=' + header)
        return fields['Credential'], fields['SignedHeaders'], \
            fields['Signature']

    def _request_time(self, headers, query):
        """The signing timestamp (YYYYMMDDTHHMMSSZ) and its epoch value."""
        value = query.get('X-Amz-Date') or headers.get('X-Amz-Date')
        if value is None:
            date = headers.get('Date')
            parsed = email.utils.parsedate_tz(date) if date else None
            if parsed is None:
                return None, None
            epoch = email.utils.mktime_tz(parsed)
            return amz_date(epoch), epoch
        try:
            if len(value) != 16:
                raise ValueError(value)
            epoch = calendar.timegm(time.strptime(value, AMZ_DATE_FORMAT))
        except ValueError:
            raise StsError(400, 'IncompleteSignature',
                           MSG_INCOMPLETE_DATE % value)
        return value, epoch

    def authenticate(self, method, path, headers, query_pairs, body, entry):
        """Check the request's SigV4 signature; return (key_id, kind)."""
        query = {}
        for key, value in query_pairs:
            query.setdefault(key, value)
        authorization = headers.get('Authorization')
        presigned = authorization is None and 'X-Amz-Signature' in query
        if authorization is None and not presigned:
            raise StsError(403, 'MissingAuthenticationToken',
                           MSG_MISSING_AUTH)
        if presigned:
            if query.get('X-Amz-Algorithm') != ALGORITHM:
                raise StsError(400, 'IncompleteSignature',
                               MSG_INCOMPLETE_ALGORITHM
                               % query.get('X-Amz-Algorithm', ''))
            credential = query.get('X-Amz-Credential', '')
            signed_headers = query.get('X-Amz-SignedHeaders', '')
            signature = query['X-Amz-Signature']
        else:
            credential, signed_headers, signature = \
                self._parse_authorization(authorization)

        scope = credential.split('/')
        if len(scope) != 5:
            raise StsError(400, 'IncompleteSignature',
                           MSG_INCOMPLETE_CREDENTIAL % credential)
        key_id, scope_date, scope_region, scope_service, terminator = scope
        entry['access_key_id'] = key_id
        signed = [h.strip().lower() for h in signed_headers.split(';')
                  if h.strip()]
        entry['signed_headers'] = signed

        stamp, epoch = self._request_time(headers,
                                          query if presigned else {})
        if stamp is None:
            raise StsError(400, 'IncompleteSignature',
                           "Authorization header requires existence of "
                           "either a 'X-Amz-Date' or a 'Date' header. "
                           "Authorization=" + (authorization or ''))
        now = self.state.now()
        if epoch < now - SKEW_LIMIT:
            raise StsError(403, 'SignatureDoesNotMatch', Samples.stamps(
                self.samples.signature_expired, stamp,
                amz_date(now - SKEW_LIMIT), amz_date(now)))
        if epoch > now + SKEW_LIMIT:
            raise StsError(403, 'SignatureDoesNotMatch', Samples.stamps(
                self.samples.signature_not_yet_current, stamp,
                amz_date(now + SKEW_LIMIT), amz_date(now)))
        if presigned:
            try:
                expires = int(query.get('X-Amz-Expires', '0'))
            except ValueError:
                expires = 0
            if now > epoch + expires:
                raise StsError(403, 'AccessDenied', MSG_PRESIGN_EXPIRED)
        if terminator != 'aws4_request':
            raise StsError(403, 'SignatureDoesNotMatch',
                           MSG_SCOPE_TERMINATOR % terminator)
        if scope_service != SERVICE:
            raise StsError(403, 'SignatureDoesNotMatch',
                           MSG_SCOPE_SERVICE % SERVICE)
        if scope_region != self.region:
            raise StsError(403, 'SignatureDoesNotMatch', MSG_SCOPE_REGION)
        if scope_date != stamp[:8]:
            raise StsError(403, 'SignatureDoesNotMatch',
                           MSG_SCOPE_DATE % (scope_date, stamp[:8], stamp))

        # Who is it? Temporary keys must come with their own session token;
        # long-term keys with none.
        token = query.get('X-Amz-Security-Token') if presigned else \
            headers.get('X-Amz-Security-Token')
        entry['security_token_present'] = token is not None
        entry['security_token_signed'] = 'x-amz-security-token' in signed
        cfg = self.state.initial
        with self.state.lock:
            temp = self.state.temp.get(key_id)
            temp = dict(temp) if temp else None
        if key_id == cfg['access_key_id']:
            kind, secret = 'long-term', cfg['secret_access_key']
            entry['key_type'] = kind
            if token is not None:
                raise StsError(403, 'InvalidClientTokenId',
                               self.samples.invalid_token)
        elif temp is not None:
            kind, secret = 'temporary', temp['secret']
            entry['key_type'] = kind
            if token is None or not hmac.compare_digest(
                    token.encode('utf-8', 'replace'),
                    temp['token'].encode('utf-8')):
                raise StsError(403, 'InvalidClientTokenId',
                               self.samples.invalid_token)
            if temp['expired'] or now >= temp['expiration']:
                raise StsError(403, 'ExpiredToken',
                               self.samples.expired_token)
        else:
            entry['key_type'] = 'unknown'
            raise StsError(403, 'InvalidClientTokenId',
                           self.samples.invalid_token)

        ok = self._signature_matches(method, path, headers, query_pairs,
                                     body, signed, key_id, secret, stamp,
                                     signature, presigned)
        entry['signature_ok'] = ok
        if not ok:
            raise StsError(403, 'SignatureDoesNotMatch',
                           self.samples.signature_mismatch)
        return key_id, kind

    def _signature_matches(self, method, path, headers, query_pairs, body,
                           signed, key_id, secret, stamp, signature,
                           presigned):
        """Recompute the signature with botocore and compare."""
        # SigV4 requires the host header to be signed.
        if 'host' not in signed:
            return False
        header_map = HTTPHeaders()
        for name in signed:
            values = headers.get_all(name)
            if not values:
                return False
            for value in values:
                header_map[name] = value
        # botocore trusts a signed X-Amz-Content-SHA256 as the payload hash;
        # the server must check it against the body it actually received.
        claimed = header_map.get('x-amz-content-sha256')
        if claimed is not None and claimed != \
                hashlib.sha256(body).hexdigest():
            return False

        class ExactHeadersSigV4(SigV4Auth):
            # botocore picks the headers to sign itself (and skips
            # User-Agent and Expect); a verifier must use exactly the ones
            # the client listed in SignedHeaders.
            def headers_to_sign(self, request):
                return header_map

        params = [(k, v) for k, v in query_pairs
                  if not (presigned and k == 'X-Amz-Signature')]
        request = AWSRequest(
            method=method,
            url='%s://%s%s' % (self.scheme, headers.get('Host', ''), path),
            headers={name: header_map[name] for name in header_map},
            data=body, params=params or None)
        # add_auth() would stamp the current time; the request's own
        # timestamp is what must be signed, so drive the steps directly.
        request.context['timestamp'] = stamp
        signer = ExactHeadersSigV4(Credentials(key_id, secret), SERVICE,
                                   self.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(
            signer.string_to_sign(request, canonical), request)
        if hmac.compare_digest(expected.encode(), signature.encode('utf-8',
                                                                   'replace')):
            return True
        if presigned:
            # Some presigners (S3-style) use UNSIGNED-PAYLOAD for query auth.
            request.headers['X-Amz-Content-SHA256'] = 'UNSIGNED-PAYLOAD'
            canonical = signer.canonical_request(request)
            expected = signer.signature(
                signer.string_to_sign(request, canonical), request)
            return hmac.compare_digest(expected.encode(),
                                       signature.encode('utf-8', 'replace'))
        return False

    # --- operations -----------------------------------------------------

    def handle(self, method, path, headers, query_pairs, body, entry):
        """Run one STS request; always returns a Response."""
        request_id = str(uuid.uuid4())
        entry['request_id'] = request_id
        try:
            params = query_params(query_pairs, headers, body)
            action = params.get('Action')
            entry['action'] = action
            entry['params'] = redact(params)
            if action is None:
                # What a browser pointed at sts.amazonaws.com gets.
                location = MISSING_ACTION_LOCATION
                if query_pairs:
                    location += '?' + urlencode(query_pairs)
                return Response(302, b'', request_id, content_type=None,
                                extra=[('Location', location)])
            key_id, kind = self.authenticate(method, path, headers,
                                             query_pairs, body, entry)
            version = params.get('Version')
            if version != API_VERSION or action not in (
                    'GetSessionToken', 'GetCallerIdentity'):
                raise StsError(400, 'InvalidAction', MSG_INVALID_ACTION % (
                    action, 'NO_VERSION_SPECIFIED' if version is None
                    else version), namespace=AWS_FAULT_NAMESPACE)
            if action == 'GetSessionToken':
                body = self.get_session_token(params, kind, request_id,
                                              entry)
            else:
                body = self.get_caller_identity(request_id)
            return Response(200, body.encode('utf-8'), request_id)
        except StsError as e:
            entry['code'] = e.code
            return Response(e.status, self.samples.error_body(
                e.code, e.message, request_id, e.fault_type, e.namespace),
                request_id, e.code)

    def get_session_token(self, params, kind, request_id, entry):
        if kind != 'long-term':
            raise StsError(403, 'AccessDenied', MSG_SESSION_CREDS)
        duration_text = params.get('DurationSeconds')
        serial = params.get('SerialNumber')
        code = params.get('TokenCode')

        # Constraint checks in the order and wording of AWS's validator
        # (the constraints come from the STS model).
        errors = []
        duration = 43200
        if duration_text is not None:
            if duration_text == '':
                raise StsError(400, 'MalformedInput', MSG_EMPTY_NUMBER)
            if not re.fullmatch(r'[+-]?[0-9]+', duration_text) or \
                    not -2**31 <= int(duration_text) < 2**31:
                raise StsError(400, 'MalformedInput',
                               MSG_BAD_NUMBER % duration_text)
            duration = int(duration_text)
            if duration < 900:
                errors.append((duration_text, 'durationSeconds',
                               'Member must have value greater than or '
                               'equal to 900'))
            if duration > 129600:
                errors.append((duration_text, 'durationSeconds',
                               'Member must have value less than or equal '
                               'to 129600'))
        if serial is not None:
            if not re.fullmatch(r'[\w+=/:,.@-]*', serial, re.ASCII):
                errors.append((serial, 'serialNumber', 'Member must satisfy '
                               r'regular expression pattern: [\w+=/:,.@-]*'))
            if len(serial) < 9:
                errors.append((serial, 'serialNumber', 'Member must have '
                               'length greater than or equal to 9'))
            if len(serial) > 256:
                errors.append((serial, 'serialNumber', 'Member must have '
                               'length less than or equal to 256'))
        if code is not None:
            if not re.fullmatch(r'[0-9]*', code):
                errors.append((code, 'tokenCode', 'Member must satisfy '
                               r'regular expression pattern: [\d]*'))
            if len(code) < 6:
                errors.append((code, 'tokenCode', 'Member must have length '
                               'greater than or equal to 6'))
            if len(code) > 6:
                errors.append((code, 'tokenCode', 'Member must have length '
                               'less than or equal to 6'))
        if errors:
            raise StsError(400, 'ValidationError', '%d validation error%s '
                           'detected: %s' % (
                               len(errors), '' if len(errors) == 1 else 's',
                               '; '.join("Value '%s' at '%s' failed to "
                                         "satisfy constraint: %s" % e
                                         for e in errors)))

        cfg = self.state.initial
        # Without SerialNumber and TokenCode AWS issues credentials without
        # MFA; botomfa should never do that, and the log shows it.
        mfa = serial is not None or code is not None
        entry['mfa'] = mfa
        if mfa:
            if serial != cfg['mfa_serial']:
                raise StsError(403, 'AccessDenied',
                               self.samples.mfa_bad_serial)
            if code is None or not self._consume_code(code):
                raise StsError(403, 'AccessDenied',
                               self.samples.mfa_invalid_code)

        cap = self.state.settings['session_duration_cap']
        effective = min(duration, cap) if cap else duration
        now = self.state.now()
        expiration = now + effective
        key_id = 'ASIA' + random_alnum(16)
        secret = random_alnum(40, string.ascii_letters + string.digits + '+/')
        token = new_session_token()
        with self.state.lock:
            self.state.temp[key_id] = {
                'secret': secret, 'token': token, 'expiration': expiration,
                'expired': False, 'mfa': mfa}
        entry['issued_access_key_id'] = key_id
        entry['duration_seconds'] = effective
        return fill(self.samples.session_token_envelope, {
            'SessionToken': token,
            'SecretAccessKey': secret,
            'Expiration': self._iso8601(expiration),
            'AccessKeyId': key_id,
            'RequestId': request_id,
        })

    def _consume_code(self, code):
        with self.state.lock:
            if self.state.settings['any_code']:
                return True
            if code in self.state.codes:
                self.state.codes.remove(code)
                self.state.used_codes.add(code)
                return True
            return False

    def _iso8601(self, epoch):
        text = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(epoch))
        if self.state.settings['expiration_millis']:
            text += '.%03d' % int((epoch % 1) * 1000)
        return text + 'Z'

    def get_caller_identity(self, request_id):
        cfg = self.state.initial
        return fill(self.samples.caller_identity_envelope, {
            'Arn': self.arn,
            'UserId': cfg['user_id'],
            'Account': cfg['account'],
            'RequestId': request_id,
        })


def query_params(query_pairs, headers, body):
    """The Query API parameters; of repeated names the first one counts.

    A body counts only when it is declared form-encoded (charset or not).
    """
    pairs = list(query_pairs)
    ctype = headers.get('Content-Type', '')
    if body and ctype.split(';')[0].strip().lower() == \
            'application/x-www-form-urlencoded':
        pairs += parse_qsl(body.decode('utf-8', 'replace'),
                           keep_blank_values=True)
    params = {}
    for key, value in pairs:
        params.setdefault(key, value)
    return params


SECRET_PARAM = re.compile(r'token|secret|signature|password', re.I)


def redact(params):
    return {k: ('REDACTED' if SECRET_PARAM.search(k) else v)
            for k, v in params.items()}


def safe_label(value):
    """Action names are client-supplied; keep log lines one sane line."""
    if value is None:
        return '-'
    return value if re.fullmatch(r'[A-Za-z0-9_]{1,64}', value) else '?'


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 60          # an idle client must not pin a thread forever

    # --- plumbing -------------------------------------------------------

    def date_time_string(self, timestamp=None):
        # The Date header follows the (possibly offset) server clock, so a
        # client can measure its skew from it as it would against AWS.
        return email.utils.formatdate(
            self.server.state.now() if timestamp is None else timestamp,
            usegmt=True)

    def log_request(self, code='-', size='-'):
        pass              # the request line may carry a presigned token

    def log_error(self, format, *args):
        # The arguments can quote the request line (and so a presigned
        # token): log only the kind of error.
        if format.startswith('code %d') and args:
            log('rejected HTTP request: %d' % args[0])
        else:
            log('http error: %s' % format.split('%')[0].strip(' :,'))

    def send_headers_only(self, status, headers):
        # Real STS sends no Server header; send_response() would add one.
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Date', self.date_time_string())
        self.end_headers()

    def send_body(self, status, body, content_type='text/xml',
                  request_id=None, extra=(), length=None, close=False):
        headers = []
        if request_id:
            headers.append(('x-amzn-RequestId', request_id))
        if content_type:
            headers.append(('Content-Type', content_type))
        headers.append(('Content-Length',
                        str(len(body) if length is None else length)))
        headers.extend(extra)
        if close:
            headers.append(('Connection', 'close'))
            self.close_connection = True
        self.send_headers_only(status, headers)
        self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_body(status, (json.dumps(obj, indent=1) + '\n').encode(),
                       'application/json')

    def read_body(self):
        """The request body, or None after answering a bad request."""
        if self.headers.get('Transfer-Encoding'):
            self.send_body(411, b'', 'text/plain', close=True)
            return None
        try:
            length = int(self.headers.get('Content-Length', '0'))
            if length < 0:
                raise ValueError(length)
        except ValueError:
            self.send_body(400, b'', 'text/plain', close=True)
            return None
        if length > MAX_BODY:
            self.send_body(413, b'', 'text/plain', close=True)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def dispatch(self):
        split = urlsplit(self.path)
        body = self.read_body()
        if body is None:
            return
        if split.path.startswith('/_'):
            self.control(split.path, body)
        else:
            self.sts(split, body)

    # --- control plane --------------------------------------------------

    def control(self, path, body):
        state = self.server.state
        try:
            payload = json.loads(body.decode('utf-8')) if body.strip() else {}
            if not isinstance(payload, dict):
                raise ValueError('expected a JSON object')
        except ValueError as e:
            self.send_json(400, {'error': 'bad JSON: %s' % e})
            return
        if path == '/_requests' and self.command == 'GET':
            with state.lock:
                text = json.dumps(state.log)
            self.send_body(200, text.encode(), 'application/json')
        elif path == '/_control' and self.command == 'GET':
            with state.lock:
                self.send_json(200, state.summary())
        elif path == '/_control' and self.command == 'POST':
            try:
                self.apply_control(payload)
            except (ValueError, TypeError) as e:
                self.send_json(400, {'error': str(e)})
                return
            with state.lock:
                self.send_json(200, state.summary())
        elif path == '/_reset' and self.command == 'POST':
            state.reset(everything=bool(payload.get('all')))
            log('reset%s' % (' (all)' if payload.get('all') else ''))
            self.send_json(200, {'ok': True})
        elif path == '/_expire' and self.command == 'POST':
            only = payload.get('access_key_id')
            with state.lock:
                for key_id, cred in state.temp.items():
                    if only is None or key_id == only:
                        cred['expired'] = True
            self.send_json(200, {'ok': True})
        else:
            self.send_json(404, {'error': 'no such control endpoint'})

    def apply_control(self, payload):
        state = self.server.state
        known = {'fault', 'count', 'seconds', 'bytes', 'faults', 'codes',
                 'clock_offset', 'any_code', 'session_duration_cap',
                 'expiration_millis'}
        unknown = set(payload) - known
        if unknown:
            raise ValueError('unknown control keys: %s'
                             % ', '.join(sorted(unknown)))
        faults = []
        if 'fault' in payload:
            faults.append(parse_fault({k: payload[k] for k in
                                       ('fault', 'count', 'seconds', 'bytes')
                                       if k in payload}))
        for spec in payload.get('faults', []):
            faults.append(parse_fault(spec))
        settings = {}
        if 'clock_offset' in payload:
            settings['clock_offset'] = float(payload['clock_offset'])
        if 'any_code' in payload:
            settings['any_code'] = bool(payload['any_code'])
        if 'expiration_millis' in payload:
            settings['expiration_millis'] = bool(payload['expiration_millis'])
        if 'session_duration_cap' in payload:
            cap = payload['session_duration_cap']
            settings['session_duration_cap'] = None if cap is None \
                else int(cap)
        codes = payload.get('codes')
        if codes is not None and (not isinstance(codes, list) or not all(
                isinstance(c, str) for c in codes)):
            raise ValueError('codes must be a list of strings')
        with state.lock:
            for fault in faults:
                if fault['fault'] == 'clock_skew':
                    # Skew is a clock state, not a per-request answer.
                    settings['clock_offset'] = float(fault.get('seconds', 0))
                else:
                    state.faults.append(fault)
            state.settings.update(settings)
            if codes is not None:
                state.codes = list(codes)
                state.used_codes = set()
        log('control: %s' % ', '.join(sorted(payload)))

    # --- STS ------------------------------------------------------------

    def sts(self, split, body):
        server = self.server
        state = server.state
        query_pairs = parse_qsl(split.query, keep_blank_values=True)
        entry = {
            'time': amz_date(state.now()),
            'method': self.command,
            'path': split.path,
            'action': None,
            'params': {},
            'access_key_id': None,
            'key_type': None,
            'signed_headers': [],
            'security_token_present': None,
            'security_token_signed': None,
            'signature_ok': None,
            'status': None,
            'code': None,
            'fault': None,
            'user_agent': self.headers.get('User-Agent'),
            # Filled in later; all keys exist up front so /_requests can
            # serialise an entry while its request is still running.
            'request_id': None,
            'mfa': None,
            'issued_access_key_id': None,
            'duration_seconds': None,
        }
        state.add_log(entry)
        fault = state.take_fault()
        name = fault['fault'] if fault else None
        entry['fault'] = name

        if name and name not in FAULTS_AFTER_PROCESSING and name != 'delay':
            # Still record what the client asked for.
            params = query_params(query_pairs, self.headers, body)
            entry['action'] = params.get('Action')
            entry['params'] = redact(params)
            self.fault_before(name, fault, entry)
            log('%s %s fault=%s -> %s' % (self.command,
                                          safe_label(entry['action']), name,
                                          entry['status']))
            return
        if name == 'delay':
            if state.stop_event.wait(fault.get('seconds', 2)):
                return

        response = server.logic.handle(self.command, split.path, self.headers,
                                       query_pairs, body, entry)
        entry['status'] = response.status
        if name in FAULTS_AFTER_PROCESSING:
            self.fault_after(name, response)
        else:
            self.send_body(response.status, response.body,
                           response.content_type, response.request_id,
                           extra=response.extra)
        log('%s %s -> %d%s%s' % (
            self.command, safe_label(entry['action']), response.status,
            ' ' + response.code if response.code else '',
            ' fault=' + name if name else ''))

    def fault_before(self, name, fault, entry):
        """Answer (or not) without touching any STS state."""
        request_id = str(uuid.uuid4())
        samples = self.server.samples
        if name == 'status500':
            entry['status'] = 500
            self.send_body(500, samples.error_body(
                'InternalFailure', MSG_INTERNAL, request_id, 'Receiver'),
                request_id=request_id)
        elif name == 'status503':
            # As recorded from real STS: no body at all.
            entry['status'] = 503
            self.send_body(503, b'', request_id=request_id)
        elif name == 'throttle':
            entry['status'] = 400
            self.send_body(400, samples.error_body(
                'Throttling', samples.throttling, request_id),
                request_id=request_id)
        elif name == 'hang':
            # Keep the connection open, unanswered, until shutdown.
            self.server.state.stop_event.wait()
            self.close_connection = True
        elif name == 'close':
            self.close_connection = True
        elif name == 'garbage':
            self.wfile.write(b'\x00\xff\xfeSSH-2.0-not-http\r\n'
                             + bytes(range(256)) + b'\r\n\r\n')
            self.close_connection = True
        elif name == 'empty200':
            entry['status'] = 200
            self.send_body(200, b'', request_id=request_id)
        elif name == 'oversized':
            entry['status'] = 200
            self.send_oversized(int(fault.get('bytes', 5 * 1024 * 1024)),
                                request_id)
        elif name == 'wrong_content_type':
            entry['status'] = 200
            page = (b'<!DOCTYPE html>\n<html><head><title>Network Login'
                    b'</title></head>\n<body><h1>Please sign in to use this '
                    b'network</h1><form action="/login" method="post">'
                    b'<input name="user"></form></body></html>\n')
            self.send_body(200, page, 'text/html; charset=utf-8')
        elif name == 'redirect':
            entry['status'] = 302
            self.send_body(302, b'', 'text/plain', extra=[
                ('Location', 'http://127.0.0.2:%d/'
                 % self.server.server_address[1])])

    def send_oversized(self, size, request_id):
        head = b'<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/' \
               b'doc/2011-06-15/">\n<!-- '
        tail = b' -->\n</GetSessionTokenResponse>\n'
        pad = max(0, size - len(head) - len(tail))
        self.send_headers_only(200, [
            ('x-amzn-RequestId', request_id), ('Content-Type', 'text/xml'),
            ('Content-Length', str(len(head) + pad + len(tail)))])
        self.wfile.write(head)
        chunk = b'x' * 65536
        while pad > 0:
            self.wfile.write(chunk[:pad])
            pad -= len(chunk)
        self.wfile.write(tail)

    def fault_after(self, name, response):
        """Deliver a damaged version of a real answer."""
        body = response.body
        if name == 'truncated_xml':
            # Well-formed HTTP, consistent Content-Length, cut XML.
            self.send_body(response.status, body[:len(body) // 2],
                           response.content_type, response.request_id)
        elif name == 'malformed_xml':
            broken = re.sub(rb'</(\w+)>\s*$', rb'</\1', body.rstrip()) \
                + b'<Broken attr=>&bogus;\n'
            self.send_body(response.status, broken, response.content_type,
                           response.request_id)
        elif name == 'short_body':
            # Promise the whole body, deliver half, then close (FIN).
            self.send_body(response.status, body[:len(body) // 2],
                           response.content_type, response.request_id,
                           length=len(body), close=True)
        elif name == 'reset':
            self.send_body(response.status, body[:len(body) // 2],
                           response.content_type, response.request_id,
                           length=len(body), close=True)
            self.wfile.flush()
            # SO_LINGER 0 makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.connection.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True       # a hung request must not block exit
    allow_reuse_address = True

    def __init__(self, address, state, samples, region, tls_context):
        super().__init__(address, Handler)
        self.state = state
        self.samples = samples
        self.tls_context = tls_context
        self.logic = StsLogic(state, samples, region,
                              'https' if tls_context else 'http')

    def get_request(self):
        request, address = super().get_request()
        # Real STS front ends answer without delay. With Nagle's algorithm
        # on, the body (a second small write after the headers) waits for
        # the client's delayed ACK: ~40 ms per response after a TLS
        # handshake, which would hide the clients' own time.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return request, address

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            return super().finish_request(request, client_address)
        # Handshake here, in the connection's own thread, so a client that
        # never completes it cannot stall accept().
        request.settimeout(10)
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError,
                              OSError)):
            log('connection error: %s' % type(error).__name__)
        else:
            log('internal error:\n' + traceback.format_exc().rstrip())


def load_config(path):
    config = copy.deepcopy(DEFAULT_CONFIG)
    if path:
        with open(path, encoding='utf-8') as f:
            overrides = json.load(f)
        unknown = set(overrides) - set(config)
        if unknown:
            raise SystemExit('sts-server: unknown config keys: %s'
                             % ', '.join(sorted(unknown)))
        config.update(overrides)
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--tls-cert')
    parser.add_argument('--tls-key')
    parser.add_argument('--region', default='us-east-1')
    parser.add_argument('--config')
    parser.add_argument('--data-dir', default=str(
        Path(__file__).resolve().parent / 'data' / 'sts'))
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key go together')

    config = load_config(args.config)
    state = State(config)
    samples = Samples(args.data_dir)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    server = Server(('127.0.0.1', args.port), state, samples, args.region,
                    tls_context)

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to notice, so it cannot run
        # in the thread that is inside serve_forever().
        state.stop_event.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print('PORT %d' % server.server_address[1], flush=True)
    log('listening on %s://127.0.0.1:%d (region %s)'
        % ('https' if tls_context else 'http', server.server_address[1],
           args.region))
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log('stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
