"""Auto-healing decisions: which unhealthy node to replace now, or why
none. Pure functions over what a health check saw; the conductor
(conductor/healing.py) gathers the facts, remembers since when each node
is unhealthy and claims the repair these functions choose.

Opt-in per cluster with Magnum's label ``auto_healing_enabled``. A node
is unhealthy when one of its conditions (``health.CONDITIONS``) is not as
a healthy node has it, or when it is a server of ours whose node is not
registered (``node_matching``: its kubelet never joined, or its Node
object is gone); it is replaced once it has been so for
``auto_healing_unhealthy_timeout`` seconds. A node that is no server of
ours is never replaced. The circuit breaker, each rule
named in the reason it gives:

- ``api``: no repair while the cluster's API cannot be reached or is not
  ready: nothing could be drained, and what is seen cannot be trusted;
- ``busy``: no repair while an operation holds the cluster (the repair is
  claimed as any operation is, so a user's operation and a repair exclude
  each other);
- ``max_unhealthy``: no node of a nodegroup is replaced while more than
  that percentage of its nodes is unhealthy (Cluster API's
  MachineHealthCheck rule: widespread trouble is not fixed by replacing
  servers);
- ``etcd quorum``: masters are replaced one at a time, never while
  another master is unhealthy, and only where the others keep etcd's
  quorum (three masters or more);
- ``backoff``: after a failed repair (Heat failed it, or the node it
  replaced is unhealthy again), none until ``[health] repair_backoff``
  has passed since it started.

Every decision is a :class:`Decision`; its ``reason`` goes into
``health_status_reason`` under ``auto_healing``.
"""

import dataclasses
import datetime

from magnum_lite.cluster import health
from magnum_lite.cluster import labels as label_table
from magnum_lite.cluster import node_matching

KEY = 'auto_healing'
ENABLED = 'auto_healing_enabled'
TIMEOUT = 'auto_healing_unhealthy_timeout'
MAX_UNHEALTHY = 'auto_healing_max_unhealthy'
MASTER = 'master'
# What is wrong with a server of ours whose node is not registered.
NOT_REGISTERED = 'not registered'


@dataclasses.dataclass(frozen=True)
class Settings:
    """A cluster's auto-healing settings: its labels over the options."""

    enabled: bool
    timeout: int          # seconds unhealthy before a node is replaced
    max_unhealthy: int    # percent of a nodegroup
    backoff: int          # seconds after a failed repair started


def settings(cluster_labels, max_unhealthy, backoff):
    """The :class:`Settings` of a cluster with labels ``cluster_labels``;
    ``max_unhealthy`` and ``backoff`` are the ``[health]`` options."""
    limit = label_table.read(cluster_labels, MAX_UNHEALTHY)
    return Settings(label_table.read(cluster_labels, ENABLED),
                    label_table.read(cluster_labels, TIMEOUT),
                    max_unhealthy if limit is None else limit, backoff)


@dataclasses.dataclass(frozen=True)
class View:
    """What the conductor knows of a cluster when it decides.

    ``api``: ``ok``, ``unreachable`` or ``not ready``. ``busy``: the
    operation in progress, None if none. ``repairing``: the node an
    auto-healing repair in progress replaces. ``failed_repair_at``: when
    the failed repair the cluster's state comes from started, else None.
    ``last_repair``: ``(node, started at)`` of the repair the cluster's
    state comes from when it completed: if that node is unhealthy again,
    the repair failed as surely as one Heat failed.
    ``sick``: ``{node name: (unhealthy since, what is wrong)}``.
    ``nodegroups``: rows with ``uuid``, ``name``, ``role``,
    ``node_count``. ``owners``: ``{node name: nodegroup uuid}`` of our
    servers (``node_matching.Match.owners``); None: by name pattern.
    """

    cluster_name: str
    nodegroups: tuple
    sick: dict
    api: str = 'ok'
    busy: str = None
    repairing: str = None
    failed_repair_at: datetime.datetime = None
    last_repair: tuple = None
    owners: dict = None


@dataclasses.dataclass(frozen=True)
class Decision:
    """``reason`` for ``health_status_reason``; ``node`` the node to
    replace now (None: no repair), of nodegroup ``nodegroup`` (uuid)
    whose role is ``role``."""

    reason: str
    node: str = None
    nodegroup: str = None
    role: str = None


