"""Routing, the error envelope, request ids and the middleware (§1, §3)."""

import json

import webtest

from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests



VERSION_HEADERS = ('OpenStack-API-Minimum-Version',
                   'OpenStack-API-Maximum-Version', 'OpenStack-API-Version')


class ErrorTestCase(base.FunctionalTestCase):

    with_conductor = False

    def rebuild_app(self):
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())

    def assert_routing_error(self, response, status):
        error = self.assert_error(response, status)
        self.assertEqual('', error['code'])
        self.assertEqual('application/json', response.headers['Content-Type'])
        for name in VERSION_HEADERS:
            self.assertNotIn(name, response.headers)
        self.assertIn('x-openstack-request-id', response.headers)
        return error


class TestRouting(ErrorTestCase):

    def test_unknown_paths_are_404(self):
        for path in ('/v1/foo', '/v1/clusters/c1/bogus', '/v2', '/v1.json',
                     '/v2/clusters', '/v1/bays', '/v1/baymodels',
                     '/v1/clusters/c1/nodegroups/ng/x'):
            response = self.call('GET', path, status=404)
            error = self.assert_routing_error(response, 404)
            self.assertEqual('Not Found', error['title'], path)
        response = self.call('GET', '/v1/foo', status=404,
                             headers={'Accept': '*/*'})
        error = self.assert_routing_error(response, 404)
        self.assertEqual(('Not Found', 'The resource could not be found.'),
                         (error['title'], error['detail']))

    def test_405_lists_allowed_methods(self):
        response = self.call('PUT', '/v1/clusters/x', status=405)
        error = self.assert_routing_error(response, 405)
        self.assertEqual('Method Not Allowed', error['title'])
        self.assertEqual('The method PUT is not allowed for this resource.',
                         error['detail'])
        self.assertEqual({'DELETE', 'GET', 'PATCH'},
                         set(response.headers['Allow'].split(', ')))
        response = self.call('GET', '/v1/credentials/x', status=405)
        self.assert_routing_error(response, 405)
        self.assertEqual('PATCH', response.headers['Allow'])

    def test_trailing_slashes_and_no_prefix(self):
        for path in ('/v1/clusters/', '/clusters', '/clusters/',
                     '/v1/clustertemplates/', '/v1/federations/'):
            response = self.call('GET', path)
            self.assertEqual(200, response.status_int, path)
            self.assertIn('OpenStack-API-Version', response.headers)
        self.assertEqual([], self.call('GET', '/quotas/',
                                       roles='admin').json['quotas'])
        self.assert_error(self.call('GET', '/clusters/c1', status=404), 404,
                          'Cluster c1 could not be found.')

    def test_answers_are_json_only(self):
        # Pecan's content negotiation: a client that refuses JSON gets
        # 406, in the envelope; browsers and clients without Accept get
        # JSON.
        for accept in ('text/plain', 'application/xml', 'text/html'):
            response = self.call('GET', '/v1/clusters', status=406,
                                 headers={'Accept': accept})
            error = self.assert_routing_error(response, 406)
            self.assertEqual(
                ('Not Acceptable', 'This service answers only '
                 f'application/json; the request accepts {accept}.'),
                (error['title'], error['detail']))
        for accept in ('', '*/*', 'application/json; q=0.5, text/plain',
                       'text/html,application/xhtml+xml,*/*;q=0.8'):
            response = self.call('GET', '/v1/clusters',
                                 headers={'Accept': accept})
            self.assertEqual([], response.json['clusters'], accept)
            self.assertEqual('application/json',
                             response.headers['Content-Type'])

    def test_body_keys_are_not_controller_arguments(self):
        # Pecan offers body keys to controllers as keyword arguments; ours
        # take none, so no key can collide with one.
        for key in ('self', 'values', 'request', 'endpoint'):
            response = self.app.post_json(
                '/v1/quotas', {key: 1, 'project_id': 'p'},
                headers=self.headers(roles='admin'), expect_errors=True)
            self.assert_error(response, 400)

    def test_options_is_an_empty_200(self):
        response = self.app.options('/v1/clusters')
        self.assertEqual(200, response.status_int)
        self.assertEqual(b'', response.body)
        self.assertIn('x-openstack-request-id', response.headers)

    def test_federations_store_nothing(self):
        for path in ('/v1/federations', '/v1/federations/detail/'):
            self.assertEqual({'federations': []},
                             self.call('GET', path).json)
            self.assert_error(self.call('GET', path + '?limit=abc',
                                        status=400), 400, 'limit')
        response = self.call('GET', '/v1/federations/f1', status=404)
        self.assert_error(response, 404, 'Federation f1 could not be found.')
        for method in ('POST', 'PATCH', 'DELETE'):
            path = '/v1/federations' + ('' if method == 'POST' else '/f1')
            body = {} if method == 'POST' else None
            self.assert_error(self.call(method, path, body, status=400), 400)
        response = self.call('GET', '/v1/federations', roles='foo',
                             status=403)
        self.assert_error(response, 403, 'federation:get_all')

    def test_missing_path_argument(self):
        response = self.call('DELETE', '/v1/clusters', status=400)
        self.assertEqual('client', self.assert_error(
            response, 400, 'Missing argument: "cluster_ident"')['code'])


