"""db.api on every backend: claims, locks, heartbeats, pagination."""

import concurrent.futures
import datetime

import fixtures

from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conductor import cluster_lock
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests


def _template(**values):
    return db_api.template_create(dict(
        {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
         'project_id': 'p1'}, **values))


def _cluster(template, name='c', project='p1', status=states.CREATED):
    return db_api.cluster_create(
        {'name': name, 'cluster_template_id': template.uuid,
         'project_id': project, 'status': status},
        [{'name': 'default-worker', 'role': 'worker', 'node_count': 2,
          'project_id': project, 'status': status, 'is_default': True},
         {'name': 'default-master', 'role': 'master', 'node_count': 3,
          'project_id': project, 'status': status, 'is_default': True}])


class TestClaims(base.DbTestCase):

    def test_only_one_concurrent_claim_wins(self):
        cluster = _cluster(_template())

        def claim(_):
            try:
                db_api.cluster_claim(cluster.uuid, states.UPDATE, 'x')
                return True
            except exception.ClusterBusy:
                return False

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(claim, range(8)))
        self.assertEqual(1, results.count(True))
        self.assertEqual(states.UPDATING,
                         db_api.cluster_get(cluster.uuid).status)

    def test_claim_writes_nodegroups_atomically(self):
        cluster = _cluster(_template())
        worker = db_api.nodegroup_get(cluster.uuid, 'default-worker')
        self.assertRaises(
            exception.NodeGroupAlreadyExists, db_api.cluster_claim,
            cluster.uuid, states.UPDATE, 'nodegroup_create',
            nodegroup_updates={worker.uuid: {'node_count': 9}},
            new_nodegroups=[{'name': 'default-master', 'role': 'worker',
                             'cluster_id': cluster.uuid, 'project_id': 'p1',
                             'status': states.CREATING}])
        # Nothing of the failed claim was written.
        self.assertEqual(states.CREATED,
                         db_api.cluster_get(cluster.uuid).status)
        self.assertEqual(2, db_api.nodegroup_get(cluster.uuid,
                                                 worker.uuid).node_count)
        self.assertEqual(2, self.count(models.NodeGroup))

    def _clock(self):
        """Each of the database's timestamps a second after the last: a
        claim after another is seen as later even within one second."""
        ticks = iter(datetime.datetime(2026, 12, 6, 8, 0, second)
                     for second in range(60))
        self.useFixture(fixtures.MockPatch(
            'magnum_lite.db.api._now', side_effect=lambda: next(ticks)))

    def test_a_settle_of_a_superseded_claim_writes_nothing(self):
        # A settler read the cluster under the first update; another
        # settled that update and the next one was claimed (UPDATING
        # again) before the first settler wrote its outcome.
        self._clock()
        cluster = _cluster(_template())
        first = db_api.cluster_claim(cluster.uuid, states.UPDATE, 'x')
        self.assertTrue(db_api.cluster_settle(
            cluster.uuid, states.UPDATING, {'status': states.UPDATED}, {},
            [], started_at=first.operation_started_at))
        second = db_api.cluster_claim(cluster.uuid, states.UPDATE, 'y')
        self.assertFalse(db_api.cluster_settle(
            cluster.uuid, states.UPDATING, {'status': states.UPDATE_FAILED},
            {}, [], started_at=first.operation_started_at))
        found = db_api.cluster_get(cluster.uuid)
        self.assertEqual((states.UPDATING, 'y'),
                         (found.status, found.operation))
        self.assertTrue(db_api.cluster_settle(
            cluster.uuid, states.UPDATING, {'status': states.UPDATED}, {},
            [], started_at=second.operation_started_at))

    def test_one_of_two_settlers_starts_the_next_step(self):
        # Both saw the same step complete; the second finds the step it
        # saw replaced by the next one.
        self._clock()
        cluster = _cluster(_template())
        step = db_api.cluster_claim(cluster.uuid, states.UPDATE, 'steps',
                                    args={'phase': 1})
        started = step.operation_started_at

        def next_step(_):
            return db_api.cluster_next_step(cluster.uuid, 'steps',
                                            {'phase': 2}, started_at=started)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(next_step, range(2)))
        self.assertEqual([False, True], sorted(results))
        found = db_api.cluster_get(cluster.uuid)
        self.assertEqual({'phase': 2}, found.operation_args)
        self.assertGreater(found.operation_started_at, started)

    def test_destroy_removes_children(self):
        cluster = _cluster(_template())
        db_api.certificate_put(cluster.uuid, 'kubernetes', 'c', 'k')
        db_api.cluster_destroy(cluster.uuid)
        self.assertEqual(0, self.count(models.NodeGroup))
        self.assertEqual(0, self.count(models.Certificate))
        self.assertEqual(0, self.count(models.Cluster))


