"""Boot repairs: which handles a retried update marks unhealthy."""

import types

import testtools
from heatclient import exc as heat_exc

from magnum_lite.drivers.heat import client as heat_client
from magnum_lite.drivers.heat import repairs
from magnum_lite.drivers.heat import templates

TOP = 'ml-c1/11111111-1111-4111-8111-111111111111'
MEMBER = 'ml-c1-workers-abc-1-def/22222222-2222-4222-8222-222222222222'
MASTER = 'ml-c1-masters-abc-0-def/33333333-3333-4333-8333-333333333333'
GROUP = 'ml-c1-workers-abc/44444444-4444-4444-8444-444444444444'


def _resource(name, status, stack):
    href = f'http://heat.example.com/v1/admin/stacks/{stack}'
    return types.SimpleNamespace(
        resource_name=name, resource_status=status,
        resource_status_reason='boom',
        links=[{'rel': 'self', 'href': href + f'/resources/{name}'},
               {'rel': 'stack', 'href': href}])


class _Resources:

    def __init__(self, listed, fail_mark=None):
        self.listed = listed
        self.fail_mark = fail_mark
        self.lists = []
        self.marked = []

    def list(self, stack_id, **kwargs):
        self.lists.append((stack_id, kwargs))
        return list(self.listed)

    def mark_unhealthy(self, stack_id, resource_name, mark_unhealthy,
                       resource_status_reason):
        if self.fail_mark is not None:
            raise self.fail_mark
        self.marked.append((stack_id, resource_name, mark_unhealthy,
                            resource_status_reason))


def _heat(listed, **kwargs):
    return types.SimpleNamespace(resources=_Resources(listed, **kwargs))


def _stack(status, ident=TOP):
    name, stack_id = ident.split('/')
    return types.SimpleNamespace(stack_name=name, id=stack_id,
                                 stack_status=status)


FAILED_UPGRADE = [
    _resource('workers', 'UPDATE_FAILED', TOP),
    _resource('1', 'UPDATE_FAILED', GROUP),
    _resource('booted', 'UPDATE_FAILED', MEMBER),
]


class BootWaitsTest(testtools.TestCase):

    def test_member_templates_wait_on_their_handle(self):
        for entry in (templates.CLUSTER, templates.NODEGROUP):
            self.assertEqual({'booted': 'wait_handle'},
                             repairs.boot_waits(entry))


class MarkFailedBootsTest(testtools.TestCase):

    def test_failed_boot_marks_its_members_handle(self):
        heat = _heat(FAILED_UPGRADE)
        marked = repairs.mark_failed_boots(heat, _stack('UPDATE_FAILED'),
                                           templates.CLUSTER)
        self.assertEqual([MEMBER], marked)
        self.assertEqual([(MEMBER, 'wait_handle', True, repairs.REASON)],
                         heat.resources.marked)
        # One listing, down to the members' resources, failed ones only.
        self.assertEqual([(TOP, {'nested_depth': 2,
                                 'filters': {'status': 'FAILED'}})],
                         heat.resources.lists)

    def test_every_failed_member_once(self):
        heat = _heat(FAILED_UPGRADE + [
            _resource('booted', 'CREATE_FAILED', MASTER),
            _resource('booted', 'UPDATE_FAILED', MEMBER)])
        marked = repairs.mark_failed_boots(heat, _stack('UPDATE_FAILED'),
                                           templates.CLUSTER)
        self.assertEqual([MEMBER, MASTER], marked)
        self.assertEqual([MEMBER, MASTER],
                         [m[0] for m in heat.resources.marked])

    def test_nodegroup_stack(self):
        heat = _heat(FAILED_UPGRADE)
        marked = repairs.mark_failed_boots(heat, _stack('UPDATE_FAILED'),
                                           templates.NODEGROUP)
        self.assertEqual([MEMBER], marked)

    def test_stack_not_failed_costs_no_call(self):
        for status in ('UPDATE_COMPLETE', 'CREATE_COMPLETE',
                       'UPDATE_IN_PROGRESS'):
            heat = _heat(FAILED_UPGRADE)
            self.assertEqual([], repairs.mark_failed_boots(
                heat, _stack(status), templates.CLUSTER))
            self.assertEqual([], heat.resources.lists)
            self.assertEqual([], heat.resources.marked)

    def test_no_stack(self):
        heat = _heat(FAILED_UPGRADE)
        self.assertEqual([], repairs.mark_failed_boots(
            heat, None, templates.CLUSTER))
        self.assertEqual([], heat.resources.lists)

    def test_other_failures_are_left_to_heat(self):
        # A failed server (Heat replaces it itself), a failed port: no
        # boot wait failed, nothing to mark.
        heat = _heat([_resource('workers', 'UPDATE_FAILED', TOP),
                      _resource('1', 'UPDATE_FAILED', GROUP),
                      _resource('server', 'CREATE_FAILED', MEMBER),
                      _resource('port', 'UPDATE_FAILED', MEMBER)])
        self.assertEqual([], repairs.mark_failed_boots(
            heat, _stack('UPDATE_FAILED'), templates.CLUSTER))
        self.assertEqual([], heat.resources.marked)

    def test_only_failed_waits_of_member_stacks(self):
        heat = _heat([_resource('booted', 'UPDATE_COMPLETE', MEMBER),
                      _resource('booted', 'UPDATE_FAILED', TOP)])
        self.assertEqual([], repairs.mark_failed_boots(
            heat, _stack('UPDATE_FAILED'), templates.CLUSTER))
        self.assertEqual([], heat.resources.marked)

    def test_heat_errors_are_translated(self):
        heat = _heat(FAILED_UPGRADE,
                     fail_mark=heat_exc.HTTPConflict('in progress'))
        self.assertRaises(heat_client.HeatRefused,
                          repairs.mark_failed_boots, heat,
                          _stack('UPDATE_FAILED'), templates.CLUSTER)
