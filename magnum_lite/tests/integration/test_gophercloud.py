"""magnum-lite through gophercloud, the Go library of Terraform's
OpenStack provider and of the cluster-autoscaler's Magnum provider.

The program tools/gophercloud/lifecycle (built from Debian's Go and
gophercloud 0.12, no module download: harness/gophercloud.py)
authenticates with a password through the real Keystone, finds the API
and Heat in the catalog, and does what those tools do: two templates, a
cluster, its nodegroups, the nodes of the default worker nodegroup found
the way the autoscaler finds them (the nodegroup's ``stack_id``, the
stack's ``kube_minions`` resource, that nested stack's members and its
``refs_map`` output), a scale-up, a scale-down naming one node by server
id and one by member index (``nodes_to_remove`` at the autoscaler's
microversion, ``latest``), an upgrade and the delete.

The API and its conductor run in a subprocess behind keystonemiddleware
with the real Heat driver; Heat is the real engine with the simulated
cloud (noauth: it takes gophercloud's token without checking it).
Skipped with MAGNUM_LITE_GOPHERCLOUD_TESTS=0, MAGNUM_LITE_HEAT_TESTS=0 or
MAGNUM_LITE_KEYSTONE_TESTS=0.
"""

import json
import os
import subprocess
import threading
import time

import testtools
from testtools import content

from magnum_lite.cluster import versions
from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import gophercloud
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import keystone

ENABLED = all(os.environ.get(f'MAGNUM_LITE_{group}_TESTS', '1') != '0'
              for group in ('GOPHERCLOUD', 'HEAT', 'KEYSTONE'))
USER = 'alpha-member'
NODES = 2
# The cluster starts one minor behind the newest and is upgraded to it.
FROM_TAG, TO_TAG = (versions.RELEASES[minor].kube for minor in
                    sorted(versions.RELEASES)[-2:])
TIMEOUT = 420


@testtools.skipUnless(
    os.environ.get('MAGNUM_LITE_GOPHERCLOUD_TESTS', '1') != '0',
    'MAGNUM_LITE_GOPHERCLOUD_TESTS=0')
class GoSourceTest(testtools.TestCase):
    """The program builds, and is formatted and vetted as Go wants."""

    def test_gofmt_and_vet(self):
        gophercloud.build()
        env = gophercloud.environment()
        unformatted = subprocess.run(
            ['gofmt', '-l', '.'], cwd=gophercloud.SOURCE, env=env,
            capture_output=True, text=True, check=True).stdout
        self.assertEqual('', unformatted)
        vet = subprocess.run(['go', 'vet', '.'], cwd=gophercloud.SOURCE,
                             env=env, capture_output=True, text=True)
        self.assertEqual(0, vet.returncode, vet.stderr)


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_GOPHERCLOUD_TESTS=0, '
                               'MAGNUM_LITE_HEAT_TESTS=0 or '
                               'MAGNUM_LITE_KEYSTONE_TESTS=0')
