"""Health from observations: a table of facts -> status and reason."""

import datetime

import testtools

from magnum_lite.cluster import health


def _node(name, **conditions):
    return {'metadata': {'name': name}, 'status': {'conditions': [
        {'type': kind, 'status': status}
        for kind, status in conditions.items()]}}


GOOD = health.CONDITIONS
READYZ_FAILED = ('[+]ping ok\n[-]etcd failed: reason withheld\n'
                 '[+]log ok\nreadyz check failed')


class TestAssess(testtools.TestCase):

    # (ready, readyz text, nodes, status, reason entries that must hold)
    TABLE = [
        (True, 'ok', [_node('m0', **GOOD), _node('w0', **GOOD)],
         health.HEALTHY, {'api': 'ok', 'm0.Ready': 'True',
                          'w0.DiskPressure': 'False'}),
        (True, 'ok', [_node('m0', **GOOD),
                      _node('w0', **dict(GOOD, Ready='False'))],
         health.UNHEALTHY, {'api': 'ok', 'w0.Ready': 'False'}),
        (True, 'ok', [_node('w0', **dict(GOOD, Ready='Unknown'))],
         health.UNHEALTHY, {'w0.Ready': 'Unknown'}),
        (True, 'ok', [_node('w0', **dict(GOOD, MemoryPressure='True'))],
         health.UNHEALTHY, {'w0.MemoryPressure': 'True'}),
        (True, 'ok', [_node('w0', **dict(GOOD, DiskPressure='True'))],
         health.UNHEALTHY, {'w0.DiskPressure': 'True'}),
        (True, 'ok', [_node('w0', **dict(GOOD, PIDPressure='True'))],
         health.UNHEALTHY, {'w0.PIDPressure': 'True'}),
        (True, 'ok', [_node('w0', **dict(GOOD, NetworkUnavailable='True'))],
         health.UNHEALTHY, {'w0.NetworkUnavailable': 'True'}),
        # A kubelet that has posted nothing yet.
        (True, 'ok', [_node('w0')], health.UNHEALTHY,
         {'w0.Ready': 'Unknown'}),
        # Without NetworkUnavailable (no cloud route controller): fine.
        (True, 'ok', [_node('w0', Ready='True')], health.HEALTHY,
         {'w0.Ready': 'True'}),
        (True, 'ok', [], health.UNHEALTHY, {'nodes': 'none registered'}),
        (False, READYZ_FAILED, [_node('m0', **GOOD)], health.UNHEALTHY,
         {'api': 'not ready: etcd failed: reason withheld',
          'm0.Ready': 'True'}),
        (False, '', [_node('m0', **GOOD)], health.UNHEALTHY,
         {'api': 'not ready: not ready'}),
    ]

    def test_table(self):
        for ready, text, nodes, status, entries in self.TABLE:
            result = health.assess(ready, text, nodes)
            self.assertEqual(status, result.status, (text, nodes))
            for key, value in entries.items():
                self.assertEqual(value, result.reason.get(key),
                                 (key, result.reason))

    def test_only_tracked_conditions_and_strings(self):
        node = _node('w0', **dict(GOOD, KernelDeadlock='True'))
        reason = health.assess(True, 'ok', [node]).reason
        self.assertEqual({'api', 'w0.Ready', 'w0.MemoryPressure',
                          'w0.DiskPressure', 'w0.PIDPressure',
                          'w0.NetworkUnavailable'}, set(reason))
        self.assertTrue(all(isinstance(v, str) for v in reason.values()))

    def test_long_readyz_is_cut(self):
        text = '[-]' + 'x' * 1000
        reason = health.assess(False, text, []).reason
        self.assertEqual(health.MAX_VALUE, len(reason['api']))

    def test_differs(self):
        same = health.assess(True, 'ok', [_node('w0', **GOOD)])
        self.assertFalse(same.differs(same.status, dict(same.reason)))
        self.assertTrue(same.differs(health.UNHEALTHY, same.reason))
        self.assertTrue(same.differs(same.status, None))
        self.assertFalse(health.Health(health.UNKNOWN, {}).differs(
            health.UNKNOWN, None))


class TestSilent(testtools.TestCase):

    NOW = datetime.datetime(2026, 12, 5, 21, 0, 0)

    def ago(self, seconds):
        return self.NOW - datetime.timedelta(seconds=seconds)

    def test_table(self):
        # (reported_at, unreachable_since, timeout, UNKNOWN?, report)
        table = [
            (None, self.ago(10), 60, False, None),
            (None, self.ago(60), 60, True, 'none since ever'),
            (self.ago(30), self.ago(100), 60, False, None),
            (self.ago(100.5), self.ago(100), 60, True,
             'none since 2026-12-05T20:58:19Z'),
            # A conductor that just took the cluster over waits a full
            # timeout before it calls a long-silent cluster UNKNOWN.
            (self.ago(1000), self.ago(5), 60, False, None),
        ]
        for reported, since, timeout, unknown, report in table:
            result = health.silent(reported, since, self.NOW, timeout)
            if not unknown:
                self.assertIsNone(result, (reported, since))
                continue
            self.assertEqual(health.UNKNOWN, result.status)
            self.assertEqual({'api': 'unreachable', 'report': report},
                             result.reason)
