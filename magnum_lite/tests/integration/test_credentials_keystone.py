"""Cluster credentials against the real Keystone, through the API.

The API runs behind keystonemiddleware with real tokens; the conductor
runs on RabbitMQ with the fake driver (only the cloud is faked). What the
tests prove is what Keystone says: the trust (or application credential)
a cluster gets works for its project only, a rotation replaces it, a
delete removes it, and a caller whose token Keystone will not let create
trusts gets a clear error instead of a stuck cluster.
"""

import logging
import time
import uuid

import fixtures
import webtest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from magnum_lite.clients import keystone
from magnum_lite.cluster import cluster_credentials
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests.harness import keystone as keystone_harness


class Identity:
    """What the tests need of K1's seeded Keystone (tests/harness/keystone):
    the member of project alpha calls the API; beta is another project;
    trustees go to the seeded trustee domain. What a test creates in
    Keystone it deletes (the harness is shared by the test process)."""

    def __init__(self, harness, test):
        self.harness = harness
        self.url = harness.url
        self.test = test
        self.member = harness.users['alpha-member']
        self.project_a = harness.projects['alpha']
        self.project_b = harness.projects['beta']
        self.domain = harness.trustee_domain_id
        self.domain_admin = harness.users['trustee-admin']
        # System scope: only it may grant system roles (enforce_scope).
        self.admin = ks_session.Session(auth=v3.Password(
            auth_url=self.url, username='admin', user_domain_id='default',
            password=harness.users['admin'].password, system_scope='all'))

    def call(self, method, path, **kwargs):
        return self.admin.request(self.url + path, method,
                                  endpoint_override=self.url, **kwargs)

    def system_admin(self):
        """Application-credential mode: a trustee domain admin that may
        delete callers' application credentials, which needs system
        scope. Returns (id, password); deleted at clean-up."""
        password = uuid.uuid4().hex
        user = self.call('POST', '/users', json={'user': {
            'name': f'k2-sysadmin-{uuid.uuid4().hex[:8]}',
            'domain_id': self.domain, 'password': password}}).json()['user']
        self.test.addCleanup(self.call, 'DELETE', f'/users/{user["id"]}')
        self.call('PUT', f'/system/users/{user["id"]}/roles/'
                         f'{self.harness.roles["admin"]}')
        return user['id'], password

    def user_exists(self, user_id):
        try:
            self.call('GET', f'/users/{user_id}')
            return True
        except ks_exc.NotFound:
            return False

    def trustees(self):
        users = self.call('GET', '/users',
                          params={'domain_id': self.domain}).json()['users']
        return {u['id'] for u in users} - {self.domain_admin.id}

    def token(self):
        return self.harness.token('alpha-member')

    def doomed_member(self):
        """A project of its own with a member: (project id, the member's
        token). Both are deleted at clean-up, if the test has not."""
        project = self.call('POST', '/projects', json={'project': {
            'name': f'k14-doomed-{uuid.uuid4().hex[:8]}',
            'domain_id': 'default'}}).json()['project']['id']
        self.test.addCleanup(self.delete_quietly, f'/projects/{project}')
        password = uuid.uuid4().hex
        user = self.call('POST', '/users', json={'user': {
            'name': f'k14-doomed-{uuid.uuid4().hex[:8]}',
            'domain_id': 'default', 'password': password}}).json()['user']
        self.test.addCleanup(self.delete_quietly, f'/users/{user["id"]}')
        self.call('PUT', f'/projects/{project}/users/{user["id"]}/roles/'
                         f'{self.harness.roles["member"]}')
        auth = v3.Password(auth_url=self.url, user_id=user['id'],
                           password=password, project_id=project)
        return project, ks_session.Session(auth=auth).get_token()

    def delete_quietly(self, path):
        try:
            self.call('DELETE', path)
        except ks_exc.NotFound:
            pass

    def app_credential_token(self):
        """A token obtained with a (restricted) application credential
        of the member; the credential is deleted at clean-up."""
        session = self.harness.session('alpha-member')
        path = f'{self.url}/users/{self.member.id}/application_credentials'
        created = session.post(path, endpoint_override=self.url, json={
            'application_credential': {'name': uuid.uuid4().hex}}
        ).json()['application_credential']
        self.test.addCleanup(session.delete, f'{path}/{created["id"]}',
                             endpoint_override=self.url)
        auth = v3.ApplicationCredential(
            auth_url=self.url, application_credential_id=created['id'],
            application_credential_secret=created['secret'])
        return ks_session.Session(auth=auth).get_token()


