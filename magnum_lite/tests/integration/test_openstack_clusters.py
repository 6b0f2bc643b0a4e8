"""Our templates on the one-box control plane, unsimulated, end to end.

The API behind keystonemiddleware and the conductor drive the control
plane's Heat as each cluster's owner (``[heat] auth_mode = keystone``,
as in test_openstack_tenancy), but here the stacks are made of the real
OS::Nova::Server, OS::Neutron::* and OS::Octavia::* resources: only the
API load balancer's floating IP stays simulated
(templates/one_box_environment.yaml says why). No VM boots; the node
stand-in (harness/node_standin.py) reads each new server's user data
from Nova, runs the real bootstrap against the recording stand-ins, and
the bootstrap signals its wait condition through the real handle. So
template -> Heat -> Nova -> user data -> bootstrap -> signal is real.

One control plane for the class, one cluster for the visibility,
quota, resize and delete checks; the failure cases each build a small
cluster of their own.
"""

import json
import os
import sys
import time

import testtools
from testtools import content

from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import node_standin
from magnum_lite.tests.harness import openstack
from magnum_lite.tests.integration import test_credentials_keystone as creds
from magnum_lite.tests.integration import test_openstack_control_plane
from magnum_lite.tests.integration import test_openstack_tenancy as tenancy

ALPHA = tenancy.ALPHA
BETA = tenancy.BETA
ENVIRONMENT = os.path.join(
    openstack.REPO, 'magnum_lite', 'tests', 'integration', 'templates',
    'one_box_environment.yaml')
TIMEOUT = 900
HUGE_FLAVOR = 'mlt-huge'


