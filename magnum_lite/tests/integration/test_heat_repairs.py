"""Retrying an upgrade rebuilds the node that failed to boot, on the real
Heat engine (drivers/heat/repairs.py).

Real RabbitMQ, MariaDB, conductor and Heat; the cloud simulated
(heat-templates/simulation) with boot_failures.yaml, whose knob makes the
wait condition on a given handle fail at a given count: the node of that
generation signalled FAILURE there, and as on a real handle the failure
stays until a new handle (a new node) replaces it. Set
MAGNUM_LITE_HEAT_TESTS=0 to skip.
"""

import os
import tempfile
import time

import testtools
import yaml
from testtools import content

from magnum_lite.cluster import versions
from magnum_lite.drivers.heat import hooks
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
BOOT_FAILURES_ENV = os.path.join(heat_harness.REPO, 'heat-templates',
                                 'simulation', 'boot_failures.yaml')
TIMEOUT = 300


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatRepairTest(heat_harness.OneHeatTestCase, base.FunctionalTestCase):
    """One Heat, one cluster: 1 master, 2 workers."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         group='heat')
        self._boot_failures([])
        self.conf.config(transport_url=services.transport_url())
        self.useFixture(fake_kube.NoUndrainedNodes())

    def _boot_failures(self, entries):
        """The environment the driver sends from now on: the simulation,
        and the wait conditions that fail (``HANDLE:COUNT``)."""
        path = os.path.join(tempfile.mkdtemp(), 'boot-failures.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump({'parameter_defaults': {
                'simulation_boot_failures': entries}}, f)
        # A new path: the driver caches environments by their paths.
        self.conf.config(environment_files=[
            heat_harness.SIMULATION_ENV, BOOT_FAILURES_ENV, path],
            group='heat')

    def _workers(self, stack_id):
        """``{index: {resource: physical id}}`` of the workers' members,
        plus ``server_id``, the server's id (the group's refs)."""
        members = {}
        for r in self.client.resources.list(stack_id, nested_depth=2):
            name = hooks.stack_identity(r).split('/')[0]
            parts = name.split('-')
            if 'kube_minions' not in parts or r.resource_name not in (
                    'wait_handle', 'port', 'server'):
                continue
            index = parts[parts.index('kube_minions') + 2]
            members.setdefault(index, {})[r.resource_name] = \
                r.physical_resource_id
        stack = self.client.stacks.get(stack_id)
        refs = {o['output_key']: o['output_value']
                for o in stack.outputs}['worker_server_ids']
        for index, server_id in enumerate(refs):
            members[str(index)]['server_id'] = server_id
        return members

    def test_retried_upgrade_rebuilds_the_node_that_failed_to_boot(self):
        t0 = time.monotonic()
        newest, older = sorted(versions.RELEASES, reverse=True)[:2]
        new_tag = versions.RELEASES[newest].kube
        for name, tag in (('tpl-old', versions.RELEASES[older].kube),
                          ('tpl-new', new_tag)):
            self.create_template(name=name, image_id=f'img-{name}',
                                 network_driver='calico',
                                 external_network_id='public',
                                 master_lb_enabled=False,
                                 labels={'kube_tag': tag})
        self.useFixture(base.Conductor())
        self.addCleanup(self.delete_stacks)
        uuid = self.create_cluster(wait=False, template='tpl-old',
                                   master_count=1, node_count=2)
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        stack_id = cluster['cluster_id']
        created = self._workers(stack_id)
        nodes = self.node_names(stack_id)
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))

        # Worker 1's upgraded node (generation 2) fails to boot.
        self._boot_failures([f"{created['1']['wait_handle']}:2"])
        self.call('POST', f'/v1/clusters/{uuid}/actions/upgrade',
                  {'cluster_template': 'tpl-new'}, status=202)
        cluster = self.wait_for(uuid, 'UPDATE_FAILED', timeout=TIMEOUT)
        reason = cluster['status_reason']
        self.assertIn('booted', reason)
        self.assertIn('kube_minions.resources[1]', reason)
        failed = self._workers(stack_id)
        # The rolling update (one worker at a time, highest index first)
        # replaced worker 1's server, whose node then failed; it stopped
        # there, before worker 0.
        self.assertNotEqual(created['1']['server_id'],
                            failed['1']['server_id'])
        self.assertEqual(created['1']['wait_handle'],
                         failed['1']['wait_handle'])
        self.assertEqual(created['0'], failed['0'])

        # The same upgrade again; the failure stays on worker 1's handle,
        # so only a new node there can complete it.
        self.call('POST', f'/v1/clusters/{uuid}/actions/upgrade',
                  {'cluster_template': 'tpl-new'}, status=202)
        cluster = self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        retried = self._workers(stack_id)
        # Worker 1: a new handle, so new user data, so a new server; the
        # same port (address).
        self.assertNotEqual(failed['1']['wait_handle'],
                            retried['1']['wait_handle'])
        self.assertNotEqual(failed['1']['server_id'],
                            retried['1']['server_id'])
        self.assertEqual(failed['1']['port'], retried['1']['port'])
        # Worker 0, which had not failed, got its upgrade: a new server,
        # its handle and port kept.
        self.assertNotEqual(failed['0']['server_id'],
                            retried['0']['server_id'])
        self.assertEqual(failed['0']['wait_handle'],
                         retried['0']['wait_handle'])
        self.assertEqual(failed['0']['port'], retried['0']['port'])
        self.assertEqual(2, len(cluster['node_addresses']))
        self.assertEqual(new_tag, cluster['coe_version'])
        # Every node was drained before its server was replaced.
        self.assertEqual(set(nodes), set(kube.deleted_nodes))
        self.addDetail('seconds', content.text_content(
            f'{time.monotonic() - t0:.0f}'))


load_tests = base.load_tests
