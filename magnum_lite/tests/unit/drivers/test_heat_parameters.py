"""The parameter table against the templates, and its rendering."""

import os

import testtools
import yaml

from magnum_lite.cluster import versions
from magnum_lite.db import models
from magnum_lite.drivers.heat import parameters

TEMPLATES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                         'heat-templates', 'kubernetes')
MEMBERS = {parameters.CLUSTER: ('masters', 'kube_minions'),
           parameters.NODEGROUP: ('kube_minions',)}


def load(name):
    with open(os.path.join(TEMPLATES, name)) as f:
        return yaml.safe_load(f)


def get_params(node):
    """Every name a template reads with get_param."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'get_param':
                yield value if isinstance(value, str) else value[0]
            else:
                yield from get_params(value)
    elif isinstance(node, list):
        for item in node:
            yield from get_params(item)


def heat_default(row):
    """The table default as the template would spell it."""
    if row.type == parameters.LIST:
        return list(row.default)
    return row.default


class TemplateContractTest(testtools.TestCase):
    """The table declares exactly what the templates declare."""

    def test_table_matches_declared_parameters(self):
        for name in (parameters.CLUSTER, parameters.NODEGROUP):
            declared = load(name)['parameters']
            rows = {r.name: r for r in parameters.rows_for(name)}
            self.assertEqual(len(rows), len(parameters.rows_for(name)),
                             f'{name}: a name appears twice in the table')
            self.assertEqual(set(declared), set(rows), name)
            for pname, spec in declared.items():
                row = rows[pname]
                where = f'{name}:{pname}'
                self.assertEqual(spec['type'], row.type, where)
                self.assertEqual(bool(spec.get('hidden')), row.hidden, where)
                if row.default is not None and 'default' in spec:
                    self.assertEqual(spec['default'], heat_default(row),
                                     where)

    def test_every_parameter_is_read(self):
        for name in ('cluster.yaml', 'nodegroup.yaml', 'master.yaml',
                     'worker.yaml'):
            template = load(name)
            read = set(get_params(template['resources']))
            read |= set(get_params(template.get('outputs', {})))
            read |= set(get_params(template.get('conditions', {})))
            self.assertEqual(set(template['parameters']), read, name)

    def test_members_get_exactly_their_parameters(self):
        for name, groups in MEMBERS.items():
            resources = load(name)['resources']
            for group in groups:
                definition = resources[group]['properties']['resource_def']
                member = load(definition['type'])['parameters']
                self.assertEqual(set(member), set(definition['properties']),
                                 f'{name}:{group}')

    def test_templates_read_only_table_sources_that_exist(self):
        kinds = {'cluster', 'template', 'master_nodegroup',
                 'worker_nodegroup', 'nodegroup', 'outputs', 'removals',
                 'bootstrap', 'credentials', 'operation', 'generation'}
        for row in parameters.PARAMETERS:
            for source in row.sources:
                if source.startswith(('label:', 'config:')):
                    continue
                if source.startswith('derive:'):
                    self.assertIn(source[len('derive:'):],
                                  parameters.DERIVATIONS)
                    continue
                self.assertIn(source.partition('.')[0], kinds, row.name)

    def test_row_sources_name_real_columns(self):
        tables = {'cluster': models.Cluster,
                  'template': models.ClusterTemplate,
                  'master_nodegroup': models.NodeGroup,
                  'worker_nodegroup': models.NodeGroup,
                  'nodegroup': models.NodeGroup}
        for row in parameters.PARAMETERS:
            for source in row.sources:
                kind, _, field = source.partition('.')
                if kind in tables:
                    columns = {c.name for c in tables[kind].__table__.columns}
                    self.assertIn(field, columns, f'{row.name}: {source}')


def cluster(**fields):
    row = {'uuid': 'c-uuid', 'name': 'k8s', 'keypair': None, 'labels': {},
           'master_flavor_id': None, 'flavor_id': None,
           'docker_volume_size': None, 'create_timeout': 60,
           'fixed_network': None, 'fixed_subnet': None,
           'floating_ip_enabled': None, 'master_lb_enabled': None}
    row.update(fields)
    return row


def template(**fields):
    row = {'image_id': 'fedora-coreos', 'flavor_id': 'm1.small',
           'master_flavor_id': 'm1.medium', 'keypair_id': 'tmpl-key',
           'external_network_id': 'public', 'fixed_network': None,
           'fixed_subnet': None, 'dns_nameserver': '1.1.1.1',
           'network_driver': 'calico', 'apiserver_port': None,
           'docker_volume_size': 20, 'master_lb_enabled': True,
           'floating_ip_enabled': True, 'labels': {}}
    row.update(fields)
    return row


def nodegroup(role, **fields):
    row = {'name': f'default-{role}', 'role': role, 'node_count': 3,
           'flavor_id': None, 'image_id': None, 'docker_volume_size': None,
           'labels': {}}
    row.update(fields)
    return row


class ClusterParametersTest(testtools.TestCase):

    def render(self, cluster_row=None, template_row=None, master=None,
               worker=None, **kwargs):
        return parameters.cluster_parameters(
            cluster_row or cluster(), template_row or template(),
            master or nodegroup('master'), worker or nodegroup('worker'),
            **kwargs)

    def test_every_table_row_renders(self):
        result = self.render()
        names = {r.name for r in parameters.rows_for(parameters.CLUSTER)}
        self.assertEqual(names, set(result))

    def test_template_fills_what_the_cluster_leaves_empty(self):
        result = self.render()
        self.assertEqual('m1.medium', result['master_flavor'])
        self.assertEqual('m1.small', result['worker_flavor'])
        self.assertEqual('tmpl-key', result['keypair'])
        self.assertEqual(20, result['docker_volume_size'])
        self.assertEqual('fedora-coreos', result['image'])

    def test_cluster_and_nodegroups_override_the_template(self):
        result = self.render(
            cluster(keypair='mine', flavor_id='c.small',
                    master_flavor_id='c.medium', docker_volume_size=5,
                    fixed_network='net', fixed_subnet='sub'),
            master=nodegroup('master', flavor_id='ng.big', node_count=5),
            worker=nodegroup('worker', node_count=0))
        self.assertEqual('mine', result['keypair'])
        self.assertEqual('ng.big', result['master_flavor'])
        self.assertEqual('c.small', result['worker_flavor'])
        self.assertEqual(5, result['docker_volume_size'])
        self.assertEqual(('net', 'sub'),
                         (result['fixed_network'], result['fixed_subnet']))
        self.assertEqual((5, 0),
                         (result['master_count'], result['worker_count']))

    def test_table_defaults_when_nothing_gives_a_value(self):
        result = self.render(
            template_row=template(keypair_id=None, apiserver_port=None,
                                  network_driver='', dns_nameserver=None,
                                  docker_volume_size=None))
        self.assertEqual('', result['keypair'])
        self.assertEqual(6443, result['kube_api_port'])
        self.assertEqual('calico', result['cni'])
        self.assertEqual('8.8.8.8', result['dns_nameserver'])
        self.assertEqual(0, result['docker_volume_size'])
        self.assertEqual('', result['fixed_network'])

    def test_no_default_means_left_to_the_template(self):
        result = self.render(template_row=template(image_id=None))
        self.assertNotIn('image', result)

    def test_false_from_the_cluster_beats_true_from_the_template(self):
        result = self.render(cluster(master_lb_enabled=False,
                                     floating_ip_enabled=False))
        self.assertIs(False, result['master_lb_enabled'])
        self.assertIs(False, result['floating_ip_enabled'])
        result = self.render()
        self.assertIs(True, result['master_lb_enabled'])

    def test_labels_and_their_defaults(self):
        result = self.render()
        self.assertEqual(versions.DEFAULT_KUBE_TAG, result['kube_tag'])
        self.assertEqual('10.0.0.0/24', result['fixed_subnet_cidr'])
        self.assertEqual('anti-affinity', result['server_group_policy'])
        result = self.render(cluster(labels={
            'kube_tag': 'v1.36.2', 'fixed_subnet_cidr': '10.8.0.0/16',
            'server_group_policy': 'soft-anti-affinity'}))
        self.assertEqual('v1.36.2', result['kube_tag'])
        self.assertEqual('10.8.0.0/16', result['fixed_subnet_cidr'])
        self.assertEqual('soft-anti-affinity', result['server_group_policy'])

    def test_explicit_labels_replace_the_clusters(self):
        result = self.render(cluster(labels={'kube_tag': 'v1.35.0'}),
                             labels={'kube_tag': 'v1.36.1'})
        self.assertEqual('v1.36.1', result['kube_tag'])

    def test_removal_lists(self):
        result = self.render()
        self.assertEqual('', result['master_removal_list'])
        self.assertEqual('', result['worker_removal_list'])
        result = self.render(removals={'worker': ['id-1', 'id-2']})
        self.assertEqual('id-1,id-2', result['worker_removal_list'])
        self.assertEqual('', result['master_removal_list'])

    def test_wait_timeout_is_the_create_timeout_in_seconds(self):
        self.assertEqual(
            600, self.render(cluster(create_timeout=10))['node_wait_timeout'])
        self.assertEqual(
            3600, self.render(cluster(create_timeout=0))['node_wait_timeout'])

    def test_labels_read_by_the_table(self):
        self.assertEqual({'kube_tag': versions.DEFAULT_KUBE_TAG,
                          'fixed_subnet_cidr': '10.0.0.0/24',
                          'server_group_policy': 'anti-affinity',
                          'container_infra_prefix': '',
                          'binary_mirror_url': '',
                          'metrics_server_enabled': True,
                          'calico_ipv4pool': '10.100.0.0/16',
                          'service_cluster_ip_range': '10.254.0.0/16'},
                         parameters.labels_read())

    def test_pod_and_service_ranges(self):
        result = self.render(cluster(labels={
            'calico_ipv4pool': '192.168.0.0/16',
            'service_cluster_ip_range': '172.20.0.0/16'}))
        self.assertEqual(('192.168.0.0/16', '172.20.0.0/16'),
                         (result['pod_cidr'], result['service_cidr']))

    def test_air_gap_and_version_parameters(self):
        result = self.render(cluster(labels={
            'kube_tag': 'v1.35', 'cni': 'cilium',
            'container_infra_prefix': 'reg.example.com/k8s/',
            'binary_mirror_url': 'https://mirror.example.com',
            'metrics_server_enabled': 'false'}))
        self.assertEqual(('reg.example.com/k8s/', 'https://mirror.example.com',
                          'cilium', False),
                         (result['container_infra_prefix'],
                          result['binary_mirror_url'], result['cni'],
                          result['metrics_server_enabled']))
        self.assertEqual(
            versions.component_versions('v1.35', {'cni': 'cilium'}),
            result['component_versions'])
        self.assertIn('KUBE_VERSION=v1.35.9\n',
                      result['component_versions'])

    def test_cni_falls_back_to_the_network_driver(self):
        self.assertEqual('calico', self.render()['cni'])
        result = self.render(template_row=template(network_driver='cilium'))
        self.assertEqual('cilium', result['cni'])
        self.assertIn('CNI=cilium\n', result['component_versions'])
        self.assertTrue(self.render()['metrics_server_enabled'])

    def test_cloud_credentials(self):
        trust = {'auth_url': 'https://keystone/v3', 'region_name': 'r1',
                 'trustee_domain_id': 'dom', 'trustee_user_id': 'tu',
                 'trustee_username': 'c_p', 'trustee_password': 'pw',
                 'trust_id': 'tr'}
        result = self.render(credentials=trust)
        for name, value in trust.items():
            self.assertEqual(value, result[name], name)
        self.assertEqual('', result['application_credential_secret'])
        # The secrets travel hidden; who and where do not need to.
        secret = {'trustee_password', 'trust_id', 'application_credential_id',
                  'application_credential_secret'}
        credential_rows = {r.name for r in parameters.PARAMETERS
                           if r.sources[0].startswith('credentials.')}
        self.assertEqual(secret,
                         credential_rows & parameters.hidden_names())
        self.assertNotIn('pw', str(parameters.redacted(result)))
        # Without credentials (noauth) the cluster gets empty strings.
        none = self.render()
        self.assertEqual({''}, {none[name] for name in credential_rows})


class NodegroupParametersTest(testtools.TestCase):

    OUTPUTS = {'fixed_network': 'net-id', 'fixed_subnet': 'subnet-id',
               'worker_security_groups': ['sg-cluster', 'sg-worker'],
               'api_address': 'https://10.0.0.5:6443',
               'api_host': '10.0.0.5'}

    def render(self, ng=None, cluster_row=None, **kwargs):
        return parameters.nodegroup_parameters(
            cluster_row or cluster(), template(),
            ng or nodegroup('worker', name='gpu', node_count=2),
            self.OUTPUTS, **kwargs)

    def test_every_table_row_renders(self):
        names = {r.name for r in parameters.rows_for(parameters.NODEGROUP)}
        self.assertEqual(names, set(self.render()))

    def test_joins_the_cluster_network(self):
        result = self.render()
        self.assertEqual('net-id', result['fixed_network'])
        self.assertEqual('subnet-id', result['fixed_subnet'])
        self.assertEqual('sg-cluster,sg-worker', result['security_groups'])

    def test_nodegroup_fields(self):
        result = self.render(
            nodegroup('worker', name='gpu', node_count=4, flavor_id='g1',
                      docker_volume_size=50),
            removal_list=['server-9'])
        self.assertEqual(('gpu', 'worker', 4, 'g1', 50, 'server-9'),
                         (result['nodegroup_name'], result['nodegroup_role'],
                          result['node_count'], result['flavor'],
                          result['docker_volume_size'],
                          result['removal_list']))

    def test_nodegroup_labels_overlay_the_clusters(self):
        result = self.render(
            nodegroup('worker', name='gpu', labels={'kube_tag': 'v1.36.0'}),
            cluster(labels={'kube_tag': 'v1.35.0',
                            'server_group_policy': 'soft-affinity'}))
        self.assertEqual('v1.36.0', result['kube_tag'])
        self.assertIn('KUBE_VERSION=v1.36.0\n', result['component_versions'])
        self.assertNotIn('metrics_server_enabled', result)
        self.assertEqual('soft-affinity', result['server_group_policy'])


class RenderTest(testtools.TestCase):
    """The source kinds and conversions, on a table of their own."""

    TABLE = (
        parameters.Parameter('size', ('t.yaml',),
                             ('label:size', 'config:heat.size'),
                             type=parameters.NUMBER),
        parameters.Parameter('flag', ('t.yaml',), ('label:flag',),
                             type=parameters.BOOLEAN, default=False),
        parameters.Parameter('secret', ('t.yaml',), ('cluster.secret',),
                             hidden=True),
        parameters.Parameter('other', ('u.yaml',), ('cluster.uuid',)),
    )

    def render(self, labels=None, config=None, hidden_value='s3cret'):
        return parameters.render('t.yaml', {
            'labels': labels or {}, 'config': config or {},
            'cluster': {'secret': hidden_value, 'uuid': 'x'}}, self.TABLE)

    def test_config_is_the_fallback_of_a_label(self):
        self.assertEqual(7, self.render(config={'heat.size': 7})['size'])
        self.assertEqual(3, self.render({'size': '3'},
                                        {'heat.size': 7})['size'])

    def test_only_rows_of_the_template(self):
        self.assertNotIn('other', self.render())

    def test_boolean_labels(self):
        for text, expected in (('true', True), ('False', False),
                               ('1', True), ('no', False)):
            self.assertIs(expected, self.render({'flag': text})['flag'])
        self.assertIs(False, self.render()['flag'])

    def test_bad_values_name_the_parameter(self):
        err = self.assertRaises(ValueError, self.render, {'flag': 'maybe'})
        self.assertIn('flag', str(err))
        err = self.assertRaises(ValueError, self.render, {'size': 'big'})
        self.assertIn('size', str(err))

    def test_hidden_values_are_redacted(self):
        result = self.render()
        self.assertEqual('s3cret', result['secret'])
        self.assertEqual('***',
                         parameters.redacted(result, self.TABLE)['secret'])


class UnsupportedVersionTest(testtools.TestCase):

    def test_an_unsupported_kube_tag_names_the_parameter(self):
        # A cluster created before its kube_tag left the supported minors
        # cannot be given component versions: the error says which.
        err = self.assertRaises(
            ValueError, parameters.cluster_parameters,
            cluster(labels={'kube_tag': 'v1.31.4'}), template(),
            nodegroup('master'), nodegroup('worker'))
        self.assertIn('Heat parameter component_versions', str(err))
        self.assertIn('1.35, 1.36, 1.37', str(err))
