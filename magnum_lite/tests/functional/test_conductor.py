"""The conductor over real RabbitMQ: lost casts, dead conductors, stale
messages."""

import logging
import os
import time

import fixtures
from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from magnum_lite.api import work
from magnum_lite.common import exception
from magnum_lite.common import rpc
from magnum_lite.common import states
from magnum_lite.common import status_reason
from magnum_lite.conductor import hash_ring
from magnum_lite.conductor import periodics
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import rabbitmq

load_tests = base.load_tests
# How long the broker stays down (the fault suite's soak runs longer).
OUTAGE = int(os.environ.get('MAGNUM_LITE_BROKER_OUTAGE', '10'))


class TestLostWork(base.FunctionalTestCase):

    with_conductor = False

    def setUp(self):
        super().setUp()
        self.conf.config(transport_url=base.services.transport_url())
        self.conf.config(topic='nobody-listens-here', group='conductor')
        self.create_template()

    def _start_conductor(self):
        self.conf.config(redrive_after=1, redrive_interval=1,
                         group='conductor')
        self.useFixture(base.Conductor())

    def test_lost_create_cast_is_redriven(self):
        uuid = self.create_cluster(wait=False)
        self.assertEqual('CREATE_IN_PROGRESS',
                         self.call('GET', f'/v1/clusters/{uuid}')
                         .json['status'])
        self._start_conductor()
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE')
        self.assertEqual(3, len(cluster['master_addresses']))
        creates = [c for c in fake_driver.CALLS if c[0] == 'create']
        self.assertEqual([('create', uuid)], creates)

    def test_create_while_the_broker_is_down(self):
        # A cast to a broker that does not answer is given up at once
        # (oslo.messaging would retry it for ever, holding the request).
        rpc.cleanup()
        work.reset()
        self.conf.config(transport_url='rabbit://guest:guest@127.0.0.1:'
                         f'{heat_harness.heatctl.local.free_port()}/')
        self.addCleanup(rpc.cleanup)
        self.addCleanup(work.reset)
        t0 = time.monotonic()
        uuid = self.create_cluster(wait=False)
        self.assertLess(time.monotonic() - t0, 20)
        rpc.cleanup()
        work.reset()
        self.conf.config(transport_url=base.services.transport_url())
        self._start_conductor()
        self.wait_for(uuid, 'CREATE_COMPLETE')
        self.assertEqual([('create', uuid)], [
            c for c in fake_driver.CALLS if c[0] == 'create'])

    def test_lock_of_dead_conductor_is_broken(self):
        uuid = self.create_cluster(wait=False)
        db_api.service_heartbeat('dead-conductor', 'magnum-lite-conductor')
        self.assertTrue(db_api.cluster_reserve(uuid, 'dead-conductor',
                                               db_api.age(60)))
        # The dead conductor's last heartbeat ages past service_down_time.
        self.conf.config(service_down_time=1, group='conductor')
        self._start_conductor()
        self.wait_for(uuid, 'CREATE_COMPLETE')
        self.assertIsNone(db_api.cluster_get(uuid).reservation)


class TestServiceOutage(base.FunctionalTestCase):
    """Heat (or Keystone) not answering when a step starts: the cluster
    waits in progress, saying why, instead of failing."""

    with_conductor = False

    def setUp(self):
        super().setUp()
        self.conf.config(transport_url=base.services.transport_url())
        self.conf.config(redrive_after=1, redrive_interval=1,
                         group='conductor')
        self.create_template()
        self.outage = {'create': 2}
        fake_driver.HOOKS.append(self._down)
        self.addCleanup(fake_driver.HOOKS.remove, self._down)

    def _down(self, call):
        if self.outage.get(call[0], 0) > 0:
            self.outage[call[0]] -= 1
            raise exception.ServiceUnavailable(reason='Heat is down')

    def test_create_waits_for_heat_then_completes(self):
        seen = []
        fake_driver.HOOKS.append(lambda call: seen.append(
            db_api.cluster_get(call[1]).status_reason)
            if call[0] == 'create' else None)
        self.useFixture(base.Conductor())
        uuid = self.create_cluster(wait=False)
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE')
        creates = [c for c in fake_driver.CALLS if c[0] == 'create']
        self.assertEqual(3, len(creates))
        # The retries saw the outage's reason; the outcome replaced it.
        self.assertIn('Heat is down; retrying every 1 s', seen[-1])
        self.assertEqual('Stack completed', cluster['status_reason'])

    def test_create_fails_once_patience_runs_out(self):
        self.conf.config(outage_patience=0, group='conductor')
        self.useFixture(base.Conductor())
        uuid = self.create_cluster(wait=False)
        cluster = self.wait_for(uuid, 'CREATE_FAILED')
        self.assertIn('Heat is down (gave up after', cluster['status_reason'])


