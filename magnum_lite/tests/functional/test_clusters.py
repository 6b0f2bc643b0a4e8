"""``/v1/clusters`` over HTTP (contract §4, §5.2, §6)."""

import time

from oslo_utils import uuidutils

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests

ADMIN = 'admin,member,reader'
PATH = '/v1/clusters'
LIST_FIELDS = ['uuid', 'name', 'cluster_template_id', 'keypair',
               'node_count', 'master_count', 'docker_volume_size', 'labels',
               'master_flavor_id', 'flavor_id', 'create_timeout', 'links',
               'stack_id', 'status', 'health_status', 'merge_labels']
DETAIL_FIELDS = [
    'uuid', 'name', 'cluster_template_id', 'keypair', 'node_count',
    'master_count', 'docker_volume_size', 'labels', 'master_flavor_id',
    'flavor_id', 'create_timeout', 'links', 'stack_id', 'status',
    'status_reason', 'health_status', 'health_status_reason',
    'discovery_url', 'api_address', 'coe_version', 'container_version',
    'project_id', 'user_id', 'node_addresses', 'master_addresses',
    'fixed_network', 'fixed_subnet', 'floating_ip_enabled', 'merge_labels',
    'labels_overridden', 'labels_added', 'labels_skipped',
    'master_lb_enabled', 'created_at', 'updated_at']


def with_cluster_id(fields):
    return ['cluster_id' if f == 'stack_id' else f for f in fields]


class _Case(base.FunctionalTestCase):
    """Helpers shared by the tests of this module."""

    def rows(self):
        return (self.count(models.Cluster), self.count(models.NodeGroup))

    def rejected(self, method, path, body, status, detail, **kwargs):
        """A write refused with ``status`` that changed no row."""
        before = self.rows()
        response = self.call(method, path, body, status=status, **kwargs)
        self.assertEqual('client', self.assert_error(
            response, status, detail)['code'])
        self.assertEqual(before, self.rows())
        return response

    def post(self, expect=202, **fields):
        body = {'cluster_template_id': 'tpl'}
        body.update(fields)
        return self.call('POST', PATH, body, status=expect)

    def calls(self, operation):
        return [c for c in fake_driver.CALLS if c[0] == operation]

    def wait_complete(self, uuid, status='CREATE_COMPLETE'):
        """CREATE_COMPLETE with every node's address. The conductor
        writes the status before the nodegroups' addresses (see the
        report), so the addresses may lag the status briefly."""
        deadline = time.monotonic() + 10
        while True:
            cluster = self.wait_for(uuid, status)
            if (len(cluster['node_addresses']) == cluster['node_count'] and
                    len(cluster['master_addresses']) ==
                    cluster['master_count']) or time.monotonic() > deadline:
                return cluster
            time.sleep(0.1)


