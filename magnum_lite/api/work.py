"""Claim cluster operations (cluster/operations.py) and hand them to
the conductors."""

import http
import logging
import threading

from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conductor import rpcapi
from magnum_lite.db import api as db_api

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


def check_state(operation, cluster):
    """Refuse with 400 (InvalidState) an ``operation`` whose row refuses
    the cluster's state so; a 409 is the claim's to answer."""
    _refuse_invalid(operation, cluster.status)


def _refuse_invalid(operation, state):
    if operation.refusal_for(state) == http.HTTPStatus.BAD_REQUEST:
        raise exception.InvalidState(
            action=operation.action, status=states.magnum_status(state))


def claim(cluster_uuid, operation, **kwargs):
    """Claim ``operation`` on the cluster, atomically, from the states its
    row allows; the keyword arguments are those of
    ``db_api.cluster_claim``. From another state it answers what the row
    says: 400 (InvalidState) or 409 (ClusterBusy), whatever state the
    cluster had when ``check_state`` looked."""
    try:
        return db_api.cluster_claim(cluster_uuid, operation.event,
                                    operation.name,
                                    allowed=operation.allowed, **kwargs)
    except exception.ClusterBusy as busy:
        _refuse_invalid(operation, busy.kwargs['state'])
        raise


def start(request, operation, cluster_uuid):
    """Cast the claimed ``operation``. The claim is already in the
    database, so a lost cast is not lost work: the conductors' stuck-work
    periodic finds the cluster and drives it."""
    try:
        _client().start(request.context, operation, cluster_uuid)
    except Exception:
        LOG.exception('Could not cast %s for cluster %s; the stuck-work '
                      'periodic will pick it up', operation.name,
                      cluster_uuid)
