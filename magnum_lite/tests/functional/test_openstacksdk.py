"""openstacksdk's ``container_infrastructure_management`` proxy, unchanged,
over real HTTP against magnum-lite's API and a conductor in another
process (``harness.api_server``), noauth, fake driver, MariaDB, RabbitMQ.

How the SDK reaches a keystone-less server::

    openstack.connection.Connection(auth_type='none',
                                    auth={'endpoint': 'http://HOST:PORT/v1'})

(``auth={'endpoint': 'http://HOST:PORT'}`` works as well: the SDK then
discovers ``/v1`` from ``GET /``; so does
``container_infrastructure_management_endpoint_override``.) The SDK sends
no ``OpenStack-API-Version`` header unless a default microversion is
configured (``container_infra_default_microversion='1.7'``), so it is
served as 1.1.

The SDK runs in this process: it is only an HTTP client here, and the
server is the other process.
"""

import time

import openstack
import openstack.config
from openstack import exceptions

from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server


class OpenStackSDKTestCase(api_server.ServerPerClass, base.DbTestCase):
    """One API server per class (``self.server``); ``self.proxy`` is the
    SDK's container_infrastructure_management proxy on it."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    def setUp(self):
        super().setUp()
        self.conn = self.connect()
        self.addCleanup(self.conn.close)
        self.proxy = self.conn.container_infrastructure_management

    def connect(self, **config):
        region = openstack.config.get_cloud_region(
            auth_type='none', auth={'endpoint': self.server.endpoint + '/v1'},
            # Nothing from the caller's clouds.yaml or OS_* variables.
            load_yaml_config=False, load_envvars=False, **config)
        return openstack.connection.Connection(config=region)

    def create_template(self, name='tpl', **attrs):
        fields = {'name': name, 'coe': 'kubernetes', 'image_id': 'img-1',
                  'keypair_id': 'kp', 'flavor_id': 'm1.small',
                  'master_flavor_id': 'm1.medium',
                  'is_master_lb_enabled': True, 'labels': {'a': 'b'}}
        fields.update(attrs)
        return self.proxy.create_cluster_template(**fields)

    def wait(self, cluster, status):
        return self.proxy.wait_for_status(cluster, status,
                                          failures=['CREATE_FAILED',
                                                    'UPDATE_FAILED'],
                                          interval=0.2, wait=60)


class TestClusterTemplates(OpenStackSDKTestCase):

    def test_create_list_get_update_delete(self):
        template = self.create_template()
        self.assertEqual(template.uuid, template.id)
        self.assertEqual(('tpl', 'kubernetes', 'img-1', 'kp'), (
            template.name, template.coe, template.image_id,
            template.keypair_id))
        self.assertIs(True, template.is_master_lb_enabled)
        self.assertIs(False, template.is_public)
        self.assertIs(False, template.is_tls_disabled)
        self.assertEqual({'a': 'b'}, template.labels)

        listed = list(self.proxy.cluster_templates())
        self.assertEqual([(template.id, 'tpl')],
                         [(t.id, t.name) for t in listed])

        got = self.proxy.get_cluster_template(template.id)
        self.assertEqual(('tpl', 'm1.small', 'm1.medium'), (
            got.name, got.flavor_id, got.master_flavor_id))
        self.assertEqual(template.id,
                         self.proxy.find_cluster_template('tpl').uuid)
        self.assertIsNone(self.proxy.find_cluster_template('nope'))

        updated = self.proxy.update_cluster_template(template,
                                                     flavor_id='m1.large')
        self.assertEqual('m1.large', updated.flavor_id)
        self.assertEqual(
            'm1.large', self.proxy.get_cluster_template(template.id).flavor_id)

        self.proxy.delete_cluster_template(template)
        self.assertEqual([], list(self.proxy.cluster_templates()))
        self.assertRaises(exceptions.NotFoundException,
                          self.proxy.get_cluster_template, template.id)
        self.assertIsNone(
            self.proxy.delete_cluster_template(template.id,
                                               ignore_missing=True))


class TestClusters(OpenStackSDKTestCase):

    def test_create_list_get_update_delete(self):
        template = self.create_template()
        created = self.proxy.create_cluster(
            name='c1', cluster_template_id=template.id, master_count=3,
            node_count=2)
        self.assertIsNotNone(created.id)
        cluster = self.wait(created, 'CREATE_COMPLETE')
        self.assertEqual(created.id, cluster.uuid)
        self.assertEqual(('c1', 3, 2, 'kp'), (
            cluster.name, cluster.master_count, cluster.node_count,
            cluster.keypair))
        self.assertEqual(template.id, cluster.cluster_template_id)
        self.assertEqual(['127.0.0.10', '127.0.0.11', '127.0.0.12'],
                         cluster.master_addresses)
        self.assertEqual(['127.0.1.10', '127.0.1.11'], cluster.node_addresses)
        self.assertEqual('https://127.0.0.5:6443', cluster.api_address)
        self.assertEqual({'a': 'b'}, cluster.labels)
        self.assertIs(True, cluster.is_master_lb_enabled)
        self.assertEqual('admin', cluster.project_id)
        # At 1.1 (no microversion header) Magnum still shows stack_id.
        self.assertEqual(f'fake-{cluster.uuid}', cluster.stack_id)

        self.assertEqual([(cluster.id, 'c1', 'CREATE_COMPLETE')],
                         [(c.id, c.name, c.status)
                          for c in self.proxy.clusters()])
        self.assertEqual(cluster.id, self.proxy.find_cluster('c1').uuid)

        self.proxy.update_cluster(cluster, node_count=3)
        cluster = self.wait(cluster, 'UPDATE_COMPLETE')
        self.assertEqual(3, cluster.node_count)
        self.assertEqual(3, len(cluster.node_addresses))

        self.proxy.delete_cluster(cluster)
        self.proxy.wait_for_delete(cluster, interval=0.2, wait=60)
        self.assertEqual([], list(self.proxy.clusters()))
        self.assertRaises(exceptions.NotFoundException,
                          self.proxy.get_cluster, cluster.id)

    def test_resize(self):
        template = self.create_template()
        cluster = self.wait(self.proxy.create_cluster(
            name='c1', cluster_template_id=template.id, node_count=1),
            'CREATE_COMPLETE')
        # Without a microversion (1.1) the action does not exist yet: 406,
        # as from Magnum.
        error = self.assertRaises(exceptions.HttpException, cluster.resize,
                                  self.proxy, node_count=2)
        self.assertEqual(406, error.status_code)

        conn = self.connect(container_infra_default_microversion='1.7')
        self.addCleanup(conn.close)
        proxy = conn.container_infrastructure_management
        try:
            cluster.resize(proxy, node_count=2)
        except TypeError:
            # openstacksdk 4.22 reads response['uuid'] off the requests
            # Response after a successful 202; the request went through.
            pass
        deadline = time.monotonic() + 60
        while True:
            got = self.proxy.get_cluster(cluster.id)
            if ((got.status, got.node_count) == ('UPDATE_COMPLETE', 2) or
                    time.monotonic() > deadline):
                break
            time.sleep(0.2)
        self.assertEqual(('UPDATE_COMPLETE', 2),
                         (got.status, got.node_count))


class TestServices(OpenStackSDKTestCase):

    def test_list(self):
        # The database is emptied for each test; the conductor's next
        # heartbeat (every second) writes its row again.
        deadline = time.monotonic() + 30
        while not (services := list(self.proxy.services())):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual(1, len(services))
        service = services[0]
        self.assertEqual((self.server.conductor_host, 'magnum-conductor',
                          'up'),
                         (service.host, service.binary, service.state))
        self.assertGreater(service.report_count, 0)
        self.assertIsNone(service.disabled_reason)
