"""The state machine table: reachable, no dead ends, Magnum strings."""

import collections

import testtools

from magnum_lite.common import states


def _reachable():
    graph = collections.defaultdict(set)
    for t in states.TRANSITIONS:
        graph[t.source].add(t.target)
    seen, todo = set(), [None]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


class TestStates(testtools.TestCase):

    def test_every_state_is_reachable(self):
        self.assertEqual(states.ALL | {states.DELETED}, _reachable())

    def test_failed_states_have_retry_and_delete_exits(self):
        for failed in states.FAILED:
            events = {t.event for t in states.TRANSITIONS
                      if t.source == failed}
            self.assertIn(states.DELETE, events, failed)
            retry = states.UPDATE if failed != states.DELETE_FAILED \
                else states.DELETE
            self.assertIn(retry, events, failed)

    def test_in_progress_states_settle(self):
        for state in states.IN_PROGRESS:
            self.assertIn(states.outcome(state, True),
                          states.STABLE | {states.DELETED})
            self.assertIn(states.outcome(state, False), states.FAILED)

    def test_busy_cluster_cannot_be_updated(self):
        for state in states.IN_PROGRESS:
            self.assertRaises(states.InvalidTransition, states.target,
                              state, states.UPDATE)

    def test_delete_allowed_while_creating(self):
        self.assertEqual(states.DELETING,
                         states.target(states.CREATING, states.DELETE))

    def test_magnum_strings_round_trip(self):
        for state in states.ALL | {states.DELETED}:
            status = states.magnum_status(state)
            self.assertEqual(state, states.from_magnum_status(status))
        self.assertEqual('CREATE_COMPLETE',
                         states.magnum_status(states.CREATED))
        self.assertIsNone(states.magnum_status(None))

    def test_sources(self):
        self.assertEqual(
            sorted([states.CREATED, states.UPDATED, states.UPDATE_FAILED,
                    states.CREATE_FAILED]), states.sources(states.UPDATE))
