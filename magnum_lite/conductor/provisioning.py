"""Carrying out claimed operations and settling their outcome.

The API has already moved the cluster to an in-progress state and
recorded the operation in the row; here a conductor hands it to the
driver (under the cluster lock) and, when the driver reports the
deployment finished, settles the cluster and its nodegroups.
"""

import logging

from magnum_lite.common import cluster_credentials
from magnum_lite.common import context as ml_context
from magnum_lite.common import exception
from magnum_lite.common import key_store
from magnum_lite.common import states
from magnum_lite.common import x509
from magnum_lite.conductor import cluster_lock
from magnum_lite.db import api as db_api
from magnum_lite.drivers import base
from magnum_lite.drivers import registry

LOG = logging.getLogger(__name__)
# The certificate rows of a cluster: its CAs and service-account key pair.
CERTIFICATE_KINDS = x509.CA_TYPES + ('service_account',)


def _driver(cluster):
    template = db_api.templates_by_uuid(
        [cluster.cluster_template_id])[cluster.cluster_template_id]
    return registry.for_template(template)


def _nodegroups(cluster):
    return db_api.nodegroups_by_cluster([cluster.uuid])[cluster.uuid]


def ensure_certificates(cluster):
    """Create the cluster's CAs and its service-account key pair unless
    they exist (idempotent). The service-account key is never rotated:
    it signs the pods' tokens, and the node bootstrap derives its join
    secrets from it (drivers/heat/bootstrap.py)."""
    kinds = [(ca_type, lambda: x509.generate_ca(cluster.name or cluster.uuid))
             for ca_type in x509.CA_TYPES]
    kinds.append(('service_account', x509.generate_service_account_key))
    for kind, generate in kinds:
        try:
            db_api.certificate_get(cluster.uuid, kind)
            continue
        except exception.CertificateNotFound:
            pass
        _put_certificate(cluster, kind, *generate())


def rotate_certificates(cluster):
    """Replace every CA of the cluster (and delete the old keys)."""
    for ca_type in x509.CA_TYPES:
        old = _stored_keys(cluster.uuid, (ca_type,))
        _put_certificate(cluster, ca_type,
                         *x509.generate_ca(cluster.name or cluster.uuid))
        key_store.delete_quietly(old)


def _put_certificate(cluster, kind, public, key):
    stored = key_store.store(cluster.uuid, kind, key)
    try:
        db_api.certificate_put(cluster.uuid, kind, public, stored)
    except exception.ClusterNotFound:
        key_store.delete_quietly([stored])
        raise


def _stored_keys(cluster_uuid, kinds=CERTIFICATE_KINDS):
    """The ``private_key`` values of the cluster's certificate rows."""
    values = []
    for kind in kinds:
        try:
            values.append(db_api.certificate_get(cluster_uuid,
                                                 kind).private_key)
        except exception.CertificateNotFound:
            pass
    return values


def drive(context, cluster_uuid, operation, wait=30.0):
    """Hand the claimed ``operation`` of a cluster to its driver.

    A message for an operation the cluster no longer has (it was
    superseded, e.g. by a delete) is dropped.
    """
    try:
        with cluster_lock.locked(cluster_uuid, operation, wait=wait):
            cluster = db_api.cluster_get(cluster_uuid)
            if cluster.operation != operation or \
                    cluster.status not in states.IN_PROGRESS:
                LOG.info('Dropping %s for cluster %s: it now has %s (%s)',
                         operation, cluster_uuid, cluster.operation,
                         cluster.status)
                return
            _start(context, cluster, operation)
    except exception.ClusterNotFound:
        LOG.info('Cluster %s is gone; nothing to %s', cluster_uuid,
                 operation)
    except exception.ClusterLocked:
        LOG.warning('Cluster %s stays locked; the stuck-work periodic '
                    'will retry %s', cluster_uuid, operation)


