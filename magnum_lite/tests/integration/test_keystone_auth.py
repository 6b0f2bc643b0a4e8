"""magnum-lite behind keystonemiddleware, against the real Keystone
(``harness.keystone``): the real ``openstack coe`` client authenticates
with a password and finds the API through the catalog; tokens that are
missing, bogus or scoped elsewhere get nothing; and what keystonemiddleware
tells the API about a trust-scoped token.
"""

import json
import os

import fixtures
import requests
import webtest
from keystoneauth1 import exceptions as ks_exc
from keystonemiddleware import auth_token
from oslo_config import cfg
from testtools import content

from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import cli
from magnum_lite.tests.harness import keystone

TEMPLATE = {'coe': 'kubernetes', 'image_id': 'img-1', 'flavor_id': 'm1',
            'master_flavor_id': 'm1', 'keypair_id': 'kp',
            'master_lb_enabled': True}


class KeystoneAPITestCase(api_server.ServerPerClass, base.DbTestCase):
    """The API server subprocess with ``auth_strategy = keystone``."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    @classmethod
    def server_options(cls):
        cls.keystone = keystone.shared()
        return {'keystone': cls.keystone,
                'config': {'trust': cls.keystone.trust_options()}}

    def setUp(self):
        super().setUp()
        self.cli = self.useFixture(cli.OpenStackCLI())

    def request(self, user, method, path, body=None, token=None):
        """``(status, json)`` of a request with ``user``'s token (or the
        given ``token``; ``user`` None and no token: no token at all)."""
        headers = {}
        if token is not None or user is not None:
            headers['X-Auth-Token'] = token or self.keystone.token(user)
        return self.server.request(method, path, body, headers=headers)

    def openstack(self, user, *args):
        """``openstack <args> -f json`` as ``user``: password auth and the
        catalog, no endpoint override."""
        result = self.cli.run([*args, '-f', 'json'],
                              env=self.keystone.openstack_env(user),
                              shown=f'{" ".join(args)} (as {user})')
        self.assertEqual(0, result.returncode, result.stderr)
        return json.loads(result.stdout)

    def test_openstack_client_through_the_catalog(self):
        status, template = self.request(
            'alpha-member', 'POST', '/clustertemplates',
            dict(TEMPLATE, name='alpha-tpl'))
        self.assertEqual(201, status, template)
        status, cluster = self.request(
            'alpha-member', 'POST', '/clusters',
            {'name': 'alpha-c1', 'cluster_template_id': 'alpha-tpl',
             'master_count': 1, 'node_count': 1})
        self.assertEqual(202, status, cluster)

        templates = self.openstack('alpha-reader', 'coe', 'cluster',
                                   'template', 'list')
        self.assertEqual(['alpha-tpl'], [t['name'] for t in templates])
        clusters = self.openstack('alpha-reader', 'coe', 'cluster', 'list')
        self.assertEqual([cluster['uuid']], [c['uuid'] for c in clusters])
        # Another project's member sees none of it.
        self.assertEqual([], self.openstack('beta-member', 'coe', 'cluster',
                                            'template', 'list'))
        self.assertEqual([], self.openstack('beta-member', 'coe', 'cluster',
                                            'list'))

    def test_rows_carry_the_keystone_identity(self):
        status, template = self.request(
            'alpha-member', 'POST', '/clustertemplates',
            dict(TEMPLATE, name='owned'))
        self.assertEqual(201, status, template)
        self.assertEqual(self.keystone.projects['alpha'],
                         template['project_id'])
        self.assertEqual(self.keystone.users['alpha-member'].id,
                         template['user_id'])

    def test_missing_and_bad_tokens_are_401(self):
        for token in (None, 'bogus', self.keystone.token('alpha-member')[:-4]
                      + 'AAAA'):
            response = requests.get(
                self.server.endpoint + '/v1/clusters', timeout=30,
                headers={'X-Auth-Token': token} if token else {})
            self.assertEqual(401, response.status_code, token)
            # keystonemiddleware's refusal, in Magnum's envelope.
            error = response.json()['errors'][0]
            self.assertEqual((401, 'client'), (error['status'],
                                               error['code']))
            self.assertIn('requires authentication', error['detail'])
            self.assertIn('WWW-Authenticate', response.headers)
            self.assertIn(self.keystone.url,
                          response.headers['WWW-Authenticate'])
        # The version documents stay public.
        self.assertEqual(200, requests.get(self.server.endpoint + '/v1',
                                           timeout=30).status_code)

    def test_forged_identity_headers_are_ignored(self):
        status, body = self.request(
            'beta-member', 'POST', '/clustertemplates',
            dict(TEMPLATE, name='forged'))
        self.assertEqual(201, status, body)
        response = requests.get(
            self.server.endpoint + '/v1/clustertemplates', timeout=30,
            headers={'X-Auth-Token': self.keystone.token('alpha-reader'),
                     'X-Project-Id': self.keystone.projects['beta'],
                     'X-Roles': 'admin,member,reader'})
        self.assertEqual(200, response.status_code)
        self.assertEqual([], response.json()['clustertemplates'])

    def test_unscoped_and_domain_tokens_get_nothing(self):
        domain_token = self.keystone.token(
            'trustee-admin', domain=self.keystone.trustee_domain_id)
        status, body = self.request(None, 'GET', '/clusters',
                                    token=domain_token)
        self.assertEqual(403, status, body)


class TrustTokenHeaders(base.TestCase):
    """What keystonemiddleware passes on for a trust-scoped token.

    A trustee user in the trustee domain, a trust from ``alpha-member``
    (role member on alpha), with and without impersonation; an echo app
    behind auth_token shows the identity headers the API would see.
    """

    def setUp(self):
        super().setUp()
        self.keystone = keystone.shared()
        seen = {}

        def echo(environ, start_response):
            seen.clear()
            seen.update({k[7:].replace('_', '-').title(): v
                         for k, v in environ.items()
                         if k.startswith('HTTP_X_')
                         and k != 'HTTP_X_SERVICE_CATALOG'})
            plugin = environ['keystone.token_auth']
            seen['trust_id'] = plugin.user.trust_id
            seen['trustee_user_id'] = plugin.user.trustee_user_id
            seen['trustor_user_id'] = plugin.user.trustor_user_id
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'ok']

        self.seen = seen
        self.app = webtest.TestApp(auth_token.AuthProtocol(
            echo, {'oslo_config_config': self._private_conf()}))
        self.trustor = self.keystone.users['alpha-member']
        domain_admin = self.keystone.session(
            'trustee-admin', domain=self.keystone.trustee_domain_id)
        from keystoneclient.v3 import client
        self.domain_client = client.Client(session=domain_admin,
                                           interface='public')
        self.trustee_password = 'trustee-%s' % os.urandom(8).hex()
        self.trustee = self.domain_client.users.create(
            'k1-trustee-%s' % os.urandom(4).hex(),
            domain=self.keystone.trustee_domain_id,
            password=self.trustee_password)
        self.addCleanup(self.domain_client.users.delete, self.trustee.id)

    def _private_conf(self):
        """keystonemiddleware registers its options (and its auth
        plugin's, auth_url required) in the configuration it is given:
        not the process-wide one the other tests parse."""
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'authtoken.conf')
        with open(path, 'w') as f:
            f.write('[keystone_authtoken]\n')
            for key, value in self.keystone.authtoken_options().items():
                f.write(f'{key} = {value}\n')
        conf = cfg.ConfigOpts()
        conf(['--config-file', path], project='k1-echo',
             default_config_files=[])
        return conf

    def _trust_token(self, impersonation):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3
        from keystoneclient.v3 import client

        owner = client.Client(session=self.keystone.session('alpha-member'),
                              interface='public')
        trust = owner.trusts.create(
            trustee_user=self.trustee.id, trustor_user=self.trustor.id,
            project=self.keystone.projects['alpha'], role_names=['member'],
            impersonation=impersonation)
        self.addCleanup(owner.trusts.delete, trust.id)
        auth = v3.Password(auth_url=self.keystone.url,
                           user_id=self.trustee.id,
                           password=self.trustee_password,
                           trust_id=trust.id)
        return trust, ks_session.Session(auth=auth).get_token()

    def _headers(self, token):
        self.app.get('/', headers={'X-Auth-Token': token})
        self.addDetail('headers', content.text_content(
            json.dumps(self.seen, indent=1, sort_keys=True)))
        return dict(self.seen)

    def test_project_token(self):
        seen = self._headers(self.keystone.token('alpha-member'))
        self.assertEqual(self.trustor.id, seen['User-Id'])
        self.assertIsNone(seen['trust_id'])
        # keystonectl names the admin project: others are not it.
        self.assertEqual('False', seen['Is-Admin-Project'])
        admin = self._headers(self.keystone.admin_session().get_token())
        self.assertEqual('True', admin['Is-Admin-Project'])

    def test_impersonating_trust(self):
        trust, token = self._trust_token(impersonation=True)
        seen = self._headers(token)
        # The trustor's identity, the trust's project and roles...
        self.assertEqual(self.trustor.id, seen['User-Id'])
        self.assertEqual('alpha-member', seen['User-Name'])
        self.assertEqual('default', seen['User-Domain-Id'])
        self.assertEqual(self.keystone.projects['alpha'], seen['Project-Id'])
        self.assertEqual({'member', 'reader'},
                         set(seen['Roles'].split(',')))
        # ... and no header says a trust was used: only the token data.
        self.assertFalse([h for h in seen if 'Trust' in h], seen)
        self.assertEqual(trust.id, seen['trust_id'])
        self.assertEqual(self.trustee.id, seen['trustee_user_id'])
        self.assertEqual(self.trustor.id, seen['trustor_user_id'])

    def test_plain_trust(self):
        trust, token = self._trust_token(impersonation=False)
        seen = self._headers(token)
        self.assertEqual(self.trustee.id, seen['User-Id'])
        self.assertEqual(self.keystone.trustee_domain_id,
                         seen['User-Domain-Id'])
        self.assertEqual(self.keystone.projects['alpha'], seen['Project-Id'])
        self.assertEqual(trust.id, seen['trust_id'])

    def test_project_scope_refused_to_the_trustee(self):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        auth = v3.Password(auth_url=self.keystone.url,
                           user_id=self.trustee.id,
                           password=self.trustee_password,
                           project_id=self.keystone.projects['alpha'])
        self.assertRaises(ks_exc.Unauthorized,
                          ks_session.Session(auth=auth).get_token)
