"""Heat's notifications: which ones are news (pure) and the schedule the
status sync follows."""

import time

import testtools

from magnum_lite.conductor import stack_events
from magnum_lite.drivers.heat import notifications

CLUSTER = '4f1c2a9e-0b7d-4c38-9a51-3e2f6d8b7c10'
NODEGROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'


class TestFinishedCluster(testtools.TestCase):

    def test_table(self):
        table = [
            # (event type, stack name, cluster expected)
            ('orchestration.stack.create.end', f'ml-{CLUSTER}', CLUSTER),
            ('orchestration.stack.update.error', f'ml-{CLUSTER}', CLUSTER),
            ('orchestration.stack.delete.end', f'ml-{CLUSTER}', CLUSTER),
            ('orchestration.stack.update.end',
             f'ml-{CLUSTER}-ng-{NODEGROUP}', CLUSTER),
            # In progress: nothing to settle yet.
            ('orchestration.stack.create.start', f'ml-{CLUSTER}', None),
            # Nested stacks of ours, and stacks not ours.
            ('orchestration.stack.create.end',
             f'ml-{CLUSTER}-kube_masters-abc123def', None),
            ('orchestration.stack.create.end', 'my-app', None),
            ('orchestration.stack.create.end', f'ml-{CLUSTER}x', None),
            # Not a stack event.
            ('orchestration.autoscaling.end', f'ml-{CLUSTER}', None),
        ]
        for event_type, name, expected in table:
            self.assertEqual(expected, notifications.finished_cluster(
                event_type, {'stack_name': name, 'state': 'X'}),
                (event_type, name))

    def test_odd_payloads(self):
        for payload in (None, 'text', {}, {'stack_name': None}):
            self.assertIsNone(notifications.finished_cluster(
                'orchestration.stack.create.end', payload))


class TestSchedule(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.pokes = []
        self.schedule = stack_events.Schedule(
            3600, poke=lambda: self.pokes.append(1))

    def test_first_sync_looks_at_all_then_only_notified(self):
        self.assertIsNone(self.schedule.due(['a', 'b']))
        self.assertEqual(set(), self.schedule.due(['a', 'b']))
        self.schedule.notified('b')
        self.assertEqual([1], self.pokes)
        self.assertEqual({'b'}, self.schedule.due(['a', 'b']))

    def test_notified_until_settled(self):
        self.schedule.due([])
        self.schedule.notified('a')
        # Heat notifies before it stores the state: still in progress.
        self.assertEqual({'a'}, self.schedule.due(['a']))
        self.assertEqual({'a'}, self.schedule.due(['a']))
        # Settled: no longer in progress, forgotten.
        self.assertEqual(set(), self.schedule.due([]))
        self.assertEqual(set(), self.schedule.due(['a']))

    def test_notified_before_driven_is_kept(self):
        self.schedule.due([])
        self.schedule.notified('a')
        # Not yet among the driven in-progress clusters (the driver has
        # not returned): kept until it is.
        self.assertEqual(set(), self.schedule.due([]))
        self.assertEqual({'a'}, self.schedule.due(['a']))

    def test_given_up_after_retry_for(self):
        self.schedule.due([])
        self.schedule.notified('a')
        self.schedule._notified['a'][0] = time.monotonic() - 1
        self.assertEqual(set(), self.schedule.due([]))
        self.assertEqual(set(), self.schedule.due(['a']))

    def test_safety_interval_looks_at_all_again(self):
        schedule = stack_events.Schedule(1)
        self.assertIsNone(schedule.due(['a']))
        self.assertEqual(set(), schedule.due(['a']))
        schedule._last_full -= 1
        self.assertIsNone(schedule.due(['a']))

    def test_retry_soon_while_unsettled(self):
        self.schedule.due([])
        self.schedule.after_sync()
        self.assertIsNone(self.schedule._timer)
        self.schedule.notified('a')
        self.schedule.after_sync()
        self.schedule._timer.join(5)
        self.assertEqual([1, 1], self.pokes)
