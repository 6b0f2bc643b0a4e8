"""Cluster health from the cluster's own Kubernetes API (a scripted
``harness.fake_kube`` over mutual TLS), on every database backend: what
is written, when, and that an unchanged cycle writes nothing."""

import contextlib
import datetime
import json
import time

import sqlalchemy as sa

from magnum_lite.conductor import health
from magnum_lite.conductor import periodics
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.harness import fake_kube

load_tests = base.load_tests

# A loopback port nothing listens on: an API the conductor cannot reach.
CLOSED = 'https://127.0.0.1:9'
# The nodes of cluster c0 (one master, two workers), named as its
# servers are (the fake driver's stack outputs name them so).
M0, W0, W1 = NODES = ('c0-default-master-0', 'c0-default-worker-0',
                      'c0-default-worker-1')


def nodes_of(name):
    """The node names of the servers of cluster ``name``."""
    return tuple(n.replace('c0-', f'{name}-', 1) for n in NODES)


@contextlib.contextmanager
def cluster_writes():
    """Counts the UPDATEs of the cluster table run inside the block:
    ``with cluster_writes() as writes: ...; writes[0]``."""
    writes = [0]

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith('UPDATE CLUSTER '):
            writes[0] += 1

    engine = db_api.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', count)
    try:
        yield writes
    finally:
        sa.event.remove(engine, 'before_cursor_execute', count)


class HealthTestCase(base.FunctionalTestCase):
    """Clusters built by the fake driver, each with the fake API of its
    own on a free port; the conductor's health periodic is off (the test
    runs the cycles) unless ``health_interval`` says otherwise."""

    with_conductor = False
    health_interval = 0

    health_enabled = True

    def setUp(self):
        super().setUp()
        self.conf.config(interval=self.health_interval, report_timeout=60,
                         enabled=self.health_enabled, group='health')
        self.useFixture(base.Conductor())
        self.create_template()
        self.later = 0       # seconds the monitor's clock is ahead
        self.monitor = health.Monitor(clock=self.clock)

    def clock(self):
        return datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None) + datetime.timedelta(seconds=self.later)

    def clusters_with_api(self, count, nodes=None):
        """[(uuid, FakeKube)] of ``count`` new clusters (built at once),
        each with its API served: nodes ``nodes`` (by default, one per
        server)."""
        uuids = [self.create_cluster(name=f'c{i}', master_count=1,
                                     node_count=2, wait=False)
                 for i in range(count)]
        found = []
        for index, uuid in enumerate(uuids):
            self.wait_for(uuid, 'CREATE_COMPLETE')
            kube = self.useFixture(fake_kube.for_cluster(
                uuid, 'https://127.0.0.1:0', nodes or nodes_of(f'c{index}')))
            db_api.cluster_update(uuid, {'api_address': kube.url})
            found.append((uuid, kube))
        return found

    def cluster_with_api(self):
        """(uuid, FakeKube) of a new cluster whose API is served."""
        return self.clusters_with_api(1)[0]

    def cycle(self):
        return periodics.check_health(self.monitor)

    def health(self, uuid):
        cluster = self.call('GET', f'/v1/clusters/{uuid}').json
        return cluster['health_status'], cluster['health_status_reason']


