"""Clusters through the public API, built by the real Heat engine.

Real RabbitMQ, real MariaDB, real Heat (simulated cloud at the edge), the
real Heat driver. Set MAGNUM_LITE_HEAT_TESTS=0 to skip.
"""

import collections
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time

import testtools
import yaml

from magnum_lite.cluster import versions
from magnum_lite.drivers.heat import hooks
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
SIMULATION_ENV = heat_harness.SIMULATION_ENV
TIMEOUT = 600


def _stack_name(event):
    """The name of the stack a Heat event belongs to."""
    return hooks.stack_identity(event).split('/', 1)[0]


class HeatClusterCase(heat_harness.OneHeatTestCase,
                      base.FunctionalTestCase):
    """One Heat for the class; the API in process, conductors real. The
    base of the test classes of clusters on the real Heat."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         environment_files=[SIMULATION_ENV], group='heat')
        self.conf.config(transport_url=services.transport_url())
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.create_template(network_driver='calico',
                             external_network_id='public')

    def start_conductor(self):
        self.useFixture(base.Conductor())
        self.addCleanup(self.delete_stacks)

    def outputs(self, stack_id):
        stack = self.client.stacks.get(stack_id)
        return {o['output_key']: o['output_value'] for o in stack.outputs}

    def wait_status(self, uuid, status, timeout=TIMEOUT):
        return self.wait_for(uuid, status, timeout=timeout)


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatClusterTest(HeatClusterCase):
    """Lifecycle, upgrades, rotations and failures of clusters."""

    def test_lifecycle(self):
        self.start_conductor()
        uuid = self.create_cluster(wait=False)
        cluster = self.wait_status(uuid, 'CREATE_COMPLETE')
        masters = cluster['master_addresses']
        self.assertEqual(3, len(set(masters)))
        self.assertEqual(2, len(cluster['node_addresses']))
        self.assertTrue(cluster['api_address'].startswith('https://'))
        stack_id = cluster['cluster_id']

        self._resize(uuid, 5)
        workers = self.outputs(stack_id)['worker_server_ids']
        self.assertEqual(5, len(workers))
        doomed = workers[1:3]
        self._resize(uuid, 3, nodes_to_remove=doomed)
        left = self.outputs(stack_id)['worker_server_ids']
        self.assertEqual(3, len(left))
        self.assertEqual(set(workers) - set(doomed), set(left))
        self._assert_autoscaler_layout(stack_id, 'worker_server_ids')

        self.call('POST', f'/v1/clusters/{uuid}/nodegroups',
                  {'name': 'extra', 'node_count': 1}, status=202)
        self.wait_status(uuid, 'UPDATE_COMPLETE')
        extra = self.call('GET', f'/v1/clusters/{uuid}/nodegroups/extra').json
        self.assertEqual('CREATE_COMPLETE', extra['status'])
        self.assertEqual(1, len(extra['node_addresses']))
        self._assert_autoscaler_layout(extra['stack_id'], 'server_ids')
        self._rotate_ca(uuid, stack_id, extra['stack_id'])
        self.call('DELETE', f'/v1/clusters/{uuid}/nodegroups/extra',
                  status=204)
        self.wait_status(uuid, 'UPDATE_COMPLETE')
        self.call('GET', f'/v1/clusters/{uuid}/nodegroups/extra',
                  status=404)

        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)
        self.assertEqual([], self.stacks())

    def _assert_autoscaler_layout(self, stack_id, servers_output):
        """What the cluster-autoscaler reads of a nodegroup's stack: its
        resource kube_minions, a nested stack whose refs_map output maps
        each member index to its server (test_gophercloud.py reads the
        cluster stack's the autoscaler's way)."""
        group = self.client.resources.get(stack_id, 'kube_minions')
        refs = self.outputs(group.physical_resource_id)['refs_map']
        # Members keep their index: removed ones leave gaps.
        self.assertEqual(self.outputs(stack_id)[servers_output],
                         [refs[i] for i in sorted(refs, key=int)])

    def _rotate_ca(self, uuid, stack_id, nodegroup_stack_id):
        """A CA rotation: three rolling replacements of every node, the
        extra nodegroup's too (trust both CAs, sign with the new, drop the
        old), each a node generation."""
        path = f'/v1/certificates/{uuid}'
        cluster = self.call('GET', f'/v1/clusters/{uuid}').json
        nodes = self.node_names(stack_id) + \
            self.node_names(nodegroup_stack_id)
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))
        ca = self.call('GET', path).json['pem']
        stacks = {stack_id: ('master_server_ids', 'worker_server_ids'),
                  nodegroup_stack_id: ('server_ids',)}
        before = {s: self.outputs(s) for s in stacks}
        updates = {s: self._updates(s) for s in stacks}
        self.call('PATCH', path, status=202)
        self.wait_status(uuid, 'UPDATE_COMPLETE')
        self.assertNotEqual(ca, self.call('GET', path).json['pem'])
        for stack, keys in stacks.items():
            after = self.outputs(stack)
            for key in keys:
                self.assertEqual(len(before[stack][key]), len(after[key]))
                self.assertEqual(set(), set(before[stack][key]) &
                                 set(after[key]))
            params = self.client.stacks.get(stack).parameters
            for name in ('master_generation', 'worker_generation',
                         'node_generation'):
                if name in params:
                    self.assertEqual('4', params[name], name)
            self.assertEqual(updates[stack] + 3, self._updates(stack))
        # Each phase drained every node before Heat replaced it, through
        # the cluster's API as its CAs were at the time.
        self.assertEqual(dict.fromkeys(nodes, 3),
                         collections.Counter(kube.deleted_nodes))
        self.assertEqual([], kube.handshake_errors)

    def _updates(self, stack_id):
        """How many updates of the stack completed."""
        top = self.client.stacks.get(stack_id).stack_name
        return len([e for e in self._events(stack_id)
                    if e[:3] == (top, top, 'UPDATE_COMPLETE')])

    def _resize(self, uuid, count, **extra):
        body = dict(node_count=count, **extra)
        self.call('POST', f'/v1/clusters/{uuid}/actions/resize', body,
                  status=202)
        cluster = self.wait_status(uuid, 'UPDATE_COMPLETE')
        self.assertEqual(count, cluster['node_count'])
        self.assertEqual(count, len(cluster['node_addresses']))
        return cluster

    def _upgrade_templates(self):
        """tpl-old and tpl-new, of the two newest minors; their tags."""
        newest, older = sorted(versions.RELEASES, reverse=True)[:2]
        old_tag = versions.RELEASES[older].kube
        new_tag = versions.RELEASES[newest].kube
        for name, tag in (('tpl-old', old_tag), ('tpl-new', new_tag)):
            self.create_template(name=name, image_id=f'img-{name}',
                                 network_driver='calico',
                                 external_network_id='public',
                                 labels={'kube_tag': tag})
        return old_tag, new_tag

    def test_upgrade_drains_each_node_before_replacing_it(self):
        self._upgrade_templates()
        self.start_conductor()
        uuid = self.create_cluster(wait=False, template='tpl-old')
        cluster = self.wait_status(uuid, 'CREATE_COMPLETE')
        nodes = [f'c1-default-master-{i}' for i in range(3)] + \
            [f'c1-default-worker-{i}' for i in range(2)]
        self.assertEqual(nodes, self.node_names(cluster['cluster_id']))
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))
        for i, node in enumerate(nodes):
            kube.add_pod('default', f'web-{i}', node,
                         owner_kind='ReplicaSet')
            kube.add_pod('kube-system', f'calico-node-{i}', node,
                         owner_kind='DaemonSet')
        # A PodDisruptionBudget refuses this eviction twice.
        kube.add_pod('default', 'db', nodes[3], owner_kind='StatefulSet',
                     pdb_blocks=2)

        self.call('POST', f'/v1/clusters/{uuid}/actions/upgrade',
                  {'cluster_template': 'tpl-new', 'max_batch_size': 1},
                  status=202)
        self.wait_status(uuid, 'UPDATE_COMPLETE')

        # Every node drained (evictable pods gone, DaemonSets left), then
        # its Node object deleted so the replacement registers afresh.
        self.assertEqual(sorted(nodes), sorted(kube.deleted_nodes))
        self.assertEqual({('kube-system', f'calico-node-{i}')
                          for i in range(5)}, set(kube.pods))
        self.assertEqual(3, len([c for c in kube.calls('POST')
                                 if '/pods/db/' in c]))
        self.assertEqual({('magnum-lite-conductor',
                           ('kubeadm:cluster-admins',))},
                         {(r.common_name, r.organizations)
                          for r in kube.requests})
        # ... before Heat began replacing its server.
        deleted = {r.path.rsplit('/', 1)[1]: r.at.replace(microsecond=0,
                                                           tzinfo=None)
                   for r in kube.requests if r.method == 'DELETE'}
        replaced = self._replacement_starts(cluster['cluster_id'])
        self.assertEqual(sorted(nodes), sorted(replaced))
        for node, started in replaced.items():
            self.assertLessEqual(deleted[node], started, node)
        # One node at a time per group (max_batch_size 1): no drain
        # began before the previous node's replacement had started.
        cordoned = {}
        for r in kube.requests:
            if r.method == 'PATCH':
                cordoned.setdefault(r.path.rsplit('/', 1)[1], r.at.replace(
                    microsecond=0, tzinfo=None))
        for group in ('master', 'worker'):
            order = sorted((n for n in nodes if f'-{group}-' in n),
                           key=deleted.get)
            for before, after in zip(order, order[1:], strict=False):
                self.assertLessEqual(replaced[before], cordoned[after],
                                     (before, after))

    def _replacement_starts(self, stack_id):
        """{node name: when Heat began making its new server} in the
        stack's last update (naive UTC, whole seconds)."""
        events = self.client.events.list(
            stack_id, nested_depth=5, sort_dir='asc',
            filters={'resource_name': ['simulated']})
        stamps = {}
        for event in events:
            name = _stack_name(event)
            if event.resource_status != 'CREATE_IN_PROGRESS' or \
                    '-server-' not in name:
                continue
            member = name.rsplit('-server-', 1)[0]
            stamps.setdefault(member, []).append(
                datetime.datetime.fromisoformat(event.event_time.rstrip('Z')))
        return {self.client.stacks.get(member).parameters['name']:
                times[-1] for member, times in stamps.items()}

    def test_upgrade_replaces_masters_one_at_a_time(self):
        old_tag, new_tag = self._upgrade_templates()
        self.start_conductor()
        uuid = self.create_cluster(wait=False, template='tpl-old')
        cluster = self.wait_status(uuid, 'CREATE_COMPLETE')
        self.assertEqual(old_tag, cluster['coe_version'])
        stack_id = cluster['cluster_id']
        before = self.outputs(stack_id)
        nodes = self.node_names(stack_id)
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))

        self.call('POST', f'/v1/clusters/{uuid}/actions/upgrade',
                  {'cluster_template': 'tpl-new', 'max_batch_size': 2},
                  status=202)
        cluster = self.wait_status(uuid, 'UPDATE_COMPLETE')
        self.assertEqual(sorted(nodes), sorted(kube.deleted_nodes))
        new = self.call('GET', '/v1/clustertemplates/tpl-new').json
        self.assertEqual(new['uuid'], cluster['cluster_template_id'])
        self.assertEqual(new_tag, cluster['coe_version'])
        self.assertEqual(new_tag, cluster['labels']['kube_tag'])
        master = self.call(
            'GET', f'/v1/clusters/{uuid}/nodegroups/default-master').json
        self.assertEqual('img-tpl-new', master['image_id'])
        after = self.outputs(stack_id)
        for key in ('master_server_ids', 'worker_server_ids'):
            self.assertEqual(len(before[key]), len(after[key]))
            self.assertEqual(set(), set(before[key]) & set(after[key]))

        events = self._upgrade_events(stack_id)
        # Masters: one at a time, the new server made before the old one
        # goes, each replacement finished before the next starts.
        replaced = [(member, status) for group, member, status in events
                    if group == 'masters']
        self.assertEqual(3, len({member for member, _ in replaced}))
        order = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
        for i in range(3):
            batch = replaced[4 * i:4 * i + 4]
            self.assertEqual(order, [status for _, status in batch], batch)
            self.assertEqual(1, len({member for member, _ in batch}), batch)
        # Workers: max_batch_size 2 (a get_param in update_policy) made
        # one batch of both.
        self.assertEqual(3, self._batches(stack_id, 'masters'))
        self.assertEqual(1, self._batches(stack_id, 'kube_minions'))
        self.assertEqual(8, len([e for e in events if e[0] == 'kube_minions']))
        self._assert_waits_for_new_nodes(stack_id, generation=2)

        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)
        self.assertEqual([], self.stacks())

    def _assert_waits_for_new_nodes(self, stack_id, generation):
        # The driver raised both generations; every member's wait
        # condition now counts that many signals, and it waited again
        # (updated) after the member's new server existed. (With a real
        # server Heat deletes the old one after that, as the cleanup of a
        # replaced resource that ``booted`` depends on; the simulated
        # server is replaced inside its own nested stack, so its old
        # TestResource goes earlier: the events cannot show that step.)
        params = self.client.stacks.get(stack_id).parameters
        self.assertEqual(str(generation), params['master_generation'])
        self.assertEqual(str(generation), params['worker_generation'])
        steps = self._member_steps(stack_id)
        self.assertEqual(5, len(steps), steps)
        for member, seen in steps.items():
            created = seen.index(('server', 'CREATE_COMPLETE'))
            self.assertIn(('booted', 'UPDATE_COMPLETE'), seen[created:],
                          (member, seen))
        counts = {r.physical_resource_id for r in self.client.resources
                  .list(stack_id, nested_depth=3)
                  if r.resource_name == 'booted'}
        self.assertEqual(5, len(counts))
        for nested in counts:
            self.assertEqual(str(generation), self.client.stacks.get(
                nested).parameters['count'])

    def _member_steps(self, stack_id):
        """{member stack: [(resource, status)]} in the stack's last
        update: the member's ``booted`` wait condition, and ``server``
        for the creates and deletes of the simulated server inside it
        (Heat replaces that, not the member's ``server``)."""
        events = self._events(stack_id)
        top = events[0][0]
        start = max(i for i, e in enumerate(events)
                    if e[0] == top == e[1] and e[2] == 'UPDATE_IN_PROGRESS')
        steps = {}
        for name, resource, status, _ in events[start:]:
            parts = name.split('-')
            group = next((g for g in ('masters', 'kube_minions')
                          if g in parts), None)
            if group is None:
                continue
            depth = len(parts) - parts.index(group)
            if resource == 'booted' and depth == 4:
                steps.setdefault(name, []).append((resource, status))
            elif resource == 'simulated' and depth == 6 and \
                    parts[-2] == 'server':
                member = '-'.join(parts[:-2])
                steps.setdefault(member, []).append(('server', status))
        return steps

    def _events(self, stack_id):
        """All events of a stack and its nested stacks, oldest first, as
        (stack name, resource name, status, reason)."""
        events = self.client.events.list(stack_id, nested_depth=5,
                                              sort_dir='asc')
        result = []
        for event in events:
            result.append((_stack_name(event), event.resource_name,
                           event.resource_status,
                           event.resource_status_reason or ''))
        return result

    def _since_upgrade(self, stack_id):
        events = self._events(stack_id)
        start = next(i for i, e in enumerate(events)
                     if e[1] in ('masters', 'kube_minions') and
                     e[2] == 'UPDATE_IN_PROGRESS')
        return events[start:]

    def _upgrade_events(self, stack_id):
        """(group, member index, status) of every create or delete of a
        simulated server during the upgrade, oldest first."""
        result = []
        for name, resource, status, _ in self._since_upgrade(stack_id):
            if resource != 'simulated' or '-server-' not in name or \
                    not status.startswith(('CREATE', 'DELETE')):
                continue
            parts = name.split('-')
            group = 'masters' if 'masters' in parts else 'kube_minions'
            member = parts[parts.index(group) + 2]
            result.append((group, member, status))
        return result

    def _batches(self, stack_id, group):
        """How many times the rolling update of ``group`` updated its
        member 0 during the upgrade: one per batch."""
        return len([e for e in self._since_upgrade(stack_id)
                    if e[1] == '0' and e[2] == 'UPDATE_IN_PROGRESS' and
                    f'-{group}-' in e[0]])

    def simulate(self, **parameter_defaults):
        """Add an environment of the simulation's knobs (failures,
        delays: heat-templates/simulation/README.md)."""
        path = os.path.join(tempfile.mkdtemp(), 'simulate.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump({'parameter_defaults': parameter_defaults}, f)
        self.conf.config(environment_files=[SIMULATION_ENV, path],
                         group='heat')

    def test_injected_failure_is_reported_then_deleted(self):
        self.simulate(simulation_fail=['OS::Nova::Server:server'])
        self.start_conductor()
        uuid = self.create_cluster(wait=False, master_count=1, node_count=1)
        cluster = self.wait_status(uuid, 'CREATE_FAILED')
        self.assertIn('server', cluster['status_reason'])
        self.assertTrue(cluster['faults'])
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)
        self.assertEqual([], self.stacks())

    def test_second_delete_while_heat_deletes(self):
        # Servers take seconds to delete: the second delete comes while
        # Heat is deleting. Told again, Heat would cancel that delete.
        self.simulate(simulation_delays={'OS::Nova::Server': 4})
        self.start_conductor()
        uuid = self.create_cluster(wait=False, master_count=1, node_count=1)
        stack_id = self.wait_status(uuid, 'CREATE_COMPLETE')['cluster_id']
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        deadline = time.monotonic() + 60
        while self.client.stacks.get(stack_id).stack_status != \
                'DELETE_IN_PROGRESS':
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)
        self.assertEqual([], self.stacks())

    def test_conductor_killed_during_create(self):
        topic = f'killed-{os.getpid()}'
        self.conf.config(topic=topic, group='conductor')
        conf_file = self._conductor_config(topic)
        conductor = self._spawn_conductor(conf_file)
        uuid = self.create_cluster(wait=False)
        deadline = time.monotonic() + 120
        while not self.stacks():
            self.assertLess(time.monotonic(), deadline, 'no stack made')
            time.sleep(0.1)
        conductor.send_signal(signal.SIGKILL)
        conductor.wait()
        conductor = self._spawn_conductor(conf_file)
        self.wait_status(uuid, 'CREATE_COMPLETE')
        self.assertEqual(1, len(self.stacks()))
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)

    def _conductor_config(self, topic):
        from magnum_lite.conf import CONF
        path = os.path.join(tempfile.mkdtemp(), 'conductor.conf')
        with open(path, 'w') as f:
            f.write(f"""[DEFAULT]
transport_url = {CONF.transport_url}
[database]
connection = {CONF.database.connection}
encryption_key = {CONF.database.encryption_key}
[conductor]
topic = {topic}
host = {topic}
sync_status_interval = 2
redrive_interval = 2
redrive_after = 5
[heat]
auth_mode = noauth
endpoint = {self.heat.endpoint}
environment_files = {SIMULATION_ENV}
""")
        return path

    def _spawn_conductor(self, conf_file):
        binary = os.path.join(os.path.dirname(sys.executable),
                              'magnum-lite-conductor')
        process = subprocess.Popen([binary, '--config-file', conf_file],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.addCleanup(process.kill)
        return process


load_tests = base.load_tests
