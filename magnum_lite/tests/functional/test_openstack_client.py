"""The real ``openstack coe ...`` (python-openstackclient with the
python-magnumclient plugin), unchanged, as a subprocess over real HTTP
against magnum-lite's API and a conductor in another process
(``harness.api_server``), noauth, fake driver, MariaDB, RabbitMQ.

How the client reaches a keystone-less server::

    openstack --os-auth-type none --os-endpoint http://HOST:PORT/v1 coe ...

The ``none`` auth plugin (keystoneauth1 ``noauth``) takes the endpoint and
answers every endpoint lookup with it, so the magnum plugin, which builds
its client from the OSC session without an endpoint override, gets it.
The endpoint includes ``/v1``, like the catalog entry of Magnum: the
client appends resource paths (``/clustertemplates``) to it. The requests
carry no identity headers; the ``[noauth]`` identity applies (project and
user ``admin``, roles admin, member, reader).

The installed python-magnumclient (5.0.0) uses options for updates
(``cluster update c1 --node-count 3``, ``cluster template update tpl
--flavor f --label k=v``), not the positional ``<op> <path=value>`` form
of older releases; ``cluster create``, ``cluster update/resize/delete``,
``nodegroup create/delete``, ``quotas ...`` and ``stats list`` have no
``-f`` option (a message or a table is printed), the others do.
"""

import json
import os
import re
import time

import fixtures

from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import cli

UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