class TestHealthChecks(HealthTestCase):

    def test_written_only_when_something_changed(self):
        uuid, kube = self.cluster_with_api()
        self.assertIsNone(self.health(uuid)[0])
        self.assertEqual(health.Cycle(1, 1, 1), self.cycle())
        status, reason = self.health(uuid)
        self.assertEqual('HEALTHY', status)
        self.assertEqual('ok', reason['api'])
        self.assertEqual(1 + 5 * len(NODES), len(reason))
        self.assertEqual('True', reason[f'{W1}.Ready'])
        self.assertEqual('False', reason[f'{M0}.MemoryPressure'])
        # The conductor authenticated with its own client certificate.
        self.assertEqual({('magnum-lite-conductor',
                           ('kubeadm:cluster-admins',))},
                         {(r.common_name, r.organizations)
                          for r in kube.requests})

        with cluster_writes() as writes:
            for _ in range(3):
                self.assertEqual(health.Cycle(1, 1, 0), self.cycle())
        self.assertEqual(0, writes[0])

        kube.nodes[W0].conditions['Ready'] = 'False'
        with cluster_writes() as writes:
            self.assertEqual(1, self.cycle().written)
            self.assertEqual(0, self.cycle().written)
        self.assertEqual(1, writes[0])
        status, reason = self.health(uuid)
        self.assertEqual(('UNHEALTHY', 'False', 'True'),
                         (status, reason[f'{W0}.Ready'],
                          reason[f'{W1}.Ready']))

        kube.nodes[W0].conditions['Ready'] = 'True'
        kube.nodes[W1].conditions['DiskPressure'] = 'True'
        self.cycle()
        self.assertEqual(('UNHEALTHY', 'True', 'True'),
                         (self.health(uuid)[0], self.health(uuid)[1][
                             f'{W0}.Ready'], self.health(uuid)[1][
                             f'{W1}.DiskPressure']))

        kube.nodes[W1].conditions['DiskPressure'] = 'False'
        kube.failing_check = 'etcd'
        self.cycle()
        status, reason = self.health(uuid)
        self.assertEqual('UNHEALTHY', status)
        self.assertEqual('not ready: etcd failed: reason withheld',
                         reason['api'])

        kube.failing_check = None
        self.cycle()
        self.assertEqual('HEALTHY', self.health(uuid)[0])

        # A server of the nodegroups whose node is not registered: its
        # nodegroup says which (the names the stack's outputs gave).
        del kube.nodes[W1]
        self.cycle()
        status, reason = self.health(uuid)
        self.assertEqual(
            ('UNHEALTHY', f'1 of 2 registered; not registered: {W1}'),
            (status, reason['default-worker.nodes']))
        self.assertNotIn(f'{W1}.Ready', reason)
        self.assertNotIn('default-master.nodes', reason)

        # It registers; a node that is no server of ours is named, and
        # its conditions count as any node's.
        kube.add_node(W1)
        kube.add_node('joined-by-hand')
        self.cycle()
        status, reason = self.health(uuid)
        self.assertEqual(('HEALTHY', 'joined-by-hand', 'True'),
                         (status, reason.get('unmanaged_nodes'),
                          reason['joined-by-hand.Ready']))
        self.assertNotIn('default-worker.nodes', reason)

    def test_unreachable_turns_unknown_after_report_timeout(self):
        self.conf.config(report_timeout=1, group='health')
        uuid, kube = self.cluster_with_api()
        self.cycle()
        reported_at = db_api.cluster_get(uuid).health_reported_at
        self.assertIsNotNone(reported_at)
        # The API can no longer be reached.
        db_api.cluster_update(uuid, {'api_address': CLOSED})

        with cluster_writes() as writes:
            self.assertEqual(health.Cycle(1, 0, 0), self.cycle())
        self.assertEqual(0, writes[0])
        self.assertEqual('HEALTHY', self.health(uuid)[0])

        self.later = 1
        with cluster_writes() as writes:
            self.assertEqual(health.Cycle(1, 0, 1), self.cycle())
            self.assertEqual(health.Cycle(1, 0, 0), self.cycle())
        self.assertEqual(1, writes[0])
        status, reason = self.health(uuid)
        self.assertEqual('UNKNOWN', status)
        self.assertEqual('unreachable', reason['api'])
        # Since the last successful check (this conductor remembers it).
        self.assertRegex(reason['report'],
                         r'^none since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

    def test_a_report_keeps_an_unreachable_cluster_known(self):
        self.conf.config(report_timeout=60, group='health')
        uuid = self.create_cluster(master_count=1, node_count=1)['uuid']
        db_api.cluster_update(uuid, {'api_address': CLOSED})
        reason = {'api': 'ok', 'c1-node-0.Ready': 'True'}
        self.call('PATCH', f'/v1/clusters/{uuid}', [
            {'op': 'replace', 'path': '/health_status', 'value': 'HEALTHY'},
            {'op': 'replace', 'path': '/health_status_reason',
             'value': json.dumps(reason)}], version='1.10', status=202)
        reported_at = db_api.cluster_get(uuid).health_reported_at
        self.assertIsNotNone(reported_at)
        self.assertEqual(health.Cycle(1, 0, 0), self.cycle())
        self.assertEqual(('HEALTHY', reason), self.health(uuid))

        # The same report again, two seconds later, is a report too.
        time.sleep(2.05)
        self.call('PATCH', f'/v1/clusters/{uuid}', [
            {'op': 'replace', 'path': '/health_status', 'value': 'HEALTHY'}],
            version='1.10', status=202)
        again = db_api.cluster_get(uuid).health_reported_at
        self.assertGreater(again, reported_at)
        # report_timeout after the first report, not yet after the second
        # (times are whole seconds: the gap is at least 2).
        self.later = 60 - (again - reported_at).total_seconds()
        self.assertEqual(0, self.cycle().written)

        self.later = 120
        self.assertEqual(1, self.cycle().written)
        status, reason = self.health(uuid)
        self.assertEqual('UNKNOWN', status)
        self.assertEqual({'api': 'unreachable',
                          'report': f'none since {again.isoformat()}Z'},
                         reason)

    def test_a_report_during_the_cycle_beats_silence(self):
        uuid = self.create_cluster(master_count=1, node_count=1)['uuid']
        db_api.cluster_update(uuid, {'api_address': CLOSED})
        reporting = []

        def observe(cluster, certificates):
            if reporting:   # the cluster reports while it is checked
                self.call('PATCH', f'/v1/clusters/{uuid}', [
                    {'op': 'replace', 'path': '/health_status',
                     'value': 'UNHEALTHY'}], version='1.10', status=202)
            return health.observe(cluster, certificates)

        monitor = health.Monitor(observe=observe, clock=self.clock)
        self.assertEqual(0, periodics.check_health(monitor).written)
        self.later = 120
        reporting.append(True)
        self.assertEqual(0, periodics.check_health(monitor).written)
        self.assertEqual('UNHEALTHY', self.health(uuid)[0])

    def test_each_cluster_checked_by_one_conductor(self):
        """Three live conductors (the fixture's and A and B): in a cycle
        of each, every cluster's API is read exactly once."""
        kubes = [kube for _, kube in self.clusters_with_api(6)]
        hosts = (base.Conductor.host, 'conductor-a', 'conductor-b')
        for host in hosts[1:]:
            db_api.service_heartbeat(host, periodics.BINARY)
        checked = []
        for host in hosts:
            self.conf.config(host=host, group='conductor')
            checked.append(periodics.check_health(health.Monitor()).checked)
        self.assertEqual(6, sum(checked), checked)
        self.assertEqual([1] * 6, [kube.calls().count('GET /readyz')
                                   for kube in kubes])

    def test_clusters_being_built_or_deleted_are_not_checked(self):
        uuid, kube = self.cluster_with_api()
        db_api.cluster_update(uuid, {'status': 'deleting'})
        self.assertEqual(health.Cycle(), self.cycle())
        self.assertEqual([], kube.requests)


class TestHealthPeriodic(HealthTestCase):
    """The conductor's own periodic, every ``health_interval`` seconds."""

    health_interval = 2

    def wait_health(self, uuid, status, timeout):
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.health(uuid)[0] == status:
                return time.monotonic() - started
            time.sleep(0.1)
        self.fail(f'cluster {uuid} not {status} within {timeout} s: '
                  f'{self.health(uuid)}')

    def test_not_ready_node_seen_within_one_interval(self):
        uuid, kube = self.cluster_with_api()
        self.wait_health(uuid, 'HEALTHY', self.health_interval + 5)
        kube.nodes[W1].conditions['Ready'] = 'False'
        # One interval, and the cycle's own time (well under a second).
        self.wait_health(uuid, 'UNHEALTHY', self.health_interval + 1)
        self.assertEqual('False', self.health(uuid)[1][f'{W1}.Ready'])
        kube.nodes[W1].conditions['Ready'] = 'True'
        self.wait_health(uuid, 'HEALTHY', self.health_interval + 1)


class TestHealthDisabled(HealthTestCase):
    """``[health] enabled = false``: no conductor reads any cluster."""

    scenarios = [('sqlite', {'backend': 'sqlite'})]
    health_interval = 1
    health_enabled = False

    def test_no_checks(self):
        uuid, kube = self.cluster_with_api()
        time.sleep(2.5)
        self.assertEqual([], kube.requests)
        self.assertIsNone(self.health(uuid)[0])
