"""Label values are checked at the API: a bad value is a 400 in Magnum's
error envelope that names the label; unknown labels pass through."""

from magnum_lite.cluster import versions
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests

ADMIN = 'admin,member,reader'
TEMPLATES = '/v1/clustertemplates'


class _Case(base.FunctionalTestCase):

    def refused(self, method, path, body, model, *details, **kwargs):
        """A 400 naming the label, that changed no ``model`` row."""
        before = self.count(model)
        response = self.call(method, path, body, status=400, **kwargs)
        error = self.assert_error(response, 400)
        self.assertEqual('client', error['code'])
        for detail in details:
            self.assertIn(detail, error['detail'])
        self.assertEqual(before, self.count(model))
        return error


class TestTemplateLabels(_Case):

    with_conductor = False

    def template(self, labels, **fields):
        body = {'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img',
                'labels': labels}
        body.update(fields)
        return body

    def test_create_refuses_bad_values_naming_the_label(self):
        cases = [
            ({'kube_tag': 'v1.31.4'}, 'label kube_tag',
             'supported minors: ' + ', '.join(versions.supported_minors())),
            ({'kube_tag': 'latest'}, 'label kube_tag'),
            ({'cni': 'weave'}, 'label cni', 'calico, cilium'),
            ({'container_infra_prefix': 'registry.example.com'},
             'label container_infra_prefix'),
            ({'binary_mirror_url': 'ftp://mirror'}, 'label binary_mirror_url'),
            ({'metrics_server_enabled': 'perhaps'},
             'label metrics_server_enabled'),
            ({'fixed_subnet_cidr': '300.0.0.0/8'}, 'label fixed_subnet_cidr'),
            ({'server_group_policy': 'spread'}, 'label server_group_policy'),
            ({'min_node_count': 'two'}, 'label min_node_count'),
        ]
        for labels, *details in cases:
            self.refused('POST', TEMPLATES, self.template(labels),
                         models.ClusterTemplate, *details, roles=ADMIN)

    def test_good_and_unknown_labels_are_kept(self):
        labels = {'kube_tag': 'v1.36.4', 'cni': 'cilium',
                  'container_infra_prefix': 'registry.example.com:5000/k8s/',
                  'binary_mirror_url': 'https://mirror.example.com/k8s',
                  'metrics_server_enabled': False,
                  'some_unknown_label': 'whatever it says'}
        body = self.call('POST', TEMPLATES, self.template(labels),
                         roles=ADMIN, status=201).json
        self.assertEqual(dict(labels, metrics_server_enabled='False'),
                         body['labels'])

    def test_patch_checks_the_labels_it_changes(self):
        uuid = self.call('POST', TEMPLATES, self.template(
            {'kube_tag': 'v1.36'}), roles=ADMIN, status=201).json['uuid']
        path = f'{TEMPLATES}/{uuid}'
        error = self.refused(
            'PATCH', path,
            [{'op': 'replace', 'path': '/labels',
              'value': "{'kube_tag': 'v1.34.2'}"}],
            models.ClusterTemplate, 'label kube_tag', '1.34', roles=ADMIN)
        self.assertIn('1.35, 1.36, 1.37', error['detail'])
        self.refused('PATCH', path,
                     [{'op': 'add', 'path': '/labels/cni', 'value': 'weave'}],
                     models.ClusterTemplate, 'label cni', roles=ADMIN)
        self.assertEqual({'kube_tag': 'v1.36'},
                         self.call('GET', path).json['labels'])
        body = self.call('PATCH', path, [
            {'op': 'add', 'path': '/labels/kube_tag', 'value': 'v1.37.1'}],
            roles=ADMIN, status=200).json
        self.assertEqual({'kube_tag': 'v1.37.1'}, body['labels'])


class TestClusterLabels(_Case):

    with_conductor = False

    def setUp(self):
        super().setUp()
        self.create_template(labels={'kube_tag': 'v1.36.4'})

    def test_create_refuses_bad_merged_labels(self):
        body = {'name': 'c1', 'cluster_template_id': 'tpl',
                'labels': {'kube_tag': 'v1.33.0'}, 'merge_labels': True}
        error = self.refused('POST', '/v1/clusters', body, models.Cluster,
                             'label kube_tag', '1.33')
        self.assertIn('1.35, 1.36, 1.37', error['detail'])
        body = {'name': 'c1', 'cluster_template_id': 'tpl',
                'labels': {'container_infra_prefix': 'no-slash'}}
        self.refused('POST', '/v1/clusters', body, models.Cluster,
                     'label container_infra_prefix')
        self.assertEqual(0, self.count(models.NodeGroup))


class TestNodegroupLabels(_Case):

    def setUp(self):
        super().setUp()
        self.create_template(labels={'kube_tag': 'v1.36.4'})
        self.uuid = self.create_cluster()['uuid']
        self.path = f'/v1/clusters/{self.uuid}/nodegroups'

    def test_create_refuses_bad_labels(self):
        for labels, merge, detail in (
                ({'kube_tag': 'v2.0.0'}, True, 'label kube_tag'),
                ({'cinder_csi_enabled': 'sometimes'}, False,
                 'label cinder_csi_enabled')):
            self.refused('POST', self.path,
                         {'name': 'ng', 'labels': labels,
                          'merge_labels': merge},
                         models.NodeGroup, detail)
        # A kubelet may not be newer than the API server.
        self.refused('POST', self.path,
                     {'name': 'ng', 'labels': {'kube_tag': 'v1.37.1'},
                      'merge_labels': True},
                     models.NodeGroup, 'label kube_tag', 'newer',
                     "cluster (v1.36.4)")
        body = self.call('POST', self.path, {
            'name': 'ng', 'labels': {'kube_tag': 'v1.35'},
            'merge_labels': True}, status=202).json
        self.assertEqual('v1.35', body['labels']['kube_tag'])
