"""A cluster driver for functional tests: deployments finish on the next
poll. Lives in tests only; production never falls back to it.

Labels steer it: ``fake_fail=<text>`` makes the deployment fail with that
reason (repeated ``fake_fail_repeat=<n>`` times, for reasons longer than
a label may be); ``fake_polls=<n>`` keeps it in progress for n polls; a
template with ``fake_invalid=<text>`` is refused by ``validate`` (Invalid).
A test can also put ``(operation, phase)`` in ``FAIL_ONCE``: the next
update of that operation and phase (``args['phase']``, a CA rotation's)
fails once.
"""

import threading

from magnum_lite.common import exception
from magnum_lite.drivers import base

_LOCK = threading.Lock()
CALLS = []
FAIL_ONCE = set()
# Callables a test adds: each is called with every recorded call, in the
# conductor's thread, before the driver returns.
HOOKS = []


def _record(*call):
    with _LOCK:
        CALLS.append(call)
    for hook in list(HOOKS):
        hook(call)


class FakeDriver(base.Driver):
    """Records calls; reports deployments complete with fake addresses."""

    def __init__(self):
        self._polls = {}
        self._failing = {}

    def validate(self, template):
        reason = (template.get('labels') or {}).get('fake_invalid')
        if reason:
            raise exception.Invalid(reason=reason)

    def create_cluster(self, context, rows):
        _record('create', rows.uuid)
        return f'fake-{rows.uuid}'

    def update_cluster(self, context, rows, operation, args):
        _record(operation.name, rows.uuid, dict(args))
        step = (operation.name, args.get('phase'))
        with _LOCK:
            if step in FAIL_ONCE:
                FAIL_ONCE.discard(step)
                self._failing[rows.uuid] = f'{step[0]} {step[1]} failed'

    def delete_cluster(self, context, rows):
        _record('delete', rows.uuid)

    def tend(self, context, clusters):
        _record('tend', tuple(rows.uuid for rows in clusters))

    def poll(self, context, clusters, notified=False):
        _record('poll', tuple(rows.uuid for rows in clusters))
        return {rows.uuid: self._observe(rows) for rows in clusters}

    def _observe(self, rows):
        cluster = rows.cluster
        labels = cluster.labels or {}
        seen = self._polls[cluster.uuid] = self._polls.get(cluster.uuid,
                                                           0) + 1
        if seen <= int(labels.get('fake_polls', 0)):
            return base.Observation(base.IN_PROGRESS)
        with _LOCK:
            failing = self._failing.pop(cluster.uuid, None)
        if failing:
            return base.Observation(base.FAILED, failing)
        if labels.get('fake_fail'):
            return base.Observation(base.FAILED, labels['fake_fail'] * int(
                labels.get('fake_fail_repeat', 1)))
        addresses, names = {}, {}
        for index, ng in enumerate(rows.nodegroups):
            addresses[ng.uuid] = [f'127.0.{index}.{n + 10}'
                                  for n in range(ng.node_count)]
            # Named as the Heat templates name servers.
            names[ng.uuid] = [f'{cluster.name}-{ng.name}-{n}'
                              for n in range(ng.node_count)]
        return base.Observation(base.COMPLETE, 'Stack completed', {
            'api_address': 'https://127.0.0.5:6443',
            'coe_version': 'v1.31.1',
            'nodegroups': addresses, 'node_names': names})
