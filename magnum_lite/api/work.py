"""Hand claimed work to the conductors."""

import logging
import threading

from magnum_lite.conductor import rpcapi

LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_CLIENT = None


def _client():
    global _CLIENT
    with _LOCK:
        if _CLIENT is None:
            _CLIENT = rpcapi.ConductorAPI()
        return _CLIENT


def reset():
    global _CLIENT
    with _LOCK:
        _CLIENT = None


def start(request, operation, cluster_uuid):
    """Cast the claimed ``operation``. The claim is already in the
    database, so a lost cast is not lost work: the conductors' stuck-work
    periodic finds the cluster and drives it."""
    try:
        _client().start(request.context, operation, cluster_uuid)
    except Exception:
        LOG.exception('Could not cast %s for cluster %s; the stuck-work '
                      'periodic will pick it up', operation, cluster_uuid)
