"""Carrying out claimed operations and settling their outcome.

The API has already moved the cluster to an in-progress state and
recorded the operation in the row; here a conductor hands it to the
driver (under the cluster lock) and, when the driver reports the
deployment finished, settles the cluster and its nodegroups.
"""

import logging

from magnum_lite.clients import key_store
from magnum_lite.clients import kubernetes
from magnum_lite.cluster import cluster_credentials
from magnum_lite.cluster import operations
from magnum_lite.common import context as ml_context
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.common import status_reason
from magnum_lite.conductor import certificates
from magnum_lite.conductor import cluster_lock
from magnum_lite.conductor import cluster_rows
from magnum_lite.conf import CONF
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
    """Hand the claimed ``operation`` (a row of cluster/operations.py)
    of a cluster to its driver.

    A message for an operation the cluster no longer has (it was
    superseded, e.g. by a delete) is dropped, and so is one for an
    operation already handed to the driver (a repeated message, a second
    delete): Heat, told twice, would cancel the work it is doing.
    """
    try:
        with cluster_lock.locked(cluster_uuid, operation.name, wait=wait):
            cluster = db_api.cluster_get(cluster_uuid)
            if cluster.operation != operation.name or \
                    cluster.status not in states.IN_PROGRESS:
                LOG.info('Dropping %s for cluster %s: it now has %s (%s)',
                         operation.name, cluster_uuid, cluster.operation,
                         cluster.status)
                return
            if cluster.operation_driven_at is not None:
                LOG.info('Dropping %s for cluster %s: its driver has had '
                         'it since %s', operation.name, cluster_uuid,
                         cluster.operation_driven_at)
                return
            _start(context, cluster, operation)
    except exception.ClusterNotFound:
        LOG.info('Cluster %s is gone; nothing to %s', cluster_uuid,
                 operation.name)
    except exception.ClusterLocked:
        LOG.warning('Cluster %s stays locked; the stuck-work periodic '
                    'will retry %s', cluster_uuid, operation.name)
    except exception.DatabaseUnavailable:
        # The claim stays undriven: the stuck-work periodic drives it
        # again once the database answers (every step is idempotent).
        LOG.warning('Database unavailable during %s of cluster %s; the '
                    'stuck-work periodic will retry it', operation.name,
                    cluster_uuid)


def drive_stored(context, cluster, wait=30.0):
    """Drive again the operation a cluster row has claimed. One this
    release does not know (claimed by a newer one) is left alone."""
    operation = operations.get(cluster.operation)
    if operation is None:
        LOG.warning('Cluster %s has an operation this conductor does not '
                    'know (%s); leaving it alone', cluster.uuid,
                    cluster.operation)
        return
    drive(context, cluster.uuid, operation, wait=wait)


def _create(context, driver, cluster, operation):
    certificates.ensure_certificates(cluster)
    rows = cluster_rows.load_one(cluster)
    return {'stack_id': driver.create_cluster(context, rows)}


def _update(context, driver, cluster, operation):
    args = cluster.operation_args or {}
    if operation.phases:
        certificates.prepare_rotation_phase(cluster, args.get('phase'))
    driver.update_cluster(context, cluster_rows.load_one(cluster),
                          operation, args)
    return {}


def _delete(context, driver, cluster, operation):
    driver.delete_cluster(context, cluster_rows.load_one(cluster))
    return {}


# The conductor's step for the state event of each operation; each
# stores what must exist first (certificates), then hands the driver the
# rows loaded after that, and returns the cluster values to write once
# the driver took the work.
HANDLERS = {states.CREATE: _create, states.UPDATE: _update,
            states.DELETE: _delete}


def _start(context, cluster, operation):
    driver = _driver(cluster)
    driven_at = db_api.age(0)
    try:
        values = HANDLERS[operation.event](context, driver, cluster,
                                           operation)
    except exception.DatabaseUnavailable:
        raise  # not the operation's failure: drive() leaves it for later
    except exception.ServiceUnavailable as err:
        _unreachable(cluster, operation, err)
        return
    except exception.MagnumLiteError as err:
        LOG.warning('%s of cluster %s failed: %s', operation.name,
                    cluster.uuid, err)
        settle(cluster, base.Observation(base.FAILED, str(err)))
        return
    values['operation_driven_at'] = driven_at
    # A retry's outage reason is history; what the operation says of
    # itself (a repair names its node) is shown while it runs.
    values['status_reason'] = status_reason.bounded(
        (cluster.operation_args or {}).get('status_reason'))
    # Only if no newer claim (e.g. a delete) replaced this operation.
    db_api.cluster_update(cluster.uuid, values,
                          expected_status=[cluster.status])


def _unreachable(cluster, operation, err):
    """A service the step needs (Heat, Keystone) did not answer: the
    operation is not at fault. It stays claimed and undriven, with the
    reason in the row, and the stuck-work periodic drives it again (each
    step looks before it acts, so a step that did reach Heat is not
    repeated); past ``[conductor] outage_patience`` it fails."""
    waited = (db_api.age(0) - cluster.operation_started_at).total_seconds() \
        if cluster.operation_started_at else 0
    if waited >= CONF.conductor.outage_patience:
        LOG.warning('%s of cluster %s failed after %d s of retries: %s',
                    operation.name, cluster.uuid, waited, err)
        settle(cluster, base.Observation(
            base.FAILED, f'{err} (gave up after {int(waited)} s)'))
        return
    LOG.warning('%s of cluster %s waits for a service: %s; retrying',
                operation.name, cluster.uuid, err)
    db_api.cluster_update(cluster.uuid, {
        'status_reason': status_reason.bounded(
            f'{err}; retrying every {CONF.conductor.redrive_interval} s')},
        expected_status=[cluster.status])


