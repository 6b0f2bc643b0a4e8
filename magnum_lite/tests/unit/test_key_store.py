"""The ``local`` key store: today's Fernet encryption in the database."""

from cryptography import fernet

from magnum_lite.clients import key_store
from magnum_lite.common import exception
from magnum_lite.common import secrets
from magnum_lite.common import x509
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.unit import test_ca_rotation

load_tests = base.load_tests
PEM = x509.generate_ca('c')[1]


class LocalKeyStoreTest(base.TestCase):

    def setUp(self):
        super().setUp()
        key_store.reset()
        self.addCleanup(key_store.reset)

    def test_default_is_local(self):
        self.assertEqual('local', key_store.CONF.certificates
                         .cert_manager_type)

    def test_store_encrypts_with_the_database_key(self):
        value = key_store.store('cluster-1', 'kubernetes', PEM)
        self.assertNotIn('PRIVATE KEY', value)
        self.assertFalse(value.startswith(key_store.PREFIX))
        # The same format as before the key store: readable either way.
        self.assertEqual(PEM, secrets.decrypt(value))
        self.assertEqual(PEM, key_store.load(value))
        self.assertEqual(PEM, key_store.load(secrets.encrypt(PEM)))
        # Fernet tokens differ each time.
        self.assertNotEqual(value, key_store.store('cluster-1', 'etcd', PEM))

    def test_another_database_key_cannot_read_it(self):
        value = key_store.store('cluster-1', 'kubernetes', PEM)
        self.conf.config(encryption_key=fernet.Fernet.generate_key().decode(),
                         group='database')
        self.assertRaises(fernet.InvalidToken, key_store.load, value)
        self.conf.config(encryption_key='', group='database')
        self.assertRaises(exception.ServiceUnavailable, key_store.store,
                          'cluster-1', 'kubernetes', PEM)

    def test_delete_needs_no_service(self):
        # Nothing to reach: an encrypted key goes with its row. A
        # Barbican reference without [certificates] auth fails loudly.
        key_store.delete(key_store.store('cluster-1', 'kubernetes', PEM))
        self.assertRaises(exception.ServiceUnavailable, key_store.delete,
                          key_store.PREFIX + 'http://127.0.0.1:9/v1/x')

    def test_delete_all_tries_every_value_then_raises(self):
        down = key_store.PREFIX + 'http://127.0.0.1:9/v1/x'
        deleted = []
        real = key_store.delete
        self.patch(key_store, 'delete',
                   lambda value: deleted.append(value) or real(value))
        local = key_store.store('cluster-1', 'kubernetes', PEM)
        self.assertRaises(exception.ServiceUnavailable, key_store.delete_all,
                          [down, local])
        self.assertEqual([down, local], deleted)
        key_store.delete_all([local])


class LocalKeysOfAClusterTest(base.DbTestCase):
    """The conductor's rows under the default backend, as before."""

    def test_rows_hold_encrypted_keys_through_rotation(self):
        cluster = test_ca_rotation.make_cluster()
        kinds = x509.CA_TYPES + (x509.SERVICE_ACCOUNT,)
        before = {k: db_api.certificate_get(cluster.uuid, k).private_key
                  for k in kinds}
        for value in before.values():
            self.assertIn('PRIVATE KEY', secrets.decrypt(value))
        test_ca_rotation.rotate_ca(cluster.uuid)
        after = {k: db_api.certificate_get(cluster.uuid, k).private_key
                 for k in kinds}
        self.assertEqual(before['service_account'], after['service_account'])
        for kind in x509.CA_TYPES:
            self.assertNotEqual(secrets.decrypt(before[kind]),
                                secrets.decrypt(after[kind]))