def authenticate(url, **kwargs):
    """The AccessInfo of a fresh authentication; raises Unauthorized."""
    auth = v3.Password(auth_url=url, **kwargs)
    return auth.get_access(ks_session.Session())


class CredentialsTestBase(base.FunctionalTestCase):
    """The API behind keystonemiddleware, the conductor, fake cloud."""

    backend = 'sqlite'
    scenarios = None
    mode = 'trust'

    def setUp(self):
        super().setUp()
        # Shown with a failure: what the API and conductor logged.
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        harness = self.keystone_harness()
        self.url = harness.url
        self.identity = Identity(harness, self)
        self.conf.config(auth_strategy='keystone', group='api')
        # keystonemiddleware registers its auth plugin's options only when
        # it loads; registered here (and unregistered at clean-up by the
        # fixture) so they can be set.
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        self.conf.config(group='keystone_authtoken',
                         **harness.authtoken_options())
        self.conf.config(group='trust', auth_url=self.url,
                         credential_mode=self.mode,
                         **self.trust_options(harness))
        self.configure_heat()
        keystone.reset()
        self.addCleanup(keystone.reset)
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())
        self.token = self.identity.token()

    def keystone_harness(self):
        """The seeded Keystone the API and the credentials use."""
        return keystone_harness.shared()

    def configure_heat(self):
        """The fake driver reaches no Heat, so clusters need no stack
        trust (test_openstack_tenancy drives the real Heat with one)."""
        self.conf.config(auth_mode='noauth', group='heat')

    def trust_options(self, harness):
        """The trustee domain and its admin, by id."""
        admin = self.identity.domain_admin
        return {'trustee_domain_id': self.identity.domain,
                'trustee_domain_admin_id': admin.id,
                'trustee_domain_admin_password': admin.password}

    def headers(self, version='latest', token=None, **extra):
        headers = {'X-Auth-Token': token or self.token,
                   'Accept': 'application/json',
                   'OpenStack-API-Version': f'container-infra {version}'}
        headers.update(extra)
        return headers

    def create_template(self, **fields):
        # Cluster templates are not what is tested: write the row.
        db_api.template_create({
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img',
            'flavor_id': 'm1', 'master_flavor_id': 'm1', 'keypair_id': 'kp',
            'project_id': self.identity.project_a, 'public': True})

    def assert_deleted_project_refused(self):
        """POST /v1/clusters with a token keystonemiddleware has cached
        while its project was deleted in Keystone since: a 4xx that says
        so, not 503 "Keystone is unavailable"."""
        response, project = self.create_with_deleted_project()
        # Keystone answers the call that makes the credentials 401 (the
        # token is revoked) or, while Keystone's own cache still holds
        # the token as valid, 404 for the project: either may come.
        self.assertIn(response.status_int, (401, 404), response.text)
        if response.status_int == 401:
            error = self.assert_error(response, 401, "no longer accepts "
                                      "the caller's token")
        else:
            error = self.assert_error(response, 404, "cannot find the "
                                      "caller's project")
            self.assertIn(f'Could not find project: {project}',
                          error['detail'])
        self.assertEqual('client', error['code'])

    def create_with_deleted_project(self):
        """POST /v1/clusters with a token keystonemiddleware has cached
        while its project was deleted in Keystone since; returns the
        response and the project's id."""
        self.create_template()
        project, token = self.identity.doomed_member()
        before = self.identity.trustees()
        # The first request validates the token: it is cached from now.
        self.call('GET', '/v1/clusters', headers={'X-Auth-Token': token})
        self.identity.call('DELETE', f'/projects/{project}')
        response = self.call('POST', '/v1/clusters',
                             {'name': 'c1', 'cluster_template_id': 'tpl'},
                             headers={'X-Auth-Token': token}, status='*')
        # Nothing is left behind: no cluster, no trustee user.
        self.assertEqual(0, self.count(models.Cluster))
        self.assertEqual(before, self.identity.trustees())
        return response, project

    def stored(self, uuid_):
        return cluster_credentials.heat_values(uuid_)

    def create(self):
        self.create_template()
        return self.create_cluster(master_count=1, node_count=1)['uuid']

    def wait_gone(self, uuid_):
        self.wait_for(uuid_, None)

    def assert_secrets_stay(self, cluster, *credentials):
        """No secret in what the API answers or anything logged."""
        seen = (self.call('GET', f'/v1/clusters/{cluster}').text
                + self.call('GET', '/v1/clusters/detail').text
                + self.log.output)
        for values in credentials:
            for key in ('trustee_password', 'trust_id',
                        'application_credential_secret'):
                if values.get(key):
                    self.assertNotIn(values[key], seen, key)
        self.assertNotIn(self.token, seen)


