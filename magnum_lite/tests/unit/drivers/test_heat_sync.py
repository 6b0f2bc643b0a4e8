"""The Heat driver's status-sync steps: ``poll`` only observes, ``tend``
drains (drains.py) the stacks an operation that drains is updating."""

import datetime
import types
from unittest import mock

import fixtures
import testtools

from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.drivers import base
from magnum_lite.drivers.heat import drains
from magnum_lite.drivers.heat import driver as heat_driver
from magnum_lite.drivers.heat import templates

STARTED = datetime.datetime(2026, 12, 3, 8, 0, 0)
BEFORE = '2026-12-03T07:00:00Z'
AFTER = '2026-12-03T08:00:30Z'


def _rows(operation, status=states.UPDATING, uuid='c1'):
    cluster = types.SimpleNamespace(
        uuid=uuid, status=status, operation=operation.name,
        operation_args={}, operation_started_at=STARTED)
    return base.ClusterRows(cluster=cluster, nodegroups=(), templates={},
                            certificates={})


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
        self.driver = heat_driver.HeatDriver()
        self.heat = mock.Mock()
        self.driver._heat = self.heat

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
