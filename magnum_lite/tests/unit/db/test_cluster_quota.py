"""The quota check of a cluster create, on every backend: two creates
racing for a project's last place, on real concurrent connections."""

import concurrent.futures
import threading

from magnum_lite.cluster import quotas
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests

# How long a create waits in the check for the other create to be there
# too: it never is while the project's lock holds it back.
_RENDEZVOUS = 1


def racing_check(barrier):
    """``quotas.check_create`` that first waits (a bounded time) for the
    other create to reach the check too: without the project's lock both
    would have counted before either inserted, the race made certain."""

    def check(rows, count):
        try:
            barrier.wait(timeout=_RENDEZVOUS)
        except threading.BrokenBarrierError:
            pass  # the other create is held back (or already refused)
        quotas.check_create(rows, count)

    return check


class TestClusterQuotaRace(base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.template = db_api.template_create(
            {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
             'project_id': 'p1'})

    def create(self, name, check_quota=quotas.check_create):
        return db_api.cluster_create(
            {'name': name, 'cluster_template_id': self.template.uuid,
             'project_id': 'p1', 'status': states.CREATING}, [],
            check_quota=check_quota)

    def race(self):
        """Two creates at once; returns their outcomes."""
        check = racing_check(threading.Barrier(2))

        def create(name):
            try:
                return self.create(name, check)
            except exception.QuotaExceeded as err:
                return err

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            return list(pool.map(create, ['racer-1', 'racer-2']))

    def assert_one_refused(self, outcomes, limit):
        refused = [o for o in outcomes
                   if isinstance(o, exception.QuotaExceeded)]
        self.assertEqual(1, len(refused), outcomes)
        self.assertEqual(403, refused[0].code)
        self.assertEqual(
            f'Resource limit exceeded: You have reached the maximum '
            f'clusters per project, {limit}. You may delete a cluster to '
            f'make room for a new one.', str(refused[0]))
        self.assertEqual(limit, self.count(models.Cluster))

    def test_last_place_of_a_quota_row(self):
        db_api.quota_create('p1', quotas.RESOURCE, 2)
        self.create('first')
        self.assert_one_refused(self.race(), 2)

    def test_last_place_of_the_default_quota(self):
        # No quota row and no lock row yet: both creates make the lock
        # row at once, then race for the only place.
        self.conf.config(max_clusters_per_project=1, group='quotas')
        self.assert_one_refused(self.race(), 1)

    def test_refused_create_writes_nothing(self):
        db_api.quota_create('p1', quotas.RESOURCE, 0)
        self.assertRaises(exception.QuotaExceeded, self.create, 'c')
        self.assertEqual(0, self.count(models.Cluster))

    def test_without_check_no_lock_row(self):
        # Creates that check no quota (tests, tools) take no lock.
        self.create('c', check_quota=None)
        self.assertEqual(0, self.count(models.ProjectLock))
