"""Health checks of the clusters a conductor owns: read each cluster's
Kubernetes API, decide with ``cluster.health``, write what changed.

Reading is thin I/O (``/readyz`` and the node list, with the conductor's
client certificate and ``[health] timeout``), a few clusters at a time
(``[health] workers``). The nodes seen are matched to the nodegroups'
servers by name (``cluster.node_matching``), from the server names the
status sync stored from the stacks' outputs: no Heat call per check. A
cluster whose API cannot be reached keeps what it reported itself
(PATCH /v1/clusters/{id}) until ``[health] report_timeout`` has passed
without a report; then it is UNKNOWN, and the reason says since when.
Nothing is written in a cycle that changed nothing. After each check,
auto-healing (conductor/healing.py) adds its decision and may start a
repair.
"""

import concurrent.futures
import dataclasses
import logging
import threading

from oslo_utils import timeutils

from magnum_lite.cluster import health
from magnum_lite.cluster import kubernetes_access
from magnum_lite.cluster import node_matching
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conductor import healing
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)

# Clusters whose API exists: built, and not being deleted.
TRACKED = frozenset({states.CREATED, states.UPDATED, states.UPDATING,
                     states.UPDATE_FAILED})


@dataclasses.dataclass(frozen=True)
class Cycle:
    """What one check cycle did: clusters ``checked``, of which
    ``reachable``, and health rows ``written``."""

    checked: int = 0
    reachable: int = 0
    written: int = 0


@dataclasses.dataclass(frozen=True)
class Facts:
    """What a cluster's API said: ``/readyz`` (``ready``, ``text``) and
    its Node objects."""

    ready: bool
    text: str
    nodes: list


def observe(cluster, certificates):
    """The :class:`Facts` of a reachable cluster, or None when its API
    cannot be reached (or answers the node list with an error)."""
    try:
        with kubernetes_access.connect(
                cluster, certificates, timeout=CONF.health.timeout) as kube:
            ready, text = kube.readyz()
            return Facts(ready, text, kube.list_nodes())
    except exception.KubernetesUnavailable as err:
        LOG.debug('Health of cluster %s: %s', cluster.uuid, err)
        return None


def _match(cluster, facts, nodegroups):
    """The ``node_matching.Match`` of what was seen of a cluster; None
    if nothing was."""
    if facts is None:
        return None
    return node_matching.match(
        cluster.name, nodegroups,
        [node['metadata']['name'] for node in facts.nodes])


def _nodegroups(cluster_uuids):
    """{cluster uuid: its nodegroups (what matching and auto-healing
    read of them)}."""
    return db_api.nodegroups_by_cluster(
        cluster_uuids,
        columns=('uuid', 'name', 'role', 'node_count', 'node_names'))


class Monitor:
    """The health checks of one conductor. It remembers, per cluster,
    when it last reached the API and since when it has failed to, so
    that a silent cluster turns UNKNOWN only after ``report_timeout``."""

    def __init__(self, observe=observe, clock=timeutils.utcnow,
                 healer=None):
        """``observe(cluster, certificates)`` reads one cluster's
        :class:`Facts` (see :func:`observe`); ``clock()`` is now, naive
        UTC; ``healer`` the auto-healing (``healing.Healer``, a new one
        by default)."""
        self._observe = observe
        self._clock = clock
        self._healer = healer or healing.Healer()
        self._lock = threading.Lock()
        self._last_ok = {}
        self._unreachable_since = {}

    def check(self, clusters):
        """Check ``clusters`` (rows, see :data:`TRACKED`) once; write the
        health of those whose health changed. Returns a :class:`Cycle`."""
        if not clusters:
            return Cycle()
        uuids = [c.uuid for c in clusters]
        certificates = db_api.certificates_by_cluster(uuids)
        nodegroups = _nodegroups(uuids)
        workers = min(CONF.health.workers, len(clusters))
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            seen = list(pool.map(
                lambda c: self._observe(c, certificates[c.uuid]), clusters))
        # To the second, as the database keeps report times.
        now = self._clock().replace(microsecond=0)
        written = sum(
            self._settle(cluster, facts, nodegroups[cluster.uuid], now)
            for cluster, facts in zip(clusters, seen, strict=True))
        self._forget_others({c.uuid for c in clusters})
        self._healer.forget_others({c.uuid for c in clusters})
        return Cycle(len(clusters), sum(s is not None for s in seen),
                     written)

    def _settle(self, cluster, facts, nodegroups, now):
        """Decide and, if it changed, write one cluster's health (with
        auto-healing's decision, which may start a repair); returns 1 for
        a write, else 0."""
        matched = _match(cluster, facts, nodegroups)
        found = None if facts is None else health.assess(
            facts.ready, facts.text, facts.nodes, matched)
        silence = found is None
        with self._lock:
            if not silence:
                self._last_ok[cluster.uuid] = now
                self._unreachable_since.pop(cluster.uuid, None)
                reported_at = now
            else:
                found = health.silent(
                    self._last_report(cluster),
                    self._unreachable_since.setdefault(cluster.uuid, now),
                    now, CONF.health.report_timeout)
                # UNKNOWN is no report: the time stays the last one's.
                reported_at = cluster.health_reported_at
        found = self._healer.review(cluster, facts, nodegroups, found, now,
                                    matched)
        if found is None or not found.differs(cluster.health_status,
                                              cluster.health_status_reason):
            return 0
        # A report that came in during the cycle beats silence.
        if not db_api.cluster_health_update(
                cluster.uuid, found.status, found.reason, reported_at,
                unless_reported=silence):
            return 0
        LOG.info('Cluster %s is %s: %s', cluster.uuid, found.status,
                 found.reason)
        return 1

    def _last_report(self, cluster):
        times = [t for t in (cluster.health_reported_at,
                             self._last_ok.get(cluster.uuid)) if t]
        return max(times) if times else None

    def _forget_others(self, uuids):
        """Drop what is remembered of clusters no longer checked here."""
        with self._lock:
            for memory in (self._last_ok, self._unreachable_since):
                for uuid in set(memory) - uuids:
                    del memory[uuid]