class TestTemplates(base.DbTestCase):

    def test_referenced_template_cannot_be_deleted(self):
        template = _template()
        _cluster(template)
        self.assertRaises(exception.ClusterTemplateReferenced,
                          db_api.template_delete, template.uuid)

    def test_visibility(self):
        _template(name='mine')
        _template(name='public', project_id='p2', public=True)
        _template(name='hidden', project_id='p2', public=True, hidden=True)
        _template(name='private', project_id='p2')
        names = {t.name for t in db_api.template_list(visible_to='p1')}
        self.assertEqual({'mine', 'public'}, names)
        self.assertEqual(4, len(db_api.template_list()))
        self.assertRaises(exception.ClusterTemplateNotFound,
                          db_api.template_get, 'private', visible_to='p1')

    def test_ambiguous_name(self):
        _template(name='same')
        _template(name='same')
        self.assertRaises(exception.AmbiguousName, db_api.template_get,
                          'same')

    def test_pagination(self):
        for i in range(5):
            _template(name=f't{i}')
        first = db_api.template_list(limit=2, sort_key='name')
        second = db_api.template_list(limit=2, sort_key='name',
                                      marker=first[-1].uuid)
        self.assertEqual(['t0', 't1', 't2', 't3'],
                         [t.name for t in first + second])


class TestLocks(base.DbTestCase):

    def test_reserve_is_exclusive(self):
        cluster = _cluster(_template())
        db_api.service_heartbeat('a', 'magnum-lite-conductor')
        db_api.service_heartbeat('b', 'magnum-lite-conductor')
        cut_off = db_api.age(60)
        self.assertTrue(db_api.cluster_reserve(cluster.uuid, 'a', cut_off))
        self.assertFalse(db_api.cluster_reserve(cluster.uuid, 'b', cut_off))
        # A holder takes its own lock again (one it failed to release).
        self.assertTrue(db_api.cluster_reserve(cluster.uuid, 'a', cut_off))
        db_api.cluster_release(cluster.uuid, 'a')
        self.assertTrue(db_api.cluster_reserve(cluster.uuid, 'b', cut_off))

    def test_threads_of_one_conductor_exclude_each_other(self):
        cluster = _cluster(_template())
        self.conf.config(host='a', group='conductor')
        with cluster_lock.locked(cluster.uuid, 'first'):
            self.assertRaises(exception.ClusterLocked,
                              cluster_lock.locked(cluster.uuid,
                                                  'second').__enter__)
        with cluster_lock.locked(cluster.uuid, 'after'):
            pass

    def test_lock_of_dead_conductor_is_broken(self):
        cluster = _cluster(_template())
        db_api.service_heartbeat('dead', 'magnum-lite-conductor')
        self.assertTrue(db_api.cluster_reserve(cluster.uuid, 'dead',
                                               db_api.age(60)))
        # 'dead' last heartbeated before the cut-off.
        future = db_api.age(-5)
        self.assertTrue(db_api.cluster_reserve(cluster.uuid, 'b', future))

    def test_heartbeat_counts(self):
        for _ in range(3):
            db_api.service_heartbeat('a', 'magnum-lite-conductor')
        service, = db_api.service_list()
        self.assertEqual(3, service.report_count)
        self.assertEqual(['a'], db_api.live_hosts(
            'magnum-lite-conductor',
            db_api.age(10) - datetime.timedelta(seconds=1)))


class TestStats(base.DbTestCase):

    def test_counts_masters_and_workers(self):
        template = _template()
        _cluster(template, 'a')
        _cluster(template, 'b', project='p2')
        self.assertEqual((2, 10), db_api.stats())
        self.assertEqual((1, 5), db_api.stats('p2'))
