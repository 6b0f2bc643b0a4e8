"""The conductor's RPC endpoint: thin, every method is one operation."""

import oslo_messaging as messaging

from magnum_lite.conductor import provisioning
from magnum_lite.conductor import rpcapi


class ConductorManager:
    """RPC methods of version 1.x; each drives one claimed operation."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, poke=None):
        # Called after an operation was handed to the driver, so that the
        # status sync looks at the cluster soon instead of next cycle.
        self._poke = poke or (lambda: None)

    def _drive(self, context, operation, cluster_uuid):
        provisioning.drive(context, cluster_uuid, operation)
        self._poke()


def _endpoint(operation):
    def method(self, context, cluster_uuid):
        self._drive(context, operation, cluster_uuid)
    method.__name__ = operation
    method.__doc__ = f'Drive the claimed {operation} of a cluster.'
    return method


for _operation in rpcapi.OPERATIONS:
    setattr(ConductorManager, _operation, _endpoint(_operation))
