"""keystonemiddleware's token cache in a real memcached
(``[keystone_authtoken] memcached_servers``), against the real Keystone:
the setting most deployments use must not turn every authenticated
request into a 500 (the memcached client library is a requirement), and
tokens must really be cached there, in plain or with
``memcache_security_strategy``.
"""

import socket
import urllib.parse

from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import keystone
from magnum_lite.tests.harness import memcached


class TokenCacheTests:
    """Mixin: the API behind keystonemiddleware, its token cache in a
    memcached started for the class (before the API server, stopped
    after it)."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'
    authtoken_options = {}
    cache = None

    @classmethod
    def server_options(cls):
        cls.keystone = keystone.shared()
        cls.cache = memcached.Memcached()
        cls.cache.start()
        options = dict(cls.authtoken_options,
                       memcached_servers=cls.cache.server)
        return {'keystone': cls.keystone,
                'config': {'keystone_authtoken': options}}

    @classmethod
    def setUpClass(cls):
        try:
            super().setUpClass()
        except BaseException:
            cls._stop_cache()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._stop_cache()

    @classmethod
    def _stop_cache(cls):
        if cls.cache is not None:
            cls.cache.stop()
            cls.cache = None

    def get(self, token, path='/clusters'):
        return self.server.request('GET', path,
                                   headers={'X-Auth-Token': token})

    def cached_values(self):
        """Every value memcached holds (keys from ``lru_crawler
        metadump``), as bytes."""
        with socket.create_connection(('127.0.0.1', self.cache.port),
                                      timeout=5) as sock:
            reader = sock.makefile('rb')
            sock.sendall(b'lru_crawler metadump all\r\n')
            keys = []
            for line in iter(reader.readline, b'END\r\n'):
                field = line.split()[0].decode()
                keys.append(urllib.parse.unquote(field.split('=', 1)[1]))
            values = []
            for key in keys:
                sock.sendall(f'get {key}\r\n'.encode())
                header = reader.readline().split()
                if header[0] == b'VALUE':
                    values.append(reader.read(int(header[3]) + 2)[:-2])
                    reader.readline()  # END
            return values

    def test_tokens_are_cached_in_memcached(self):
        token = self.keystone.token('alpha-member')
        before = self.cache.stats()
        status, body = self.get(token)
        self.assertEqual(200, status, body)
        after_first = self.cache.stats()
        # The validated token was stored...
        self.assertGreater(after_first['curr_items'], before['curr_items'])
        self.assertGreater(after_first['cmd_set'], before['cmd_set'])
        for _ in range(3):
            status, body = self.get(token)
            self.assertEqual(200, status, body)
        after = self.cache.stats()
        # ... and found there by the next requests, without a new set.
        self.assertGreaterEqual(after['get_hits'],
                                after_first['get_hits'] + 3)
        self.assertEqual(after_first['cmd_set'], after['cmd_set'])

    def test_identity_comes_through_the_cache(self):
        token = self.keystone.token('beta-member')
        for _ in range(2):  # validated, then from the cache
            status, body = self.server.request(
                'POST', '/clustertemplates',
                {'name': 'cached-%d' % _, 'coe': 'kubernetes',
                 'image_id': 'img-1', 'flavor_id': 'm1',
                 'master_flavor_id': 'm1', 'keypair_id': 'kp'},
                headers={'X-Auth-Token': token})
            self.assertEqual(201, status, body)
            self.assertEqual(self.keystone.projects['beta'],
                             body['project_id'])

    def test_bad_token_is_401_with_the_cache(self):
        status, _ = self.get('bogus-token')
        self.assertEqual(401, status)


class PlainMemcachedTokenCache(TokenCacheTests, api_server.ServerPerClass,
                               base.DbTestCase):
    """``memcached_servers`` alone (no security strategy)."""

    def test_token_data_is_stored_in_plain(self):
        user_id = self.keystone.users['alpha-reader'].id
        status, body = self.get(self.keystone.token('alpha-reader'))
        self.assertEqual(200, status, body)
        self.assertTrue([v for v in self.cached_values()
                         if user_id.encode() in v])


class EncryptedMemcachedTokenCache(TokenCacheTests,
                                   api_server.ServerPerClass,
                                   base.DbTestCase):
    """``memcache_security_strategy = ENCRYPT`` with
    ``memcache_secret_key``, as operator guides recommend."""

    authtoken_options = {'memcache_security_strategy': 'ENCRYPT',
                         'memcache_secret_key': 'a-secret-of-the-test'}

    def test_token_data_is_encrypted(self):
        user_id = self.keystone.users['alpha-reader'].id
        status, body = self.get(self.keystone.token('alpha-reader'))
        self.assertEqual(200, status, body)
        values = self.cached_values()
        self.assertTrue(values)
        self.assertFalse([v for v in values if user_id.encode() in v])
