"""No secret leaves magnum-lite, over a whole cluster lifecycle.

Everything real but the cloud: the API behind keystonemiddleware with the
real Keystone, the conductor on RabbitMQ, the Heat driver and the real
Heat engine (simulated cloud at the edge). One cluster is created,
read, has a CSR signed, its credentials and its CAs rotated, is resized
and deleted. Meanwhile every secret magnum-lite holds or handles is
collected: the caller's token, the service user's and the trustee domain
admin's passwords, the database encryption key, every generation of the
trustee password and trust id, every CA and service-account private key,
the kubeadm bootstrap token and certificate key. None of them may appear
in:

- any API response (bodies and headers);
- any log record at any level (root logger at DEBUG, every library);
- any message published on the bus (RabbitMQ's firehose on a vhost of
  the test's own, see harness.rabbit_trace);
- any parameter of any stack, nested ones included, as Heat's API shows
  them (hidden parameters come back masked).
"""

import logging
import os

import fixtures
import testtools

from magnum_lite.cluster import cluster_credentials
from magnum_lite.conductor import certificates
from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.tests import base
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import rabbit_trace
from magnum_lite.tests.integration import test_credentials_keystone as creds

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
TIMEOUT = 900
# Bootstrap values that are not secret: certificates, public keys, the
# CA hash that workers pin.
PUBLIC = ('_cert', '_pub', 'ca_cert_hash')


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class SecretsNeverLeaveTest(heat_harness.OneHeatTestCase,
                            creds.CredentialsTestBase):
    """One lifecycle, then a scan of every place a secret could leak."""

    backend = 'mysql'
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        self.bus = self.useFixture(rabbit_trace.TracedVhost())
        super().setUp()
        # Everything every library logs, not only what a test shows.
        self.log = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(name)s %(levelname)s %(message)s'))
        self.useFixture(base.RealDriver())
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         environment_files=[heat_harness.SIMULATION_ENV],
                         group='heat')
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.responses = []
        self.secrets = {}

    def create_template(self):
        # Through the API, with what the Heat templates need.
        base.FunctionalTestCase.create_template(
            self, external_network_id='public', network_driver='calico')

    # What was said -----------------------------------------------------

    def call(self, method, path, body=None, status=None, **kwargs):
        response = super().call(method, path, body, status=status, **kwargs)
        self.responses.append(
            f'{method} {path} -> {response.status}\n'
            + ''.join(f'{k}: {v}\n' for k, v in response.headerlist)
            + response.text)
        return response

    def remember(self, cluster):
        """Collect the cluster's secrets as they are now (each rotation
        brings new ones)."""
        for name, value in cluster_credentials.heat_values(cluster).items():
            if name in ('trustee_password', 'trust_id',
                        'application_credential_secret') and value:
                self.secrets[f'{name}@{len(self.secrets)}'] = value
        for name, value in bootstrap.values(
                certificates.stored(cluster)).items():
            if not name.endswith(PUBLIC):
                self.secrets[f'{name}@{len(self.secrets)}'] = value
                if name == 'bootstrap_token':
                    # The token's secret half on its own, too.
                    self.secrets[f'token-secret@{len(self.secrets)}'] = \
                        value.split('.', 1)[1]

    def heat_parameters(self):
        """Every parameter of every stack, nested ones too, as Heat's
        API returns them (while the stacks still exist)."""
        shown = []
        for stack in self.client.stacks.list(show_nested=True):
            full = self.client.stacks.get(stack.id)
            shown.append(f'{stack.stack_name}: {full.parameters}')
        return '\n'.join(shown)

    # The lifecycle -----------------------------------------------------

    def test_lifecycle_leaks_nothing(self):
        harness = self.identity.harness
        self.secrets.update({
            'caller token': self.token,
            'service user password': harness.users['magnum-lite'].password,
            'trustee domain admin password':
                self.identity.domain_admin.password,
            'database encryption key': CONF.database.encryption_key,
        })
        self.useFixture(base.Conductor(transport_url=self.bus.url))
        self.addCleanup(self.delete_stacks)

        self.create_template()
        uuid = self.create_cluster(wait=False, master_count=3,
                                   node_count=1)
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        nodes = self.node_names(cluster['cluster_id'])
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))
        self.remember(uuid)
        self.call('GET', f'/v1/clusters/{uuid}', status=200)
        self.call('GET', '/v1/clusters/detail', status=200)
        self.call('GET', f'/v1/clusters/{uuid}/nodegroups', status=200)
        self.call('GET', f'/v1/certificates/{uuid}', status=200)
        self.call('POST', '/v1/certificates',
                  {'cluster_uuid': uuid, 'csr': _csr()}, status=201)

        self.call('PATCH', f'/v1/credentials/{uuid}', status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        # A credential rotation rebuilds the masters (which hold the
        # cloud credentials), each drained first.
        self.assertEqual([n for n in nodes if '-master-' in n],
                         sorted(kube.deleted_nodes))
        self.remember(uuid)
        # The credential rotation drained (and logged) already; the CA
        # rotation's three rolling updates need no more of that here.
        self.conf.config(drain_timeout=0, group='kubernetes')
        self.call('PATCH', f'/v1/certificates/{uuid}', status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        self.remember(uuid)
        self.call('POST', f'/v1/clusters/{uuid}/actions/resize',
                  {'node_count': 2}, status=202)
        self.wait_for(uuid, 'UPDATE_COMPLETE', timeout=TIMEOUT)
        heat_shown = self.heat_parameters()

        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None, timeout=TIMEOUT)

        places = {
            'API responses': '\n'.join(self.responses),
            'logs': self.log.output,
            'RabbitMQ messages': '\n'.join(self.bus.bodies()),
            'Heat parameters': heat_shown,
        }
        # The scan must have had something to scan.
        self.assertGreaterEqual(len(self.secrets), 14, sorted(self.secrets))
        self.assertIn(uuid, places['RabbitMQ messages'])
        self.assertIn('******', places['Heat parameters'])
        self.assertIn('magnum_lite', places['logs'])
        leaks = [f'{name} in {place}'
                 for place, text in places.items()
                 for name, secret in self.secrets.items()
                 if _needles(secret) & _found(text, _needles(secret))]
        self.assertEqual([], leaks)


def _needles(secret):
    """What to look for: the secret, and for a PEM key its base64 body
    lines (a key may be logged re-wrapped or JSON-escaped)."""
    if 'PRIVATE KEY' not in secret:
        return {secret}
    return {line for line in secret.splitlines()
            if line and not line.startswith('-----') and len(line) >= 40}


def _found(text, needles):
    return {needle for needle in needles if needle in text}


def _csr():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, 'alice')])).sign(
            key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


load_tests = base.load_tests
