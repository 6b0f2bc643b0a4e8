"""The conductor's RPC endpoint: thin, every method is one operation
(cluster/operations.py), named as its row and as conductor/rpcapi.py's
method; and stack_finished, routed from a Heat notification."""

import oslo_messaging as messaging

from magnum_lite.cluster import operations
from magnum_lite.conductor import provisioning
from magnum_lite.conductor import rpcapi


class ConductorManager:
    """RPC methods of version 1.x; each drives one claimed operation."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, poke=None, notified=None):
        # Called after an operation was handed to the driver, so that the
        # status sync looks at the cluster soon instead of next cycle.
        self._poke = poke or (lambda: None)
        # Called with a cluster whose stack Heat said finished
        # (stack_events.Schedule.notified); None without notifications.
        self._notified = notified

    def _drive(self, context, operation, cluster_uuid):
        provisioning.drive(context, cluster_uuid, operation)
        self._poke()

    def cluster_create(self, context, cluster_uuid):
        """Drive the claimed create of a cluster."""
        self._drive(context, operations.CLUSTER_CREATE, cluster_uuid)

    def cluster_update(self, context, cluster_uuid):
        """Drive the claimed update of a cluster."""
        self._drive(context, operations.CLUSTER_UPDATE, cluster_uuid)

    def cluster_resize(self, context, cluster_uuid):
        """Drive the claimed resize of a cluster."""
        self._drive(context, operations.CLUSTER_RESIZE, cluster_uuid)

    def cluster_upgrade(self, context, cluster_uuid):
        """Drive the claimed upgrade of a cluster."""
        self._drive(context, operations.CLUSTER_UPGRADE, cluster_uuid)

    def cluster_delete(self, context, cluster_uuid):
        """Drive the claimed delete of a cluster."""
        self._drive(context, operations.CLUSTER_DELETE, cluster_uuid)

    def nodegroup_create(self, context, cluster_uuid):
        """Drive the claimed nodegroup create of a cluster."""
        self._drive(context, operations.NODEGROUP_CREATE, cluster_uuid)

    def nodegroup_update(self, context, cluster_uuid):
        """Drive the claimed nodegroup update of a cluster."""
        self._drive(context, operations.NODEGROUP_UPDATE, cluster_uuid)

    def nodegroup_delete(self, context, cluster_uuid):
        """Drive the claimed nodegroup delete of a cluster."""
        self._drive(context, operations.NODEGROUP_DELETE, cluster_uuid)

    def ca_rotate(self, context, cluster_uuid):
        """Drive the claimed CA rotation of a cluster."""
        self._drive(context, operations.CA_ROTATE, cluster_uuid)

    def credentials_rotate(self, context, cluster_uuid):
        """Drive the claimed credential rotation of a cluster."""
        self._drive(context, operations.CREDENTIALS_ROTATE, cluster_uuid)

    def stack_finished(self, context, cluster_uuid):
        """Heat finished an operation on a stack of a cluster this
        conductor owns: let the status sync settle it now. (1.1)"""
        if self._notified is not None:
            self._notified(cluster_uuid)

    def cluster_repair(self, context, cluster_uuid):
        """Drive the claimed replacement of an unhealthy node."""
        self._drive(context, operations.CLUSTER_REPAIR, cluster_uuid)