class TrustTest(CredentialsTestBase):

    def trust_options(self, harness):
        """By name here (Magnum's usual configuration), by id in the
        application-credential tests."""
        admin = self.identity.domain_admin
        return {'trustee_domain_name': harness.trustee_domain_name,
                'trustee_domain_admin_name': admin.name,
                'trustee_domain_admin_password': admin.password}

    def assert_trust_works(self, values):
        access = authenticate(self.url, user_id=values['trustee_user_id'],
                              password=values['trustee_password'],
                              trust_id=values['trust_id'])
        self.assertEqual(self.identity.project_a, access.project_id)
        # Impersonation: the token acts as the cluster's creator.
        self.assertEqual(self.identity.member.id, access.user_id)
        self.assertIn('member', access.role_names)
        # Its token reads the cluster's project, not another one.
        for project, allowed in ((self.identity.project_a, True),
                                 (self.identity.project_b, False)):
            response = ks_session.Session().get(
                f'{self.url}/projects/{project}', raise_exc=False,
                headers={'X-Auth-Token': access.auth_token})
            self.assertEqual(allowed, response.status_code == 200,
                             f'{project}: {response.status_code}')
            if not allowed:
                self.assertIn(response.status_code, (401, 403))

    def assert_rejected(self, **kwargs):
        self.assertRaises(ks_exc.Unauthorized, authenticate, self.url,
                          **kwargs)

    def test_create_rotate_delete(self):
        cluster = self.create()
        first = self.stored(cluster)
        self.assertEqual(self.identity.domain, first['trustee_domain_id'])
        self.assertEqual(f'{cluster}_{self.identity.project_a}',
                         first['trustee_username'])
        self.assertTrue(first['auth_url'].endswith('/v3'))
        self.assert_trust_works(first)
        # The trustee's password alone opens no other project.
        self.assert_rejected(user_id=first['trustee_user_id'],
                             password=first['trustee_password'],
                             project_id=self.identity.project_b)

        # A rotation Keystone refuses leaves the cluster as it was.
        response = self.call(
            'PATCH', f'/v1/credentials/{cluster}', status=403,
            headers={'X-Auth-Token': self.identity.app_credential_token()})
        self.assert_error(response, 403, 'CVE-2026-43000')
        self.assertEqual('CREATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{cluster}').json['status'])
        self.assertEqual(first, self.stored(cluster))

        self.call('PATCH', f'/v1/credentials/{cluster}', status=202)
        self.wait_for(cluster, 'UPDATE_COMPLETE')
        second = self.stored(cluster)
        self.assertNotEqual(first['trust_id'], second['trust_id'])
        self.assert_trust_works(second)
        self.assert_rejected(user_id=first['trustee_user_id'],
                             password=first['trustee_password'],
                             trust_id=first['trust_id'])
        self.assertFalse(self.identity.user_exists(first['trustee_user_id']))
        self.assertEqual(1, self.count(models.ClusterCredential))
        self.assert_secrets_stay(cluster, first, second)

        self.call('DELETE', f'/v1/clusters/{cluster}', status=204)
        self.wait_gone(cluster)
        self.assert_rejected(user_id=second['trustee_user_id'],
                             password=second['trustee_password'],
                             trust_id=second['trust_id'])
        self.assertFalse(
            self.identity.user_exists(second['trustee_user_id']))
        self.assertEqual(0, self.count(models.ClusterCredential))

    def test_keystone_outage(self):
        cluster = self.create()
        first = self.stored(cluster)
        before = self.identity.trustees()
        unseen = self.identity.token()  # never shown to the API yet
        harness = self.keystone_harness()
        harness.pause()
        self.addCleanup(self._resume, harness)
        # The cached token keeps working for what needs no Keystone.
        self.assertEqual('CREATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{cluster}').json['status'])
        # A token keystonemiddleware cannot validate: 503, our envelope.
        response = self.call('GET', '/v1/clusters', status=503,
                             headers={'X-Auth-Token': unseen})
        self.assert_error(response, 503, 'Keystone')
        # What needs new credentials is refused whole: no row.
        response = self.call('POST', '/v1/clusters', {
            'name': 'c2', 'cluster_template_id': 'tpl'}, status=503)
        self.assert_error(response, 503, 'Keystone is unavailable')
        self.call('PATCH', f'/v1/credentials/{cluster}', status=503)
        self.assertEqual(first, self.stored(cluster))
        self.assertEqual(1, self.count(models.Cluster))
        # A delete waits for Keystone to remove the trust and its user.
        self.call('DELETE', f'/v1/clusters/{cluster}', status=204)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.assertEqual('DELETE_IN_PROGRESS', self.call(
                'GET', f'/v1/clusters/{cluster}').json['status'])
            time.sleep(0.5)
        self._resume(harness)
        self.wait_gone(cluster)
        self.assertFalse(self.identity.user_exists(first['trustee_user_id']))
        self.assertEqual(before - {first['trustee_user_id']},
                         self.identity.trustees())
        self.assertEqual(0, self.count(models.ClusterCredential))

    @staticmethod
    def _resume(harness):
        if harness.state and not keystone_harness.keystonectl.local.pid_alive(
                harness.state['pid']):
            harness.resume()

    def test_application_credential_caller_gets_a_clear_refusal(self):
        self.create_template()
        before = self.identity.trustees()
        token = self.identity.app_credential_token()
        response = self.call('POST', '/v1/clusters',
                             {'name': 'c1', 'cluster_template_id': 'tpl'},
                             headers={'X-Auth-Token': token}, status=403)
        error = self.assert_error(response, 403, 'CVE-2026-43000')
        self.assertIn('Authenticate with a password', error['detail'])
        self.assertEqual('client', error['code'])
        # Nothing is left behind: no cluster, no trustee user.
        self.assertEqual(0, self.count(models.Cluster))
        self.assertEqual(0, self.count(models.ClusterCredential))
        self.assertEqual(before, self.identity.trustees())


    def test_deleted_project_is_not_keystone_unavailable(self):
        self.assert_deleted_project_refused()


