"""Clusters live in their owner's project, on the one-box control plane.

The API runs behind keystonemiddleware with the control plane's Keystone;
the conductor drives the control plane's Heat (keystonemiddleware,
``deferred_auth_method = trusts``, its stack domain) with ``[heat]
auth_mode = keystone``: through each cluster's stack trust, so every
Heat call for a cluster acts as its owner in the owner's project. The
cloud resources in our templates stay simulated here (the simulation
environment); that the stacks, and who can see them, are the owner's is
what is tested. The API checks the image, flavors, keypair and external
network with each owner's token against the real Nova, Glance and
Neutron.

A member of alpha and a member of beta each create a cluster: each
stack is in its owner's project and invisible to the other and to the
service project; resizes and a credential rotation go through the stack
trust; deleting removes the stacks, both trustees and every trust
(Heat's own, made from ours, included).
"""

import json
import sys
import time

import fixtures
import testtools
from keystoneauth1 import exceptions as ks_exc
from testtools import content

from magnum_lite.conductor import cluster_rows
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.drivers.heat import driver as heat_driver
from magnum_lite.drivers.heat import stacks as heat_stacks
from magnum_lite.tests import base
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import openstack
from magnum_lite.tests.integration import test_credentials_keystone as creds
from magnum_lite.tests.integration import test_openstack_control_plane

_public_key = test_openstack_control_plane._public_key

ALPHA = 'alpha-member'
BETA = 'beta-member'
TIMEOUT = 600


