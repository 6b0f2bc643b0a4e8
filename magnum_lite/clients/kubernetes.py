"""A small client of a cluster's Kubernetes API: find a node, drain it,
read its readiness for the health checks.

The conductor drains a node before Heat replaces its server (rolling
upgrades and credential rotations; drivers/heat/drains.py). It
authenticates with mutual TLS: a client certificate it issues itself
from the cluster's Kubernetes CA, for user
``magnum-lite-conductor`` in group ``kubeadm:cluster-admins`` (kubeadm
1.29 and later bind that group to cluster-admin; unlike
``system:masters`` the binding can be removed, so the conductor's access
can be revoked). The certificate lives an hour and is cached in memory
per cluster; the CA key is loaded only to issue a new one.

The server is verified against the cluster CA only. The CA and the
client certificate and key are handed to ``requests`` as files in a
private temporary directory (0700, files 0600) that lives as long as the
:class:`Client` and is removed by ``close()``.

:meth:`Client.drain` is one non-blocking pass (cordon, evict), meant to
be called again by a periodic poll until it answers ``done``. A drain
that cannot finish by its deadline gives up, so a stuck pod or an
unreachable API never blocks an upgrade forever.
"""

import collections
import dataclasses
import datetime
import hashlib
import logging
import os
import tempfile
import threading

import requests

from magnum_lite.common import exception
from magnum_lite.common import x509
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)

CLIENT_COMMON_NAME = 'magnum-lite-conductor'
CLIENT_ORGANIZATIONS = ('kubeadm:cluster-admins',)
CLIENT_LIFETIME = datetime.timedelta(hours=1)
# Re-issue this long before expiry, so a certificate never runs out in
# the middle of a drain pass.
RENEW_BEFORE = datetime.timedelta(minutes=15)

MIRROR_ANNOTATION = 'kubernetes.io/config.mirror'
_MERGE_PATCH = 'application/merge-patch+json'

_Issued = collections.namedtuple('_Issued', 'ca_digest cert key expires_at')
_ISSUED = {}
_ISSUED_LOCK = threading.Lock()


def _now():
    return datetime.datetime.now(datetime.UTC)


