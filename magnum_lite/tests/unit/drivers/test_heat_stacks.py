"""The driver's Heat calls (drivers/heat/stacks.py)."""

import types
from unittest import mock

import testtools
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc

from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import client as heat
from magnum_lite.drivers.heat import driver
from magnum_lite.drivers.heat import stacks as heat_stacks


def _client(status=None):
    client = mock.Mock()
    if status is None:
        client.stacks.get.side_effect = heat_exc.HTTPNotFound()
    else:
        client.stacks.get.return_value = types.SimpleNamespace(
            stack_status=status)
    return client


class DeleteTest(testtools.TestCase):

    def test_a_stack_is_deleted(self):
        client = _client('UPDATE_FAILED')
        heat_stacks.Stacks(client).delete('ml-c1')
        client.stacks.delete.assert_called_once_with('ml-c1')

    def test_a_stack_heat_is_deleting_is_left_to_it(self):
        # A second delete would cancel the first.
        client = _client('DELETE_IN_PROGRESS')
        heat_stacks.Stacks(client).delete('ml-c1')
        client.stacks.delete.assert_not_called()

    def test_a_stack_that_is_gone_is_fine(self):
        client = _client()
        heat_stacks.Stacks(client).delete('ml-c1')
        client.stacks.delete.assert_not_called()

    def test_heat_errors_are_ours(self):
        client = _client('CREATE_COMPLETE')
        client.stacks.delete.side_effect = heat_exc.HTTPServiceUnavailable()
        self.assertRaises(heat.HeatUnavailable,
                          heat_stacks.Stacks(client).delete, 'ml-c1')

    def test_a_refusal_is_not_an_outage(self):
        client = _client('CREATE_COMPLETE')
        client.stacks.delete.side_effect = heat_exc.HTTPBadRequest(
            '{"error": {"message": "Property error: flavor"}}')
        err = self.assertRaises(heat.HeatRefused,
                                heat_stacks.Stacks(client).delete, 'ml-c1')
        self.assertIn('Heat refused the request: 400', str(err))
        self.assertIn('Property error: flavor', str(err))

    def test_keystone_answers_sort_the_same_way(self):
        self.assertIsInstance(heat.translate(ks_exc.Unauthorized()),
                              heat.HeatRefused)
        self.assertIsInstance(heat.translate(ks_exc.ConnectFailure()),
                              heat.HeatUnavailable)
        self.assertIsInstance(heat.translate(ks_exc.ServiceUnavailable()),
                              heat.HeatUnavailable)


class TestRetriedCreate(testtools.TestCase):

    def test_a_stack_heat_stored_after_a_lost_answer_is_taken(self):
        client = _client('CREATE_IN_PROGRESS')
        client.stacks.get.return_value.id = 'stack-1'
        client.stacks.create.side_effect = heat_exc.HTTPConflict(
            'The Stack (ml-c1) already exists.')
        self.assertEqual('stack-1', heat_stacks.Stacks(client).create(
            stack_name='ml-c1'))


class TestRetriedUpdate(testtools.TestCase):
    """The driver's update step, driven again after Heat's answer was
    lost (the stuck-work periodic after an outage)."""

    def test_an_update_heat_is_doing_is_not_sent_again(self):
        client = _client('UPDATE_IN_PROGRESS')
        driver.HeatDriver._update(heat_stacks.Stacks(client), 'ml-c1',
                                  None, {}, None, None, {})
        client.stacks.update.assert_not_called()


class TestMisconfiguredHeat(testtools.TestCase):
    """A [heat] that gives no way to reach Heat fails the operation at
    once: it is not an outage to wait out."""

    def test_noauth_without_endpoint(self):
        self.addCleanup(CONF.clear_override, 'auth_mode', 'heat')
        self.addCleanup(CONF.clear_override, 'endpoint', 'heat')
        CONF.set_override('auth_mode', 'noauth', 'heat')
        CONF.set_override('endpoint', None, 'heat')
        err = self.assertRaises(heat.HeatMisconfigured, heat.make_client)
        self.assertNotIsInstance(err, exception.ServiceUnavailable)
        self.assertIn('[heat] endpoint is required', str(err))
