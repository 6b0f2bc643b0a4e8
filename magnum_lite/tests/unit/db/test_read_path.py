"""Reads cost their statements and nothing else, on every backend."""

import fixtures
import sqlalchemy as sa

from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.db import api as db_api
from magnum_lite.db import direct
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests


class _Recorder:
    """A DB-API connection that notes the calls that are round trips."""

    def __init__(self, connection, calls, kind):
        self._connection = connection
        self._calls = calls
        self._kind = kind

    def __getattr__(self, name):
        value = getattr(self._connection, name)
        if name in ('rollback', 'commit', 'ping', 'cursor'):
            calls, kind = self._calls, self._kind

            def recorded(*args, **kwargs):
                calls.append(kind)
                return value(*args, **kwargs)
            return recorded
        return value


class RoundTrips(fixtures.Fixture):
    """Count what reaches the database: statements, and the DB-API
    ``rollback()``/``commit()``/ping calls that are round trips of their
    own (SQLAlchemy decides whether to make them; spies call through)."""

    def _setUp(self):
        self.calls = []
        dialects = set()
        for engine in (db_api.get_engine(), db_api.get_reader_engine()):
            self._listen(engine)
            dialects.add(type(engine.dialect))
        for dialect in dialects:
            for name, kind in (('do_rollback', 'ROLLBACK'),
                               ('do_commit', 'COMMIT'),
                               ('do_ping', 'ping')):
                self.useFixture(fixtures.MonkeyPatch(
                    f'{dialect.__module__}.{dialect.__name__}.{name}',
                    self._spy(getattr(dialect, name), kind)))

    def _listen(self, engine):
        def execute(conn, cursor, statement, *args):
            self.calls.append(statement.split()[0].upper())
        sa.event.listen(engine, 'before_cursor_execute', execute)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        execute)

    def _spy(self, method, kind):
        def spy(dialect, dbapi_connection):
            return method(dialect, _Recorder(dbapi_connection, self.calls,
                                             kind))
        return spy


def _cluster(name='c', project='p1'):
    template = db_api.template_create(
        {'name': f't-{name}', 'coe': 'kubernetes', 'image_id': 'img',
         'project_id': project, 'labels': {'a': '1'}})
    return db_api.cluster_create(
        {'name': name, 'cluster_template_id': template.uuid,
         'project_id': project, 'status': states.CREATED, 'labels': {}},
        [{'name': 'default-worker', 'role': 'worker', 'node_count': 2,
          'project_id': project, 'status': states.CREATED,
          'is_default': True},
         {'name': 'default-master', 'role': 'master', 'node_count': 3,
          'project_id': project, 'status': states.CREATED,
          'is_default': True}])


class TestClusterShow(base.DbTestCase):

    def test_cluster_nodegroups_template_in_one_select(self):
        cluster = _cluster()
        _cluster('other')
        db_api.cluster_show(cluster.uuid)  # the engine's first connect
        trips = self.useFixture(RoundTrips())
        found, nodegroups, template = db_api.cluster_show(cluster.uuid)
        self.assertEqual(['SELECT'], trips.calls)
        self.assertEqual((cluster.uuid, 'c', 'p1'),
                         (found.uuid, found.name, found.project_id))
        self.assertEqual(['default-worker', 'default-master'],
                         [ng.name for ng in nodegroups])
        self.assertEqual([2, 3], [ng.node_count for ng in nodegroups])
        self.assertEqual({'a': '1'}, template.labels)

    def test_by_name_within_project(self):
        cluster = _cluster()
        self.assertEqual(cluster.uuid,
                         db_api.cluster_show('c', 'p1')[0].uuid)
        self.assertRaises(exception.ClusterNotFound, db_api.cluster_show,
                          'c', 'p2')
        self.assertRaises(exception.ClusterNotFound, db_api.cluster_show,
                          cluster.uuid, 'p2')

    def test_ambiguous_name(self):
        _cluster('same')
        _cluster('same')
        self.assertRaises(exception.AmbiguousName, db_api.cluster_show,
                          'same')

    def test_without_nodegroups(self):
        cluster = self.cluster_row(status=states.CREATED)
        found, nodegroups, template = db_api.cluster_show(
            cluster.uuid, columns=('status',), nodegroup_columns=('role',))
        self.assertEqual((cluster.uuid, states.CREATED, []),
                         (found.uuid, found.status, nodegroups))
        self.assertEqual({}, template.labels)