def _start(context, cluster, operation):
    driver = _driver(cluster)
    nodegroups = _nodegroups(cluster)
    values = {'operation_driven_at': db_api.age(0)}
    try:
        if operation == 'cluster_create':
            ensure_certificates(cluster)
            values['stack_id'] = driver.create_cluster(context, cluster,
                                                       nodegroups)
        elif operation == 'cluster_delete':
            driver.delete_cluster(context, cluster, nodegroups)
        else:
            if operation == 'ca_rotate':
                rotate_certificates(cluster)
            driver.update_cluster(context, cluster, nodegroups, operation,
                                  cluster.operation_args or {})
    except exception.MagnumLiteError as err:
        LOG.warning('%s of cluster %s failed: %s', operation, cluster.uuid,
                    err)
        settle(cluster, base.Observation(base.FAILED, str(err)))
        return
    # Only if no newer claim (e.g. a delete) replaced this operation.
    db_api.cluster_update(cluster.uuid, values,
                          expected_status=[cluster.status])


def settle(cluster, observation):
    """Apply what the driver observed to a cluster and its nodegroups."""
    if observation.state == base.IN_PROGRESS:
        return
    if cluster.status == states.DELETING and observation.state in (
            base.COMPLETE, base.GONE):
        try:
            cluster_credentials.delete_all(cluster.uuid)
        except exception.MagnumLiteError as err:
            # The row stays DELETING; the next status sync retries.
            LOG.warning('Cluster %s: could not remove its credentials from '
                        'Keystone, will retry: %s', cluster.uuid, err)
            return
        keys = _stored_keys(cluster.uuid)
        db_api.cluster_destroy(cluster.uuid)
        key_store.delete_quietly(keys)
        LOG.info('Cluster %s deleted', cluster.uuid)
        return
    succeeded = observation.state == base.COMPLETE
    values = {'status': states.outcome(cluster.status, succeeded),
              'status_reason': observation.reason,
              'operation_driven_at': None}
    outputs = observation.outputs or {}
    for key in ('api_address', 'coe_version', 'container_version'):
        if outputs.get(key):
            values[key] = outputs[key]
    updates, gone = _nodegroup_outcomes(cluster, succeeded,
                                        observation.reason, outputs)
    if succeeded:
        _upgraded(cluster, values, updates)
        # The stack now has the newest credentials: older ones (replaced
        # by a rotation) are unused. Removed before the cluster shows
        # complete, so a completed rotation means the old ones are dead.
        cluster_credentials.retire_unused(cluster.uuid)
    # One transaction: a client never sees the cluster complete with its
    # nodegroups' addresses or faults still missing. It does nothing if a
    # newer claim (e.g. a delete) replaced the operation meanwhile.
    db_api.cluster_settle(cluster.uuid, cluster.status, values, updates,
                          gone)


def _upgraded(cluster, values, updates):
    """Add what a successful upgrade changes (decided by the API, see
    common/upgrades.py) to the values settle writes. A failed upgrade
    writes nothing of it: the rows still describe the old version, and
    upgrading again retries."""
    if cluster.operation != 'cluster_upgrade':
        return
    changes = (cluster.operation_args or {}).get('changes') or {}
    values.update(changes.get('cluster') or {})
    for ng_uuid, ng_values in (changes.get('nodegroups') or {}).items():
        updates[ng_uuid] = dict(updates.get(ng_uuid) or {}, **ng_values)


def _nodegroup_outcomes(cluster, succeeded, reason, outputs):
    """({nodegroup uuid: values}, [uuids of deleted nodegroups])."""
    addresses = outputs.get('nodegroups', {})
    stack_ids = outputs.get('stack_ids', {})
    updates, gone = {}, []
    for ng in _nodegroups(cluster):
        if ng.status == states.DELETING and succeeded:
            gone.append(ng.uuid)
            continue
        values = {}
        if ng.uuid in addresses:
            values['node_addresses'] = addresses[ng.uuid]
        if stack_ids.get(ng.uuid):
            values['stack_id'] = stack_ids[ng.uuid]
        if ng.status in states.IN_PROGRESS:
            values['status'] = states.outcome(ng.status, succeeded)
            values['status_reason'] = reason
        if values:
            updates[ng.uuid] = values
    return updates, gone


def poll(context, clusters):
    """Ask the drivers about in-progress clusters and settle them."""
    by_driver = {}
    for cluster in clusters:
        by_driver.setdefault(_driver(cluster), []).append(cluster)
    for driver, group in by_driver.items():
        observations = driver.poll(context, group)
        for cluster in group:
            observation = observations.get(cluster.uuid)
            if observation is not None:
                settle(cluster, observation)


def admin_context():
    return ml_context.RequestContext.admin()
