#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a typical boto3 MFA helper does (aws-mfa and friends): read the
long-term key from ~/.aws/credentials, call STS GetSessionToken with the MFA
code, and write the temporary credentials into an INI profile with
configparser.

  boto3-renew.py ENDPOINT_URL SERIAL DURATION OUT_FILE PROFILE  < code

AWS_CA_BUNDLE (set for the TLS server) is honoured by botocore itself.
"""
import configparser
import sys

import boto3


def main():
    endpoint, serial, duration, out_file, profile = sys.argv[1:6]
    code = sys.stdin.readline().strip()
    session = boto3.session.Session(profile_name='default')
    sts = session.client('sts', endpoint_url=endpoint)
    answer = sts.get_session_token(DurationSeconds=int(duration),
                                   SerialNumber=serial, TokenCode=code)
    creds = answer['Credentials']

    config = configparser.ConfigParser()
    config.read(out_file)
    if not config.has_section(profile):
        config.add_section(profile)
    config.set(profile, 'aws_access_key_id', creds['AccessKeyId'])
    config.set(profile, 'aws_secret_access_key', creds['SecretAccessKey'])
    config.set(profile, 'aws_session_token', creds['SessionToken'])
    config.set(profile, 'aws_security_token', creds['SessionToken'])
    config.set(profile, 'x_security_token_expires',
               creds['Expiration'].strftime('%Y-%m-%dT%H:%M:%SZ'))
    with open(out_file, 'w') as f:
        config.write(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
