"""Test cases and fixtures: real databases, real RabbitMQ, real HTTP
stack in process, and the fake driver at the edge."""

import os
import time
from importlib import metadata

import fixtures
import sqlalchemy as sa
import testscenarios
import testtools
import webtest
from cryptography import fernet
from oslo_config import fixture as config_fixture

from magnum_lite.api import policy
from magnum_lite.api import work
from magnum_lite.common import rpc
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api
from magnum_lite.db import migration
from magnum_lite.db import models
from magnum_lite.drivers import registry
from magnum_lite.tests import fake_driver
from magnum_lite.tests import services

CONF([], project='magnum-lite', default_config_files=[])
_MIGRATED = set()
ENCRYPTION_KEY = fernet.Fernet.generate_key().decode()
SCENARIOS = [(b, {'backend': b}) for b in services.BACKENDS]


def load_tests(loader, tests, pattern):
    """Multiply test cases that declare ``backend`` over every backend."""
    return testscenarios.load_tests_apply_scenarios(loader, tests, pattern)


class Database(fixtures.Fixture):
    """A migrated, emptied database of one backend."""

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        url = services.database_url(self.backend)
        if CONF.database.connection != url:
            CONF.set_override('connection', url, 'database')
            db_api.reset()
        if url not in _MIGRATED:
            migration.upgrade()
            _MIGRATED.add(url)
        self._empty()

    @staticmethod
    def _empty():
        with db_api.get_engine().begin() as connection:
            for table in reversed(models.Base.metadata.sorted_tables):
                connection.execute(table.delete())


class Driver(fixtures.Fixture):
    """Make ``k8s_heat`` (the default driver) the fake driver."""

    def _setUp(self):
        fake = metadata.EntryPoint(
            name='k8s_heat', group=registry.GROUP,
            value='magnum_lite.tests.fake_driver:FakeDriver')
        self.useFixture(fixtures.MockPatch(
            'magnum_lite.drivers.registry._entry_points',
            return_value={'k8s_heat': fake}))
        registry.get.cache_clear()
        self.addCleanup(registry.get.cache_clear)
        fake_driver.CALLS.clear()
        fake_driver.FAIL_ONCE.clear()
        fake_driver.HOOKS.clear()
        self.addCleanup(fake_driver.HOOKS.clear)


class TestCase(testtools.TestCase):
    """Base: configuration isolated per test."""

    def setUp(self):
        super().setUp()
        # The config fixture's clean-up forgets the parsed command line.
        CONF([], project='magnum-lite', default_config_files=[])
        self.conf = self.useFixture(config_fixture.Config(CONF))
        self.conf.config(encryption_key=ENCRYPTION_KEY, group='database')
        policy.reset()
        self.addCleanup(policy.reset)


class DbTestCase(TestCase):
    """A test that runs once per database backend."""

    scenarios = SCENARIOS
    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        self.useFixture(Database(self.backend))

    def cluster_row(self, **fields):
        """A cluster row (and its template) written straight to the
        database, with ``fields`` over a minimal cluster."""
        template = db_api.template_create(
            {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
             'project_id': 'p1'})
        return db_api.cluster_create(
            dict({'name': 'c', 'cluster_template_id': template.uuid,
                  'project_id': 'p1'}, **fields), [])

    def count(self, model):
        with db_api.get_engine().connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(model)).scalar()


class RealDriver(fixtures.Fixture):
    """The installed drivers, with no fake in between (for tests that
    drive the real Heat)."""

    def _setUp(self):
        registry.get.cache_clear()
        self.addCleanup(registry.get.cache_clear)


