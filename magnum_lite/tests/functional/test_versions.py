"""Version documents and microversion negotiation (contract §2)."""

import re

from magnum_lite.api import microversions
from magnum_lite.tests import base

load_tests = base.load_tests



SERVICE = 'container-infrastructure-management'
MAX = str(microversions.MAX)
VERSION_HEADERS = ('OpenStack-API-Minimum-Version',
                   'OpenStack-API-Maximum-Version', 'OpenStack-API-Version')
HOST = {'Host': 'api.example.com:9511'}
BASE = 'http://api.example.com:9511'


class VersionTestCase(base.FunctionalTestCase):
    """No cluster work here: no conductor needed."""

    with_conductor = False

    def assert_version_headers(self, response, version):
        self.assertEqual(f'{SERVICE} 1.1',
                         response.headers['OpenStack-API-Minimum-Version'])
        self.assertEqual(f'{SERVICE} {MAX}',
                         response.headers['OpenStack-API-Maximum-Version'])
        self.assertEqual(f'{SERVICE} {version}',
                         response.headers['OpenStack-API-Version'])
        self.assertEqual('OpenStack-API-Version', response.headers['Vary'])

    def assert_no_version_headers(self, response):
        for name in VERSION_HEADERS:
            self.assertNotIn(name, response.headers)


class TestRootDocument(VersionTestCase):

    def test_root(self):
        response = self.app.get('/', headers=HOST)
        self.assertEqual('application/json', response.headers['Content-Type'])
        self.assertEqual({
            'name': 'OpenStack Magnum API',
            'description': 'Magnum is an OpenStack project which aims to '
                           'provide container cluster management.',
            'versions': [{'id': 'v1',
                          'links': [{'href': f'{BASE}/v1/', 'rel': 'self'}],
                          'status': 'CURRENT', 'max_version': MAX,
                          'min_version': '1.1'}]}, response.json)
        self.assert_no_version_headers(response)
        self.assertRegex(response.headers['x-openstack-request-id'],
                         '^req-[0-9a-f-]{36}$')

    def test_root_ignores_the_version_header(self):
        response = self.app.get('/', headers={
            'OpenStack-API-Version': 'container-infra 9.9'})
        self.assertEqual(200, response.status_int)
        self.assert_no_version_headers(response)

    def test_head_root_is_405(self):
        response = self.app.head('/', status=405)
        self.assertEqual('GET', response.headers['Allow'])
        self.assertIn('x-openstack-request-id', response.headers)

    def test_post_root_is_405(self):
        response = self.app.post('/', headers={'Accept': 'application/json'},
                                 status=405)
        self.assertEqual('GET', response.headers['Allow'])
        self.assertEqual('', self.assert_error(response, 405)['code'])


class TestV1Document(VersionTestCase):

    def test_v1(self):
        for path in ('/v1', '/v1/'):
            response = self.app.get(path, headers=HOST)
            self.assertEqual('application/json',
                             response.headers['Content-Type'])
            doc = response.json
            self.assertEqual(
                ['id', 'media_types', 'links', 'clustertemplates',
                 'clusters', 'quotas', 'certificates', 'mservices', 'stats',
                 'federations', 'nodegroups', 'credentials'], list(doc))
            self.assertEqual('v1', doc['id'])
            self.assertEqual(
                [{'base': 'application/json',
                  'type': 'application/vnd.openstack.magnum.v1+json'}],
                doc['media_types'])
            self.assertEqual({'href': f'{BASE}/v1/', 'rel': 'self'},
                             doc['links'][0])
            self.assertEqual('text/html', doc['links'][1]['type'])
            self.assertEqual(
                [{'href': f'{BASE}/v1/clusters/', 'rel': 'self'},
                 {'href': f'{BASE}/clusters/', 'rel': 'bookmark'}],
                doc['clusters'])
            self.assertEqual(
                [{'href': f'{BASE}/v1/clusters/{{cluster_id}}/nodegroups',
                  'rel': 'self'},
                 {'href': f'{BASE}/clusters/{{cluster_id}}/nodegroups',
                  'rel': 'bookmark'}], doc['nodegroups'])
            # Negotiated like every v1 path: absent header is 1.1.
            self.assert_version_headers(response, '1.1')

    def test_v1_is_public(self):
        # No identity headers at all, and keystone configured: still 200.
        self.conf.config(auth_strategy='keystone', group='api')
        import webtest

        from magnum_lite.api import app
        anonymous = webtest.TestApp(app.setup_app())
        self.assertEqual(200, anonymous.get('/').status_int)
        self.assertEqual(200, anonymous.get('/v1').status_int)
        self.assertEqual(200, anonymous.get('/v1/').status_int)


