"""Roles and projects from noauth headers against the default policy
(contract §4.1, §4.2, §7): no rights, no knowledge."""

from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests

ADMIN = 'admin,member,reader'


class TestPolicy(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.create_template()
        self.uuid = self.create_cluster(wait=False)

    def test_reader_cannot_write(self):
        response = self.call('POST', '/v1/clusters',
                             {'name': 'c2', 'cluster_template_id': 'tpl'},
                             roles='reader', status=403)
        error = self.assert_error(response, 403, "Policy doesn't allow "
                                                 "cluster:create to be "
                                                 "performed.")
        self.assertEqual('client', error['code'])
        self.assertEqual("Policy doesn't allow cluster:create to be "
                         "performed", error['title'])
        # Policy first: even a bad body is refused as a policy matter.
        response = self.call('POST', '/v1/clusters', {'bogus': 1},
                             roles='reader', status=403)
        self.assert_error(response, 403, 'cluster:create')
        response = self.call('POST', '/v1/clustertemplates',
                             {'coe': 'kubernetes', 'image_id': 'img-1'},
                             roles='reader', status=403)
        self.assert_error(response, 403, 'clustertemplate:create')
        response = self.call('DELETE', f'/v1/clusters/{self.uuid}',
                             roles='reader', status=403)
        self.assert_error(response, 403, 'cluster:delete')
        response = self.call('PATCH', f'/v1/clusters/{self.uuid}',
                             [{'op': 'replace', 'path': '/node_count',
                               'value': 3}], roles='reader', status=403)
        self.assert_error(response, 403, 'cluster:update')
        self.assertEqual(1, self.count(models.Cluster))
        self.assertEqual(1, self.count(models.ClusterTemplate))
        self.assertIsNotNone(self.call('GET', f'/v1/clusters/{self.uuid}',
                                       roles='reader').json['uuid'])

    def test_unknown_role_reads_nothing(self):
        for path in ('/v1/clusters', '/v1/clusters/detail',
                     f'/v1/clusters/{self.uuid}', '/v1/clustertemplates',
                     '/v1/stats'):
            response = self.call('GET', path, roles='foo', status=403)
            self.assert_error(response, 403, "Policy doesn't allow")

    def test_other_project_gets_404(self):
        other = {'project': 'project-b'}
        self.assertEqual([], self.call('GET', '/v1/clusters', **other)
                         .json['clusters'])
        self.assertEqual([], self.call('GET', '/v1/clusters/detail', **other)
                         .json['clusters'])
        self.assertEqual([], self.call('GET', '/v1/clustertemplates',
                                       **other).json['clustertemplates'])
        for method, path, body in (
                ('GET', f'/v1/clusters/{self.uuid}', None),
                ('GET', '/v1/clusters/c1', None),
                ('PATCH', f'/v1/clusters/{self.uuid}',
                 [{'op': 'replace', 'path': '/node_count', 'value': 3}]),
                ('DELETE', f'/v1/clusters/{self.uuid}', None),
                ('GET', f'/v1/clusters/{self.uuid}/nodegroups', None),
                ('GET', f'/v1/certificates/{self.uuid}', None),
                ('PATCH', f'/v1/certificates/{self.uuid}', None),
                ('PATCH', f'/v1/credentials/{self.uuid}', None),
                ('POST', f'/v1/clusters/{self.uuid}/actions/resize',
                 {'node_count': 1}),
                ('GET', '/v1/clustertemplates/tpl', None),
                ('DELETE', '/v1/clustertemplates/tpl', None)):
            response = self.call(method, path, body, status=404, **other)
            self.assert_error(response, 404, 'could not be found')
        # Even a reader without write rights learns nothing more.
        response = self.call('DELETE', f'/v1/clusters/{self.uuid}',
                             project='project-b', roles='reader', status='*')
        self.assertIn(response.status_int, (403, 404))
        self.assertNotIn(self.uuid, response.text.replace(
            'Cluster %s could not be found' % self.uuid, ''))
        self.assertEqual(1, self.count(models.Cluster))

    def test_admin_sees_all_projects(self):
        admin = {'project': 'project-b', 'roles': ADMIN}
        for path in ('/v1/clusters', '/v1/clusters/detail'):
            self.assertEqual([self.uuid], [
                c['uuid'] for c in self.call('GET', path, **admin)
                .json['clusters']])
        self.assertEqual(self.project_id, self.call(
            'GET', f'/v1/clusters/{self.uuid}', **admin).json['project_id'])
        self.assertEqual(['tpl'], [t['name'] for t in self.call(
            'GET', '/v1/clustertemplates', **admin).json['clustertemplates']])
        self.assertEqual(2, len(self.call(
            'GET', f'/v1/clusters/{self.uuid}/nodegroups', **admin)
            .json['nodegroups']))
        # Admin alone (no member role) is still an admin.
        self.assertEqual(1, len(self.call(
            'GET', '/v1/clusters', project='project-b', roles='admin')
            .json['clusters']))
        # Deleting another project's cluster is an admin's right.
        self.call('DELETE', f'/v1/clusters/{self.uuid}', status=204, **admin)
        self.wait_for(self.uuid, None)