class TestTitleAndDetail(ErrorTestCase):
    """Every error answer carries a title and a detail, whatever the
    Accept header (openstacksdk sends ``Accept:`` empty, curl ``*/*``,
    some clients none at all): clients show them to people."""

    ACCEPTS = {'missing': None, 'empty': '', 'any': '*/*',
               'json': 'application/json', 'html': 'text/html'}

    def setUp(self):
        super().setUp()
        self.call('POST', '/v1/quotas', {'project_id': 'p1',
                                         'resource': 'Cluster',
                                         'hard_limit': 5}, roles='admin')

    def request(self, accept, method, path, body=None, version='latest'):
        headers = self.headers(version=version, roles='admin')
        del headers['Accept']
        if accept is not None:
            headers['Accept'] = accept
        return self.app.request(
            path, method=method, headers=headers, expect_errors=True,
            body=b'' if body is None else json.dumps(body).encode(),
            content_type='application/json' if body else None)

    def assert_titled(self, response, status, accept):
        what = f'{response.request.method} {response.request.path_qs} ' \
               f'(Accept {accept!r})'
        self.assertEqual(status, response.status_int, what)
        self.assertEqual('application/json', response.content_type, what)
        error = response.json['errors'][0]
        self.assertEqual(status, error['status'], what)
        self.assertTrue(error['title'], what)
        self.assertTrue(error['detail'], what)
        return error

    def test_every_accept_gets_title_and_detail(self):
        cases = [  # (method, path, body, version, status)
            ('GET', '/v1/clusters?bogus=1', None, 'latest', 400),
            ('POST', '/v1/clustertemplates', {'name': 1}, 'latest', 400),
            ('GET', '/v1/clusters/nope', None, 'latest', 404),
            # openstacksdk's resize sends no microversion: 1.1 < 1.7.
            ('POST', '/v1/clusters/c1/actions/resize', {'node_count': 2},
             None, 406),
            ('GET', '/v1/clusters', None, 'abc', 406),  # malformed
            ('POST', '/v1/quotas', {'project_id': 'p1',
                                    'resource': 'Cluster',
                                    'hard_limit': 5}, 'latest', 409),
        ]
        for name, accept in self.ACCEPTS.items():
            for method, path, body, version, status in cases:
                response = self.request(accept, method, path, body,
                                        version)
                if name == 'html' and status != 406:
                    # JSON only: a client that takes no JSON gets 406.
                    status = 406
                self.assert_titled(response, status, accept)

    def test_routing_errors_before_negotiation(self):
        for accept in self.ACCEPTS.values():
            self.assert_titled(self.request(accept, 'GET', '/v1/foo'),
                               404, accept)
            self.assert_titled(self.request(accept, 'PUT', '/v1/clusters/x'),
                               405, accept)
            # Magnum's own shape for an unsupported version: a title and
            # a description.
            response = self.request(accept, 'GET', '/v1/clusters',
                                    version='1.99')
            self.assertEqual(406, response.status_int)
            error = response.json['errors'][0]
            self.assertEqual('Requested microversion is unsupported',
                             error['title'])
            self.assertIn('Version 1.99 was requested', error['description'])


