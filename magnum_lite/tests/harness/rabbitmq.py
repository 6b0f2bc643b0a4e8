"""A RabbitMQ node of a test's own (Debian's rabbitmq-server), on a free
port of 127.0.0.1, that the test may stop and start: the machine's
shared broker (tools/ensure-services) serves every other test at once
and must never be restarted by one.

    broker = self.useFixture(rabbitmq.PrivateRabbit())
    ... transport_url = broker.url ...
    broker.stop()     # the outage
    broker.start()    # same port, same data (users, durable queues)
"""

import os
import shutil
import subprocess
import tempfile
import time
import uuid

from magnum_lite.tests.harness import keystone

try:
    import fixtures
    _Base = fixtures.Fixture
except ImportError:  # pragma: no cover - fixtures is a test requirement
    _Base = object

free_port = keystone.keystonectl.local.free_port
BIN = '/usr/lib/rabbitmq/bin'
# Debian's scripts run the node as this user; its home has the cookie the
# CLI tools need.
USER = 'rabbitmq'
HOME = '/var/lib/rabbitmq'


class PrivateRabbit(_Base):
    """One RabbitMQ node; ``url`` is its oslo.messaging transport URL."""

    def __init__(self, start_timeout=90):
        if _Base is not object:
            super().__init__()
        self.start_timeout = start_timeout
        self.node = f'mlt{uuid.uuid4().hex[:10]}@localhost'
        self.port = None
        self.state_dir = None

    @property
    def url(self):
        return f'rabbit://guest:guest@127.0.0.1:{self.port}/'

    def _run(self, script, args, **kwargs):
        # su keeps the argument list as one shell command line: only our
        # own paths and names are in it.
        command = f'cd {self.state_dir} && HOME={HOME} ' + ' '.join(
            f'{k}={v}' for k, v in self._env().items()) + \
            f' {BIN}/{script} ' + ' '.join(args)
        return subprocess.run(['su', USER, '-s', '/bin/sh', '-c', command],
                              capture_output=True, text=True, **kwargs)

    def _env(self):
        d = self.state_dir
        return {'RABBITMQ_NODENAME': self.node,
                'RABBITMQ_CONFIG_FILE': f'{d}/rabbitmq.conf',
                'RABBITMQ_DIST_PORT': str(self.dist_port),
                'RABBITMQ_MNESIA_BASE': f'{d}/mnesia',
                'RABBITMQ_LOG_BASE': f'{d}/log',
                'RABBITMQ_ENABLED_PLUGINS_FILE': f'{d}/plugins',
                'RABBITMQ_PID_FILE': f'{d}/pid'}

    def start(self):
        """Start the node (again: same port and data after a stop)."""
        if shutil.which('rabbitmqctl') is None:
            raise RuntimeError('rabbitmq-server is not installed')
        if self.state_dir is None:
            self.state_dir = tempfile.mkdtemp(prefix='mlt-rabbit.')
            self.port, self.dist_port = free_port(), free_port()
            with open(os.path.join(self.state_dir, 'rabbitmq.conf'),
                      'w') as f:
                f.write(f'listeners.tcp.1 = 127.0.0.1:{self.port}\n')
            shutil.chown(self.state_dir, USER)
        self._run('rabbitmq-server', ['-detached'], check=True)
        deadline = time.monotonic() + self.start_timeout
        while self._run('rabbitmqctl', ['-n', self.node, '-q',
                                        'await_startup']).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f'RabbitMQ node {self.node} did not '
                                   'start')
            time.sleep(0.5)

    def stop(self):
        """Stop the node; its data stays for the next :meth:`start`."""
        if self.state_dir is not None:
            self._run('rabbitmqctl', ['-n', self.node, 'stop'])

    def _setUp(self):
        self.start()
        self.addCleanup(self._remove)

    def _remove(self):
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)
