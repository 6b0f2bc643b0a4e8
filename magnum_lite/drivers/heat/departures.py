"""Masters that leave: their etcd member goes before their server.

Every master runs a stacked etcd member named after its node. When a
resize shrinks the master nodegroup, the ResourceGroup ``masters`` deletes
the members named in ``nodes_to_remove``, else the newest (highest
indexes). If the servers simply went, their etcd members would stay
registered: 5 -> 3 would leave 3 live members of 5 (one more failure
loses quorum) and 3 -> 1 would lose it at once.

So such an update carries ``pre-delete`` hooks on the ``server`` of every
master member (:func:`environment`). Heat pauses the server of each member
it removes (a scale-down pauses; a replacement does not, see hooks.py)
and meanwhile deletes the member's other resources: its Octavia pool
member goes first, so the API load balancer stops sending to it. The
conductor's status sync (``HeatDriver.tend``, then :func:`tend` here)
then works on one leaving master at a time:

1. it annotates the master's Node ``ANNOTATION: leaving`` through the
   cluster's Kubernetes API;
2. on every *other* master, a timer of the node bootstrap
   (fragments/etcd-departures.sh) sees the annotation, removes the etcd
   member of that name through its own etcd (``etcdctl member remove``:
   etcd itself refuses a removal that would leave fewer started members
   than a quorum) and annotates ``removed``;
3. the conductor deletes the Node object (a NotReady node left behind
   would make the cluster unhealthy) and clears the hook: Heat deletes
   the server.

Why a remaining master and not the conductor: etcd's client port is open
between masters only and wants a client certificate of the etcd CA, and
reaching into a pod (``exec``) needs a streaming protocol; the Node object
is plain REST that the conductor already uses for drains. Why not the
leaving master itself: a master that left because it is broken cannot.

A master whose Node cannot be found (it never registered) has nothing to
remove. The conductor never clears a hook of a member it could not remove
(a cluster API out of reach, etcd refusing): the stack's timeout then
fails the resize, which can be retried or the cluster deleted, rather than
a step that could lose quorum. A cluster delete does not care for etcd:
its paused servers are let go at once.
"""

import logging

from magnum_lite.cluster import kubernetes_access
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.drivers.heat import hooks

LOG = logging.getLogger(__name__)

SERVER = 'server'
GROUP = 'masters'
ANNOTATION = 'magnum-lite.openstack.org/etcd-member'
LEAVING = 'leaving'
REMOVED = 'removed'


def resizing_masters(rows, args):
    """Whether the operation under way (``args`` its arguments) resizes
    the master nodegroup of the cluster of ``rows`` (up or down: which
    members go is Heat's to say, named or newest)."""
    master = nodegroup_facts.default_nodegroup(rows.nodegroups,
                                               nodegroup_facts.MASTER)
    return master is not None and removes_masters(
        rows.cluster.operation, args, master.uuid)


def removes_masters(operation, args, master_uuid):
    """Whether ``operation`` (a name) with ``args`` resizes the master
    nodegroup ``master_uuid``: the only operation that removes masters
    (replacements keep the count; see control-plane.sh for how a
    replacement takes over its predecessor's member)."""
    args = args or {}
    return operation == operations.CLUSTER_RESIZE.name and \
        args.get('nodegroup') == master_uuid


def environment():
    """Environment fragment pausing Heat before it deletes the server of
    any master member."""
    return hooks.hooks_environment([(GROUP, '*', SERVER)], hooks.PRE_DELETE)


def tend(heat, rows, stack_id):
    """One pass over the paused pre-delete hooks of the cluster stack
    ``stack_id`` (a cluster's ``base.ClusterRows``): the oldest leaving
    master's etcd member is asked for, confirmed, its hook cleared.
    Never raises: trouble is logged and the next poll tries again."""
    cluster = rows.cluster
    try:
        paused = [h for h in hooks.pending(heat, stack_id, (SERVER,))
                  if h.hook == hooks.PRE_DELETE]
        if not paused:
            return
        if cluster.status == states.DELETING:
            for hook in paused:
                hooks.clear(heat, hook)
            return
        # One master at a time: the next is asked for only when the one
        # before has left etcd and its hook is cleared.
        hook = paused[0]
        name = heat.stacks.get(hook.stack_identity).parameters.get('name')
        if _departed(rows, hook, name):
            hooks.clear(heat, hook)
    except Exception:
        LOG.exception('Tending the leaving masters of stack %s of cluster '
                      '%s failed; the next poll tries again', stack_id,
                      cluster.uuid)


def _departed(rows, hook, name):
    """Whether the master of the paused server has left etcd (or has no
    Node, so no member to remove); asks for its removal if not yet."""
    cluster = rows.cluster
    try:
        with kubernetes_access.connect(cluster, rows.certificates) as api:
            node = api.find_node(hook.physical_resource_id, name)
            if node is None:
                LOG.info('Master %s (server %s) of cluster %s has no '
                         'Kubernetes node; no etcd member to remove', name,
                         hook.physical_resource_id, cluster.uuid)
                return True
            state = _annotation(api.node(node))
            if state == REMOVED:
                api.delete_node(node)
                LOG.info('Master %s of cluster %s left etcd; deleting its '
                         'server', node, cluster.uuid)
                return True
            if state != LEAVING:
                api.annotate_node(node, {ANNOTATION: LEAVING})
                LOG.info('Asked the masters of cluster %s to remove the '
                         'etcd member of %s', cluster.uuid, node)
    except exception.KubernetesUnavailable as err:
        LOG.warning('Cannot remove the etcd member of master %s of cluster '
                    '%s yet: %s', name, cluster.uuid, err)
    return False


def _annotation(node):
    metadata = (node or {}).get('metadata') or {}
    return (metadata.get('annotations') or {}).get(ANNOTATION)
