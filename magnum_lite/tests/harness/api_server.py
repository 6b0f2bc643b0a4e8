"""The API and a conductor in a subprocess, on a free port of 127.0.0.1.

For tests that drive magnum-lite with real clients over real HTTP
(``openstack coe ...``, openstacksdk): :class:`APIServer` starts

    python -m magnum_lite.tests.harness.api_server \\
        --database-url URL --transport-url URL --port-file FILE ...

which serves the application on the threaded development server of
``magnum-lite-api`` (``magnum_lite.cmd.api``) and runs a conductor in the
same process, with the fake driver (``magnum_lite.tests.fake_driver``) as
``k8s_heat`` and ``[api] auth_strategy = noauth``, so the ``[noauth]``
identity (project/user ``admin``, roles admin, member, reader) applies to
requests that carry no identity headers. With ``real_driver=True`` the
installed drivers run instead (the Heat driver against the Heat that
``config``'s ``[heat]`` options name). With ``keystone=`` (a
:class:`~magnum_lite.tests.harness.keystone.KeystoneHarness`) the API runs
behind keystonemiddleware instead (``auth_strategy = keystone``,
``[keystone_authtoken]`` with the harness' service user, in-process token
cache), and the harness' catalog points ``container-infra`` at it.

The subprocess never migrates: the calling test's ``base.Database``
fixture has already brought the database up to date and emptied it.
:class:`ServerPerClass` shares one server among the tests of a class.
Starting takes a few seconds (imports; far more on a loaded machine,
hence the generous ``timeout``).

Run by hand (e.g. to poke at it with a client)::

    python -m magnum_lite.tests.harness.api_server \\
        --database-url sqlite:////tmp/x.db --transport-url rabbit://... \\
        --encryption-key KEY [--port N] [-- oslo.config options]
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import fixtures
import requests
from testtools import content

_MODULE = 'magnum_lite.tests.harness.api_server'


class APIServer(fixtures.Fixture):
    """A subprocess serving the API and a conductor; ``endpoint`` is its
    base URL (``http://127.0.0.1:<port>``).

    ``database_url``, ``transport_url`` and ``encryption_key`` default to
    the calling test's: ``[database] connection``, ``transport_url`` and
    ``[database] encryption_key`` as configured in this process; the
    transport falls back to the run's RabbitMQ vhost
    (``services.transport_url()``) when none, or ``fake://``, is set.
    The subprocess' conductor listens on a topic of its own, so it never
    takes work cast by another test's API.

    The details ``api-server-log`` (the subprocess' stdout and stderr) are
    added to the test using the fixture.
    """

    def __init__(self, database_url=None, transport_url=None,
                 encryption_key=None, timeout=180, keystone=None,
                 config=None, real_driver=False):
        """``keystone``: a started KeystoneHarness to authenticate
        against; ``config``: ``{section: {option: value}}`` written to a
        private (0600) config file the subprocess reads, e.g. ``[trust]``
        options (secrets go there, never on the command line);
        ``real_driver``: the installed drivers instead of the fake one
        (with ``[heat]`` options in ``config``, the real Heat)."""
        super().__init__()
        self.database_url = database_url
        self.transport_url = transport_url
        self.encryption_key = encryption_key
        self.keystone = keystone
        self.config = config or {}
        self.real_driver = real_driver
        self.timeout = timeout
        self.process = None
        self.port = None
        self.endpoint = None
        self._log = b''

    def _setUp(self):
        from magnum_lite.conf import CONF
        from magnum_lite.tests import services

        database_url = self.database_url or CONF.database.connection
        transport_url = self.transport_url or CONF.transport_url
        if not transport_url or transport_url.startswith('fake:'):
            # The in-memory transport does not reach another process.
            transport_url = services.transport_url()
        encryption_key = self.encryption_key or CONF.database.encryption_key

        self.directory = tempfile.mkdtemp(prefix='mlt-api-server-')
        self.addCleanup(self._remove_directory)
        self.log_path = os.path.join(self.directory, 'api-server.log')
        port_file = os.path.join(self.directory, 'port')
        self.topic = f'mlt-api-{services.RUN_ID}-{uuid.uuid4().hex[:12]}'
        self.conductor_host = f'harness-{self.topic[8:]}'
        command = [sys.executable, '-m', _MODULE,
                   '--database-url', database_url,
                   '--transport-url', transport_url,
                   '--topic', self.topic,
                   '--conductor-host', self.conductor_host,
                   '--port-file', port_file]
        if self.real_driver:
            command.append('--real-driver')
        sections = {name: dict(opts) for name, opts in self.config.items()}
        if self.keystone is not None:
            command += ['--auth-strategy', 'keystone']
            sections.setdefault('keystone_authtoken', {}).update(
                self.keystone.authtoken_options())
        if sections:
            command += ['--config-file', self._write_config(sections)]
        env = dict(os.environ)
        env.setdefault('PYTHONWARNINGS', 'ignore::DeprecationWarning')
        if encryption_key:
            # Not on the command line: it is a secret.
            env['MAGNUM_LITE_HARNESS_ENCRYPTION_KEY'] = encryption_key
        self.addDetail('api-server-log', content.Content(
            content.UTF8_TEXT, lambda: [self._read_log()]))
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env)
        self.addCleanup(self._stop)
        self.port = self._wait_for_port(port_file)
        self.endpoint = f'http://127.0.0.1:{self.port}'
        self._wait_for_root()
        if self.keystone is not None:
            self.keystone.set_container_infra_endpoint(self.endpoint + '/v1')

    def _write_config(self, sections):
        path = os.path.join(self.directory, 'extra.conf')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            for section, opts in sections.items():
                f.write(f'[{section}]\n')
                for key, value in opts.items():
                    f.write(f'{key} = {value}\n')
        return path

    def request(self, method, path, body=None, version='latest',
                headers=None):
        """One plain HTTP request to the server (no identity headers: the
        ``[noauth]`` identity applies; behind Keystone pass
        ``headers={'X-Auth-Token': ...}``); returns ``(status, json or
        None)``. For setting up and polling around the client under
        test."""
        all_headers = {'Accept': 'application/json'}
        if version:
            all_headers['OpenStack-API-Version'] = (
                f'container-infra {version}')
        all_headers.update(headers or {})
        response = requests.request(method, self.endpoint + path,
                                    json=body, headers=all_headers,
                                    timeout=30)
        return (response.status_code,
                response.json() if response.content else None)

    def wait_for(self, path, *statuses, timeout=60, headers=None):
        """Poll ``GET path`` until its ``status`` is one of ``statuses``
        (``None``: until it answers 404); returns the last body.
        ``headers``: as for :meth:`request`."""
        deadline = time.monotonic() + timeout
        while True:
            code, body = self.request('GET', path, headers=headers)
            current = None if code == 404 else (body or {}).get('status')
            if current in statuses:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(
                    f'{path} is {current} ({code}), not one of {statuses}')
            time.sleep(0.2)

    def _check_alive(self):
        if self.process.poll() is not None:
            raise RuntimeError(
                f'API server exited with {self.process.returncode}:\n'
                f'{self._read_log().decode(errors="replace")[-4000:]}')

    def _wait_for_port(self, port_file):
        deadline = time.monotonic() + self.timeout
        while True:
            self._check_alive()
            try:
                with open(port_file) as f:
                    return int(f.read())
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError('API server wrote no port in time')
            time.sleep(0.05)

    def _wait_for_root(self):
        deadline = time.monotonic() + self.timeout
        while True:
            self._check_alive()
            try:
                if requests.get(self.endpoint + '/',
                                timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f'{self.endpoint}/ did not answer')
            time.sleep(0.05)

    def _stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._read_log()

    def _read_log(self):
        try:
            with open(self.log_path, 'rb') as f:
                self._log = f.read()
        except OSError:
            pass
        return self._log

    def _remove_directory(self):
        self._read_log()
        for name in os.listdir(self.directory):
            os.remove(os.path.join(self.directory, name))
        os.rmdir(self.directory)


class ServerPerClass:
    """Mixin for a ``base.DbTestCase`` subclass: one :class:`APIServer`
    for all the tests of the class (a start costs seconds of imports),
    as ``self.server``; each test still gets its emptied database from
    ``base.DbTestCase`` and the server's log since the test began as the
    detail ``api-server-log``.

    The server lives only while the class's tests run, so its conductor
    (which syncs every in-progress cluster of the database) never sees
    another test's clusters.
    """

    server = None

    @classmethod
    def server_options(cls):
        """Extra keyword arguments of :class:`APIServer` for the class
        (e.g. ``keystone=``, ``config=``)."""
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from magnum_lite.tests import base
        from magnum_lite.tests import services
        database = base.Database(cls.backend)  # creates and migrates
        database.setUp()
        database.cleanUp()
        server = APIServer(database_url=services.database_url(cls.backend),
                           transport_url=services.transport_url(),
                           encryption_key=base.ENCRYPTION_KEY,
                           **cls.server_options())
        server.setUp()
        cls.server = server

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.cleanUp()
            cls.server = None
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        offset = len(self.server._read_log())
        self.addDetail('api-server-log', content.Content(
            content.UTF8_TEXT,
            lambda: [self.server._read_log()[offset:]]))


# The subprocess.

def _parse(argv):
    parser = argparse.ArgumentParser(prog=f'python -m {_MODULE}')
    parser.add_argument('--database-url', required=True)
    parser.add_argument('--transport-url', required=True)
    parser.add_argument('--encryption-key',
                        default=os.environ.get(
                            'MAGNUM_LITE_HARNESS_ENCRYPTION_KEY'))
    parser.add_argument('--topic',
                        default=f'mlt-api-{uuid.uuid4().hex[:12]}')
    parser.add_argument('--conductor-host',
                        default=f'harness-{os.getpid()}')
    parser.add_argument('--port', type=int, default=0,
                        help='0 (the default): any free port')
    parser.add_argument('--port-file')
    parser.add_argument('--auth-strategy', default='noauth',
                        choices=('noauth', 'keystone'))
    parser.add_argument('--real-driver', action='store_true',
                        help='the installed drivers, not the fake one')
    return parser.parse_known_args(argv)


def _use_fake_driver():
    """What ``base.Driver`` does, for the life of the process."""
    from importlib import metadata
    from unittest import mock

    from magnum_lite.drivers import registry
    fake = metadata.EntryPoint(
        name='k8s_heat', group=registry.GROUP,
        value='magnum_lite.tests.fake_driver:FakeDriver')
    mock.patch('magnum_lite.drivers.registry._entry_points',
               return_value={'k8s_heat': fake}).start()
    registry.get.cache_clear()


def main(argv=None):
    args, oslo_argv = _parse(sys.argv[1:] if argv is None else argv)
    if oslo_argv[:1] == ['--']:
        oslo_argv = oslo_argv[1:]

    from wsgiref import simple_server

    from magnum_lite.cmd import api as api_cmd
    from magnum_lite.common import service
    from magnum_lite.conf import CONF

    service.prepare(oslo_argv)
    CONF.set_override('connection', args.database_url, 'database')
    if args.encryption_key:
        CONF.set_override('encryption_key', args.encryption_key, 'database')
    CONF.set_override('transport_url', args.transport_url)
    CONF.set_override('auth_strategy', args.auth_strategy, 'api')
    CONF.set_override('topic', args.topic, 'conductor')
    CONF.set_override('host', args.conductor_host, 'conductor')
    CONF.set_override('sync_status_interval', 1, 'conductor')
    CONF.set_override('heartbeat_interval', 1, 'conductor')
    if not args.real_driver:
        _use_fake_driver()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()

    from magnum_lite.conductor import service as conductor_service
    conductor = conductor_service.ConductorService()
    conductor.start()

    from magnum_lite.api import app
    # The server of magnum_lite.cmd.api.serve(), made here so that port 0
    # can be bound and the port it got reported without a race.
    server = simple_server.make_server(
        '127.0.0.1', args.port, app.setup_app(),
        server_class=api_cmd._ThreadingServer,
        handler_class=api_cmd._QuietHandler)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True,
                              name='wsgi')
    thread.start()
    if args.port_file:
        partial = args.port_file + '.tmp'
        with open(partial, 'w') as f:
            f.write(str(port))
        os.rename(partial, args.port_file)
    print(f'magnum-lite API listening on http://127.0.0.1:{port} '
          f'(conductor topic {args.topic})', flush=True)

    while not stop.wait(0.5):
        if os.getppid() != parent:
            # The test process died without cleaning up: no orphans.
            break
    started = time.monotonic()
    server.shutdown()
    server.server_close()
    conductor.stop()
    print(f'magnum-lite API server stopped in '
          f'{time.monotonic() - started:.1f}s', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
