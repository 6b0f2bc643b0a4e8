"""The benchmark's WSGI entry: magnum-lite's app inside a statement counter.

Serve it as ``bench_wsgi:initialize_application()`` (gunicorn factory
syntax, with ``tools/bench`` on the Python path). It builds the production
application through :func:`magnum_lite.api.wsgi.initialize_application`
(configuration from ``MAGNUM_LITE_CONFIG_FILE``) and, when
``MAGNUM_LITE_BENCH_COUNT_SQL`` is set to ``1``, wraps it in
:class:`CountStatements`.

Nothing here is imported by magnum-lite itself: counting is bench only.
"""

import gc
import os
import sys
import threading
import time

import sqlalchemy as sa

HEADER_COUNT = 'X-Bench-SQL-Statements'
HEADER_TIME = 'X-Bench-SQL-Ms'
HEADER_CPU = 'X-Bench-CPU-Ms'

_state = threading.local()


def _before(conn, cursor, statement, parameters, context, executemany):
    if getattr(_state, 'count', None) is not None:
        _state.count += 1
        _state.started = time.perf_counter()


def _after(conn, cursor, statement, parameters, context, executemany):
    started = getattr(_state, 'started', None)
    if started is not None and getattr(_state, 'count', None) is not None:
        _state.seconds += time.perf_counter() - started
        _state.started = None


_installed = False


def install_listeners():
    """Count every statement any engine of this process sends.

    Listening on the ``Engine`` class reaches the engines oslo.db creates
    later. Only requests inside :class:`CountStatements` are counted.
    """
    global _installed
    if not _installed:
        sa.event.listen(sa.engine.Engine, 'before_cursor_execute', _before)
        sa.event.listen(sa.engine.Engine, 'after_cursor_execute', _after)
        _installed = True


class CountStatements:
    """Answer, in response headers, how many SQL statements a request sent
    (``X-Bench-SQL-Statements``), how long the DB-API ``execute`` calls
    took in all (``X-Bench-SQL-Ms``; the driver reads the rows there) and
    the CPU time the request cost this thread (``X-Bench-CPU-Ms``, up to
    the response headers, so with the JSON body already encoded): unlike
    latencies, that figure hardly moves when other processes compete for
    the cores."""

    def __init__(self, app):
        install_listeners()
        self.app = app

    def __call__(self, environ, start_response):
        _state.count = 0
        _state.seconds = 0.0
        _state.started = None
        cpu = time.thread_time()

        def counted_start_response(status, headers, exc_info=None):
            headers = list(headers)
            headers.append((HEADER_COUNT, str(_state.count)))
            headers.append((HEADER_TIME, f'{_state.seconds * 1000:.3f}'))
            headers.append((HEADER_CPU,
                            f'{(time.thread_time() - cpu) * 1000:.3f}'))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, counted_start_response)
        finally:
            _state.count = None


def initialize_application():
    """gunicorn / uWSGI factory."""
    from magnum_lite.api import wsgi

    app = wsgi.initialize_application()
    import magnum_lite
    sys.stderr.write(f'bench_wsgi: magnum_lite from '
                     f'{os.path.dirname(magnum_lite.__file__)}\n')
    sys.stderr.flush()
    if os.environ.get('MAGNUM_LITE_BENCH_COUNT_SQL') == '1':
        app = CountStatements(app)
    if os.environ.get('MAGNUM_LITE_BENCH_GC_FREEZE') == '1':
        # Move everything built so far out of the collector's sight: the
        # young-generation collections that big lists trigger then stop
        # walking the whole import graph.
        gc.collect()
        gc.freeze()
    return app
