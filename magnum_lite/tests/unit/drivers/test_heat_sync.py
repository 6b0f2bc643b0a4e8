"""The Heat driver's status-sync steps: ``poll`` only observes, ``tend``
drains (drains.py) the stacks an operation that drains is updating."""

import datetime
import threading
import types
from unittest import mock

import fixtures
import testtools
from oslo_utils import timeutils

from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.drivers import base
from magnum_lite.drivers.heat import client as heat_client
from magnum_lite.drivers.heat import drains
from magnum_lite.drivers.heat import driver as heat_driver
from magnum_lite.drivers.heat import templates

STARTED = datetime.datetime(2026, 12, 3, 8, 0, 0)
BEFORE = '2026-12-03T07:00:00Z'
AFTER = '2026-12-03T08:00:30Z'


def _rows(operation, status=states.UPDATING, uuid='c1', project='p1',
          trust=None, stack_id=None):
    cluster = types.SimpleNamespace(
        uuid=uuid, status=status, operation=operation.name,
        operation_args={}, operation_started_at=STARTED, project_id=project,
        stack_id=stack_id)
    stack_trust = trust and {'auth_url': 'http://127.0.0.1/v3',
                             'user_id': f'trustee-{trust}',
                             'password': 'p', 'trust_id': trust}
    return base.ClusterRows(cluster=cluster, nodegroups=(), templates={},
                            certificates={}, stack_trust=stack_trust)


def _stack(uuid='c1', status='UPDATE_IN_PROGRESS', updated=AFTER):
    return types.SimpleNamespace(
        stack_name=f'ml-{uuid}', id=f'{uuid}-id', stack_status=status,
        stack_status_reason='', creation_time=BEFORE, updated_time=updated)


class SyncStepsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tended = []
        self.useFixture(fixtures.MockPatchObject(
            drains, 'tend', lambda heat, rows, stack_id, entry:
            self.tended.append((rows.uuid, stack_id, entry))))
        # A Heat client per identity: None is the service's, else a
        # cluster's stack trust.
        self.clients = {None: mock.Mock()}
        self.useFixture(fixtures.MockPatchObject(
            heat_client, 'make_client', lambda trust=None:
            self.clients.setdefault(trust and trust['trust_id'],
                                    mock.Mock())))
        self.driver = heat_driver.HeatDriver()
        self.heat = self.clients[None]

    def listing(self, *stacks):
        self.heat.stacks.list.return_value = list(stacks)

    def test_poll_only_observes(self):
        self.listing(_stack())
        rows = _rows(operations.CLUSTER_UPGRADE)
        observed = self.driver.poll('ctx', [rows])
        self.assertEqual(base.IN_PROGRESS, observed['c1'].state)
        self.assertEqual([], self.tended)
        self.assertEqual([], self.heat.resources.signal.mock_calls)

    def test_tend_drains_a_stack_an_upgrade_is_updating(self):
        self.listing(_stack())
        self.driver.tend('ctx', [_rows(operations.CLUSTER_UPGRADE)])
        self.assertEqual([('c1', 'ml-c1/c1-id', templates.CLUSTER)],
                         self.tended)

    def test_finished_stacks_are_read_at_once_by_name_and_id(self):
        # Two stacks finished together (a burst of notifications): their
        # outputs are read in parallel, each without the redirect a bare
        # id costs. Serial reads would never meet at the barrier.
        self.listing(_stack('c1', status='CREATE_COMPLETE'),
                     _stack('c2', status='CREATE_COMPLETE'))
        meet = threading.Barrier(2, timeout=10)
        asked = []

        def get(identity):
            asked.append(identity)
            meet.wait()
            return types.SimpleNamespace(outputs=[
                {'output_key': 'api_address', 'output_value': identity}])

        self.heat.stacks.get.side_effect = get
        create = operations.CLUSTER_CREATE
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'c1'),
            _rows(create, states.CREATING, 'c2')])
        self.assertEqual(['ml-c1/c1-id', 'ml-c2/c2-id'], sorted(asked))
        self.assertEqual('ml-c2/c2-id', observed['c2'].outputs['api_address'])
        self.assertEqual(base.COMPLETE, observed['c1'].state)

    def test_notified_clusters_are_read_without_a_list(self):
        # One call per stack: its status and outputs in the same read.
        done = _stack('c1', status='CREATE_COMPLETE')
        done.outputs = [{'output_key': 'api_address',
                         'output_value': '127.0.0.9'}]
        self.heat.stacks.get.side_effect = {'ml-c1': done}.get
        observed = self.driver.poll(
            'ctx', [_rows(operations.CLUSTER_CREATE, states.CREATING)],
            notified=True)
        self.assertEqual((base.COMPLETE, '127.0.0.9'),
                         (observed['c1'].state,
                          observed['c1'].outputs['api_address']))
        self.heat.stacks.list.assert_not_called()
        self.assertEqual([mock.call('ml-c1')],
                         self.heat.stacks.get.mock_calls)

    def test_a_notified_cluster_is_read_by_its_stored_stack_id(self):
        # The row holds the stack's id: name/id, no redirect from a name.
        done = _stack('c1', status='CREATE_COMPLETE')
        done.outputs = []
        self.heat.stacks.get.side_effect = {'ml-c1/c1-id': done}.get
        observed = self.driver.poll(
            'ctx', [_rows(operations.CLUSTER_CREATE, states.CREATING,
                          stack_id='c1-id')], notified=True)
        self.assertEqual(base.COMPLETE, observed['c1'].state)
        self.assertEqual([mock.call('ml-c1/c1-id')],
                         self.heat.stacks.get.mock_calls)

    def test_a_stored_stack_id_heat_does_not_know_falls_back_to_the_name(
            self):
        # Made again under the same name after a lost answer: the name
        # finds the stack the stored id no longer does.
        again = _stack('c1', status='CREATE_COMPLETE')
        again.outputs = []

        def get(identity):
            if identity == 'ml-c1':
                return again
            raise heat_client.heat_exc.HTTPNotFound()

        self.heat.stacks.get.side_effect = get
        observed = self.driver.poll(
            'ctx', [_rows(operations.CLUSTER_CREATE, states.CREATING,
                          stack_id='old-id')], notified=True)
        self.assertEqual(base.COMPLETE, observed['c1'].state)
        self.assertEqual([mock.call('ml-c1/old-id'), mock.call('ml-c1')],
                         self.heat.stacks.get.mock_calls)

    def test_a_notified_cluster_heat_refuses_waits_for_the_full_sync(self):
        self.heat.stacks.get.side_effect = heat_client.HeatRefused(
            reason='403')
        self.useFixture(fixtures.FakeLogger())
        observed = self.driver.poll(
            'ctx', [_rows(operations.CLUSTER_CREATE, states.CREATING)],
            notified=True)
        self.assertIsNone(observed['c1'])

    def test_tend_lists_nothing_without_an_operation_that_drains(self):
        self.driver.tend('ctx', [_rows(operations.CLUSTER_RESIZE)])
        self.heat.stacks.list.assert_not_called()
        self.assertEqual([], self.tended)

    def test_tend_leaves_a_stack_heat_has_not_started_on(self):
        # Updated before the operation began: the previous operation's.
        self.listing(_stack(updated=BEFORE),
                     _stack('c2', status='UPDATE_COMPLETE'))
        self.driver.tend('ctx', [_rows(operations.CLUSTER_UPGRADE),
                                 _rows(operations.CA_ROTATE, uuid='c2')])
        self.assertEqual([], self.tended)

    def test_tend_never_raises(self):
        self.heat.stacks.list.side_effect = RuntimeError('heat down')
        log = self.useFixture(fixtures.FakeLogger())
        self.driver.tend('ctx', [_rows(operations.CLUSTER_UPGRADE)])
        self.assertIn('the next status sync tries again', log.output)