def _aware(moment):
    """Naive datetimes (as the database returns them) are UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment


def client_credentials(cluster_uuid, ca_cert_pem, load_ca_key, now=None):
    """(certificate PEM, key PEM) of the conductor's client certificate
    for a cluster: the cached one, or a new one when none is cached, the
    CA changed, or less than ``RENEW_BEFORE`` of it is left.

    ``load_ca_key`` is called without arguments, only when a certificate
    is issued, and returns the CA's private key PEM.
    """
    now = _aware(now or _now())
    ca_digest = hashlib.sha256(ca_cert_pem.encode()).hexdigest()
    with _ISSUED_LOCK:
        issued = _ISSUED.get(cluster_uuid)
        if (issued is None or issued.ca_digest != ca_digest
                or issued.expires_at - RENEW_BEFORE <= now):
            cert, key = x509.issue_client_certificate(
                ca_cert_pem, load_ca_key(), CLIENT_COMMON_NAME,
                CLIENT_ORGANIZATIONS, CLIENT_LIFETIME)
            issued = _Issued(ca_digest, cert, key, now + CLIENT_LIFETIME)
            _ISSUED[cluster_uuid] = issued
            LOG.debug('Issued a Kubernetes client certificate for cluster '
                      '%s, valid until %s', cluster_uuid,
                      issued.expires_at.isoformat())
    return issued.cert, issued.key


def forget_credentials(cluster_uuid=None):
    """Drop the cached client certificate of a cluster (of every cluster
    when ``cluster_uuid`` is None), e.g. once the cluster is deleted."""
    with _ISSUED_LOCK:
        if cluster_uuid is None:
            _ISSUED.clear()
        else:
            _ISSUED.pop(cluster_uuid, None)


def drain_deadline(started_at):
    """When a drain begun at ``started_at`` must give up: ``started_at``
    plus ``[kubernetes] drain_timeout``; None when draining is disabled
    (``drain_timeout = 0``)."""
    if not CONF.kubernetes.drain_timeout:
        return None
    return _aware(started_at) + datetime.timedelta(
        seconds=CONF.kubernetes.drain_timeout)


def reach_deadline(started_at):
    """When trying, since ``started_at``, to reach an API that does not
    answer at all must stop: ``[kubernetes] unreachable_timeout`` later,
    at most ``drain_timeout``. A conductor without a route to a cluster
    would otherwise spend the whole drain timeout on every node."""
    seconds = min(CONF.kubernetes.unreachable_timeout,
                  CONF.kubernetes.drain_timeout)
    return _aware(started_at) + datetime.timedelta(seconds=seconds)


def passed(deadline):
    """Whether ``deadline`` (naive datetimes are UTC) is past."""
    return _now() >= _aware(deadline)


@dataclasses.dataclass(frozen=True)
class DrainResult:
    """The outcome of one drain pass.

    ``done``: the caller may delete the server. ``gave_up``: done only
    because the deadline passed; ``pods_left`` (``namespace/name``) names
    the pods still on the node, ``reason`` says why. ``evicted`` and
    ``blocked`` count this pass's evictions accepted and refused (a
    PodDisruptionBudget; tried again next pass); ``remaining`` counts the
    pods still to leave apart from those just evicted.
    """

    done: bool
    gave_up: bool = False
    reason: str = ''
    evicted: int = 0
    blocked: int = 0
    pods_left: tuple = ()

    @property
    def remaining(self):
        return len(self.pods_left)


def _pod_ref(pod):
    meta = pod['metadata']
    return f"{meta.get('namespace')}/{meta['name']}"


def must_leave(pod):
    """Whether a drain waits for this pod to go: not a DaemonSet's pod (its
    controller ignores cordons and would put it back), not a mirror pod
    (a static pod the API cannot remove)."""
    meta = pod.get('metadata', {})
    if MIRROR_ANNOTATION in (meta.get('annotations') or {}):
        return False
    return not any(ref.get('kind') == 'DaemonSet'
                   for ref in meta.get('ownerReferences') or ())


def _terminating(pod):
    return bool(pod['metadata'].get('deletionTimestamp'))


def _provider_server_id(provider_id):
    # openstack:///<uuid>, or openstack://<region>/<uuid> with newer
    # cloud providers.
    if not (provider_id or '').startswith('openstack://'):
        return None
    return provider_id.rsplit('/', 1)[-1]


def _registered_since(node, since):
    """Whether the Node object was created at or after ``since`` (naive
    UTC; None: never)."""
    created = node.get('metadata', {}).get('creationTimestamp')
    if since is None or not created:
        return False
    return _aware(datetime.datetime.fromisoformat(
        created.replace('Z', '+00:00'))) >= _aware(since)


def _reason(response, body):
    message = body.get('message') if isinstance(body, dict) else None
    return f'HTTP {response.status_code}: {message or response.reason}'


class _TlsFiles:
    """The CA, certificate and key as files, for ``requests``."""

    def __init__(self, ca_cert_pem, cert_pem, key_pem):
        self._dir = tempfile.TemporaryDirectory(prefix='magnum-lite-kube-')
        self.ca = self._write('ca.crt', ca_cert_pem)
        self.cert = self._write('client.crt', cert_pem)
        self.key = self._write('client.key', key_pem)

    def _write(self, name, text):
        path = os.path.join(self._dir.name, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as out:
            out.write(text)
        return path

    def remove(self):
        self._dir.cleanup()


class Client:
    """The Kubernetes API at ``server`` (``https://host:port``), trusted
    if its certificate chains to ``ca_cert_pem``; ``credentials`` is the
    client (certificate PEM, key PEM). ``timeout`` is in seconds. Close
    it (or use it as a context manager) to remove its files."""

    def __init__(self, server, ca_cert_pem, credentials, timeout=10):
        self.server = server.rstrip('/')
        self.timeout = timeout
        self._files = _TlsFiles(ca_cert_pem, *credentials)
        self._session = requests.Session()
        # Only the cluster CA, and no proxy or netrc from the conductor's
        # environment: the cluster API is reached directly.
        self._session.trust_env = False
        self._session.verify = self._files.ca
        self._session.cert = (self._files.cert, self._files.key)

    def close(self):
        """Close connections and remove the certificate files."""
        self._session.close()
        self._files.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _call(self, method, path, **kwargs):
        """(response, decoded JSON body or {}); transport errors raise
        ``KubernetesUnavailable``."""
        try:
            response = self._session.request(
                method, self.server + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            raise exception.KubernetesUnavailable(
                server=self.server, reason=f'{type(err).__name__}: {err}')
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response, body

    def _expect(self, method, path, allowed, **kwargs):
        response, body = self._call(method, path, **kwargs)
        if response.status_code not in allowed:
            raise exception.KubernetesUnavailable(
                server=self.server,
                reason=f'{method} {path}: {_reason(response, body)}')
        return response.status_code, body

    def readyz(self):
        """``(ready, text)`` of the API server's ``/readyz``: whether it
        answered 200, and the text it gave (on failure, its checks with
        ``[-]`` before each that failed). An API that does not answer
        raises ``KubernetesUnavailable``."""
        response, _ = self._call('GET', '/readyz', params={'verbose': '1'})
        return response.status_code == 200, response.text

    def list_nodes(self):
        """Every Node object of the cluster."""
        return self._expect('GET', '/api/v1/nodes', (200,))[1]['items']

    def find_node(self, server_id, server_name=None, registered_before=None):
        """Name of the node of the OpenStack server ``server_id`` (its
        ``spec.providerID``), else of the node named ``server_name``;
        None when there is neither. With ``registered_before`` (naive
        UTC), a Node created at or after that time does not count: it is
        a replacement's, which a drain must leave alone."""
        nodes = [node for node in self.list_nodes()
                 if not _registered_since(node, registered_before)]
        for node in nodes:
            provider_id = node.get('spec', {}).get('providerID')
            if _provider_server_id(provider_id) == server_id:
                return node['metadata']['name']
        names = {node['metadata']['name'] for node in nodes}
        return server_name if server_name in names else None

    def cordon(self, node_name):
        """Mark the node unschedulable (idempotent); False if there is no
        such node."""
        status, _ = self._expect(
            'PATCH', f'/api/v1/nodes/{node_name}', (200, 404),
            json={'spec': {'unschedulable': True}},
            headers={'Content-Type': _MERGE_PATCH})
        return status == 200

    def node(self, node_name):
        """The Node object named ``node_name``; None if there is none."""
        status, body = self._expect('GET', f'/api/v1/nodes/{node_name}',
                                    (200, 404))
        return body if status == 200 else None

    def annotate_node(self, node_name, annotations):
        """Merge ``annotations`` into the node's; False if there is no
        such node."""
        status, _ = self._expect(
            'PATCH', f'/api/v1/nodes/{node_name}', (200, 404),
            json={'metadata': {'annotations': annotations}},
            headers={'Content-Type': _MERGE_PATCH})
        return status == 200

    def delete_node(self, node_name):
        """Delete the Node object (idempotent): a replacement server
        keeps the name, and its kubelet must register a fresh Node rather
        than adopt the old, cordoned one."""
        self._expect('DELETE', f'/api/v1/nodes/{node_name}', (200, 404))

    def pods_on(self, node_name):
        """Every pod bound to the node, in every namespace."""
        return self._expect(
            'GET', '/api/v1/pods', (200,),
            params={'fieldSelector': f'spec.nodeName={node_name}'}
        )[1]['items']

    def evict(self, namespace, name):
        """Ask the API to evict a pod: ``'evicted'``, ``'blocked'`` (429:
        a PodDisruptionBudget forbids it now) or ``'gone'``."""
        path = f'/api/v1/namespaces/{namespace}/pods/{name}/eviction'
        body = {'apiVersion': 'policy/v1', 'kind': 'Eviction',
                'metadata': {'name': name, 'namespace': namespace}}
        status, _ = self._expect('POST', path, (200, 201, 404, 429),
                                 json=body)
        return {404: 'gone', 429: 'blocked'}.get(status, 'evicted')

    def drain(self, node_name, deadline, now=None):
        """One pass of draining a node, returning a :class:`DrainResult`:
        cordon it, then evict each pod that must leave and is not already
        terminating. Done when no such pod is left (terminating ones are
        waited for), or the node does not exist, or ``deadline`` (a UTC
        datetime) has passed (``gave_up``). An unreachable API or an
        unexpected answer is not done until the deadline."""
        now = _aware(now or _now())
        deadline = _aware(deadline)
        try:
            return self._drain_pass(node_name, deadline, now)
        except exception.KubernetesUnavailable as err:
            return DrainResult(done=now >= deadline,
                               gave_up=now >= deadline, reason=str(err))

    def _drain_pass(self, node_name, deadline, now):
        if not self.cordon(node_name):
            return DrainResult(done=True, reason=f'no node {node_name}')
        pods = [pod for pod in self.pods_on(node_name) if must_leave(pod)]
        if not pods:
            return DrainResult(done=True)
        if now >= deadline:
            return DrainResult(
                done=True, gave_up=True, pods_left=tuple(map(_pod_ref, pods)),
                reason=f'drain of node {node_name} timed out')
        outcomes = collections.Counter()
        left = []
        for pod in pods:
            outcome = 'terminating'
            if not _terminating(pod):
                meta = pod['metadata']
                outcome = self.evict(meta['namespace'], meta['name'])
            outcomes[outcome] += 1
            if outcome in ('blocked', 'terminating'):
                left.append(_pod_ref(pod))
        return DrainResult(done=False, evicted=outcomes['evicted'],
                           blocked=outcomes['blocked'],
                           pods_left=tuple(left))
