"""``/v1/quotas`` over HTTP (contract §5.7), and quota on cluster create."""

import concurrent.futures
import threading

import fixtures

from magnum_lite.cluster import quotas
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests



ADMIN = 'admin,member,reader'


class TestQuotas(base.FunctionalTestCase):

    with_conductor = False

    def admin(self, method, path, body=None, **kwargs):
        return self.call(method, path, body, roles=ADMIN, **kwargs)

    def test_create(self):
        response = self.admin('POST', '/v1/quotas',
                              {'project_id': 'p1', 'resource': 'Cluster',
                               'hard_limit': 3}, status=201)
        quota = response.json
        self.assertEqual(['id', 'hard_limit', 'project_id', 'resource',
                          'created_at', 'updated_at'], list(quota))
        self.assertEqual((3, 'p1', 'Cluster', None),
                         (quota['hard_limit'], quota['project_id'],
                          quota['resource'], quota['updated_at']))
        self.assertRegex(quota['created_at'], r'\+00:00$')
        # Defaults: resource Cluster, hard_limit 1.
        quota = self.admin('POST', '/v1/quotas', {'project_id': 'p2'},
                           status=201).json
        self.assertEqual((1, 'Cluster'), (quota['hard_limit'],
                                          quota['resource']))
        self.assertEqual(2, self.count(models.Quota))

    def test_create_rejections_leave_no_rows(self):
        self.admin('POST', '/v1/quotas', {'project_id': 'p1'}, status=201)
        cases = [
            ({'project_id': 'p1', 'resource': 'Cluster'}, 409,
             'Quota for project p1 already exists for resource Cluster.'),
            ({'project_id': 'p2', 'resource': 'Foo'}, 400,
             'Value should be one of: Cluster'),
            ({'project_id': 'p2', 'hard_limit': -1}, 400,
             'Value should be greater or equal to 0'),
            ({'project_id': 'p2', 'hard_limit': 'many'}, 400, 'Wrong type'),
            ({'project_id': 'p2', 'hard_limit': 2 ** 31}, 400,
             'Value should be less or equal to 2147483647'),
            ({'hard_limit': 2}, 400, 'Mandatory field missing.'),
            ({'project_id': ''}, 400, 'project_id'),
            ({'project_id': 'p2', 'id': 4}, 400,
             'Cannot set read only field.'),
            ({'project_id': 'p2', 'x': 4}, 400, 'Unknown attributes'),
        ]
        for body, status, detail in cases:
            response = self.admin('POST', '/v1/quotas', body, status='*')
            self.assertEqual(status, response.status_int, body)
            self.assert_error(response, status, detail)
        response = self.call('POST', '/v1/quotas', {'project_id': 'p3'},
                             status=403)
        self.assert_error(response, 403, "Policy doesn't allow quota:create "
                                         "to be performed.")
        self.assertEqual(1, self.count(models.Quota))

    def test_show(self):
        self.conf.config(max_clusters_per_project=7, group='quotas')
        # No row: a default one, for any resource name.
        for resource in ('Cluster', 'Foo'):
            self.assertEqual(
                {'hard_limit': 7, 'project_id': self.project_id,
                 'resource': resource},
                self.call('GET', f'/v1/quotas/{self.project_id}/{resource}',
                          roles='reader').json)
        self.admin('POST', '/v1/quotas', {'project_id': self.project_id,
                                          'hard_limit': 2}, status=201)
        quota = self.call('GET', f'/v1/quotas/{self.project_id}/Cluster')
        self.assertEqual(2, quota.json['hard_limit'])
        self.assertIn('id', quota.json)
        # Another project's quota: admins only.
        response = self.call('GET', '/v1/quotas/project-b/Cluster',
                             status=403)
        self.assert_error(response, 403, 'Not authorized.')
        self.assertEqual(7, self.admin('GET', '/v1/quotas/project-b/Cluster')
                         .json['hard_limit'])
        response = self.call('GET', f'/v1/quotas/{self.project_id}/Cluster',
                             roles='foo', status=403)
        self.assert_error(response, 403, "Policy doesn't allow quota:get")

    def test_list(self):
        for project in ('p1', 'p2', self.project_id):
            self.admin('POST', '/v1/quotas', {'project_id': project},
                       status=201)
        own = self.admin('GET', '/v1/quotas').json['quotas']
        self.assertEqual([self.project_id], [q['project_id'] for q in own])
        every = self.admin('GET', '/v1/quotas?all_tenants=True').json
        self.assertEqual(['p1', 'p2', self.project_id],
                         [q['project_id'] for q in every['quotas']])
        self.assertNotIn('next', every)
        page = self.admin('GET', '/v1/quotas?all_tenants=1&limit=2').json
        self.assertEqual(['p1', 'p2'],
                         [q['project_id'] for q in page['quotas']])
        last_id = page['quotas'][-1]['id']
        self.assertEqual(
            'http://localhost/v1/quotas?sort_key=id&sort_dir=asc&limit=2'
            f'&marker={last_id}&all_tenants=1', page['next'])
        rest = self.admin('GET', f'/v1/quotas?all_tenants=yes&limit=2&'
                                 f'marker={last_id}').json
        self.assertEqual([self.project_id],
                         [q['project_id'] for q in rest['quotas']])
        desc = self.admin('GET', '/v1/quotas?all_tenants=true&'
                                 'sort_key=project_id&sort_dir=desc').json
        self.assertEqual([self.project_id, 'p2', 'p1'],
                         [q['project_id'] for q in desc['quotas']])
        for marker in ('0', '9' * 20, '-1'):
            response = self.admin('GET', f'/v1/quotas?marker={marker}',
                                  status=400)
            self.assert_error(response, 400, 'marker')
        response = self.call('GET', '/v1/quotas', status=403)
        self.assert_error(response, 403, "Policy doesn't allow "
                                         "quota:get_all to be performed.")

    def test_update(self):
        self.admin('POST', '/v1/quotas', {'project_id': 'p1'}, status=201)
        quota = self.admin('PATCH', '/v1/quotas/p1/Cluster',
                           {'project_id': 'ignored', 'resource': 'Cluster',
                            'hard_limit': 9}, status=202).json
        self.assertEqual((9, 'p1'), (quota['hard_limit'],
                                     quota['project_id']))
        self.assertIsNotNone(quota['updated_at'])
        self.assertEqual(9, self.admin('GET', '/v1/quotas/p1/Cluster')
                         .json['hard_limit'])
        # Without hard_limit: 1, like Magnum.
        self.assertEqual(1, self.admin('PATCH', '/v1/quotas/p1/Cluster',
                                       {}, status=202).json['hard_limit'])
        response = self.admin('PATCH', '/v1/quotas/p2/Cluster',
                              {'hard_limit': 2}, status=404)
        self.assert_error(response, 404, 'Quota could not be found: '
                                         'project_id p2 resource Cluster.')
        for limit in (-2, 10 ** 20, 'x', None):
            response = self.admin('PATCH', '/v1/quotas/p1/Cluster',
                                  {'hard_limit': limit}, status='*')
            if limit is None:
                self.assertEqual(202, response.status_int)
                continue
            self.assert_error(response, 400)
        response = self.admin('PATCH', '/v1/quotas/p1/Cluster',
                              [{'op': 'replace', 'path': '/hard_limit',
                                'value': 3}], status=400)
        self.assert_error(response, 400)
        response = self.call('PATCH', '/v1/quotas/p1/Cluster',
                             {'hard_limit': 5}, status=403)
        self.assert_error(response, 403)
        self.assertEqual(1, self.admin('GET', '/v1/quotas/p1/Cluster')
                         .json['hard_limit'])

    def test_delete(self):
        self.admin('POST', '/v1/quotas', {'project_id': 'p1'}, status=201)
        response = self.call('DELETE', '/v1/quotas/p1/Cluster', status=403)
        self.assert_error(response, 403)
        response = self.admin('DELETE', '/v1/quotas/p1/Cluster', status=204)
        self.assertEqual(b'', response.body)
        self.assertNotIn('Content-Type', response.headers)
        self.assertEqual(0, self.count(models.Quota))
        response = self.admin('DELETE', '/v1/quotas/p1/Cluster', status=404)
        self.assert_error(response, 404, 'Quota could not be found')


