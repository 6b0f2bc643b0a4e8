"""Auto-healing decisions (cluster/healing.py): tables of what was seen
-> which node is replaced, or why none."""

import datetime
import types

import testtools

from magnum_lite.cluster import healing
from magnum_lite.cluster import health
from magnum_lite.cluster import labels

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0)
LONG_AGO = NOW - datetime.timedelta(minutes=30)
JUST_NOW = NOW - datetime.timedelta(seconds=30)
SETTINGS = healing.Settings(enabled=True, timeout=600, max_unhealthy=40,
                            backoff=1800)


def _ng(name, role, count):
    return types.SimpleNamespace(uuid=f'uuid-{name}', name=name, role=role,
                                 node_count=count)


MASTERS = _ng('default-master', 'master', 3)
WORKERS = _ng('default-worker', 'worker', 5)
EXTRA = _ng('gpu', 'worker', 3)


def _view(sick, nodegroups=(MASTERS, WORKERS, EXTRA), **fields):
    """A View of cluster ``c`` with ``sick`` ({node: since})."""
    return healing.View('c', nodegroups, {
        name: (since, 'Ready=False') for name, since in sick.items()},
        **fields)


def _decide(view, settings=SETTINGS):
    return healing.decide(view, settings, NOW)


class TestDecide(testtools.TestCase):

    def test_nothing_unhealthy_nothing_said(self):
        self.assertIsNone(_decide(_view({})))

    def test_a_node_unhealthy_past_the_timeout_is_replaced(self):
        decision = _decide(_view({'c-default-worker-3': LONG_AGO}))
        self.assertEqual(('c-default-worker-3', 'uuid-default-worker',
                          'worker'),
                         (decision.node, decision.nodegroup, decision.role))
        self.assertEqual('replacing c-default-worker-3 (Ready=False since '
                         '2026-12-06T11:30:00Z)', decision.reason)

    def test_not_before_the_timeout(self):
        decision = _decide(_view({'c-default-worker-3': JUST_NOW}))
        self.assertIsNone(decision.node)
        self.assertEqual('waiting: c-default-worker-3 unhealthy since '
                         '2026-12-06T11:59:30Z; replaced after 600 s',
                         decision.reason)

    def test_the_longest_unhealthy_first(self):
        decision = _decide(_view({'c-default-worker-1': JUST_NOW,
                                  'c-gpu-0': LONG_AGO,
                                  'c-default-worker-2': NOW - datetime
                                  .timedelta(minutes=20)}))
        self.assertEqual('c-gpu-0', decision.node)

    def test_max_unhealthy_trips_for_its_nodegroup(self):
        sick = {f'c-default-worker-{i}': LONG_AGO for i in range(3)}
        decision = _decide(_view(sick))
        self.assertIsNone(decision.node)
        self.assertEqual(
            'paused (circuit breaker, max_unhealthy): 3 of 5 nodes of '
            'default-worker unhealthy, more than 40%', decision.reason)
        # Two of five is not more than 40 %.
        del sick['c-default-worker-2']
        self.assertEqual('c-default-worker-0', _decide(_view(sick)).node)
        # Another nodegroup is still repaired; the note stays.
        sick = {f'c-default-worker-{i}': LONG_AGO for i in range(3)}
        sick['c-gpu-1'] = LONG_AGO
        decision = _decide(_view(sick, nodegroups=(
            MASTERS, WORKERS, _ng('gpu', 'worker', 3))))
        self.assertEqual('c-gpu-1', decision.node)
        self.assertIn('max_unhealthy): 3 of 5 nodes of default-worker',
                      decision.reason)

    def test_max_unhealthy_of_a_nodegroup_of_one(self):
        decision = _decide(_view({'c-solo-0': LONG_AGO}, nodegroups=(
            _ng('solo', 'worker', 1),)))
        self.assertIsNone(decision.node)
        self.assertIn('1 of 1 nodes of solo', decision.reason)
        # A label lets it through.
        self.assertEqual('c-solo-0', _decide(
            _view({'c-solo-0': LONG_AGO}, nodegroups=(
                _ng('solo', 'worker', 1),)),
            healing.Settings(True, 600, 100, 1800)).node)

    def test_one_master_of_three(self):
        decision = _decide(_view({'c-default-master-1': LONG_AGO}))
        self.assertEqual(('c-default-master-1', 'master'),
                         (decision.node, decision.role))

    def test_never_a_master_while_another_is_unhealthy(self):
        # 2 of 5 masters: within max_unhealthy, but never two at once.
        masters = _ng('default-master', 'master', 5)
        decision = _decide(_view({'c-default-master-0': LONG_AGO,
                                  'c-default-master-4': JUST_NOW},
                                 nodegroups=(masters, WORKERS)))
        self.assertIsNone(decision.node)
        self.assertEqual(
            'paused (circuit breaker, etcd quorum): masters '
            'c-default-master-0, c-default-master-4 unhealthy; masters are '
            'replaced one at a time', decision.reason)
        # A worker may still be replaced meanwhile.
        decision = _decide(_view({'c-default-master-0': LONG_AGO,
                                  'c-default-master-4': JUST_NOW,
                                  'c-default-worker-0': LONG_AGO},
                                 nodegroups=(masters, WORKERS)))
        self.assertEqual('c-default-worker-0', decision.node)
        self.assertIn('etcd quorum', decision.reason)

    def test_no_master_below_quorum(self):
        for count in (1, 2):
            masters = _ng('default-master', 'master', count)
            decision = _decide(_view({'c-default-master-0': LONG_AGO},
                                     nodegroups=(masters, WORKERS)),
                               healing.Settings(True, 600, 100, 1800))
            self.assertIsNone(decision.node)
            self.assertIn(f'would leave {count - 1} of {count} etcd '
                          'members, below quorum', decision.reason)

    def test_held_by_the_api_busy_and_backoff(self):
        sick = {'c-default-worker-0': LONG_AGO}
        table = [
            ({'api': 'unreachable'},
             'paused (circuit breaker, api): the API is unreachable'),
            ({'api': 'not ready'},
             'paused (circuit breaker, api): the API is not ready'),
            ({'busy': 'UPDATE_IN_PROGRESS (cluster_upgrade)'},
             'paused (circuit breaker, busy): the cluster is busy '
             '(UPDATE_IN_PROGRESS (cluster_upgrade))'),
            ({'failed_repair_at': NOW - datetime.timedelta(minutes=10)},
             'paused (circuit breaker, backoff): a repair failed; next try '
             'after 2026-12-06T12:20:00Z'),
            ({'repairing': 'c-default-worker-0'},
             'replacing c-default-worker-0'),
        ]
        for fields, reason in table:
            decision = _decide(_view(sick, **fields))
            self.assertEqual((None, reason), (decision.node,
                                              decision.reason), fields)
        # A completed repair whose node is unhealthy again failed too.
        self.assertEqual(
            'paused (circuit breaker, backoff): the replacement of '
            'c-default-worker-0 is unhealthy; next try after '
            '2026-12-06T12:20:00Z', _decide(_view(sick, last_repair=(
                'c-default-worker-0', NOW - datetime.timedelta(
                    minutes=10)))).reason)
        self.assertEqual('c-default-worker-0', _decide(_view(
            sick, last_repair=('c-default-worker-1', NOW))).node)
        # The backoff passed.
        self.assertEqual('c-default-worker-0', _decide(_view(
            sick, failed_repair_at=NOW - datetime.timedelta(
                minutes=31))).node)

    def test_a_node_that_is_no_server_of_ours(self):
        decision = _decide(_view({'other-node': LONG_AGO}))
        self.assertEqual((None, 'not ours, left alone: other-node'),
                         (decision.node, decision.reason))

    def test_a_server_whose_node_never_registered(self):
        # As the conductor sees it: the server's name is ours (owners),
        # its node is missing, since the first check that found it so.
        owners = {f'c-default-worker-{i}': WORKERS.uuid for i in range(5)}
        view = healing.View('c', (MASTERS, WORKERS), {
            'c-default-worker-4': (LONG_AGO, healing.NOT_REGISTERED)},
            owners=owners)
        decision = _decide(view)
        self.assertEqual(('c-default-worker-4', WORKERS.uuid, 'worker'),
                         (decision.node, decision.nodegroup, decision.role))
        self.assertEqual('replacing c-default-worker-4 (not registered '
                         'since 2026-12-06T11:30:00Z)', decision.reason)
        # Missing servers count for max_unhealthy as unhealthy nodes do.
        sick = {f'c-default-worker-{i}': (LONG_AGO, healing.NOT_REGISTERED)
                for i in range(3)}
        decision = _decide(healing.View('c', (MASTERS, WORKERS), sick,
                                        owners=owners))
        self.assertIsNone(decision.node)
        self.assertIn('max_unhealthy): 3 of 5 nodes of default-worker',
                      decision.reason)
        # A node of a name that is no server of ours is left alone, even
        # when it follows the name pattern.
        decision = _decide(healing.View('c', (MASTERS, WORKERS), {
            'c-default-worker-9': (LONG_AGO, 'Ready=False')},
            owners=owners))
        self.assertEqual((None, 'not ours, left alone: c-default-worker-9'),
                         (decision.node, decision.reason))

    def test_reason_fits_a_health_value(self):
        sick = {f'c-big-{i}-with-a-long-name-{i}': JUST_NOW
                for i in range(30)}
        decision = _decide(_view(sick))
        self.assertLessEqual(len(decision.reason), health.MAX_VALUE)


