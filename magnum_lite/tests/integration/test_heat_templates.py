"""heat-templates/kubernetes on the real Heat engine, with the cloud
simulated (heat-templates/simulation), parameters rendered by the table.

Set MAGNUM_LITE_HEAT_TESTS=0 to skip (starting Heat takes about a minute).
"""

import os
import sys
import time

import testtools
from heatclient import exc as heat_exc

from magnum_lite.cluster import versions
from magnum_lite.drivers.heat import parameters
from magnum_lite.tests.harness import heat as heat_harness

TEMPLATES = os.path.join(heat_harness.REPO, 'heat-templates', 'kubernetes')
ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
STACK_TIMEOUT = 900


def rows(**overrides):
    """Plain-dict cluster, template and default nodegroup rows."""
    cluster = {'uuid': 'c0ffee00-0000-4000-8000-000000000001',
               'name': 'k8s', 'keypair': 'default', 'labels': {},
               'master_flavor_id': None, 'flavor_id': None,
               'docker_volume_size': None, 'create_timeout': 10,
               'fixed_network': None, 'fixed_subnet': None,
               'floating_ip_enabled': False, 'master_lb_enabled': True}
    cluster.update(overrides.pop('cluster', {}))
    template = {'image_id': 'fedora-coreos-40', 'flavor_id': 'm1.small',
                'master_flavor_id': 'm1.medium', 'keypair_id': None,
                'external_network_id': 'public', 'fixed_network': None,
                'fixed_subnet': None, 'dns_nameserver': '8.8.8.8',
                'network_driver': 'flannel', 'apiserver_port': 6443,
                'docker_volume_size': 10, 'master_lb_enabled': True,
                'floating_ip_enabled': True, 'labels': {}}
    master = {'name': 'default-master', 'role': 'master', 'node_count': 3,
              'flavor_id': None, 'image_id': None,
              'docker_volume_size': None, 'labels': {}}
    worker = dict(master, name='default-worker', role='worker',
                  node_count=2)
    worker.update(overrides.pop('worker', {}))
    master.update(overrides.pop('master', {}))
    return cluster, template, master, worker


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatTemplatesTest(heat_harness.OneHeatTestCase):
    """One Heat for the class; each test makes and deletes its stacks."""

    timings = {}

    @classmethod
    def tearDownClass(cls):
        print('heat template timings (s): %s' % ', '.join(
            f'{k}={v:.1f}' for k, v in cls.timings.items()), file=sys.stderr)
        super().tearDownClass()

    # helpers ---------------------------------------------------------------

    def _args(self, entry):
        template, files, env = self.heat.stack_args(
            os.path.join(TEMPLATES, entry))
        return {'template': template, 'files': files, 'environment': env}

    def _wait(self, stack_id, label, expect, t0):
        stack = self.heat.wait_for_stack(self.client, stack_id,
                                         timeout=STACK_TIMEOUT)
        self.timings[label] = time.monotonic() - t0
        status = stack.stack_status if stack is not None else 'GONE'
        reason = stack.stack_status_reason if stack is not None else ''
        self.assertEqual(expect, status, f'{label}: {reason}')
        return stack

    def create(self, name, entry, params, label):
        t0 = time.monotonic()
        created = self.client.stacks.create(
            stack_name=name, parameters=params, timeout_mins=15,
            **self._args(entry))
        stack_id = created['stack']['id']
        self.addCleanup(self._delete_quietly, stack_id)
        self._wait(stack_id, label, 'CREATE_COMPLETE', t0)
        return stack_id

    def update(self, stack_id, entry, params, label):
        t0 = time.monotonic()
        self.client.stacks.update(stack_id, parameters=params,
                                  timeout_mins=15, **self._args(entry))
        self._wait(stack_id, label, 'UPDATE_COMPLETE', t0)

    def delete(self, stack_id, label):
        t0 = time.monotonic()
        self.client.stacks.delete(stack_id)
        stack = self.heat.wait_for_stack(self.client, stack_id,
                                         timeout=STACK_TIMEOUT)
        self.timings[label] = time.monotonic() - t0
        self.assertTrue(stack is None
                        or stack.stack_status == 'DELETE_COMPLETE',
                        stack and stack.stack_status_reason)

    def _delete_quietly(self, stack_id):
        try:
            self.client.stacks.delete(stack_id)
            self.heat.wait_for_stack(self.client, stack_id, timeout=300)
        except (heat_exc.HTTPException, heat_harness.StackTimeout):
            pass  # best effort: stopping the harness purges Heat anyway

    def outputs(self, stack_id):
        stack = self.client.stacks.get(stack_id)
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs}

    # tests -----------------------------------------------------------------

    def test_cluster_with_lb_scale_remove_nodegroup_delete(self):
        cluster, template, master, worker = rows()
        params = parameters.cluster_parameters(cluster, template, master,
                                               worker)
        stack_id = self.create('ml-lb', parameters.CLUSTER, params,
                               'create_3m_2w_lb')
        out = self.outputs(stack_id)
        self.assertEqual(3, len(set(out['master_addresses'])))
        self.assertEqual(2, len(set(out['node_addresses'])))
        self.assertEqual(out['master_addresses'],
                         out['master_private_addresses'])
        self.assertRegex(out['api_address'], r'^https://[0-9.]+:6443$')
        self.assertNotIn(out['api_address'][len('https://'):-len(':6443')],
                         out['master_addresses'])
        self.assertEqual(versions.DEFAULT_KUBE_TAG, out['kube_version'])

        worker['node_count'] = 5
        self.update(stack_id, parameters.CLUSTER,
                    parameters.cluster_parameters(cluster, template, master,
                                                  worker), 'scale_2_to_5')
        ids = self.outputs(stack_id)['worker_server_ids']
        self.assertEqual(5, len(set(ids)))

        doomed = [ids[1], ids[3]]
        worker['node_count'] = 3
        self.update(stack_id, parameters.CLUSTER,
                    parameters.cluster_parameters(
                        cluster, template, master, worker,
                        removals={'worker': doomed}),
                    'scale_5_to_3_named')
        out = self.outputs(stack_id)
        self.assertEqual(sorted(set(ids) - set(doomed)),
                         sorted(out['worker_server_ids']))
        self.assertEqual(3, len(set(out['node_addresses'])))

        nodegroup = dict(worker, name='gpu', node_count=2, flavor_id='g1',
                         uuid='ng-1')
        ng_params = parameters.nodegroup_parameters(cluster, template,
                                                    nodegroup, out)
        ng_id = self.create('ml-lb-ng-gpu', parameters.NODEGROUP, ng_params,
                            'nodegroup_create_2')
        ng_out = self.outputs(ng_id)
        self.assertEqual(2, len(set(ng_out['node_addresses'])))
        self.assertEqual(2, len(set(ng_out['server_ids'])))
        self.assertEqual(set(), set(ng_out['node_addresses'])
                         & set(out['node_addresses']))
        self.delete(ng_id, 'nodegroup_delete')
        self.delete(stack_id, 'delete_cluster')

    def test_existing_network_floating_ips_without_lb(self):
        cluster, template, master, worker = rows(
            cluster={'master_lb_enabled': False, 'floating_ip_enabled': True,
                     'fixed_network': 'net-existing',
                     'fixed_subnet': 'subnet-existing',
                     'labels': {'kube_tag': 'v1.36.4'}},
            master={'node_count': 1}, worker={'node_count': 1})
        params = parameters.cluster_parameters(cluster, template, master,
                                               worker)
        stack_id = self.create('ml-fip', parameters.CLUSTER, params,
                               'create_1m_1w_fip')
        out = self.outputs(stack_id)
        self.assertEqual('net-existing', out['fixed_network'])
        self.assertEqual('subnet-existing', out['fixed_subnet'])
        self.assertEqual(f'https://{out["master_addresses"][0]}:6443',
                         out['api_address'])
        self.assertNotEqual(out['master_addresses'],
                            out['master_private_addresses'])
        self.assertEqual('v1.36.4', out['kube_version'])
        self.delete(stack_id, 'delete_1m_1w')

    def test_lb_with_floating_ip_and_calico(self):
        cluster, template, master, worker = rows(
            cluster={'floating_ip_enabled': True},
            master={'node_count': 1}, worker={'node_count': 0})
        template['network_driver'] = 'calico'
        params = parameters.cluster_parameters(cluster, template, master,
                                               worker)
        stack_id = self.create('ml-lbfip', parameters.CLUSTER, params,
                               'create_1m_0w_lb_fip')
        out = self.outputs(stack_id)
        self.assertEqual([], out['node_addresses'])
        host = out['api_address'][len('https://'):-len(':6443')]
        self.assertNotIn(host, out['master_addresses'])
        self.assertNotIn(host, out['master_private_addresses'])
        lb = self.client.resources.get(stack_id, 'api_lb')
        fip = self.client.resources.get(stack_id, 'api_floating_ip')
        self.assertEqual(host, fip.attributes['floating_ip_address'])
        self.assertNotEqual(host, lb.attributes['vip_address'])
        self.delete(stack_id, 'delete_1m_0w_lb_fip')

    def test_a_node_that_never_signals_fails_the_stack(self):
        cluster, template, master, worker = rows(
            cluster={'master_lb_enabled': False},
            master={'node_count': 1}, worker={'node_count': 1})
        params = parameters.cluster_parameters(cluster, template, master,
                                               worker)
        template_, files, env = self.heat.stack_args(
            os.path.join(TEMPLATES, parameters.CLUSTER),
            parameter_defaults={
                'simulation_fail': ['OS::Heat::WaitCondition:kube_minions']})
        t0 = time.monotonic()
        created = self.client.stacks.create(
            stack_name='ml-fail', parameters=params, template=template_,
            files=files, environment=env)
        stack_id = created['stack']['id']
        self.addCleanup(self._delete_quietly, stack_id)
        stack = self._wait(stack_id, 'create_failing_worker',
                           'CREATE_FAILED', t0)
        self.assertIn('kube_minions', stack.stack_status_reason)
        failed = [r.resource_name for r in self.client.resources.list(
            stack_id, nested_depth=5, filters={'status': 'FAILED'})]
        self.assertIn('booted', failed)
        self.delete(stack_id, 'delete_failed')
