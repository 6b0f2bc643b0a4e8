"""A real memcached (Debian's ``memcached`` binary) on a free port of
127.0.0.1, for tests of keystonemiddleware's token cache.

``tools/ensure-services`` installs the package; it is not started as a
service: each user starts its own, e.g. once per test class::

    cache = memcached.Memcached()
    cache.start()
    ... '[keystone_authtoken] memcached_servers': cache.server ...
    cache.stats()['curr_items']
    cache.stop()

or as a fixture (``self.useFixture(memcached.Memcached())``).
"""

import shutil
import socket
import subprocess
import time

from magnum_lite.tests.harness import keystone

try:
    import fixtures
    _Base = fixtures.Fixture
except ImportError:  # pragma: no cover - fixtures is a test requirement
    _Base = object

free_port = keystone.keystonectl.local.free_port


class Memcached(_Base):
    """One memcached process; ``server`` is its ``127.0.0.1:PORT``."""

    def __init__(self, memory_mb=16, start_timeout=20):
        if _Base is not object:
            super().__init__()
        self.memory_mb = memory_mb
        self.start_timeout = start_timeout
        self.process = None
        self.port = None

    @property
    def server(self):
        """The ``host:port`` keystonemiddleware's ``memcached_servers``
        takes."""
        return f'127.0.0.1:{self.port}'

    def start(self):
        binary = shutil.which('memcached')
        if binary is None:
            raise RuntimeError('memcached is not installed: run '
                               'tools/ensure-services')
        self.port = free_port()
        # -u root: memcached refuses to run as root without it.
        self.process = subprocess.Popen(
            [binary, '-u', 'root', '-l', '127.0.0.1',
             '-p', str(self.port), '-U', '0', '-m', str(self.memory_mb)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=keystone._die_with_parent)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError('memcached exited: %s' %
                                   self.process.stderr.read().decode())
            try:
                self.stats()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stderr.close()
        self.process = None

    def _setUp(self):
        self.start()
        self.addCleanup(self.stop)

    def stats(self):
        """memcached's general ``stats`` as ``{name: int or str}``
        (``curr_items``, ``get_hits``, ``get_misses``, ``cmd_set``...)."""
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=5) as sock:
            sock.sendall(b'stats\r\n')
            data = b''
            while not data.endswith(b'END\r\n'):
                chunk = sock.recv(65536)
                if not chunk:
                    raise OSError('memcached closed the connection')
                data += chunk
        stats = {}
        for line in data.decode().splitlines():
            parts = line.split(' ', 2)
            if parts[0] == 'STAT':
                value = parts[2]
                stats[parts[1]] = int(value) if value.isdigit() else value
        return stats
