"""The API looks up a cluster's cloud resources as its owner, for real.

The API runs in process behind keystonemiddleware against the one-box
control plane's Keystone (harness.openstack): ``alpha-member`` creates
templates and clusters with its own token, and the API asks the real
Nova, Glance and Neutron with that token. What beta owns (a keypair, a
network, an image) is invisible to alpha: a 400 (the keypair: a 404, as
in Magnum) naming it, and no row. The conductor is the fake driver's:
only the API's answer and the rows are looked at. All cases are in one
class so that the control plane starts once.
"""

import time

import testtools
import webtest
from keystoneauth1 import loading as ks_loading
from testtools import content

from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests.harness import openstack
from magnum_lite.tests.integration import test_openstack_control_plane

ALPHA = 'alpha-member'
BETA = 'beta-member'
_public_key = test_openstack_control_plane._public_key
load_tests = base.load_tests


@testtools.skipUnless(openstack.ENABLED, 'MAGNUM_LITE_OPENSTACK_TESTS=0')
class TestOwnerChecks(base.FunctionalTestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cloud = openstack.shared()
        try:
            cls._seed()
        except BaseException:
            openstack.release()
            raise

    @classmethod
    def tearDownClass(cls):
        # What the tests made goes with the control plane's databases.
        openstack.release()
        super().tearDownClass()

    @classmethod
    def _make(cls, user, service, path, body, key=None):
        made = cls.cloud.call(user, service, 'POST', path, body)
        return made[key] if key else made

    @classmethod
    def _seed(cls):
        for user in (ALPHA, BETA):
            cls._make(user, 'compute', '/os-keypairs', {'keypair': {
                'name': f'{user}-key', 'public_key': _public_key()}})
            net = cls._make(user, 'network', '/v2.0/networks', {'network': {
                'name': f'{user}-net'}}, 'network')
            cls._make(user, 'network', '/v2.0/subnets', {'subnet': {
                'name': f'{user}-subnet', 'network_id': net['id'],
                'ip_version': 4, 'cidr': '10.30.0.0/24'}}, 'subnet')
        cls.images = {}
        for user, name, distro in ((ALPHA, 'node', 'debian'),
                                   (ALPHA, 'no-distro', None),
                                   (ALPHA, 'coreos', 'fedora-coreos'),
                                   (ALPHA, 'queued', 'debian'),
                                   (BETA, 'beta-node', 'debian')):
            body = {'name': name, 'disk_format': 'raw',
                    'container_format': 'bare'}
            if distro:
                body['os_distro'] = distro
            cls.images[name] = cls._make(user, 'image', '/v2/images',
                                         body)['id']
            if name != 'queued':
                cls.cloud.upload_image(user, cls.images[name])
        cls.beta_net = f'{BETA}-net'

    def setUp(self):
        super().setUp()
        keystone = self.cloud.keystone
        self.conf.config(auth_strategy='keystone', group='api')
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        self.conf.config(group='keystone_authtoken',
                         **keystone.authtoken_options())
        # Cluster credentials are not what is under test here, and the
        # fake driver reaches no Heat (so clusters need no stack trust).
        self.conf.config(cluster_user_trust=False, group='trust')
        self.conf.config(auth_mode='noauth', group='heat')
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())
        self.token = keystone.token(ALPHA)

    def headers(self, version='latest', **kwargs):
        return {'X-Auth-Token': self.token, 'Accept': 'application/json',
                'OpenStack-API-Version': f'container-infra {version}'}

    def template(self, status=201, **fields):
        body = {'name': 'tpl', 'coe': 'kubernetes',
                'image_id': self.images['node'], 'flavor_id': 'm1.tiny',
                'master_flavor_id': 'mlt-tiny', 'external_network_id':
                'public', 'master_lb_enabled': True}
        body.update(fields)
        return self.call('POST', '/v1/clustertemplates', body,
                         status=status)

    def create(self, status=202, **fields):
        body = {'name': 'c1', 'cluster_template_id': 'tpl',
                'keypair': f'{ALPHA}-key', 'node_count': 1}
        body.update(fields)
        return self.call('POST', '/v1/clusters', body, status=status)

    def assert_refused(self, response, status, detail):
        self.assert_error(response, status, detail)
        listed = self.call('GET', '/v1/clusters').json['clusters']
        self.assertEqual([], listed)
        self.assertEqual(0, self.count(models.Cluster))
        self.assertEqual(0, self.count(models.NodeGroup))

    def test_cluster_create(self):
        template = self.template().json
        # Like Magnum, the template takes the image's os_distro.
        self.assertEqual('debian', template['cluster_distro'])

        # (ii) beta's keypair: alpha's Nova says no such keypair.
        self.assert_refused(self.create(status=404, keypair=f'{BETA}-key'),
                            404, f'Unable to find keypair {BETA}-key.')
        # (iii) beta's network and subnet are not alpha's to see.
        self.assert_refused(
            self.create(status=400, fixed_network=self.beta_net), 400,
            f'Unable to find fixed network {self.beta_net}.')
        self.assert_refused(
            self.create(status=400, fixed_subnet=f'{BETA}-subnet'), 400,
            f'Unable to find fixed subnet {BETA}-subnet.')
        # (iv) a flavor Nova does not have.
        self.assert_refused(self.create(status=400, flavor_id='m1.huge'),
                            400, 'Unable to find flavor m1.huge.')

        # (i) all of it alpha's (flavor by id, network and subnet by name
        # and by id): accepted, one row.
        network = self.cloud.call(ALPHA, 'network', 'GET',
                                  f'/v2.0/networks?name={ALPHA}-net')
        uuid = self.create(fixed_network=network['networks'][0]['id'],
                           fixed_subnet=f'{ALPHA}-subnet',
                           master_flavor_id='mlt-tiny').json['uuid']
        shown = self.call('GET', f'/v1/clusters/{uuid}').json
        self.assertEqual((f'{ALPHA}-key', f'{ALPHA}-subnet'),
                         (shown['keypair'], shown['fixed_subnet']))
        self.assertEqual(1, self.count(models.Cluster))

    def test_an_image_without_data_takes_a_template_not_a_cluster(self):
        # Glance holds 'queued' without data: Nova would refuse to boot
        # it. A template may name it (its data may come later, and
        # Magnum allows it); a cluster built from it now may not.
        queued = self.images['queued']
        self.template(image_id=queued)
        self.assert_refused(
            self.create(status=400), 400,
            f'Image {queued} is queued, not active: no server can boot '
            f'from it.')
        self.cloud.upload_image(ALPHA, queued)
        self.create()
        self.assertEqual(1, self.count(models.Cluster))

    def test_template_create_and_patch(self):
        # (iv) an image that does not exist, by name and by id.
        self.assert_error(self.template(status=400, image_id='nope'), 400,
                          'Image nope could not be found.')
        beta_image = self.images['beta-node']
        self.assert_error(self.template(status=400, image_id=beta_image),
                          400, f'Image {beta_image} could not be found.')
        # (v) images without a usable os_distro.
        self.assert_error(self.template(status=400, image_id='no-distro'),
                          400, "Image no-distro doesn't contain os_distro "
                               'field.')
        self.assert_error(
            self.template(status=400, image_id=self.images['coreos']), 400,
            'Cluster type (vm, fedora-coreos, kubernetes) not supported.')
        self.assert_error(self.template(status=400, flavor_id='m1.huge'),
                          400, 'Unable to find flavor m1.huge.')
        # beta's network is not external, nor alpha's to see.
        self.assert_error(
            self.template(status=400, external_network_id=self.beta_net),
            400, f'Unable to find external network {self.beta_net}.')
        self.assert_error(
            self.template(status=400, fixed_network=self.beta_net), 400,
            f'Unable to find fixed network {self.beta_net}.')
        # Magnum does not look up a template's keypair.
        self.template(keypair_id='anything')
        self.assertEqual(1, self.count(models.ClusterTemplate))

        patched = self.call('PATCH', '/v1/clustertemplates/tpl', [
            {'op': 'replace', 'path': '/fixed_network',
             'value': self.beta_net}], status=400)
        self.assert_error(patched, 400,
                          f'Unable to find fixed network {self.beta_net}.')
        patched = self.call('PATCH', '/v1/clustertemplates/tpl', [
            {'op': 'replace', 'path': '/fixed_network',
             'value': f'{ALPHA}-net'}]).json
        self.assertEqual(f'{ALPHA}-net', patched['fixed_network'])

    def test_nodegroup_create(self):
        self.template()
        uuid = self.create().json['uuid']
        # The fake driver fills api_address when the create completes.
        self.wait_for(uuid, 'CREATE_COMPLETE')
        path = f'/v1/clusters/{uuid}/nodegroups'
        refused = self.call('POST', path, {'name': 'ng', 'flavor_id': 'nope'},
                            status=400)
        self.assert_error(refused, 400, 'Unable to find flavor nope.')
        refused = self.call('POST', path, {'name': 'ng', 'image_id':
                                           'no-distro'}, status=400)
        self.assert_error(refused, 400, "Image no-distro doesn't contain "
                                        'os_distro field.')
        self.call('POST', path, {'name': 'ng', 'flavor_id': 'm1.tiny'},
                  status=202)

    def test_added_latency(self):
        """Cluster creates with the checks on and off, interleaved; the
        ratio is reported as the detail ``create-latency``."""
        self.conf.config(max_clusters_per_project=100, group='quotas')
        self.template()
        timings = {True: [], False: []}
        for i in range(10):
            for on in (True, False):
                self.conf.config(check_cloud_resources=on, group='api')
                t0 = time.perf_counter()
                self.create(name=f'c{i}{int(on)}')
                timings[on].append(time.perf_counter() - t0)
        on, off = (sorted(timings[k])[len(timings[k]) // 2]
                   for k in (True, False))
        self.addDetail('create-latency', content.text_content(
            f'median create: checks on {on * 1000:.1f} ms, off '
            f'{off * 1000:.1f} ms, ratio {on / off:.2f}'))
        print(f'create latency: on {on * 1000:.1f} ms off '
              f'{off * 1000:.1f} ms ratio {on / off:.2f}')
        self.assertEqual(20, self.count(models.Cluster))
