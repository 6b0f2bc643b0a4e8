"""Matching Kubernetes nodes to nodegroups and their servers
(cluster/node_matching.py), and what health says of it: tables."""

import types

import testtools

from magnum_lite.cluster import health
from magnum_lite.cluster import node_matching


def _ng(name, count, names=None):
    return types.SimpleNamespace(uuid=f'uuid-{name}', name=name,
                                 role='worker', node_count=count,
                                 node_names=names)


def _names(group, *indexes):
    return [f'c-{group}-{i}' for i in indexes]


MASTERS = _ng('default-master', 3, _names('default-master', 0, 1, 2))
# Scaled down by removing server 1: indexes need not be contiguous.
WORKERS = _ng('default-worker', 2, _names('default-worker', 0, 2))
# A nodegroup whose stack has not said its servers' names.
LEGACY = _ng('gpu', 2)
GROUPS = (MASTERS, WORKERS, LEGACY)


def _match(*registered):
    return node_matching.match('c', GROUPS, registered)


def _node(name):
    return {'metadata': {'name': name}, 'status': {'conditions': [
        {'type': kind, 'status': status}
        for kind, status in health.CONDITIONS.items()]}}


ALL = (_names('default-master', 0, 1, 2) + _names('default-worker', 0, 2)
       + _names('gpu', 0, 1))


class TestMatch(testtools.TestCase):

    def test_every_server_registered(self):
        found = _match(*ALL)
        self.assertEqual(({}, ()), (found.short, found.unmanaged))
        self.assertEqual('uuid-default-worker',
                         found.owners['c-default-worker-2'])
        self.assertEqual('uuid-gpu', found.owners['c-gpu-1'])
        self.assertEqual({}, found.missing())

    def test_missing_servers_by_name_and_by_count(self):
        seen = [n for n in ALL
                if n not in ('c-default-master-1', 'c-default-worker-2',
                             'c-gpu-0')]
        found = _match(*seen)
        self.assertEqual({
            'uuid-default-master': node_matching.Shortfall(
                'default-master', 2, 3, ('c-default-master-1',)),
            'uuid-default-worker': node_matching.Shortfall(
                'default-worker', 1, 2, ('c-default-worker-2',)),
            # Names unknown: counted, not named.
            'uuid-gpu': node_matching.Shortfall('gpu', 1, 2)},
            found.short)
        self.assertEqual({'c-default-master-1': 'uuid-default-master',
                          'c-default-worker-2': 'uuid-default-worker'},
                         found.missing())
        # A missing server is still ours: auto-healing may replace it.
        self.assertEqual('uuid-default-worker',
                         found.owners['c-default-worker-2'])

    def test_unmanaged_nodes(self):
        found = _match(*ALL, 'c-default-worker-1', 'by-hand', 'c-gpu-x')
        # c-default-worker-1 follows the pattern, but its server was
        # removed: the stack's names say so.
        self.assertEqual(('by-hand', 'c-default-worker-1', 'c-gpu-x'),
                         found.unmanaged)
        self.assertEqual({}, found.short)
        for name in found.unmanaged:
            self.assertNotIn(name, found.owners)

    def test_by_name_pattern(self):
        groups = (_ng('w', 1), _ng('w-1', 1))
        for node, group in (('c-w-10', 'w'), ('c-w-1-0', 'w-1'),
                            ('c-w-x', None), ('d-w-0', None)):
            found = node_matching.by_name_pattern('c', groups, node)
            self.assertEqual(group, found and found.name, node)


class TestHealthOfTheMatch(testtools.TestCase):

    def assess(self, registered):
        return health.assess(True, 'ok', [_node(n) for n in registered],
                             _match(*registered))

    def test_all_registered_is_healthy(self):
        found = self.assess(ALL)
        self.assertEqual(health.HEALTHY, found.status)
        self.assertFalse([k for k in found.reason if k.endswith('.nodes')])

    def test_a_nodegroup_short_of_nodes(self):
        found = self.assess([n for n in ALL if n not in (
            'c-default-worker-0', 'c-gpu-1')])
        self.assertEqual(health.UNHEALTHY, found.status)
        self.assertEqual(
            '1 of 2 registered; not registered: c-default-worker-0',
            found.reason['default-worker.nodes'])
        self.assertEqual('1 of 2 registered', found.reason['gpu.nodes'])
        self.assertNotIn('default-master.nodes', found.reason)

    def test_unmanaged_nodes_are_named_and_still_count(self):
        found = self.assess(ALL + ['by-hand'])
        self.assertEqual(('HEALTHY', 'by-hand', 'True'),
                         (found.status, found.reason['unmanaged_nodes'],
                          found.reason['by-hand.Ready']))
        nodes = [_node(n) for n in ALL + ['by-hand']]
        nodes[-1]['status']['conditions'][0]['status'] = 'False'
        self.assertEqual(health.UNHEALTHY, health.assess(
            True, 'ok', nodes, _match(*ALL, 'by-hand')).status)

    def test_values_fit(self):
        many = _ng('many', 60, [f'c-many-with-a-long-name-{i}'
                                for i in range(60)])
        found = health.assess(True, 'ok', [], node_matching.match(
            'c', (many,), [f'x-{i}-with-a-long-name' for i in range(60)]))
        self.assertEqual(health.UNHEALTHY, found.status)
        for value in found.reason.values():
            self.assertIsInstance(value, str)
            self.assertLessEqual(len(value), health.MAX_VALUE)
        self.assertTrue(found.reason['many.nodes'].startswith(
            '0 of 60 registered; not registered: c-many-with-a-long-name-0'))
        self.assertTrue(found.reason['many.nodes'].endswith('...'))
