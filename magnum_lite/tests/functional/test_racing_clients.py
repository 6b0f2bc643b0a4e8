"""Many clients at once on one cluster, or at a quota's edge: the claims
(compare-and-set in the database) let exactly what fits through."""

import collections
import concurrent.futures
import threading
import time

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests
OPERATIONS = ('cluster_update', 'cluster_resize', 'nodegroup_create')


class TestRacingClients(base.FunctionalTestCase):

    def race(self, requests):
        """Send ``requests`` ((method, path, body) each) all at once, each
        from its own thread; their responses, in order."""
        start = threading.Barrier(len(requests))

        def send(request):
            start.wait(timeout=30)
            method, path, body = request
            return self.call(method, path, body, status='*')

        with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(send, requests))

    def test_fifty_mixed_operations_on_one_cluster(self):
        self.create_template()
        uuid = self.create_cluster()['uuid']
        # The accepted operation stays in progress: later ones still race
        # against it, not against a finished cluster.
        db_api.cluster_update(uuid, {'labels': {'fake_polls': '9999'}})
        path = f'/v1/clusters/{uuid}'
        requests = []
        for n in range(50):
            requests.append([
                ('PATCH', path, [{'op': 'replace', 'path': '/node_count',
                                  'value': 3 + n}]),
                ('POST', f'{path}/actions/resize', {'node_count': 3 + n}),
                ('POST', f'{path}/nodegroups', {'name': f'ng-{n}'}),
            ][n % 3])
        responses = self.race(requests)
        self.assertEqual({202: 1, 409: 49}, collections.Counter(
            r.status_int for r in responses))
        for response in responses:
            if response.status_int == 409:
                self.assert_error(response, 409, f'Cluster {uuid} is busy')
        self.assertEqual('UPDATE_IN_PROGRESS',
                         self.call('GET', path).json['status'])
        # Only the accepted operation was claimed and driven.
        accepted = requests[[r.status_int for r in responses].index(202)]
        added = 1 if accepted[1].endswith('/nodegroups') else 0
        self.assertEqual(2 + added, self.count(models.NodeGroup))
        self._wait_driven(uuid)
        driven = [c for c in fake_driver.CALLS if c[0] in OPERATIONS]
        self.assertEqual(1, len(driven), driven)

    def _wait_driven(self, uuid):
        deadline = time.monotonic() + 30
        while db_api.cluster_get(uuid).operation_driven_at is None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_twenty_creates_at_a_quota_edge(self):
        self.create_template()
        self.call('POST', '/v1/quotas', {'project_id': self.project_id,
                                         'hard_limit': 3},
                  roles='admin,member,reader', status=201)
        self.create_cluster(name='first', wait=False)
        responses = self.race([
            ('POST', '/v1/clusters', {'name': f'racer-{n}',
                                      'cluster_template_id': 'tpl'})
            for n in range(20)])
        self.assertEqual({202: 2, 403: 18}, collections.Counter(
            r.status_int for r in responses))
        for response in responses:
            if response.status_int == 403:
                self.assert_error(response, 403, 'Resource limit exceeded')
        self.assertEqual(3, self.count(models.Cluster))
