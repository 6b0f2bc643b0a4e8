"""Draining a node before Heat replaces its server.

When an operation that drains (``drains`` in its row of
cluster/operations.py: upgrade, credential and CA rotation) raises a
group's generation (generations.py), Heat replaces every server of that
group, batch by batch. Heat detaches the old server's ports before it
builds the new one (``prepare_for_replace``), so the old node is cut off
the moment its replacement starts: its pods must be evicted before that.

So such an update carries ``pre-update`` hooks on the ``server`` resource of
every member of the raised groups (``environment``). Heat pauses before it
touches a server and the conductor's status sync (``HeatDriver.tend``,
then :func:`tend` here) decides:

- the member is in the current batch (its ``generation`` parameter is the
  group's new one) and its server predates the operation: it is about to
  be replaced, so drain the node through the Kubernetes API
  (clients/kubernetes.py), delete its Node object (the new server keeps
  the name; its kubelet must not adopt the cordoned Node), then clear the
  hook;
- otherwise (a member whose batch is still to come, or a server already
  replaced in this operation: ResourceGroup rolling updates pass over
  every member each batch): clear at once.

A drain is one non-blocking pass per status sync and gives up at the deadline
(the pause's time plus ``[kubernetes] drain_timeout``; an API that cannot
be reached at all, ``unreachable_timeout``), so a stuck drain delays an
upgrade, never stops it; state lives in Heat (the pause event),
so another conductor can take over. Each phase of a CA rotation is
drained too: the conductor trusts every CA of the rotation.
"""

import logging

from magnum_lite.clients import kubernetes
from magnum_lite.cluster import kubernetes_access
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import client as heat_client
from magnum_lite.drivers.heat import generations
from magnum_lite.drivers.heat import hooks
from magnum_lite.drivers.heat import stacks as heat_stacks

LOG = logging.getLogger(__name__)

SERVER = 'server'


def enabled(operation):
    """Whether the operation named ``operation`` drains the nodes it
    replaces (its row in cluster/operations.py says ``drains``)."""
    row = operations.get(operation)
    return (row is not None and row.drains and
            CONF.kubernetes.drain_timeout > 0)


def environment(groups, members=()):
    """Environment fragment pausing Heat before it updates the server of
    every member of ``groups`` (ResourceGroup names), and of ``members``
    (``(group, member index)`` pairs)."""
    paths = [(group, '*', SERVER) for group in groups] + \
        [(group, index, SERVER) for group, index in members]
    return hooks.hooks_environment(paths, hooks.PRE_UPDATE)


def behind(heat, stack, entry, params):
    """``[(group, member index)]``: before an update of ``stack`` (a
    heatclient stack of the entry template ``entry``) that failed, the
    members whose ``generation`` is below their group's in ``params``.

    A failed rolling update leaves its later batches undone; its retry
    sends the same inputs, so no generation rises (generations.py), yet
    Heat goes on replacing those members' servers: they are drained like
    the first try's. Members already on the new generation are left
    alone (their new nodes keep their pods). A stack that is not failed
    costs no call; a failed one, one list and one call per member.
    """
    status = getattr(stack, 'stack_status', None) or ''
    if not status.endswith('_FAILED'):
        return []
    groups = generations.GROUPS[entry]
    found = []
    try:
        for member in heat.resources.list(
                heat_stacks.identity(stack), nested_depth=1):
            group = getattr(member, 'parent_resource', None)
            if group not in groups or not member.physical_resource_id:
                continue
            current = heat.stacks.get(
                member.physical_resource_id).parameters.get(
                generations.MEMBER_GENERATION)
            if int(current or 1) < int(params[groups[group]]):
                found.append((group, member.resource_name))
    except heat_client.ERRORS as err:
        raise heat_client.translate(err) from err
    return sorted(found)


def tend(heat, rows, stack_id, entry):
    """One pass over the paused hooks of a stack (``entry`` template) of
    a cluster (``rows``: its ``base.ClusterRows``): drain what is about
    to be replaced, clear what may go on. Never raises: trouble is logged
    and the next poll tries again."""
    cluster = rows.cluster
    try:
        paused = [h for h in hooks.pending(heat, stack_id, (SERVER,))
                  if h.hook == hooks.PRE_UPDATE]
        if not paused:
            return
        targets = heat.stacks.get(stack_id).parameters
        for hook in paused:
            _tend_one(heat, rows, hook, entry, targets)
    except Exception:
        LOG.exception('Tending the paused servers of stack %s of cluster '
                      '%s failed; the next poll tries again', stack_id,
                      cluster.uuid)


def _tend_one(heat, rows, hook, entry, targets):
    member = heat.stacks.get(hook.stack_identity).parameters
    if _replacing(heat, rows.cluster, hook, entry, targets, member):
        if not _drained(rows, hook, member.get('name')):
            return
    hooks.clear(heat, hook)


def _group(entry, stack_identity):
    """The ResourceGroup a member stack belongs to, from its name
    (``<parent>-<group>-<id>-<index>-<id>``)."""
    parts = stack_identity.split('/', 1)[0].split('-')
    return next((g for g in generations.GROUPS[entry] if g in parts), None)


def _replacing(heat, cluster, hook, entry, targets, member):
    group = _group(entry, hook.stack_identity)
    if group is None:
        return False
    target = targets.get(generations.GROUPS[entry][group])
    if str(member.get(generations.MEMBER_GENERATION)) != str(target):
        return False  # its batch is still to come
    server = heat.resources.get(hook.stack_identity, SERVER)
    return hooks.naive_utc(server.creation_time) < \
        cluster.operation_started_at


def _drained(rows, hook, name):
    """Whether the node of the paused server may go: drained, gone, or
    given up on (logged)."""
    cluster = rows.cluster
    deadline = kubernetes.drain_deadline(hook.paused_at)
    reach_deadline = kubernetes.reach_deadline(hook.paused_at)
    try:
        with kubernetes_access.connect(cluster, rows.certificates) as api:
            # A Node registered since the operation began is a
            # replacement's: Heat revisits replaced members in later
            # batches, and a fresh node must keep its pods.
            node = api.find_node(
                hook.physical_resource_id, name,
                registered_before=cluster.operation_started_at)
            if node is None:
                LOG.info('No Kubernetes node from before this operation for '
                         'server %s (%s) of cluster %s; nothing to drain',
                         hook.physical_resource_id, name, cluster.uuid)
                return True
            result = api.drain(node, deadline)
            if result.done:
                # The replacement keeps the server's name: its kubelet
                # must register a new Node, not adopt this cordoned one.
                api.delete_node(node)
    except exception.KubernetesUnavailable as err:
        if not kubernetes.passed(reach_deadline):
            LOG.info('Cannot drain %s of cluster %s yet: %s', name,
                     cluster.uuid, err)
            return False
        LOG.warning('Replacing %s of cluster %s undrained: %s', name,
                    cluster.uuid, err)
        return True
    _log(cluster, node, result)
    return result.done


def _log(cluster, node, result):
    if result.gave_up:
        LOG.warning('Gave up draining node %s of cluster %s (%s); pods '
                    'left: %s', node, cluster.uuid, result.reason,
                    ', '.join(result.pods_left) or 'none')
    elif result.done:
        LOG.info('Drained node %s of cluster %s (%d pods evicted)', node,
                 cluster.uuid, result.evicted)