class TestCreate(_Case):

    def setUp(self):
        super().setUp()
        self.template = self.create_template(
            labels={'kube_tag': 'v1.36', 'a': 'x'}, docker_volume_size=10,
            fixed_network='net', floating_ip_enabled=False)

    def test_defaults_labels_and_show(self):
        response = self.post(uuid=uuidutils.generate_uuid(), name=None,
                             discovery_url=None, keypair=None, labels={},
                             flavor_id='', status='whatever')
        self.assertEqual(['uuid'], list(response.json))
        uuid = response.json['uuid']
        self.assertTrue(uuidutils.is_uuid_like(uuid))
        cluster = self.wait_complete(uuid)
        self.assertEqual(with_cluster_id(DETAIL_FIELDS), list(cluster))
        self.assertRegex(cluster['name'], r'^[a-z]+-\d+-cluster$')
        expected = {
            'cluster_template_id': self.template['uuid'], 'keypair': 'kp',
            'node_count': 1, 'master_count': 1, 'docker_volume_size': 10,
            'labels': {'kube_tag': 'v1.36', 'a': 'x'},
            'master_flavor_id': 'm1.medium', 'flavor_id': 'm1.small',
            'create_timeout': 60, 'cluster_id': f'fake-{uuid}',
            'discovery_url': None, 'api_address': 'https://127.0.0.5:6443',
            'coe_version': 'v1.31.1', 'project_id': self.project_id,
            'user_id': self.user_id, 'master_addresses': ['127.0.0.10'],
            'node_addresses': ['127.0.1.10'], 'fixed_network': 'net',
            'fixed_subnet': None, 'floating_ip_enabled': False,
            'master_lb_enabled': True, 'merge_labels': False,
            'labels_overridden': {}, 'labels_added': {},
            'labels_skipped': {}, 'health_status': None,
            'status_reason': 'Stack completed'}
        self.assertEqual(expected, {k: cluster[k] for k in expected})
        self.assertEqual(
            [{'href': f'http://localhost{PATH}/{uuid}', 'rel': 'self'},
             {'href': f'http://localhost/clusters/{uuid}',
              'rel': 'bookmark'}], cluster['links'])
        # Below 1.13 the same field is stack_id.
        old = self.call('GET', f'{PATH}/{uuid}', version='1.12').json
        self.assertEqual(DETAIL_FIELDS, list(old))
        self.assertEqual(f'fake-{uuid}', old['stack_id'])
        old = self.call('GET', PATH, version=None).json['clusters'][0]
        self.assertEqual(LIST_FIELDS, list(old))
        self.assertEqual(('create', uuid), self.calls('create')[0])

    def test_labels_merge_and_overrides(self):
        merged = self.post(name='merged', labels={'a': 'y', 'b': 2},
                           merge_labels='true', node_count=3,
                           master_count=3, keypair='mine',
                           docker_volume_size='20', flavor_id='big',
                           master_lb_enabled=True, create_timeout=0,
                           discovery_url='http://d').json['uuid']
        given = self.post(name='given', labels={'a': 'y', 'b': True},
                          merge_labels=False).json['uuid']
        merged = self.wait_complete(merged)
        self.assertEqual(
            ({'kube_tag': 'v1.36', 'a': 'y', 'b': '2'}, {'a': 'x'},
             {'b': '2'}, {}, 3, 3, 'mine', 20, 'big', 0, 'http://d'),
            (merged['labels'], merged['labels_overridden'],
             merged['labels_added'], merged['labels_skipped'],
             merged['node_count'], merged['master_count'],
             merged['keypair'], merged['docker_volume_size'],
             merged['flavor_id'], merged['create_timeout'],
             merged['discovery_url']))
        self.assertEqual(3, len(merged['master_addresses']))
        self.assertEqual(3, len(merged['node_addresses']))
        given = self.wait_for(given, 'CREATE_COMPLETE')
        self.assertEqual(({'a': 'y', 'b': 'True'}, {'a': 'x'},
                          {'b': 'True'}, {'kube_tag': 'v1.36'}),
                         (given['labels'], given['labels_overridden'],
                          given['labels_added'], given['labels_skipped']))
        # Nodegroups carry the cluster's labels and flavors.
        ngs = self.call('GET', f"{PATH}/merged/nodegroups/default-worker")
        self.assertEqual(('big', merged['labels'], 3),
                         (ngs.json['flavor_id'], ngs.json['labels'],
                          ngs.json['node_count']))
        # By integer id of the template too.
        template_id = db_api.template_get(self.template['uuid']).id
        self.post(cluster_template_id=template_id, name='by-id')
        self.post(cluster_template_id=str(template_id), name='by-id-str')
        self.assertEqual(4, self.count(models.Cluster))

    def test_list_detail_and_pages(self):
        uuids = [self.post(name=n).json['uuid'] for n in ('c1', 'c2', 'c3')]
        other = self.call('POST', PATH, {'cluster_template_id': 'tpl',
                                         'name': 'c4'}, roles=ADMIN,
                          project='project-b', status=202).json['uuid']
        listed = self.call('GET', PATH).json['clusters']
        self.assertEqual(uuids, [c['uuid'] for c in listed])
        self.assertEqual(with_cluster_id(LIST_FIELDS), list(listed[0]))
        detailed = self.call('GET', PATH + '/detail').json['clusters']
        self.assertEqual(with_cluster_id(DETAIL_FIELDS), list(detailed[0]))
        self.assertEqual(uuids + [other], [c['uuid'] for c in self.call(
            'GET', PATH + '/detail', roles=ADMIN).json['clusters']])
        self.assertEqual(4, len(self.call('GET', PATH, roles=ADMIN)
                                .json['clusters']))
        # Another project's cluster is invisible, even to an admin's
        # lookups by name... but not by uuid.
        self.assert_error(self.call('GET', f'{PATH}/{other}', status=404),
                          404, f'Cluster {other} could not be found.')
        self.assertEqual('c4', self.call('GET', f'{PATH}/{other}',
                                         roles=ADMIN).json['name'])
        page = self.call('GET', f'{PATH}?limit=2&sort_key=name'
                                f'&sort_dir=desc').json
        self.assertEqual(['c3', 'c2'], [c['name'] for c in page['clusters']])
        self.assertEqual(f'http://localhost{PATH}?sort_key=name&sort_dir='
                         f'desc&limit=2&marker={uuids[1]}', page['next'])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual((['c1'], False), ([c['name'] for c in
                                            page['clusters']],
                                           'next' in page))
        page = self.call('GET', f'{PATH}/detail?limit=3').json
        self.assertEqual(f'http://localhost{PATH}/detail?sort_key=id&'
                         f'sort_dir=asc&limit=3&marker={uuids[2]}',
                         page['next'])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual({'clusters': []}, page)
        for query, status, detail in (
                ('limit=0', 400, 'Limit must be positive'),
                ('limit=abc', 400, "Value: 'abc'. unable to convert to int"),
                ('sort_dir=up', 400, 'Invalid sort direction: up.'),
                ('sort_key=node_count', 400, 'The sort_key value '
                 '"node_count" is an invalid field for sorting'),
                ('marker=abc', 400, 'Expected a uuid but received abc.'),
                (f'marker={other}', 404, f'Cluster {other} could not be '
                 f'found.'),
                ('name=c1', 400, 'Unknown argument: "name"')):
            for url in (PATH, PATH + '/detail'):
                self.assert_error(self.call('GET', f'{url}?{query}',
                                            status=status), status, detail)
        for key in sorted(db_api.sortable_keys(models.Cluster)):
            for direction in ('asc', 'desc'):
                self.call('GET', f'{PATH}/detail?sort_key={key}&sort_dir='
                                 f'{direction}&limit=2', status=200)
        self.assert_error(self.call('GET', f'{PATH}/c1?x=1', status=400),
                          400, 'Unknown argument: "x"')
        self.assert_error(self.call('GET', f'{PATH}/nope', status=404),
                          404, 'Cluster nope could not be found.')
        self.assert_error(self.call('GET', PATH, roles='foo', status=403),
                          403, "Policy doesn't allow cluster:get_all to be "
                               "performed.")
        self.post(name='c1')
        self.assert_error(
            self.call('GET', f'{PATH}/c1', status=409), 409,
            'Multiple clusters exist with same name. Please use the cluster '
            'uuid instead.')

    def test_failed_cluster_shows_faults(self):
        uuid = self.post(labels={'fake_fail': 'boom'}).json['uuid']
        # The nodegroups' statuses may lag the cluster's (see the report).
        deadline = time.monotonic() + 10
        while True:
            cluster = self.wait_for(uuid, 'CREATE_FAILED')
            if cluster['faults'] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual('boom', cluster['status_reason'])
        self.assertEqual({'default-master': 'boom', 'default-worker': 'boom'},
                         cluster['faults'])
        self.assertEqual(DETAIL_FIELDS.index('master_addresses') + 1,
                         list(cluster).index('faults'))
        for url in (PATH, PATH + '/detail'):
            self.assertNotIn('faults',
                             self.call('GET', url).json['clusters'][0])
        # Deleting is possible in any state.
        self.call('DELETE', f'{PATH}/{uuid}', status=204)
        self.assertIn(self.call('GET', f'{PATH}/{uuid}').json['status'],
                      ('DELETE_IN_PROGRESS', 'DELETE_FAILED'))

    def test_master_and_node_counts(self):
        cases = [
            ({'master_count': 2}, 'master nodegroup size of 2 is invalid, '
             'size cannot be an even number.'),
            ({'master_count': 3, 'master_lb_enabled': False},
             'master_count must be 1 when master_lb_enabled is False'),
            ({'master_count': 0}, 'Value should be greater or equal to 1'),
            ({'node_count': -1}, 'Value should be greater or equal to 0'),
            ({'node_count': 2 ** 31}, 'node_count'),
            ({'create_timeout': -1}, 'create_timeout'),
            ({'docker_volume_size': 0}, 'docker_volume_size'),
        ]
        for fields, detail in cases:
            self.rejected('POST', PATH, dict(cluster_template_id='tpl',
                                             **fields), 400, detail)
        self.rejected('POST', PATH, {'cluster_template_id': 'tpl',
                                     'node_count': 0}, 400,
                      'Resizing a nodegroup to zero is not supported in the '
                      'provided microversion.', version='1.9')
        uuid = self.call('POST', PATH, {'cluster_template_id': 'tpl',
                                        'node_count': 0}, version='1.10',
                         status=202).json['uuid']
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE')
        self.assertEqual((0, [], 1), (cluster['node_count'],
                                      cluster['node_addresses'],
                                      cluster['master_count']))
        # Without a load balancer a single master is fine.
        self.create_template(name='nolb', master_lb_enabled=False)
        self.rejected('POST', PATH, {'cluster_template_id': 'nolb',
                                     'master_count': 3}, 400,
                      'master_count must be 1 when master_lb_enabled is '
                      'False')
        self.post(cluster_template_id='nolb', master_count=3,
                  master_lb_enabled=True)
        self.post(cluster_template_id='nolb', master_count=1)

    def test_templates_that_cannot_be_used(self):
        for version, status in (('1.9', 400), (None, 400), ('1.10', 404),
                                ('latest', 404)):
            self.rejected('POST', PATH, {'cluster_template_id': 'nope'},
                          status, 'ClusterTemplate nope could not be found.',
                          version=version)
        for ident in ('999999', 999999, -1, 2 ** 70, '9' * 30):
            self.rejected('POST', PATH, {'cluster_template_id': ident}, 404,
                          f'ClusterTemplate {ident} could not be found.')
        hidden = self.create_template(name='hidden', hidden=True)
        self.rejected('POST', PATH, {'cluster_template_id': 'hidden'}, 403,
                      'Not authorized.')
        # Another project's private template does not exist for us.
        self.call('POST', '/v1/clustertemplates', {
            'name': 'theirs', 'image_id': 'i', 'coe': 'kubernetes'},
            project='project-b', status=201)
        self.rejected('POST', PATH, {'cluster_template_id': 'theirs'}, 404,
                      'ClusterTemplate theirs could not be found.')
        # ... but their public one may be used.
        public = self.call('POST', '/v1/clustertemplates', {
            'name': 'shared', 'image_id': 'i', 'coe': 'kubernetes',
            'public': True}, project='project-b', roles=ADMIN,
            status=201).json
        uuid = self.post(cluster_template_id='shared').json['uuid']
        self.assertEqual(public['uuid'], self.call(
            'GET', f'{PATH}/{uuid}').json['cluster_template_id'])
        self.create_template(name='tpl')
        before = self.count(models.Cluster)
        self.rejected('POST', PATH, {'cluster_template_id': 'tpl'}, 409,
                      'Multiple ClusterTemplates exist with same name.')
        # A Magnum template may say flannel, which the nodes cannot
        # install; the cni label decides when set.
        self.create_template(name='flannel', network_driver='flannel')
        self.rejected('POST', PATH, {'cluster_template_id': 'flannel'}, 400,
                      'network_driver flannel is not supported by '
                      'magnum-lite clusters; use one of calico, cilium')
        self.call('POST', PATH, {'cluster_template_id': 'flannel',
                                 'labels': {'cni': 'cilium'}}, status=202)
        before += 1
        # An admin may use the hidden one.
        self.call('POST', PATH, {'cluster_template_id': hidden['uuid']},
                  roles=ADMIN, status=202)
        self.assertEqual(before + 1, self.count(models.Cluster))

    def test_quota(self):
        db_api.quota_create(self.project_id, 'Cluster', 1)
        self.post(name='first')
        self.rejected('POST', PATH, {'cluster_template_id': 'tpl'}, 403,
                      'Resource limit exceeded: You have reached the maximum '
                      'clusters per project, 1. You may delete a cluster to '
                      'make room for a new one.')
        # Other projects have their own count and the configured limit.
        self.conf.config(max_clusters_per_project=2, group='quotas')
        other = {'project': 'project-b', 'roles': ADMIN, 'status': 202}
        for _ in range(2):
            self.call('POST', PATH, {'cluster_template_id': 'tpl'}, **other)
        self.rejected('POST', PATH, {'cluster_template_id': 'tpl'}, 403,
                      'maximum clusters per project, 2.',
                      project='project-b', roles=ADMIN)
        self.conf.config(max_clusters_per_project=0, group='quotas')
        self.rejected('POST', PATH, {'cluster_template_id': 'tpl'}, 403,
                      'maximum clusters per project, 0.',
                      project='project-c', roles=ADMIN)

    def test_invalid_bodies(self):
        ok = {'cluster_template_id': 'tpl'}
        cases = [
            ({}, "Invalid input for field/attribute cluster_template_id. "
             "Value: 'None'. Mandatory field missing."),
            ({'cluster_template_id': None}, 'Mandatory field missing.'),
            ({'cluster_template_id': ''}, 'cluster_template_id'),
            (dict(ok, name='a' * 243), 'maximum character requirement of '
             '242'),
            (dict(ok, name=5), "Invalid input for field/attribute name. "
             "Value: '5'. Wrong type. Expected '<class 'str'>', got '<class "
             "'int'>'"),
            (dict(ok, master_lb_enabled='maybe'), 'Invalid input for '
             "field/attribute master_lb_enabled. Value: 'maybe'. Wrong "
             "type."),
            (dict(ok, merge_labels='maybe'), 'merge_labels'),
            (dict(ok, node_count=''), 'node_count'),
            (dict(ok, node_count='two'), 'node_count'),
            (dict(ok, node_count=1.5), 'node_count'),
            (dict(ok, node_count=True), 'node_count'),
            (dict(ok, node_count='\u00b2'), 'node_count'),
            (dict(ok, master_count='--1'), 'master_count'),
            (dict(ok, labels=['a']), 'labels'),
            (dict(ok, labels='a=b'), 'labels'),
            (dict(ok, keypair=''), 'keypair'),
            (dict(ok, health_status='GOOD'), 'health_status'),
            (dict(ok, uuid='nope'), 'uuid'),
            (dict(ok, foo=1, bogus=2), 'Unknown attributes for argument '
             'cluster: bogus, foo'),
            (dict(ok, project_id='x'), "Invalid input for field/attribute "
             "project_id. Value: 'x'. Cannot set read only field."),
        ]
        for field in ('stack_id', 'cluster_id', 'api_address', 'links',
                      'node_addresses', 'master_addresses', 'coe_version',
                      'container_version', 'user_id', 'created_at',
                      'updated_at'):
            cases.append((dict(ok, **{field: None}),
                          f'{field}. Value: \'None\'. Cannot set read only '
                          f'field.'))
        for body in ([ok], 'tpl', 3, [], True):
            cases.append((body, 'Invalid input for field/attribute cluster. '
                                'Value'))
        for body, detail in cases:
            self.rejected('POST', PATH, body, 400, detail)
        self.rejected('POST', PATH, None, 400, 'Mandatory field missing.')
        for name in ('1bad', 'a b', '-a', 'a/b'):
            error = self.rejected('POST', PATH, dict(ok, name=name), 400,
                                  None).json['errors'][0]
            self.assertEqual(
                f"Invalid input for field/attribute name. Value: '{name}'. "
                f"Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$",
                error['detail'])
        self.rejected('POST', PATH, ok, 403, "Policy doesn't allow "
                      "cluster:create to be performed.", roles='reader')
        headers = self.headers()
        for raw, content_type, status, detail in (
                (b'{"cluster_template_id": ', 'application/json', 400,
                 'Request is not in valid JSON format'),
                (b'[{]', 'application/json', 400, 'Request is not in valid '
                 'JSON format'),
                (b'{"cluster_template_id": "tpl"}', 'text/plain', 415,
                 'Unknown mimetype: text/plain')):
            response = self.app.post(PATH, raw, headers=headers,
                                     content_type=content_type,
                                     expect_errors=True)
            self.assert_error(response, status, detail)
        self.assertEqual((0, 0), self.rows())


