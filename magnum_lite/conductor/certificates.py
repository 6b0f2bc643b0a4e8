"""The conductor's writes of a cluster's certificate rows: its CAs at
create, the steps of a CA rotation (cluster/ca_rotation.py), and the keys
to delete when the rows go."""

import logging

from magnum_lite.clients import key_store
from magnum_lite.cluster import ca_rotation
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import x509
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)
SERVICE_ACCOUNT = x509.SERVICE_ACCOUNT
# Every certificate row a cluster can hold.
KINDS = ca_rotation.KINDS + (SERVICE_ACCOUNT,)


def _new_ca(cluster):
    return x509.generate_ca(cluster.name or cluster.uuid)


def _ensure(cluster, kinds_and_generators):
    """Create the rows of ``kinds_and_generators`` that do not exist."""
    for kind, generate in kinds_and_generators:
        if db_api.certificate_find(cluster.uuid, kind) is None:
            _put(cluster, kind, *generate())


def ensure_certificates(cluster):
    """Create the cluster's CAs and its service-account key pair unless
    they exist (idempotent). The service-account key is never rotated:
    it signs the pods' tokens, and the node bootstrap derives its join
    secrets from it (drivers/heat/bootstrap.py)."""
    kinds = [(ca_type, lambda: _new_ca(cluster))
             for ca_type in x509.CA_TYPES]
    kinds.append((SERVICE_ACCOUNT, x509.generate_service_account_key))
    _ensure(cluster, kinds)


def prepare_rotation_phase(cluster, phase):
    """What must exist before the stack update of ``phase`` is sent: for
    ``trust``, the new CAs (kept if a retry finds them). The later phases
    changed their rows when they were started (``start_next_phase``)."""
    if phase != ca_rotation.TRUST:
        return
    _ensure(cluster, [(ca_rotation.kind(ca_type, ca_rotation.NEXT),
                       lambda: _new_ca(cluster))
                      for ca_type in x509.CA_TYPES])


def start_next_phase(cluster):
    """After a rotation phase completed: claim the next one for the
    cluster, with its row changes, in one transaction. Returns the phase
    started, or None when the rotation is over (or was superseded)."""
    phase = ca_rotation.following(
        (cluster.operation_args or {}).get('phase', ca_rotation.DROP))
    if phase is None:
        return None
    renames, deletes = ca_rotation.row_changes(phase)
    keys = stored_keys(cluster.uuid, deletes)
    args = dict(cluster.operation_args or {}, phase=phase)
    if not db_api.cluster_next_step(
            cluster.uuid, operations.CA_ROTATE.name, args, renames,
            deletes, started_at=cluster.operation_started_at):
        return None
    key_store.delete_quietly(keys)
    LOG.info('Cluster %s: CA rotation phase %s', cluster.uuid, phase)
    return phase


def _put(cluster, kind, public, key):
    stored = key_store.store(cluster.uuid, kind, key)
    try:
        db_api.certificate_put(cluster.uuid, kind, public, stored)
    except exception.ClusterNotFound:
        key_store.delete_quietly([stored])
        raise


def stored(cluster_uuid):
    """The cluster's certificate rows, ``{kind: row}`` (what
    ``ClusterRows.certificates`` holds)."""
    return db_api.certificates_by_cluster([cluster_uuid])[cluster_uuid]


def stored_keys(cluster_uuid, kinds=KINDS):
    """The ``private_key`` values of the cluster's certificate rows."""
    rows = stored(cluster_uuid)
    return [rows[kind].private_key for kind in kinds if kind in rows]
