"""auth_strategy = keystone: keystonemiddleware guards all but the
version documents."""

import webtest

from magnum_lite.tests import base


class TestKeystoneStrategy(base.DbTestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def setUp(self):
        super().setUp()
        self.conf.config(auth_strategy='keystone', group='api')
        self.conf.config(www_authenticate_uri='http://127.0.0.1:5000/v3',
                         group='keystone_authtoken')
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())

    def test_version_documents_are_public(self):
        self.assertEqual(200, self.app.get('/').status_int)
        self.assertEqual(200, self.app.get('/v1').status_int)
        self.assertEqual(200, self.app.get('/v1/').status_int)

    def test_no_token_is_401(self):
        response = self.app.get('/v1/clusters', expect_errors=True)
        self.assertEqual(401, response.status_int)
        self.assertIn('WWW-Authenticate', response.headers)

    def test_identity_headers_are_not_trusted(self):
        response = self.app.get(
            '/v1/clusters', expect_errors=True,
            headers={'X-Project-Id': 'p', 'X-Roles': 'admin',
                     'X-Identity-Status': 'Confirmed'})
        self.assertEqual(401, response.status_int)
