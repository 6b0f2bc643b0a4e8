"""A database server that refuses connections (none left): the API
answers 503 in Magnum's envelope, and the conductor retries the step
instead of failing the cluster."""

import os
import threading
import time

import fixtures
import psycopg2
import pymysql
import sqlalchemy as sa

from magnum_lite.db import api as db_api
from magnum_lite.db import migration
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver
from magnum_lite.tests.harness import dbserver

load_tests = base.load_tests
# How long a restarted server stays down (the fault suite's soak runs
# longer).
OUTAGE = int(os.environ.get('MAGNUM_LITE_DB_OUTAGE', '5'))

# What each server's driver raises when the server has no connection
# left (MariaDB's max_connections, PostgreSQL's max_connections).
_REFUSALS = {
    'mysql': lambda: pymysql.err.OperationalError(
        1040, 'Too many connections'),
    'postgresql': lambda: psycopg2.OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'sorry, too many clients already\n'),
}
SERVERS = [(b, {'backend': b}) for b in _REFUSALS]


class RefusedConnections(fixtures.Fixture):
    """Make the server refuse new connections, at the driver's connect
    (SQLAlchemy's ``do_connect``), as it does with none left."""

    def __init__(self, backend):
        super().__init__()
        self.backend = backend
        self.left = 0
        self.thread = None

    def _setUp(self):
        # Writes and reads have an engine each.
        self.engines = (db_api.get_engine(), db_api.get_reader_engine())
        for engine in self.engines:
            sa.event.listen(engine, 'do_connect', self._connect)
            self.addCleanup(sa.event.remove, engine, 'do_connect',
                            self._connect)

    def refuse(self, times=10 ** 9, thread=None):
        """Refuse the next ``times`` connections (of ``thread`` only, if
        given); pooled connections are dropped, or they would serve."""
        self.left, self.thread = times, thread
        for engine in self.engines:
            engine.dispose()

    def _connect(self, dialect, record, cargs, cparams):
        if self.left > 0 and self.thread in (None, threading.get_ident()):
            self.left -= 1
            raise _REFUSALS[self.backend]()
        return None


class TestApi(base.FunctionalTestCase):

    scenarios = SERVERS
    with_conductor = False

    def test_requests_answer_503(self):
        self.create_template()
        refused = self.useFixture(RefusedConnections(self.backend))
        refused.refuse()
        for method, path, body in (
                ('GET', '/v1/clusters', None),
                ('GET', '/v1/clustertemplates/tpl', None),
                ('POST', '/v1/clusters', {'name': 'c1',
                                          'cluster_template_id': 'tpl'})):
            response = self.call(method, path, body, status=503)
            error = self.assert_error(response, 503, 'The database is '
                                                     'unavailable')
            self.assertEqual('server', error['code'])
        refused.refuse(0)
        self.assertEqual([], self.call('GET', '/v1/clusters')
                         .json['clusters'])


class TestConductor(base.FunctionalTestCase):

    scenarios = SERVERS
    with_conductor = False

    def test_step_is_retried_not_failed(self):
        self.conf.config(redrive_after=1, redrive_interval=1,
                         group='conductor')
        self.useFixture(base.Conductor())
        refused = self.useFixture(RefusedConnections(self.backend))

        def once(call):
            # In the middle of the first create step, a database read (the
            # driver's, here) finds no connection left.
            if call[0] == 'create' and len(fake_driver.CALLS) == 1:
                refused.refuse(times=1, thread=threading.get_ident())
                db_api.cluster_get(call[1])

        fake_driver.HOOKS.append(once)
        self.create_template()
        uuid = self.create_cluster(wait=False)
        # wait_for fails at once on CREATE_FAILED.
        self.wait_for(uuid, 'CREATE_COMPLETE')
        creates = [c for c in fake_driver.CALLS if c[0] == 'create']
        self.assertEqual([('create', uuid)] * 2, creates)


class TestServerRestart(base.FunctionalTestCase):
    """A database server of the test's own stopped while a cluster is
    being built, then started again: the API answers 503 meanwhile and
    writes nothing half; the conductor reconnects and finishes."""

    scenarios = SERVERS
    with_conductor = False

    def setUp(self):
        super().setUp()
        self.server = self.useFixture(dbserver.SERVERS[self.backend]())
        self.conf.config(connection=self.server.url, group='database')
        db_api.reset()
        self.addCleanup(db_api.reset)
        migration.upgrade()
        self.conf.config(redrive_after=2, redrive_interval=1,
                         group='conductor')
        self.useFixture(base.Conductor())
        self.create_template()

    def test_api_and_conductor_ride_out_a_restart(self):
        building = self.create_cluster(wait=False, name='building',
                                       labels={'fake_polls': '5'})
        self.server.stop()
        for method, path, body in (
                ('GET', f'/v1/clusters/{building}', None),
                ('GET', '/v1/clustertemplates/tpl', None),
                ('POST', '/v1/clusters', {'name': 'lost',
                                          'cluster_template_id': 'tpl'})):
            self.assert_error(self.call(method, path, body, status=503),
                              503, 'The database is unavailable')
        time.sleep(OUTAGE)
        self.server.start()
        self.wait_for(building, 'CREATE_COMPLETE', timeout=120)
        names = [c['name'] for c in self.call('GET', '/v1/clusters')
                 .json['clusters']]
        self.assertEqual(['building'], names)
        # Every pooled connection died with the server: new work too.
        self.create_cluster(name='after', master_count=1, node_count=1)
        creates = [c[1] for c in fake_driver.CALLS if c[0] == 'create']
        self.assertEqual(1, creates.count(building))
