"""A fake Kubernetes API server over real mutual TLS, for tests.

:class:`FakeKube` serves HTTPS on a free port of 127.0.0.1 from a thread.
Its serving certificate (SANs 127.0.0.1 and localhost) is signed by
``serving_ca`` (default: ``ca``), and it requires a client certificate
that chains to ``ca`` (``ssl.CERT_REQUIRED``), so a client's TLS set-up is
checked for real. Usage::

    kube = self.useFixture(fake_kube.FakeKube((ca_cert, ca_key)))
    kube.add_node('worker-0', provider_id='openstack:///<server uuid>')
    kube.add_pod('default', 'web-1', 'worker-0', pdb_blocks=1)
    ... kube.url, kube.requests, kube.nodes, kube.pods ...

It implements only what ``common.kubernetes`` uses: ``GET /api/v1/nodes``,
``GET``, ``PATCH`` (merge patch) and ``DELETE`` ``/api/v1/nodes/{name}``,
``GET /api/v1/pods?fieldSelector=spec.nodeName=X`` and ``POST
/api/v1/namespaces/{ns}/pods/{name}/eviction``, which deletes the pod, or
answers 429 while the pod's ``pdb_blocks`` counter is above zero (one
less each time). Errors are Kubernetes ``Status`` objects.

State: ``nodes`` (name -> :class:`Node`), ``pods`` ((namespace, name) ->
:class:`Pod`); ``requests``, every request as :class:`Request` (with the
client certificate's CN and O); ``handshake_errors``, the TLS
handshakes that failed (text of the error).
"""

import dataclasses
import datetime
import http.server
import ipaddress
import json
import os
import re
import ssl
import threading
import urllib.parse

import fixtures
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

_EVICTION = re.compile(
    r'^/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction$')
_NODE = re.compile(r'^/api/v1/nodes/([^/]+)$')


@dataclasses.dataclass
class Node:
    name: str
    provider_id: str = None
    unschedulable: bool = False

    def to_json(self):
        spec = {'unschedulable': self.unschedulable} \
            if self.unschedulable else {}
        if self.provider_id:
            spec['providerID'] = self.provider_id
        return {'kind': 'Node', 'apiVersion': 'v1',
                'metadata': {'name': self.name}, 'spec': spec}


@dataclasses.dataclass
class Pod:
    namespace: str
    name: str
    node_name: str
    owner_kind: str = None
    annotations: dict = dataclasses.field(default_factory=dict)
    pdb_blocks: int = 0
    terminating: bool = False

    def to_json(self):
        meta = {'name': self.name, 'namespace': self.namespace,
                'annotations': dict(self.annotations)}
        if self.owner_kind:
            meta['ownerReferences'] = [{
                'apiVersion': 'apps/v1', 'kind': self.owner_kind,
                'name': f'{self.name}-owner', 'controller': True}]
        if self.terminating:
            meta['deletionTimestamp'] = '2026-01-01T00:00:00Z'
        return {'kind': 'Pod', 'apiVersion': 'v1', 'metadata': meta,
                'spec': {'nodeName': self.node_name}}


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict
    content_type: str
    body: object
    common_name: str
    organizations: tuple
    at: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC))


def _status(code, reason, message):
    return code, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                  'status': 'Failure', 'message': message,
                  'reason': reason, 'code': code}


def _list(kind, items):
    return 200, {'kind': kind, 'apiVersion': 'v1',
                 'metadata': {'resourceVersion': '1'},
                 'items': [item.to_json() for item in items]}


