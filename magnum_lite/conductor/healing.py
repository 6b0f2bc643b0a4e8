"""Auto-healing by the conductors: after each health check of a cluster
whose label ``auto_healing_enabled`` is true, decide (cluster/healing.py)
and start the repair chosen.

A repair is the operation ``cluster_repair`` (cluster/operations.py),
claimed as the API claims any operation (compare-and-set on the status),
so a user's operation and a repair exclude each other: while it runs the
cluster is UPDATE_IN_PROGRESS, with a status_reason naming the node, and
the API answers 409 as for any busy cluster. The conductor that claimed
it drives it at once (the stuck-work periodic would otherwise); Heat
replaces the node (drivers/heat/replacements.py) and the status sync
settles it as any update.

Since when a node is unhealthy is remembered by the conductor that checks
the cluster, in memory: a restarted conductor, or a cluster that moves to
another one on the hash ring, counts again from its first check, which
delays a repair and never hastens one.
"""

import logging
import threading

from magnum_lite.cluster import healing
from magnum_lite.cluster import health
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conductor import provisioning
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)
REPAIR = operations.CLUSTER_REPAIR


def _api(facts):
    if facts is None:
        return 'unreachable'
    return 'ok' if facts.ready else 'not ready'


def _state(cluster):
    """``{busy, repairing, failed_repair_at, last_repair}`` of a cluster
    row, as ``healing.View`` has them."""
    ours = cluster.operation == REPAIR.name
    node = (cluster.operation_args or {}).get('node') or '(unknown node)'
    started = cluster.operation_started_at
    shown = states.magnum_status(cluster.status)
    if cluster.status in states.IN_PROGRESS:
        return {'repairing': node} if ours else \
            {'busy': f'{shown} ({cluster.operation})'}
    if cluster.status not in REPAIR.allowed:
        return {'busy': shown}
    if cluster.status == states.UPDATE_FAILED:
        return {'failed_repair_at': started} if ours else \
            {'busy': f'{shown} after {cluster.operation}'}
    return {'last_repair': (node, started)} if ours else {}


def drive(cluster_uuid):
    """Drive a claimed repair here and now (the default way a
    :class:`Healer` starts one)."""
    provisioning.drive(provisioning.admin_context(), cluster_uuid, REPAIR,
                       wait=0)


class Healer:
    """The auto-healing of one conductor's health checks."""

    def __init__(self, start=drive):
        """``start(cluster uuid)`` drives a claimed repair."""
        self._start = start
        self._lock = threading.Lock()
        self._since = {}    # {cluster uuid: {node: unhealthy since}}

    def review(self, cluster, facts, nodegroups, found, now,
               matched=None):
        """What to store of ``cluster`` after a check that saw ``facts``
        (None: its API was not reached), matched its nodes to
        ``nodegroups`` as ``matched`` (a ``node_matching.Match``; None:
        not matched) and assessed ``found`` (a ``health.Health``; None:
        keep what is stored): ``found`` with the auto-healing decision
        under ``healing.KEY`` when auto-healing is on. Starts the repair
        the decision chooses; a server whose node is not registered is
        unhealthy as a NotReady node is."""
        settings = healing.settings(cluster.labels,
                                    CONF.health.max_unhealthy,
                                    CONF.health.repair_backoff)
        if not settings.enabled:
            with self._lock:
                self._since.pop(cluster.uuid, None)
            return found
        state = _state(cluster)
        if 'repairing' in state:
            # Its replacement's time counts from its first check after
            # the repair, not from the old node's.
            with self._lock:
                self._since.get(cluster.uuid, {}).pop(state['repairing'],
                                                      None)
        view = healing.View(
            cluster.name, tuple(nodegroups),
            self._track(cluster.uuid, facts, now, matched), api=_api(facts),
            owners=None if matched is None else matched.owners, **state)
        decision = healing.decide(view, settings, now)
        if decision is not None and decision.node:
            decision = self._repair(cluster, decision, view)
        if decision is None:
            return found
        if found is None:
            found = health.Health(cluster.health_status or health.UNKNOWN,
                                  dict(cluster.health_status_reason or {}))
        return health.Health(found.status, dict(
            found.reason, **{healing.KEY: decision.reason}))

    def _track(self, uuid, facts, now, matched):
        """``{node: (unhealthy since, what is wrong)}`` of a cluster, the
        times remembered from earlier checks; {} when nothing was seen.
        A server's node that is not registered counts from the first
        check that found it missing."""
        if facts is None:
            return {}
        wrong = healing.unhealthy(facts.nodes)
        if matched is not None:
            wrong.update(dict.fromkeys(matched.missing(),
                                       healing.NOT_REGISTERED))
        with self._lock:
            before = self._since.get(uuid, {})
            since = self._since[uuid] = {name: before.get(name, now)
                                         for name in wrong}
        return {name: (since[name], wrong[name]) for name in wrong}

    def _repair(self, cluster, decision, view):
        """Claim and start the repair of ``decision``; returns what to
        say of it."""
        detail = view.sick[decision.node][1]
        args = {'nodegroup': decision.nodegroup, 'node': decision.node,
                'role': decision.role,
                'status_reason': f'Auto-healing: replacing node '
                                 f'{decision.node} ({detail})'}
        try:
            db_api.cluster_claim(
                cluster.uuid, REPAIR.event, REPAIR.name, args=args,
                values={'status_reason': args['status_reason']},
                allowed=REPAIR.allowed & {cluster.status})
        except exception.ClusterBusy as busy:
            return healing.Decision(
                'paused (circuit breaker, busy): the cluster is busy '
                f'({busy.kwargs["status"]})')
        except exception.ClusterNotFound:
            return None
        LOG.info('Cluster %s: auto-healing %s', cluster.uuid,
                 decision.reason)
        self._start(cluster.uuid)
        return decision

    def forget_others(self, uuids):
        """Drop what is remembered of clusters not in ``uuids``."""
        with self._lock:
            for uuid in set(self._since) - set(uuids):
                del self._since[uuid]
