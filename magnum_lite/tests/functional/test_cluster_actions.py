"""``/v1/clusters/{ident}/actions/resize`` and ``.../upgrade`` over HTTP
(contract §2.4, §5.3)."""

import time

from magnum_lite.cluster import versions
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests

ADMIN = 'admin,member,reader'
VERSION_HEADERS = ('OpenStack-API-Minimum-Version',
                   'OpenStack-API-Maximum-Version', 'OpenStack-API-Version')


class _Case(base.FunctionalTestCase):
    """Helpers shared by the tests of this module."""

    def setUp(self):
        super().setUp()
        self.template = self.create_template()
        self.cluster = self.create_cluster(labels={'min_node_count': '1'})
        self.uuid = self.cluster['uuid']
        self.resize_path = f'/v1/clusters/{self.uuid}/actions/resize'
        self.upgrade_path = f'/v1/clusters/{self.uuid}/actions/upgrade'

    def stuck_cluster(self):
        """A cluster whose create never finishes (fake_polls)."""
        return self.create_cluster(name='stuck', wait=False,
                                   labels={'fake_polls': '1000'})

    def wait_addresses(self, status):
        """``status`` with every node's address: the conductor writes the
        status before the nodegroups' addresses (see the report)."""
        deadline = time.monotonic() + 10
        while True:
            cluster = self.wait_for(self.uuid, status)
            if len(cluster['node_addresses']) == cluster['node_count'] or \
                    time.monotonic() > deadline:
                return cluster
            time.sleep(0.1)

    def rows(self):
        return (self.count(models.Cluster), self.count(models.NodeGroup))

    def snapshot(self):
        cluster = self.call('GET', f'/v1/clusters/{self.uuid}').json
        return (cluster['status'], cluster['node_count'],
                cluster['cluster_template_id'], self.rows())

    def rejected(self, path, body, status, detail, **kwargs):
        """An action refused with ``status`` that changed nothing."""
        before = self.snapshot()
        response = self.call('POST', path, body, status=status, **kwargs)
        error = self.assert_error(response, status, detail)
        self.assertEqual(before, self.snapshot())
        return error

    def calls(self, operation):
        return [c[2] for c in fake_driver.CALLS
                if c[0] == operation and c[1] == self.uuid]

    def nodegroup(self, name):
        return self.call(
            'GET', f'/v1/clusters/{self.uuid}/nodegroups/{name}').json


class TestMasterResize(_Case):
    """The master nodegroup resizes to odd sizes only (etcd's quorum)."""

    def resize_masters(self, count, **extra):
        self.call('POST', self.resize_path,
                  dict(node_count=count, nodegroup='default-master', **extra),
                  status=202)
        cluster = self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual(count, cluster['master_count'])
        return cluster

    def test_odd_sizes_up_and_down(self):
        master = self.nodegroup('default-master')
        self.assertEqual(3, master['node_count'])
        self.resize_masters(5)
        self.resize_masters(3, nodes_to_remove=['m-1', 'm-4'])
        self.resize_masters(1)
        self.assertEqual(
            [{'nodegroup': master['uuid'], 'node_count': 5,
              'nodes_to_remove': []},
             {'nodegroup': master['uuid'], 'node_count': 3,
              'nodes_to_remove': ['m-1', 'm-4']},
             {'nodegroup': master['uuid'], 'node_count': 1,
              'nodes_to_remove': []}],
            self.calls('cluster_resize'))
        self.assertEqual(1, self.nodegroup('default-master')['node_count'])
        # The workers are untouched.
        self.assertEqual(2, self.nodegroup('default-worker')['node_count'])

    def test_even_and_zero_sizes_are_refused(self):
        for count in (0, 2, 4, 6):
            error = self.rejected(
                self.resize_path,
                {'node_count': count, 'nodegroup': 'default-master'}, 400,
                f'master nodegroup size of {count} is invalid')
            # Magnum's envelope: the title is the detail's first sentence.
            self.assertTrue(error['title'].startswith(
                f'master nodegroup size of {count} is invalid'), error)
        # Zero masters stays refused where zero workers is allowed.
        self.rejected(self.resize_path,
                      {'node_count': 0, 'nodegroup': 'default-master'}, 400,
                      'a cluster needs at least one master.', version='1.10')
        self.assertEqual([], self.calls('cluster_resize'))
        self.assertEqual(3, self.nodegroup('default-master')['node_count'])

    def test_several_masters_need_the_load_balancer(self):
        uuid = self.create_cluster(name='no-lb', master_count=1,
                                   master_lb_enabled=False)['uuid']
        before = self.call('GET', f'/v1/clusters/{uuid}').json
        response = self.call(
            'POST', f'/v1/clusters/{uuid}/actions/resize',
            {'node_count': 3, 'nodegroup': 'default-master'}, status=400)
        self.assert_error(response, 400, 'master_count must be 1 when '
                          'master_lb_enabled is False')
        self.assertEqual(before, self.call('GET', f'/v1/clusters/{uuid}').json)

    def test_master_count_is_not_patched(self):
        # As in Magnum: the resize action is the way to change it.
        response = self.call('PATCH', f'/v1/clusters/{self.uuid}', [
            {'op': 'replace', 'path': '/master_count', 'value': 5}],
            status=400)
        self.assert_error(response, 400, 'master_count')
        self.assertEqual(3, self.nodegroup('default-master')['node_count'])


