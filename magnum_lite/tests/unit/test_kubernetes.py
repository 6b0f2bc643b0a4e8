"""The conductor's Kubernetes client: its certificate, mutual TLS, and
draining a node, against the fake API of tests/harness/fake_kube.py
(real HTTPS, client certificate required)."""

import datetime
import functools
import logging
import os
import socket
import stat

import fixtures
from cryptography import x509 as cx509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from magnum_lite.clients import key_store
from magnum_lite.clients import kubernetes
from magnum_lite.cluster import kubernetes_access
from magnum_lite.common import exception
from magnum_lite.common import x509
from magnum_lite.conductor import certificates
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests.harness import fake_kube

NOW = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(minutes=10)
SERVER_ID = '6f1d1a5e-3c4b-4f0e-9b8e-0a1b2c3d4e5f'


@functools.cache
def _ca(name='cluster-ca'):
    """(certificate PEM, key PEM); RSA keys are slow, so one per name."""
    return x509.generate_ca(name)


def _credentials(ca=None):
    ca = ca or _ca()
    return x509.issue_client_certificate(
        *ca, kubernetes.CLIENT_COMMON_NAME,
        kubernetes.CLIENT_ORGANIZATIONS, kubernetes.CLIENT_LIFETIME)


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class IssueClientCertificateTest(base.TestCase):

    def test_signed_by_the_ca_with_subject_and_client_usage(self):
        ca_cert, ca_key = _ca()
        cert_pem, key_pem = x509.issue_client_certificate(
            ca_cert, ca_key, 'user', ['g1', 'g2'],
            datetime.timedelta(hours=1))
        cert = cx509.load_pem_x509_certificate(cert_pem.encode())
        cert.verify_directly_issued_by(
            cx509.load_pem_x509_certificate(ca_cert.encode()))
        subject = cert.subject
        self.assertEqual(
            ['user'], [a.value for a in subject.get_attributes_for_oid(
                NameOID.COMMON_NAME)])
        self.assertEqual(
            ['g1', 'g2'], [a.value for a in subject.get_attributes_for_oid(
                NameOID.ORGANIZATION_NAME)])
        usage = cert.extensions.get_extension_for_class(
            cx509.ExtendedKeyUsage).value
        self.assertEqual([ExtendedKeyUsageOID.CLIENT_AUTH], list(usage))
        self.assertFalse(cert.extensions.get_extension_for_class(
            cx509.BasicConstraints).value.ca)
        lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
        self.assertEqual(datetime.timedelta(hours=1, minutes=5), lifetime)
        self.assertIn('PRIVATE KEY', key_pem)


class ClientCredentialsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        kubernetes.forget_credentials()
        self.addCleanup(kubernetes.forget_credentials)
        self.loads = 0

    def _load_key(self):
        self.loads += 1
        return _ca()[1]

    def _get(self, now, ca_cert=None):
        return kubernetes.client_credentials(
            'c1', ca_cert or _ca()[0], self._load_key, now=now)

    def test_cached_until_near_expiry(self):
        first = self._get(NOW)
        self.assertEqual(first, self._get(NOW + datetime.timedelta(
            minutes=44)))
        self.assertEqual(1, self.loads)
        renewed = self._get(NOW + datetime.timedelta(minutes=46))
        self.assertNotEqual(first, renewed)
        self.assertEqual(2, self.loads)

    def test_key_and_certificate_never_logged(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self._get(NOW)
        self.assertIn('Issued a Kubernetes client certificate', log.output)
        self.assertNotIn('-----BEGIN', log.output)

    def test_new_ca_means_new_certificate(self):
        first = self._get(NOW)
        other_ca = _ca('other-ca')[0]
        second = self._get(NOW, ca_cert=other_ca)
        self.assertNotEqual(first, second)
        issuer = cx509.load_pem_x509_certificate(second[0].encode()).issuer
        self.assertIn('other-ca', issuer.rfc4514_string())


class DrainDeadlineTest(base.TestCase):

    def test_default_and_disabled(self):
        self.assertEqual(NOW + datetime.timedelta(seconds=600),
                         kubernetes.drain_deadline(NOW))
        naive = NOW.replace(tzinfo=None)
        self.assertEqual(NOW + datetime.timedelta(seconds=600),
                         kubernetes.drain_deadline(naive))
        self.conf.config(drain_timeout=0, group='kubernetes')
        self.assertIsNone(kubernetes.drain_deadline(NOW))

    def test_an_unreachable_api_is_tried_for_less(self):
        self.assertEqual(NOW + datetime.timedelta(seconds=60),
                         kubernetes.reach_deadline(NOW.replace(tzinfo=None)))
        self.conf.config(drain_timeout=30, group='kubernetes')
        self.assertEqual(NOW + datetime.timedelta(seconds=30),
                         kubernetes.reach_deadline(NOW))
        self.assertTrue(kubernetes.passed(NOW.replace(tzinfo=None)))
        self.assertFalse(kubernetes.passed(
            kubernetes.reach_deadline(datetime.datetime.now(datetime.UTC))))


class KubeTestCase(base.TestCase):
    """A fake API trusting the cluster CA, and a client of it."""

    def setUp(self):
        super().setUp()
        self.kube = self.useFixture(fake_kube.FakeKube(_ca()))

    def client(self, credentials=None, ca_cert=None, url=None, timeout=5):
        client = kubernetes.Client(
            url or self.kube.url, ca_cert or _ca()[0],
            credentials or _credentials(), timeout=timeout)
        self.addCleanup(client.close)
        return client


class MutualTlsTest(KubeTestCase):

    def test_server_sees_conductor_identity(self):
        self.kube.add_node('w0')
        self.assertEqual('w0', self.client().list_nodes()[0]['metadata'][
            'name'])
        request = self.kube.requests[0]
        self.assertEqual(
            ('magnum-lite-conductor', ('kubeadm:cluster-admins',)),
            (request.common_name, request.organizations))

    def test_client_certificate_of_another_ca_is_refused(self):
        client = self.client(credentials=_credentials(_ca('other-ca')))
        self.assertRaises(exception.KubernetesUnavailable, client.list_nodes)
        self.assertEqual([], self.kube.requests)

    def test_untrusted_server_is_refused(self):
        impostor = self.useFixture(fake_kube.FakeKube(
            _ca(), serving_ca=_ca('other-ca')))
        client = self.client(url=impostor.url)
        err = self.assertRaises(exception.KubernetesUnavailable,
                                client.list_nodes)
        self.assertIn('CERTIFICATE_VERIFY_FAILED', str(err))
        self.assertEqual([], impostor.requests)

    def test_files_private_and_removed_on_close(self):
        client = kubernetes.Client(self.kube.url, _ca()[0], _credentials())
        paths = [client._files.ca, client._files.cert, client._files.key]
        modes = {stat.S_IMODE(os.stat(p).st_mode) for p in paths}
        self.assertEqual({0o600}, modes)
        self.assertEqual(0o700, stat.S_IMODE(
            os.stat(os.path.dirname(paths[0])).st_mode))
        with client:
            pass
        self.assertFalse(any(os.path.exists(p) for p in paths))
        self.assertFalse(os.path.exists(os.path.dirname(paths[0])))


class FindNodeTest(KubeTestCase):

    def test_by_provider_id_then_name(self):
        self.kube.add_node('other', provider_id='openstack:///other-id')
        self.kube.add_node('worker-a', provider_id=f'openstack:///{SERVER_ID}')
        self.kube.add_node('named-only')
        self.kube.add_node('regional', provider_id='openstack://RegionOne/r1')
        client = self.client()
        self.assertEqual('worker-a', client.find_node(SERVER_ID, 'x'))
        self.assertEqual('regional', client.find_node('r1'))
        self.assertEqual('named-only', client.find_node('nope', 'named-only'))
        self.assertIsNone(client.find_node('nope', 'absent'))
        self.assertIsNone(client.find_node('nope'))

    def test_nodes_registered_since_do_not_count(self):
        started = datetime.datetime(2026, 12, 5, 10, 0, 0)
        self.kube.add_node('old', provider_id=f'openstack:///{SERVER_ID}',
                           created_at=datetime.datetime(
                               2026, 12, 5, 9, 59, 59, tzinfo=datetime.UTC))
        self.kube.add_node('fresh', provider_id='openstack:///new-id',
                           created_at=datetime.datetime(
                               2026, 12, 5, 10, 0, 0, tzinfo=datetime.UTC))
        client = self.client()
        self.assertEqual('old', client.find_node(
            SERVER_ID, registered_before=started))
        self.assertIsNone(client.find_node(
            'new-id', 'fresh', registered_before=started))
        self.assertEqual('fresh', client.find_node('new-id', 'fresh'))


class DrainTest(KubeTestCase):

    def setUp(self):
        super().setUp()
        self.node = self.kube.add_node('w0')
        self.kube.add_node('w1')
        self.kube.add_pod('kube-system', 'ds-pod', 'w0',
                          owner_kind='DaemonSet')
        self.kube.add_pod('kube-system', 'static-pod', 'w0', annotations={
            kubernetes.MIRROR_ANNOTATION: 'abc'})
        self.kube.add_pod('default', 'elsewhere', 'w1',
                          owner_kind='ReplicaSet')

    def drain(self, deadline=LATER):
        return self.client().drain('w0', deadline, now=NOW)

    def test_cordon_then_evict_leaving_daemonsets_and_mirrors(self):
        self.kube.add_pod('default', 'web', 'w0', owner_kind='ReplicaSet')
        self.kube.add_pod('default', 'bare', 'w0')
        result = self.drain()
        self.assertEqual((False, 2, 0, 0),
                         (result.done, result.evicted, result.blocked,
                          result.remaining))
        self.assertEqual(
            ['PATCH /api/v1/nodes/w0', 'GET /api/v1/pods',
             'POST /api/v1/namespaces/default/pods/web/eviction',
             'POST /api/v1/namespaces/default/pods/bare/eviction'],
            self.kube.calls())
        self.assertTrue(self.node.unschedulable)
        self.assertEqual({'unschedulable': True},
                         self.kube.requests[0].body['spec'])
        self.assertEqual(['spec.nodeName=w0'],
                         self.kube.requests[1].query['fieldSelector'])
        self.assertEqual(
            {('kube-system', 'ds-pod'), ('kube-system', 'static-pod'),
             ('default', 'elsewhere')}, set(self.kube.pods))
        self.assertEqual(kubernetes.DrainResult(done=True), self.drain())

    def test_disruption_budget_is_retried_next_pass(self):
        self.kube.add_pod('default', 'db', 'w0', pdb_blocks=1)
        first = self.drain()
        self.assertEqual((False, 0, 1, ('default/db',)),
                         (first.done, first.evicted, first.blocked,
                          first.pods_left))
        second = self.drain()
        self.assertEqual((False, 1, 0), (second.done, second.evicted,
                                         second.blocked))
        self.assertTrue(self.drain().done)

    def test_terminating_pod_waited_for_not_evicted(self):
        pod = self.kube.add_pod('default', 'leaving', 'w0', terminating=True)
        result = self.drain()
        self.assertEqual((False, ('default/leaving',)),
                         (result.done, result.pods_left))
        self.assertEqual([], self.kube.calls('POST'))
        del self.kube.pods[(pod.namespace, pod.name)]
        self.assertTrue(self.drain().done)

    def test_delete_node_is_idempotent(self):
        client = self.client()
        client.delete_node('w0')
        client.delete_node('w0')
        self.assertNotIn('w0', self.kube.nodes)
        self.assertEqual(['w0'], self.kube.deleted_nodes)
        self.assertEqual(['DELETE /api/v1/nodes/w0'] * 2, self.kube.calls())

    def test_absent_node_is_done(self):
        result = self.client().drain('gone', LATER, now=NOW)
        self.assertEqual((True, False), (result.done, result.gave_up))
        self.assertEqual(['PATCH /api/v1/nodes/gone'], self.kube.calls())

    def test_deadline_passed_gives_up_and_names_pods(self):
        self.kube.add_pod('default', 'db', 'w0', pdb_blocks=99)
        self.kube.add_pod('default', 'cache', 'w0', pdb_blocks=99)
        self.assertFalse(self.drain().done)
        result = self.drain(deadline=NOW)
        self.assertEqual((True, True), (result.done, result.gave_up))
        self.assertEqual(('default/db', 'default/cache'), result.pods_left)
        self.assertIn('timed out', result.reason)
        self.assertEqual(2, len(self.kube.calls('POST')))

    def test_unreachable_until_deadline(self):
        client = self.client(url=f'https://127.0.0.1:{_free_port()}')
        before = client.drain('w0', LATER, now=NOW)
        self.assertEqual((False, False), (before.done, before.gave_up))
        self.assertIn('ConnectionError', before.reason)
        after = client.drain('w0', NOW, now=NOW)
        self.assertEqual((True, True), (after.done, after.gave_up))
        self.assertIn('ConnectionError', after.reason)

    def test_silent_server_times_out(self):
        # Accepts connections (the backlog) but never answers the TLS
        # handshake.
        with socket.socket() as listener:
            listener.bind(('127.0.0.1', 0))
            listener.listen(4)
            port = listener.getsockname()[1]
            client = self.client(url=f'https://127.0.0.1:{port}',
                                 timeout=0.3)
            result = client.drain('w0', LATER, now=NOW)
        self.assertFalse(result.done)
        self.assertIn('timed out', result.reason)

    def test_unexpected_answer_is_not_done(self):
        client = self.client()
        # An API that cannot list pods has not said the node is empty.
        self.kube._pods = lambda query: fake_kube._status(
            500, 'InternalError', 'etcd is down')
        result = client.drain('w0', LATER, now=NOW)
        self.assertFalse(result.done)
        self.assertIn('HTTP 500: etcd is down', result.reason)


class ConnectTest(base.DbTestCase):

    def setUp(self):
        super().setUp()
        kubernetes.forget_credentials()
        self.addCleanup(kubernetes.forget_credentials)

    def _cluster(self, api_address):
        return self.cluster_row(status='CREATE_COMPLETE',
                                api_address=api_address)

    def test_client_from_stored_ca(self):
        kube = self.useFixture(fake_kube.FakeKube(_ca()))
        kube.add_node('w0', provider_id=f'openstack:///{SERVER_ID}')
        cluster = self._cluster(kube.url)
        ca_cert, ca_key = _ca()
        db_api.certificate_put(cluster.uuid, 'kubernetes', ca_cert,
                               key_store.store(cluster.uuid, 'kubernetes',
                                               ca_key))
        self.conf.config(request_timeout=3, group='kubernetes')
        with kubernetes_access.connect(
                cluster, certificates.stored(cluster.uuid)) as client:
            self.assertEqual(3, client.timeout)
            self.assertEqual('w0', client.find_node(SERVER_ID))
        self.assertEqual('magnum-lite-conductor',
                         kube.requests[0].common_name)

    def test_no_address_or_no_ca(self):
        cluster = self._cluster(None)
        self.assertRaises(exception.KubernetesUnavailable,
                          kubernetes_access.connect, cluster, {})
        db_api.cluster_update(cluster.uuid,
                              {'api_address': 'https://127.0.0.5:6443'})
        cluster = db_api.cluster_get(cluster.uuid)
        err = self.assertRaises(exception.KubernetesUnavailable,
                                kubernetes_access.connect, cluster,
                                certificates.stored(cluster.uuid))
        self.assertIn('has no CA', str(err))