class ProjectsTest(testtools.TestCase):
    """The sync lists stacks once per project, as one of its clusters'
    owners (their stack trusts); clusters without one as the service."""

    def setUp(self):
        super().setUp()
        self.clients = {}
        self.useFixture(fixtures.MockPatchObject(
            heat_client, 'make_client', self.client))
        self.driver = heat_driver.HeatDriver()

    def client(self, trust=None):
        key = trust and trust['trust_id']
        if key not in self.clients:
            client = mock.Mock()
            client.stacks.list.return_value = [
                _stack(uuid, status='CREATE_IN_PROGRESS')
                for uuid in self.projects.get(key, ())]
            self.clients[key] = client
        return self.clients[key]

    def calls(self, key):
        return len(self.clients[key].stacks.list.mock_calls)

    def test_one_list_per_project_through_its_own_trust(self):
        self.projects = {'t1': ['a1', 'a2'], 't2': ['a1', 'a2'],
                         't3': ['b1'], None: ['old']}
        create = operations.CLUSTER_CREATE
        clusters = [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'a2', 'alpha', 't2'),
            _rows(create, states.CREATING, 'b1', 'beta', 't3'),
            _rows(create, states.CREATING, 'old', 'gamma')]
        observed = self.driver.poll('ctx', clusters)
        self.assertEqual({'a1', 'a2', 'b1', 'old'}, set(observed))
        self.assertEqual({base.IN_PROGRESS},
                         {o.state for o in observed.values()})
        self.assertEqual((1, 1, 1), (self.calls('t1'), self.calls('t3'),
                                     self.calls(None)))
        # alpha's second cluster was seen in the list its first made.
        self.assertEqual(0, self.calls('t2'))
        self.assertEqual([], self.clients['t1'].stacks.get.mock_calls)

    def test_a_trust_that_fails_hands_over_to_the_next(self):
        self.projects = {'t1': [], 't2': ['a1', 'a2']}
        create = operations.CLUSTER_CREATE
        broken = self.client({'trust_id': 't1'})
        broken.stacks.list.side_effect = RuntimeError('owner deleted')
        log = self.useFixture(fixtures.FakeLogger())
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'a2', 'alpha', 't2')])
        self.assertEqual({base.IN_PROGRESS},
                         {observed['a1'].state, observed['a2'].state})
        self.assertIn('Listing stacks as cluster a1 failed', log.output)

    def test_a_project_none_can_list_is_left_for_the_next_sync(self):
        self.projects = {'t1': ['a1'], 't3': ['b1']}
        create = operations.CLUSTER_CREATE
        self.client({'trust_id': 't1'}).stacks.list.side_effect = \
            RuntimeError('owner deleted')
        self.useFixture(fixtures.FakeLogger())
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'b1', 'beta', 't3')])
        self.assertEqual(['b1'], list(observed))

    def test_a_project_heat_cannot_show_waits_saying_why(self):
        self.projects = {'t1': ['a1'], 't3': ['b1']}
        create = operations.CLUSTER_CREATE
        self.client({'trust_id': 't1'}).stacks.list.side_effect = \
            heat_client.HeatUnavailable(reason='connection refused')
        self.useFixture(fixtures.FakeLogger())
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'b1', 'beta', 't3')])
        self.assertEqual(base.IN_PROGRESS, observed['a1'].state)
        self.assertEqual('Heat is unavailable: connection refused',
                         observed['a1'].reason)
        # Heat's outage is not alpha's: beta waits for the same reason.
        self.assertEqual(observed['a1'], observed['b1'])
        self.assertNotIn('t3', self.clients)

    def test_heat_unavailable_is_met_once_per_sync(self):
        # An overloaded Heat times out each call: neither another trust
        # of the project nor another project is tried in this sync.
        self.projects = {'t1': ['a1', 'a2'], 't2': ['a1', 'a2'],
                         't3': ['b1']}
        for trust in ('t1', 't2', 't3'):
            self.client({'trust_id': trust}).stacks.list.side_effect = \
                heat_client.HeatUnavailable(reason='timed out')
        create = operations.CLUSTER_CREATE
        self.useFixture(fixtures.FakeLogger())
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'a2', 'alpha', 't2'),
            _rows(create, states.CREATING, 'b1', 'beta', 't3')])
        self.assertEqual(1, sum(self.calls(t) for t in ('t1', 't2', 't3')))
        self.assertEqual({'Heat is unavailable: timed out'},
                         {o.reason for o in observed.values()})
        self.assertEqual({base.IN_PROGRESS},
                         {o.state for o in observed.values()})

    def test_heat_gone_before_the_outputs_holds_up_only_that_cluster(self):
        self.projects = {'t1': ['a1', 'a2']}
        client = self.client({'trust_id': 't1'})
        client.stacks.list.return_value = [
            _stack('a1', status='CREATE_COMPLETE'),
            _stack('a2', status='CREATE_FAILED')]
        client.resources.list.return_value = []
        client.stacks.get.side_effect = heat_client.HeatUnavailable(
            reason='connection refused')
        create = operations.CLUSTER_CREATE
        observed = self.driver.poll('ctx', [
            _rows(create, states.CREATING, 'a1', 'alpha', 't1'),
            _rows(create, states.CREATING, 'a2', 'alpha', 't1')])
        self.assertEqual((base.IN_PROGRESS, 'Heat is unavailable: '
                          'connection refused'),
                         (observed['a1'].state, observed['a1'].reason))
        self.assertEqual(base.FAILED, observed['a2'].state)

    def test_a_deleting_cluster_waits_for_heat_to_start_the_delete(self):
        # Heat cancelled the create to delete the stack: CREATE_FAILED
        # until the delete starts is not the delete's outcome.
        self.projects = {'t1': ['a1']}
        client = self.client({'trust_id': 't1'})
        client.stacks.list.return_value = [
            _stack('a1', status='CREATE_FAILED')]
        client.resources.list.return_value = []
        rows = _rows(operations.CLUSTER_DELETE, states.DELETING, 'a1',
                     'alpha', 't1')
        rows.cluster.operation_started_at = timeutils.utcnow()
        self.assertEqual(base.IN_PROGRESS,
                         self.driver.poll('ctx', [rows])['a1'].state)
        rows.cluster.operation_started_at = STARTED  # long ago
        self.assertEqual(base.FAILED,
                         self.driver.poll('ctx', [rows])['a1'].state)


