"""Periodic work of a conductor, each job one concern, each on the
clusters this conductor owns on the hash ring."""

import logging

from magnum_lite.conductor import hash_ring
from magnum_lite.conductor import health
from magnum_lite.conductor import provisioning
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)
BINARY = 'magnum-lite-conductor'


def _mine(clusters):
    hosts = db_api.live_hosts(BINARY, db_api.age(
        CONF.conductor.service_down_time))
    if CONF.conductor.host not in hosts:
        hosts.append(CONF.conductor.host)
    mine = set(hash_ring.owned(hosts, CONF.conductor.host,
                               [c.uuid for c in clusters]))
    return [c for c in clusters if c.uuid in mine]


def heartbeat():
    """Tell the others (and /v1/mservices) that this conductor lives."""
    db_api.service_heartbeat(CONF.conductor.host, BINARY)


def sync_status():
    """Let the drivers tend the in-progress clusters (e.g. drain the
    nodes Heat is about to replace), then settle those whose deployments
    finished."""
    clusters = _mine(db_api.clusters_in_progress(driven=True))
    if clusters:
        provisioning.poll(provisioning.admin_context(), clusters)


def redrive_stuck():
    """Drive again operations that no conductor took (a lost cast, a
    conductor that died before handing the work to the driver)."""
    cut_off = db_api.age(CONF.conductor.redrive_after)
    for cluster in _mine(db_api.clusters_in_progress(
            driven=False, claimed_before=cut_off)):
        LOG.info('Re-driving %s of cluster %s', cluster.operation,
                 cluster.uuid)
        provisioning.drive_stored(provisioning.admin_context(), cluster,
                                  wait=0)


def check_health(monitor):
    """Check the health of the built clusters this conductor owns with
    ``monitor`` (a ``conductor.health.Monitor``)."""
    cycle = monitor.check(_mine(db_api.clusters_with_status(
        health.TRACKED)))
    LOG.debug('Health: %d clusters checked, %d reachable, %d written',
              cycle.checked, cycle.reachable, cycle.written)
    return cycle
