"""The engine reads go through: one round trip per SELECT, nothing else.

oslo.db's engine costs a read-only transaction three round trips besides
its statements: a ping when the connection is checked out
(``pool_pre_ping``), the ROLLBACK that ends the transaction and the
ROLLBACK the pool resets the connection with on return (on SQLite, a
``BEGIN IMMEDIATE`` too, which takes the write lock). The reader engine
is oslo.db's (same options, error translation, ``sql_mode``) with three
differences:

- autocommit: each SELECT stands alone, and nothing has to end a
  transaction, so SQLAlchemy skips the DB-API ``rollback()`` calls
  (``skip_autocommit_rollback``); a read that needs several statements
  to agree makes them one statement (see ``api.cluster_show``);
- no ping on every checkout: a connection that sat idle in the pool
  longer than ``IDLE_PING_SECONDS`` is pinged before use (the server may
  have dropped it, or restarted), one in steady use is not. The pool is
  LIFO, so under light load the same connection keeps serving and stays
  fresh;
- no write lock on SQLite: without a transaction, a read takes a shared
  lock for the statement only.
"""

import time

import sqlalchemy as sa
from oslo_db.sqlalchemy import engines
from oslo_db.sqlalchemy import exc_filters

# oslo.db's create_engine() arguments that [database] options set.
_ENGINE_OPTIONS = ('mysql_sql_mode', 'mysql_wsrep_sync_wait',
                   'connection_recycle_time', 'connection_debug',
                   'max_pool_size', 'max_overflow', 'pool_timeout',
                   'sqlite_synchronous', 'connection_trace', 'max_retries',
                   'retry_interval', 'connection_parameters')
# Longer than the gap between two requests of a busy worker, far shorter
# than any server's idle timeout.
IDLE_PING_SECONDS = 10.0


def _autocommit_engine(url, **engine_args):
    """oslo.db's engine factory, with the reader's pool settings."""
    engine_args.update(pool_pre_ping=False,
                       isolation_level='AUTOCOMMIT',
                       skip_autocommit_rollback=True)
    if engine_args.get('poolclass') is None and \
            not url.get_backend_name() == 'sqlite':
        engine_args['pool_use_lifo'] = True
    engine = sa.create_engine(url, **engine_args)
    return engine, engine


def create_engine(database_conf):
    """The reader engine for ``[database]`` (``database_conf``): on
    ``slave_connection`` if set, as oslo.db's reader."""
    options = {name: database_conf[name] for name in _ENGINE_OPTIONS
               if name in database_conf}
    url = database_conf.slave_connection or database_conf.connection
    if sa.engine.make_url(url).get_backend_name() == 'sqlite':
        return _sqlite_engine(url)
    engine = engines.create_engine(url, _engine_target=_autocommit_engine,
                                   **options)
    _ping_when_idle(engine)
    _no_thread_yield(engine)
    return engine


def _no_thread_yield(engine):
    """oslo.db sleeps 0 s on every checkin, for eventlet's green threads
    (a C driver never yields to them). The API runs OS threads, which the
    driver's I/O already lets run: the sleep is a system call and a
    thread switch per read for nothing."""
    if sa.event.contains(engine, 'checkin', engines._thread_yield):
        sa.event.remove(engine, 'checkin', engines._thread_yield)


def _sqlite_engine(url):
    """oslo.db makes every SQLite transaction start with a BEGIN of its
    own, which reads do not need: a plain autocommit engine (a new
    connection per checkout, as oslo.db's: a file opens in microseconds),
    with oslo.db's error translation."""
    engine, _ = _autocommit_engine(sa.engine.make_url(url),
                                   poolclass=sa.pool.NullPool)
    exc_filters.register_engine(engine)
    return engine


def _ping_when_idle(engine):
    """Check a connection that was idle a while before handing it out; a
    dead one is replaced (the pool retries the checkout)."""

    @sa.event.listens_for(engine, 'checkin')
    def _checkin(dbapi_connection, record):
        record.info['idle_since'] = time.monotonic()

    @sa.event.listens_for(engine, 'checkout')
    def _checkout(dbapi_connection, record, proxy):
        since = record.info.get('idle_since')
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError(
                'pooled connection found dead after idling')