class TestFacts(testtools.TestCase):

    def test_unhealthy_names_what_is_wrong(self):
        def node(name, **conditions):
            return {'metadata': {'name': name}, 'status': {'conditions': [
                {'type': k, 'status': v} for k, v in dict(
                    health.CONDITIONS, **conditions).items()]}}
        self.assertEqual(
            {'b': 'Ready=False, DiskPressure=True', 'c': 'Ready=Unknown'},
            healing.unhealthy([node('a'), node('b', Ready='False',
                                                DiskPressure='True'),
                               node('c', Ready='Unknown')]))

    def test_nodegroup_of(self):
        groups = (_ng('w', 'worker', 1), _ng('w-1', 'worker', 1))
        by_pattern = healing.View('c', groups, {})
        self.assertEqual('w', healing.nodegroup_of(by_pattern,
                                                   'c-w-10').name)
        self.assertEqual('w-1', healing.nodegroup_of(by_pattern,
                                                     'c-w-1-0').name)
        self.assertIsNone(healing.nodegroup_of(by_pattern, 'c-w-x'))
        self.assertIsNone(healing.nodegroup_of(by_pattern, 'd-w-0'))
        # With the servers' names known, they alone count.
        by_name = healing.View('c', groups, {}, owners={
            'c-w-1-0': 'uuid-w-1', 'odd-name': 'uuid-w'})
        self.assertEqual('w', healing.nodegroup_of(by_name,
                                                   'odd-name').name)
        self.assertEqual('w-1', healing.nodegroup_of(by_name,
                                                     'c-w-1-0').name)
        self.assertIsNone(healing.nodegroup_of(by_name, 'c-w-10'))

    def test_settings_from_labels(self):
        self.assertEqual(healing.Settings(False, 600, 40, 1800),
                         healing.settings({}, 40, 1800))
        self.assertEqual(healing.Settings(True, 30, 60, 5), healing.settings(
            {'auto_healing_enabled': 'True',
             'auto_healing_unhealthy_timeout': '30',
             'auto_healing_max_unhealthy': '60'}, 40, 5))
        self.assertRaises(labels.InvalidLabel, labels.check,
                          {'auto_healing_max_unhealthy': '101'})
        self.assertRaises(labels.InvalidLabel, labels.check,
                          {'auto_healing_enabled': 'maybe'})
