"""Cluster CA keys in the real Barbican, behind the real Keystone.

``[certificates] cert_manager_type = barbican``: the conductor (on
RabbitMQ, fake driver) stores each private key as a Barbican secret of
the configured service user and the certificate row keeps only its
reference; the API (noauth) signs CSRs with the key it reads back from
Barbican. What is checked is what Barbican itself lists: rotation and
cluster deletion leave no old secret behind.
"""

import base64
import logging
import time

import fixtures
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from keystoneauth1 import loading as ks_loading

from magnum_lite.clients import key_store
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.functional import test_certificates
from magnum_lite.tests.harness import barbican as barbican_harness
from magnum_lite.tests.harness import keystone as keystone_harness

CAS = ('kubernetes', 'etcd', 'front_proxy')
KINDS = CAS + ('service_account',)
free_port = barbican_harness.barbicanctl.localservice.free_port


def load_cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


class BarbicanKeyStoreTest(base.FunctionalTestCase):

    backend = 'sqlite'
    scenarios = None
    with_conductor = False

    def setUp(self):
        super().setUp()
        # A step that meets an outage is retried soon.
        self.conf.config(redrive_after=1, redrive_interval=1,
                         group='conductor')
        self.useFixture(base.Conductor())
        # Every log line at any level: no key may appear in one (and it is
        # shown with a failure).
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.barbican = self.useFixture(barbican_harness.BarbicanHarness(
            keystone_harness.shared()))
        # keystoneauth registers a plugin's options only when it loads.
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='certificates')
        self.conf.config(group='certificates',
                         **self.barbican.certificates_options())
        key_store.reset()
        self.addCleanup(key_store.reset)
        self.create_template()

    def stored(self, cluster):
        """kind -> the certificate row's private_key value."""
        return {kind: db_api.certificate_get(cluster, kind).private_key
                for kind in KINDS}

    def refs(self, stored):
        for value in stored.values():
            self.assertTrue(value.startswith('barbican:' + self.barbican.url),
                            value)
            self.assertNotIn('PRIVATE KEY', value)
        return {value[len('barbican:'):] for value in stored.values()}

    def ca(self, cluster):
        return load_cert(self.call(
            'GET', f'/v1/certificates/{cluster}').json['pem'])

    def sign(self, cluster):
        return load_cert(self.call('POST', '/v1/certificates', {
            'cluster_uuid': cluster, 'csr': test_certificates.make_csr()},
            status=201).json['pem'])

    def assert_key_matches(self, cluster, kind, value):
        """The secret, read as the key user, is the row's CA key;
        returns its PEM."""
        pem = self.barbican.session().get(
            value[len('barbican:'):] + '/payload',
            headers={'Accept': 'application/octet-stream'}).content
        key = serialization.load_pem_private_key(pem, password=None)
        public = db_api.certificate_get(cluster, kind).certificate.encode()
        if kind == 'service_account':
            public = serialization.load_pem_public_key(public)
        else:
            public = x509.load_pem_x509_certificate(public).public_key()
        self.assertEqual(public.public_numbers(),
                         key.public_key().public_numbers())
        return pem

    def assert_not_logged(self, pems):
        """No key (as PEM, its body or base64) nor the key user's
        password in any log line."""
        logged = self.log.output
        self.assertGreater(len(logged), 0)
        needles = ['PRIVATE KEY', self.barbican.key_user.password]
        for pem in pems:
            needles.append(b''.join(pem.splitlines()[1:-1]).decode()[:64])
            needles.append(base64.b64encode(pem).decode()[:64])
        for needle in needles:
            # Not assertNotIn: it would print the secret and every log line.
            self.assertFalse(needle in logged, 'a secret is in the logs')

    def test_create_sign_rotate_delete(self):
        cluster = self.create_cluster(master_count=1, node_count=1)['uuid']
        first = self.stored(cluster)
        self.assertEqual(self.refs(first), set(self.barbican.secret_refs()))
        self.assertEqual(4, len(self.refs(first)))
        pems = [self.assert_key_matches(cluster, kind, first[kind])
                for kind in KINDS]

        old_ca = self.ca(cluster)
        self.sign(cluster).verify_directly_issued_by(old_ca)

        self.call('PATCH', f'/v1/certificates/{cluster}', status=202)
        self.wait_for(cluster, 'UPDATE_COMPLETE')
        second = self.stored(cluster)
        self.assertEqual(first['service_account'], second['service_account'])
        for kind in CAS:
            self.assertNotEqual(first[kind], second[kind])
        # The old CA keys are gone from Barbican, the new ones are there.
        self.assertEqual(self.refs(second),
                         set(self.barbican.secret_refs()))
        pems += [self.assert_key_matches(cluster, kind, second[kind])
                 for kind in CAS]
        new_ca = self.ca(cluster)
        cert = self.sign(cluster)
        cert.verify_directly_issued_by(new_ca)
        self.assertRaises(Exception, cert.verify_directly_issued_by, old_ca)

        self.call('DELETE', f'/v1/clusters/{cluster}', status=204)
        self.wait_for(cluster, None)
        self.assertEqual([], self.barbican.secret_refs())
        self.assert_not_logged(pems)

    def _barbican_away(self):
        self.conf.config(group='certificates', barbican_endpoint=(
            f'http://127.0.0.1:{free_port()}'))
        key_store.reset()

    def test_barbican_down_waits_then_completes(self):
        self._barbican_away()
        cluster = self.create_cluster(wait=False, master_count=1,
                                      node_count=1)
        deadline = time.monotonic() + 60
        while True:
            body = self.call('GET', f'/v1/clusters/{cluster}').json
            self.assertEqual('CREATE_IN_PROGRESS', body['status'])
            if 'retrying' in (body['status_reason'] or ''):
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.5)
        self.assertIn('Barbican', body['status_reason'])
        self.assertEqual([], self.barbican.secret_refs())
        # Barbican is back: the retried create stores the keys there.
        self.conf.config(group='certificates',
                         barbican_endpoint=self.barbican.url)
        key_store.reset()
        self.wait_for(cluster, 'CREATE_COMPLETE', timeout=60)
        self.assertEqual(4, len(self.barbican.secret_refs()))

    def test_barbican_down_past_patience_fails_clearly(self):
        self.conf.config(outage_patience=0, group='conductor')
        self._barbican_away()
        cluster = self.create_cluster(wait=False, master_count=1,
                                      node_count=1)
        body = self.wait_for(cluster, 'CREATE_FAILED')
        self.assertIn('Barbican', body['status_reason'])
        self.assertIn('gave up after', body['status_reason'])
        self.assertEqual([], self.barbican.secret_refs())
