"""``/v1/clusters/{cluster}/nodegroups`` over HTTP (contract §5.4)."""

import time

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests


class TestNodegroups(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.create_template()
        self.cluster = self.create_cluster()
        self.uuid = self.cluster['uuid']
        self.path = f'/v1/clusters/{self.uuid}/nodegroups'

    def ng(self, ident, **kwargs):
        return self.call('GET', f'{self.path}/{ident}', **kwargs)

    def settled(self, name, status):
        """Wait for the cluster's update, then for the nodegroup's
        ``status`` (None: gone): the conductor settles the cluster row
        and its nodegroups in separate transactions."""
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        deadline = time.monotonic() + 10
        while True:
            response = self.ng(name, status='*')
            current = (None if response.status_int == 404
                       else response.json['status'])
            if current == status or time.monotonic() > deadline:
                self.assertEqual(status, current)
                return response
            time.sleep(0.1)

    def test_gated_at_1_9(self):
        for method, path in (('GET', self.path),
                             ('GET', self.path + '/default-worker'),
                             ('POST', self.path),
                             ('PATCH', self.path + '/default-worker'),
                             ('DELETE', self.path + '/default-worker')):
            response = self.call(method, path, version='1.8', status=406)
            self.assertEqual('', self.assert_error(response, 406)['code'])
        response = self.call('GET', self.path, version=None, status=406)
        self.assert_error(response, 406)
        self.assertEqual(2, len(self.call('GET', self.path, version='1.9')
                                .json['nodegroups']))

    def test_list_filter_and_pages(self):
        items = self.call('GET', self.path + '/').json['nodegroups']
        self.assertEqual(['default-master', 'default-worker'],
                         [i['name'] for i in items])
        self.assertEqual(
            ['uuid', 'name', 'flavor_id', 'image_id', 'node_count', 'role',
             'min_node_count', 'max_node_count', 'is_default', 'stack_id',
             'status', 'merge_labels'], list(items[0]))
        self.assertEqual([3, 2], [i['node_count'] for i in items])
        self.assertEqual(['CREATE_COMPLETE'] * 2,
                         [i['status'] for i in items])
        masters = self.call('GET', self.path + '?role=master').json
        self.assertEqual(['default-master'],
                         [i['name'] for i in masters['nodegroups']])
        self.assertEqual([], self.call('GET', self.path + '?role=nope')
                         .json['nodegroups'])
        page = self.call('GET', self.path + '?limit=1').json
        self.assertEqual(1, len(page['nodegroups']))
        self.assertEqual(
            f'http://localhost{self.path}?sort_key=id&sort_dir=asc&limit=1'
            f"&marker={page['nodegroups'][0]['uuid']}", page['next'])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual(['default-worker'],
                         [i['name'] for i in page['nodegroups']])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual({'nodegroups': []}, page)
        desc = self.call('GET', self.path + '?sort_key=name&sort_dir=desc')
        self.assertEqual('default-worker', desc.json['nodegroups'][0]['name'])
        for query, status in (('sort_key=bogus', 400), ('marker=x', 400),
                              ('foo=1', 400), ('limit=0', 400),
                              (f'marker={self.uuid}', 404)):
            response = self.call('GET', f'{self.path}?{query}', status='*')
            self.assert_error(response, status)
        # By cluster name too.
        self.assertEqual(2, len(self.call('GET', '/v1/clusters/c1/nodegroups')
                                .json['nodegroups']))

    def test_show(self):
        worker = self.ng('default-worker').json
        self.assertEqual(self.ng(worker['uuid']).json, worker)
        self.assertEqual(self.ng(str(worker['id'])).json, worker)
        self.assertEqual(self.ng('default-worker/').json, worker)
        self.assertEqual(self.uuid, worker['cluster_id'])
        self.assertEqual('worker', worker['role'])
        self.assertTrue(worker['is_default'])
        self.assertEqual(2, len(worker['node_addresses']))
        self.assertEqual({}, worker['node_labels'])
        self.assertEqual([], worker['node_taints'])
        self.assertEqual(
            f"http://localhost/v1/clusters/{self.uuid}/nodegroups/"
            f"{worker['uuid']}", worker['links'][0]['href'])
        self.assertEqual(
            f"http://localhost/clusters/{self.uuid}/nodegroups/"
            f"{worker['uuid']}", worker['links'][1]['href'])
        self.assertNotIn('node_labels', self.ng('default-worker',
                                                version='1.13').json)
        response = self.ng('detail', status=404)
        self.assert_error(response, 404, 'Nodegroup detail could not be '
                                         'found.')
        self.assert_error(self.ng('nope', status=404), 404,
                          'Nodegroup nope could not be found.')
        for ident in ('99999', '9' * 20, '%C2%B2'):
            self.assert_error(self.ng(ident, status=404), 404)
        self.assert_error(self.ng('%FF', status=400), 400,
                          'The request path is not valid UTF-8')
        response = self.call('GET', '/v1/clusters/nope/nodegroups',
                             status=404)
        self.assert_error(response, 404, 'Cluster nope could not be found.')

    def test_create_rejections_leave_no_rows(self):
        cases = [
            ({'name': 'default-worker'}, 409,
             'A node group with name default-worker already exists in the '
             'cluster c1.'),
            ({'name': 'ng', 'node_count': 1, 'min_node_count': 2}, 409,
             'min_node_count for ng is invalid (min_node_count (2) should be '
             'less or equal to node_count (1)).'),
            ({'name': 'ng', 'node_count': 3, 'max_node_count': 2}, 409,
             'max_node_count for ng is invalid'),
            ({'name': 'ng', 'min_node_count': 2, 'node_count': 3,
              'max_node_count': 1}, 409, 'max_node_count for ng is invalid'),
            ({'name': 'ng', 'role': 'master'}, 400,
             'Creating master nodegroups is currently not supported.'),
            ({'node_count': 1}, 400, 'Mandatory field missing.'),
            ({'name': 'ng', 'node_count': -1}, 400,
             'Value should be greater or equal to 0'),
            ({'name': 'ng', 'node_count': 'x'}, 400, 'Wrong type'),
            ({'name': 'ng', 'bogus': 1}, 400,
             'Unknown attributes for argument nodegroup: bogus'),
            ({'name': 'ng', 'stack_id': 'x'}, 400,
             'Cannot set read only field.'),
            ({'name': 'ng', 'node_labels': {'kubernetes.io/foo': 'x'}}, 409,
             'node_labels for ng is invalid'),
            ({'name': 'ng', 'node_labels': {'k8s.io/x': 'y'}}, 409,
             'node_labels for ng is invalid'),
            ({'name': 'ng', 'node_labels': {'a b': 'y'}}, 409,
             'node_labels for ng is invalid'),
            ({'name': 'ng', 'node_taints': [{'key': 'k'}]}, 409,
             'node_taints for ng is invalid'),
            ({'name': 'ng', 'node_taints': [{'key': 'k', 'effect': 'Bad'}]},
             409, 'node_taints for ng is invalid'),
            ({'name': 'ng', 'node_taints': [{'effect': 'NoSchedule'}]}, 409,
             'node_taints for ng is invalid'),
            ({'name': 'ng', 'node_taints': [{'key': 'k', 'x': 1,
                                             'effect': 'NoSchedule'}]},
             409, 'node_taints for ng is invalid'),
            ({'name': 'ng', 'node_taints': ['k=v:NoSchedule']}, 400,
             'Wrong type'),
            ({'name': 'ng', 'node_taints': {'key': 'k'}}, 400, 'Wrong type'),
            # Larger than any database integer: 400, not a database error.
            ({'name': 'ng', 'node_count': 2 ** 31}, 400,
             'Value should be less or equal to 2147483647'),
            ({'name': 'ng', 'docker_volume_size': 10 ** 20}, 400,
             'Value should be less or equal to 2147483647'),
            ({'name': 'ng', 'max_node_count': 10 ** 20}, 400,
             'Value should be less or equal to 2147483647'),
        ]
        for body, status, detail in cases:
            response = self.call('POST', self.path, body, status='*')
            self.assertEqual(status, response.status_int, (body, response))
            self.assert_error(response, status, detail)
        # node_labels/node_taints exist from 1.14 only.
        for key, value in (('node_labels', {'a': 'b'}),
                           ('node_taints', [])):
            response = self.call('POST', self.path, {'name': 'ng', key: value},
                                 version='1.13', status=400)
            self.assert_error(response, 400, f'Unknown attributes for '
                                             f'argument nodegroup: {key}')
        for body in ([], 'x', [{'name': 'ng'}]):
            response = self.call('POST', self.path, body, status=400)
            self.assert_error(response, 400)
        self.assertEqual(2, self.count(models.NodeGroup))
        self.assertEqual('CREATE_COMPLETE', self.call(
            'GET', f'/v1/clusters/{self.uuid}').json['status'])

    def test_create_patch_delete(self):
        body = {'name': 'extra', 'node_count': 2, 'min_node_count': 1,
                'max_node_count': 4, 'role': 'gpu',
                'node_labels': {'node.kubernetes.io/pool': 'gpu',
                                'example.com/tier': 'x'},
                'node_taints': [{'key': 'gpu', 'value': 'yes',
                                 'effect': 'NoSchedule'}]}
        created = self.call('POST', self.path + '/', body, status=202).json
        self.assertEqual('extra', created['name'])
        self.assertEqual('gpu', created['role'])
        self.assertEqual(self.uuid, created['cluster_id'])
        self.assertFalse(created['is_default'])
        self.assertEqual('m1.small', created['flavor_id'])
        self.assertEqual('img-1', created['image_id'])
        for absent in ('id', 'status', 'stack_id', 'created_at',
                       'updated_at'):
            self.assertNotIn(absent, created)
        extra = self.settled('extra', 'CREATE_COMPLETE').json
        self.assertEqual(created['uuid'], extra['uuid'])
        self.assertEqual(2, len(extra['node_addresses']))
        self.assertEqual(body['node_labels'], extra['node_labels'])
        self.assertEqual(body['node_taints'], extra['node_taints'])
        self.assertEqual((1, 4), (extra['min_node_count'],
                                  extra['max_node_count']))
        cluster = self.call('GET', f'/v1/clusters/{self.uuid}').json
        self.assertEqual(4, cluster['node_count'])

        # PATCH: bounds only; internal paths refused; bounds re-checked.
        patched = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/max_node_count', 'value': 5},
            {'op': 'replace', 'path': '/min_node_count', 'value': 0}],
            status=202).json
        self.assertEqual((0, 5), (patched['min_node_count'],
                                  patched['max_node_count']))
        self.assertEqual((0, 5), (self.ng('extra').json['min_node_count'],
                                  self.ng('extra').json['max_node_count']))
        for path in ('/node_count', '/name', '/role', '/flavor_id',
                     '/uuid', '/labels', '/is_default', '/status'):
            response = self.call('PATCH', f'{self.path}/extra', [
                {'op': 'replace', 'path': path, 'value': '1'}], status=400)
            self.assert_error(response, 400, f"'{path}' is an internal "
                                             f"attribute and can not be "
                                             f"updated")
        response = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/max_node_count', 'value': 1}],
            status=409)
        self.assert_error(response, 409, 'max_node_count for extra is '
                                         'invalid')
        response = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/min_node_count', 'value': 3}],
            status=409)
        self.assert_error(response, 409, 'min_node_count for extra is '
                                         'invalid')
        response = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/node_labels', 'value': '{}'}],
            version='1.13', status=400)
        self.assert_error(response, 400)
        response = self.call('PATCH', f'{self.path}/extra',
                             {'op': 'replace'}, status=400)
        self.assert_error(response, 400, 'Value not a valid list')
        response = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/max_node_count', 'value': 'x'}],
            status=400)
        self.assert_error(response, 400)
        response = self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/max_node_count', 'value': 10 ** 20}],
            status=400)
        self.assert_error(response, 400, 'Value should be less or equal to')
        self.assertEqual(5, self.ng('extra').json['max_node_count'])
        # The master nodegroup takes no node labels.
        response = self.call('PATCH', f'{self.path}/default-master', [
            {'op': 'replace', 'path': '/node_labels', 'value': "{'a': 'b'}"}],
            status=409)
        self.assert_error(response, 409, 'node_labels for default-master')
        # Node labels go through the conductor.
        self.call('PATCH', f'{self.path}/extra', [
            {'op': 'replace', 'path': '/node_labels',
             'value': "{'example.com/tier': 'y'}"}], status=202)
        self.settled('extra', 'UPDATE_COMPLETE')
        self.assertEqual({'example.com/tier': 'y'},
                         self.ng('extra').json['node_labels'])

        # DELETE: default nodegroups stay.
        for name in ('default-worker', 'default-master'):
            response = self.call('DELETE', f'{self.path}/{name}', status=400)
            self.assert_error(response, 400, 'Deleting a default nodegroup '
                                             'is not supported.')
        self.assert_error(self.call('DELETE', f'{self.path}/nope',
                                    status=404), 404)
        response = self.call('DELETE', f'{self.path}/extra/', status=204)
        self.assertEqual(b'', response.body)
        self.assert_error(self.settled('extra', None), 404)
        self.assertEqual(2, self.count(models.NodeGroup))

    def test_second_delete_is_accepted_and_not_sent_again(self):
        self.call('POST', self.path, {'name': 'extra'}, status=202)
        self.settled('extra', 'CREATE_COMPLETE')
        # The fake deployment stays in progress while fake_polls lasts.
        db_api.cluster_update(self.uuid, {'labels': {'fake_polls': '9999'}})
        self.call('DELETE', f'{self.path}/extra', status=204)
        deadline = time.monotonic() + 30
        while not self._deletes():
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.call('DELETE', f'{self.path}/extra', status=204)
        self.assertEqual('DELETE_IN_PROGRESS', self.ng('extra').json['status'])
        db_api.cluster_update(self.uuid, {'labels': {}})
        self.assert_error(self.settled('extra', None), 404)
        self.assertEqual(1, len(self._deletes()))

    @staticmethod
    def _deletes():
        return [c for c in fake_driver.CALLS if c[0] == 'nodegroup_delete']

    def test_cluster_without_api_address(self):
        other = self.create_cluster(name='c2', wait=False,
                                    labels={'fake_polls': '10000'})
        response = self.call('POST', f'/v1/clusters/{other}/nodegroups',
                             {'name': 'ng'}, status=409)
        error = self.assert_error(response, 409, 'Cluster API address is '
                                                 'not available yet')
        self.assertEqual(error['title'], error['detail'])
        self.assertEqual(4, self.count(models.NodeGroup))

    def test_scoping(self):
        # Another project's member: 404 everywhere, never 403.
        for method, path, body in (
                ('GET', self.path, None),
                ('GET', self.path + '/default-worker', None),
                ('POST', self.path, {'name': 'ng'}),
                ('PATCH', self.path + '/default-worker',
                 [{'op': 'replace', 'path': '/max_node_count', 'value': 9}]),
                ('DELETE', self.path + '/default-worker', None)):
            response = self.call(method, path, body, project='project-b',
                                 status=404)
            self.assert_error(response, 404, 'could not be found')
        # An admin of another project reads, but writes are scoped.
        admin = {'project': 'project-b', 'roles': 'admin,member,reader'}
        self.assertEqual(2, len(self.call('GET', self.path, **admin)
                                .json['nodegroups']))
        self.assertEqual('default-worker', self.call(
            'GET', self.path + '/default-worker', **admin).json['name'])
        response = self.call('POST', self.path, {'name': 'ng'}, status=404,
                             **admin)
        self.assert_error(response, 404)
        # A reader of the project reads but does not write.
        reader = {'roles': 'reader'}
        self.assertEqual(2, len(self.call('GET', self.path, **reader)
                                .json['nodegroups']))
        response = self.call('POST', self.path, {'name': 'ng'}, status=403,
                             **reader)
        self.assert_error(response, 403, "Policy doesn't allow "
                                         "nodegroup:create to be performed.")
        response = self.call('DELETE', self.path + '/default-worker',
                             status=403, **reader)
        self.assert_error(response, 403)
        self.assertEqual(2, self.count(models.NodeGroup))
