"""Carrying out claimed operations and settling their outcome.

The API has already moved the cluster to an in-progress state and
recorded the operation in the row; here a conductor hands it to the
driver (under the cluster lock) and, when the driver reports the
deployment finished, settles the cluster and its nodegroups.
"""

import logging

from magnum_lite.common import ca_rotation
from magnum_lite.common import cluster_credentials
from magnum_lite.common import context as ml_context
from magnum_lite.common import exception
from magnum_lite.common import key_store
from magnum_lite.common import kubernetes
from magnum_lite.common import states
from magnum_lite.conductor import certificates
from magnum_lite.conductor import cluster_lock
from magnum_lite.db import api as db_api
from magnum_lite.drivers import base
from magnum_lite.drivers import registry

LOG = logging.getLogger(__name__)


def _driver(cluster):
    template = db_api.templates_by_uuid(
        [cluster.cluster_template_id])[cluster.cluster_template_id]
    return registry.for_template(template)


def _nodegroups(cluster):
    return db_api.nodegroups_by_cluster([cluster.uuid])[cluster.uuid]


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
            certificates.ensure_certificates(cluster)
            values['stack_id'] = driver.create_cluster(context, cluster,
                                                       nodegroups)
        elif operation == 'cluster_delete':
            driver.delete_cluster(context, cluster, nodegroups)
        else:
            if operation == ca_rotation.OPERATION:
                certificates.prepare_rotation_phase(
                    cluster, (cluster.operation_args or {}).get('phase'))
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
        keys = certificates.stored_keys(cluster.uuid)
        # This conductor's client certificate for the cluster (drains).
        kubernetes.forget_credentials(cluster.uuid)
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
            if observation is None:
                continue
            if _next_step(cluster, observation):
                drive(context, cluster.uuid, cluster.operation)
            else:
                settle(cluster, observation)


def _next_step(cluster, observation):
    """Whether a completed deployment was one step of a multi-step
    operation (a CA rotation phase) and the next step is now claimed."""
    return (observation.state == base.COMPLETE and
            cluster.operation == ca_rotation.OPERATION and
            cluster.status == states.UPDATING and
            certificates.start_next_phase(cluster) is not None)


def admin_context():
    return ml_context.RequestContext.admin()