class TestClusterQuota(base.FunctionalTestCase):

    def test_cluster_create_refused_by_quota(self):
        self.create_template()
        self.call('POST', '/v1/quotas', {'project_id': self.project_id,
                                         'hard_limit': 1},
                  roles=ADMIN, status=201)
        self.create_cluster(wait=False)
        response = self.call('POST', '/v1/clusters',
                             {'name': 'c2', 'cluster_template_id': 'tpl'},
                             status=403)
        self.assert_error(response, 403,
                          'Resource limit exceeded: You have reached the '
                          'maximum clusters per project, 1. You may delete '
                          'a cluster to make room for a new one.')
        self.assertEqual(1, self.count(models.Cluster))
        self.assertEqual(2, self.count(models.NodeGroup))
        # The quota counts per project: another project is not limited.
        self.call('POST', '/v1/clustertemplates',
                  {'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img-1'},
                  project='project-b', status=201)
        self.call('POST', '/v1/clusters',
                  {'name': 'c3', 'cluster_template_id': 'tpl',
                   'master_count': 1}, project='project-b', status=202)
        self.assertEqual(2, self.count(models.Cluster))

    def test_concurrent_creates_at_the_edge(self):
        self.create_template()
        self.call('POST', '/v1/quotas', {'project_id': self.project_id,
                                         'hard_limit': 2},
                  roles=ADMIN, status=201)
        self.create_cluster(name='first', wait=False)
        self._hold_checks()

        def post(name):
            return self.call('POST', '/v1/clusters',
                             {'name': name, 'cluster_template_id': 'tpl'},
                             status='*')

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(post, ['racer-1', 'racer-2']))
        self.assertEqual([202, 403],
                         sorted(r.status_int for r in responses))
        refused = [r for r in responses if r.status_int == 403][0]
        self.assert_error(refused, 403,
                          'Resource limit exceeded: You have reached the '
                          'maximum clusters per project, 2.')
        self.assertEqual(2, self.count(models.Cluster))

    def _hold_checks(self):
        """Make each quota check wait (a bounded time) for the other
        request's: without the project's lock both would count before
        either inserts."""
        barrier = threading.Barrier(2)
        check = quotas.check

        def held(quota, count):
            try:
                barrier.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass  # the other request is held back by the lock
            check(quota, count)

        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.cluster.quotas.check', held))
