"""The claim answers what the operation's row says, whatever state the
cluster had when the handler looked (api/work.py)."""

from magnum_lite.api import work
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.db import api as db_api
from magnum_lite.tests import base


class ClaimTest(base.DbTestCase):

    def cluster(self, status):
        return self.cluster_row(status=status)

    def test_a_state_the_event_allows_but_the_row_refuses(self):
        # An upgrade needs a cluster that was built once: a cluster that
        # turned create_failed after the handler's check_state is refused
        # as check_state would have, although the update event starts
        # from create_failed.
        self.assertIn(states.CREATE_FAILED,
                      states.sources(operations.CLUSTER_UPGRADE.event))
        cluster = self.cluster(states.CREATE_FAILED)
        err = self.assertRaises(exception.InvalidState, work.claim,
                                cluster.uuid, operations.CLUSTER_UPGRADE,
                                args={})
        self.assertEqual(400, err.code)
        self.assertEqual(states.CREATE_FAILED,
                         db_api.cluster_get(cluster.uuid).status)

    def test_busy_is_409(self):
        cluster = self.cluster(states.UPDATING)
        err = self.assertRaises(exception.ClusterBusy, work.claim,
                                cluster.uuid, operations.CLUSTER_UPGRADE,
                                args={})
        self.assertEqual(states.UPDATING, err.kwargs['state'])

    def test_an_allowed_state_is_claimed(self):
        cluster = self.cluster(states.UPDATE_FAILED)
        claimed = work.claim(cluster.uuid, operations.CLUSTER_UPGRADE,
                             args={})
        self.assertEqual(states.UPDATING, claimed.status)
        self.assertEqual(operations.CLUSTER_UPGRADE.name, claimed.operation)