def unhealthy(nodes):
    """``{node name: what is wrong}`` of the Node objects ``nodes`` that
    are not healthy, e.g. ``{'c-w-1': 'Ready=False'}``."""
    found = {}
    for node in nodes:
        wrong = [f'{kind}={status}' for kind, status
                 in health.node_conditions(node).items()
                 if status != health.CONDITIONS[kind]]
        if wrong:
            found[node['metadata']['name']] = ', '.join(wrong)
    return found


def nodegroup_of(view, node):
    """The nodegroup row of ``view`` whose server ``node`` is, or None:
    by ``view.owners``, else by the name pattern."""
    if view.owners is None:
        return node_matching.by_name_pattern(view.cluster_name,
                                             view.nodegroups, node)
    uuid = view.owners.get(node)
    return next((ng for ng in view.nodegroups if ng.uuid == uuid), None)


def decide(view, settings, now):
    """The :class:`Decision` for a cluster (``view``, a :class:`View`)
    at ``now`` (naive UTC), or None when there is nothing to say (no
    unhealthy node, nothing under way)."""
    held = _held(view, settings, now)
    if held is not None:
        return Decision(health.bounded(held))
    if not view.sick:
        return None
    by_group, notes = _grouped(view)
    candidates = []
    for ng, sick in by_group:
        blocked = _breaker(ng, sick, view, settings)
        if blocked:
            notes.append(blocked)
        else:
            candidates += [(since, name, ng) for name, since in sick]
    due = sorted(c for c in candidates
                 if now - c[0] >= datetime.timedelta(seconds=settings.timeout))
    if not due:
        waiting = [f'{name} unhealthy since {health.stamp(since)}'
                   for since, name, _ in sorted(candidates)]
        if waiting:
            notes.insert(0, f'waiting: {", ".join(waiting)}; replaced after '
                            f'{settings.timeout} s')
        return Decision(health.bounded('; '.join(notes)))
    since, name, ng = due[0]
    reason = (f'replacing {name} ({view.sick[name][1]} since '
              f'{health.stamp(since)})')
    return Decision(health.bounded('; '.join([reason] + notes)), name, ng.uuid,
                    ng.role)


def _held(view, settings, now):
    """The reason no repair may start in the cluster at all, or None."""
    if view.repairing:
        return f'replacing {view.repairing}'
    if view.api != 'ok':
        return f'paused (circuit breaker, api): the API is {view.api}'
    if not view.sick:
        return None
    if view.busy:
        return (f'paused (circuit breaker, busy): the cluster is busy '
                f'({view.busy})')
    failed, what = view.failed_repair_at, 'a repair failed'
    if failed is None and view.last_repair and \
            view.last_repair[0] in view.sick:
        failed = view.last_repair[1]
        what = f'the replacement of {view.last_repair[0]} is unhealthy'
    if failed is not None:
        after = failed + datetime.timedelta(seconds=settings.backoff)
        if now < after:
            return (f'paused (circuit breaker, backoff): {what}; next try '
                    f'after {health.stamp(after)}')
    return None


def _grouped(view):
    """``([(nodegroup, [(name, since)])], notes)``: the unhealthy nodes
    by nodegroup, and a note on those that are no server of ours."""
    groups, strangers = {}, []
    for name, (since, _) in sorted(view.sick.items()):
        ng = nodegroup_of(view, name)
        if ng is None:
            strangers.append(name)
        else:
            groups.setdefault(ng.uuid, (ng, []))[1].append((name, since))
    notes = [f'not ours, left alone: {", ".join(strangers)}'] \
        if strangers else []
    return list(groups.values()), notes


def _breaker(ng, sick, view, settings):
    """Why no node of nodegroup ``ng`` (its unhealthy ``sick``) may be
    replaced, or None."""
    total = max(ng.node_count or 0, 1)
    if len(sick) * 100 > settings.max_unhealthy * total:
        return (f'paused (circuit breaker, max_unhealthy): {len(sick)} of '
                f'{total} nodes of {ng.name} unhealthy, more than '
                f'{settings.max_unhealthy}%')
    if ng.role != MASTER:
        return None
    if len(sick) > 1:
        return (f'paused (circuit breaker, etcd quorum): masters '
                f'{", ".join(name for name, _ in sick)} unhealthy; masters '
                'are replaced one at a time')
    if total - 1 < total // 2 + 1:
        return (f'paused (circuit breaker, etcd quorum): replacing '
                f'{sick[0][0]} would leave {total - 1} of {total} etcd '
                'members, below quorum')
    return None
