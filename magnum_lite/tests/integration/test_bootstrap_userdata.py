"""The user data Heat renders for every kind of node, read back from the
real Heat engine (simulated cloud) and checked with Debian's
``cloud-init schema``.

Stacks are created from the real templates with parameters rendered by
the driver's table (secrets from ``bootstrap.from_stored``, as the driver
derives them from the conductor's stored CAs), then each node's
OS::Heat::CloudConfig is read through Heat's software-config API: exactly
what OS::Nova::Server hands Nova as user data.
"""

import base64
import gzip
import os
import re
import subprocess
import tempfile

import testtools
import yaml

from magnum_lite.common import x509
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.drivers.heat import parameters
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.integration import test_heat_templates as base

CLOUD_INIT = os.path.join(heat_harness.REPO, '.venvs', 'cloud-init', 'bin',
                          'cloud-init')
FRAGMENTS = os.path.join(base.TEMPLATES, 'fragments')
# Nova refuses user data over 65535 bytes once base64-encoded.
NOVA_LIMIT = 65535


def _stored():
    stored = {kind: x509.generate_ca('k8s')
              for kind in bootstrap.CA_PARAMETERS}
    stored[bootstrap.SERVICE_ACCOUNT] = x509.generate_service_account_key()
    return stored


def _content(entry):
    """A write_files entry's content as cloud-init writes it."""
    if entry.get('encoding') == 'gz+b64':
        return gzip.decompress(base64.b64decode(entry['content'])).decode()
    return entry['content']


def _env(text):
    return dict(re.findall(r"^([A-Z_0-9]+)='(.*)'$", text, re.M))


