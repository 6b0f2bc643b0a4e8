"""The client side of the conductor's RPC API.

Version history:
  1.0 - create/update/delete cluster, nodegroup create/update/delete,
        CA rotation, credential rotation; all casts of ids only.
"""

import oslo_messaging as messaging

from magnum_lite.common import rpc
from magnum_lite.conf import CONF

RPC_API_VERSION = '1.0'

# Operations the API claims on a cluster, each cast as the method of the
# same name. The conductor reads the details from the cluster row.
OPERATIONS = ('cluster_create', 'cluster_update', 'cluster_resize',
              'cluster_upgrade', 'cluster_delete', 'nodegroup_create',
              'nodegroup_update', 'nodegroup_delete', 'ca_rotate',
              'credentials_rotate')


class ConductorAPI:
    """Casts to whichever conductor takes the message."""

    def __init__(self, topic=None):
        target = messaging.Target(topic=topic or CONF.conductor.topic,
                                  version=RPC_API_VERSION)
        self._client = messaging.get_rpc_client(
            rpc.get_transport(), target,
            serializer=rpc.ContextSerializer())

    def start(self, context, operation, cluster_uuid):
        """Ask a conductor to carry out the operation claimed on the
        cluster. Safe to repeat: the conductor's work is idempotent."""
        if operation not in OPERATIONS:
            raise ValueError(f'unknown operation {operation}')
        self._client.prepare(version='1.0').cast(
            context, operation, cluster_uuid=cluster_uuid)