class TestPatch(_Case):

    def setUp(self):
        super().setUp()
        self.create_template()
        self.cluster = self.create_cluster()
        self.uuid = self.cluster['uuid']
        self.path = f'{PATH}/{self.uuid}'

    def patch(self, ops, status=202, path=None, **kwargs):
        return self.call('PATCH', path or self.path, ops, status=status,
                         **kwargs)

    def test_node_count(self):
        response = self.patch([{'op': 'replace', 'path': '/node_count',
                                'value': '3'}])
        self.assertEqual({'uuid': self.uuid}, response.json)
        # The poller may already have finished the fake update: either
        # status shows the API recorded the operation (it was
        # CREATE_COMPLETE before).
        cluster = self.call('GET', self.path).json
        self.assertIn(cluster['status'],
                      ('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'))
        self.assertEqual(3, cluster['node_count'])
        cluster = self.wait_complete(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual((3, 3, 3), (cluster['node_count'],
                                     len(cluster['node_addresses']),
                                     cluster['master_count']))
        worker = self.call('GET', f'{self.path}/nodegroups/default-worker')
        self.assertEqual(3, worker.json['node_count'])
        self.assertEqual(
            [('cluster_update', self.uuid,
              {'nodegroup': worker.json['uuid'], 'rollback': False})],
            self.calls('cluster_update'))
        # The same count again changes nothing.
        self.patch([{'op': 'replace', 'path': '/node_count', 'value': 3}],
                   path=f'{PATH}/c1/')
        self.assertEqual('UPDATE_COMPLETE',
                         self.call('GET', self.path).json['status'])
        # rollback exists from 1.3.
        self.rejected('PATCH', self.path + '?rollback=True', [
            {'op': 'replace', 'path': '/node_count', 'value': 4}], 400,
            'Unknown argument: "rollback"', version='1.2')
        self.rejected('PATCH', self.path + '?rollback=maybe', [
            {'op': 'replace', 'path': '/node_count', 'value': 4}], 400,
            'rollback')
        self.assertEqual(3, self.call('GET', self.path).json['node_count'])
        self.patch([{'op': 'replace', 'path': '/node_count', 'value': 4}],
                   path=self.path + '/?rollback=True', version='1.3')
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual({'nodegroup': worker.json['uuid'], 'rollback': True},
                         self.calls('cluster_update')[-1][2])
        # Zero workers from 1.10.
        self.rejected('PATCH', self.path, [
            {'op': 'replace', 'path': '/node_count', 'value': 0}], 400,
            'Resizing a nodegroup to zero is not supported in the provided '
            'microversion.', version='1.9')
        self.patch([{'op': 'replace', 'path': '/node_count', 'value': 0}],
                   version='1.10')
        self.assertEqual(0, self.wait_for(self.uuid, 'UPDATE_COMPLETE')
                         ['node_count'])

    def test_health(self):
        self.patch([
            {'op': 'replace', 'path': '/health_status', 'value': 'HEALTHY'},
            {'op': 'replace', 'path': '/health_status_reason',
             'value': "{'api': 'ok', 'nodes': 'ok'}"}])
        cluster = self.call('GET', self.path).json
        self.assertEqual(('HEALTHY', {'api': 'ok', 'nodes': 'ok'},
                          'CREATE_COMPLETE'),
                         (cluster['health_status'],
                          cluster['health_status_reason'],
                          cluster['status']))
        self.patch([{'op': 'remove', 'path': '/health_status'}])
        self.assertIsNone(self.call('GET', self.path).json['health_status'])
        for value, detail in (('GOOD', 'health_status'),
                              (5, 'health_status')):
            self.rejected('PATCH', self.path, [
                {'op': 'replace', 'path': '/health_status', 'value': value}],
                400, detail)
        for value in ('a=b', '[1]', "{'a': 1}"):
            self.rejected('PATCH', self.path, [
                {'op': 'replace', 'path': '/health_status_reason',
                 'value': value}], 400, None)
        cluster = self.call('GET', self.path).json
        self.assertEqual({'api': 'ok', 'nodes': 'ok'},
                         cluster['health_status_reason'])

    def test_refused_patches(self):
        before = self.call('GET', self.path).json
        cases = [
            ([{'op': 'replace', 'path': '/name', 'value': 'other'}],
             'cannot change cluster property(ies) name.'),
            ([{'op': 'replace', 'path': '/name', 'value': 'other'},
              {'op': 'replace', 'path': '/labels', 'value': "{'a': 'b'}"}],
             'cannot change cluster property(ies) labels, name.'),
            ([{'op': 'replace', 'path': '/master_count', 'value': 5}],
             'cannot change cluster property(ies) master_count.'),
            ([{'op': 'remove', 'path': '/keypair'}],
             'cannot change cluster property(ies) keypair.'),
            ([{'op': 'remove', 'path': '/cluster_template_id'}],
             "'/cluster_template_id' is a mandatory attribute and can not "
             "be removed"),
            ([{'op': 'replace', 'path': '/node_count', 'value': 'two'}],
             'node_count'),
            ([{'op': 'replace', 'path': '/node_count', 'value': -1}],
             'node_count'),
            ([{'op': 'replace', 'path': '/node_count', 'value': 2 ** 31}],
             'node_count'),
            ([{'op': 'add', 'path': '/node_count', 'value': 3}],
             "The attribute /node_count has existed"),
            ([{'op': 'replace', 'path': '/bogus', 'value': 3}],
             'Adding a new attribute /bogus to the root'),
            ([{'op': 'replace', 'path': '/node_count'}],
             "'add' and 'replace' operations needs value"),
            ({'op': 'replace', 'path': '/node_count', 'value': 3},
             'Value not a valid list'),
            ([{'op': 'copy', 'path': '/node_count', 'value': 3}],
             'Value should be one of: remove, replace, add'),
        ]
        for path in ('/api_address', '/node_addresses', '/master_addresses',
                     '/stack_id', '/cluster_id', '/uuid', '/project_id',
                     '/user_id', '/links', '/created_at', '/updated_at',
                     '/id', '/ca_cert_ref', '/trust_id'):
            cases.append(([{'op': 'replace', 'path': path, 'value': 'x'}],
                          f"'{path}' is an internal attribute and can not "
                          f"be updated"))
        for ops, detail in cases:
            self.rejected('PATCH', self.path, ops, 400, detail)
        self.rejected('PATCH', f'{PATH}/nope', [
            {'op': 'replace', 'path': '/name', 'value': 'x'}], 404,
            'Cluster nope could not be found.')
        self.rejected('PATCH', PATH, [], 400,
                      'Missing argument: "cluster_ident"')
        self.rejected('PATCH', self.path, [
            {'op': 'replace', 'path': '/node_count', 'value': 3}], 404,
            f'Cluster {self.uuid} could not be found.', project='project-b')
        self.rejected('PATCH', self.path, [
            {'op': 'replace', 'path': '/node_count', 'value': 3}], 403,
            "Policy doesn't allow cluster:update to be performed.",
            roles='reader')
        response = self.app.patch(self.path, b'[{"op": "replace"',
                                  headers=self.headers(),
                                  content_type='application/json',
                                  expect_errors=True)
        self.assert_error(response, 400, 'Request is not in valid JSON')
        after = self.call('GET', self.path).json
        self.assertEqual(before, after)
        # An admin reaches other projects' clusters.
        self.patch([{'op': 'replace', 'path': '/health_status',
                     'value': 'UNKNOWN'}], project='project-b', roles=ADMIN)

    def test_delete(self):
        response = self.call('DELETE', f'{PATH}/c1/', status=204)
        self.assertEqual(b'', response.body)
        self.assertIsNone(self.wait_for(self.uuid, None))
        self.assertIn(('delete', self.uuid), fake_driver.CALLS)
        for method in ('GET', 'DELETE'):
            self.assert_error(self.call(method, self.path, status=404), 404,
                              f'Cluster {self.uuid} could not be found.')
        self.assert_error(self.call('DELETE', PATH, status=400), 400,
                          'Missing argument: "cluster_ident"')
        self.assertEqual((0, 0), self.rows())


class TestBusy(_Case):
    """A cluster whose deployment never finishes (fake_polls)."""

    def test_busy_cluster(self):
        self.create_template(labels={'fake_polls': '1000'})
        uuid = self.create_cluster(wait=False)
        path = f'{PATH}/{uuid}'
        ops = [{'op': 'replace', 'path': '/health_status',
                'value': 'UNHEALTHY'},
               {'op': 'replace', 'path': '/node_count', 'value': 5}]
        response = self.rejected('PATCH', path, ops, 409,
                                 f'Cluster {uuid} is busy (status '
                                 f'CREATE_IN_PROGRESS)')
        self.assertEqual('Cluster', response.json['errors'][0]['title'][:7])
        cluster = self.call('GET', path).json
        self.assertEqual(('CREATE_IN_PROGRESS', 2, None),
                         (cluster['status'], cluster['node_count'],
                          cluster['health_status']))
        # Health alone is not an operation: it is recorded.
        self.call('PATCH', path, ops[:1], status=202)
        self.assertEqual('UNHEALTHY',
                         self.call('GET', path).json['health_status'])
        self.call('DELETE', path, status=204)
        self.assertEqual('DELETE_IN_PROGRESS',
                         self.call('GET', path).json['status'])
        self.rejected('PATCH', path, ops[1:], 409,
                      'busy (status DELETE_IN_PROGRESS)')
        self.call('DELETE', path, status=204)
        self.assertEqual((1, 2), self.rows())
