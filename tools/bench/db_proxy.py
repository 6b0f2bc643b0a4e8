"""A TCP proxy in front of MariaDB that counts round trips.

Every command a MySQL-protocol client sends (a query, a ping, a
ROLLBACK, a prepared statement's execute...) starts a new exchange: its
first packet carries sequence number 0, and the client waits for the
server's answer before it sends the next one. Counting client packets
with sequence number 0 counts the round trips, whatever the driver
(PyMySQL or mysqlclient) and whether SQLAlchemy saw them or not.
"""

import socket
import threading


class CountingProxy:
    """Listen on 127.0.0.1:``port`` (0: any free port), forward to
    ``target``; :attr:`commands` is the number of commands so far."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.commands = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(('127.0.0.1', 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self._closed = True
        self._listener.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=30)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            threading.Thread(target=_pump, args=(client, server,
                                                 _Commands(self).seen),
                             daemon=True).start()
            threading.Thread(target=_pump, args=(server, client),
                             daemon=True).start()

    def add(self, count):
        with self._lock:
            self.commands += count


class _Commands:
    """Finds the packets of one client connection's byte stream and
    counts those that start a command."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.pending = b''

    def seen(self, data):
        self.pending += data
        counted = 0
        # Whole packets: 3-byte little-endian length, 1-byte sequence
        # number, payload.
        while len(self.pending) >= 4:
            length = int.from_bytes(self.pending[:3], 'little')
            if len(self.pending) < 4 + length:
                break
            if self.pending[3] == 0:
                counted += 1
            self.pending = self.pending[4 + length:]
        if counted:
            self.proxy.add(counted)


def _pump(source, sink, seen=None):
    """Copy ``source`` to ``sink`` until either closes; ``seen(data)``
    is shown each chunk first."""
    while True:
        try:
            data = source.recv(1 << 16)
        except OSError:
            data = b''
        if not data:
            break
        if seen is not None:
            seen(data)
        try:
            sink.sendall(data)
        except OSError:
            break
    _close(source, sink)


def _close(*sockets):
    for s in sockets:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
