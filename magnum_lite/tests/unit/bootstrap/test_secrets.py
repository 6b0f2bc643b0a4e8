"""The node bootstrap's secrets and facts (drivers/heat/bootstrap.py)."""

import hashlib
import re

import testtools
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import serialization

from magnum_lite.common import states
from magnum_lite.common import x509
from magnum_lite.conductor import certificates
from magnum_lite.db import api as db_api
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.drivers.heat import parameters
from magnum_lite.tests import base
from magnum_lite.tests.unit import test_ca_rotation

load_tests = base.load_tests

SECRET_ROWS = ('ca_key', 'etcd_ca_key', 'front_proxy_ca_key',
               'service_account_key', 'certificate_key', 'bootstrap_token')


class DerivationTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.public, self.private = x509.generate_service_account_key()

    def test_token_and_key_are_stable_and_well_formed(self):
        token = bootstrap.bootstrap_token(self.private)
        self.assertRegex(token, r'^[a-z0-9]{6}\.[a-z0-9]{16}$')
        self.assertEqual(token, bootstrap.bootstrap_token(self.private))
        key = bootstrap.certificate_key(self.private)
        self.assertRegex(key, r'^[0-9a-f]{64}$')
        self.assertEqual(key, bootstrap.certificate_key(self.private))

    def test_another_cluster_gets_other_secrets(self):
        _, other = x509.generate_service_account_key()
        self.assertNotEqual(bootstrap.bootstrap_token(self.private),
                            bootstrap.bootstrap_token(other))
        self.assertNotEqual(bootstrap.certificate_key(self.private),
                            bootstrap.certificate_key(other))
        # Token id, token secret and certificate key are independent.
        token_id, token_secret = bootstrap.bootstrap_token(
            self.private).split('.')
        self.assertNotIn(token_id, token_secret)

    def test_ca_cert_hash_is_sha256_of_the_public_key_info(self):
        cert_pem, _ = x509.generate_ca('k8s')
        cert = crypto_x509.load_pem_x509_certificate(cert_pem.encode())
        der = cert.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        self.assertEqual('sha256:' + hashlib.sha256(der).hexdigest(),
                         bootstrap.ca_cert_hash(cert_pem))
        # Not the hash of the whole certificate.
        self.assertNotEqual(
            'sha256:' + hashlib.sha256(cert.public_bytes(
                serialization.Encoding.DER)).hexdigest(),
            bootstrap.ca_cert_hash(cert_pem))

    def test_secret_rows_are_hidden_and_workers_get_no_keys(self):
        for name in SECRET_ROWS + ('ca_cert', 'ca_cert_hash'):
            self.assertIn(name, parameters.hidden_names())
        nodegroup_rows = {r.name for r in parameters.rows_for(
            parameters.NODEGROUP) if r.sources[0].startswith('bootstrap.')}
        self.assertEqual({'bootstrap_token', 'ca_cert_hash'}, nodegroup_rows)


def _values(cluster):
    return test_ca_rotation.bootstrap_values(cluster.uuid)


class StoredSecretsTest(base.DbTestCase):

    def _cluster(self):
        template = db_api.template_create(
            {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
             'project_id': 'p1'})
        return db_api.cluster_create(
            {'name': 'c', 'cluster_template_id': template.uuid,
             'project_id': 'p1', 'status': states.CREATED},
            [{'name': 'default-master', 'role': 'master', 'node_count': 1,
              'project_id': 'p1', 'status': 'CREATE_IN_PROGRESS',
              'is_default': True}])

    def test_values_from_what_the_conductor_stored(self):
        cluster = self._cluster()
        certificates.ensure_certificates(cluster)
        values = _values(cluster)
        self.assertEqual(
            {'ca_cert', 'ca_key', 'etcd_ca_cert', 'etcd_ca_key',
             'front_proxy_ca_cert', 'front_proxy_ca_key', 'ca_cert_hash',
             'service_account_pub', 'service_account_key',
             'bootstrap_token', 'certificate_key'}, set(values))
        stored = db_api.certificate_get(cluster.uuid, 'kubernetes')
        self.assertEqual(stored.certificate, values['ca_cert'])
        # Stored encrypted, handed to Heat decrypted.
        self.assertNotIn('PRIVATE KEY', stored.private_key)
        self.assertIn('PRIVATE KEY', values['ca_key'])
        self.assertTrue(re.match('-----BEGIN PUBLIC KEY',
                                 values['service_account_pub']))
        # A stack update renders the same secrets (no node replacement);
        # a CA rotation leaves the token and certificate key alone.
        self.assertEqual(values, _values(cluster))
        test_ca_rotation.rotate_ca(cluster.uuid)
        rotated = _values(cluster)
        self.assertNotEqual(values['ca_cert'], rotated['ca_cert'])
        self.assertEqual(
            (values['bootstrap_token'], values['certificate_key']),
            (rotated['bootstrap_token'], rotated['certificate_key']))
        # ensure_certificates is idempotent.
        certificates.ensure_certificates(cluster)
        self.assertEqual(rotated, _values(cluster))