class TestBrokerRestart(base.FunctionalTestCase):
    """RabbitMQ (a node of the test's own) stopped while operations are
    in flight and while new ones are asked for, then started again: every
    operation completes once, and the conductor's RPC server reconnects.
    """

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False

    def setUp(self):
        super().setUp()
        self.broker = self.useFixture(rabbitmq.PrivateRabbit())
        self.conf.config(transport_url=self.broker.url)
        self.conf.config(redrive_after=15, redrive_interval=1,
                         group='conductor')
        self.create_template()
        self.useFixture(base.Conductor(transport_url=self.broker.url))
        self.redrives = self.useFixture(fixtures.FakeLogger(
            name=periodics.__name__, level=logging.INFO))

    def _timed(self, method, path, body=None, status=None):
        t0 = time.monotonic()
        response = self.call(method, path, body, status=status)
        # Not a timing target: a cast that never gives up holds the
        # request for as long as the broker is down.
        self.assertLess(time.monotonic() - t0, 20)
        return response

    def test_operations_survive_a_broker_restart(self):
        resized = self.create_cluster(name='resized', node_count=1)['uuid']
        deleted = self.create_cluster(name='deleted')['uuid']
        building = self.create_cluster(name='building', wait=False,
                                       labels={'fake_polls': '8'})
        self.broker.stop()
        self._timed('POST', f'/v1/clusters/{resized}/actions/resize',
                    {'node_count': 3})
        self._timed('DELETE', f'/v1/clusters/{deleted}', status=204)
        created = self._timed('POST', '/v1/clusters', {
            'name': 'created', 'cluster_template_id': 'tpl',
            'master_count': 1, 'node_count': 1}).json['uuid']
        time.sleep(OUTAGE)
        self.broker.start()
        self.assertEqual(3, self.wait_for(resized, 'UPDATE_COMPLETE',
                                          timeout=120)['node_count'])
        self.wait_for(deleted, None, timeout=120)
        for uuid in (building, created):
            self.wait_for(uuid, 'CREATE_COMPLETE', timeout=120)
        calls = [c[:2] for c in fake_driver.CALLS
                 if c[0] in ('create', 'delete')]
        for call in (('create', building), ('create', created),
                     ('delete', deleted)):
            self.assertEqual(1, calls.count(call), call)
        # Once its RPC server consumes again (it reconnects with a
        # growing back-off), casts reach the conductor: a new create is
        # not left to the stuck-work periodic.
        topic = self.conf.conf.conductor.topic
        deadline = time.monotonic() + 60
        while not self.broker.consumers(topic):
            self.assertLess(time.monotonic(), deadline, 'no consumer')
            time.sleep(1)
        after = self.create_cluster(name='after', wait=False)
        self.wait_for(after, 'CREATE_COMPLETE', timeout=60)
        self.assertIn(f'Re-driving cluster_create of cluster {created}',
                      self.redrives.output)
        self.assertNotIn(after, self.redrives.output)


class TestRestartedConductor(base.FunctionalTestCase):
    """A conductor restarted under the same host name."""

    with_conductor = False

    def test_start_releases_the_locks_of_the_previous_run(self):
        self.conf.config(transport_url=base.services.transport_url())
        me, owner = base.Conductor.host, 'other-conductor'
        # A cluster the ring gives to the other conductor, locked by the
        # previous run of this one (killed in the middle of its work).
        uuid = next(u for u in iter(uuidutils.generate_uuid, None)
                    if hash_ring.owner([me, owner], u) == owner)
        self.cluster_row(uuid=uuid, status=states.CREATING)
        for host in (me, owner):
            db_api.service_heartbeat(host, periodics.BINARY)
        self.assertTrue(db_api.cluster_reserve(uuid, me, db_api.age(60)))
        self.useFixture(base.Conductor())
        self.assertIsNone(db_api.cluster_get(uuid).reservation)
        # So the owner takes it on now, not service_down_time later.
        self.assertTrue(db_api.cluster_reserve(uuid, owner, db_api.age(60)))


