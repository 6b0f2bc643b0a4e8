"""Which paused servers the conductor drains, and when it lets Heat on."""

import datetime
import types

import fixtures
import testtools

from magnum_lite.clients import kubernetes
from magnum_lite.cluster import kubernetes_access
from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.drivers import base
from magnum_lite.drivers.heat import drains
from magnum_lite.drivers.heat import hooks
from magnum_lite.drivers.heat import templates

STARTED = datetime.datetime(2026, 12, 3, 8, 0, 0)
BEFORE = '2026-12-03T07:00:00Z'
DURING = '2026-12-03T08:05:00Z'
TOP = 'ml-c0ffee/top-id'


def member(group, index):
    return f'ml-c0ffee-{group}-abcdefgh-{index}-ijklmnop/{group}-{index}-id'


class FakeHeat:
    """stacks.get and resources.get of python-heatclient, from dicts."""

    def __init__(self, parameters, created):
        self.parameters = parameters      # stack identity -> parameters
        self.created = created            # member identity -> time
        self.stacks = types.SimpleNamespace(get=self._stack)
        self.resources = types.SimpleNamespace(get=self._resource)

    def _stack(self, identity):
        return types.SimpleNamespace(parameters=self.parameters[identity])

    def _resource(self, identity, name):
        assert name == 'server'
        return types.SimpleNamespace(creation_time=self.created[identity])


class FakeAPI:
    """The part of kubernetes.Client drains use; records the calls."""

    def __init__(self, nodes, passes_needed=1, unavailable=False):
        self.nodes = nodes
        self.passes_needed = passes_needed
        self.unavailable = unavailable
        self.calls = []

    def __enter__(self):
        if self.unavailable:
            raise exception.KubernetesUnavailable(server='s', reason='down')
        return self

    def __exit__(self, *exc):
        pass

    def find_node(self, server_id, name, registered_before=None):
        self.calls.append(('find', name, registered_before))
        return name if name in self.nodes else None

    def drain(self, node, deadline):
        self.calls.append(('drain', node))
        self.passes_needed -= 1
        return kubernetes.DrainResult(done=self.passes_needed <= 0)

    def delete_node(self, node):
        self.calls.append(('delete', node))


class TendTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        CONF.set_override('drain_timeout', 600, 'kubernetes')
        self.addCleanup(CONF.clear_override, 'drain_timeout', 'kubernetes')
        self.certificates = {'kubernetes': object()}
        self.rows = base.ClusterRows(
            cluster=types.SimpleNamespace(
                uuid='c0ffee', operation_started_at=STARTED,
                operation='cluster_upgrade'),
            nodegroups=(), templates={}, certificates=self.certificates)
        self.cleared = []
        self.useFixture(fixtures.MockPatchObject(
            hooks, 'clear', lambda heat, hook: self.cleared.append(
                hook.stack_identity)))

    def pause(self, *identities, at=None):
        paused = [hooks.PausedHook(
            stack_identity=i, resource_name='server',
            physical_resource_id=f'srv-{i[-6:]}', hook='pre-update',
            paused_at=at or datetime.datetime.now(datetime.UTC).replace(
                tzinfo=None)) for i in identities]
        self.useFixture(fixtures.MockPatchObject(
            hooks, 'pending', lambda heat, stack, names: paused))

    def api(self, api):
        def connect(cluster, certificates):
            # The rows the conductor loaded, not a read of its own.
            assert cluster is self.rows.cluster
            assert certificates is self.certificates
            return api
        self.useFixture(fixtures.MockPatchObject(
            kubernetes_access, 'connect', connect))
        return api

    def heat(self, members):
        """members: identity -> (name, generation, server created)."""
        parameters = {TOP: {'master_generation': '2',
                            'worker_generation': '2'}}
        created = {}
        for identity, (name, generation, stamp) in members.items():
            parameters[identity] = {'name': name, 'generation': generation}
            created[identity] = stamp
        return FakeHeat(parameters, created)

    def test_only_a_member_of_the_batch_with_an_old_server_is_drained(self):
        batch, later, done = (member('kube_minions', 1),
                              member('kube_minions', 0),
                              member('masters', 2))
        heat = self.heat({batch: ('k8s-worker-1', '2', BEFORE),
                          later: ('k8s-worker-0', '1', BEFORE),
                          done: ('k8s-master-2', '2', DURING)})
        self.pause(batch, later, done)
        api = self.api(FakeAPI({'k8s-worker-1', 'k8s-worker-0',
                                'k8s-master-2'}))
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        # Only a Node from before the operation counts: a newer one is a
        # replacement's (kubernetes.Client.find_node).
        self.assertEqual([('find', 'k8s-worker-1', STARTED),
                          ('drain', 'k8s-worker-1'),
                          ('delete', 'k8s-worker-1')], api.calls)
        self.assertEqual(sorted([batch, later, done]), sorted(self.cleared))

    def test_a_drain_in_progress_keeps_heat_paused(self):
        batch = member('kube_minions', 0)
        heat = self.heat({batch: ('k8s-worker-0', '2', BEFORE)})
        self.pause(batch)
        api = self.api(FakeAPI({'k8s-worker-0'}, passes_needed=2))
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        self.assertEqual([], self.cleared)
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        self.assertEqual([batch], self.cleared)
        self.assertEqual(('delete', 'k8s-worker-0'), api.calls[-1])

    def test_a_node_kubernetes_does_not_know_is_let_go(self):
        batch = member('kube_minions', 0)
        heat = self.heat({batch: ('k8s-worker-0', '2', BEFORE)})
        self.pause(batch)
        api = self.api(FakeAPI(set()))
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        self.assertEqual([('find', 'k8s-worker-0', STARTED)], api.calls)
        self.assertEqual([batch], self.cleared)

    def test_unreachable_api_is_tried_for_unreachable_timeout(self):
        batch = member('kube_minions', 0)
        heat = self.heat({batch: ('k8s-worker-0', '2', BEFORE)})
        self.api(FakeAPI(set(), unavailable=True))
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        self.pause(batch, at=now - datetime.timedelta(seconds=50))
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        self.assertEqual([], self.cleared)
        # Past the 60 s default, well within the drain timeout.
        self.pause(batch, at=now - datetime.timedelta(seconds=70))
        drains.tend(heat, self.rows, TOP, templates.CLUSTER)
        self.assertEqual([batch], self.cleared)

    def test_nodegroup_members(self):
        batch = ('ml-c0ffee-ng-beef-kube_minions-abcdefgh-0-ijklmnop/'
                 'kube_minions-0-id')
        heat = self.heat({batch: ('k8s-gpu-0', '3', BEFORE)})
        heat.parameters[TOP] = {'node_generation': '3'}
        self.pause(batch)
        api = self.api(FakeAPI({'k8s-gpu-0'}))
        drains.tend(heat, self.rows, TOP, templates.NODEGROUP)
        self.assertEqual(('drain', 'k8s-gpu-0'), api.calls[1])

    def test_heat_trouble_is_logged_not_raised(self):
        self.useFixture(fixtures.MockPatchObject(
            hooks, 'pending', side_effect=RuntimeError('heat down')))
        log = self.useFixture(fixtures.FakeLogger())
        drains.tend(None, self.rows, TOP, templates.CLUSTER)
        self.assertIn('the next poll tries again', log.output)

    def test_which_operations_drain(self):
        self.assertTrue(drains.enabled('cluster_upgrade'))
        self.assertTrue(drains.enabled('credentials_rotate'))
        self.assertTrue(drains.enabled('ca_rotate'))
        self.assertFalse(drains.enabled('cluster_resize'))
        CONF.set_override('drain_timeout', 0, 'kubernetes')
        self.assertFalse(drains.enabled('cluster_upgrade'))

    def test_environment_pauses_servers_of_the_replaced_groups(self):
        self.assertEqual(
            {'resource_registry': {'resources': {
                'masters': {'*': {'server': {'hooks': ['pre-update']}}}}}},
            drains.environment(['masters']))

    def test_environment_pauses_servers_of_single_members(self):
        self.assertEqual(
            {'resource_registry': {'resources': {
                'masters': {'*': {'server': {'hooks': ['pre-update']}}},
                'kube_minions': {
                    '0': {'server': {'hooks': ['pre-update']}}}}}},
            drains.environment(['masters'], [('kube_minions', '0')]))


class _Listing:
    """resources.list and stacks.get of python-heatclient for behind()."""

    def __init__(self, members):
        self.members = members        # (group, index, stack id, generation)
        self.listed = []
        self.resources = types.SimpleNamespace(list=self._list)
        self.stacks = types.SimpleNamespace(get=self._get)

    def _list(self, identity, nested_depth):
        self.listed.append((identity, nested_depth))
        top = [types.SimpleNamespace(resource_name=g, parent_resource=None,
                                     physical_resource_id=f'{g}-id')
               for g in ('masters', 'kube_minions', 'api_lb')]
        return top + [types.SimpleNamespace(
            resource_name=index, parent_resource=group,
            physical_resource_id=stack_id)
            for group, index, stack_id, _ in self.members]

    def _get(self, stack_id):
        [generation] = [g for _, _, s, g in self.members if s == stack_id]
        return types.SimpleNamespace(parameters={'generation': generation})


class BehindTest(testtools.TestCase):
    """The members a retried rolling update still has to replace."""

    def stack(self, status):
        return types.SimpleNamespace(stack_name='ml-c0ffee', id='top-id',
                                     stack_status=status)

    def test_members_on_an_older_generation(self):
        heat = _Listing([('masters', '0', 'm0', '2'),
                         ('masters', '1', 'm1', '1'),
                         ('kube_minions', '0', 'w0', '1'),
                         ('kube_minions', '1', 'w1', '3')])
        params = {'master_generation': 2, 'worker_generation': 3}
        self.assertEqual(
            [('kube_minions', '0'), ('masters', '1')], drains.behind(
                heat, self.stack('UPDATE_FAILED'), templates.CLUSTER,
                params))
        self.assertEqual([('ml-c0ffee/top-id', 1)], heat.listed)

    def test_a_stack_that_did_not_fail_costs_no_call(self):
        heat = _Listing([('masters', '0', 'm0', '1')])
        for status in ('UPDATE_COMPLETE', 'CREATE_COMPLETE', None):
            self.assertEqual([], drains.behind(
                heat, self.stack(status), templates.CLUSTER,
                {'master_generation': 2, 'worker_generation': 1}))
        self.assertEqual([], heat.listed)