class TestNegotiation(VersionTestCase):

    def get(self, value, accept='application/json', path='/v1/mservices'):
        headers = self.headers(version=None, roles='admin,member,reader',
                               Accept=accept)
        if value is not None:
            headers['OpenStack-API-Version'] = value
        return self.app.get(path, headers=headers, expect_errors=True)

    def test_accepted_values(self):
        cases = [
            (None, '1.1'),
            ('container-infra latest', MAX),
            ('container-infra LaTeSt', MAX),
            ('container-infrastructure-management 1.5', '1.5'),
            ('container-infrastructure 1.12', '1.12'),
            ('container-infra 1.05', '1.5'),
            ('  container-infra    1.9  ', '1.9'),
            ('container-infra 1.1', '1.1'),
            (f'container-infra {MAX}', MAX),
        ]
        for value, expected in cases:
            response = self.get(value)
            self.assertEqual(200, response.status_int, value)
            self.assert_version_headers(response, expected)

    def test_header_name_is_case_insensitive(self):
        headers = self.headers(version=None, roles='admin')
        headers['openstack-api-version'] = 'container-infra 1.9'
        response = self.app.get('/v1/mservices', headers=headers)
        self.assert_version_headers(response, '1.9')

    def test_legacy_header_is_ignored(self):
        headers = self.headers(version=None, roles='admin')
        headers['X-OpenStack-Magnum-API-Version'] = '1.9'
        response = self.app.get('/v1/mservices', headers=headers)
        self.assert_version_headers(response, '1.1')

    def test_out_of_range(self):
        for requested in ('1.0', '1.99', '2.0'):
            for accept in ('application/json', '*/*'):
                value = f'container-infra {requested}'
                response = self.get(value, accept=accept)
                self.assertEqual(406, response.status_int)
                self.assertEqual('application/json',
                                 response.headers['Content-Type'])
                error = response.json['errors'][0]
                self.assertEqual(1, len(response.json['errors']))
                self.assertEqual('magnum.microversion-unsupported',
                                 error['code'])
                self.assertEqual('Requested microversion is unsupported',
                                 error['title'])
                self.assertEqual(MAX, error['max_version'])
                self.assertEqual('1.1', error['min_version'])
                self.assertEqual('help', error['links'][0]['rel'])
                for absent in ('request_id', 'status', 'detail'):
                    self.assertNotIn(absent, error)
                # Whatever the Accept header.
                self.assertIn(f'Version {requested} was requested',
                              error['description'])
                self.assertIn(f'[{SERVICE} 1.1, {SERVICE} {MAX}]',
                              error['description'])
                self.assertEqual(
                    f'{SERVICE} {MAX}',
                    response.headers['OpenStack-API-Maximum-Version'])
                self.assertTrue(response.headers['OpenStack-API-Version']
                                .endswith(requested))
                self.assertIn('x-openstack-request-id', response.headers)

    def test_malformed(self):
        cases = {
            'container-infra 1': 'Invalid value',
            'abc': 'Invalid value',
            'container-infra 1.2.3': 'Invalid value',
            'container-infra abc': 'Invalid value',
            '1.2': 'Invalid value',
            'foo 1.2': 'Invalid service type',
            'Container-Infra 1.2': 'Invalid service type',
            'container-infra 1.2, compute 2.1': 'Invalid value',
        }
        for value, detail in cases.items():
            response = self.get(value)
            error = self.assert_error(response, 406, detail)
            self.assertEqual('', error['code'], value)
            self.assertEqual('Not Acceptable', error['title'])
            self.assertEqual('', error['request_id'])
            self.assertEqual([], error['links'])
            self.assert_no_version_headers(response)
            self.assertIn('x-openstack-request-id', response.headers)
            # Whatever the Accept header, title and detail are there.
            error = self.assert_error(self.get(value, accept='*/*'), 406,
                                      detail)
            self.assertEqual('Not Acceptable', error['title'])

    def test_method_below_its_minimum(self):
        response = self.call('GET', '/v1/clusters/c1/nodegroups',
                             version='1.8', status=406)
        error = self.assert_error(
            response, 406, 'Version 1.8 was requested but the requested API')
        self.assertEqual('', error['code'])
        self.assert_no_version_headers(response)
        response = self.call('PATCH', '/v1/credentials/c1', version='1.11',
                             status=406)
        self.assert_error(response, 406)
        self.assert_no_version_headers(response)

    def test_controller_errors_carry_version_headers(self):
        response = self.call('GET', '/v1/clusters/nope', version='1.7',
                             status=404)
        self.assert_error(response, 404, 'Cluster nope could not be found.')
        self.assert_version_headers(response, '1.7')

    def test_request_id_is_per_request_and_not_echoed(self):
        inbound = 'req-' + '0' * 8 + '-0000-4000-8000-' + '0' * 12
        first = self.call('GET', '/v1/clusters',
                          headers={'X-OpenStack-Request-ID': inbound})
        second = self.call('GET', '/v1/clusters')
        ids = {first.headers['x-openstack-request-id'],
               second.headers['x-openstack-request-id']}
        self.assertEqual(2, len(ids))
        self.assertNotIn(inbound, ids)
        for request_id in ids:
            self.assertTrue(re.match('^req-[0-9a-f-]{36}$', request_id))