@testtools.skipUnless(base.ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class UserDataTest(heat_harness.OneHeatTestCase):
    """One Heat for the class; the stack helpers of the template tests."""

    timings = {}
    _args = base.HeatTemplatesTest._args
    _wait = base.HeatTemplatesTest._wait
    create = base.HeatTemplatesTest.create
    update = base.HeatTemplatesTest.update
    _delete_quietly = base.HeatTemplatesTest._delete_quietly
    outputs = base.HeatTemplatesTest.outputs

    def setUp(self):
        super().setUp()
        self.secrets = bootstrap.from_stored(_stored())

    def user_data(self, stack_id):
        """{node name: (files {path: (permissions, content)}, raw text)}
        of every CloudConfig in the stack."""
        nodes = {}
        for resource in self.client.resources.list(stack_id,
                                                    nested_depth=3):
            if resource.resource_type != 'OS::Heat::CloudConfig':
                continue
            text = self.client.software_configs.get(
                resource.physical_resource_id).config
            config = yaml.safe_load(text)
            files = {f['path']: (f.get('permissions'), _content(f))
                     for f in config['write_files']}
            name = _env(files['/etc/magnum-lite/node.env'][1])['NODE_NAME']
            nodes[name] = (files, text, config)
        return nodes

    def config_ids(self, stack_id):
        return sorted(
            (r.resource_name, r.physical_resource_id) for r in
            self.client.resources.list(stack_id, nested_depth=3)
            if r.resource_type in ('OS::Heat::CloudConfig',
                                   'OS::Nova::Server'))

    def cluster_rules(self, stack_id):
        """The node-to-node security group rules Heat passed on (the
        simulated group's parameters)."""
        group = self.client.resources.get(stack_id, 'cluster_security_group')
        return str(self.client.stacks.get(
            group.physical_resource_id).parameters['rules'])

    def check_schema(self, name, text):
        with tempfile.NamedTemporaryFile('w', suffix='.yaml') as f:
            f.write(text)
            f.flush()
            result = subprocess.run([CLOUD_INIT, 'schema', '--config-file',
                                     f.name], capture_output=True, text=True)
        self.assertEqual(0, result.returncode,
                         f'{name}: {result.stdout}{result.stderr}')
        self.assertIn('Valid cloud-config', result.stdout)

    def check_node(self, name, files, text, config):
        self.assertTrue(text.startswith('#cloud-config\n'), name)
        self.check_schema(name, text)
        size = len(base64.b64encode(text.encode()))
        self.assertLess(size, NOVA_LIMIT, name)
        self.sizes[name] = size
        self.assertEqual([['/bin/bash',
                           '/usr/local/lib/magnum-lite/bootstrap.sh']],
                         config['runcmd'])
        for script in ('bootstrap.sh', 'lib.sh', 'control-plane.sh'):
            with open(os.path.join(FRAGMENTS, script)) as f:
                self.assertEqual(
                    f.read(),
                    files[f'/usr/local/lib/magnum-lite/{script}'][1])
        for secret in ('/etc/magnum-lite/bootstrap.env',
                       '/etc/magnum-lite/wc-notify'):
            self.assertEqual('0600', files[secret][0], name)
        for path, (mode, content) in files.items():
            if 'PRIVATE KEY' in content:
                self.assertEqual('0600', mode, f'{name}: {path}')
        joined = _env(files['/etc/magnum-lite/bootstrap.env'][1])
        self.assertEqual(self.secrets['bootstrap_token'],
                         joined['BOOTSTRAP_TOKEN'])
        self.assertEqual(self.secrets['ca_cert_hash'],
                         joined['CA_CERT_HASH'])
        self.assertIn('curl', files['/etc/magnum-lite/wc-notify'][1])
        return _env(files['/etc/magnum-lite/node.env'][1])

    def check_master(self, name, files, text, config):
        node = self.check_node(name, files, text, config)
        self.assertEqual('master', node['ROLE'])
        self.assertEqual(
            (self.secrets['ca_key'], '0600'),
            (files['/etc/kubernetes/pki/ca.key'][1],
             files['/etc/kubernetes/pki/ca.key'][0]))
        self.assertEqual(self.secrets['service_account_key'],
                         files['/etc/kubernetes/pki/sa.key'][1])
        self.assertEqual(self.secrets['certificate_key'], _env(
            files['/etc/magnum-lite/bootstrap.env'][1])['CERTIFICATE_KEY'])
        self.assertIn('/etc/magnum-lite/addons/cinder-csi.yaml', files)
        self.assertEqual('0600', files['/etc/magnum-lite/cloud.env'][0])
        return node

    def check_worker(self, name, files, text, config):
        node = self.check_node(name, files, text, config)
        self.assertEqual('worker', node['ROLE'])
        self.assertNotIn('PRIVATE KEY', text, name)
        self.assertNotIn(self.secrets['certificate_key'], text, name)
        self.assertFalse([p for p in files if p.startswith(
            '/etc/kubernetes')], name)
        self.assertNotIn('/etc/magnum-lite/cloud.env', files)
        return node

    def render(self, cluster, template, master, worker):
        return parameters.cluster_parameters(
            cluster, template, master, worker, bootstrap=self.secrets)

    def test_user_data_of_every_node_kind(self):
        self.sizes = {}
        # Load balancer, upstream registries, an extra labeled nodegroup.
        cluster, template, master, worker = base.rows(
            master={'node_count': 2}, worker={'node_count': 1})
        params = self.render(cluster, template, master, worker)
        self.assertEqual(params, self.render(cluster, template, master,
                                             worker))
        stack_id = self.create('ml-ud-lb', parameters.CLUSTER, params,
                               'userdata_lb')
        outputs = self.outputs(stack_id)
        rules = self.cluster_rules(stack_id)
        # Cilium's health checks are open only for Cilium.
        self.assertNotIn('port_range_min=4240,', rules)
        nodes = self.user_data(stack_id)
        self.assertEqual({'k8s-default-master-0', 'k8s-default-master-1',
                          'k8s-default-worker-0'}, set(nodes))
        endpoint = f"{outputs['api_host']}:6443"
        for i in (0, 1):
            node = self.check_master(f'k8s-default-master-{i}',
                                     *nodes[f'k8s-default-master-{i}'])
            self.assertEqual((str(i), endpoint, ''),
                             (node['NODE_INDEX'],
                              node['CONTROL_PLANE_ENDPOINT'],
                              node['CONTAINER_INFRA_PREFIX']))
        node = self.check_worker('k8s-default-worker-0',
                                 *nodes['k8s-default-worker-0'])
        self.assertEqual(endpoint, node['CONTROL_PLANE_ENDPOINT'])
        # An update that changes nothing of the nodes (the secrets are
        # derived again, the scripts compressed again) keeps every
        # node's user data, so no server is replaced.
        before = self.config_ids(stack_id)
        self.update(stack_id, parameters.CLUSTER,
                    self.render(cluster, template, master, worker),
                    'userdata_update')
        self.assertEqual(before, self.config_ids(stack_id))

        ng = dict(worker, name='gpu', role='gpu', node_count=1,
                  node_labels={'accel': 'a100', 'tier': 'gold'},
                  node_taints=[{'key': 'gpu', 'value': 'true',
                                'effect': 'NoSchedule'}],
                  image_id=None, flavor_id=None)
        ng_params = parameters.nodegroup_parameters(
            cluster, template, ng, outputs, bootstrap=self.secrets)
        ng_id = self.create('ml-ud-ng', parameters.NODEGROUP, ng_params,
                            'userdata_nodegroup')
        [(name, data)] = self.user_data(ng_id).items()
        node = self.check_worker(name, *data)
        self.assertEqual(('gpu', 'gpu', 'accel=a100,tier=gold',
                          'gpu=true:NoSchedule', endpoint),
                         (node['NODEGROUP'], node['NODEGROUP_ROLE'],
                          node['NODE_LABELS'], node['NODE_TAINTS'],
                          node['CONTROL_PLANE_ENDPOINT']))

        # Without a load balancer, behind a registry prefix and a mirror,
        # Cilium, labels and taints on the default nodegroups.
        cluster, template, master, worker = base.rows(
            cluster={'master_lb_enabled': False, 'labels': {
                'container_infra_prefix': 'registry.example.com/k8s/',
                'binary_mirror_url': 'https://mirror.example.com',
                'cni': 'cilium', 'metrics_server_enabled': 'false'}},
            master={'node_count': 2, 'node_labels': {'zone': 'a'},
                    'node_taints': [{'key': 'infra',
                                     'effect': 'PreferNoSchedule'}]},
            worker={'node_count': 1, 'node_labels': {'pool': 'web'}})
        template['master_lb_enabled'] = False
        params = self.render(cluster, template, master, worker)
        stack_id = self.create('ml-ud-nolb', parameters.CLUSTER, params,
                               'userdata_nolb')
        rules = self.cluster_rules(stack_id)
        self.assertIn('port_range_min=4240,', rules)
        self.assertIn('port_range_min=8472,', rules)   # VXLAN
        self.assertNotIn('port_range_min=179,', rules)  # Calico's BGP
        nodes = self.user_data(stack_id)
        first = self.check_master('k8s-default-master-0',
                                  *nodes['k8s-default-master-0'])
        second = self.check_master('k8s-default-master-1',
                                   *nodes['k8s-default-master-1'])
        worker_env = self.check_worker('k8s-default-worker-0',
                                       *nodes['k8s-default-worker-0'])
        # The endpoint is master 0's own (cluster-owned) port address.
        endpoint = f"{first['NODE_IP']}:6443"
        for node in (first, second, worker_env):
            self.assertEqual(endpoint, node['CONTROL_PLANE_ENDPOINT'])
            self.assertEqual('registry.example.com/k8s/',
                             node['CONTAINER_INFRA_PREFIX'])
            self.assertEqual('https://mirror.example.com',
                             node['BINARY_MIRROR_URL'])
        self.assertNotEqual(first['NODE_IP'], second['NODE_IP'])
        self.assertEqual(('zone=a', 'infra:PreferNoSchedule'),
                         (first['NODE_LABELS'], first['NODE_TAINTS']))
        self.assertEqual('pool=web', worker_env['NODE_LABELS'])
        versions_env = nodes['k8s-default-worker-0'][0][
            '/etc/magnum-lite/versions.env'][1]
        self.assertIn('CNI=cilium\n', versions_env)
        print(f'user data sizes (base64 bytes): {self.sizes}')
