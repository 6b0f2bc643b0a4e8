"""A fake Kubernetes API server over real mutual TLS, for tests.

:class:`FakeKube` serves HTTPS from a thread, on a free port of 127.0.0.1
or on the loopback address and port it is given (``bind``): the simulated
cloud's API addresses are loopback addresses, so a fake can listen where
a cluster's ``api_address`` points and the conductor reaches it unchanged.
Its serving certificate (SANs 127.0.0.1, localhost and ``addresses``) is
signed by ``serving_ca`` (default: ``ca``), and it requires a client
certificate that chains to ``ca`` (``ssl.CERT_REQUIRED``), so a client's
TLS set-up is checked for real. Usage::

    kube = self.useFixture(fake_kube.FakeKube((ca_cert, ca_key)))
    kube.add_node('worker-0', provider_id='openstack:///<server uuid>')
    kube.add_pod('default', 'web-1', 'worker-0', pdb_blocks=1)
    ... kube.url, kube.requests, kube.nodes, kube.pods ...

:func:`for_cluster` is the API of one cluster of the tests: on its
``api_address``, with the CAs stored for it (it follows a CA rotation as
the cluster's API servers would), and nodes that register again after
their Node object is deleted, as a replacement server's kubelet does.

It implements only what ``clients.kubernetes`` uses: ``GET /readyz``
(200 ``ok``, or 500 naming ``failing_check`` when it is set), ``GET
/api/v1/nodes`` (nodes with their ``conditions``, healthy by default),
``GET``, ``PATCH`` (merge patch of ``spec.unschedulable`` and
``metadata.annotations``; ``on_patch``, when set, is called with the
patched :class:`Node`, as a controller watching nodes would act) and
``DELETE`` ``/api/v1/nodes/{name}``,
``GET /api/v1/pods?fieldSelector=spec.nodeName=X`` and ``POST
/api/v1/namespaces/{ns}/pods/{name}/eviction``, which deletes the pod, or
answers 429 while the pod's ``pdb_blocks`` counter is above zero (one
less each time). Errors are Kubernetes ``Status`` objects.

State: ``nodes`` (name -> :class:`Node`), ``pods`` ((namespace, name) ->
:class:`Pod`); ``requests``, every request as :class:`Request` (with the
client certificate's CN and O); ``deleted_nodes``, the names of the Node
objects deleted, in order; ``handshake_errors``, the TLS handshakes that
failed (text of the error).
"""

import dataclasses
import datetime
import http.server
import ipaddress
import json
import logging
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
# The conditions a healthy node reports.
HEALTHY_CONDITIONS = {'Ready': 'True', 'MemoryPressure': 'False',
                      'DiskPressure': 'False', 'PIDPressure': 'False',
                      'NetworkUnavailable': 'False'}