class TestResize(_Case):

    def test_resize(self):
        worker = self.nodegroup('default-worker')
        self.assertEqual(1, worker['min_node_count'])
        response = self.call('POST', self.resize_path, {
            'node_count': 4, 'nodes_to_remove': ['server-1', 'server-2']},
            version='1.7', status=202)
        self.assertEqual({'uuid': self.uuid}, response.json)
        # UPDATE_COMPLETE when the poller was quicker than this GET.
        self.assertIn(self.call('GET', f'/v1/clusters/{self.uuid}')
                      .json['status'], ('UPDATE_IN_PROGRESS',
                                        'UPDATE_COMPLETE'))
        cluster = self.wait_addresses('UPDATE_COMPLETE')
        self.assertEqual((4, 4), (cluster['node_count'],
                                  len(cluster['node_addresses'])))
        self.assertEqual([{'nodegroup': worker['uuid'], 'node_count': 4,
                           'nodes_to_remove': ['server-1', 'server-2']}],
                         self.calls('cluster_resize'))
        # By cluster name, nodegroup by name, nodes_to_remove null (SDK).
        self.call('POST', '/v1/clusters/c1/actions/resize/', {
            'node_count': '2', 'nodegroup': 'default-worker',
            'nodes_to_remove': None}, status=202)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual({'nodegroup': worker['uuid'], 'node_count': 2,
                          'nodes_to_remove': []},
                         self.calls('cluster_resize')[-1])
        self.assertEqual(2, self.nodegroup('default-worker')['node_count'])

    def test_version_gate(self):
        for version in ('1.6', '1.1', None):
            response = self.call('POST', self.resize_path,
                                 {'node_count': 3}, version=version,
                                 status=406)
            error = self.assert_error(response, 406)
            self.assertEqual(('', 'Not Acceptable'),
                             (error['code'], error['title']))
            for name in VERSION_HEADERS:
                self.assertNotIn(name, response.headers)
        self.assertEqual(2, self.nodegroup('default-worker')['node_count'])

    def test_refused_resizes(self):
        master = self.nodegroup('default-master')
        cases = [
            ({'node_count': 0}, 400, 'Resizing default-worker outside the '
             'allowed range: min_node_count = 1, max_node_count = None'),
            ({'node_count': 2, 'nodegroup': master['uuid']}, 400,
             'master nodegroup size of 2 is invalid, size cannot be an '
             'even number. Masters come in odd numbers (1, 3, 5...) so '
             'that their etcd keeps its quorum.'),
            ({'node_count': 0, 'nodegroup': 'default-master'}, 400,
             'master nodegroup size of 0 is invalid, a cluster needs at '
             'least one master.'),
            ({'node_count': 3, 'nodegroup': 'nope'}, 404,
             'Nodegroup nope could not be found.'),
            ({}, 400, "Invalid input for field/attribute node_count. Value: "
             "'None'. Mandatory field missing."),
            ({'node_count': None}, 400, 'Mandatory field missing.'),
            ({'node_count': -1}, 400, 'Value should be greater or equal to '
             '0'),
            ({'node_count': 'many'}, 400, 'node_count'),
            ({'node_count': 2 ** 31}, 400, 'node_count'),
            ({'node_count': 3, 'nodes_to_remove': 'server-1'}, 400,
             'nodes_to_remove'),
            ({'node_count': 3, 'nodes_to_remove': [1]}, 400,
             'nodes_to_remove'),
            ({'node_count': 3, 'foo': 1}, 400, 'Unknown attributes for '
             'argument cluster: foo'),
            ({'node_count': 3, 'created_at': None}, 400, 'Cannot set read '
             'only field.'),
            ([{'node_count': 3}], 400, 'Value not a valid dict'),
        ]
        for body, status, detail in cases:
            self.rejected(self.resize_path, body, status, detail)
        self.rejected(self.resize_path, {'node_count': 0}, 400,
                      'Resizing a nodegroup to zero is not supported in the '
                      'provided microversion.', version='1.9')
        # A PATCH of node_count keeps to the same range.
        response = self.call('PATCH', f'/v1/clusters/{self.uuid}', [
            {'op': 'replace', 'path': '/node_count', 'value': 0}],
            status=400)
        self.assert_error(response, 400, 'Resizing default-worker outside '
                          'the allowed range: min_node_count = 1')
        self.rejected('/v1/clusters/nope/actions/resize', {'node_count': 3},
                      404, 'Cluster nope could not be found.')
        # Resize stays in the caller's project, even for admins.
        self.rejected(self.resize_path, {'node_count': 3}, 404,
                      f'Cluster {self.uuid} could not be found.',
                      project='project-b', roles=ADMIN)
        self.rejected(self.resize_path, {'node_count': 3}, 403,
                      "Policy doesn't allow cluster:resize to be performed.",
                      roles='reader')
        response = self.app.post(self.resize_path, b'{"node_count": ',
                                 headers=self.headers(),
                                 content_type='application/json',
                                 expect_errors=True)
        self.assert_error(response, 400, 'Request is not in valid JSON')
        response = self.app.post(self.resize_path, b'{"node_count": 3}',
                                 headers=self.headers(),
                                 content_type='text/plain',
                                 expect_errors=True)
        self.assert_error(response, 415, 'Unknown mimetype: text/plain')
        self.assertEqual([], self.calls('cluster_resize'))
        # Busy while another operation runs.
        stuck = self.stuck_cluster()
        self.rejected(f'/v1/clusters/{stuck}/actions/resize',
                      {'node_count': 4}, 409,
                      f'Cluster {stuck} is busy (status CREATE_IN_PROGRESS)')


