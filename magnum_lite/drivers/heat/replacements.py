"""Replacing one node of a stack: auto-healing's repair.

The conductor (conductor/healing.py) claims ``cluster_repair`` for one
unhealthy node, by its Kubernetes name, which is its server's name,
``<cluster>-<nodegroup>-<index>``: the index is the member's name in its
ResourceGroup. The update that follows sends the stack's parameters
unchanged, so no generation rises and Heat leaves every other member as
it is.

The replacement is the one the boot repairs use (repairs.py, measured on
the real Heat there): marking the member's ``wait_handle`` unhealthy
gives it a new handle, so new user data, so a new server
(``user_data_update_policy: REPLACE``) on the same port; ``booted`` is
made anew and waits for the new node's signals, so the update completes
only once the new node has booted and joined. The member's server is
paused before Heat touches it (drains.py) and the node drained first,
as in an upgrade. Masters take the same path: the master template's
bootstrap keeps etcd's membership.
"""

import logging

from magnum_lite.common import exception
from magnum_lite.drivers.heat import client as heat_client
from magnum_lite.drivers.heat import hooks
from magnum_lite.drivers.heat import stacks as heat_stacks
from magnum_lite.drivers.heat import templates

LOG = logging.getLogger(__name__)

HANDLE = 'wait_handle'
# The group of each role's members in each entry template.
ROLE_GROUPS = {templates.CLUSTER: {'master': 'masters',
                                   'worker': 'kube_minions'},
               templates.NODEGROUP: {'master': 'kube_minions',
                                     'worker': 'kube_minions'}}
REASON = 'magnum-lite auto-healing: node {node} unhealthy; replaced'


def member_index(node):
    """The member index of a node's server name, or None."""
    index = node.rsplit('-', 1)[-1]
    return index if index.isdigit() else None


def _member_of(identity, group, index):
    """Whether the stack ``identity`` (``name/id``) is member ``index``
    of ``group``: its name is ``<parent>-<group>-<id>-<index>-<id>``."""
    parts = identity.split('/', 1)[0].split('-')
    if group not in parts:
        return False
    at = parts.index(group) + 2
    return at < len(parts) and parts[at] == index


def find_member(heat, stack, group, index):
    """The identity (``name/id``) of member ``index`` of ``group`` of
    ``stack`` (a heatclient stack), or None: one call."""
    for resource in heat.resources.list(
            heat_stacks.identity(stack), nested_depth=2,
            filters={'name': HANDLE}):
        identity = hooks.stack_identity(resource)
        if resource.resource_name == HANDLE and identity and \
                _member_of(identity, group, index):
            return identity
    return None


def mark(heat, stack, entry, cluster_uuid, args):
    """Before the update of ``stack`` (entry template ``entry``) that
    repairs the node ``args['node']`` (of role ``args['role']``): mark
    its member's handle unhealthy so the update replaces the node.
    Returns ``(group, member index)``, for the drain's pause. Raises
    NodeNotFound if the stack has no such member."""
    node = args.get('node') or ''
    group = ROLE_GROUPS[entry].get(args.get('role'))
    index = member_index(node)
    if stack is None or group is None or index is None:
        raise exception.NodeNotFound(cluster=cluster_uuid, node=node)
    try:
        identity = find_member(heat, stack, group, index)
        if identity is None:
            raise exception.NodeNotFound(cluster=cluster_uuid, node=node)
        LOG.info('Cluster %s: marking the %s of member %s (node %s) '
                 'unhealthy so the update replaces the node', cluster_uuid,
                 HANDLE, identity, node)
        heat.resources.mark_unhealthy(identity, HANDLE, True,
                                      REASON.format(node=node))
    except heat_client.ERRORS as err:
        raise heat_client.translate(err) from err
    return group, index
