"""Resizing the master nodegroup 1 -> 3 -> 5 -> 3 -> 1 on the real Heat.

Real RabbitMQ, MariaDB and Heat (simulated cloud at the edge), the real
Heat driver and conductor. The cluster's Kubernetes API is the fake of
harness/fake_kube.py; the masters' etcd is harness/etcd_standins.py: a
master that joins registers its member, and when the conductor annotates a
leaving master's Node, the real etcd-departures.sh runs as the timer of a
remaining master would, against recording stand-ins. Set
MAGNUM_LITE_HEAT_TESTS=0 to skip.
"""

import threading

import testtools

from magnum_lite.drivers.heat import departures
from magnum_lite.drivers.heat import hooks
from magnum_lite.tests import base
from magnum_lite.tests.harness import etcd_standins
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.integration import test_heat_clusters

TIMEOUT = test_heat_clusters.TIMEOUT


@testtools.skipUnless(test_heat_clusters.ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatMasterResizeTest(test_heat_clusters.HeatClusterCase):

    def setUp(self):
        super().setUp()
        self.etcd = self.useFixture(etcd_standins.EtcdMembers())
        # (node, paused at the removal, script's exit code, remover).
        self.departures = []
        self._lock = threading.Lock()

    # -- the masters, played by the test ----------------------------------

    def _masters(self):
        return sorted(n for n in self.kube.nodes if '-master-' in n)

    def _on_patch(self, node):
        """When the conductor marks a leaving master, a remaining
        master's timer runs (in its own thread, as the API answers at
        once)."""
        if node.annotations.get(departures.ANNOTATION) == departures.LEAVING:
            thread = threading.Thread(target=self._depart, args=(node,))
            thread.start()
            self.addCleanup(thread.join, 60)

    def _depart(self, node):
        """Run etcd-departures.sh as a remaining master and, if it
        annotated the node, apply the annotation to the fake API."""
        with self._lock:
            if node.annotations.get(departures.ANNOTATION) != \
                    departures.LEAVING:
                return
            annotations = {name: self.kube.nodes[name].annotations.get(
                departures.ANNOTATION) for name in self._masters()}
            remaining = [n for n, a in annotations.items() if a is None]
            paused = self._paused_servers()
            result = self.etcd.run_departures(remaining[0], annotations)
            self.departures.append((node.name, node.name in paused,
                                    result.returncode, remaining[0]))
            if any(c[3:6] == ['annotate', 'node', node.name]
                   for c in self.etcd.commands):
                node.annotations[departures.ANNOTATION] = departures.REMOVED

    def _paused_servers(self):
        """Names of the masters whose server Heat holds at pre-delete."""
        paused = hooks.pending(self.client, self.stack_id, ('server',))
        return {self.client.stacks.get(h.stack_identity).parameters['name']
                for h in paused if h.hook == hooks.PRE_DELETE}

    def _joined(self):
        """Register the etcd member and Node of each new master, as
        their bootstrap would."""
        members = set(self.etcd.members.values())
        for name in self.node_names(self.stack_id):
            if '-master-' in name and name not in members:
                self.etcd.join(name)
            if name not in self.kube.nodes:
                self.kube.add_node(name)

    # -- steps -------------------------------------------------------------

    def _resize_masters(self, count, nodes_to_remove=None):
        body = {'node_count': count, 'nodegroup': 'default-master'}
        if nodes_to_remove is not None:
            body['nodes_to_remove'] = nodes_to_remove
        self.call('POST', f'/v1/clusters/{self.uuid}/actions/resize', body,
                  status=202)
        cluster = self.wait_for(self.uuid, 'UPDATE_COMPLETE',
                                timeout=TIMEOUT)
        self.assertEqual(count, cluster['master_count'])
        self.assertEqual(count, len(cluster['master_addresses']))
        self._joined()
        return cluster

    def _server_ids(self):
        return self.outputs(self.stack_id)['master_server_ids']

    def _assert_membership(self, names):
        self.assertEqual(sorted(names),
                         sorted(n for n in self.node_names(self.stack_id)
                                if '-master-' in n))
        self.assertEqual(sorted(names), sorted(self.etcd.members.values()))
        self.assertEqual(sorted(names), self._masters())
        # Every master is a member of the API load balancer's pool.
        pool = self.client.resources.get(self.stack_id, 'api_pool')
        members = [r for r in self.client.resources.list(
            self.stack_id, nested_depth=3)
            if r.resource_name == 'api_pool_member']
        self.assertEqual(len(names), len(members), pool.physical_resource_id)

    def test_master_resize_keeps_etcd_membership(self):
        self.start_conductor()
        self.uuid = self.create_cluster(wait=False, master_count=1,
                                        node_count=1)
        cluster = self.wait_for(self.uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        self.stack_id = cluster['cluster_id']
        names = self.node_names(self.stack_id)
        self.kube = self.useFixture(fake_kube.for_cluster(
            self.uuid, cluster['api_address'], names))
        # A master that left does not come back.
        self.kube.reregister = False
        self.kube.on_patch = self._on_patch
        self._joined()
        master = [f'c1-default-master-{i}' for i in range(5)]
        self._assert_membership(master[:1])

        # Up: the new masters join (added once each); nobody leaves.
        self._resize_masters(3)
        self._assert_membership(master[:3])
        self._resize_masters(5)
        self._assert_membership(master)
        self.assertEqual([], self.departures)
        self.assertEqual([], [c for c in self.etcd.commands
                              if 'remove' in c])

        # Even: refused, nothing changes.
        response = self.call(
            'POST', f'/v1/clusters/{self.uuid}/actions/resize',
            {'node_count': 4, 'nodegroup': 'default-master'}, status=400)
        self.assert_error(response, 400, 'cannot be an even number')

        # Down, naming two masters: exactly those go, each member removed
        # (through a remaining master's etcd) while Heat still held its
        # server, then its Node deleted.
        ids = self._server_ids()
        named = [ids[1], ids[3]]
        self._resize_masters(3, nodes_to_remove=named)
        left = self._server_ids()
        self.assertEqual(sorted(set(ids) - set(named)), sorted(left))
        gone = [master[1], master[3]]
        self._assert_membership([master[0], master[2], master[4]])
        self.assertEqual(sorted(gone), sorted(d[0] for d in self.departures))
        for name, paused, code, remover in self.departures:
            self.assertTrue(paused, f'{name}: removed after its server went')
            self.assertEqual(0, code, name)
            self.assertNotIn(remover, gone)
        removes = [c for c in self.etcd.commands if 'remove' in c]
        self.assertEqual(2, len(removes))
        self.assertEqual(sorted(gone),
                         sorted(self.kube.deleted_nodes))

        # Down to one, naming none: the newest (highest index) goes.
        self._resize_masters(1)
        self._assert_membership([master[0]])
        self.assertEqual({master[4], master[2]},
                         {d[0] for d in self.departures[2:]})
        self.assertEqual(4, len(self.departures))
        self.assertTrue(all(d[1] for d in self.departures))

        # A delete after the resize is not held by its hooks.
        self.call('DELETE', f'/v1/clusters/{self.uuid}', status=204)
        self.wait_for(self.uuid, None, timeout=TIMEOUT)


load_tests = base.load_tests
