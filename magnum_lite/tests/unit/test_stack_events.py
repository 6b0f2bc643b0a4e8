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
        self.now = 1000.0
        self.schedule = stack_events.Schedule(
            3600, poke=lambda: self.pokes.append(1), clock=lambda: self.now)

    def test_first_sync_looks_at_all_then_only_notified(self):
        self.assertIsNone(self.schedule.due(['a', 'b']))
        self.assertEqual(set(), self.schedule.due(['a', 'b']))
        self.schedule.notified('b')
        self.assertEqual([1], self.pokes)
        self.assertEqual({'b'}, self.schedule.due(['a', 'b']))

    def test_notified_until_settled(self):
        self.schedule.due([])
        self.schedule.notified('a')
        # Heat notifies before it stores the state: still in progress,
        # looked at again once due.
        self.assertEqual({'a'}, self.schedule.due(['a']))
        self.now += stack_events.FIRST_RETRY
        self.assertEqual({'a'}, self.schedule.due(['a']))
        # Settled: no longer in progress, forgotten.
        self.assertEqual(set(), self.schedule.due([]))
        self.now += stack_events.LONGEST_RETRY
        self.assertEqual(set(), self.schedule.due(['a']))

    def test_looks_again_at_growing_intervals(self):
        self.schedule.due([])
        self.schedule.notified('a')
        looks = []
        for tick in range(int(stack_events.RETRY_FOR * 100) + 100):
            # Hundredths, each from the start: no sum of rounding errors.
            self.now = 1000.0 + tick / 100
            if self.schedule.due(['a']):
                looks.append(round(self.now - 1000.0, 2))
        # (Within a tick: 0.1 + 0.2 is not 0.3 in floating point.)
        first = [0.0, 0.1, 0.3, 0.7, 1.5, 3.1]
        for expected, looked in zip(first, looks[:6], strict=True):
            self.assertAlmostEqual(expected, looked, delta=0.011)
        for earlier, later in zip(looks[5:-1], looks[6:], strict=True):
            self.assertAlmostEqual(stack_events.LONGEST_RETRY,
                                   later - earlier, delta=0.011)
        # Still in progress after RETRY_FOR (another of its stacks is
        # busy): given up on, left to the safety net. Eleven looks, not
        # one every half second for as long as the cluster works.
        self.assertLessEqual(looks[-1], stack_events.RETRY_FOR)
        self.assertEqual(11, len(looks))

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
        self.now += stack_events.RETRY_FOR
        self.assertEqual(set(), self.schedule.due(['a']))
        self.assertEqual({}, self.schedule._notified)

    def test_safety_interval_looks_at_all_again(self):
        now = [0.0]
        schedule = stack_events.Schedule(1, clock=lambda: now[0])
        self.assertIsNone(schedule.due(['a']))
        self.assertEqual(set(), schedule.due(['a']))
        now[0] += 1
        self.assertIsNone(schedule.due(['a']))

    def test_retry_when_due_while_unsettled(self):
        schedule = stack_events.Schedule(
            3600, poke=lambda: self.pokes.append(1))
        schedule.due([])
        schedule.after_sync()
        self.assertIsNone(schedule._timer)
        schedule.notified('a')
        self.assertEqual({'a'}, schedule.due(['a']))
        schedule.after_sync()
        started = time.monotonic()
        schedule._timer.join(5)
        # Poked by notified(), then by the timer once 'a' was due again.
        self.assertEqual([1, 1], self.pokes)
        self.assertGreaterEqual(time.monotonic() - started,
                                stack_events.FIRST_RETRY * 0.9)