def parse_table(text):
    """Rows of a cliff/prettytable table as dicts; a ``Property | Value``
    table as one dict."""
    rows = [[cell.strip() for cell in line.strip()[1:-1].split('|')]
            for line in text.splitlines() if line.startswith('|')]
    if not rows:
        return []
    header, rows = rows[0], rows[1:]
    if header == ['Property', 'Value']:
        return dict(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


class OpenStackClientTestCase(api_server.ServerPerClass, base.DbTestCase):
    """One API server per class; ``self.openstack(...)`` runs the CLI."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    def setUp(self):
        super().setUp()
        self.endpoint = self.server.endpoint + '/v1'
        self.cli = self.useFixture(cli.OpenStackCLI())

    def openstack(self, *args, fmt='json', rc=0):
        """Run ``openstack <args>``; with ``fmt='json'`` add ``-f json``
        and return the decoded output, else return stdout. Fails unless
        the exit code is ``rc``."""
        command = ['--os-auth-type', 'none', '--os-endpoint', self.endpoint,
                   *args]
        if fmt == 'json':
            command += ['-f', 'json']
        result = self.cli.run(command)
        if result.returncode != rc:
            self.fail(f'openstack {" ".join(args)}: exit code '
                      f'{result.returncode}, not {rc}\n'
                      f'stdout: {result.stdout}\nstderr: {result.stderr}')
        if rc != 0:
            return result.stdout + result.stderr
        if fmt == 'json':
            # Some commands print a message line before the document
            # (``template create``: "Request to create cluster template
            # tpl accepted").
            lines = result.stdout.splitlines(keepends=True)
            start = next(i for i, line in enumerate(lines)
                         if line[:1] in ('{', '['))
            return json.loads(''.join(lines[start:]))
        return result.stdout

    def create_template(self, name='tpl', **fields):
        body = {'name': name, 'coe': 'kubernetes', 'image_id': 'img-1',
                'master_lb_enabled': True, 'flavor_id': 'm1.small',
                'master_flavor_id': 'm1.medium', 'keypair_id': 'kp'}
        body.update(fields)
        status, template = self.server.request('POST', '/clustertemplates',
                                               body)
        self.assertEqual(201, status, template)
        return template

    def create_cluster(self, name='c1', template='tpl', **fields):
        body = {'name': name, 'cluster_template_id': template,
                'master_count': 3, 'node_count': 2}
        body.update(fields)
        status, cluster = self.server.request('POST', '/clusters', body)
        self.assertEqual(202, status, cluster)
        return self.server.wait_for(f'/clusters/{cluster["uuid"]}',
                                    'CREATE_COMPLETE')


class TestClusterTemplates(OpenStackClientTestCase):

    def test_create_list_show_update_delete(self):
        created = self.openstack(
            'coe', 'cluster', 'template', 'create', 'tpl',
            '--coe', 'kubernetes', '--image', 'img-1', '--keypair', 'kp',
            '--external-network', 'public', '--flavor', 'm1.small',
            '--master-flavor', 'm1.medium', '--master-lb-enabled',
            '--labels', 'a=b,c=d')
        self.assertRegex(created['uuid'], UUID)
        expected = {
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img-1',
            'keypair_id': 'kp', 'external_network_id': 'public',
            'flavor_id': 'm1.small', 'master_flavor_id': 'm1.medium',
            'master_lb_enabled': True, 'labels': {'a': 'b', 'c': 'd'},
            # The client's defaults, sent in the body.
            'dns_nameserver': '8.8.8.8', 'docker_storage_driver': 'overlay2',
            'server_type': 'vm',
            # The server's.
            'tls_disabled': False, 'public': False, 'hidden': False,
            'registry_enabled': False, 'floating_ip_enabled': True,
            'project_id': 'admin'}
        for key, value in expected.items():
            self.assertEqual(value, created[key], key)

        listed = self.openstack('coe', 'cluster', 'template', 'list')
        self.assertEqual([{'uuid': created['uuid'], 'name': 'tpl',
                           'tags': None}], listed)

        shown = self.openstack('coe', 'cluster', 'template', 'show', 'tpl')
        self.assertEqual(created['uuid'], shown['uuid'])
        for key, value in expected.items():
            self.assertEqual(value, shown[key], key)
        by_uuid = self.openstack('coe', 'cluster', 'template', 'show',
                                 created['uuid'])
        self.assertEqual('tpl', by_uuid['name'])

        updated = self.openstack(
            'coe', 'cluster', 'template', 'update', 'tpl',
            '--flavor', 'm1.large', '--label', 'e=f', '--no-label', 'a')
        self.assertEqual('m1.large', updated['flavor_id'])
        self.assertEqual({'c': 'd', 'e': 'f'}, updated['labels'])
        self.assertNotEqual('-', updated['updated_at'])
        shown = self.openstack('coe', 'cluster', 'template', 'show', 'tpl')
        self.assertEqual('m1.large', shown['flavor_id'])
        self.assertEqual({'c': 'd', 'e': 'f'}, shown['labels'])

        out = self.openstack('coe', 'cluster', 'template', 'delete', 'tpl',
                             fmt=None)
        self.assertIn('tpl', out)
        self.assertEqual([], self.openstack('coe', 'cluster', 'template',
                                            'list'))
        error = self.openstack('coe', 'cluster', 'template', 'show', 'tpl',
                               rc=1)
        self.assertIn('ClusterTemplate tpl could not be found', error)


class TestClusters(OpenStackClientTestCase):

    def test_create_list_show_update_resize_delete(self):
        template = self.create_template(labels={'a': 'b'})
        out = self.openstack('coe', 'cluster', 'create', 'c1',
                             '--cluster-template', 'tpl',
                             '--master-count', '3', '--node-count', '2',
                             fmt=None)
        match = re.search(f'Request to create cluster ({UUID}) accepted',
                          out)
        self.assertIsNotNone(match, out)
        uuid = match.group(1)
        self.server.wait_for(f'/clusters/{uuid}', 'CREATE_COMPLETE')

        listed = self.openstack('coe', 'cluster', 'list')
        self.assertEqual([{'uuid': uuid, 'name': 'c1', 'keypair': 'kp',
                           'node_count': 2, 'master_count': 3,
                           'status': 'CREATE_COMPLETE',
                           'health_status': None}], listed)

        shown = self.openstack('coe', 'cluster', 'show', 'c1')
        expected = {
            'uuid': uuid, 'name': 'c1', 'status': 'CREATE_COMPLETE',
            'status_reason': 'Stack completed',
            'cluster_template_id': template['uuid'],
            'master_count': 3, 'node_count': 2, 'keypair': 'kp',
            'master_flavor_id': 'm1.medium', 'flavor_id': 'm1.small',
            'labels': {'a': 'b'}, 'create_timeout': 60,
            'discovery_url': None, 'api_address': 'https://127.0.0.5:6443',
            'coe_version': 'v1.31.1', 'master_lb_enabled': True,
            'floating_ip_enabled': True, 'project_id': 'admin',
            'master_addresses': ['127.0.0.10', '127.0.0.11', '127.0.0.12'],
            'node_addresses': ['127.0.1.10', '127.0.1.11'],
            'labels_overridden': {}, 'labels_added': {},
            'labels_skipped': {}}
        for key, value in expected.items():
            self.assertEqual(value, shown[key], key)
        self.assertIsNotNone(shown['created_at'])

        out = self.openstack('coe', 'cluster', 'update', 'c1',
                             '--node-count', '3', fmt=None)
        self.assertIn('Request to update cluster c1 has been accepted', out)
        self.server.wait_for(f'/clusters/{uuid}', 'UPDATE_COMPLETE')
        shown = self.openstack('coe', 'cluster', 'show', 'c1')
        self.assertEqual('UPDATE_COMPLETE', shown['status'])
        self.assertEqual(3, shown['node_count'])
        self.assertEqual(3, len(shown['node_addresses']))

        out = self.openstack('coe', 'cluster', 'resize', 'c1', '4',
                             fmt=None)
        self.assertIn('Request to resize cluster c1 has been accepted', out)
        # Resize leaves UPDATE_COMPLETE for UPDATE_IN_PROGRESS and back.
        deadline = time.monotonic() + 60
        while True:
            shown = self.server.request('GET', f'/clusters/{uuid}')[1]
            if (shown['status'] == 'UPDATE_COMPLETE' and
                    shown['node_count'] == 4):
                break
            self.assertLess(time.monotonic(), deadline, shown)
            time.sleep(0.2)
        shown = self.openstack('coe', 'cluster', 'show', uuid)
        self.assertEqual('UPDATE_COMPLETE', shown['status'])
        self.assertEqual(4, shown['node_count'])
        self.assertEqual(4, len(shown['node_addresses']))
        self.assertEqual(3, shown['master_count'])

        out = self.openstack('coe', 'cluster', 'delete', 'c1', fmt=None)
        self.assertIn('Request to delete cluster c1 has been accepted', out)
        self.server.wait_for(f'/clusters/{uuid}', None)
        self.assertEqual([], self.openstack('coe', 'cluster', 'list'))
        error = self.openstack('coe', 'cluster', 'show', 'c1', rc=1)
        self.assertIn('Cluster c1 could not be found', error)


class TestNodegroups(OpenStackClientTestCase):

    def test_create_list_show_delete(self):
        self.create_template(labels={'a': 'b'})
        cluster = self.create_cluster()
        out = self.openstack('coe', 'nodegroup', 'create', 'c1', 'ng1',
                             '--node-count', '2', '--flavor', 'm1.xl',
                             '--labels', 'x=y', fmt=None)
        match = re.search(f'Request to create nodegroup ({UUID}) accepted',
                          out)
        self.assertIsNotNone(match, out)
        ng_uuid = match.group(1)
        path = f'/clusters/{cluster["uuid"]}/nodegroups/{ng_uuid}'
        self.server.wait_for(path, 'CREATE_COMPLETE')

        listed = self.openstack('coe', 'nodegroup', 'list', 'c1')
        by_name = {ng['name']: ng for ng in listed}
        self.assertEqual({'default-master', 'default-worker', 'ng1'},
                         set(by_name))
        self.assertEqual({'uuid': ng_uuid, 'name': 'ng1',
                          'flavor_id': 'm1.xl', 'image_id': 'img-1',
                          'node_count': 2, 'status': 'CREATE_COMPLETE',
                          'role': 'worker'}, by_name['ng1'])
        self.assertEqual(('master', 3), (by_name['default-master']['role'],
                                         by_name['default-master'][
                                             'node_count']))
        self.assertEqual(('worker', 2), (by_name['default-worker']['role'],
                                         by_name['default-worker'][
                                             'node_count']))

        shown = self.openstack('coe', 'nodegroup', 'show', 'c1', 'ng1')
        expected = {
            'uuid': ng_uuid, 'name': 'ng1', 'cluster_id': cluster['uuid'],
            'project_id': 'admin', 'flavor_id': 'm1.xl',
            'image_id': 'img-1', 'node_count': 2, 'role': 'worker',
            'min_node_count': 0, 'max_node_count': None,
            'is_default': False, 'status': 'CREATE_COMPLETE',
            'labels': {'x': 'y'}, 'labels_added': {'x': 'y'},
            'labels_skipped': {'a': 'b'}, 'labels_overridden': {},
            'node_addresses': ['127.0.2.10', '127.0.2.11']}
        for key, value in expected.items():
            self.assertEqual(value, shown[key], key)
        shown = self.openstack('coe', 'nodegroup', 'show', cluster['uuid'],
                               'default-worker')
        self.assertTrue(shown['is_default'])

        out = self.openstack('coe', 'nodegroup', 'delete', 'c1', 'ng1',
                             fmt=None)
        self.assertIn('ng1', out)
        self.server.wait_for(path, None)
        listed = self.openstack('coe', 'nodegroup', 'list', 'c1')
        self.assertEqual({'default-master', 'default-worker'},
                         {ng['name'] for ng in listed})
        error = self.openstack('coe', 'nodegroup', 'delete', 'c1',
                               'default-worker', fmt=None, rc=1)
        self.assertIn('Deleting a default nodegroup is not supported', error)


class TestQuotas(OpenStackClientTestCase):

    def test_create_show_list_update_delete(self):
        quota = parse_table(self.openstack(
            'coe', 'quotas', 'create', '--project-id', 'p1',
            '--resource', 'Cluster', '--hard-limit', '5', fmt=None))
        self.assertEqual({'project_id': 'p1', 'resource': 'Cluster',
                          'hard_limit': '5', 'updated_at': '-'},
                         {key: quota[key] for key in ('project_id',
                                                      'resource',
                                                      'hard_limit',
                                                      'updated_at')})
        shown = parse_table(self.openstack(
            'coe', 'quotas', 'show', '--project-id', 'p1',
            '--resource', 'Cluster', fmt=None))
        self.assertEqual(quota, shown)

        # An admin without --all-tenants sees its own project's only.
        self.assertEqual([], parse_table(self.openstack(
            'coe', 'quotas', 'list', fmt=None)))
        listed = parse_table(self.openstack(
            'coe', 'quotas', 'list', '--all-tenants', fmt=None))
        self.assertEqual([{'project_id': 'p1', 'resource': 'Cluster',
                           'hard_limit': '5'}], listed)

        updated = parse_table(self.openstack(
            'coe', 'quotas', 'update', '--project-id', 'p1',
            '--resource', 'Cluster', '--hard-limit', '7', fmt=None))
        self.assertEqual('7', updated['hard_limit'])
        self.assertEqual(quota['id'], updated['id'])
        self.assertNotEqual('-', updated['updated_at'])

        out = self.openstack('coe', 'quotas', 'delete', '--project-id', 'p1',
                             '--resource', 'Cluster', fmt=None)
        self.assertIn('Request to delete quota for project id p1 and '
                      'resource Cluster has been accepted', out)
        self.assertEqual([], parse_table(self.openstack(
            'coe', 'quotas', 'list', '--all-tenants', fmt=None)))
        # No row: the default limit, synthesized.
        shown = parse_table(self.openstack(
            'coe', 'quotas', 'show', '--project-id', 'p1',
            '--resource', 'Cluster', fmt=None))
        self.assertEqual(('p1', 'Cluster', '20'), (
            shown['project_id'], shown['resource'], shown['hard_limit']))


class TestServicesStatsCertificates(OpenStackClientTestCase):

    def wait_for_heartbeat(self):
        """The database is emptied for each test; the conductor's next
        heartbeat (every second) writes its row again."""
        deadline = time.monotonic() + 30
        while not self.server.request('GET', '/mservices')[1]['mservices']:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)

    def test_service_list(self):
        self.wait_for_heartbeat()
        services = self.openstack('coe', 'service', 'list')
        self.assertEqual(1, len(services), services)
        service = services[0]
        self.assertEqual(self.server.conductor_host, service['host'])
        self.assertEqual('up', service['state'])
        self.assertIs(False, service['disabled'])
        self.assertIsNone(service['disabled_reason'])
        self.assertIsInstance(service['id'], int)
        self.assertIsNotNone(service['created_at'])

    def test_service_binary_is_magnums(self):
        # Tempest (and anything written against Magnum) requires the
        # conductor's binary to be "magnum-conductor" (contract 5.9).
        self.wait_for_heartbeat()
        services = self.openstack('coe', 'service', 'list')
        self.assertEqual(['magnum-conductor'],
                         [s['binary'] for s in services])

    def test_stats_and_ca(self):
        self.create_template()
        cluster = self.create_cluster()
        stats = parse_table(self.openstack('coe', 'stats', 'list', 'admin',
                                           fmt=None))
        self.assertEqual({'clusters': '1', 'nodes': '5'}, stats)
        stats = parse_table(self.openstack('coe', 'stats', 'list', 'other',
                                           fmt=None))
        self.assertEqual({'clusters': '0', 'nodes': '0'}, stats)

        out = self.openstack('coe', 'ca', 'show', 'c1', fmt=None)
        self.assertTrue(out.startswith('-----BEGIN CERTIFICATE-----'), out)
        self.assertIn('-----END CERTIFICATE-----', out)
        from cryptography import x509
        ca = x509.load_pem_x509_certificate(out.strip().encode())
        self.assertTrue(ca.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        status, body = self.server.request(
            'GET', f'/certificates/{cluster["uuid"]}')
        self.assertEqual((200, out.strip()), (status, body['pem'].strip()))

    def test_cluster_config_kubeconfig(self):
        # The client makes the key and CSR itself; the API signs the CSR
        # and returns the CA. The kubeconfig it writes must hold a client
        # certificate that chains to the CA the API returns.
        import base64

        import yaml
        from cryptography import x509

        self.create_template()
        cluster = self.create_cluster()
        configs = self.useFixture(fixtures.TempDir()).path
        self.openstack('coe', 'cluster', 'config', 'c1', '--dir', configs,
                       '--use-certificate', fmt=None)
        with open(os.path.join(configs, 'config')) as f:
            kubeconfig = yaml.safe_load(f)
        self.assertEqual(cluster['api_address'],
                         kubeconfig['clusters'][0]['cluster']['server'])
        user = kubeconfig['users'][0]['user']
        ca = x509.load_pem_x509_certificate(base64.b64decode(
            kubeconfig['clusters'][0]['cluster'][
                'certificate-authority-data']))
        cert = x509.load_pem_x509_certificate(
            base64.b64decode(user['client-certificate-data']))
        cert.verify_directly_issued_by(ca)
        status, body = self.server.request(
            'GET', f'/certificates/{cluster["uuid"]}')
        self.assertEqual(200, status)
        self.assertEqual(ca, x509.load_pem_x509_certificate(
            body['pem'].encode()))
        # The key in the kubeconfig belongs to that certificate.
        from cryptography.hazmat.primitives import serialization
        key = serialization.load_pem_private_key(
            base64.b64decode(user['client-key-data']), password=None)
        self.assertEqual(cert.public_key().public_numbers(),
                         key.public_key().public_numbers())

        # With --use-keystone the client writes a Keystone-token
        # kubeconfig around the same CA.
        keystone_dir = self.useFixture(fixtures.TempDir()).path
        self.openstack('coe', 'cluster', 'config', 'c1', '--dir',
                       keystone_dir, '--use-keystone', fmt=None)
        with open(os.path.join(keystone_dir, 'config')) as f:
            token_config = yaml.safe_load(f)
        self.assertIn('exec', token_config['users'][0]['user'])
        self.assertEqual(
            kubeconfig['clusters'][0]['cluster']['certificate-authority-data'],
            token_config['clusters'][0]['cluster'][
                'certificate-authority-data'])