class TestReads(base.DbTestCase):

    def test_read_is_its_statements_only(self):
        cluster = _cluster()
        db_api.template_get(cluster.cluster_template_id)
        trips = self.useFixture(RoundTrips())
        for _ in range(3):
            db_api.template_get(cluster.cluster_template_id)
            db_api.cluster_list()
        # No BEGIN, ping, ROLLBACK or COMMIT around the SELECTs.
        self.assertEqual(['SELECT'] * 6, trips.calls)

    def test_reads_see_writes(self):
        cluster = _cluster()
        db_api.cluster_update(cluster.uuid, {'status': states.UPDATING})
        self.assertEqual(states.UPDATING,
                         db_api.cluster_show(cluster.uuid)[0].status)


_CONNECTION_ID = {'mysql': ('SELECT CONNECTION_ID()', 'KILL {}'),
                  'postgresql': ('SELECT pg_backend_pid()',
                                 'SELECT pg_terminate_backend({})')}


class TestIdleConnections(base.DbTestCase):
    """No ping per read, but a pooled connection that the server dropped
    while it sat idle is found out before it serves."""

    scenarios = [(b, {'backend': b}) for b in _CONNECTION_ID]

    def _kill_reader_connection(self):
        ask, kill = _CONNECTION_ID[self.backend]
        with db_api.get_reader_engine().connect() as connection:
            ident = connection.exec_driver_sql(ask).scalar()
        with db_api.get_engine().connect() as connection:
            connection.exec_driver_sql(kill.format(ident))
            connection.commit()

    def test_dead_idle_connection_is_replaced(self):
        cluster = _cluster()
        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.db.reader.IDLE_PING_SECONDS', 0.0))
        self._kill_reader_connection()
        trips = self.useFixture(RoundTrips())
        self.assertEqual(cluster.uuid,
                         db_api.cluster_show(cluster.uuid)[0].uuid)
        self.assertEqual('ping', trips.calls[0])

    def test_busy_connection_is_not_pinged(self):
        cluster = _cluster()
        db_api.cluster_show(cluster.uuid)
        trips = self.useFixture(RoundTrips())
        db_api.cluster_show(cluster.uuid)
        self.assertEqual(['SELECT'], trips.calls)


class TestDirectReads(base.DbTestCase):
    """The shows' rows read on the DB-API connection (db/direct.py) are
    the rows SQLAlchemy Core reads, processed alike."""

    def _statements(self, cluster):
        # Every column of both tables: booleans, JSON, timestamps, NULLs.
        show, _, _ = db_api._cluster_show_query(True, True, None, None)
        template = db_api._template_get_query(True, True)
        return [(show, {'ident': cluster.uuid, 'project': 'p1'}),
                (template, {'ident': cluster.cluster_template_id,
                            'project': 'p1'})]

    def test_same_rows_as_core(self):
        cluster = _cluster()
        engine = db_api.get_reader_engine()
        for statement, params in self._statements(cluster):
            self.assertIsNotNone(direct.prepared(statement, engine))
            core = [list(row) for row in db_api._rows(statement, params)]
            self.assertEqual(core, direct.rows(engine, statement, params,
                                               db_api._rows))
            self.assertTrue(core)

    def test_failure_goes_through_core(self):
        cluster = _cluster()
        engine = db_api.get_reader_engine()
        statement, params = self._statements(cluster)[0]
        expected = [list(row) for row in db_api._rows(statement, params)]

        def broken(*args):
            raise RuntimeError('connection lost')
        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.db.direct._execute', broken))
        core = []

        def core_rows(statement, params):
            core.append(statement)
            return db_api._rows(statement, params)
        self.assertEqual(expected, direct.rows(engine, statement, params,
                                               core_rows))
        self.assertEqual([statement], core)

    def test_expanding_in_is_left_to_core(self):
        table = models.ClusterTemplate.__table__
        statement = sa.select(table.c.uuid).where(
            table.c.uuid.in_(['a', 'b']))
        self.assertIsNone(direct.prepared(statement,
                                          db_api.get_reader_engine()))
