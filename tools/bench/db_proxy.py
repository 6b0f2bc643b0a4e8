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
            threading.Thread(target=self._client_to_server,
                             args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client),
                             daemon=True).start()

    def _client_to_server(self, client, server):
        pending = b''
        counted = 0
        while True:
            try:
                data = client.recv(1 << 16)
            except OSError:
                data = b''
            if not data:
                break
            pending += data
            # Walk whole packets: 3-byte little-endian length, 1-byte
            # sequence number, payload.
            while len(pending) >= 4:
                length = int.from_bytes(pending[:3], 'little')
                if len(pending) < 4 + length:
                    break
                if pending[3] == 0:
                    counted += 1
                pending = pending[4 + length:]
            if counted:
                with self._lock:
                    self.commands += counted
                counted = 0
            try:
                server.sendall(data)
            except OSError:
                break
        _close(client, server)

    @staticmethod
    def _pump(source, sink):
        while True:
            try:
                data = source.recv(1 << 16)
            except OSError:
                data = b''
            if not data:
                break
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