class ApplicationCredentialTest(CredentialsTestBase):

    mode = 'application_credential'

    def trust_options(self, harness):
        admin_id, password = self.identity.system_admin()
        return {'trustee_domain_id': self.identity.domain,
                'trustee_domain_admin_id': admin_id,
                'trustee_domain_admin_password': password}

    def assert_works(self, values):
        auth = v3.ApplicationCredential(
            auth_url=self.url,
            application_credential_id=values['application_credential_id'],
            application_credential_secret=values[
                'application_credential_secret'])
        access = auth.get_access(ks_session.Session())
        self.assertEqual(self.identity.project_a, access.project_id)
        self.assertEqual(['member'], [r for r in access.role_names
                                      if r != 'reader'])

    def assert_rejected(self, values):
        auth = v3.ApplicationCredential(
            auth_url=self.url,
            application_credential_id=values['application_credential_id'],
            application_credential_secret=values[
                'application_credential_secret'])
        # Keystone answers 404 for an application credential it deleted.
        self.assertRaises((ks_exc.Unauthorized, ks_exc.NotFound),
                          auth.get_access, ks_session.Session())

    def test_create_rotate_delete(self):
        cluster = self.create()
        first = self.stored(cluster)
        self.assert_works(first)
        self.call('PATCH', f'/v1/credentials/{cluster}', status=202)
        self.wait_for(cluster, 'UPDATE_COMPLETE')
        second = self.stored(cluster)
        self.assert_works(second)
        self.assert_rejected(first)
        self.assert_secrets_stay(cluster, first, second)
        self.call('DELETE', f'/v1/clusters/{cluster}', status=204)
        self.wait_gone(cluster)
        self.assert_rejected(second)
        self.assertEqual(0, self.count(models.ClusterCredential))

    def test_restricted_application_credential_caller(self):
        self.create_template()
        token = self.identity.app_credential_token()
        response = self.call('POST', '/v1/clusters',
                             {'name': 'c1', 'cluster_template_id': 'tpl'},
                             headers={'X-Auth-Token': token}, status=403)
        self.assert_error(response, 403, 'restricted application credential')
        self.assertEqual(0, self.count(models.Cluster))

    def test_deleted_project_is_not_keystone_unavailable(self):
        self.assert_deleted_project_refused()
