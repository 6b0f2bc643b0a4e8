"""The client side of the conductor's RPC API.

Version history:
  1.0 - create/update/delete cluster, nodegroup create/update/delete,
        CA rotation, credential rotation; all casts of ids only.
  1.1 - stack_finished: a Heat notification, to the cluster's owner.
  1.2 - cluster_repair (auto-healing replaces one node).

One method per row of cluster/operations.py, named as the row: the
method name is on the wire; and stack_finished, which carries no
operation.
"""

import oslo_messaging as messaging

from magnum_lite.cluster import operations
from magnum_lite.common import rpc
from magnum_lite.conf import CONF

RPC_API_VERSION = '1.2'
# A cast is retried once (oslo.messaging waits rabbit_retry_interval, a
# second), then given up: by default it retries for ever, and an API
# request would hang for as long as the broker is down. A cast given up
# loses nothing: the claim is in the database and the conductors'
# stuck-work periodic drives it.
CAST_RETRIES = 1


class ConductorAPI:
    """Casts to whichever conductor takes the message. Every cast is
    safe to repeat: the conductor's work is idempotent."""

    def __init__(self, topic=None):
        target = messaging.Target(topic=topic or CONF.conductor.topic,
                                  version=RPC_API_VERSION)
        self._client = messaging.get_rpc_client(
            rpc.get_transport(), target,
            serializer=rpc.ContextSerializer(), retry=CAST_RETRIES)

    def start(self, context, operation, cluster_uuid):
        """Ask a conductor to carry out ``operation`` (a row of
        cluster/operations.py), already claimed on the cluster."""
        getattr(self, operation.name)(context, cluster_uuid)

    def _cast(self, context, operation, cluster_uuid, version='1.0'):
        self._client.prepare(version=version).cast(
            context, operation.name, cluster_uuid=cluster_uuid)

    def cluster_create(self, context, cluster_uuid):
        """Build the claimed cluster. (1.0)"""
        self._cast(context, operations.CLUSTER_CREATE, cluster_uuid)

    def cluster_update(self, context, cluster_uuid):
        """Apply the claimed node count change. (1.0)"""
        self._cast(context, operations.CLUSTER_UPDATE, cluster_uuid)

    def cluster_resize(self, context, cluster_uuid):
        """Resize the claimed nodegroup. (1.0)"""
        self._cast(context, operations.CLUSTER_RESIZE, cluster_uuid)

    def cluster_upgrade(self, context, cluster_uuid):
        """Upgrade the cluster to the claimed template. (1.0)"""
        self._cast(context, operations.CLUSTER_UPGRADE, cluster_uuid)

    def cluster_delete(self, context, cluster_uuid):
        """Remove the cluster. (1.0)"""
        self._cast(context, operations.CLUSTER_DELETE, cluster_uuid)

    def nodegroup_create(self, context, cluster_uuid):
        """Build the claimed new nodegroup. (1.0)"""
        self._cast(context, operations.NODEGROUP_CREATE, cluster_uuid)

    def nodegroup_update(self, context, cluster_uuid):
        """Apply the claimed nodegroup change. (1.0)"""
        self._cast(context, operations.NODEGROUP_UPDATE, cluster_uuid)

    def nodegroup_delete(self, context, cluster_uuid):
        """Remove the claimed nodegroup. (1.0)"""
        self._cast(context, operations.NODEGROUP_DELETE, cluster_uuid)

    def ca_rotate(self, context, cluster_uuid):
        """Rotate the cluster's CAs, phase by phase. (1.0)"""
        self._cast(context, operations.CA_ROTATE, cluster_uuid)

    def credentials_rotate(self, context, cluster_uuid):
        """Give the cluster its claimed new credentials. (1.0)"""
        self._cast(context, operations.CREDENTIALS_ROTATE, cluster_uuid)

    def stack_finished(self, context, host, cluster_uuid):
        """Tell conductor ``host``, the cluster's owner on the hash ring,
        that Heat notified the end of an operation on a stack of the
        cluster (conductor/stack_events.py). Losing it costs latency
        only. (1.1)"""
        self._client.prepare(server=host, version='1.1').cast(
            context, 'stack_finished', cluster_uuid=cluster_uuid)

    def cluster_repair(self, context, cluster_uuid):
        """Replace the claimed unhealthy node (auto-healing). (1.2)"""
        self._cast(context, operations.CLUSTER_REPAIR, cluster_uuid,
                   version='1.2')
