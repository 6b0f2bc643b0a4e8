"""Auto-healing after the health checks (conductor/healing.py), with the
fake driver and a scripted fake Kubernetes API per cluster: when a node
is replaced, and every reason none is (the circuit breaker). The real
Heat replacement is in tests/integration/test_heat_healing.py."""

import http
import time

from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.db import api as db_api
from magnum_lite.tests import fake_driver
from magnum_lite.tests.functional import test_health
from magnum_lite.tests.harness import fake_kube

load_tests = test_health.load_tests

TIMEOUT = 60
LABELS = {'auto_healing_enabled': 'true',
          'auto_healing_unhealthy_timeout': str(TIMEOUT)}


def _names(role, count):
    return [f'c0-default-{role}-{i}' for i in range(count)]


class HealingTestCase(test_health.HealthTestCase):

    def cluster(self, masters=1, workers=3, labels=LABELS):
        """(uuid, FakeKube) of cluster ``c0`` with auto-healing on."""
        nodes = _names('master', masters) + _names('worker', workers)
        uuid = self.create_cluster(name='c0', master_count=masters,
                                   node_count=workers, labels=labels,
                                   wait=False)
        self.wait_for(uuid, 'CREATE_COMPLETE')
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, 'https://127.0.0.1:0', nodes))
        db_api.cluster_update(uuid, {'api_address': kube.url})
        return uuid, kube

    def healing(self, uuid):
        return self.health(uuid)[1].get('auto_healing')

    def repairs(self, uuid):
        """The repairs the driver was handed for the cluster (args)."""
        return [call[2] for call in fake_driver.CALLS
                if call[:2] == (operations.CLUSTER_REPAIR.name, uuid)]

    def past_timeout(self):
        """Cycles now and once the unhealthy time has passed."""
        self.cycle()
        self.later = TIMEOUT + 1
        self.cycle()


class TestRepair(HealingTestCase):

    def test_unhealthy_past_the_timeout_is_replaced(self):
        uuid, kube = self.cluster()
        self.cycle()
        self.assertEqual(('HEALTHY', None),
                         (self.health(uuid)[0], self.healing(uuid)))
        kube.nodes['c0-default-worker-1'].conditions['Ready'] = 'False'
        self.cycle()
        self.assertEqual('UNHEALTHY', self.health(uuid)[0])
        self.assertRegex(self.healing(uuid),
                         r'^waiting: c0-default-worker-1 unhealthy since '
                         r'\S+Z; replaced after 60 s$')
        self.assertEqual([], self.repairs(uuid))

        self.later = TIMEOUT + 1
        self.cycle()
        self.assertEqual([{'nodegroup': self.worker_uuid(uuid),
                           'node': 'c0-default-worker-1', 'role': 'worker',
                           'status_reason': 'Auto-healing: replacing node '
                                            'c0-default-worker-1 '
                                            '(Ready=False)'}],
                         self.repairs(uuid))
        self.assertRegex(self.healing(uuid),
                         r'^replacing c0-default-worker-1 \(Ready=False '
                         r'since \S+Z\)$')
        cluster = self.call('GET', f'/v1/clusters/{uuid}').json
        # Unless the fake driver's deployment finished already.
        if cluster['status'] == 'UPDATE_IN_PROGRESS':
            self.assertEqual('Auto-healing: replacing node '
                             'c0-default-worker-1 (Ready=False)',
                             cluster['status_reason'])
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        # The settled cluster's address is the fake driver's: serve it.
        db_api.cluster_update(uuid, {'api_address': kube.url})
        kube.nodes['c0-default-worker-1'].conditions['Ready'] = 'True'
        self.cycle()
        self.assertEqual(('HEALTHY', None),
                         (self.health(uuid)[0], self.healing(uuid)))
        self.assertEqual(1, len(self.repairs(uuid)))

    def test_a_server_whose_node_never_registers(self):
        """Its server is replaced after the timeout, and no other: not
        the registered nodes, not a NotReady node that is no server of
        ours."""
        uuid, kube = self.cluster()
        missing = 'c0-default-worker-2'
        del kube.nodes[missing]      # its kubelet never registered
        kube.add_node('joined-by-hand').conditions['Ready'] = 'False'
        self.cycle()
        status, reason = self.health(uuid)
        self.assertEqual(
            ('UNHEALTHY', f'2 of 3 registered; not registered: {missing}',
             'joined-by-hand'),
            (status, reason['default-worker.nodes'],
             reason['unmanaged_nodes']))
        self.assertRegex(reason['auto_healing'],
                         rf'^waiting: {missing} unhealthy since \S+Z; '
                         r'replaced after 60 s; not ours, left alone: '
                         r'joined-by-hand$')
        self.assertEqual([], self.repairs(uuid))

        self.later = TIMEOUT + 1
        self.cycle()
        self.assertEqual([{'nodegroup': self.worker_uuid(uuid),
                           'node': missing, 'role': 'worker',
                           'status_reason': 'Auto-healing: replacing node '
                                            f'{missing} (not registered)'}],
                         self.repairs(uuid))
        self.assertRegex(self.healing(uuid),
                         rf'^replacing {missing} \(not registered since '
                         r'\S+Z\); not ours, left alone: joined-by-hand$')
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        db_api.cluster_update(uuid, {'api_address': kube.url})
        # The new server's node registers.
        kube.add_node(missing)
        self.later = 3 * TIMEOUT
        self.cycle()
        status, reason = self.health(uuid)
        self.assertNotIn('default-worker.nodes', reason)
        self.assertEqual('not ours, left alone: joined-by-hand',
                         reason['auto_healing'])
        self.assertEqual([missing], [r['node'] for r in self.repairs(uuid)])

    def worker_uuid(self, uuid):
        return next(ng.uuid for ng in db_api.nodegroups_by_cluster(
            [uuid])[uuid] if ng.name == 'default-worker')

    def test_a_repair_holds_the_cluster_as_any_operation(self):
        uuid, kube = self.cluster()
        # The fake driver's deployments stay in progress from now on.
        db_api.cluster_update(uuid, {'labels': dict(
            LABELS, fake_polls=str(10 ** 6))})
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'False'
        self.past_timeout()
        cluster = self.call('GET', f'/v1/clusters/{uuid}').json
        self.assertEqual(('UPDATE_IN_PROGRESS',
                          'Auto-healing: replacing node c0-default-worker-0 '
                          '(Ready=False)'),
                         (cluster['status'], cluster['status_reason']))
        response = self.call('PATCH', f'/v1/clusters/{uuid}', [
            {'op': 'replace', 'path': '/node_count', 'value': 4}],
            status=http.HTTPStatus.CONFLICT)
        self.assert_error(response, 409)
        # Further checks say what runs and start nothing more.
        kube.nodes['c0-default-worker-1'].conditions['Ready'] = 'False'
        self.later = 3 * TIMEOUT
        self.cycle()
        self.assertEqual('replacing c0-default-worker-0',
                         self.healing(uuid))
        self.assertEqual(1, len(self.repairs(uuid)))

    def test_off_without_the_label(self):
        uuid, kube = self.cluster(labels={})
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'False'
        self.past_timeout()
        self.assertEqual(('UNHEALTHY', None),
                         (self.health(uuid)[0], self.healing(uuid)))
        self.assertEqual([], self.repairs(uuid))