@dataclasses.dataclass
class Node:
    name: str
    provider_id: str = None
    unschedulable: bool = False
    created_at: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC))
    # {condition type: 'True' | 'False' | 'Unknown'}; tests change them.
    conditions: dict = dataclasses.field(
        default_factory=lambda: dict(HEALTHY_CONDITIONS))
    annotations: dict = dataclasses.field(default_factory=dict)

    def to_json(self):
        spec = {'unschedulable': self.unschedulable} \
            if self.unschedulable else {}
        if self.provider_id:
            spec['providerID'] = self.provider_id
        stamp = self.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')
        conditions = [{'type': kind, 'status': status,
                       'lastTransitionTime': stamp}
                      for kind, status in self.conditions.items()]
        return {'kind': 'Node', 'apiVersion': 'v1',
                'metadata': {'name': self.name, 'creationTimestamp': stamp,
                             'annotations': dict(self.annotations)},
                'spec': spec, 'status': {'conditions': conditions}}


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
    ``addresses`` (IP strings), signed by the CA (the first certificate of
    ``ca_cert_pem``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    # A bundle's first certificate signs.
    ca_cert = x509.load_pem_x509_certificates(ca_cert_pem.encode())[0]
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
            self.request = self.server.kube.tls_context().wrap_socket(
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
        text = isinstance(body, str)
        data = body.encode() if text else json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type',
                         'text/plain' if text else 'application/json')
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
    ``serving_ca`` are (certificate PEM, key PEM), or callables that
    return them, asked at each TLS handshake; a certificate PEM may be a
    bundle, whose first certificate signs and all of which are trusted.
    ``bind``: the (loopback address, port) to listen on. ``reregister``:
    a deleted Node comes back at once, fresh, as the kubelet of a
    replacement server that keeps the name registers it."""

    def __init__(self, ca, serving_ca=None, addresses=(),
                 bind=('127.0.0.1', 0), reregister=False):
        super().__init__()
        self.ca = ca
        self.serving_ca = serving_ca or ca
        self.addresses = tuple(addresses)
        self.bind = bind
        self.reregister = reregister
        self.nodes = {}
        self.pods = {}
        self.requests = []
        self.deleted_nodes = []
        self.handshake_errors = []
        # The conditions a node registered again (``reregister``) reports:
        # a test scripts a replacement that is not Ready at once.
        self.rejoin_conditions = dict(HEALTHY_CONDITIONS)
        # /readyz: None answers 200 "ok"; a check name fails it (500).
        self.failing_check = None
        self.on_patch = None
        self.url = None
        self._lock = threading.Lock()
        self._contexts = {}

    def _setUp(self):
        self._files = self.useFixture(fixtures.TempDir()).path
        self.tls_context()      # a bad CA fails here, not in a handshake
        server = _Server(self.bind, _Handler)
        server.kube = self
        # A short poll: shutdown() waits for it, once per test.
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        host, self.port = server.server_address[:2]
        self.url = f'https://{host}:{self.port}'

    def tls_context(self):
        """The server's TLS context for the CAs of the moment (one per
        set of CAs: a rotation changes them)."""
        ca = self.ca() if callable(self.ca) else self.ca
        serving = self.serving_ca() if callable(self.serving_ca) \
            else self.serving_ca
        with self._lock:
            context = self._contexts.get((ca, serving))
            if context is None:
                context = self._contexts[(ca, serving)] = \
                    self._new_context(ca, serving, len(self._contexts))
            return context

    def _new_context(self, ca, serving, index):
        cert_file = os.path.join(self._files, f'serving-{index}.crt')
        key_file = os.path.join(self._files, f'serving-{index}.key')
        cert, key = serving_certificate(*serving, self.addresses)
        for path, text in ((cert_file, cert), (key_file, key)):
            with open(path, 'w') as out:
                out.write(text)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert_file, key_file)
        tls.verify_mode = ssl.CERT_REQUIRED
        tls.load_verify_locations(cadata=ca[0])
        return tls

    def add_node(self, name, provider_id=None, **fields):
        """Add a node (more fields of :class:`Node`); returns it."""
        self.nodes[name] = Node(name, provider_id, **fields)
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
        if (method, path) == ('GET', '/readyz'):
            return self._readyz()
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

    def _readyz(self):
        if self.failing_check is None:
            return 200, 'ok'
        return 500, (f'[+]ping ok\n[-]{self.failing_check} failed: '
                     'reason withheld\nreadyz check failed\n')

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
            meta = (request.body or {}).get('metadata', {})
            for key, value in (meta.get('annotations') or {}).items():
                if value is None:
                    node.annotations.pop(key, None)
                else:
                    node.annotations[key] = value
            if self.on_patch is not None:
                self.on_patch(node)
        return 200, node.to_json()

    def _delete_node(self, name):
        node = self.nodes.pop(name, None)
        if node is None:
            return _status(404, 'NotFound', f'nodes "{name}" not found')
        self.deleted_nodes.append(name)
        if self.reregister:
            self.nodes[name] = Node(
                name, conditions=dict(self.rejoin_conditions))
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


def for_cluster(cluster_uuid, api_address, nodes=()):
    """A :class:`FakeKube` fixture as the Kubernetes API of a cluster of
    the tests: listening on the host and port of its ``api_address`` (a
    loopback address of the simulated cloud), serving and trusting the
    Kubernetes CAs stored for the cluster, as they are at each handshake
    (the signing CA's certificate first, every trusted CA accepted), with
    ``nodes`` registered and registering again when deleted."""
    from magnum_lite.conductor import certificates
    from magnum_lite.drivers.heat import bootstrap

    def cluster_ca():
        values = bootstrap.values(certificates.stored(cluster_uuid))
        return values['ca_cert'], values['ca_key']

    url = urllib.parse.urlsplit(api_address)
    # Port 0: a free port (``kube.url`` then says which).
    port = 443 if url.port is None else url.port
    kube = FakeKube(cluster_ca, addresses=[url.hostname],
                    bind=(url.hostname, port), reregister=True)
    # Registered while the cluster was built, before any operation the
    # test starts (Kubernetes time stamps have whole seconds).
    built = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
        minutes=1)
    for name in nodes:
        kube.add_node(name, created_at=built)
    return kube


class NoUndrainedNodes(fixtures.Fixture):
    """Fails the test, at its end, if the conductor replaced a node
    without draining it (the Kubernetes API could not be reached): a test
    that drains serves the cluster's API with :func:`for_cluster`. An API
    that does not answer is given up on after 1 s, so such a test fails
    at once rather than after ``unreachable_timeout`` per node."""

    def _setUp(self):
        from magnum_lite.conf import CONF
        CONF.set_override('unreachable_timeout', 1, 'kubernetes')
        self.addCleanup(CONF.clear_override, 'unreachable_timeout',
                        'kubernetes')
        self.log = self.useFixture(fixtures.FakeLogger(
            name='magnum_lite.drivers.heat.drains', level=logging.DEBUG))
        self.addCleanup(self._check)

    def _check(self):
        undrained = [line for line in self.log.output.splitlines()
                     if 'undrained' in line]
        if undrained:
            raise AssertionError('nodes replaced undrained:\n' +
                                 '\n'.join(undrained))
