"""Heat stack states to observations: a table."""

import datetime

import testtools

from magnum_lite.drivers import base
from magnum_lite.drivers.heat import status

Obs = base.Observation


class TestObserve(testtools.TestCase):

    TABLE = [
        # stack status, deleting, expected state
        ('CREATE_IN_PROGRESS', False, base.IN_PROGRESS),
        ('UPDATE_IN_PROGRESS', False, base.IN_PROGRESS),
        ('DELETE_IN_PROGRESS', True, base.IN_PROGRESS),
        ('CREATE_COMPLETE', False, base.COMPLETE),
        ('UPDATE_COMPLETE', False, base.COMPLETE),
        ('CREATE_FAILED', False, base.FAILED),
        ('UPDATE_FAILED', False, base.FAILED),
        ('DELETE_FAILED', True, base.FAILED),
        ('DELETE_COMPLETE', True, base.GONE),
        ('DELETE_COMPLETE', False, base.FAILED),
        (None, True, base.GONE),
        (None, False, base.FAILED),
        ('CREATE_COMPLETE', True, base.IN_PROGRESS),
    ]

    def test_table(self):
        for stack_status, deleting, expected in self.TABLE:
            observed = status.observe(stack_status, 'why', deleting)
            self.assertEqual(expected, observed.state,
                             (stack_status, deleting))

    def test_vanished_stack_says_so(self):
        self.assertIn('vanished', status.observe(None, None, False).reason)


class TestCombine(testtools.TestCase):

    def test_failure_wins(self):
        combined = status.combine([
            Obs(base.COMPLETE), Obs(base.FAILED, 'a'),
            Obs(base.IN_PROGRESS), Obs(base.FAILED, 'b')])
        self.assertEqual((base.FAILED, 'a; b'),
                         (combined.state, combined.reason))

    def test_in_progress_before_complete(self):
        self.assertEqual(base.IN_PROGRESS, status.combine(
            [Obs(base.COMPLETE), Obs(base.IN_PROGRESS)]).state)

    def test_all_gone(self):
        gone = status.combine([Obs(base.GONE), Obs(base.GONE)])
        self.assertEqual(base.GONE, gone.state)

    def test_failure_reason_names_resources(self):
        reason = status.failure_reason([
            ('workers', 'CREATE_FAILED', 'Resource CREATE failed: x'),
            ('1', 'CREATE_FAILED', 'Error: resources[1]: boom'),
            ('masters', 'CREATE_COMPLETE', 'ok')])
        self.assertEqual('workers: Resource CREATE failed: x; '
                         '1: Error: resources[1]: boom', reason)


class TestAnswers(testtools.TestCase):

    def test_stale_state_does_not_answer(self):
        import datetime
        claim = datetime.datetime(2026, 1, 1, 12, 0, 0)
        before = claim - datetime.timedelta(minutes=1)
        after = claim + datetime.timedelta(seconds=1)
        self.assertFalse(status.answers('CREATE_COMPLETE', before, claim))
        self.assertTrue(status.answers('UPDATE_COMPLETE', after, claim))
        self.assertTrue(status.answers(None, None, claim))
        self.assertTrue(status.answers('CREATE_COMPLETE', before, None))


class TestStackIndex(testtools.TestCase):

    def test_unlisted_stack_is_looked_up_once(self):
        from magnum_lite.drivers.heat import driver

        class Stack:
            def __init__(self, name):
                self.stack_name = name

        found = []

        def find(name):
            found.append(name)
            return Stack(name) if name == 'hidden' else None

        index = driver._StackIndex([Stack('listed')], find)
        self.assertEqual('listed', index.get('listed').stack_name)
        self.assertEqual('hidden', index.get('hidden').stack_name)
        self.assertIsNone(index.get('gone'))
        self.assertIsNone(index.get('gone'))
        self.assertEqual(['hidden', 'gone'], found)


class TestCancelledForDelete(testtools.TestCase):
    """Heat cancels a create or update (FAILED) before it deletes."""

    def test_table(self):
        now = datetime.datetime(2026, 12, 6, 1, 0, 0)
        recent = now - datetime.timedelta(seconds=20)
        old = now - status.DELETE_START - datetime.timedelta(seconds=1)
        table = [
            ('CREATE_FAILED', recent, True),
            ('UPDATE_FAILED', recent, True),
            ('CREATE_FAILED', old, False),     # the delete never began
            ('DELETE_FAILED', recent, False),  # the delete's own outcome
            ('DELETE_IN_PROGRESS', recent, False),
            ('UPDATE_COMPLETE', recent, False),
            (None, recent, False),
            ('CREATE_FAILED', None, False),
        ]
        for stack_status, requested, expected in table:
            self.assertEqual(expected, status.cancelled_for_delete(
                stack_status, requested, now), (stack_status, requested))
