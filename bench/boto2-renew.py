#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the original botomfa (Python + boto 2) did on a renewal: the
long-term key from the [long-term] section of the boto config,
boto.sts.STSConnection.get_session_token with the MFA code, then each key of
[Credentials] saved with boto.config.save_option — which re-reads and
rewrites the whole file with ConfigParser once per key, as the original's
save_user_option calls did.

  boto2-renew.py ENDPOINT_URL SERIAL DURATION  < code

BOTO_CONFIG names the boto config. For the TLS server it holds
[Boto] ca_certificates_file = <the server's certificate>, which is how boto 2
is told about a custom CA (it has no AWS_CA_BUNDLE). boto 2 checks the
certificate's host name itself and only against DNS names (not IP address
SANs), so the harness gives it https://localhost:PORT for the TLS server.
"""
import os
import sys
from urllib.parse import urlsplit

import boto
from boto.regioninfo import RegionInfo
from boto.sts import STSConnection


def main():
    endpoint, serial, duration = sys.argv[1:4]
    url = urlsplit(endpoint)
    path = os.path.expanduser(os.environ['BOTO_CONFIG'])
    code = sys.stdin.readline().strip()

    region = RegionInfo(name='us-east-1', endpoint=url.hostname,
                        connection_cls=STSConnection)
    sts = STSConnection(boto.config.get('long-term', 'aws_access_key_id'),
                        boto.config.get('long-term', 'aws_secret_access_key'),
                        is_secure=url.scheme == 'https', port=url.port,
                        region=region)
    # A custom host: boto 2 would guess the SigV4 region and service from
    # the host name ("127.0.0.1" gives service "127", region "0")
    sts.auth_region_name = 'us-east-1'
    sts.auth_service_name = 'sts'
    token = sts.get_session_token(duration=int(duration), force_new=True,
                                  mfa_serial_number=serial, mfa_token=code)

    for option, value in (('aws_access_key_id', token.access_key),
                          ('aws_secret_access_key', token.secret_key),
                          ('aws_security_token', token.session_token),
                          ('x_security_token_expires', token.expiration)):
        boto.config.save_option(path, 'Credentials', option, value)
    return 0


if __name__ == '__main__':
    sys.exit(main())