class ClusterOutputsTest(testtools.TestCase):
    """What a finished cluster's stacks' outputs give the conductor to
    store: its nodegroups' addresses and servers' names."""

    def test_node_names_from_each_stack_if_it_says(self):
        def ng(uuid, name, role, default):
            return types.SimpleNamespace(uuid=uuid, name=name, role=role,
                                         is_default=default)
        cluster = types.SimpleNamespace(uuid='c1')
        groups = (ng('m', 'default-master', 'master', True),
                  ng('w', 'default-worker', 'worker', True),
                  ng('gpu', 'gpu', 'worker', False),
                  ng('old', 'old', 'worker', False))
        index = {'ml-c1': _stack('c1'),
                 heat_driver.stack_name(cluster, groups[2]): _stack('gpu'),
                 heat_driver.stack_name(cluster, groups[3]): _stack('old')}
        # Read by name/id, as the driver asks Heat for them.
        outputs = {
            'ml-c1/c1-id': {'master_addresses': ['10.0.0.1'],
                      'node_addresses': ['10.0.0.2'],
                      'master_node_names': ['c-default-master-0'],
                      'worker_node_names': ['c-default-worker-2']},
            'ml-gpu/gpu-id': {'node_addresses': ['10.0.0.3'],
                       'node_names': ['c-gpu-0']},
            # A stack of older templates: no names.
            'ml-old/old-id': {'node_addresses': ['10.0.0.4']}}
        stacks = types.SimpleNamespace(outputs=outputs.get)
        found = heat_driver.HeatDriver._cluster_outputs(
            stacks, cluster, groups, index)
        self.assertEqual({'m': ['c-default-master-0'],
                          'w': ['c-default-worker-2'],
                          'gpu': ['c-gpu-0']}, found['node_names'])
        self.assertEqual(['10.0.0.4'], found['nodegroups']['old'])
