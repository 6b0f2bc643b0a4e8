"""A cloud service that fails the API's resource lookups: a 503 in
Magnum's envelope and no row, never a 500; one the catalog lacks is not
looked at.

Only the error mapping is tested here, with a tiny HTTP stand-in for
the services and a stand-in for keystonemiddleware that hands the API a
token whose catalog points at it. What the lookups find in a real cloud
is tested against the one-box control plane
(tests/integration/test_openstack_owner_checks.py).
"""

import http.server
import logging
import socket
import threading
import time
import types

import fixtures
import webtest
from keystoneauth1 import access

from magnum_lite.cluster import cloud_checks
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests


class _Services(http.server.BaseHTTPRequestHandler):
    """/broken/...: 500; /slow/...: answers after 2 s; else an empty
    list."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.startswith('/broken/'):
            self._reply(500, b'{"error": "down"}')
        elif self.path.startswith('/slow/'):
            time.sleep(2)
            self._reply(200, b'{}')
        else:
            self._reply(200, b'{}')

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _access_info(catalog):
    """A validated token as keystonemiddleware would leave it."""
    domain = {'id': 'default', 'name': 'Default'}
    return access.create(auth_token='token', body={'token': {
        'methods': ['password'], 'expires_at': '2099-01-01T00:00:00Z',
        'user': {'id': 'user-a', 'name': 'a', 'domain': domain},
        'project': {'id': 'project-a', 'name': 'a', 'domain': domain},
        'roles': [{'id': 'm', 'name': 'member'}],
        'catalog': [{'type': kind, 'id': kind, 'name': kind, 'endpoints': [
            {'id': kind, 'interface': 'public', 'region': 'RegionOne',
             'region_id': 'RegionOne', 'url': url}]}
            for kind, url in catalog.items()]}})


class _TokenAuth:
    """Stands in for keystonemiddleware: the identity headers and the
    token data (``keystone.token_auth``) of ``access_info``."""

    def __init__(self, app, access_info):
        self.app = app
        self.access_info = access_info

    def __call__(self, environ, start_response):
        environ.update({'HTTP_X_PROJECT_ID': 'project-a',
                        'HTTP_X_USER_ID': 'user-a',
                        'HTTP_X_ROLES': 'admin,member,reader',
                        'HTTP_X_IDENTITY_STATUS': 'Confirmed'})
        environ['keystone.token_auth'] = types.SimpleNamespace(
            user=self.access_info)
        return self.app(environ, start_response)


class TestCloudCheckErrors(base.FunctionalTestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'})]
    with_conductor = False

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Services)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.base_url = f'http://127.0.0.1:{server.server_port}'
        self.conf.config(auth_strategy='keystone', group='api')
        # No credentials are made: the fake driver reaches no Heat.
        self.conf.config(cluster_user_trust=False, group='trust')
        self.conf.config(auth_mode='noauth', group='heat')
        self.conf.config(timeout=0.5, group='cloud')

    def app_with(self, catalog):
        access_info = _access_info(catalog)
        self.useFixture(fixtures.MockPatch(
            'magnum_lite.api.auth.wrap',
            side_effect=lambda app: _TokenAuth(app, access_info)))
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())

    def refused(self, catalog, body, service, reason):
        self.app_with(catalog)
        response = self.call('POST', '/v1/clustertemplates', dict(
            {'name': 'tpl', 'coe': 'kubernetes'}, **body), status=503)
        error = self.assert_error(response, 503, f'{service} is unavailable')
        self.assertEqual('server', error['code'])
        self.assertIn(reason, error['detail'])
        self.assertEqual(0, self.count(models.ClusterTemplate))

    def test_5xx_is_503(self):
        self.refused({'compute': self.base_url + '/broken/v2.1'},
                     {'image_id': 'img', 'flavor_id': 'm1.small'}, 'Nova',
                     'answered 500')

    def test_timeout_is_503(self):
        self.refused({'image': self.base_url + '/slow'},
                     {'image_id': 'img'}, 'Glance', 'timed out')

    def test_connection_refused_is_503(self):
        self.refused({'network': f'http://127.0.0.1:{_closed_port()}'},
                     {'image_id': 'img', 'external_network_id': 'public'},
                     'Neutron', 'cannot connect')

    def test_service_missing_from_catalog_is_not_checked(self):
        # No catalog at all: a template and clusters are accepted; the
        # log says so once.
        self.useFixture(fixtures.MockPatchObject(cloud_checks, '_SAID',
                                                 set()))
        self.app_with({})
        self.call('POST', '/v1/clustertemplates', {
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img',
            'flavor_id': 'm1.small', 'external_network_id': 'public'},
            status=201)
        self.call('POST', '/v1/clusters', {'cluster_template_id': 'tpl',
                                           'keypair': 'kp'}, status=202)
        self.call('POST', '/v1/clusters', {'cluster_template_id': 'tpl',
                                           'name': 'c2'}, status=202)
        said = [line for line in self.log.output.splitlines()
                if 'no compute endpoint' in line]
        self.assertEqual(1, len(said), self.log.output)
