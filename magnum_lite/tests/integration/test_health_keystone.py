"""A cluster reports its own health, as Magnum's auto-healer does
(``PATCH /v1/clusters/{id}`` at microversion 1.10), with its own
credential from the real Keystone (``harness.keystone``): accepted for
that cluster, 403 for another, and silence turns it UNKNOWN.

The API and a conductor run behind keystonemiddleware
(``harness.api_server``, fake driver); the clusters' API addresses lead
nowhere, so only their reports tell their health.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from magnum_lite.clients import keystone as keystone_client
from magnum_lite.cluster import cluster_credentials
from magnum_lite.conf import CONF
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
FRAGMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         '..', '..', '..', 'heat-templates', 'kubernetes',
                         'fragments')
# What the masters' kubectl answers (fragments/health-report.sh asks its
# own API server for /readyz and the nodes' conditions): the files in
# $KNOBS, a stand-in for a live kube-apiserver, which cannot exist here.
KUBECTL = """#!/bin/bash
printf '%s\\n' "$*" >>"$KNOBS/kubectl.log"
case "$*" in
    *"get --raw"*) cat "$KNOBS/readyz"; exit "$(cat "$KNOBS/readyz-rc")" ;;
    *"get nodes"*) cat "$KNOBS/nodes" ;;
esac
"""
HEALTHY_NODES = ('m-0 MemoryPressure=False DiskPressure=False '
                 'PIDPressure=False Ready=True\n'
                 'w-0 Ready=True NetworkUnavailable=False\n')


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

    # The masters' reporter itself (fragments/health-report.sh, as its
    # systemd timer runs it), with real curl against the real Keystone and
    # the API: it authenticates with the cluster's credentials as cloud.env
    # holds them and sends Magnum's report.

    def reporter_files(self):
        self.tmp = tempfile.mkdtemp(prefix='ml-reporter-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.knobs = os.path.join(self.tmp, 'knobs')
        self.bin = os.path.join(self.tmp, 'bin')
        os.makedirs(self.knobs)
        os.makedirs(self.bin)
        kubectl = os.path.join(self.bin, 'kubectl')
        with open(kubectl, 'w') as f:
            f.write(KUBECTL)
        os.chmod(kubectl, 0o700)
        self.kube(HEALTHY_NODES)

    def kube(self, nodes, readyz='ok', rc=0):
        for name, text in (('nodes', nodes), ('readyz', readyz),
                           ('readyz-rc', str(rc))):
            with open(os.path.join(self.knobs, name), 'w') as f:
                f.write(text)

    def node_root(self, reports_for, credentials_of):
        """A master's files as cloud-init writes them (master.yaml):
        reporting on ``reports_for`` with ``credentials_of``'s
        credentials."""
        root = os.path.join(self.tmp, f'root-{uuid.uuid4().hex[:6]}')
        etc = os.path.join(root, 'etc', 'magnum-lite')
        os.makedirs(etc)
        values = cluster_credentials.heat_values(credentials_of)
        with open(os.path.join(FRAGMENTS, 'cloud.env')) as f:
            cloud_env = f.read()
        for key in ('auth_url', 'region_name', 'trustee_domain_id',
                    'trustee_user_id', 'trustee_username',
                    'trustee_password', 'trust_id',
                    'application_credential_id',
                    'application_credential_secret'):
            cloud_env = cloud_env.replace(f'__{key.upper()}__',
                                          values.get(key) or '')
        cloud_env = cloud_env.replace(
            '__MAGNUM_URL__', self.server.endpoint + '/v1').replace(
            '__HEALTH_REPORT_INTERVAL__', '60')
        files = {'cloud.env': cloud_env, 'versions.env': '',
                 'bootstrap.env': '', 'wc-notify': 'true\n',
                 'node.env': f"ROLE='master'\nNODE_NAME='m-0'\n"
                             f"NODE_IP='127.0.0.1'\nAPI_PORT='6443'\n"
                             f"CLUSTER_UUID='{reports_for}'\n"}
        for name, text in files.items():
            with open(os.path.join(etc, name), 'w') as f:
                f.write(text)
        return root

    def run_reporter(self, root):
        env = {'PATH': self.bin + ':/usr/bin:/bin', 'ML_ROOT': root,
               'KNOBS': self.knobs}
        return subprocess.run(
            ['bash', os.path.join(FRAGMENTS, 'health-report.sh')],
            env=env, capture_output=True, text=True, timeout=60)

    def test_the_masters_script_reports_with_the_clusters_credential(self):
        self.reporter_files()
        code, template = self.call(self.member, 'POST', '/clustertemplates',
                                   dict(TEMPLATE, name='tpl-reporter'))
        self.assertEqual(201, code, template)
        c1, c2 = (self.new_cluster(template['uuid']) for _ in range(2))
        own = self.node_root(c1, c1)

        result = self.run_reporter(own)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(('HEALTHY', {
            'api': 'ok', 'm-0.Ready': 'True', 'm-0.MemoryPressure': 'False',
            'm-0.DiskPressure': 'False', 'm-0.PIDPressure': 'False',
            'w-0.Ready': 'True', 'w-0.NetworkUnavailable': 'False'}),
            self.health(c1))
        # Its own API server, never the load balancer.
        with open(os.path.join(self.knobs, 'kubectl.log')) as f:
            self.assertIn('--server https://127.0.0.1:6443', f.read())

        # A node not ready, its API failing a check: UNHEALTHY, with the
        # token of the first report reused.
        token_file = os.path.join(own, 'var/lib/magnum-lite/health/token')
        with open(token_file) as f:
            token = f.read()
        self.kube('m-0 Ready=True\nw-0 Ready=False\n',
                  readyz='[+]ping ok\n[-]etcd failed: reason withheld\n'
                         'readyz check failed\n', rc=1)
        result = self.run_reporter(own)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(('UNHEALTHY', {
            'api': 'not ready: etcd failed: reason withheld;',
            'm-0.Ready': 'True', 'w-0.Ready': 'False'}), self.health(c1))
        with open(token_file) as f:
            self.assertEqual(token, f.read())

        # c2's credentials reporting on c1: refused, c1 unchanged.
        self.kube(HEALTHY_NODES)
        result = self.run_reporter(self.node_root(c1, c2))
        self.assertEqual(1, result.returncode, result.stdout)
        self.assertIn('the report was refused (403)', result.stderr)
        self.assertEqual('UNHEALTHY', self.health(c1)[0])

    def test_the_report_url_is_the_catalogs_container_infra(self):
        for name, value in self.keystone.trust_options().items():
            CONF.set_override(name, value, 'trust')
            self.addCleanup(CONF.clear_override, name, 'trust')
        keystone_client.cluster_magnum_url.cache_clear()
        self.addCleanup(keystone_client.cluster_magnum_url.cache_clear)
        self.assertEqual(self.server.endpoint + '/v1',
                         keystone_client.cluster_magnum_url())