class GophercloudLifecycleTest(base.DbTestCase):
    """One run of the lifecycle program, checked from both sides."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    def setUp(self):
        super().setUp()
        self.binary = gophercloud.build()
        # Heat and Keystone start side by side: each takes tens of
        # seconds. Heat in the thread: Keystone dies with the thread that
        # started it (PR_SET_PDEATHSIG), and the shared one must outlive
        # this test.
        self.heat = heat_harness.HeatHarness()
        thread = threading.Thread(target=self.heat.start)
        thread.start()
        self.addCleanup(self.heat.stop)
        self.addCleanup(thread.join)  # cleanups run last first
        self.keystone = keystone.shared()
        thread.join()
        if self.heat.state is None:
            self.fail('Heat did not start (see the log above)')
        self.addCleanup(
            self.keystone.set_orchestration_endpoint(self.heat.endpoint))
        self.server = self.useFixture(api_server.APIServer(
            keystone=self.keystone, real_driver=True, config={
                'heat': {'auth_mode': 'noauth',
                         'endpoint': self.heat.endpoint,
                         'environment_files': heat_harness.SIMULATION_ENV},
                # Nothing to look images and flavors up in, and no
                # Kubernetes API on the simulated nodes to drain through.
                'api': {'check_cloud_resources': 'false'},
                'kubernetes': {'drain_timeout': '0'},
                'trust': self.keystone.trust_options()}))
        self.client = self.heat.client()

    def run_program(self):
        """Run the program up to its pause before the delete; returns its
        findings and the running process."""
        env = dict(os.environ, **self.keystone.openstack_env(USER))
        # gophercloud 0.12 reads the user's domain from OS_DOMAIN_ID.
        env['OS_DOMAIN_ID'] = env['OS_USER_DOMAIN_ID']
        process = subprocess.Popen(
            [self.binary, '-name', 'gopher', '-node-count', str(NODES),
             '-from-kube-tag', FROM_TAG, '-to-kube-tag', TO_TAG,
             '-timeout', f'{TIMEOUT}s', '-pause-before-delete'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(self._reap, process)
        line = process.stdout.readline()
        if not line:
            process.wait()
            self.fail(f'lifecycle exited {process.returncode}:\n'
                      f'{process.stderr.read()}')
        return json.loads(line), process

    def _reap(self, process):
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate()
        self.addDetail('lifecycle-stderr', content.text_content(stderr))

    def test_terraform_and_autoscaler_calls(self):
        t0 = time.monotonic()
        found, process = self.run_program()
        self.addDetail('lifecycle-findings', content.text_content(
            json.dumps(found, indent=1)))
        uuid = found['cluster_uuid']
        self.assertEqual(['default-master', 'default-worker'],
                         found['nodegroups'])
        self.check_discovery(found)
        self.check_removal(found)
        self.check_upgrade(found, uuid)

        process.stdin.write('\n')
        process.stdin.flush()
        last = json.loads(process.stdout.readline() or 'null')
        self.assertEqual(0, process.wait(timeout=TIMEOUT))
        self.assertTrue(last and last['deleted'])
        self.assertEqual([], [s for s in self.client.stacks.list()
                              if s.stack_name.startswith('ml-')])
        self.addDetail('seconds', content.json_content(
            dict(found['seconds'], total=time.monotonic() - t0)))

    def check_discovery(self, found):
        """The autoscaler's reading: the default worker nodegroup's stack
        is the cluster's stack, its kube_minions resource a nested stack
        whose refs_map maps every member index to its server."""
        created = found['after_create']
        cluster_stack = self.client.stacks.get(created['stack_id'])
        self.assertTrue(cluster_stack.stack_name.startswith('ml-'))
        self.assertIn('-kube_minions-', created['kube_minions_stack_name'])
        self.assertEqual(['0', '1'], sorted(created['refs_map']))
        self.assertEqual(
            [('0', 'CREATE_COMPLETE'), ('1', 'CREATE_COMPLETE')],
            [(m['index'], m['status']) for m in created['members']])
        # Ours now (after the upgrade): the same servers as refs_map.
        outputs = {o['output_key']: o['output_value']
                   for o in cluster_stack.outputs}
        upgraded = found['after_upgrade']['refs_map']
        self.assertEqual(outputs['worker_server_ids'],
                         [upgraded[i] for i in sorted(upgraded)])
        grown = found['after_scale_up']['refs_map']
        self.assertEqual(['0', '1', '2', '3'], sorted(grown))
        self.assertEqual(created['refs_map'],
                         {i: grown[i] for i in ('0', '1')})

    def check_removal(self, found):
        """Exactly the two named nodes went: member 1 by its server id,
        member 3 by its index; members 0 and 2 kept their servers."""
        grown = found['after_scale_up']['refs_map']
        self.assertEqual([grown['1'], '3'], found['removed'])
        left = found['after_remove']
        self.assertEqual({'0': grown['0'], '2': grown['2']},
                         left['refs_map'])
        self.assertEqual(['0', '2'], [m['index'] for m in left['members']])
        self.assertEqual(NODES, found['node_count_after_remove'])

    def check_upgrade(self, found, uuid):
        """The upgrade replaced the remaining workers (new servers under
        the same members) and our API says so."""
        self.assertEqual((FROM_TAG, TO_TAG), (found['coe_version_before'],
                                              found['coe_version_after']))
        before = found['after_remove']['refs_map']
        after = found['after_upgrade']['refs_map']
        self.assertEqual(sorted(before), sorted(after))
        self.assertEqual(set(), set(before.values()) & set(after.values()))
        token = self.keystone.token(USER)
        status, cluster = self.server.request(
            'GET', f'/v1/clusters/{uuid}', headers={'X-Auth-Token': token})
        self.assertEqual(200, status, cluster)
        self.assertEqual(('UPDATE_COMPLETE', NODES, TO_TAG),
                         (cluster['status'], cluster['node_count'],
                          cluster['coe_version']))
        self.assertEqual(NODES, len(cluster['node_addresses']))
