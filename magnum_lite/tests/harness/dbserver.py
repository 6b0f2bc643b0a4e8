"""Database servers of a test's own (Debian's MariaDB and PostgreSQL
binaries, a data directory in /tmp, a free port of 127.0.0.1), which the
test may stop and start: the machine's shared servers hold every other
test's databases and must never be restarted by one.

    server = self.useFixture(dbserver.SERVERS['mysql']())
    ... [database] connection = server.url ...
    server.stop()     # the outage
    server.start()    # same port, same data
"""

import glob
import shutil
import subprocess
import tempfile
import time

import sqlalchemy as sa

from magnum_lite.tests.harness import keystone

try:
    import fixtures
    _Base = fixtures.Fixture
except ImportError:  # pragma: no cover - fixtures is a test requirement
    _Base = object

free_port = keystone.keystonectl.local.free_port
DATABASE = 'magnum_lite'


class _Server(_Base):
    """Common life cycle: ``_init`` makes the data directory once,
    ``_launch`` starts the server, ``_halt`` stops it."""

    scheme = None

    def __init__(self, start_timeout=60):
        if _Base is not object:
            super().__init__()
        self.start_timeout = start_timeout
        self.state_dir = None
        self.port = None

    @property
    def server_url(self):
        return f'{self.scheme}@127.0.0.1:{self.port}/'

    def start(self):
        """Start the server (again: same port and data after a stop)."""
        if self.state_dir is None:
            self.state_dir = tempfile.mkdtemp(prefix='mlt-db.')
            self.port = free_port()
            self._init()
            self._launch()
            self._wait()
            self._admin(f'CREATE DATABASE {DATABASE}')
            return
        self._launch()
        self._wait()

    def stop(self):
        """Stop the server; its data stays for the next :meth:`start`."""
        if self.state_dir is not None:
            self._halt()

    def _wait(self):
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                self._admin('SELECT 1')
                return
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _admin(self, statement):
        engine = sa.create_engine(self.server_url + self.admin_database,
                                  isolation_level='AUTOCOMMIT',
                                  poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _setUp(self):
        self.start()
        self.addCleanup(self._remove)

    def _remove(self):
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)


class PrivateMariaDB(_Server):
    """mariadbd without grant tables (any client is root): a test server
    that only loopback reaches."""

    scheme = 'mysql+pymysql://root'
    admin_database = ''

    @property
    def url(self):
        return f'{self.server_url}{DATABASE}?charset=utf8mb4'

    def _init(self):
        subprocess.run(
            ['mariadb-install-db', '--no-defaults',
             f'--datadir={self.state_dir}/data', '--user=root',
             '--skip-test-db', '--auth-root-authentication-method=normal'],
            check=True, capture_output=True)

    def _launch(self):
        d = self.state_dir
        with open(f'{d}/server.log', 'ab') as log:
            self.process = subprocess.Popen(
                ['mariadbd', '--no-defaults', f'--datadir={d}/data',
                 f'--socket={d}/sock', f'--port={self.port}',
                 '--bind-address=127.0.0.1', f'--pid-file={d}/pid',
                 '--user=root', '--skip-grant-tables', '--skip-log-bin',
                 '--innodb-buffer-pool-size=16M'],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def _halt(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


class PrivatePostgreSQL(_Server):
    """A PostgreSQL cluster of its own (run as the ``postgres`` user, as
    initdb requires), trust authentication on loopback."""

    scheme = 'postgresql+psycopg2://postgres'
    admin_database = 'postgres'

    @property
    def url(self):
        return self.server_url + DATABASE

    @staticmethod
    def _bin(name):
        found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'))
        if not found:
            raise RuntimeError(f'PostgreSQL {name} is not installed')
        return found[-1]

    def _as_postgres(self, *argv):
        subprocess.run(['su', 'postgres', '-s', '/bin/sh', '-c',
                        ' '.join(argv)], check=True, capture_output=True)

    def _init(self):
        shutil.chown(self.state_dir, 'postgres')
        self._as_postgres(self._bin('initdb'), '-D',
                          f'{self.state_dir}/data', '-U', 'postgres',
                          '--auth=trust', '-E', 'UTF8', '--no-sync')

    def _launch(self):
        d = self.state_dir
        options = (f'-p {self.port} -k {d} -c listen_addresses=127.0.0.1 '
                   '-c fsync=off')
        self._as_postgres(self._bin('pg_ctl'), '-D', f'{d}/data', '-l',
                          f'{d}/server.log', '-w', '-o', f'"{options}"',
                          'start')

    def _halt(self):
        self._as_postgres(self._bin('pg_ctl'), '-D',
                          f'{self.state_dir}/data', '-m', 'fast', '-w',
                          'stop')


SERVERS = {'mysql': PrivateMariaDB, 'postgresql': PrivatePostgreSQL}
