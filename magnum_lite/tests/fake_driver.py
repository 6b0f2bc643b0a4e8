"""A cluster driver for functional tests: deployments finish on the next
poll. Lives in tests only; production never falls back to it.

Labels steer it: ``fake_fail=<text>`` makes the deployment fail with that
reason; ``fake_polls=<n>`` keeps it in progress for n polls. A test can
also put ``(operation, phase)`` in ``FAIL_ONCE``: the next update of that
operation and phase (``args['phase']``, a CA rotation's) fails once.
"""

import threading

from magnum_lite.drivers import base

_LOCK = threading.Lock()
CALLS = []
FAIL_ONCE = set()


def _record(*call):
    with _LOCK:
        CALLS.append(call)


class FakeDriver(base.Driver):
    """Records calls; reports deployments complete with fake addresses."""

    def __init__(self):
        self._polls = {}
        self._failing = {}

    def create_cluster(self, context, cluster, nodegroups):
        _record('create', cluster.uuid)
        return f'fake-{cluster.uuid}'

    def update_cluster(self, context, cluster, nodegroups, operation, args):
        _record(operation, cluster.uuid, dict(args))
        step = (operation, args.get('phase'))
        with _LOCK:
            if step in FAIL_ONCE:
                FAIL_ONCE.discard(step)
                self._failing[cluster.uuid] = f'{step[0]} {step[1]} failed'

    def delete_cluster(self, context, cluster, nodegroups):
        _record('delete', cluster.uuid)

    def poll(self, context, clusters):
        _record('poll', tuple(c.uuid for c in clusters))
        return {c.uuid: self._observe(c) for c in clusters}

    def _observe(self, cluster):
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
            return base.Observation(base.FAILED, labels['fake_fail'])
        from magnum_lite.db import api as db_api
        nodegroups = db_api.nodegroups_by_cluster([cluster.uuid])[
            cluster.uuid]
        addresses = {}
        for index, ng in enumerate(nodegroups):
            addresses[ng.uuid] = [f'127.0.{index}.{n + 10}'
                                  for n in range(ng.node_count)]
        return base.Observation(base.COMPLETE, 'Stack completed', {
            'api_address': 'https://127.0.0.5:6443',
            'coe_version': 'v1.31.1',
            'nodegroups': addresses})