@testtools.skipUnless(openstack.ENABLED, 'MAGNUM_LITE_OPENSTACK_TESTS=0')
class RealCloudClustersTest(creds.CredentialsTestBase):
    """Clusters of real servers, ports and load balancers, as owners."""

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
    def tearDownClass(cls):
        openstack.release()
        super().tearDownClass()

    @classmethod
    def _seed(cls):
        """alpha's own keypair, image (shared with beta) and network (a
        subnet routed to the external network); beta's keypair; a flavor
        no host fits."""
        call = cls.cloud.call
        for user in (ALPHA, BETA):
            call(user, 'compute', 'POST', '/os-keypairs', {'keypair': {
                'name': f'{user}-key',
                'public_key': test_openstack_control_plane._public_key()}})
        image = call(ALPHA, 'image', 'POST', '/v2/images', {
            'name': 'alpha-node', 'disk_format': 'raw',
            'container_format': 'bare', 'os_distro': 'debian'})
        cls.cloud.upload_image(ALPHA, image['id'])
        cls.image = image['id']
        # Shared with beta (a member that accepted it): beta's quota case
        # boots it too, and the API checks it as beta.
        beta = cls.cloud.keystone.session(BETA).get_project_id()
        call(ALPHA, 'image', 'POST', f"/v2/images/{image['id']}/members",
             {'member': beta})
        call(BETA, 'image', 'PUT',
             f"/v2/images/{image['id']}/members/{beta}",
             {'status': 'accepted'})
        net = call(ALPHA, 'network', 'POST', '/v2.0/networks', {
            'network': {'name': 'alpha-net'}})['network']
        subnet = call(ALPHA, 'network', 'POST', '/v2.0/subnets', {
            'subnet': {'name': 'alpha-subnet', 'network_id': net['id'],
                       'ip_version': 4, 'cidr': '10.40.0.0/24'}})['subnet']
        public = call(ALPHA, 'network', 'GET',
                      '/v2.0/networks?name=public')['networks'][0]
        router = call(ALPHA, 'network', 'POST', '/v2.0/routers', {
            'router': {'name': 'alpha-router', 'external_gateway_info': {
                'network_id': public['id']}}})['router']
        call(ALPHA, 'network', 'PUT',
             f"/v2.0/routers/{router['id']}/add_router_interface",
             {'subnet_id': subnet['id']})
        call('admin', 'compute', 'POST', '/flavors', {'flavor': {
            # Within every quota (Nova has none on disk), on no host: the
            # fake driver's hosts have 600,000 GB of disk.
            'name': HUGE_FLAVOR, 'ram': 512, 'vcpus': 1, 'disk': 10 ** 7,
            'id': HUGE_FLAVOR}})

    def setUp(self):
        self.timings = {'control_plane_start': self.cloud.start_seconds}
        super().setUp()
        self.useFixture(base.RealDriver())
        self.nodes = self.useFixture(node_standin.NodeStandIn(self.cloud))
        self.addCleanup(self._report)

    keystone_harness = tenancy.TenantStacksTest.keystone_harness
    stack_names = tenancy.TenantStacksTest.stack_names
    as_user = tenancy.TenantStacksTest.as_user
    wait_as = tenancy.TenantStacksTest.wait_as

    def configure_heat(self):
        self.conf.config(group='heat', auth_mode='keystone', endpoint=None,
                         region_name=self.cloud.keystone.region,
                         environment_files=[ENVIRONMENT])

    def _report(self):
        usage, total = self.cloud.rss_mib()
        text = json.dumps({'timings_s': {k: round(v, 2) for k, v in
                                         self.timings.items()},
                           'rss_mib_total': total,
                           'stand_in_errors': self.nodes.errors})
        self.addDetail('clusters', content.text_content(text))
        print('openstack clusters: %s' % text, file=sys.stderr)

    def create_template(self, **fields):
        values = {
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': self.image,
            'flavor_id': self.cloud.flavor,
            'master_flavor_id': self.cloud.flavor,
            'external_network_id': self.cloud.external_network,
            'network_driver': 'calico', 'master_lb_enabled': True,
            'floating_ip_enabled': True,
            # The stand-in curl serves the mirror; two fake compute hosts
            # take three masters only without strict anti-affinity.
            'labels': {'binary_mirror_url': node_standin.MIRROR_URL,
                       'server_group_policy': 'soft-anti-affinity'},
            'project_id': self.identity.project_a, 'public': True}
        values.update(fields)
        db_api.template_create(values)

    # What the owner sees in the cloud ------------------------------------

    def owned(self, user):
        """What ``user``'s project holds: {kind: set of ids}."""
        call = self.cloud.call
        net = '/v2.0'
        return {
            'servers': {s['id'] for s in call(
                user, 'compute', 'GET', '/servers')['servers']},
            'server_groups': {g['id'] for g in call(
                user, 'compute', 'GET', '/os-server-groups')[
                    'server_groups']},
            'ports': {p['id'] for p in call(
                user, 'network', 'GET', net + '/ports')['ports']},
            'floating_ips': {f['id'] for f in call(
                user, 'network', 'GET', net + '/floatingips')[
                    'floatingips']},
            'security_groups': {g['id'] for g in call(
                user, 'network', 'GET', net + '/security-groups')[
                    'security_groups']},
            'load_balancers': {lb['id'] for lb in call(
                user, 'load-balancer', 'GET', '/v2/lbaas/loadbalancers')[
                    'loadbalancers']},
            'stacks': {s.id for s in self.cloud.heat_client(
                user).stacks.list()},
        }

    def servers_of(self, user, cluster_name):
        return {s['name']: s['id'] for s in self.cloud.call(
            user, 'compute', 'GET', '/servers')['servers']
            if s['name'].startswith(cluster_name + '-')}

    def project_of(self, user):
        return self.cloud.keystone.session(user).get_project_id()

    def create_as(self, user, name, **fields):
        body = {'name': name, 'cluster_template_id': 'tpl',
                'master_count': 1, 'node_count': 1,
                'keypair': f'{user}-key'}
        body.update(fields)
        return self.call('POST', '/v1/clusters', body, status=202,
                         headers=self.as_user(user)).json['uuid']

    def delete_as(self, user, uuid):
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204,
                  headers=self.as_user(user))
        self.wait_as(user, uuid, None)

    # The tests -------------------------------------------------------------

    def test_cluster_of_real_servers_in_its_owners_project(self):
        self.create_template()
        before = self.owned(ALPHA)
        beta_before = self.owned(BETA)
        t0 = time.monotonic()
        uuid = self.create_as(ALPHA, 'k1', master_count=3, node_count=2,
                              fixed_network='alpha-net',
                              fixed_subnet='alpha-subnet')
        body = self.wait_as(ALPHA, uuid, 'CREATE_COMPLETE')
        self.timings['create_3_masters_2_workers'] = time.monotonic() - t0

        # Five servers of alpha, each booted by its user data and
        # signalled by its bootstrap.
        servers = self.servers_of(ALPHA, 'k1')
        self.assertEqual(
            {'k1-default-master-0', 'k1-default-master-1',
             'k1-default-master-2', 'k1-default-worker-0',
             'k1-default-worker-1'}, set(servers))
        alpha_project = self.project_of(ALPHA)
        for boot in self.nodes.wait_for(servers.values()):
            self.assertEqual((0, alpha_project),
                             (boot.returncode, boot.project_id),
                             boot.output)
            self.assertTrue(boot.signals, boot.name)
            self.assertIn('"status": "SUCCESS"', boot.signals[-1])
        listed = self.cloud.cli(ALPHA, 'server', 'list')
        self.assertEqual(set(servers), {s['Name'] for s in listed
                                        if s['Name'].startswith('k1-')})
        lbs = self.cloud.cli(ALPHA, 'loadbalancer', 'list')
        self.assertEqual(1, len(lbs))
        # beta sees none of it.
        self.assertEqual(beta_before, self.owned(BETA))
        self.assertEqual({}, self.servers_of(BETA, 'k1'))
        self.assertEqual(set(), self.stack_names(BETA))
        self.assertEqual({f'ml-{uuid}'}, self.stack_names(ALPHA))

        # alpha's quotas count them.
        nova = self.cloud.call(
            ALPHA, 'compute', 'GET',
            f'/os-quota-sets/{alpha_project}/detail')['quota_set']
        self.assertEqual(5, nova['instances']['in_use'])
        neutron = self.cloud.call(
            ALPHA, 'network', 'GET',
            f'/v2.0/quotas/{alpha_project}/details')['quota']
        # Five node floating IPs (the API load balancer's is simulated).
        self.assertEqual(5, neutron['floatingip']['used'])
        self.assertGreaterEqual(neutron['port']['used'], 5)

        # magnum-ui's way to a cluster's nodes: the owner's token, the
        # stack, its worker group and the group's servers.
        heat = self.cloud.heat_client(ALPHA)
        group = heat.resources.get(f'ml-{uuid}', 'kube_minions')
        workers = heat.resources.list(group.physical_resource_id)
        worker_ids = {heat.resources.get(m.physical_resource_id,
                                         'server').physical_resource_id
                      for m in workers}
        self.assertEqual({servers['k1-default-worker-0'],
                          servers['k1-default-worker-1']}, worker_ids)

        # Resize removing a named server removes exactly that one.
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.useFixture(fake_kube.for_cluster(
            uuid, body['api_address'], sorted(servers)))
        doomed = servers['k1-default-worker-0']
        self.call('POST', f'/v1/clusters/{uuid}/actions/resize',
                  {'node_count': 1, 'nodes_to_remove': [doomed]},
                  status=202, headers=self.as_user(ALPHA))
        self.wait_as(ALPHA, uuid, 'UPDATE_COMPLETE')
        left = dict(servers)
        del left['k1-default-worker-0']
        self.assertEqual(left, self.servers_of(ALPHA, 'k1'))

        # Delete leaves nothing of the cluster in alpha.
        t1 = time.monotonic()
        self.delete_as(ALPHA, uuid)
        self.timings['delete'] = time.monotonic() - t1
        self.assertEqual(before, self.owned(ALPHA))
        _, self.timings['rss_mib_after'] = self.cloud.rss_mib()

    def test_nova_refusals_fail_the_create_with_novas_reason(self):
        """A flavor no host can take (alpha) and an exhausted instance
        quota (beta, on a network its stack makes): CREATE_FAILED with
        Nova's words in status_reason."""
        self.create_template(master_lb_enabled=False)
        beta_project = self.project_of(BETA)
        quota = f'/os-quota-sets/{beta_project}'
        self.cloud.call('admin', 'compute', 'PUT', quota,
                        {'quota_set': {'instances': 1}})
        self.addCleanup(self.cloud.call, 'admin', 'compute', 'PUT', quota,
                        {'quota_set': {'instances': 10}})
        t0 = time.monotonic()
        huge = self.create_as(ALPHA, 'k2', flavor_id=HUGE_FLAVOR,
                              fixed_network='alpha-net',
                              fixed_subnet='alpha-subnet')
        over = self.create_as(BETA, 'q1')
        body = self.wait_as(ALPHA, huge, 'CREATE_FAILED')
        self.timings['no_valid_host_failed'] = time.monotonic() - t0
        self.assertIn('No valid host was found', body['status_reason'])
        body = self.wait_as(BETA, over, 'CREATE_FAILED')
        self.timings['quota_failed'] = time.monotonic() - t0
        self.assertIn('Quota exceeded for instances', body['status_reason'])
        for user, uuid in ((ALPHA, huge), (BETA, over)):
            self.delete_as(user, uuid)
        self.assertEqual({}, self.servers_of(ALPHA, 'k2'))
        self.assertEqual({}, self.servers_of(BETA, 'q1'))

    def test_failed_bootstrap_then_retry_rebuilds_that_node_only(self):
        self.create_template(master_lb_enabled=False)
        self.nodes.fail_once('k3-default-worker-1', 'kubeadm', 'join')
        uuid = self.create_as(ALPHA, 'k3', node_count=2,
                              fixed_network='alpha-net',
                              fixed_subnet='alpha-subnet')
        body = self.wait_as(ALPHA, uuid, 'CREATE_FAILED')
        reason = body['status_reason']
        # The failing step and its last lines, from the node's signal.
        self.assertIn('step kubeadm-join failed (exit 3) on '
                      'k3-default-worker-1', reason)
        self.assertIn('kubeadm output line 30', reason)
        before = self.servers_of(ALPHA, 'k3')
        [failed] = [b for b in self.nodes.boots.values()
                    if b.server_id == before['k3-default-worker-1']]
        self.assertEqual(3, failed.returncode)
        self.assertIn('"status": "FAILURE"', failed.signals[-1])

        # The retry (any update of a failed stack, drivers/heat/repairs.py)
        # rebuilds the node that failed to boot, and only it.
        self.call('POST', f'/v1/clusters/{uuid}/actions/resize',
                  {'node_count': 2}, status=202, headers=self.as_user(ALPHA))
        self.wait_as(ALPHA, uuid, 'UPDATE_COMPLETE')
        after = self.servers_of(ALPHA, 'k3')
        self.assertEqual(set(before), set(after))
        self.assertNotEqual(before['k3-default-worker-1'],
                            after['k3-default-worker-1'])
        for name in ('k3-default-master-0', 'k3-default-worker-0'):
            self.assertEqual(before[name], after[name])
        [rebuilt] = self.nodes.wait_for([after['k3-default-worker-1']])
        self.assertEqual(0, rebuilt.returncode, rebuilt.output)
        self.delete_as(ALPHA, uuid)
