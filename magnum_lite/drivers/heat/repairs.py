"""Boot repairs: a retried update rebuilds the nodes that failed to boot.

A member of a node group (master.yaml, worker.yaml) is a nested stack:
``port``, ``wait_handle``, ``cloud_config`` (its user data carries the
handle's signal URL), ``server`` and ``booted``, a WaitCondition on the
handle counting the node generation (generations.py). When a node fails
to boot (it signals FAILURE, or never signals before the timeout),
``booted`` goes ``*_FAILED``, then its member, the ResourceGroup and the
stack. Retrying the operation sends the same parameters and keeps the
generation, and Heat, left alone, cannot repair that node.

What the real Heat engine does (Heat 27, convergence), measured on it
with heat-templates/simulation plus boot_failures.yaml (a wait condition
that fails for one handle and count: the stand-in for a node's FAILURE
signal, which a real handle keeps until its wait condition is deleted;
that part is read in Heat's source, wait_condition.py, not measured, as
a real handle needs Keystone); see tests/integration/test_heat_repairs.py:

- An update replaces a resource that is ``*_FAILED``, but the
  ResourceGroup and a member (nested stacks) are updated in place: Heat
  descends into them. Retrying with the same parameters, the failed
  member keeps its stack, port, handle and server; only its failed
  ``booted`` is made anew, on the same handle, so it fails again at
  once (a node that never signalled times out again): UPDATE_FAILED.
- ``mark_unhealthy`` (PATCH stacks/<member name>/<id>/resources/<name>)
  works on a member stack directly while the entry stack is
  UPDATE_FAILED; it sets the resource ``CHECK_FAILED`` (the stacks keep
  their status) and the next update replaces it, a nested stack resource
  as a whole (a new nested stack).
- Marking ``server`` rebuilds the server only; ``booted`` waits on the
  old handle again and fails again.
- Marking the member (``<index>`` in the group's nested stack) rebuilds it
  all, a new port (address) included; the retry completes.
- Marking ``wait_handle`` gives a new handle and signal URL, so
  ``cloud_config`` changes, so the server's user data, and
  ``user_data_update_policy: REPLACE`` rebuilds the server; ``booted`` is
  made anew after it (``depends_on``) and waits for ``generation``
  signals on the fresh handle, which the new node sends (ids 1..N,
  fragments/lib.sh ml_signal). The port (address) and a data volume stay,
  as in an upgrade; the retry completes.

So before an update of a stack that is ``*_FAILED``, ``mark_failed_boots``
lists the stack's failed resources down to the members' (one call, two
levels of nesting) and marks the handle of every failed boot wait
condition unhealthy (one call per failed member). A stack that is not
failed costs no call. Healthy members, and members that failed for
another reason (a failed server: Heat replaces it if Nova shows it
missing or in ERROR), are left as they are.
"""

import logging

from magnum_lite.drivers.heat import client as heat_client
from magnum_lite.drivers.heat import generations
from magnum_lite.drivers.heat import hooks
from magnum_lite.drivers.heat import stacks as heat_stacks
from magnum_lite.drivers.heat import templates

LOG = logging.getLogger(__name__)

WAIT_CONDITION = 'OS::Heat::WaitCondition'
# entry stack -> a group's nested stack -> a member stack.
MEMBER_DEPTH = 2
REASON = ('magnum-lite: the node failed to boot; rebuilt by the retried '
          'operation')


def boot_waits(entry):
    """``{wait condition: its handle}`` of the member templates of the
    groups of the entry template ``entry``."""
    template, files = templates.load(entry)
    found = {}
    for group in generations.GROUPS[entry]:
        definition = template['resources'][group]['properties'][
            'resource_def']
        member = templates.load_member(definition['type'], files)
        for name, resource in member['resources'].items():
            if resource.get('type') == WAIT_CONDITION:
                found[name] = resource['properties']['handle'][
                    'get_resource']
    return found


def failed_boots(heat, stack, entry):
    """``[(member stack identity, handle name)]``: the members of
    ``stack`` (a heatclient stack of the entry template ``entry``) whose
    boot wait condition failed."""
    waits = boot_waits(entry)
    top = getattr(stack, 'id', None)
    found = []
    for resource in heat.resources.list(
            heat_stacks.identity(stack), nested_depth=MEMBER_DEPTH,
            filters={'status': 'FAILED'}):
        if resource.resource_name not in waits or \
                not resource.resource_status.endswith('_FAILED'):
            continue
        identity = hooks.stack_identity(resource)
        if identity is None or identity.split('/', 1)[1] == top:
            continue
        pair = (identity, waits[resource.resource_name])
        if pair not in found:
            found.append(pair)
    return found


def mark_failed_boots(heat, stack, entry):
    """Before an update of ``stack``: if it failed, mark the handle of
    every member whose node failed to boot unhealthy, so the update
    rebuilds that node and waits for it again. Returns the member stack
    identities marked."""
    status = getattr(stack, 'stack_status', None) or ''
    if not status.endswith('_FAILED'):
        return []
    try:
        found = failed_boots(heat, stack, entry)
        for identity, handle in found:
            LOG.info('Stack %s: the node of member %s failed to boot; '
                     'marking its %s unhealthy so the update rebuilds it',
                     stack.stack_name, identity, handle)
            heat.resources.mark_unhealthy(identity, handle, True, REASON)
    except heat_client.ERRORS as err:
        raise heat_client.translate(err) from err
    return [identity for identity, _ in found]