class TestUpgrade(_Case):

    def setUp(self):
        super().setUp()
        self.target = self.create_template(name='tpl-2',
                                           labels={'kube_tag': 'v1.37'})

    def test_upgrade(self):
        worker = self.nodegroup('default-worker')
        response = self.call('POST', self.upgrade_path, {
            'cluster_template': 'tpl-2', 'max_batch_size': 2},
            version='1.8', status=202)
        self.assertEqual({'uuid': self.uuid}, response.json)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        [args] = self.calls('cluster_upgrade')
        changes = args.pop('changes')
        self.assertEqual({'cluster_template': self.target['uuid'],
                          'max_batch_size': 2,
                          'nodegroup': worker['uuid']}, args)
        self.assertEqual(self.target['uuid'],
                         changes['cluster']['cluster_template_id'])
        # max_batch_size may be null (SDK); the nodegroup named.
        self.call('POST', self.upgrade_path + '/', {
            'cluster_template': self.target['uuid'], 'max_batch_size': None,
            'nodegroup': 'default-worker'}, status=202)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual(1, self.calls('cluster_upgrade')[-1]
                         ['max_batch_size'])

    def test_refused_upgrades(self):
        body = {'cluster_template': 'tpl-2'}
        for version in ('1.6', None):
            response = self.call('POST', self.upgrade_path, body,
                                 version=version, status=406)
            self.assertEqual('', self.assert_error(response, 406)['code'])
        error = self.rejected(self.upgrade_path, body, 400,
                              'Cluster upgrade is not supported in the '
                              'provided microversion.', version='1.7')
        self.assertEqual('client', error['code'])
        for version in ('1.8', '1.9', 'latest'):
            self.rejected(self.upgrade_path, {'cluster_template': 'nope'},
                          404, 'ClusterTemplate nope could not be found.',
                          version=version)
        cases = [
            ({}, 400, "Invalid input for field/attribute cluster_template. "
             "Value: 'None'. Mandatory field missing."),
            ({'cluster_template': None}, 400, 'Mandatory field missing.'),
            ({'cluster_template': ''}, 400, 'cluster_template'),
            ({'cluster_template': 5}, 400, 'Wrong type'),
            (dict(body, max_batch_size=0), 400, 'Value should be greater or '
             'equal to 1'),
            (dict(body, max_batch_size='x'), 400, 'max_batch_size'),
            (dict(body, nodegroup='nope'), 404,
             'Nodegroup nope could not be found.'),
            (dict(body, foo=1), 400, 'Unknown attributes for argument '
             'cluster: foo'),
            (dict(body, updated_at='x'), 400, 'Cannot set read only field.'),
            ([body], 400, 'Value not a valid dict'),
        ]
        for request_body, status, detail in cases:
            self.rejected(self.upgrade_path, request_body, status, detail)
        self.rejected('/v1/clusters/nope/actions/upgrade', body, 404,
                      'Cluster nope could not be found.')
        self.rejected(self.upgrade_path, body, 403,
                      "Policy doesn't allow cluster:upgrade to be "
                      "performed.", roles='reader')
        self.assertEqual([], self.calls('cluster_upgrade'))
        # A non-default nodegroup only follows the cluster's template.
        self.call('POST', f'/v1/clusters/{self.uuid}/nodegroups',
                  {'name': 'extra'}, status=202)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.rejected(self.upgrade_path, dict(body, nodegroup='extra'), 409,
                      'Cluster Template is not valid for upgrade: Nodegroup '
                      'extra can be upgraded only to match cluster\'s '
                      f"template ({self.template['uuid']}).")
        # Busy while another operation runs.
        stuck = self.stuck_cluster()
        self.rejected(f'/v1/clusters/{stuck}/actions/upgrade', body, 409,
                      f'Cluster {stuck} is busy (status CREATE_IN_PROGRESS)')


