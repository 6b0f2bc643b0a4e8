"""Auto-healing on the real Heat engine: a node that stays NotReady is
drained and its server, only its, replaced (conductor/healing.py,
drivers/heat/replacements.py).

Real RabbitMQ, MariaDB, conductor (its health periodic every 2 s) and
Heat; the cloud simulated (heat-templates/simulation); the cluster's
Kubernetes API is harness.fake_kube, scripted. Set
MAGNUM_LITE_HEAT_TESTS=0 to skip.
"""

import os
import time

import testtools
from testtools import content

from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
TIMEOUT = 600
HEALTH_INTERVAL = 2
# Seconds NotReady before the repair: long enough for the test to make
# the replacement Ready before it would count as unhealthy again.
UNHEALTHY_TIMEOUT = 10


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatHealingTest(heat_harness.OneHeatTestCase, base.FunctionalTestCase):
    """One Heat; a cluster per test, one node of which turns NotReady
    (one of three: within the default max_unhealthy, 40 %)."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         environment_files=[heat_harness.SIMULATION_ENV],
                         group='heat')
        self.conf.config(transport_url=services.transport_url())
        self.conf.config(interval=HEALTH_INTERVAL, report_timeout=600,
                         group='health')
        self.useFixture(fake_kube.NoUndrainedNodes())

    def outputs(self, stack_id):
        stack = self.client.stacks.get(stack_id)
        return {o['output_key']: o['output_value'] for o in stack.outputs}

    def servers(self, stack_id):
        outputs = self.outputs(stack_id)
        return {'masters': outputs['master_server_ids'],
                'workers': outputs['worker_server_ids']}

    def wait_health(self, uuid, status, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            cluster = self.call('GET', f'/v1/clusters/{uuid}').json
            if cluster['health_status'] == status:
                return cluster
            if time.monotonic() > deadline:
                self.fail(f'cluster {uuid} not {status}: '
                          f'{cluster["health_status"]} '
                          f'{cluster["health_status_reason"]}')
            time.sleep(0.2)

    def test_an_unhealthy_worker_is_replaced(self):
        self._replaced(masters=1, workers=3, group='workers', index=1,
                       master_lb_enabled=False)

    def test_an_unhealthy_master_is_replaced(self):
        # One of three masters: within max_unhealthy, etcd keeps quorum.
        self._replaced(masters=3, workers=1, group='masters', index=2)

    def test_a_server_whose_node_never_registers_is_replaced(self):
        """The stack's outputs name the servers as their nodes register;
        a worker's node never registers: that server, it alone, is
        replaced, and the cluster is HEALTHY once its node registers."""
        self.create_template(network_driver='calico',
                             external_network_id='public',
                             master_lb_enabled=False, labels={
                                 'auto_healing_enabled': 'true',
                                 'auto_healing_unhealthy_timeout':
                                     str(UNHEALTHY_TIMEOUT)})
        self.useFixture(base.Conductor())
        self.addCleanup(self.delete_stacks)
        uuid = self.create_cluster(wait=False, master_count=1, node_count=3)
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        stack_id = cluster['cluster_id']
        before = self.servers(stack_id)
        nodes = self.node_names(stack_id)
        self.assertEqual(nodes, sorted(
            name for ng in db_api.nodegroups_by_cluster([uuid])[uuid]
            for name in ng.node_names))
        missing = f'{cluster["name"]}-default-worker-1'
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'],
            [name for name in nodes if name != missing]))
        cluster = self.wait_health(uuid, 'UNHEALTHY',
                                   timeout=HEALTH_INTERVAL + 10)
        self.assertEqual(f'2 of 3 registered; not registered: {missing}',
                         cluster['health_status_reason'][
                             'default-worker.nodes'])
        cluster = self.wait_for(uuid, 'UPDATE_IN_PROGRESS',
                                timeout=UNHEALTHY_TIMEOUT + 30)
        self.assertEqual(f'Auto-healing: replacing node {missing} '
                         '(not registered)', cluster['status_reason'])
        self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        kube.add_node(missing)
        cluster = self.wait_health(uuid, 'HEALTHY',
                                   timeout=HEALTH_INTERVAL + 10)
        self.assertNotIn('auto_healing', cluster['health_status_reason'])
        after = self.servers(stack_id)
        self.assertEqual(before['masters'], after['masters'])
        self.assertEqual([1], [i for i, (old, new) in enumerate(zip(
            before['workers'], after['workers'], strict=True))
            if old != new], (before, after))

    def _replaced(self, masters, workers, group, index, **template):
        """A cluster whose node ``index`` of ``group`` turns NotReady:
        it is replaced, it alone, drained first, and the cluster is
        HEALTHY again once its replacement is Ready."""
        t0 = time.monotonic()
        self.create_template(network_driver='calico',
                             external_network_id='public', labels={
                                 'auto_healing_enabled': 'true',
                                 'auto_healing_unhealthy_timeout':
                                     str(UNHEALTHY_TIMEOUT)}, **template)
        self.useFixture(base.Conductor())
        self.addCleanup(self.delete_stacks)
        uuid = self.create_cluster(wait=False, master_count=masters,
                                   node_count=workers)
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        stack_id = cluster['cluster_id']
        before = self.servers(stack_id)
        nodes = self.node_names(stack_id)
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))
        self.wait_health(uuid, 'HEALTHY')
        built = time.monotonic()

        # The node's kubelet stops reporting; its replacement registers
        # NotReady, as a fresh kubelet does until its network is up.
        role = group[:-1]     # master, worker
        sick = f'{cluster["name"]}-default-{role}-{index}'
        self.assertIn(sick, nodes)
        kube.rejoin_conditions['Ready'] = 'False'
        kube.nodes[sick].conditions['Ready'] = 'Unknown'
        cluster = self.wait_health(uuid, 'UNHEALTHY',
                                   timeout=HEALTH_INTERVAL + 10)
        self.assertEqual('Unknown', cluster['health_status_reason'][
            f'{sick}.Ready'])
        self.assertIn('waiting: ', cluster['health_status_reason'][
            'auto_healing'])

        cluster = self.wait_for(uuid, 'UPDATE_IN_PROGRESS',
                                timeout=UNHEALTHY_TIMEOUT + 30)
        self.assertEqual(f'Auto-healing: replacing node {sick} '
                         '(Ready=Unknown)', cluster['status_reason'])
        # The user's operations wait: 409, as for any busy cluster.
        self.call('PATCH', f'/v1/clusters/{uuid}', [
            {'op': 'replace', 'path': '/node_count', 'value': workers + 1}],
            status=409)
        cluster = self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        repaired = time.monotonic()
        # The new node joined (Heat waited for its signal); its kubelet
        # is now Ready.
        kube.nodes[sick].conditions['Ready'] = 'True'
        cluster = self.wait_health(uuid, 'HEALTHY',
                                   timeout=HEALTH_INTERVAL + 10)
        self.assertNotIn('auto_healing', cluster['health_status_reason'])

        after = self.servers(stack_id)
        other = 'masters' if group == 'workers' else 'workers'
        self.assertEqual(before[other], after[other])
        changed = [i for i, (old, new) in enumerate(zip(
            before[group], after[group], strict=True)) if old != new]
        self.assertEqual([index], changed, (before, after))
        # Drained (its Node deleted) before its server went; no other.
        self.assertEqual([sick], kube.deleted_nodes)
        # No second repair of the Ready replacement.
        time.sleep(HEALTH_INTERVAL * 2)
        self.assertEqual('UPDATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{uuid}').json['status'])
        self.assertEqual(after, self.servers(stack_id))
        self.addDetail('seconds', content.text_content(
            f'create {built - t0:.0f}, NotReady to repaired '
            f'{repaired - built:.0f}'))


load_tests = base.load_tests
