"""The operations table (cluster/operations.py) walked against the code
that serves it: the RPC client and endpoint, the conductor's handlers,
the driver's steps and the state machine."""

import ast
import inspect
import pathlib
import types
from unittest import mock

import fixtures
import testtools

import magnum_lite
from magnum_lite.cluster import ca_rotation
from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.conductor import manager
from magnum_lite.conductor import provisioning
from magnum_lite.conductor import rpcapi
from magnum_lite.conf import CONF
from magnum_lite.drivers import base
from magnum_lite.drivers.heat import drains
from magnum_lite.drivers.heat import driver as heat_driver

# The driver method of each state event the conductor hands over.
_DRIVER_METHODS = {states.CREATE: 'create_cluster',
                   states.UPDATE: 'update_cluster',
                   states.DELETE: 'delete_cluster'}
# What the API answered before the table existed (its hand-written state
# sets), kept here to hold the rows to it: {operation: {state: code}}.
_BUILT = states.STABLE | {states.UPDATE_FAILED}
_ANSWERED = {
    operations.CLUSTER_UPGRADE: lambda s: (
        None if s in _BUILT else 409 if s in states.IN_PROGRESS else 400),
    operations.CA_ROTATE: lambda s: None if s in _BUILT else 400,
    operations.CREDENTIALS_ROTATE: lambda s: (
        None if s in _BUILT else 409 if s == states.UPDATING else 400),
    operations.CLUSTER_DELETE: lambda s: None,
}


def _defined_in(cls, name):
    """The function ``name`` written in the body of ``cls`` (not made
    with setattr, not inherited), or None."""
    function = cls.__dict__.get(name)
    if function is None or \
            function.__qualname__ != f'{cls.__name__}.{name}':
        return None
    return function


def _public_methods(cls):
    return {n for n, v in vars(cls).items()
            if inspect.isfunction(v) and not n.startswith('_')}


class OperationsTableTest(testtools.TestCase):

    def test_names_are_unique_and_found(self):
        names = [op.name for op in operations.ALL]
        self.assertEqual(len(names), len(set(names)))
        for op in operations.ALL:
            self.assertIs(op, operations.get(op.name))
        self.assertIsNone(operations.get('no_such_operation'))

    def test_rows_are_frozen(self):
        self.assertRaises(AttributeError, setattr,
                          operations.CLUSTER_RESIZE, 'drains', True)

    def test_every_row_has_a_client_method_that_casts_its_name(self):
        for op in operations.ALL:
            method = _defined_in(rpcapi.ConductorAPI, op.name)
            self.assertIsNotNone(method, op.name)
            api = rpcapi.ConductorAPI.__new__(rpcapi.ConductorAPI)
            api._client = mock.Mock()
            api.start('ctx', op, 'c-uuid')
            api._client.prepare.return_value.cast.assert_called_once_with(
                'ctx', op.name, cluster_uuid='c-uuid')

    def test_every_row_has_an_endpoint_that_drives_it(self):
        drive = self.useFixture(fixtures.MockPatchObject(
            provisioning, 'drive')).mock
        for op in operations.ALL:
            method = _defined_in(manager.ConductorManager, op.name)
            self.assertIsNotNone(method, op.name)
            drive.reset_mock()
            method(manager.ConductorManager(), 'ctx', cluster_uuid='c-uuid')
            drive.assert_called_once_with('ctx', 'c-uuid', op)

    def test_no_rpc_method_without_a_row(self):
        # stack_finished is no operation: a Heat notification routed to
        # the cluster's owner (conductor/stack_events.py).
        names = {op.name for op in operations.ALL} | {'stack_finished'}
        self.assertEqual(names | {'start'},
                         _public_methods(rpcapi.ConductorAPI))
        self.assertEqual(names, _public_methods(manager.ConductorManager))

    def test_every_row_has_a_conductor_handler_and_a_driver_step(self):
        self.useFixture(fixtures.MockPatchObject(
            provisioning.certificates, 'ensure_certificates'))
        self.useFixture(fixtures.MockPatchObject(
            provisioning.certificates, 'prepare_rotation_phase'))
        rows = object()
        self.useFixture(fixtures.MockPatchObject(
            provisioning.cluster_rows, 'load_one', lambda cluster: rows))
        cluster = types.SimpleNamespace(uuid='c-uuid', operation_args={})
        for op in operations.ALL:
            handler = provisioning.HANDLERS[op.event]
            driver = mock.Mock(spec=base.Driver)
            handler('ctx', driver, cluster, op)
            method = _DRIVER_METHODS[op.event]
            self.assertEqual([method], [c[0] for c in driver.mock_calls],
                             op.name)
            # The driver gets the rows the conductor loaded...
            self.assertIs(rows, driver.mock_calls[0][1][1], op.name)
            if op.event == states.UPDATE:
                # ... and an update the operation's row.
                self.assertIs(op, driver.update_cluster.call_args[0][2])
            self.assertIsNotNone(_defined_in(heat_driver.HeatDriver,
                                             method), op.name)
            self.assertIn(op.nodegroup_event,
                          heat_driver.HeatDriver.NODEGROUP_STEPS, op.name)

    def test_allowed_states_agree_with_the_state_machine(self):
        for op in operations.ALL:
            sources = set(states.sources(op.event))
            self.assertLessEqual(op.excluded, sources, op.name)
            self.assertEqual(sources - op.excluded, op.allowed, op.name)
            for state in op.allowed:
                self.assertIn(states.target(state, op.event),
                              states.IN_PROGRESS, op.name)
            self.assertFalse(op.conflicts & op.allowed, op.name)
            self.assertIn(op.refusal, (400, 409, None), op.name)
        self.assertEqual(frozenset(), operations.CLUSTER_CREATE.allowed)
        self.assertEqual(states.CREATING, states.target(
            None, operations.CLUSTER_CREATE.event))

    def test_refusals_are_what_the_api_answered(self):
        for op in operations.ALL:
            answered = _ANSWERED.get(op, lambda s, op=op: (
                None if s in states.sources(op.event) else 409))
            for state in states.ALL:
                self.assertEqual(answered(state), op.refusal_for(state),
                                 (op.name, state))

    def test_drains_read_the_row(self):
        self.useFixture(fixtures.MockPatchObject(
            CONF.kubernetes, 'drain_timeout', 600))
        for op in operations.ALL:
            self.assertEqual(op.drains, drains.enabled(op.name), op.name)
        self.assertFalse(drains.enabled('no_such_operation'))

    def test_ca_rotation_phases_are_the_rows(self):
        self.assertEqual(operations.CA_ROTATE.phases, ca_rotation.PHASES)
        self.assertEqual([op for op in operations.ALL if op.phases],
                         [operations.CA_ROTATE])


class NoOperationLiteralsTest(testtools.TestCase):
    """An operation's name is written once, in its row."""

    def test_no_operation_name_as_a_literal_elsewhere(self):
        names = {op.name for op in operations.ALL}
        top = pathlib.Path(magnum_lite.__file__).parent
        found = []
        for path in sorted(top.rglob('*.py')):
            relative = path.relative_to(top)
            if relative.parts[0] == 'tests' or \
                    relative == pathlib.Path('cluster/operations.py'):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in names:
                    found.append(f'{relative}:{node.lineno} {node.value}')
        self.assertEqual([], found)