class TestUpgradeVersions(_Case):
    """The version steps an upgrade refuses up front, and what a failed
    and a retried upgrade leave in the cluster (fake driver)."""

    def setUp(self):
        super().setUp()
        newest, middle, oldest = sorted(versions.RELEASES, reverse=True)
        self.tags = {key: versions.RELEASES[key].kube
                     for key in (newest, middle, oldest)}
        self.newest, self.middle, self.oldest = (
            self.tags[newest], self.tags[middle], self.tags[oldest])
        for name, tag in (('tpl-new', self.newest),
                          ('tpl-mid', self.middle),
                          ('tpl-old', self.oldest)):
            self.create_template(name=name, image_id=f'img-{name}',
                                 labels={'kube_tag': tag, 'cni': 'calico'})
        self.old = self.create_cluster(name='old', template='tpl-old')
        self.old_path = f"/v1/clusters/{self.old['uuid']}/actions/upgrade"

    def test_refused_steps(self):
        error = self.rejected(self.old_path, {'cluster_template': 'tpl-new'},
                              400, f'Cannot upgrade from Kubernetes '
                              f'{self.oldest} to {self.newest}', version='1.8')
        self.assertIn('may not skip a minor version', error['detail'])
        error = self.rejected(self.upgrade_path,
                              {'cluster_template': 'tpl-mid'}, 400,
                              f'Cannot upgrade from Kubernetes '
                              f'{self.newest} to {self.middle}')
        self.assertIn('downgrades are not supported', error['detail'])
        # A template whose version is no longer supported (the table moved
        # on after it was made): the API's label check cannot see it.
        stale = self.create_template(name='tpl-stale',
                                     labels={'kube_tag': self.newest})
        db_api.template_update(stale['uuid'],
                               {'labels': {'kube_tag': 'v1.99.0'}})
        error = self.rejected(self.upgrade_path,
                              {'cluster_template': 'tpl-stale'}, 400,
                              f'Cannot upgrade from Kubernetes '
                              f'{self.newest} to v1.99.0')
        self.assertIn('not supported', error['detail'])
        # Another pod network: only the first master installs one.
        self.create_template(name='tpl-cilium', network_driver='cilium',
                             labels={'kube_tag': self.newest})
        self.rejected(self.upgrade_path, {'cluster_template': 'tpl-cilium'},
                      400, 'the pod network would change from calico to '
                      'cilium')
        self.assertEqual([], self.calls('cluster_upgrade'))

    def test_failed_upgrade_keeps_old_template_then_retries(self):
        uuid = self.old['uuid']
        # The next deployment fails (fake driver label).
        db_api.cluster_update(uuid, {'labels': dict(
            self.old['labels'], fake_fail='simulated failure')})
        self.call('POST', self.old_path, {'cluster_template': 'tpl-mid'},
                  status=202)
        cluster = self.wait_for(uuid, 'UPDATE_FAILED')
        self.assertEqual(self.old['cluster_template_id'],
                         cluster['cluster_template_id'])
        self.assertEqual(self.oldest, cluster['labels']['kube_tag'])
        self.assertEqual('img-tpl-old', self.master(uuid)['image_id'])
        db_api.cluster_update(uuid, {'labels': self.old['labels']})
        self.call('POST', self.old_path, {'cluster_template': 'tpl-mid'},
                  status=202)
        cluster = self.wait_for(uuid, 'UPDATE_COMPLETE')
        mid = self.call('GET', '/v1/clustertemplates/tpl-mid').json
        self.assertEqual(mid['uuid'], cluster['cluster_template_id'])
        self.assertEqual(self.middle, cluster['labels']['kube_tag'])
        self.assertEqual('calico', cluster['labels']['cni'])
        master = self.master(uuid)
        self.assertEqual('img-tpl-mid', master['image_id'])
        self.assertEqual(self.middle, master['labels']['kube_tag'])
        self.assertEqual('UPDATE_COMPLETE', master['status'])
        # An UPDATE_FAILED cluster can also be deleted.
        db_api.cluster_update(uuid, {'labels': dict(
            cluster['labels'], fake_fail='simulated failure')})
        self.call('POST', self.old_path, {'cluster_template': 'tpl-new'},
                  status=202)
        self.wait_for(uuid, 'UPDATE_FAILED')
        db_api.cluster_update(uuid, {'labels': cluster['labels']})
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None)

    def test_extra_nodegroup_follows_the_cluster(self):
        uuid = self.old['uuid']
        self.call('POST', f'/v1/clusters/{uuid}/nodegroups',
                  {'name': 'extra'}, status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        self.call('POST', self.old_path, {'cluster_template': 'tpl-mid'},
                  status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        path = f'/v1/clusters/{uuid}/nodegroups/extra'
        self.assertEqual('img-tpl-old', self.call('GET', path).json[
            'image_id'])
        self.call('POST', self.old_path, {'cluster_template': 'tpl-mid',
                                          'nodegroup': 'extra'}, status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE')
        extra = self.call('GET', path).json
        self.assertEqual('img-tpl-mid', extra['image_id'])
        self.assertEqual(self.middle, extra['labels']['kube_tag'])
        self.assertEqual('UPDATE_COMPLETE', extra['status'])

    def master(self, uuid):
        return self.call(
            'GET', f'/v1/clusters/{uuid}/nodegroups/default-master').json
