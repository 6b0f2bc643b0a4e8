"""A cluster's health from what was seen of it: pure functions.

Magnum's shape: ``health_status`` is HEALTHY, UNHEALTHY or UNKNOWN;
``health_status_reason`` a flat dict of strings, ``{"api": "ok",
"<node>.Ready": "True", "<node>.MemoryPressure": "False", ...}``.

The conductor (conductor/health.py) gathers the facts, these functions
decide, and the conductor writes only what differs from the stored
values.
"""

import dataclasses
import datetime

HEALTHY = 'HEALTHY'
UNHEALTHY = 'UNHEALTHY'
UNKNOWN = 'UNKNOWN'
STATUSES = (HEALTHY, UNHEALTHY, UNKNOWN)

# The node conditions reported, with the status a healthy node has.
CONDITIONS = {'Ready': 'True', 'MemoryPressure': 'False',
              'DiskPressure': 'False', 'PIDPressure': 'False',
              'NetworkUnavailable': 'False'}
# A reason value is a string of at most this many characters.
MAX_VALUE = 255
API = 'api'


@dataclasses.dataclass(frozen=True)
class Health:
    """What the conductor would store: ``status`` and ``reason``."""

    status: str
    reason: dict

    def differs(self, status, reason):
        """Whether this differs from the stored ``status`` and
        ``reason`` (None counts as ``{}``)."""
        return (self.status, self.reason) != (status, reason or {})


def node_conditions(node):
    """{condition type: status} of the conditions we track; Ready is
    ``Unknown`` when the kubelet has not posted it."""
    seen = {c.get('type'): str(c.get('status'))
            for c in (node.get('status') or {}).get('conditions') or ()}
    found = {kind: seen[kind] for kind in CONDITIONS if kind in seen}
    found.setdefault('Ready', 'Unknown')
    return found


def _api_text(ready, text):
    if ready:
        return 'ok'
    # /readyz lists its checks, "[-]" before each that failed.
    failed = [line[3:].strip() for line in text.splitlines()
              if line.startswith('[-]')]
    detail = '; '.join(failed) or text.strip() or 'not ready'
    return f'not ready: {detail}'[:MAX_VALUE]


def bounded(text):
    """``text`` cut to a reason value's length, with ``...`` if cut."""
    return text if len(text) <= MAX_VALUE else \
        text[:MAX_VALUE - 3] + '...'


def _shortfall_text(gap):
    text = f'{gap.registered} of {gap.expected} registered'
    if gap.missing:
        text += f'; not registered: {", ".join(gap.missing)}'
    return bounded(text)


def assess(ready, readyz_text, nodes, matched=None):
    """The :class:`Health` of a reachable cluster: ``ready`` and
    ``readyz_text`` are what ``/readyz`` answered, ``nodes`` the Node
    objects, ``matched`` what ``node_matching.match`` made of them and
    the cluster's nodegroups (None: not matched). Healthy when the API
    is ready, there is a node, no nodegroup is short of nodes, and every
    node is Ready with no pressure and its network available.

    A nodegroup short of nodes says so under ``<nodegroup>.nodes``
    (``"2 of 3 registered; not registered: <server>"``); nodes that are
    no server of ours are named under ``unmanaged_nodes``."""
    reason = {API: _api_text(ready, readyz_text)}
    healthy = ready and bool(nodes)
    if not nodes:
        reason['nodes'] = 'none registered'
    if matched is not None:
        for gap in matched.short.values():
            # A server whose kubelet never registered (or was deleted).
            reason[f'{gap.name}.nodes'] = _shortfall_text(gap)
            healthy = False
        if matched.unmanaged:
            reason['unmanaged_nodes'] = bounded(
                ', '.join(matched.unmanaged))
    for node in nodes:
        name = node['metadata']['name']
        for kind, status in node_conditions(node).items():
            reason[f'{name}.{kind}'] = status
            healthy = healthy and status == CONDITIONS[kind]
    return Health(HEALTHY if healthy else UNHEALTHY, reason)


def stamp(moment):
    """``moment`` (naive UTC) as ISO 8601 to the second, with Z."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + 'Z'


def silent(reported_at, unreachable_since, now, timeout):
    """The :class:`Health` of a cluster whose API the conductor cannot
    reach: UNKNOWN once ``timeout`` seconds have passed both since the
    last report (``reported_at``, None: never) and since the conductor
    first failed to reach it (``unreachable_since``); else None (keep
    what is stored). All times naive UTC."""
    started = max(t for t in (reported_at, unreachable_since) if t)
    if now - started < datetime.timedelta(seconds=timeout):
        return None
    since = stamp(reported_at) if reported_at else 'ever'
    return Health(UNKNOWN, {API: 'unreachable',
                            'report': f'none since {since}'})
