"""A cluster reports its own health, as Magnum's auto-healer does
(``PATCH /v1/clusters/{id}`` at microversion 1.10), with its own
credential from the real Keystone (``harness.keystone``): accepted for
that cluster, 403 for another, and silence turns it UNKNOWN.

The API and a conductor run behind keystonemiddleware
(``harness.api_server``, fake driver); the clusters' API addresses lead
nowhere, so only their reports tell their health.
"""

import json
import time
import uuid

from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import keystone

# Long enough for the refused calls below to run well inside it.
REPORT_TIMEOUT = 8
TEMPLATE = {'coe': 'kubernetes', 'image_id': 'img-1', 'flavor_id': 'm1',
            'master_flavor_id': 'm1', 'keypair_id': 'kp',
            'master_lb_enabled': True}
REASON = {'api': 'ok', 'node-0.Ready': 'True'}


def _report(status='HEALTHY', reason=None):
    """The patch Magnum's auto-healer sends (the reason as a JSON
    string)."""
    return [{'op': 'replace', 'path': '/health_status', 'value': status},
            {'op': 'replace', 'path': '/health_status_reason',
             'value': json.dumps(reason or REASON)}]


class HealthReportTest(api_server.ServerPerClass, base.DbTestCase):

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    @classmethod
    def server_options(cls):
        cls.keystone = keystone.shared()
        return {'keystone': cls.keystone, 'config': {
            'trust': cls.keystone.trust_options(),
            'health': {'interval': 1, 'timeout': 1,
                       'report_timeout': REPORT_TIMEOUT}}}

    def setUp(self):
        super().setUp()
        self.member = self.keystone.token('alpha-member')

    def call(self, token, method, path, body=None, version='1.10'):
        return self.server.request(method, path, body, version=version,
                                   headers={'X-Auth-Token': token})

    def new_cluster(self, template):
        code, reply = self.call(self.member, 'POST', '/clusters', {
            'name': f'c-{uuid.uuid4().hex[:8]}',
            'cluster_template_id': template, 'master_count': 1,
            'node_count': 1})
        self.assertEqual(202, code, reply)
        self.wait_until(reply['uuid'], 'status', 'CREATE_COMPLETE', 60)
        return reply['uuid']

    def show(self, cluster):
        code, reply = self.call(self.member, 'GET', f'/clusters/{cluster}')
        self.assertEqual(200, code, reply)
        return reply

    def wait_until(self, cluster, field, value, timeout):
        deadline = time.monotonic() + timeout
        while self.show(cluster)[field] != value:
            self.assertLess(time.monotonic(), deadline,
                            f'{field} of {cluster} not {value}')
            time.sleep(0.5)

    def health(self, cluster):
        reply = self.show(cluster)
        return reply['health_status'], reply['health_status_reason']

    def test_own_credential_reports_other_is_refused_silence_unknown(self):
        code, template = self.call(self.member, 'POST', '/clustertemplates',
                                   dict(TEMPLATE, name='tpl-health'))
        self.assertEqual(201, code, template)
        c1, c2 = (self.new_cluster(template['uuid']) for _ in range(2))
        own, other = (self.keystone.cluster_token(c) for c in (c1, c2))

        code, reply = self.call(own, 'PATCH', f'/clusters/{c1}', _report())
        self.assertEqual(202, code, reply)
        self.assertEqual(('HEALTHY', REASON), self.health(c1))
        reported_at = db_api.cluster_get(c1).health_reported_at

        refused = [
            # Another cluster's credential, on c1.
            (other, f'/clusters/{c1}', _report('UNHEALTHY')),
            # c1's credential on another cluster.
            (own, f'/clusters/{c2}', _report('UNHEALTHY')),
            # c1's credential, anything but health.
            (own, f'/clusters/{c1}',
             [{'op': 'replace', 'path': '/node_count', 'value': 2}]),
            (own, f'/clusters/{c1}', _report('UNHEALTHY') + [
                {'op': 'replace', 'path': '/node_count', 'value': 2}]),
        ]
        for token, path, patch in refused:
            code, reply = self.call(token, 'PATCH', path, patch)
            self.assertEqual(403, code, (path, patch, reply))
            self.assertIn("Policy doesn't allow",
                          reply['errors'][0]['detail'])
        self.assertEqual(('HEALTHY', REASON), self.health(c1))
        # c2 reported nothing (it may be UNKNOWN by now, never UNHEALTHY).
        self.assertIn(self.health(c2)[0], (None, 'UNKNOWN'))

        # Silence: the conductor cannot reach c1's API, and after
        # report_timeout without a report c1 is UNKNOWN since it.
        self.wait_until(c1, 'health_status', 'UNKNOWN', REPORT_TIMEOUT + 15)
        stamp = reported_at.isoformat()
        self.assertEqual({'api': 'unreachable',
                          'report': f'none since {stamp}Z'},
                         self.health(c1)[1])