def settle(cluster, observation):
    """Apply what the driver observed to a cluster and its nodegroups."""
    if observation.state == base.IN_PROGRESS:
        _note_waiting(cluster, observation.reason)
        return
    if cluster.status == states.DELETING and observation.state in (
            base.COMPLETE, base.GONE):
        # Credentials and key secrets go before the row: a failure or a
        # crash in between leaves the row DELETING, and the next status
        # sync deletes them again, never secrets no row knows of.
        try:
            cluster_credentials.delete_all(cluster.uuid)
            key_store.delete_all(certificates.stored_keys(cluster.uuid))
        except exception.MagnumLiteError as err:
            LOG.warning('Cluster %s: could not remove its credentials or '
                        'key secrets, will retry: %s', cluster.uuid, err)
            return
        # This conductor's client certificate for the cluster (drains).
        kubernetes.forget_credentials(cluster.uuid)
        db_api.cluster_destroy(cluster.uuid)
        LOG.info('Cluster %s deleted', cluster.uuid)
        return
    succeeded = observation.state == base.COMPLETE
    reason = status_reason.bounded(observation.reason)
    values = {'status': states.outcome(cluster.status, succeeded),
              'status_reason': reason,
              'operation_driven_at': None}
    outputs = observation.outputs or {}
    for key in ('api_address', 'coe_version', 'container_version'):
        if outputs.get(key):
            values[key] = outputs[key]
    updates, gone = _nodegroup_outcomes(cluster, succeeded, reason,
                                        outputs)
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
                          gone, started_at=cluster.operation_started_at)


def _note_waiting(cluster, reason):
    """Show on an in-progress cluster what its deployment waits for (the
    driver cannot see it: Heat is unreachable), and nothing once it can
    again. Written only when the cluster starts or stops waiting, not
    every cycle: an outage's reason names a new connection each time.
    (A driven operation has no other reason: the claim cleared it.)"""
    if bool(reason) == bool(cluster.status_reason):
        return
    if reason:
        LOG.warning('Cluster %s: %s; the status sync keeps looking',
                    cluster.uuid, reason)
        reason = status_reason.bounded(
            f'{reason}; the status sync retries every '
            f'{CONF.conductor.sync_status_interval} s')
    db_api.cluster_update(cluster.uuid, {'status_reason': reason},
                          expected_status=[cluster.status])


def _upgraded(cluster, values, updates):
    """Add what a successful upgrade changes (decided by the API, see
    cluster/upgrades.py) to the values settle writes. A failed upgrade
    writes nothing of it: the rows still describe the old version, and
    upgrading again retries."""
    operation = operations.get(cluster.operation)
    if operation is None or not operation.settles_changes:
        return
    changes = (cluster.operation_args or {}).get('changes') or {}
    values.update(changes.get('cluster') or {})
    for ng_uuid, ng_values in (changes.get('nodegroups') or {}).items():
        updates[ng_uuid] = dict(updates.get(ng_uuid) or {}, **ng_values)


def _nodegroup_outcomes(cluster, succeeded, reason, outputs):
    """({nodegroup uuid: values}, [uuids of deleted nodegroups])."""
    addresses = outputs.get('nodegroups', {})
    stack_ids = outputs.get('stack_ids', {})
    names = outputs.get('node_names', {})
    updates, gone = {}, []
    for ng in _nodegroups(cluster):
        if ng.status == states.DELETING and succeeded:
            gone.append(ng.uuid)
            continue
        values = {}
        if ng.uuid in addresses:
            values['node_addresses'] = addresses[ng.uuid]
        if ng.uuid in names:
            values['node_names'] = names[ng.uuid]
        if stack_ids.get(ng.uuid):
            values['stack_id'] = stack_ids[ng.uuid]
        if ng.status in states.IN_PROGRESS:
            values['status'] = states.outcome(ng.status, succeeded)
            values['status_reason'] = reason
        if values:
            updates[ng.uuid] = values
    return updates, gone


def poll(context, clusters, observe=None):
    """One status sync of in-progress clusters: their rows loaded at
    once, then each driver tends its clusters (``Driver.tend``: e.g.
    drains) and observes them (only those whose uuids are in
    ``observe``, if given), and what finished is settled."""
    by_driver = {}
    for rows in cluster_rows.load(clusters):
        driver = registry.for_template(rows.template)
        by_driver.setdefault(driver, []).append(rows)
    for driver, group in by_driver.items():
        driver.tend(context, group)
        if observe is not None:
            group = [rows for rows in group if rows.uuid in observe]
            if not group:
                continue
        observations = driver.poll(context, group,
                                   notified=observe is not None)
        for rows in group:
            observation = observations.get(rows.cluster.uuid)
            if observation is not None:
                _carry_on(context, rows.cluster, observation)


def _carry_on(context, cluster, observation):
    """Settle what the driver observed of one cluster, or drive its next
    step. A failure is logged and left to the next cycle: one cluster
    that cannot be settled must not hold up the others."""
    try:
        if _next_step(cluster, observation):
            drive_stored(context, cluster)
        else:
            settle(cluster, observation)
    except Exception:
        LOG.exception('Cluster %s: could not record what its driver '
                      'observed; the next status sync tries again',
                      cluster.uuid)


def _next_step(cluster, observation):
    """Whether a completed deployment was one step of a multi-step
    operation (a CA rotation phase) and the next step is now claimed."""
    operation = operations.get(cluster.operation)
    return (observation.state == base.COMPLETE and
            operation is not None and bool(operation.phases) and
            cluster.status == states.UPDATING and
            certificates.start_next_phase(cluster) is not None)


def admin_context():
    return ml_context.RequestContext.admin()
