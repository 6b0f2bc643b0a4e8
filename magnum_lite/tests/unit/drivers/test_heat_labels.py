"""The label declarations: checks, defaults, the table and the docs."""

import os

import testtools

from magnum_lite.cluster import labels
from magnum_lite.drivers.heat import parameters

DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'doc',
                   'source', 'user', 'labels.rst')


class CheckTest(testtools.TestCase):

    def refused(self, name, value, *words):
        err = self.assertRaises(labels.InvalidLabel, labels.check,
                                {name: value})
        self.assertEqual(name, err.name)
        self.assertIn(f'label {name}', str(err))
        for word in words:
            self.assertIn(word, str(err))

    def test_good_values_pass(self):
        labels.check({
            'kube_tag': 'v1.36.4', 'cni': 'cilium',
            'container_infra_prefix': 'registry.example.com:5000/k8s/',
            'binary_mirror_url': 'https://mirror.example.com/k8s',
            'metrics_server_enabled': 'False', 'cinder_csi_enabled': 'true',
            'cloud_provider_enabled': '1',
            'fixed_subnet_cidr': '10.8.0.0/16',
            'server_group_policy': 'soft-anti-affinity',
            'min_node_count': '2'})

    def test_empty_air_gap_settings_mean_upstream(self):
        labels.check({'container_infra_prefix': '', 'binary_mirror_url': ''})

    def test_unknown_labels_pass_through(self):
        labels.check({'some_magnum_label': '%%% anything',
                      'kube_tag': 'v1.37'})

    def test_bad_values_name_the_label(self):
        self.refused('kube_tag', 'v1.31.4', '1.35, 1.36, 1.37')
        self.refused('kube_tag', 'latest', 'not a Kubernetes version')
        self.refused('cni', 'weave', 'calico, cilium')
        self.refused('container_infra_prefix', 'registry.example.com',
                     'registry prefix')
        self.refused('container_infra_prefix', 'http://r.example.com/',
                     'registry prefix')
        self.refused('binary_mirror_url', 'ftp://m.example.com/', 'http(s)')
        self.refused('binary_mirror_url', 'mirror.example.com', 'http(s)')
        self.refused('metrics_server_enabled', 'maybe', 'boolean')
        # Only what the Heat parameter table can convert.
        self.refused('metrics_server_enabled', 'y', 'boolean')
        self.refused('fixed_subnet_cidr', '10.0.0.0/33', 'CIDR')
        self.refused('server_group_policy', 'spread', 'anti-affinity')
        self.refused('min_node_count', '-1', 'integer')
        self.refused('min_node_count', '²', 'integer')

    def test_pod_and_service_ranges(self):
        labels.check({'calico_ipv4pool': '192.168.0.0/16',
                      'service_cluster_ip_range': '172.20.0.0/20',
                      'fixed_subnet_cidr': '10.8.0.0/24'})
        self.refused('calico_ipv4pool', '10.100.0.0/23', '/8 to /22')
        self.refused('calico_ipv4pool', '10.100.0.1/16', 'IPv4 network')
        self.refused('calico_ipv4pool', 'fd00::/64', 'IPv4 network')
        self.refused('service_cluster_ip_range', '10.0.0.0/8', '/12 to /24')
        # Overlaps with another range, given or default, name the label.
        self.refused('calico_ipv4pool', '10.0.0.0/16',
                     'overlaps fixed_subnet_cidr (10.0.0.0/24)')
        self.refused('service_cluster_ip_range', '10.100.0.0/20',
                     'overlaps calico_ipv4pool (10.100.0.0/16)')
        err = self.assertRaises(labels.InvalidLabel, labels.check, {
            'fixed_subnet_cidr': '10.254.1.0/24'})
        self.assertIn('overlaps service_cluster_ip_range', str(err))

    def test_first_bad_label_in_name_order(self):
        err = self.assertRaises(labels.InvalidLabel, labels.check,
                                {'kube_tag': 'x', 'cni': 'weave'})
        self.assertEqual('cni', err.name)


class DeclarationTest(testtools.TestCase):

    def test_every_label_the_parameter_table_reads_is_declared(self):
        for name, default in parameters.labels_read().items():
            self.assertIn(name, labels.BY_NAME)
            self.assertEqual(labels.BY_NAME[name].default, default, name)

    def test_declared_once(self):
        names = [label.name for label in labels.LABELS]
        self.assertEqual(len(names), len(set(names)))

    def test_defaults_fit_their_declarations(self):
        labels.check({label.name: label.default for label in labels.LABELS
                      if label.default is not None})

    def test_parameter_label_defaults_are_the_declarations(self):
        self.assertEqual(labels.defaults(), parameters.label_defaults())

    def test_every_label_is_documented(self):
        for label in labels.LABELS:
            self.assertTrue(label.description.strip(), label.name)

    def test_docs_table_is_the_generated_one(self):
        with open(DOC) as f:
            self.assertIn(labels.rst_table(), f.read())


class RenderableTest(testtools.TestCase):

    def test_every_accepted_boolean_renders(self):
        # A value the API accepts must never fail when the stack renders.
        for text in labels._TRUE + labels._FALSE:
            for value in (text, text.upper()):
                labels.check({'metrics_server_enabled': value})
                parameters.render(parameters.CLUSTER, {
                    'labels': {'metrics_server_enabled': value},
                    'config': {}, 'cluster': {}, 'template': {}},
                    [row for row in parameters.PARAMETERS
                     if row.name == 'metrics_server_enabled'])
