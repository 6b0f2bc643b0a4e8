"""Every cluster operation, one frozen row each.

The API claims an operation (``states`` event, compare-and-set on the
cluster's status) and casts the RPC method of the row's name; the
conductor drives it by the row; the driver reads from the row whether it
drains, which stacks it updates and what happens to the nodegroup it
targets. The row's ``name`` is on the wire (RPC method) and in the
database (``clusters.operation``): never rename one, or a conductor of
the previous release cannot take the work of a newer API.

Retrying is not an operation of its own: every ``*_failed`` state is a
source of the ``update`` (or ``delete``) event, so asking for the failed
operation again (or any other update) retries it, and the conductors'
stuck-work periodic re-drives a claimed operation nobody took.
"""

import dataclasses
import http

from magnum_lite.common import states

# The phases of a CA rotation, in order (cluster/ca_rotation.py).
TRUST, SIGN, DROP = 'trust', 'sign', 'drop'


@dataclasses.dataclass(frozen=True)
class Operation:
    """One cluster operation.

    ``allowed`` is derived from the state table: the sources of
    ``event``, less ``excluded``. From any other state the API refuses
    with ``refusal``: 409 (the claim's ClusterBusy) or 400 (InvalidState
    before the claim, naming ``action``), except that ``conflicts`` states
    are left to the claim (409) even when ``refusal`` is 400; None: never
    refused, the API casts the operation again instead of claiming it.
    ``nodegroup_event`` is what the nodegroup the operation targets goes
    through (its stack is created, updated or deleted). ``replaces_node``:
    the driver replaces the one node ``operation_args['node']`` names.
    ``refreshes_nodes``: the nodes move to this release's node files
    (bootstrap fragments, add-on manifests); any other operation keeps the
    files the stack holds (drivers/heat/node_files.py).
    """

    name: str
    event: str
    excluded: frozenset = frozenset()
    refusal: int = http.HTTPStatus.CONFLICT
    conflicts: frozenset = frozenset()
    action: str = 'Updating'
    drains: bool = False
    every_stack: bool = False
    removes_nodes: bool = False
    replaces_node: bool = False
    refreshes_nodes: bool = False
    settles_changes: bool = False
    phases: tuple = ()
    nodegroup_event: str = states.UPDATE
    allowed: frozenset = dataclasses.field(init=False)

    def __post_init__(self):
        object.__setattr__(self, 'allowed', frozenset(
            states.sources(self.event)) - self.excluded)

    def refusal_for(self, state):
        """None if the operation may start from ``state``, else the HTTP
        status the API answers."""
        if state in self.allowed or self.refusal is None:
            return None
        if state in self.conflicts:
            return http.HTTPStatus.CONFLICT
        return self.refusal


# Operations that need a cluster that was built once (not create_failed).
_BUILT = frozenset({states.CREATE_FAILED})
_INVALID = http.HTTPStatus.BAD_REQUEST

# The API writes a new cluster directly in its in-progress state.
CLUSTER_CREATE = Operation('cluster_create', states.CREATE,
                           nodegroup_event=states.CREATE)
# PATCH node_count of the default workers.
CLUSTER_UPDATE = Operation('cluster_update', states.UPDATE)
CLUSTER_RESIZE = Operation('cluster_resize', states.UPDATE,
                           removes_nodes=True)
# Settle writes the rows' new versions (cluster/upgrades.py) on success.
CLUSTER_UPGRADE = Operation('cluster_upgrade', states.UPDATE,
                            excluded=_BUILT, refusal=_INVALID,
                            conflicts=states.IN_PROGRESS, action='Upgrading',
                            drains=True, settles_changes=True,
                            refreshes_nodes=True)
# A cluster already being deleted is not refused: the API casts again.
CLUSTER_DELETE = Operation('cluster_delete', states.DELETE, refusal=None,
                           nodegroup_event=states.DELETE)
NODEGROUP_CREATE = Operation('nodegroup_create', states.UPDATE,
                             nodegroup_event=states.CREATE)
NODEGROUP_UPDATE = Operation('nodegroup_update', states.UPDATE)
NODEGROUP_DELETE = Operation('nodegroup_delete', states.UPDATE,
                             nodegroup_event=states.DELETE)
# Three rolling updates of every stack (cluster/ca_rotation.py).
CA_ROTATE = Operation('ca_rotate', states.UPDATE, excluded=_BUILT,
                      refusal=_INVALID, drains=True, every_stack=True,
                      phases=(TRUST, SIGN, DROP))
CREDENTIALS_ROTATE = Operation('credentials_rotate', states.UPDATE,
                               excluded=_BUILT, refusal=_INVALID,
                               conflicts=frozenset({states.UPDATING}),
                               drains=True)
# Auto-healing (conductor/healing.py): the conductor claims it itself and
# Heat replaces one node, ``operation_args['node']``, drained first; its
# args carry the ``status_reason`` shown while it runs.
CLUSTER_REPAIR = Operation('cluster_repair', states.UPDATE, excluded=_BUILT,
                           action='Repairing', drains=True,
                           replaces_node=True)

ALL = (CLUSTER_CREATE, CLUSTER_UPDATE, CLUSTER_RESIZE, CLUSTER_UPGRADE,
       CLUSTER_DELETE, NODEGROUP_CREATE, NODEGROUP_UPDATE, NODEGROUP_DELETE,
       CA_ROTATE, CREDENTIALS_ROTATE, CLUSTER_REPAIR)
_BY_NAME = {operation.name: operation for operation in ALL}


def get(name):
    """The row of the operation stored or cast as ``name``; None for a
    name this release does not know (e.g. written by a newer one)."""
    return _BY_NAME.get(name)