def serving_certificate(ca_cert_pem, ca_key_pem, addresses=()):
    """(certificate PEM, key PEM) for 127.0.0.1/localhost and
    ``addresses`` (IP strings), signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), None)
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, 'kube-apiserver')]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address('127.0.0.1')),
                x509.DNSName('localhost')] + [
                x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key_pem.decode())


def _subject(peer_cert):
    """(CN, (O, ...)) of ``SSLSocket.getpeercert()``."""
    subject = (peer_cert or {}).get('subject', ())
    names = [pair for rdn in subject for pair in rdn]
    common = [value for key, value in names if key == 'commonName']
    orgs = tuple(value for key, value in names
                 if key == 'organizationName')
    return (common[0] if common else None), orgs


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    timeout = 10
    # Headers and body are two writes; with Nagle each answer would wait
    # for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def setup(self):
        # The handshake happens here, in this connection's thread, so a
        # client that fails it cannot stall the accepting thread.
        try:
            self.request = self.server.tls.wrap_socket(
                self.request, server_side=True)
        except (ssl.SSLError, OSError) as err:
            self.server.kube.handshake_errors.append(str(err))
            raise
        super().setup()

    def log_message(self, *args):
        pass

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        url = urllib.parse.urlsplit(self.path)
        common_name, orgs = _subject(self.connection.getpeercert())
        request = Request(
            self.command, url.path, urllib.parse.parse_qs(url.query),
            self.headers.get('Content-Type'),
            json.loads(raw) if raw else None, common_name, orgs)
        code, body = self.server.kube.answer(request)
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PATCH = do_POST = do_DELETE = _serve


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # failed handshakes are recorded, not printed


class FakeKube(fixtures.Fixture):
    """A fake Kubernetes API (see the module docstring). ``ca`` and
    ``serving_ca`` are (certificate PEM, key PEM)."""

    def __init__(self, ca, serving_ca=None, addresses=()):
        super().__init__()
        self.ca = ca
        self.serving_ca = serving_ca or ca
        self.addresses = tuple(addresses)
        self.nodes = {}
        self.pods = {}
        self.requests = []
        self.deleted_nodes = []
        self.handshake_errors = []
        self.url = None
        self._lock = threading.Lock()

    def _setUp(self):
        files = self.useFixture(fixtures.TempDir()).path
        cert_file = os.path.join(files, 'serving.crt')
        key_file = os.path.join(files, 'serving.key')
        cert, key = serving_certificate(*self.serving_ca, self.addresses)
        for path, text in ((cert_file, cert), (key_file, key)):
            with open(path, 'w') as out:
                out.write(text)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert_file, key_file)
        tls.verify_mode = ssl.CERT_REQUIRED
        tls.load_verify_locations(cadata=self.ca[0])
        server = _Server(('127.0.0.1', 0), _Handler)
        server.tls = tls
        server.kube = self
        # A short poll: shutdown() waits for it, once per test.
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.port = server.server_address[1]
        self.url = f'https://127.0.0.1:{self.port}'

    def add_node(self, name, provider_id=None):
        """Add a node; returns it."""
        self.nodes[name] = Node(name, provider_id)
        return self.nodes[name]

    def add_pod(self, namespace, name, node_name, **fields):
        """Add a pod (fields of :class:`Pod`); returns it."""
        pod = Pod(namespace, name, node_name, **fields)
        self.pods[(namespace, name)] = pod
        return pod

    def calls(self, method=None):
        """``'METHOD path'`` of the requests so far (of one method)."""
        return [f'{r.method} {r.path}' for r in self.requests
                if method in (None, r.method)]

    def answer(self, request):
        """(status, JSON body) for a request; records it."""
        with self._lock:
            self.requests.append(request)
            return self._route(request)

    def _route(self, request):
        method, path = request.method, request.path
        if (method, path) == ('GET', '/api/v1/nodes'):
            return _list('NodeList', self.nodes.values())
        if (method, path) == ('GET', '/api/v1/pods'):
            return self._pods(request.query)
        node = _NODE.match(path)
        if node and method in ('GET', 'PATCH'):
            return self._node(request, node.group(1))
        if node and method == 'DELETE':
            return self._delete_node(node.group(1))
        eviction = _EVICTION.match(path)
        if eviction and method == 'POST':
            return self._evict(request, *eviction.groups())
        return _status(404, 'NotFound', f'{method} {path}: not served')

    def _pods(self, query):
        selector = query.get('fieldSelector', [''])[0]
        if not selector.startswith('spec.nodeName='):
            return _status(400, 'BadRequest', 'only spec.nodeName= served')
        name = selector.split('=', 1)[1]
        return _list('PodList', [pod for pod in self.pods.values()
                                 if pod.node_name == name])

    def _node(self, request, name):
        node = self.nodes.get(name)
        if node is None:
            return _status(404, 'NotFound', f'nodes "{name}" not found')
        if request.method == 'PATCH':
            if request.content_type != 'application/merge-patch+json':
                return _status(415, 'UnsupportedMediaType',
                               f'{request.content_type} not served')
            spec = (request.body or {}).get('spec', {})
            if 'unschedulable' in spec:
                node.unschedulable = bool(spec['unschedulable'])
        return 200, node.to_json()

    def _delete_node(self, name):
        node = self.nodes.pop(name, None)
        if node is None:
            return _status(404, 'NotFound', f'nodes "{name}" not found')
        self.deleted_nodes.append(name)
        return 200, node.to_json()

    def _evict(self, request, namespace, name):
        body = request.body or {}
        if (body.get('kind'), body.get('apiVersion')) != (
                'Eviction', 'policy/v1'):
            return _status(400, 'BadRequest', 'not a policy/v1 Eviction')
        pod = self.pods.get((namespace, name))
        if pod is None:
            return _status(404, 'NotFound', f'pods "{name}" not found')
        if pod.pdb_blocks > 0:
            pod.pdb_blocks -= 1
            return _status(429, 'TooManyRequests',
                           'Cannot evict pod as it would violate the '
                           "pod's disruption budget.")
        del self.pods[(namespace, name)]
        return 201, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                     'status': 'Success', 'code': 201}
