"""``/v1/credentials`` over HTTP (contract §5.6)."""

from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests


class TestCredentials(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.create_template()
        self.uuid = self.create_cluster()['uuid']
        self.path = f'/v1/credentials/{self.uuid}'

    def test_rotate(self):
        response = self.call('PATCH', self.path, version='1.12', status=202)
        self.assertEqual({'uuid': self.uuid}, response.json)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertIn('credentials_rotate',
                      [call[0] for call in fake_driver.CALLS])
        # By name, with the empty JSON body python-magnumclient sends.
        response = self.call('PATCH', '/v1/credentials/c1/', {}, status=202)
        self.assertEqual({'uuid': self.uuid}, response.json)

    def test_refusals(self):
        for version in ('1.11', '1.1', None):
            response = self.call('PATCH', self.path, version=version,
                                 status=406)
            self.assertEqual('', self.assert_error(response, 406)['code'])
        for method in ('GET', 'POST', 'DELETE'):
            response = self.call(method, self.path, status=405)
            self.assert_error(response, 405)
            self.assertEqual('PATCH', response.headers['Allow'])
        response = self.call('PATCH', '/v1/credentials/nope', status=404)
        self.assert_error(response, 404, 'Cluster nope could not be found.')
        response = self.call('PATCH', self.path, project='project-b',
                             status=404)
        self.assert_error(response, 404)
        # No admin bypass: the member role of the cluster's project.
        for roles in ('reader', 'admin'):
            response = self.call('PATCH', self.path, roles=roles,
                                 status=403)
            self.assert_error(response, 403, "Policy doesn't allow "
                                             "credential:rotate to be "
                                             "performed.")
        response = self.app.patch(self.path, b'{"x": ', headers=self.headers(
            **{'Content-Type': 'application/json'}), expect_errors=True)
        self.assert_error(response, 400, 'Request is not in valid JSON')
        response = self.call('PATCH', self.path + '?x=1', status=400)
        self.assert_error(response, 400, 'Unknown argument: "x"')
        busy = self.create_cluster(name='c2', wait=False,
                                   labels={'fake_polls': '10000'})
        response = self.call('PATCH', f'/v1/credentials/{busy}', status=400)
        self.assert_error(response, 400, 'Updating a cluster when status is '
                                         '"CREATE_IN_PROGRESS" is not '
                                         'supported.')
        self.assertEqual('CREATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{self.uuid}').json['status'])