class Conductor(fixtures.Fixture):
    """A conductor on RabbitMQ with a private topic, fast periodics;
    on the run's vhost unless given another ``transport_url``."""

    host = f'test-{os.getpid()}'

    def __init__(self, transport_url=None):
        super().__init__()
        self.transport_url = transport_url

    def _setUp(self):
        from magnum_lite.conductor import service
        topic = f'mlt-{services.RUN_ID}-{os.getpid()}-{id(self)}'
        CONF.set_override('transport_url',
                          self.transport_url or services.transport_url())
        CONF.set_override('topic', topic, 'conductor')
        CONF.set_override('host', self.host, 'conductor')
        CONF.set_override('sync_status_interval', 1, 'conductor')
        CONF.set_override('heartbeat_interval', 1, 'conductor')
        rpc.cleanup()
        work.reset()
        self.service = service.ConductorService()
        self.service.start()
        self.addCleanup(self._stop)

    def _stop(self):
        self.service.stop()
        work.reset()
        rpc.cleanup()


class FunctionalTestCase(DbTestCase):
    """HTTP in (in-process WSGI), real DB and RabbitMQ, fake driver."""

    with_conductor = True
    fake_cloud = True  # False: the installed drivers (integration tests)
    project_id = 'project-a'
    user_id = 'user-a'

    def setUp(self):
        super().setUp()
        self.conf.config(auth_strategy='noauth', group='api')
        if self.fake_cloud:
            self.useFixture(Driver())
        if self.with_conductor:
            self.useFixture(Conductor())
        from magnum_lite.api import app
        self.app = webtest.TestApp(app.setup_app())

    def headers(self, version='latest', roles='member,reader',
                project=None, user=None, **extra):
        headers = {'X-Project-Id': project or self.project_id,
                   'X-User-Id': user or self.user_id,
                   'X-Roles': roles, 'Accept': 'application/json'}
        if version is not None:
            headers['OpenStack-API-Version'] = f'container-infra {version}'
        headers.update(extra)
        return headers

    def call(self, method, path, body=None, status=None, version='latest',
             headers=None, **kwargs):
        """One request; returns the webtest response. ``status``: the
        status it must have ('*': any; None: any 2xx or 3xx)."""
        all_headers = self.headers(version=version, **kwargs)
        all_headers.update(headers or {})
        call = getattr(self.app, method.lower())
        if body is not None:
            call = getattr(self.app, method.lower() + '_json')
            response = call(path, body, headers=all_headers,
                            expect_errors=True)
        else:
            response = call(path, headers=all_headers, expect_errors=True)
        if status is None:
            self.assertLess(response.status_int, 400, response.text)
        elif status != '*':
            self.assertEqual(status, response.status_int, response.text)
        return response

    def assert_error(self, response, status, detail=None):
        """A Magnum error envelope with ``status`` (and ``detail``)."""
        self.assertEqual(status, response.status_int)
        errors = response.json['errors']
        self.assertEqual(1, len(errors))
        self.assertEqual(status, errors[0]['status'])
        if detail is not None:
            self.assertIn(detail, errors[0]['detail'])
        return errors[0]

    def create_template(self, **fields):
        body = {'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img-1',
                'master_lb_enabled': True, 'flavor_id': 'm1.small',
                'master_flavor_id': 'm1.medium', 'keypair_id': 'kp'}
        body.update(fields)
        return self.call('POST', '/v1/clustertemplates', body,
                         roles='admin,member,reader').json

    def create_cluster(self, template='tpl', wait=True, **fields):
        body = {'name': 'c1', 'cluster_template_id': template,
                'master_count': 3, 'node_count': 2}
        body.update(fields)
        uuid = self.call('POST', '/v1/clusters', body).json['uuid']
        if wait:
            return self.wait_for(uuid, 'CREATE_COMPLETE')
        return uuid

    def wait_for(self, uuid, *statuses, timeout=30, headers=None,
                 interval=0.2):
        """Poll GET /v1/clusters/<uuid> until its status is one of
        ``statuses`` (``None``: until it is gone)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call('GET', f'/v1/clusters/{uuid}', status='*',
                                 headers=headers)
            body = None if response.status_int == 404 else response.json
            current = body and body['status']
            if current in statuses:
                return body
            if time.monotonic() > deadline or (
                    current and current.endswith('FAILED')):
                reason = body and body.get('status_reason')
                self.fail(f'cluster {uuid} is {current} ({reason}), not '
                          f'{statuses}')
            time.sleep(interval)
