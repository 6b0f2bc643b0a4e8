"""The one-box OpenStack control plane builds real resources for a tenant.

As ``alpha-member`` (role ``member`` on project alpha, nothing more):
a keypair, a network and subnet, then through Heat (trusts, stack
domain) a stack of a real OS::Nova::Server, OS::Neutron::Port and
OS::Octavia::LoadBalancer (templates/openstack_smoke.yaml):
CREATE_COMPLETE; ``openstack server list`` shows the server to alpha and
not to ``beta-member``; after delete nothing of it is left in alpha.
Runs on harness.openstack.shared(); MAGNUM_LITE_OPENSTACK_TESTS=0 skips it.
"""

import json
import os
import sys
import time
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from testtools import content

from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import openstack

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'templates', 'openstack_smoke.yaml')
ALPHA = 'alpha-member'
wait_for_stack = heat_harness.HeatHarness.wait_for_stack
BETA = 'beta-member'


def _public_key():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()


class TestTenantStack(openstack.OpenStackTestCase):

    def setUp(self):
        super().setUp()
        self.timings = {'control_plane_start': self.cloud.start_seconds}
        self.addCleanup(self._report)

    def _report(self):
        usage, total = self.cloud.rss_mib()
        report = {'timings_s': {k: round(v or 0, 1)
                                for k, v in self.timings.items()},
                  'control_plane_timings_s': self.cloud.state['timings'],
                  'rss_mib_total': total, 'rss_mib': usage}
        text = json.dumps(report)
        self.addDetail('openstack-control-plane', content.text_content(text))
        print('openstack control plane: %s' % text, file=sys.stderr)

    def _tenant_network(self, name):
        net = self.cloud.call(ALPHA, 'network', 'POST', '/v2.0/networks', {
            'network': {'name': name}})['network']
        self.addCleanup(self.cloud.call, ALPHA, 'network', 'DELETE',
                        '/v2.0/networks/%s' % net['id'])
        subnet = self.cloud.call(ALPHA, 'network', 'POST', '/v2.0/subnets', {
            'subnet': {'name': name, 'network_id': net['id'],
                       'ip_version': 4, 'cidr': '10.20.0.0/24'}})['subnet']
        return net, subnet

    def _failure_details(self, heat, stack_id):
        events = [(e.resource_name, e.resource_status,
                   e.resource_status_reason)
                  for e in heat.events.list(stack_id, nested_depth=2)]
        self.addDetail('stack-events', content.text_content(
            json.dumps(events, indent=1)))

    def test_member_builds_and_deletes_a_stack_in_its_project(self):
        name = 'mlt-%s' % uuid.uuid4().hex[:8]
        t0 = time.monotonic()
        self.cloud.call(ALPHA, 'compute', 'POST', '/os-keypairs', {
            'keypair': {'name': name, 'public_key': _public_key()}})
        self.addCleanup(self.cloud.call, ALPHA, 'compute', 'DELETE',
                        '/os-keypairs/%s' % name)
        net, subnet = self._tenant_network(name)
        heat = self.cloud.heat_client(ALPHA)
        with open(TEMPLATE) as f:
            template = f.read()
        created = heat.stacks.create(stack_name=name, template=template,
                                     parameters={
                                         'key_name': name,
                                         'image': self.cloud.image,
                                         'flavor': self.cloud.flavor,
                                         'network': net['id'],
                                         'subnet': subnet['id']})
        stack_id = created['stack']['id']
        stack = wait_for_stack(heat, stack_id, timeout=600, interval=2)
        self.timings['stack_create'] = time.monotonic() - t0
        if stack.stack_status != 'CREATE_COMPLETE':
            self._failure_details(heat, stack_id)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}

        # The server, its port and the load balancer are alpha's.
        alpha_project = self.cloud.keystone.projects['alpha']
        servers = self.cloud.cli(ALPHA, 'server', 'list')
        self.assertEqual([outputs['server_id']], [s['ID'] for s in servers])
        self.assertEqual('ACTIVE', servers[0]['Status'])
        server = self.cloud.call(ALPHA, 'compute', 'GET', '/servers/%s'
                                 % outputs['server_id'])['server']
        self.assertEqual(name, server['key_name'])
        self.assertEqual(alpha_project, server['tenant_id'])
        port = self.cloud.call(ALPHA, 'network', 'GET', '/v2.0/ports/%s'
                               % outputs['port_id'])['port']
        self.assertEqual(outputs['server_id'], port['device_id'])
        self.assertEqual('ACTIVE', port['status'])
        lb = self.cloud.call(ALPHA, 'load-balancer', 'GET',
                             '/v2/lbaas/loadbalancers/%s'
                             % outputs['loadbalancer_id'])['loadbalancer']
        self.assertEqual(('ACTIVE', alpha_project),
                         (lb['provisioning_status'], lb['project_id']))

        # beta sees none of it.
        self.assertEqual([], self.cloud.cli(BETA, 'server', 'list'))
        self.assertEqual([], self.cloud.call(
            BETA, 'load-balancer', 'GET',
            '/v2/lbaas/loadbalancers')['loadbalancers'])
        self.assertEqual([], list(self.cloud.heat_client(BETA).stacks.list()))
        self.timings['checks'] = time.monotonic() - t0 - self.timings[
            'stack_create']

        t1 = time.monotonic()
        heat.stacks.delete(stack_id)
        gone = wait_for_stack(heat, stack_id, timeout=600, interval=2)
        # Heat shows a deleted stack to its owner by id, or not at all.
        self.assertIn(getattr(gone, 'stack_status', None),
                      (None, 'DELETE_COMPLETE'))
        self.timings['stack_delete'] = time.monotonic() - t1

        self.assertEqual([], self.cloud.cli(ALPHA, 'server', 'list'))
        self.assertEqual([], self.cloud.call(
            ALPHA, 'network', 'GET', '/v2.0/ports?network_id=%s'
            % net['id'])['ports'])
        lbs = self.cloud.call(ALPHA, 'load-balancer', 'GET',
                              '/v2/lbaas/loadbalancers')['loadbalancers']
        self.assertEqual([], [lb for lb in lbs
                              if lb['provisioning_status'] != 'DELETED'])
        self.assertEqual([], list(heat.stacks.list()))
        self.timings['test'] = time.monotonic() - t0
