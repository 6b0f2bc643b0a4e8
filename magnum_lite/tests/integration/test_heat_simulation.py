"""The real Heat runs real templates against the simulated cloud.

Starts Heat (tools/heat/heatctl.py through HeatHarness) with a database
and vhost of its own, then checks heat-templates/simulation with the
template in templates/simulation_cluster.yaml: validation, a create whose
addresses are distinct and consistent, an injected failure on one server
that names it, and delete. Skipped only when MAGNUM_LITE_HEAT_TESTS=0.
"""

import ipaddress
import json
import os
import sys
import time

import testtools
from testtools import content

from magnum_lite.tests.harness import heat as heat_harness

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'templates')
CLUSTER = os.path.join(TEMPLATES, 'simulation_cluster.yaml')
ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'


def _outputs(stack):
    return {o['output_key']: o.get('output_value')
            for o in stack.outputs or ()}


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class TestHeatSimulation(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.timings = {}
        self.heat = self.useFixture(heat_harness.HeatHarness())
        # Runs before the harness purges its state (cleanups are LIFO).
        self.addCleanup(self._report)
        self.timings['heat_start'] = self.heat.start_seconds
        self.client = self.heat.client()

    def _report(self):
        timings = json.dumps({k: round(v or 0, 1)
                              for k, v in self.timings.items()})
        self.addDetail('timings', content.text_content(timings))
        print('heat simulation timings (s): %s' % timings, file=sys.stderr)
        if getattr(self, 'heat', None) and self.heat.state_dir:
            for name in ('heat-engine.log', 'heat-api.log'):
                path = os.path.join(self.heat.log_dir, name)
                if os.path.exists(path):
                    self.addDetail(name, content.text_content(
                        heat_harness.heatctl.local.tail(path, 40)))

    def _create(self, name, **parameter_defaults):
        tpl, files, env = self.heat.stack_args(
            CLUSTER, parameter_defaults=parameter_defaults)
        return self.client.stacks.create(
            stack_name=name, template=tpl, files=files,
            environment=env)['stack']['id']

    def test_simulated_cluster_lifecycle(self):
        # Without the simulation environment Neutron types are unusable
        # offline; with it, validation passes.
        tpl, files, env = self.heat.stack_args(CLUSTER)
        t0 = time.monotonic()
        result = self.client.stacks.validate(template=tpl, files=files,
                                             environment=env)
        self.timings['validate'] = time.monotonic() - t0
        self.assertIn('server_count', result['Parameters'])

        # A good stack and one with an injected failure, side by side.
        t0 = time.monotonic()
        good = self._create('simtest-good',
                            simulation_delays={'OS::Nova::Server': 1})
        bad = self._create('simtest-bad',
                           simulation_fail=['OS::Nova::Server:1'])
        good_stack = self.heat.wait_for_stack(self.client, good)
        self.timings['create'] = time.monotonic() - t0
        bad_stack = self.heat.wait_for_stack(self.client, bad)
        self.timings['create_failed'] = time.monotonic() - t0

        self.assertEqual('CREATE_COMPLETE', good_stack.stack_status,
                         good_stack.stack_status_reason)
        out = _outputs(good_stack)
        servers = out['server_addresses']
        self.assertEqual(3, len(servers))
        self.assertEqual(3, len(set(servers)), servers)
        # A server's address is its port's address, and the pool member's.
        self.assertEqual(servers, out['port_addresses'])
        self.assertEqual(servers, out['member_addresses'])
        for addr, nets in zip(servers, out['server_networks'],
                              strict=True):
            self.assertTrue(ipaddress.ip_address(addr).is_loopback, addr)
            self.assertEqual({'private': [addr]}, nets)
        self.assertEqual(['simtest-node-0', 'simtest-node-1',
                          'simtest-node-2'], out['server_names'])
        vip = out['lb_vip']
        self.assertNotIn(vip, servers)
        self.assertTrue(ipaddress.ip_address(vip).is_loopback, vip)
        # The floating IP knows the VIP through the VIP's port id.
        self.assertEqual(vip, out['lb_floating_ip_fixed'])
        self.assertIn(ipaddress.ip_address(out['lb_floating_ip']),
                      ipaddress.ip_network('127.24.0.0/16'))
        self.assertEqual('10.0.0.0/24', out['subnet_cidr'])
        self.assertEqual('10.0.0.1', out['subnet_gateway'])
        self.assertEqual([{'start': '10.0.0.2', 'end': '10.0.0.254'}],
                         out['subnet_pools'])
        self.assertEqual('simtest-key', out['keypair_ref'])
        self.assertTrue(out['keypair_public_key'].startswith('ssh-rsa '))

        self.assertEqual('CREATE_FAILED', bad_stack.stack_status)
        reason = bad_stack.stack_status_reason
        self.assertIn('resources.servers.resources[1].resources.server',
                      reason)
        failed = [r for r in self.client.resources.list(bad, nested_depth=3)
                  if r.resource_status == 'CREATE_FAILED'
                  and r.resource_type == 'OS::Nova::Server']
        self.assertEqual(['server'], [r.resource_name for r in failed])

        # Delete both.
        t0 = time.monotonic()
        self.client.stacks.delete(good)
        self.client.stacks.delete(bad)
        for stack_id in (good, bad):
            stack = self.heat.wait_for_stack(self.client, stack_id)
            if stack is not None:
                self.assertEqual('DELETE_COMPLETE', stack.stack_status,
                                 stack.stack_status_reason)
        self.timings['delete'] = time.monotonic() - t0
