"""Heat pre-delete hooks on ResourceGroup members, against the real engine.

One Heat (tools/heat/heatctl.py through HeatHarness) for the class. The
stack is templates/hooks_group.yaml: ResourceGroup ``workers`` (rolling
updates one member at a time) of hooks_member.yaml, whose ``server`` is an
OS::Heat::TestResource replaced whenever ``generation`` changes. Every
stack is created and updated with drivers/heat/hooks.py's environment for
``('workers', '*', 'server')``, and deleted through its hooks.
"""

import datetime
import os
import time

from heatclient import exc as heat_exc
from testtools import content

from magnum_lite.drivers.heat import hooks
from magnum_lite.tests.harness import heat as heat_harness

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'templates')
GROUP = os.path.join(TEMPLATES, 'hooks_group.yaml')
SERVER_PATH = ('workers', '*', 'server')
TIMEOUT = 90
# Heat's event times have whole seconds.
CLOCK_SLACK = datetime.timedelta(seconds=2)


def _utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class TestHeatHooks(heat_harness.OneHeatTestCase):

    # -- helpers -------------------------------------------------------

    def _args(self, pre_update=False, paths=(SERVER_PATH,), **parameters):
        tpl, files, env = self.heat.stack_args(GROUP, simulation=False)
        env = hooks.merge_environment(
            env, hooks.hooks_environment(paths, hooks.PRE_DELETE))
        if pre_update:
            env = hooks.merge_environment(
                env, hooks.hooks_environment([SERVER_PATH], 'pre-update'))
        return {'template': tpl, 'files': files, 'environment': env,
                'parameters': parameters}

    def _create(self, name, pre_update=False, **parameters):
        body = self.client.stacks.create(
            stack_name=name, **self._args(pre_update, **parameters))
        ident = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self._delete_through_hooks, ident)
        self._wait_status(ident, 'CREATE_COMPLETE')
        return ident

    def _update(self, ident, pre_update=False, **parameters):
        self.client.stacks.update(ident,
                                  **self._args(pre_update, **parameters))

    def _wait(self, predicate, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail('timed out after %ss waiting for %s' % (timeout,
                                                                  what))
            time.sleep(0.3)

    def _wait_status(self, ident, status):
        stack = self.heat.wait_for_stack(self.client, ident, timeout=TIMEOUT,
                                         interval=0.3)
        got = stack.stack_status if stack else 'DELETE_COMPLETE'
        self.assertEqual(status, got, stack and stack.stack_status_reason)

    def _paused(self, ident, count):
        """Poll ``pending`` until ``count`` hooks are paused."""
        def found():
            paused = hooks.pending(self.client, ident)
            return paused if len(paused) >= count else None
        return self._wait(found, '%d paused hook(s)' % count)

    def _server_ids(self, ident):
        stack = self.client.stacks.get(ident)
        return {o['output_key']: o['output_value']
                for o in stack.outputs}['server_ids']

    def _member_stack_id(self, ident, index):
        group = self.client.resources.get(ident, 'workers')
        return self.client.resources.get(group.physical_resource_id,
                                         str(index)).physical_resource_id

    def _server_events(self, ident):
        return self.client.events.list(
            ident, nested_depth=hooks.MAX_NESTED_DEPTH, sort_dir='asc',
            filters={'resource_name': 'server'})

    def _delete_through_hooks(self, ident, delete=True):
        """Delete the stack, clearing pre-delete hooks as they pause it;
        returns the hooks this call cleared."""
        cleared = []
        if delete:
            try:
                self.client.stacks.delete(ident)
            except heat_exc.HTTPNotFound:
                return cleared
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                stack = self.client.stacks.get(ident)
            except heat_exc.HTTPNotFound:
                return cleared
            if stack.stack_status != 'DELETE_IN_PROGRESS':
                self.assertEqual('DELETE_COMPLETE', stack.stack_status,
                                 stack.stack_status_reason)
                return cleared
            for paused in hooks.pending(self.client, ident):
                if hooks.clear(self.client, paused):
                    cleared.append(paused)
            time.sleep(0.3)
        self.fail('%s not deleted after %ss' % (ident, TIMEOUT))

    # -- tests ---------------------------------------------------------

    def test_environment_format(self):
        env = hooks.merge_environment(
            {'resource_registry': {'OS::Nova::Server': 'server.yaml',
                                   'resources': {'workers': {'*': {
                                       'server': {'hooks': 'pre-update'}}}}}},
            hooks.hooks_environment(
                [SERVER_PATH, ('masters', '*', 'server')], hooks.PRE_DELETE))
        self.assertEqual(
            {'resource_registry': {
                'OS::Nova::Server': 'server.yaml',
                'resources': {
                    'workers': {'*': {'server': {
                        'hooks': ['pre-update', 'pre-delete']}}},
                    'masters': {'*': {'server': {
                        'hooks': ['pre-delete']}}}}}},
            env)
        self.assertRaises(ValueError, hooks.hooks_environment, [SERVER_PATH],
                          'pre-lunch')

    def test_scale_down_pauses_until_cleared(self):
        ident = self._create('hooks-scale', count=3)
        servers = self._server_ids(ident)
        self.assertEqual(3, len(set(servers)))
        member_2 = self._member_stack_id(ident, 2)

        started = _utcnow()
        self._update(ident, count=2)
        t0 = time.monotonic()
        (paused,) = self._paused(ident, 1)
        pause_seconds = time.monotonic() - t0

        # Exactly member 2's server, still there, the update held.
        self.assertEqual('server', paused.resource_name)
        self.assertEqual(hooks.PRE_DELETE, paused.hook)
        self.assertEqual(servers[2], paused.physical_resource_id)
        self.assertEqual(member_2, paused.stack_id)
        self.assertLessEqual(started - CLOCK_SLACK, paused.paused_at)
        self.assertLessEqual(paused.paused_at, _utcnow() + CLOCK_SLACK)
        self.assertEqual('UPDATE_IN_PROGRESS',
                         self.client.stacks.get(ident).stack_status)
        server = self.client.resources.get(paused.stack_identity, 'server')
        self.assertEqual('CREATE_COMPLETE', server.resource_status)
        self.assertEqual([paused], hooks.pending(self.client, ident))

        # Clearing lets it go; clearing again, now or after the end, is
        # a no-op (Heat: 400 hook not defined / resource deleting, then
        # 404 once the member stack is gone).
        self.assertTrue(hooks.clear(self.client, paused))
        self.assertFalse(hooks.clear(self.client, paused))
        self._wait_status(ident, 'UPDATE_COMPLETE')
        self.assertFalse(hooks.clear(self.client, paused))
        self.assertEqual([], hooks.pending(self.client, ident))
        self.assertEqual(servers[:2], self._server_ids(ident))
        self.addDetail('pause_seconds', content.text_content(
            '%.1f' % pause_seconds))

    def test_top_level_pattern_does_not_reach_members(self):
        # Heat hands a nested stack only the registry entries under the
        # pattern that matched its parent resource: a bare 'server' entry
        # never reaches the group's members.
        ident = self._create('hooks-flat', paths=[('server',)], count=2)
        self.client.stacks.update(
            ident, **self._args(paths=[('server',)], count=1))
        self._wait_status(ident, 'UPDATE_COMPLETE')
        self.assertEqual([], [e for e in self._server_events(ident)
                              if 'paused' in e.resource_status_reason])

    def test_replacement_does_not_pause_old_servers(self):
        # Heat 27 (convergence) deletes the old resource of a replacement
        # under the stack's UPDATE action, and pre-delete only fires when
        # the resource's own stack is being deleted.
        ident = self._create('hooks-replace', count=3)
        old = self._server_ids(ident)
        seen_before = len(self._server_events(ident))

        self._update(ident, count=3, generation='two')
        polls = []

        def finished():
            polls.append(hooks.pending(self.client, ident))
            status = self.client.stacks.get(ident).stack_status
            return status if not status.endswith('_IN_PROGRESS') else None
        self.assertEqual('UPDATE_COMPLETE',
                         self._wait(finished, 'the replacement'))
        self.assertEqual([], [p for p in polls if p])
        new = self._server_ids(ident)
        self.assertEqual(set(), set(old) & set(new))

        events = self._server_events(ident)[seen_before:]
        self.assertEqual([], [e for e in events
                              if 'paused' in e.resource_status_reason])
        # One member at a time, highest index first: each old server is
        # deleted before the next member's server starts its update.
        steps = [(old.index(e.physical_resource_id), e.resource_status)
                 for e in events if e.physical_resource_id in old]
        order = [i for i, status in steps if status == 'DELETE_COMPLETE']
        self.assertEqual([2, 1, 0], order)
        self.assertEqual(
            [(i, s) for i in order for s in ('UPDATE_IN_PROGRESS',
                                            'UPDATE_COMPLETE',
                                            'DELETE_IN_PROGRESS',
                                            'DELETE_COMPLETE')],
            steps)

    def test_stack_delete_pauses_every_server(self):
        ident = self._create('hooks-delete', count=3)
        servers = self._server_ids(ident)

        self.client.stacks.delete(ident)
        paused = self._paused(ident, 3)
        self.assertEqual(sorted(servers),
                         sorted(p.physical_resource_id for p in paused))
        self.assertEqual({hooks.PRE_DELETE}, {p.hook for p in paused})
        self.assertEqual('DELETE_IN_PROGRESS',
                         self.client.stacks.get(ident).stack_status)

        # The same loop the cleanup runs: clear what pauses until gone.
        cleared = self._delete_through_hooks(ident, delete=False)
        self.assertEqual(sorted(servers),
                         sorted(p.physical_resource_id for p in cleared))
        self.assertTrue(all(not hooks.clear(self.client, p)
                            for p in paused))

    def test_pre_update_pauses_every_member_in_every_batch(self):
        # The alternative trigger for a replacement: pre-update pauses the
        # old server before it is replaced, but convergence runs update()
        # (and its hook) on every member's server in every rolling batch,
        # changed or not, so it does not say which server will go.
        ident = self._create('hooks-preupdate', pre_update=True, count=3)
        old = self._server_ids(ident)

        self._update(ident, pre_update=True, count=3, generation='two')
        first = self._paused(ident, 3)
        self.assertEqual(sorted(old),
                         sorted(p.physical_resource_id for p in first))
        self.assertEqual({'pre-update'}, {p.hook for p in first})

        cleared = []

        def clear_one():
            stack = self.client.stacks.get(ident)
            if not stack.stack_status.endswith('_IN_PROGRESS'):
                return stack.stack_status
            paused = hooks.pending(self.client, ident)
            if paused and hooks.clear(self.client, paused[0]):
                cleared.append(paused[0])
            return None
        self.assertEqual('UPDATE_COMPLETE',
                         self._wait(clear_one, 'the update'))
        # 3 batches x 3 members.
        self.assertEqual(9, len(cleared))
        self.assertEqual(set(), set(old) & set(self._server_ids(ident)))
        self.addDetail('pre_update_order', content.text_content('\n'.join(
            '%s %s' % (p.paused_at, p.physical_resource_id)
            for p in cleared)))