class TestStaleMessages(base.FunctionalTestCase):

    def test_delete_supersedes_create(self):
        self.create_template()
        uuid = self.create_cluster(wait=False, labels={'fake_polls': '3'})
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None)
        self.assertEqual(0, self.count(base.models.NodeGroup))

    def test_second_delete_is_accepted_and_not_sent_again(self):
        self.create_template()
        uuid = self.create_cluster(wait=False, labels={'fake_polls': '4'})
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        deadline = time.monotonic() + 30
        while ('delete', uuid) not in fake_driver.CALLS:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        # The driver has the delete; a second one (as Magnum, 204) must
        # not reach it: Heat would cancel the delete under way.
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None)
        self.assertEqual(1, fake_driver.CALLS.count(('delete', uuid)))

    def test_failed_create_can_be_retried_and_deleted(self):
        self.create_template()
        uuid = self.create_cluster(wait=False, labels={'fake_fail': 'boom'})
        cluster = self.wait_for(uuid, 'CREATE_FAILED')
        self.assertEqual('boom', cluster['status_reason'])
        self.assertEqual({'default-master': 'boom',
                          'default-worker': 'boom'}, cluster['faults'])
        # Retry: an update re-drives the failed cluster.
        db_api.cluster_update(uuid, {'labels': {}})
        self.call('PATCH', f'/v1/clusters/{uuid}',
                  [{'op': 'replace', 'path': '/node_count', 'value': 3}],
                  status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        self.assertEqual(states.UPDATED, db_api.cluster_get(uuid).status)
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None)


class TestStatusSync(base.FunctionalTestCase):
    """One cluster that cannot be settled holds up no other."""

    def setUp(self):
        super().setUp()
        self.create_template()

    def _driven(self, uuid):
        """Wait until the conductor handed the cluster to the driver (so
        the status sync sees it before any cluster created later)."""
        deadline = time.monotonic() + 30
        while ('create', uuid) not in fake_driver.CALLS:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_overlong_reason_is_cut_and_the_others_settle(self):
        # 'é' is two bytes: 80,000 of them are far beyond MariaDB's TEXT.
        long = self.create_cluster(
            name='long', wait=False,
            labels={'fake_fail': 'é' * 100, 'fake_fail_repeat': '800'})
        self._driven(long)
        short = self.create_cluster(name='short', wait=False)
        self.wait_for(short, 'CREATE_COMPLETE')
        cluster = self.wait_for(long, 'CREATE_FAILED')
        reason = cluster['status_reason']
        self.assertTrue(reason.startswith('é' * 1000))
        note = ' [... cut: the reason had 160000 bytes]'
        self.assertEqual(note, reason[-len(note):])
        self.assertLessEqual(len(reason.encode()), status_reason.MAX_BYTES)
        self.assertEqual({reason}, set(cluster['faults'].values()))

    def test_a_failure_to_settle_is_left_to_the_next_cycle(self):
        real = db_api.cluster_settle
        broken = []

        def settle(uuid, *args, **kwargs):
            if uuid in broken:
                raise db_exc.DBError('simulated failure to write')
            return real(uuid, *args, **kwargs)

        self.useFixture(fixtures.MockPatch(
            'magnum_lite.db.api.cluster_settle', side_effect=settle))
        stuck = self.create_cluster(name='stuck', wait=False,
                                    labels={'fake_polls': '1'})
        broken.append(stuck)
        self._driven(stuck)
        self.wait_for(self.create_cluster(name='fine', wait=False),
                      'CREATE_COMPLETE')
        self.assertEqual(states.CREATING, db_api.cluster_get(stuck).status)
        broken.clear()
        self.wait_for(stuck, 'CREATE_COMPLETE')