class TestCircuitBreaker(HealingTestCase):

    def test_three_of_five_workers(self):
        uuid, kube = self.cluster(workers=5)
        for name in _names('worker', 3):
            kube.nodes[name].conditions['Ready'] = 'False'
        self.past_timeout()
        self.assertEqual('paused (circuit breaker, max_unhealthy): 3 of 5 '
                         'nodes of default-worker unhealthy, more than 40%',
                         self.healing(uuid))
        self.assertEqual([], self.repairs(uuid))
        self.assertEqual('CREATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{uuid}').json['status'])
        # Two of five: the breaker closes, the longest unhealthy goes.
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'True'
        self.cycle()
        self.assertEqual(['c0-default-worker-1'],
                         [r['node'] for r in self.repairs(uuid)])

    def test_no_master_while_another_master_is_unhealthy(self):
        uuid, kube = self.cluster(masters=5, workers=1)
        for name in ('c0-default-master-1', 'c0-default-master-3'):
            kube.nodes[name].conditions['Ready'] = 'False'
        self.past_timeout()
        self.later = 5 * TIMEOUT
        self.cycle()
        self.assertEqual(
            'paused (circuit breaker, etcd quorum): masters '
            'c0-default-master-1, c0-default-master-3 unhealthy; masters '
            'are replaced one at a time', self.healing(uuid))
        self.assertEqual([], self.repairs(uuid))
        # Master 3 recovers: master 1 alone is replaced.
        kube.nodes['c0-default-master-3'].conditions['Ready'] = 'True'
        self.cycle()
        self.assertEqual([('c0-default-master-1', 'master')],
                         [(r['node'], r['role'])
                          for r in self.repairs(uuid)])

    def test_held_while_another_operation_holds_the_cluster(self):
        uuid, kube = self.cluster()
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'False'
        # A user's update, claimed, not finished.
        db_api.cluster_claim(uuid, states.UPDATE,
                             operations.CLUSTER_UPDATE.name)
        self.past_timeout()
        self.assertEqual('paused (circuit breaker, busy): the cluster is '
                         'busy (UPDATE_IN_PROGRESS (cluster_update))',
                         self.healing(uuid))
        self.assertEqual([], self.repairs(uuid))

    def test_held_while_the_api_cannot_be_reached(self):
        self.conf.config(report_timeout=1, group='health')
        uuid, kube = self.cluster()
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'False'
        self.cycle()
        db_api.cluster_update(uuid, {'api_address': test_health.CLOSED})
        self.later = TIMEOUT + 1
        self.cycle()    # unreachable since now
        self.later += 2
        self.cycle()    # and past report_timeout
        status, reason = self.health(uuid)
        self.assertEqual(('UNKNOWN', 'paused (circuit breaker, api): the '
                          'API is unreachable'),
                         (status, reason['auto_healing']))
        self.assertEqual([], self.repairs(uuid))

    def test_back_off_after_a_failed_repair(self):
        self.conf.config(repair_backoff=600, group='health')
        uuid, kube = self.cluster()
        fake_driver.FAIL_ONCE.add((operations.CLUSTER_REPAIR.name, None))
        self.addCleanup(fake_driver.FAIL_ONCE.clear)
        kube.nodes['c0-default-worker-0'].conditions['Ready'] = 'False'
        self.past_timeout()
        self.wait_until_failed(uuid)
        db_api.cluster_update(uuid, {'api_address': kube.url})
        self.cycle()
        self.assertRegex(self.healing(uuid),
                         r'^paused \(circuit breaker, backoff\): a repair '
                         r'failed; next try after \S+Z$')
        self.assertEqual(1, len(self.repairs(uuid)))
        self.later = 700
        self.cycle()
        self.assertEqual(2, len(self.repairs(uuid)))
        self.wait_for(uuid, 'UPDATE_COMPLETE')

    def wait_until_failed(self, uuid):
        # wait_for stops at a failure: here it is what is awaited.
        for _ in range(150):
            if db_api.cluster_get(uuid).status == states.UPDATE_FAILED:
                return
            time.sleep(0.2)
        self.fail(f'cluster {uuid} not UPDATE_FAILED')
