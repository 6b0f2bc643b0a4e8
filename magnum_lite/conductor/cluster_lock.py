"""The per-cluster lock: one conductor at a time works on a cluster."""

import contextlib
import logging
import threading
import time

from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)
# The clusters this process's threads hold. The database lock is per
# conductor host; within the host, its RPC handlers and periodics must
# not work on one cluster at once either (a re-drive racing a slow
# first drive created a stack twice).
_HELD = set()
_HELD_LOCK = threading.Lock()


def _hold(cluster_uuid):
    with _HELD_LOCK:
        if cluster_uuid in _HELD:
            return False
        _HELD.add(cluster_uuid)
        return True


def _let_go(cluster_uuid):
    with _HELD_LOCK:
        _HELD.discard(cluster_uuid)


@contextlib.contextmanager
def locked(cluster_uuid, purpose, wait=0.0):
    """Hold the cluster lock for ``purpose``; raise ClusterLocked if
    another live conductor holds it for longer than ``wait`` seconds.

    The lock is a reservation column taken by a conditional UPDATE, so it
    survives nothing but the conductor's heartbeats: the lock of a
    conductor that stopped heartbeating is broken by the next taker.
    """
    host = CONF.conductor.host
    stale_before = db_api.age(CONF.conductor.service_down_time)
    deadline = time.monotonic() + wait
    while not _hold(cluster_uuid):
        _wait_or_give_up(cluster_uuid, deadline, 'this conductor')
    try:
        while not db_api.cluster_reserve(cluster_uuid, host, stale_before):
            _wait_or_give_up(cluster_uuid, deadline, 'another conductor')
        LOG.debug('Locked cluster %s for %s', cluster_uuid, purpose)
        try:
            yield
        finally:
            db_api.cluster_release(cluster_uuid, host)
    finally:
        _let_go(cluster_uuid)


def _wait_or_give_up(cluster_uuid, deadline, holder):
    if time.monotonic() >= deadline:
        raise exception.ClusterLocked(cluster=cluster_uuid, host=holder)
    time.sleep(0.2)


def release_previous_run():
    """Release the locks this conductor's ``host`` holds, at start-up.

    Nothing of this process holds a lock yet, so they are a previous run's
    (killed or crashed mid-operation). Once this host heartbeats again its
    locks would count as live, and the clusters the hash ring gives to
    another conductor would stay locked for good.
    """
    host = CONF.conductor.host
    released = db_api.cluster_release_host(host)
    if released:
        LOG.info('Released %d cluster locks a previous run of %s held',
                 released, host)
