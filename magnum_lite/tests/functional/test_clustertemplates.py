"""``/v1/clustertemplates`` over HTTP (contract §4, §5.1)."""

import logging

import fixtures
from oslo_utils import uuidutils

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests

ADMIN = 'admin,member,reader'
PATH = '/v1/clustertemplates'


class _Case(base.FunctionalTestCase):
    """Helpers shared by the tests of this module."""

    with_conductor = False

    def post(self, body, status=201, **kwargs):
        return self.call('POST', PATH, body, status=status, **kwargs)

    def names(self, response, key='clustertemplates'):
        return [item['name'] for item in response.json[key]]

    def rejected(self, method, path, body, status, detail, model,
                 **kwargs):
        """A write refused with ``status`` that changed no row."""
        before = self.count(model)
        response = self.call(method, path, body, status=status, **kwargs)
        self.assert_error(response, status, detail)
        self.assertEqual('client', response.json['errors'][0]['code'])
        self.assertEqual(before, self.count(model))
        return response


class TestCreate(_Case):

    def test_create_defaults_and_location(self):
        response = self.post({'image_id': 'img', 'coe': 'kubernetes',
                              'labels': {'a': 1, 'b': True, 'c': 'x',
                                         'd': 1.5}})
        body = response.json
        self.assertEqual(f"http://localhost{PATH}/{body['uuid']}",
                         response.headers['Location'])
        self.assertTrue(uuidutils.is_uuid_like(body['uuid']))
        self.assertRegex(body['name'], r'^[a-z]+-\d+-template$')
        self.assertEqual({'a': '1', 'b': 'True', 'c': 'x', 'd': '1.5'},
                         body['labels'])
        expected = {'network_driver': 'calico', 'registry_enabled': False,
                    'tls_disabled': False, 'public': False,
                    'server_type': 'vm', 'master_lb_enabled': False,
                    'floating_ip_enabled': True, 'hidden': False,
                    'project_id': self.project_id, 'user_id': self.user_id,
                    'keypair_id': None, 'docker_volume_size': None,
                    'updated_at': None, 'tags': None}
        self.assertEqual(expected, {k: body[k] for k in expected})
        self.assertEqual(
            [{'href': f"http://localhost{PATH}/{body['uuid']}",
              'rel': 'self'},
             {'href': f"http://localhost/clustertemplates/{body['uuid']}",
              'rel': 'bookmark'}], body['links'])
        self.assertRegex(body['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$')
        self.assertNotIn('id', body)
        shown = self.call('GET', f"{PATH}/{body['uuid']}").json
        self.assertEqual(body, shown)
        self.assertEqual(list(body), list(shown))
        # Stored as strings, not only shown so.
        self.assertEqual('1', self.call('GET', f"{PATH}/{body['name']}")
                         .json['labels']['a'])

    def test_create_honours_uuid_and_explicit_nulls(self):
        uuid = uuidutils.generate_uuid()
        body = self.post({'uuid': uuid, 'name': 'named', 'image_id': 'img',
                          'coe': 'kubernetes', 'public': False,
                          'hidden': None, 'labels': None, 'keypair_id': None,
                          'http_proxy': None, 'network_driver': None,
                          'volume_driver': None, 'tags': '',
                          'docker_volume_size': '5',
                          'master_lb_enabled': 'yes',
                          'tls_disabled': 0}).json
        self.assertEqual((uuid, 'named', {}, 'calico', 5, True, False, ''),
                         (body['uuid'], body['name'], body['labels'],
                          body['network_driver'], body['docker_volume_size'],
                          body['master_lb_enabled'], body['tls_disabled'],
                          body['tags']))
        self.rejected('POST', PATH, {'uuid': uuid, 'image_id': 'img',
                                     'coe': 'kubernetes'}, 409,
                      f'A ClusterTemplate with UUID {uuid} already exists.',
                      models.ClusterTemplate)

    def test_public_and_hidden_need_admin(self):
        for flag in ('public', 'hidden'):
            for value in (True, 'yes'):
                self.rejected(
                    'POST', PATH, {'image_id': 'i', 'coe': 'kubernetes',
                                   flag: value}, 403,
                    'Not authorized to set public or hidden flag for '
                    'cluster template.', models.ClusterTemplate)
        body = self.post({'image_id': 'i', 'coe': 'kubernetes',
                          'public': True, 'hidden': True},
                         roles=ADMIN).json
        self.assertEqual((True, True), (body['public'], body['hidden']))
        # Explicitly not public is fine for anyone.
        self.post({'image_id': 'i', 'coe': 'kubernetes', 'public': False,
                   'hidden': 'no'})
        self.assertEqual(2, self.count(models.ClusterTemplate))

    def test_reader_may_not_create(self):
        response = self.rejected(
            'POST', PATH, {'image_id': 'i', 'coe': 'kubernetes'}, 403,
            "Policy doesn't allow clustertemplate:create to be performed.",
            models.ClusterTemplate, roles='reader')
        self.assertEqual('Policy doesn\'t allow clustertemplate:create to '
                         'be performed', response.json['errors'][0]['title'])

    def test_invalid_bodies(self):
        ok = {'image_id': 'img', 'coe': 'kubernetes'}
        cases = [
            ({'coe': 'kubernetes'}, 'Invalid input for field/attribute '
             "image_id. Value: 'None'. Mandatory field missing."),
            ({'image_id': 'i'}, "coe. Value: 'None'. Mandatory field"),
            (dict(ok, coe='swarm'), "Invalid input for field/attribute coe. "
             "Value: 'swarm'. Value should be one of: kubernetes"),
            (dict(ok, name=5), "Invalid input for field/attribute name. "
             "Value: '5'. Wrong type. Expected '<class 'str'>', got "
             "'<class 'int'>'"),
            (dict(ok, image_id=''), 'minimum character requirement of 1'),
            (dict(ok, name='x' * 256), 'maximum character requirement of '
             '255'),
            (dict(ok, master_lb_enabled='maybe'), 'master_lb_enabled. '
             "Value: 'maybe'. Wrong type."),
            (dict(ok, public=2), "public. Value: '2'. Wrong type."),
            (dict(ok, docker_volume_size=''), 'docker_volume_size'),
            (dict(ok, docker_volume_size=0), 'Value should be greater or '
             'equal to 1'),
            (dict(ok, docker_volume_size=2 ** 40), 'docker_volume_size'),
            (dict(ok, docker_volume_size='--5'), "Value: '--5'. Wrong type."),
            (dict(ok, docker_volume_size='\u00b2'), 'docker_volume_size'),
            (dict(ok, docker_volume_size='1.5'), 'docker_volume_size'),
            (dict(ok, apiserver_port=80), 'apiserver_port'),
            (dict(ok, apiserver_port=70000), 'Value should be less or '
             'equal to 65535'),
            (dict(ok, server_type='vps'), 'Value should be one of: vm, bm'),
            (dict(ok, network_driver='weave'), 'network_driver'),
            (dict(ok, volume_driver='rexray'), 'volume_driver'),
            (dict(ok, dns_nameserver='8.8.8'), 'dns_nameserver'),
            (dict(ok, labels=['a=b']), 'labels'),
            (dict(ok, labels='a=b'), 'labels'),
            (dict(ok, uuid='not-a-uuid'), 'uuid'),
            (dict(ok, foo=1, bogus=2), 'Unknown attributes for argument '
             'clustertemplate: bogus, foo'),
            (dict(ok, project_id='x'), 'Invalid input for field/attribute '
             "project_id. Value: 'x'. Cannot set read only field."),
            (dict(ok, links=[]), 'links'),
            (dict(ok, created_at=None), 'created_at'),
            ([ok], 'Value not a valid dict'),
            ('text', 'Value not a valid dict'),
            (5, 'Value not a valid dict'),
        ]
        for body, detail in cases:
            self.rejected('POST', PATH, body, 400, detail,
                          models.ClusterTemplate)
        self.rejected('POST', PATH, None, 400, 'Mandatory field missing',
                      models.ClusterTemplate)

    def test_malformed_and_wrong_content_type(self):
        headers = self.headers()
        # A client's bad bytes are no server error: nothing at ERROR.
        errors = self.useFixture(fixtures.FakeLogger(
            name='pecan.core', level=logging.ERROR))
        for raw in (b'{"coe": ', b'\xff\xfe', b'{"a": 1}}'):
            response = self.app.post(
                PATH, raw, headers=headers, content_type='application/json',
                expect_errors=True)
            self.assert_error(response, 400,
                              'Request is not in valid JSON format')
        response = self.app.post(PATH, b'{"coe": "kubernetes"}',
                                 headers=headers, content_type='text/plain',
                                 expect_errors=True)
        self.assert_error(response, 415, 'Unknown mimetype: text/plain')
        self.assertEqual('', errors.output)
        response = self.app.post(
            PATH, b'{"coe": "kubernetes", "image_id": "i"}', headers=headers,
            content_type='application/json; charset=UTF-8')
        self.assertEqual(201, response.status_int)
        self.assertEqual(1, self.count(models.ClusterTemplate))


class TestListAndShow(_Case):

    def setUp(self):
        super().setUp()
        self.mine = self.post({'name': 'mine', 'image_id': 'i',
                               'coe': 'kubernetes'}).json
        self.my_hidden = self.post({'name': 'my-hidden', 'image_id': 'i',
                                    'coe': 'kubernetes', 'hidden': True},
                                   roles=ADMIN).json
        other = {'project': 'project-b', 'user': 'user-b'}
        self.private = self.post({'name': 'private', 'image_id': 'i',
                                  'coe': 'kubernetes'}, **other).json
        self.public = self.post({'name': 'public', 'image_id': 'i',
                                 'coe': 'kubernetes', 'public': True},
                                roles=ADMIN, **other).json
        self.hidden = self.post({'name': 'hidden', 'image_id': 'i',
                                 'coe': 'kubernetes', 'public': True,
                                 'hidden': True}, roles=ADMIN, **other).json

    def test_visibility(self):
        visible = ['mine', 'my-hidden', 'public']
        everything = ['mine', 'my-hidden', 'private', 'public', 'hidden']
        for url in (PATH, PATH + '/', PATH + '/detail', '/clustertemplates'):
            self.assertEqual(visible, self.names(self.call('GET', url)))
            self.assertEqual(everything,
                             self.names(self.call('GET', url, roles=ADMIN)))
        listed = self.call('GET', PATH).json['clustertemplates']
        detailed = self.call('GET', PATH + '/detail').json['clustertemplates']
        self.assertEqual(detailed, listed)
        self.assertEqual(self.mine, listed[0])
        for template in (self.mine, self.my_hidden, self.public):
            for ident in (template['uuid'], template['name']):
                self.assertEqual(
                    template['uuid'],
                    self.call('GET', f'{PATH}/{ident}').json['uuid'])
        for template in (self.private, self.hidden):
            for ident in (template['uuid'], template['name']):
                self.assert_error(
                    self.call('GET', f'{PATH}/{ident}', status=404), 404,
                    f'ClusterTemplate {ident} could not be found.')
            self.assertEqual(template['uuid'], self.call(
                'GET', f"{PATH}/{template['uuid']}", roles=ADMIN)
                .json['uuid'])
        self.assert_error(self.call('GET', f'{PATH}/nope', status=404), 404,
                          'ClusterTemplate nope could not be found.')
        self.assert_error(
            self.call('GET', f"{PATH}/{self.mine['uuid']}?x=1", status=400),
            400, 'Unknown argument: "x"')
        for url in (PATH, PATH + '/detail'):
            self.assert_error(self.call('GET', url, roles='foo', status=403),
                              403, "Policy doesn't allow clustertemplate:")

    def test_pagination(self):
        uuids = [t['uuid'] for t in (self.mine, self.my_hidden, self.public)]
        page = self.call('GET', PATH + '?limit=2').json
        self.assertEqual(uuids[:2],
                         [t['uuid'] for t in page['clustertemplates']])
        self.assertEqual(
            f'http://localhost{PATH}?sort_key=id&sort_dir=asc&limit=2'
            f'&marker={uuids[1]}', page['next'])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual(['public'], self.names_of(page))
        self.assertNotIn('next', page)
        # An exactly full page still has a next, which gives nothing.
        page = self.call('GET', PATH + '/detail?limit=3&sort_key=name'
                                       '&sort_dir=desc').json
        self.assertEqual(['public', 'my-hidden', 'mine'],
                         self.names_of(page))
        self.assertEqual(
            f'http://localhost{PATH}/detail?sort_key=name&sort_dir=desc'
            f'&limit=3&marker={uuids[0]}', page['next'])
        page = self.call('GET', page['next'][len('http://localhost'):]).json
        self.assertEqual({'clustertemplates': []}, page)
        self.assertNotIn('next', self.call('GET', PATH).json)
        self.assertEqual(['mine', 'my-hidden', 'public'], self.names_of(
            self.call('GET', PATH + '?sort_key=name&sort_dir=asc').json))
        self.assertEqual(['public'], self.names_of(self.call(
            'GET', f'{PATH}?marker={self.private["uuid"]}&limit=1',
            roles=ADMIN).json))
        for query, status, detail in (
                ('limit=0', 400, 'Limit must be positive'),
                ('limit=-1', 400, 'Limit must be positive'),
                ('limit=abc', 400, "Invalid input for field/attribute limit. "
                 "Value: 'abc'. unable to convert to int. Error: invalid "
                 "literal for int() with base 10: 'abc'"),
                ('sort_dir=up', 400, "Invalid sort direction: up. "
                 "Acceptable values are 'asc' or 'desc'"),
                ('sort_key=bogus', 400, 'The sort_key value "bogus" is an '
                 'invalid field for sorting'),
                ('marker=notauuid', 400, "Invalid input for field/attribute "
                 "marker. Value: 'notauuid'. unable to convert to uuid. "
                 "Error: Expected a uuid but received notauuid."),
                (f'marker={self.private["uuid"]}', 404,
                 f'ClusterTemplate {self.private["uuid"]} could not be '
                 f'found.'),
                (f'marker={uuidutils.generate_uuid()}', 404, 'could not be '
                 'found'),
                ('name=mine', 400, 'Unknown argument: "name"')):
            for url in (PATH, PATH + '/detail'):
                response = self.call('GET', f'{url}?{query}', status=status)
                self.assert_error(response, status, detail)

    def test_every_column_sorts(self):
        for key in sorted(db_api.sortable_keys(models.ClusterTemplate)):
            for direction in ('asc', 'desc'):
                page = self.call('GET', f'{PATH}?sort_key={key}&sort_dir='
                                        f'{direction}&limit=2', roles=ADMIN,
                                 status=200).json
                self.assertEqual(2, len(page['clustertemplates']), key)

    def names_of(self, body):
        return [t['name'] for t in body['clustertemplates']]

    def test_ambiguous_name(self):
        self.post({'name': 'mine', 'image_id': 'j', 'coe': 'kubernetes'})
        for method in ('GET', 'DELETE'):
            self.assert_error(
                self.call(method, f'{PATH}/mine', status=409), 409,
                'Multiple ClusterTemplates exist with same name. Please use '
                'the ClusterTemplate uuid instead.')
        self.assert_error(
            self.call('PATCH', f'{PATH}/mine', [
                {'op': 'replace', 'path': '/name', 'value': 'x'}],
                status=409), 409, 'Multiple ClusterTemplates')
        # Another project's template of the same name doesn't count.
        self.assertEqual(self.public['uuid'],
                         self.call('GET', f'{PATH}/public').json['uuid'])
        self.post({'name': 'public', 'image_id': 'i', 'coe': 'kubernetes'},
                  project='project-c')
        self.assertEqual(self.public['uuid'],
                         self.call('GET', f'{PATH}/public').json['uuid'])


class TestPatch(_Case):

    def setUp(self):
        super().setUp()
        self.template = self.post({
            'name': 'tpl', 'image_id': 'img', 'coe': 'kubernetes',
            'labels': {'kube_tag': 'v1.36'}, 'docker_volume_size': 10,
            'keypair_id': 'kp', 'server_type': 'bm', 'public': False}).json
        self.path = f"{PATH}/{self.template['uuid']}"

    def patch(self, ops, status=200, **kwargs):
        return self.call('PATCH', self.path, ops, status=status, **kwargs)

    def test_replace_add_remove(self):
        body = self.patch([
            {'op': 'replace', 'path': '/name', 'value': 'renamed'},
            {'op': 'replace', 'path': '/docker_volume_size', 'value': '20'},
            {'op': 'add', 'path': '/http_proxy', 'value': 'http://p:3128'},
            {'op': 'remove', 'path': '/keypair_id'},
            {'op': 'replace', 'path': '/labels',
             'value': "{'kube_tag': 'v1.37', 'n': 3}"},
            {'op': 'add', 'path': '/labels/extra', 'value': 'x'},
            {'op': 'replace', 'path': '/master_lb_enabled', 'value': 'true'},
            {'op': 'replace', 'path': '/tls_disabled', 'value': True},
        ]).json
        self.assertEqual(
            ('renamed', 20, 'http://p:3128', None,
             {'kube_tag': 'v1.37', 'n': '3', 'extra': 'x'}, True, True),
            (body['name'], body['docker_volume_size'], body['http_proxy'],
             body['keypair_id'], body['labels'], body['master_lb_enabled'],
             body['tls_disabled']))
        self.assertIsNotNone(body['updated_at'])
        self.assertEqual(body, self.call('GET', self.path).json)
        # JSON-style labels parse too; remove resets to defaults.
        body = self.patch([
            {'op': 'replace', 'path': '/labels', 'value': '{"a": "b"}'},
            {'op': 'remove', 'path': '/floating_ip_enabled'},
            {'op': 'remove', 'path': '/master_lb_enabled'},
            {'op': 'remove', 'path': '/name'}]).json
        self.assertEqual(({'a': 'b'}, True, False, None),
                         (body['labels'], body['floating_ip_enabled'],
                          body['master_lb_enabled'], body['name']))
        body = self.patch([{'op': 'remove', 'path': '/labels'},
                           {'op': 'add', 'path': '/name', 'value': 'back'}
                           ]).json
        self.assertEqual(({}, 'back'), (body['labels'], body['name']))
        # By name, at the oldest version, with a trailing slash.
        body = self.call('PATCH', f'{PATH}/back/', [
            {'op': 'replace', 'path': '/tags', 'value': 't1'}],
            version=None, status=200).json
        self.assertEqual('t1', body['tags'])
        # A patch that changes nothing still answers the template.
        self.assertEqual('t1', self.patch([]).json['tags'])

    def test_invalid_patches(self):
        before = self.call('GET', self.path).json
        cases = [
            ({'op': 'replace', 'path': '/name', 'value': 'x'},
             'Value not a valid list'),
            ([{'op': 'move', 'path': '/name', 'value': 'x'}],
             'Value should be one of: remove, replace, add'),
            ([{'op': 'replace', 'path': 'name', 'value': 'x'}],
             'Value should match the pattern'),
            ([{'op': 'replace', 'path': '/name'}],
             "'add' and 'replace' operations needs value"),
            ([{'op': 'replace', 'path': '/name', 'value': None}],
             "'add' and 'replace' operations needs value"),
            ([{'op': 'replace', 'path': '/labels', 'value': {'a': 'b'}}],
             'Wrong type'),
            ([{'op': 'replace', 'path': '/labels', 'value': 'a=b'}],
             "Couldn't apply patch"),
            ([{'op': 'replace', 'path': '/labels', 'value': '[1, 2]'}],
             'labels'),
            ([{'op': 'replace', 'path': '/bogus', 'value': 'x'}],
             'Adding a new attribute /bogus to the root of the resource is '
             'not allowed.'),
            ([{'op': 'add', 'path': '/name', 'value': 'x'}],
             "The attribute /name has existed, please use 'replace' "
             "operation instead."),
            ([{'op': 'replace', 'path': '/labels/nope/x', 'value': 'x'}],
             "Couldn't apply patch"),
            ([{'op': 'remove', 'path': '/labels/nope'}],
             "can't remove a non-existent object 'nope'"),
            ([{'op': 'replace', 'path': '/docker_volume_size',
               'value': 'ten'}], 'docker_volume_size'),
            ([{'op': 'replace', 'path': '/docker_volume_size',
               'value': 0}], 'Value should be greater or equal to 1'),
            ([{'op': 'replace', 'path': '/master_lb_enabled',
               'value': 'maybe'}], 'master_lb_enabled'),
            ([{'op': 'replace', 'path': '/coe', 'value': 'swarm'}],
             'Value should be one of: kubernetes'),
            ([{'op': 'replace', 'path': '/name', 'value': 5}],
             'Wrong type'),
            ([{'op': 'replace', 'path': '/name', 'value': 'x',
               'extra': 1}], 'Unknown attributes'),
            (['x'], 'Value not a valid dict'),
        ]
        for path in ('/uuid', '/id', '/project_id', '/user_id', '/links',
                     '/created_at', '/updated_at'):
            for op in ('add', 'replace', 'remove'):
                cases.append(([{'op': op, 'path': path, 'value': 'x'}],
                              f"'{path}' is an internal attribute and can "
                              f"not be updated"))
        for path in ('/coe', '/image_id', '/network_driver',
                     '/external_network_id', '/tls_disabled', '/public',
                     '/server_type', '/registry_enabled', '/cluster_distro',
                     '/hidden'):
            cases.append(([{'op': 'remove', 'path': path}],
                          f"'{path}' is a mandatory attribute and can not "
                          f"be removed"))
        for ops, detail in cases:
            response = self.patch(ops, status=400)
            self.assert_error(response, 400, detail)
        self.assertEqual(before, self.call('GET', self.path).json)
        self.assert_error(self.call('PATCH', f'{PATH}/nope', [], status=404),
                          404, 'ClusterTemplate nope could not be found.')
        self.assert_error(self.call('PATCH', PATH, [], status=400), 400,
                          'Missing argument: "clustertemplate_ident"')
        response = self.app.patch(self.path, b'[{"op"', headers=dict(
            self.headers(), **{'Content-Type': 'application/json'}),
            expect_errors=True)
        self.assert_error(response, 400, 'Request is not in valid JSON')

    def test_publish_and_other_projects(self):
        for ops in ([{'op': 'replace', 'path': '/public', 'value': True}],
                    [{'op': 'replace', 'path': '/hidden', 'value': 'yes'}]):
            self.assert_error(self.patch(ops, status=403), 403,
                              'Not authorized to set public or hidden flag')
        body = self.patch([{'op': 'replace', 'path': '/public',
                            'value': True}], roles=ADMIN).json
        self.assertTrue(body['public'])
        # Visible to another project now, but not theirs to change.
        other = {'project': 'project-b', 'user': 'user-b'}
        self.call('GET', self.path, **other, status=200)
        self.assert_error(
            self.patch([{'op': 'replace', 'path': '/name', 'value': 'x'}],
                       status=403, **other), 403,
            "Policy doesn't allow clustertemplate:update to be performed.")
        self.assert_error(self.call('DELETE', self.path, status=403,
                                    **other), 403,
                          "Policy doesn't allow clustertemplate:delete")
        self.assert_error(self.patch([], status=403, roles='reader'), 403,
                          'clustertemplate:update')
        # Unchanged values need no publish right.
        self.patch([{'op': 'replace', 'path': '/public', 'value': True}])
        self.assertEqual(1, self.count(models.ClusterTemplate))


class TestDelete(_Case):

    def test_delete(self):
        uuid = self.post({'name': 'a', 'image_id': 'i',
                          'coe': 'kubernetes'}).json['uuid']
        self.post({'name': 'b', 'image_id': 'i', 'coe': 'kubernetes'})
        response = self.call('DELETE', f'{PATH}/{uuid}', status=204)
        self.assertEqual(b'', response.body)
        self.assertNotIn('Content-Type', response.headers)
        self.call('DELETE', f'{PATH}/b/', status=204)
        self.assertEqual(0, self.count(models.ClusterTemplate))
        self.assert_error(self.call('DELETE', f'{PATH}/{uuid}', status=404),
                          404, f'ClusterTemplate {uuid} could not be found.')
        self.assert_error(self.call('DELETE', PATH, status=400), 400,
                          'Missing argument: "clustertemplate_ident"')


class TestDriverValidates(_Case):
    """The template's driver checks it (``Driver.validate``) before it is
    stored; the fake driver refuses labels ``fake_invalid``."""

    def test_create_refused_by_the_driver(self):
        body = {'name': 'bad', 'image_id': 'img', 'coe': 'kubernetes',
                'labels': {'fake_invalid': 'no such image'}}
        self.rejected('POST', PATH, body, 400,
                      'Invalid input: no such image', models.ClusterTemplate)

    def test_patch_refused_by_the_driver(self):
        uuid = self.post({'name': 'tpl', 'image_id': 'img',
                          'coe': 'kubernetes'}).json['uuid']
        before = self.call('GET', f'{PATH}/{uuid}').json
        ops = [{'op': 'add', 'path': '/labels/fake_invalid',
                'value': 'not for this driver'}]
        self.rejected('PATCH', f'{PATH}/{uuid}', ops, 400,
                      'Invalid input: not for this driver',
                      models.ClusterTemplate)
        self.assertEqual(before, self.call('GET', f'{PATH}/{uuid}').json)

    def test_renaming_is_not_checked_again(self):
        # A template the driver refuses now (stored before its check)
        # can still be renamed.
        template = db_api.template_create({
            'name': 'old', 'image_id': 'img', 'coe': 'kubernetes',
            'project_id': self.project_id,
            'labels': {'fake_invalid': 'refused now'}})
        ops = [{'op': 'replace', 'path': '/name', 'value': 'renamed'}]
        body = self.call('PATCH', f'{PATH}/{template.uuid}', ops).json
        self.assertEqual('renamed', body['name'])

    def test_a_driver_not_installed_is_not_refused(self):
        # As before the check existed: its clusters fail to build.
        body = self.post({'name': 'other', 'image_id': 'img',
                          'coe': 'kubernetes', 'driver': 'nope'}).json
        self.assertEqual('nope', body['driver'])


class TestInUse(_Case):
    """Templates referenced by clusters (needs the conductor)."""

    with_conductor = True

    def setUp(self):
        super().setUp()
        self.template = self.create_template(labels={'fake_polls': '1000'})
        self.path = f"{PATH}/{self.template['uuid']}"
        self.create_template(name='other')
        self.call('POST', '/v1/clusters', {
            'cluster_template_id': self.template['uuid'],
            'master_lb_enabled': True}, roles=ADMIN, status=202)

    def test_in_use(self):
        message = (f"ClusterTemplate {self.template['uuid']} is referenced "
                   f"by one or multiple clusters.")
        admin = {'roles': ADMIN}
        for ops in (
                [{'op': 'replace', 'path': '/docker_volume_size',
                  'value': 3}],
                [{'op': 'replace', 'path': '/name', 'value': 'x'},
                 {'op': 'replace', 'path': '/tags', 'value': 'x'}],
                [{'op': 'replace', 'path': '/labels', 'value': '{}'}]):
            self.assert_error(self.call('PATCH', self.path, ops, status=400,
                                        **admin), 400, message)
        self.assert_error(self.call('DELETE', self.path, status=400,
                                    **admin), 400, message)
        before = self.call('GET', self.path).json
        self.assertEqual(self.template['labels'], before['labels'])
        for ops in ([{'op': 'replace', 'path': '/name', 'value': 'new'}],
                    [{'op': 'replace', 'path': '/hidden', 'value': True}],
                    [{'op': 'replace', 'path': '/hidden', 'value': False}],
                    [{'op': 'replace', 'path': '/tags', 'value': 'a,b'}],
                    [{'op': 'replace', 'path': '/public', 'value': True}]):
            self.call('PATCH', self.path, ops, status=200, **admin)
        for ops in ([{'op': 'replace', 'path': '/public', 'value': False}],
                    [{'op': 'remove', 'path': '/tags'}]):
            self.assert_error(self.call('PATCH', self.path, ops, status=400,
                                        **admin), 400, message)
        body = self.call('GET', self.path).json
        self.assertEqual(('new', 'a,b', True, False),
                         (body['name'], body['tags'], body['public'],
                          body['hidden']))
        self.assertEqual(2, self.count(models.ClusterTemplate))
