"""``/v1/stats`` over HTTP (contract §5.8)."""

from magnum_lite.tests import base

load_tests = base.load_tests


class TestStats(base.FunctionalTestCase):

    def test_stats(self):
        empty = self.call('GET', '/v1/stats', version=None)
        self.assertEqual({'clusters': 0, 'nodes': 0}, empty.json)
        self.create_template()
        # 3 masters + 2 workers, and 1 + 1 in another project.
        self.create_cluster(wait=False)
        self.call('POST', '/v1/clustertemplates',
                  {'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img-1'},
                  project='project-b', status=201)
        self.call('POST', '/v1/clusters',
                  {'name': 'b1', 'cluster_template_id': 'tpl',
                   'master_count': 1, 'node_count': 1},
                  project='project-b', status=202)
        own = {'clusters': 1, 'nodes': 5}
        self.assertEqual(own, self.call('GET', '/v1/stats').json)
        self.assertEqual(own, self.call('GET', '/v1/stats?type=Cluster',
                                        roles='reader').json)
        self.assertEqual(own, self.call(
            'GET', f'/v1/stats?project_id={self.project_id}').json)
        admin = {'roles': 'admin,member,reader', 'project': 'project-c'}
        self.assertEqual({'clusters': 2, 'nodes': 7},
                         self.call('GET', '/v1/stats', **admin).json)
        self.assertEqual({'clusters': 1, 'nodes': 2}, self.call(
            'GET', '/v1/stats?project_id=project-b', **admin).json)
        self.assertEqual({'clusters': 0, 'nodes': 0}, self.call(
            'GET', '/v1/stats?project_id=nobody', **admin).json)

    def test_refusals(self):
        response = self.call('GET', '/v1/stats?project_id=project-b',
                             status=403)
        self.assert_error(response, 403, 'Not authorized.')
        response = self.call('GET', '/v1/stats?type=foo', status=400)
        self.assert_error(response, 400, "Invalid stats type. Allowed values "
                                         "are 'cluster'")
        response = self.call('GET', '/v1/stats?foo=1', status=400)
        self.assert_error(response, 400, 'Unknown argument: "foo"')
        response = self.call('GET', '/v1/stats', roles='foo', status=403)
        self.assert_error(response, 403, "Policy doesn't allow stats:get_all "
                                         "to be performed.")
