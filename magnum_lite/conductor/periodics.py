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


def _hosts():
    hosts = db_api.live_hosts(BINARY, db_api.age(
        CONF.conductor.service_down_time))
    if CONF.conductor.host not in hosts:
        hosts.append(CONF.conductor.host)
    return hosts


def _mine(clusters):
    mine = set(hash_ring.owned(_hosts(), CONF.conductor.host,
                               [c.uuid for c in clusters]))
    return [c for c in clusters if c.uuid in mine]


def owner(cluster_uuid):
    """The live conductor that owns the cluster on the hash ring."""
    return hash_ring.owner(_hosts(), cluster_uuid)


def heartbeat():
    """Tell the others (and /v1/mservices) that this conductor lives."""
    db_api.service_heartbeat(CONF.conductor.host, BINARY)


def sync_status(schedule=None):
    """Let the drivers tend the in-progress clusters (e.g. drain the
    nodes Heat is about to replace), then settle those whose deployments
    finished: all of them, or those ``schedule`` (a
    ``stack_events.Schedule``, with Heat's notifications) says are due."""
    clusters = _mine(db_api.clusters_in_progress(driven=True))
    observe = schedule.due([c.uuid for c in clusters]) if schedule else None
    if clusters:
        provisioning.poll(provisioning.admin_context(), clusters,
                          observe=observe)
    if schedule:
        schedule.after_sync()


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
