"""Where the test run's databases and RabbitMQ vhost are.

``tools/run-tests`` creates one MariaDB user, and one RabbitMQ vhost per
run, and exports their addresses; each test process then makes its own
databases (named after the run and the process) so parallel workers and
concurrent runs never share state.
"""

import atexit
import os
import subprocess
import uuid

import sqlalchemy as sa

RUN_ID = os.environ.get('MAGNUM_LITE_TEST_RUN') or uuid.uuid4().hex[:8]
BACKENDS = ('sqlite', 'mysql', 'postgresql')

_SERVER_URLS = {
    'mysql': os.environ.get(
        'MAGNUM_LITE_TEST_MYSQL_URL',
        'mysql+pymysql://magnum_lite_test:magnum_lite_test@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'MAGNUM_LITE_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://postgres@127.0.0.1:5432/'),
}
_created = {}


def database_name():
    return f'mlt_{RUN_ID}_{os.getpid()}'


def database_url(backend):
    """A fresh, empty database of ``backend`` for this process."""
    if backend in _created:
        return _created[backend]
    name = database_name()
    if backend == 'sqlite':
        path = os.path.join(os.environ.get('TMPDIR', '/tmp'), f'{name}.db')
        if os.path.exists(path):
            os.remove(path)
        url = f'sqlite:///{path}'
        atexit.register(lambda: os.path.exists(path) and os.remove(path))
    else:
        server = _SERVER_URLS[backend]
        _admin(server, f'CREATE DATABASE {name}')
        url = server + name
        if backend == 'mysql':
            url += '?charset=utf8mb4'
        force = ' WITH (FORCE)' if backend == 'postgresql' else ''
        atexit.register(_admin, server,
                        f'DROP DATABASE IF EXISTS {name}{force}')
    _created[backend] = url
    return url


def _admin(server_url, statement):
    database = 'postgres' if server_url.startswith('postgresql') else ''
    engine = sa.create_engine(server_url + database,
                              isolation_level='AUTOCOMMIT')
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def transport_url():
    """The RabbitMQ vhost of this run (made here if the runner did not)."""
    url = os.environ.get('MAGNUM_LITE_TEST_TRANSPORT_URL')
    if url:
        return url
    vhost = f'mlt_{RUN_ID}'
    subprocess.run(['rabbitmqctl', '-q', 'add_vhost', vhost], check=False,
                   capture_output=True)
    subprocess.run(['rabbitmqctl', '-q', 'set_permissions', '-p', vhost,
                    'guest', '.*', '.*', '.*'], check=True,
                   capture_output=True)
    url = f'rabbit://guest:guest@127.0.0.1:5672/{vhost}'
    os.environ['MAGNUM_LITE_TEST_TRANSPORT_URL'] = url
    return url
