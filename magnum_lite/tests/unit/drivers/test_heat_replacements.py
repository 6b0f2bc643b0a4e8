"""Replacing one node (auto-healing): which member's handle is marked."""

import testtools

from magnum_lite.common import exception
from magnum_lite.drivers.heat import replacements
from magnum_lite.drivers.heat import templates
from magnum_lite.tests.unit.drivers import test_heat_repairs as repairs_test

_resource = repairs_test._resource
WORKER_1 = repairs_test.MEMBER       # member 1 of kube_minions
MASTER_0 = repairs_test.MASTER       # member 0 of masters
WORKER_0 = ('ml-c1-kube_minions-abc-0-def/'
            '55555555-5555-4555-8555-555555555555')
LISTED = [_resource('wait_handle', 'CREATE_COMPLETE', stack)
          for stack in (MASTER_0, WORKER_0, WORKER_1)]


def _mark(node, role, listed=LISTED, entry=templates.CLUSTER):
    heat = repairs_test._heat(listed)
    found = replacements.mark(heat, repairs_test._stack('UPDATE_COMPLETE'),
                              entry, 'c1', {'node': node, 'role': role})
    return found, heat.resources.marked


class TestMark(testtools.TestCase):

    def test_the_named_worker_only(self):
        found, marked = _mark('k8s-default-worker-1', 'worker')
        self.assertEqual(('kube_minions', '1'), found)
        self.assertEqual([WORKER_1], [m[0] for m in marked])
        self.assertEqual('wait_handle', marked[0][1])
        self.assertTrue(marked[0][2])

    def test_a_master(self):
        found, marked = _mark('k8s-default-master-0', 'master')
        self.assertEqual(('masters', '0'), found)
        self.assertEqual([MASTER_0], [m[0] for m in marked])

    def test_a_node_with_no_member(self):
        for node, role in (('k8s-default-worker-7', 'worker'),
                           ('k8s-default-worker-x', 'worker'),
                           ('k8s-default-worker-1', 'nobody')):
            self.assertRaises(exception.NodeNotFound, _mark, node, role)

    def test_member_index(self):
        self.assertEqual('12', replacements.member_index('c-a-b-12'))
        self.assertIsNone(replacements.member_index('c-a-b'))
