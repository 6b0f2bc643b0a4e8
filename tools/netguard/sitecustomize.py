"""The network guard of magnum-lite's tests, benchmarks and main job.

No test, benchmark or demo of this project may send a packet beyond this
machine: everything it talks to listens on the loopback interface. This
module makes that a fact instead of a hope. Python imports it at start-up
(``sitecustomize``) in every interpreter that has this folder on its
``PYTHONPATH``; ``tools/netguard/activate.sh`` puts it there, with
``MAGNUM_LITE_NETGUARD`` naming the run's record folder, for the tests,
the benchmarks and the main job, and every process they start inherits
both: magnum-lite, the real Heat, Keystone and Barbican (under uWSGI too),
the ``openstack`` client, cloud-init and the fake services of the tests.

An audit hook (PEP 578) sees every ``socket.connect`` (``connect_ex``
too), ``socket.sendto`` and ``socket.sendmsg`` with an address. An
Internet address outside 127.0.0.0/8 and ::1, or a host name other than
``localhost``, is refused with ``PermissionError`` (EPERM, as a firewall
would answer) before the system call, and recorded in
``<record>/refused.log``, one JSON line naming the process and the
address. One kind of refusal is recorded apart, in ``<record>/probes.log``,
and does not fail the run: a UDP ``connect`` to the documentation
addresses 192.0.2.0/24 or 2001:db8::/32, which is how oslo.utils'
``get_my_ipv4``/``get_my_ipv6`` (run at import by Nova, Neutron, Octavia...)
ask the kernel for a source address. A UDP connect sends nothing; refused,
it leaves the socket unconnected, so nothing can be sent through it
either, and oslo.utils falls back to reading the interfaces. Unix,
netlink and other local families pass. Each guarded
interpreter adds a line to ``<record>/processes.log``; ``report.py``
reads both and fails the run when anything was refused.

Name look-ups are not refused (a name in /etc/hosts is no packet), but
those of names that are neither ``localhost`` nor an address go to
``<record>/lookups.log`` for the report. Sockets that C libraries open
themselves (libpq, libmysqlclient, uWSGI's own) do not pass through
Python's socket module and are not seen; the configuration gives them
loopback addresses.

Standard library only: it runs in every virtualenv of the project.
"""

import errno
import ipaddress
import json
import os
import socket
import sys

RECORD_ENV = 'MAGNUM_LITE_NETGUARD'
REFUSED = 'refused.log'
PROCESSES = 'processes.log'
LOOKUPS = 'lookups.log'
PROBES = 'probes.log'
# RFC 5737 TEST-NET-1 and RFC 3849: never routed; oslo.utils' probes.
_PROBE_NETS = (ipaddress.ip_network('192.0.2.0/24'),
               ipaddress.ip_network('2001:db8::/32'))

_SENDS = frozenset(('socket.connect', 'socket.sendto', 'socket.sendmsg'))
_INTERNET = (socket.AF_INET, socket.AF_INET6)
_LOCAL_NAMES = frozenset(('localhost', 'localhost.localdomain',
                          'ip6-localhost', 'ip6-loopback'))


def is_local_name(host):
    """Whether ``host`` (a name, not an address) is a name of loopback
    (RFC 6761: ``localhost`` and every name under it)."""
    host = host.lower().rstrip('.')
    return host in _LOCAL_NAMES or host.endswith('.localhost')


def _parse(host):
    """(host as text, its ``ipaddress`` address or None for a name); an
    IPv4-mapped IPv6 address is its IPv4 address."""
    if isinstance(host, bytes):
        host = host.decode('ascii', 'replace')
    try:
        address = ipaddress.ip_address(host.split('%', 1)[0])
    except ValueError:
        return host, None
    return host, getattr(address, 'ipv4_mapped', None) or address


def loopback(host):
    """Whether connecting to ``host`` (an address or a name, as Python's
    socket module accepts it) stays on the loopback interface."""
    host, address = _parse(host)
    if address is None:
        return is_local_name(host)
    return address.is_loopback


def _describe(host, port):
    return f'[{host}]:{port}' if ':' in host else f'{host}:{port}'


def _process():
    try:
        with open('/proc/self/cmdline', 'rb') as f:
            argv = f.read().split(b'\0')
        text = ' '.join(a.decode(errors='replace') for a in argv if a)
        return ' '.join(text.split())[:200]
    except OSError:
        return sys.executable


class Guard:
    """The audit hook and its record (one per interpreter)."""

    def __init__(self, record):
        self.record = record

    def write(self, name, entry):
        """Append one JSON line to ``<record>/<name>``; a missing record
        folder is said on stderr instead, never an error of the caller."""
        line = json.dumps(dict(entry, pid=os.getpid(),
                               process=_process())) + '\n'
        try:
            fd = os.open(os.path.join(self.record, name),
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        except OSError:
            sys.stderr.write(f'netguard: {name}: {line}')

    def __call__(self, event, args):
        if event in _SENDS:
            self._send(event, args)
        elif event == 'socket.getaddrinfo':
            self._lookup(args[0])

    def _send(self, event, args):
        sock, address = args[0], args[-1]
        if sock.family not in _INTERNET or not isinstance(address, tuple):
            return
        if loopback(address[0]):
            return
        host, parsed = _parse(address[0])
        where = _describe(host, address[1])
        probe = (event == 'socket.connect' and parsed is not None
                 and sock.type == socket.SOCK_DGRAM
                 and any(parsed in net for net in _PROBE_NETS
                         if net.version == parsed.version))
        self.write(PROBES if probe else REFUSED,
                   {'event': event, 'address': where})
        raise PermissionError(
            errno.EPERM, f'netguard: {where} is outside 127.0.0.0/8 and '
                         '::1; this run may not send packets there')

    def _lookup(self, host):
        if host is None:
            return
        host, address = _parse(host)
        if address is None and not is_local_name(host):
            self.write(LOOKUPS, {'event': 'socket.getaddrinfo',
                                 'name': host})


def install(record):
    """Guard this interpreter, recording in the folder ``record``."""
    guard = Guard(record)
    guard.write(PROCESSES, {'event': 'start'})
    sys.addaudithook(guard)
    return guard


# Loaded under another name (report.py), it only defines.
if __name__ == 'sitecustomize' and os.environ.get(RECORD_ENV):
    install(os.environ[RECORD_ENV])
