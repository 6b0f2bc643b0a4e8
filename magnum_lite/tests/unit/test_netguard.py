"""The network guard of the tests (tools/netguard): a guarded process may
reach loopback and nothing else, and what it was refused is recorded."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import fixtures
import testtools

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
GUARD = os.path.join(REPO, 'tools', 'netguard')
sys.path.insert(0, GUARD)
import report  # noqa: E402

netguard = report.guard

# Connects to the address given, prints what happened as JSON.
CONNECT = textwrap.dedent('''
    import json, socket, sys
    host, port = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    kind = socket.SOCK_DGRAM if sys.argv[3:] == ['udp'] else socket.SOCK_STREAM
    with socket.socket(family, kind) as s:
        s.settimeout(5)
        try:
            s.connect((host, port))
            print(json.dumps({'connected': True}))
        except OSError as err:
            print(json.dumps({'connected': False, 'errno': err.errno,
                              'error': str(err)}))
''')


class GuardedProcessTest(testtools.TestCase):
    """A Python process started as the tests start theirs: the guard on
    its PYTHONPATH, a record folder of this test's own (so that what it
    is refused does not fail the whole run)."""

    def setUp(self):
        super().setUp()
        self.record = self.useFixture(fixtures.TempDir()).path

    def connect(self, host, port, udp=False):
        env = dict(os.environ, PYTHONPATH=GUARD,
                   MAGNUM_LITE_NETGUARD=self.record)
        out = subprocess.run([sys.executable, '-c', CONNECT, host, str(port)]
                             + (['udp'] if udp else []),
                             env=env, capture_output=True, text=True,
                             timeout=30, check=True).stdout
        return json.loads(out)

    def listener(self, host):
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.bind((host, 0))
        sock.listen(1)
        return sock.getsockname()[1]

    def test_outside_loopback_is_refused_and_recorded(self):
        result = self.connect('10.0.0.5', 6443)
        self.assertEqual({'connected': False, 'errno': 1}, {
            k: result[k] for k in ('connected', 'errno')})
        self.assertIn('netguard: 10.0.0.5:6443', result['error'])
        [entry] = report.read(self.record, netguard.REFUSED)
        self.assertEqual(('socket.connect', '10.0.0.5:6443'),
                         (entry['event'], entry['address']))
        self.assertIn('-c', entry['process'])
        lines, status = report.summary(self.record)
        self.assertEqual(1, status)
        self.assertIn('REFUSED socket.connect to 10.0.0.5:6443', lines[-1])

    def test_loopback_is_allowed(self):
        port = self.listener('127.0.0.1')
        self.assertEqual({'connected': True}, self.connect('127.0.0.1', port))
        # Any address of 127.0.0.0/8 is this machine's loopback.
        port = self.listener('127.24.9.7')
        self.assertEqual({'connected': True},
                         self.connect('127.24.9.7', port))
        port = self.listener('127.0.0.1')
        self.assertEqual({'connected': True}, self.connect('localhost', port))
        self.assertEqual([], report.read(self.record, netguard.REFUSED))
        self.assertEqual(3, len(report.read(self.record, netguard.PROCESSES)))
        self.assertEqual(0, report.summary(self.record)[1])

    def test_source_address_probes_are_refused_without_failing(self):
        # oslo.utils' get_my_ipv4/get_my_ipv6: a UDP connect to a
        # documentation address, to read the socket's source address.
        for host in ('192.0.2.0', '2001:db8::1'):
            result = self.connect(host, 80, udp=True)
            self.assertEqual((False, 1), (result['connected'],
                                          result['errno']))
        self.assertEqual(['192.0.2.0:80', '[2001:db8::1]:80'], [
            e['address'] for e in report.read(self.record, netguard.PROBES)])
        self.assertEqual([], report.read(self.record, netguard.REFUSED))
        lines, status = report.summary(self.record)
        self.assertEqual(0, status)
        self.assertIn('source-address probes refused', lines[1])
        # Anything else stays a failing refusal: TCP to a documentation
        # address, UDP to any other address.
        self.connect('192.0.2.0', 80)
        self.connect('8.8.8.8', 53, udp=True)
        self.assertEqual(['192.0.2.0:80', '8.8.8.8:53'], [
            e['address'] for e in report.read(self.record, netguard.REFUSED)])
        self.assertEqual(1, report.summary(self.record)[1])

    def test_a_run_that_guarded_nothing_fails(self):
        lines, status = report.summary(self.record)
        self.assertEqual(1, status)
        self.assertIn('no process was guarded', lines[-1])


class LoopbackTest(testtools.TestCase):

    def test_addresses_and_names(self):
        for host in ('127.0.0.1', '127.24.3.4', '::1', '::ffff:127.0.0.1',
                     'localhost', 'LOCALHOST.', 'api.localhost', b'127.0.0.5'):
            self.assertTrue(netguard.loopback(host), host)
        for host in ('10.0.0.5', '172.24.59.60', '192.168.1.1', '8.8.8.8',
                     '0.0.0.0', '::',  # noqa: S104 'fe80::1%eth0', '::ffff:10.0.0.1',
                     'example.com', 'localhost.example.com', ''):
            self.assertFalse(netguard.loopback(host), host)