class TestEnvelope(ErrorTestCase):

    def test_client_error_envelope(self):
        response = self.call('GET', '/v1/clusters/doesnotexist', status=404)
        self.assertEqual('application/json', response.headers['Content-Type'])
        self.assertEqual({'errors': [{
            'request_id': '', 'code': 'client', 'status': 404,
            'title': 'Cluster doesnotexist could not be found',
            'detail': 'Cluster doesnotexist could not be found.',
            'links': []}]}, response.json)
        self.assertRegex(response.headers['x-openstack-request-id'],
                         '^req-[0-9a-f-]{36}$')

    def test_message_without_period(self):
        response = self.call('GET', '/v1/quotas?limit=0', roles='admin',
                             status=400)
        error = self.assert_error(response, 400)
        self.assertEqual('Limit must be positive', error['title'])
        self.assertEqual('Limit must be positive', error['detail'])

    def test_query_parameter_errors(self):
        cases = {
            'limit=0': 'Limit must be positive',
            'limit=-1': 'Limit must be positive',
            'limit=abc': "Invalid input for field/attribute limit. Value: "
                         "'abc'. unable to convert to int",
            'sort_dir=up': "Invalid sort direction: up. Acceptable values "
                           "are 'asc' or 'desc'",
            'sort_key=bogus': 'The sort_key value "bogus" is an invalid '
                              'field for sorting',
            'marker=abc': "Invalid input for field/attribute marker. "
                          "Value: 'abc'. unable to convert to int",
            'name=q1': 'Unknown argument: "name"',
            'all_tenants=maybe': 'all_tenants',
            'limit=%FF': 'The request query is not valid UTF-8',
            '%FF=1': 'The request query is not valid UTF-8',
        }
        for query, detail in cases.items():
            response = self.call('GET', f'/v1/quotas?{query}',
                                 roles='admin', status=400)
            self.assert_error(response, 400, detail)
        response = self.call('GET', '/v1/quotas?marker=12345',
                             roles='admin', status=404)
        self.assert_error(response, 404)

    def test_bodies_that_are_not_json_objects(self):
        headers = {'Content-Type': 'application/json'}
        cases = [
            (b'{"project_id": ', 400, 'Request is not in valid JSON format'),
            (b'[1, 2]', 400, 'Value not a valid dict'),
            (b'"text"', 400, 'Value not a valid dict'),
            (b'42', 400, 'Value not a valid dict'),
            (b'\xff\xfe', 400, 'Request is not in valid JSON format'),
        ]
        for body, status, detail in cases:
            response = self.app.post(
                '/v1/quotas', body,
                headers=self.headers(roles='admin', **headers),
                expect_errors=True)
            self.assert_error(response, status, detail)
        response = self.app.post(
            '/v1/quotas', b'{"project_id": "p"}',
            headers=self.headers(roles='admin',
                                 **{'Content-Type': 'text/plain'}),
            expect_errors=True)
        self.assert_error(response, 415, 'Unknown mimetype: text/plain')
        response = self.app.post(
            '/v1/quotas', b'{"project_id": "p"}',
            headers=self.headers(roles='admin', **{
                'Content-Type': 'application/json; charset=UTF-8'}))
        self.assertEqual(201, response.status_int)
        self.assertEqual(1, self.count(models.Quota))

    def test_unknown_and_read_only_body_keys(self):
        response = self.call('POST', '/v1/quotas',
                             {'project_id': 'p', 'foo': 1, 'bogus': 2},
                             roles='admin', status=400)
        self.assert_error(response, 400,
                          'Unknown attributes for argument quota: ')
        response = self.call('POST', '/v1/quotas',
                             {'project_id': 'p', 'created_at': 'x'},
                             roles='admin', status=400)
        self.assert_error(response, 400, 'Cannot set read only field.')
        response = self.call('POST', '/v1/quotas',
                             {'project_id': 5}, roles='admin', status=400)
        self.assert_error(response, 400, "Wrong type. Expected '<class "
                                         "'str'>', got '<class 'int'>'")
        self.assertEqual(0, self.count(models.Quota))


class TestMiddleware(ErrorTestCase):

    def test_healthcheck(self):
        for path in ('/healthcheck', '/healthcheck/'):
            response = self.app.get(path)
            self.assertEqual(200, response.status_int)
            self.assertEqual(b'OK', response.body)

    def test_cors_preflight(self):
        self.conf.config(allowed_origin=['https://dash.example.com'],
                         group='cors')
        self.rebuild_app()
        response = self.app.options('/v1/clusters', headers={
            'Origin': 'https://dash.example.com',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers':
                'X-Auth-Token,OpenStack-API-Version'})
        self.assertEqual(200, response.status_int)
        self.assertEqual('https://dash.example.com',
                         response.headers['Access-Control-Allow-Origin'])
        self.assertIn('OpenStack-API-Version',
                      response.headers['Access-Control-Allow-Headers'])
        self.assertIn('x-openstack-request-id', response.headers)
        # A real request from that origin may read the version headers.
        response = self.call('GET', '/v1/clusters', headers={
            'Origin': 'https://dash.example.com'})
        self.assertEqual('https://dash.example.com',
                         response.headers['Access-Control-Allow-Origin'])
        self.assertIn('OpenStack-API-Version',
                      response.headers['Access-Control-Expose-Headers'])
        # Another origin gets no CORS headers.
        response = self.app.options('/v1/clusters', headers={
            'Origin': 'https://evil.example.com',
            'Access-Control-Request-Method': 'GET'})
        self.assertNotIn('Access-Control-Allow-Origin', response.headers)

    def test_proxy_headers(self):
        forwarded = {'X-Forwarded-Proto': 'https',
                     'X-Forwarded-Host': 'cloud.example.com'}
        # Off by default: the request's own host.
        response = self.app.get('/', headers=forwarded)
        self.assertEqual('http://localhost/v1/',
                         response.json['versions'][0]['links'][0]['href'])
        self.conf.config(enable_proxy_headers_parsing=True, group='api')
        self.rebuild_app()
        response = self.app.get('/', headers=forwarded)
        self.assertEqual('https://cloud.example.com/v1/',
                         response.json['versions'][0]['links'][0]['href'])
        response = self.app.get('/v1', headers=forwarded)
        self.assertEqual('https://cloud.example.com/v1/clusters/',
                         response.json['clusters'][0]['href'])
        response = self.call('GET', '/v1/quotas?limit=1', roles='admin',
                             headers=forwarded)
        self.assertEqual(200, response.status_int)