@testtools.skipUnless(openstack.ENABLED, 'MAGNUM_LITE_OPENSTACK_TESTS=0')
class TenantStacksTest(creds.CredentialsTestBase):
    """Two tenants' clusters through the API, the real Heat as owner."""

    backend = 'mysql'
    fake_cloud = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cloud = openstack.shared()
        try:
            cls._seed()
        except BaseException:
            openstack.release()
            raise

    @classmethod
    def _seed(cls):
        """What the API checks as each owner (cluster/cloud_checks.py):
        a keypair of each user, and a public node image."""
        for user in (ALPHA, BETA):
            cls.cloud.call(user, 'compute', 'POST', '/os-keypairs', {
                'keypair': {'name': f'{user}-key',
                            'public_key': _public_key()}})
        cls.image = cls.cloud.call('admin', 'image', 'POST', '/v2/images', {
            'name': 'node', 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public', 'os_distro': 'debian'})['id']
        # With data, so that it is active: a cluster's image must be.
        cls.cloud.upload_image('admin', cls.image)

    @classmethod
    def tearDownClass(cls):
        # Idle, the control plane still holds 2.5 GiB: see
        # openstack.OpenStackTestCase.
        openstack.release()
        super().tearDownClass()

    def setUp(self):
        self.timings = {'control_plane_start': self.cloud.start_seconds}
        super().setUp()
        self.useFixture(base.RealDriver())
        self.addCleanup(self._report)

    def keystone_harness(self):
        return self.cloud.keystone

    def configure_heat(self):
        self.conf.config(group='heat', auth_mode='keystone', endpoint=None,
                         region_name=self.cloud.keystone.region,
                         environment_files=[heat_harness.SIMULATION_ENV])

    def _report(self):
        _, total = self.cloud.rss_mib()
        text = json.dumps({'timings_s': {k: round(v, 2) for k, v in
                                         self.timings.items()},
                           'rss_mib_total': total})
        self.addDetail('tenancy', content.text_content(text))
        print('openstack tenancy: %s' % text, file=sys.stderr)

    def create_template(self, **fields):
        db_api.template_create({
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': self.image,
            'flavor_id': self.cloud.flavor, 'master_flavor_id': 'mlt-tiny',
            'external_network_id': self.cloud.external_network,
            'network_driver': 'calico',
            'master_lb_enabled': True,
            'project_id': self.identity.project_a, 'public': True})

    # What Keystone and Heat say ----------------------------------------

    def stack_names(self, user):
        """Our stacks as ``user`` sees them in Heat, by name."""
        heat = self.cloud.heat_client(user)
        return {s.stack_name for s in heat.stacks.list(tags='magnum-lite')}

    def trusts_of(self, user):
        """Ids of the trusts ``user`` gave."""
        user_id = self.cloud.keystone.users[user].id
        return {t['id'] for t in self.identity.call(
            'GET', '/OS-TRUST/trusts',
            params={'trustor_user_id': user_id}).json()['trusts']}

    def served(self, trust_id):
        """Whether Keystone still serves a trust (a redelegated one whose
        parent is gone is listed but 404)."""
        try:
            self.identity.call('GET', f'/OS-TRUST/trusts/{trust_id}')
            return True
        except ks_exc.NotFound:
            return False

    def purposes(self, cluster):
        return sorted(row.purpose for row in db_api.credentials_of(cluster))

    def stack_trust(self, cluster):
        return db_api.credentials_of(cluster, 'stacks')[0]

    def measure_sync(self, *clusters):
        """One status-sync poll of ``clusters`` by a new driver: one
        stack list per project, each through a stack trust; timed cold
        (each trust's first token) and warm (tokens kept)."""
        listed = []
        real = heat_stacks.Stacks.tagged

        def tagged(stacks, tag):
            listed.append(tag)
            return real(stacks, tag)

        self.useFixture(fixtures.MockPatchObject(
            heat_stacks.Stacks, 'tagged', tagged))
        rows = cluster_rows.load([db_api.cluster_get(c) for c in clusters])
        driver = heat_driver.HeatDriver()
        for phase in ('cold', 'warm'):
            listed.clear()
            t0 = time.monotonic()
            observed = driver.poll(None, rows)
            self.timings[f'sync_poll_2_projects_{phase}'] = \
                time.monotonic() - t0
            self.assertEqual(2, len(listed))
            self.assertEqual(dict.fromkeys(clusters, 'complete'),
                             {c: o.state for c, o in observed.items()})

    def as_user(self, user):
        """Headers for ``user``'s own token."""
        return {'X-Auth-Token': self.cloud.keystone.token(user)}

    def wait_as(self, user, uuid, *statuses):
        return self.wait_for(uuid, *statuses, timeout=TIMEOUT,
                             headers=self.as_user(user), interval=1)

    # The test ----------------------------------------------------------

    def test_each_cluster_lives_in_its_owners_project(self):
        self.create_template()
        trusts_before = self.trusts_of(ALPHA) | self.trusts_of(BETA)
        trustees_before = self.identity.trustees()
        t0 = time.monotonic()
        alpha = self.call('POST', '/v1/clusters', {
            'name': 'a1', 'cluster_template_id': 'tpl', 'master_count': 3,
            'node_count': 2, 'keypair': f'{ALPHA}-key'}, status=202,
            headers=self.as_user(ALPHA)).json['uuid']
        beta = self.call('POST', '/v1/clusters', {
            'name': 'b1', 'cluster_template_id': 'tpl', 'master_count': 1,
            'node_count': 1, 'keypair': f'{BETA}-key'}, status=202,
            headers=self.as_user(BETA)).json['uuid']
        self.assertEqual(['cluster', 'stacks'], self.purposes(alpha))
        body = self.wait_as(ALPHA, alpha, 'CREATE_COMPLETE')
        self.timings['create_3_masters_2_workers'] = time.monotonic() - t0
        # A rotation replaces the masters, each drained first through the
        # cluster's (fake) Kubernetes API.
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.useFixture(fake_kube.for_cluster(
            alpha, body['api_address'], heat_harness.node_names(
                self.cloud.heat_client(ALPHA), f'ml-{alpha}')))
        self.wait_as(BETA, beta, 'CREATE_COMPLETE')

        # Each stack is its owner's, seen by nobody else.
        self.assertEqual({f'ml-{alpha}'}, self.stack_names(ALPHA))
        self.assertEqual({f'ml-{beta}'}, self.stack_names(BETA))
        # The conductor has no credentials of its own for Heat ([heat]
        # sets no auth_type): every call went through a stack trust.
        self.assertIsNone(self.conf.conf.heat.auth_type)
        stack = self.cloud.heat_client(ALPHA).stacks.get(f'ml-{alpha}')
        self.assertEqual(self.identity.project_a,
                         stack.parameters['OS::project_id'])
        # Ours (for the cluster's services and for its stacks) and the
        # one Heat made from the stack trust for its own later work.
        alpha_trusts = self.trusts_of(ALPHA) - trusts_before
        self.assertEqual(3, len(alpha_trusts))

        self.measure_sync(alpha, beta)

        # Changes go through the stack trust too.
        self.call('POST', f'/v1/clusters/{alpha}/actions/resize',
                  {'node_count': 3}, status=202, headers=self.as_user(ALPHA))
        self.wait_as(ALPHA, alpha, 'UPDATE_COMPLETE')
        nodegroups = self.call(
            'GET', f'/v1/clusters/{alpha}/nodegroups',
            headers=self.as_user(ALPHA)).json['nodegroups']
        self.assertEqual(3, next(ng['node_count'] for ng in nodegroups
                                 if ng['role'] == 'worker'))

        # A rotation replaces the cluster's own credentials only.
        stack_trust = self.stack_trust(alpha)
        self.call('PATCH', f'/v1/credentials/{alpha}', status=202,
                  headers=self.as_user(ALPHA))
        self.wait_as(ALPHA, alpha, 'UPDATE_COMPLETE')
        self.assertEqual(['cluster', 'stacks'], self.purposes(alpha))
        self.assertEqual((stack_trust.id, stack_trust.user_id),
                         (self.stack_trust(alpha).id,
                          self.stack_trust(alpha).user_id))

        # Deleting leaves nothing in either project or in Keystone.
        t1 = time.monotonic()
        for user, uuid in ((ALPHA, alpha), (BETA, beta)):
            self.call('DELETE', f'/v1/clusters/{uuid}', status=204,
                      headers=self.as_user(user))
        self.wait_as(ALPHA, alpha, None)
        self.timings['delete'] = time.monotonic() - t1
        self.wait_as(BETA, beta, None)
        self.assertEqual(set(), self.stack_names(ALPHA))
        self.assertEqual(set(), self.stack_names(BETA))
        self.assertFalse(self.identity.user_exists(stack_trust.user_id))
        self.assertEqual(trustees_before, self.identity.trustees())
        # Heat deletes the trust it made a moment after the stack shows
        # deleted; revoking the stack trust takes it along too.
        deadline = time.monotonic() + 60
        while True:
            left = (self.trusts_of(ALPHA) | self.trusts_of(BETA)) - \
                trusts_before
            if not left or time.monotonic() > deadline:
                break
            time.sleep(2)
        # Keystone may still list Heat's trust once our stack trust, its
        # parent, is gone, but no longer serves it (404): dead, unusable.
        self.assertEqual(set(), {t for t in left if self.served(t)})
        self.assertEqual(0, self.count(models.ClusterCredential))
