"""Which credentials clusters get, and what may be said about them.

The Keystone side is proven against the real Keystone in
tests/integration/test_credentials_keystone.py.
"""

import logging

import fixtures
from keystoneauth1 import exceptions as ks_exc

from magnum_lite.clients import keystone
from magnum_lite.cluster import cluster_credentials
from magnum_lite.common import exception
from magnum_lite.tests import base


class ModeTest(base.TestCase):

    def test_noauth_means_none_and_says_so(self):
        self.conf.config(auth_strategy='noauth', group='api')
        self.assertEqual(cluster_credentials.NONE, cluster_credentials.mode())
        cluster_credentials._SAID.clear()
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        cluster_credentials.log_mode()
        cluster_credentials.log_mode()
        self.assertEqual(1, log.output.count(
            'no cloud credentials: [api] auth_strategy = noauth'))

    def test_keystone_modes(self):
        self.conf.config(auth_strategy='keystone', group='api')
        self.assertEqual('trust', cluster_credentials.mode())
        self.conf.config(credential_mode='application_credential',
                         group='trust')
        self.assertEqual('application_credential',
                         cluster_credentials.mode())
        self.conf.config(cluster_user_trust=False, group='trust')
        self.assertEqual(cluster_credentials.NONE, cluster_credentials.mode())
        cluster_credentials._SAID.clear()
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        cluster_credentials.log_mode()
        self.assertIn('cluster_user_trust = False', log.output)

    def test_nothing_is_made_without_keystone(self):
        self.conf.config(auth_strategy='noauth', group='api')
        self.assertEqual([], cluster_credentials.create(None, 'uuid'))


class SecretsStayHiddenTest(base.TestCase):

    def test_repr_and_row_hide_the_secrets(self):
        credential = cluster_credentials.Credential(
            'trust', 'user-1', 'name', 'dom',
            {'password': 'pw-123', 'trust_id': 'trust-456'})
        self.assertNotIn('pw-123', repr(credential))
        row = credential.row()
        self.assertNotIn('pw-123', str(row))
        self.assertNotIn('trust-456', str(row))
        self.assertEqual('user-1', row['user_id'])


class RefusalTest(base.TestCase):
    """Keystone's refusals of the caller become errors that name the cause
    and the fix; the cause is how the caller's token was obtained."""

    def test_application_credential_tokens_may_not_create_trusts(self):
        err = keystone.refusal('Delegated tokens cannot manage trusts.',
                               '/OS-TRUST/trusts',
                               ['application_credential'])
        self.assertEqual(403, err.code)
        self.assertIn('CVE-2026-43000', str(err))
        self.assertIn('Authenticate with a password', str(err))

    def test_restricted_application_credentials(self):
        err = keystone.refusal('not allowed',
                               '/users/u/application_credentials',
                               ['application_credential'])
        self.assertIn('restricted application credential', str(err))

    def test_other_refusals_keep_keystones_reason(self):
        err = keystone.refusal('Requested role not found',
                               '/OS-TRUST/trusts', ['password'])
        self.assertEqual(403, err.code)
        self.assertIn('Requested role not found', str(err))
        self.assertNotIn('CVE', str(err))

    def test_v3_url(self):
        self.conf.config(auth_url='http://k:5000', group='trust')
        self.assertEqual('http://k:5000/v3', keystone.v3_url())
        self.conf.config(auth_url='http://k/identity/v3/', group='trust')
        self.assertEqual('http://k/identity/v3', keystone.v3_url())


class _Refusing:
    """A keystoneauth1 session stand-in whose every request raises."""

    def __init__(self, error):
        self.error = error

    def request(self, *args, **kwargs):
        raise self.error


class KeystoneStatusTest(base.TestCase):
    """Keystone's answer to a call becomes the status it means: the
    caller's 4xx are theirs, the trustee admin's are our
    misconfiguration, and only an unreachable or failing Keystone is
    'unavailable'."""

    def setUp(self):
        super().setUp()
        # Nothing listens there: learning the token's methods fails.
        self.conf.config(auth_url='http://127.0.0.1:9/v3', group='trust')

    def status(self, error, caller_token=None):
        try:
            keystone._request(_Refusing(error), 'POST', '/OS-TRUST/trusts',
                              caller_token=caller_token)
        except exception.MagnumLiteError as err:
            return err.code, type(err).__name__
        self.fail('no error')

    def test_table(self):
        cases = [
            (ks_exc.BadRequest('bad'), 'tok', 400, 'CredentialsInvalid'),
            (ks_exc.Unauthorized('revoked'), 'tok', 401,
             'CallerTokenRefused'),
            (ks_exc.Forbidden('no'), 'tok', 403, 'CredentialsRefused'),
            (ks_exc.NotFound('Could not find project: p'), 'tok', 404,
             'CallerIdentityNotFound'),
            (ks_exc.Conflict('dup'), 'tok', 409, 'CredentialsConflict'),
            (ks_exc.InternalServerError('boom'), 'tok', 503,
             'KeystoneUnavailable'),
            (ks_exc.ConnectFailure('down'), 'tok', 503,
             'KeystoneUnavailable'),
            (ks_exc.Unauthorized('bad password'), None, 503,
             'TrusteeAdminRefused'),
            (ks_exc.NotFound('Could not find domain: d'), None, 503,
             'TrusteeAdminRefused'),
            (ks_exc.ServiceUnavailable('busy'), None, 503,
             'KeystoneUnavailable'),
        ]
        for error, token, code, name in cases:
            self.assertEqual((code, name), self.status(error, token),
                             repr(error))
