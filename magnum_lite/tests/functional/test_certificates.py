"""``/v1/certificates`` over HTTP (contract §5.5)."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from magnum_lite.clients import kubernetes
from magnum_lite.common import x509 as ml_x509
from magnum_lite.tests import base
from magnum_lite.tests import fake_driver

load_tests = base.load_tests
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_csr(*extensions, common_name='admin'):
    """A PEM CSR like python-magnumclient's: CN=admin, O=system:masters."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                   x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                      'system:masters')]))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    csr = builder.sign(_KEY, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def load_cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


class TestCertificates(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.create_template()
        self.uuid = self.create_cluster()['uuid']

    def ca(self, query='', **kwargs):
        return self.call('GET', f'/v1/certificates/{self.uuid}{query}',
                         **kwargs)

    def sign(self, csr, **kwargs):
        return self.call('POST', '/v1/certificates',
                         {'cluster_uuid': self.uuid, 'csr': csr}, **kwargs)

    def test_show_ca(self):
        body = self.ca(version=None).json
        self.assertEqual(['cluster_uuid', 'links', 'pem'], list(body))
        self.assertEqual(self.uuid, body['cluster_uuid'])
        self.assertEqual(f'http://localhost/v1/certificates/{self.uuid}',
                         body['links'][0]['href'])
        self.assertFalse(body['pem'].endswith('\n'))
        ca = load_cert(body['pem'])
        self.assertTrue(ca.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        self.assertTrue(ca.extensions.get_extension_for_class(
            x509.KeyUsage).value.key_cert_sign)
        self.assertEqual(ca.subject, ca.issuer)
        self.assertEqual('c1', ca.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME)[0].value)
        self.assertEqual(2048, ca.public_key().key_size)
        ca.verify_directly_issued_by(ca)
        self.assertEqual(body, self.call('GET', '/v1/certificates/c1').json)
        pems = {body['pem']}
        for kind in ('etcd', 'front_proxy', 'front-proxy', 'kubernetes',
                     'other'):
            pems.add(self.ca(f'?ca_cert_type={kind}').json['pem'])
        self.assertEqual(3, len(pems))
        response = self.ca('?foo=1', status=400)
        self.assert_error(response, 400, 'Unknown argument: "foo"')
        response = self.call('GET', '/v1/certificates/nope', status=404)
        self.assert_error(response, 404, 'Cluster nope could not be found.')

    def test_sign(self):
        csr = make_csr()
        body = self.sign(csr, status=201).json
        self.assertEqual(['cluster_uuid', 'links', 'csr', 'pem'], list(body))
        self.assertEqual(csr, body['csr'])
        ca = load_cert(self.ca().json['pem'])
        cert = load_cert(body['pem'])
        cert.verify_directly_issued_by(ca)
        self.assertEqual(ca.subject, cert.issuer)
        self.assertEqual(x509.load_pem_x509_csr(csr.encode()).subject,
                         cert.subject)
        self.assertFalse(cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        self.assertEqual(_KEY.public_key().public_numbers(),
                         cert.public_key().public_numbers())
        # A CA flag in the CSR is stripped; etcd's CA signs on request.
        body = self.call('POST', '/v1/certificates', {
            'cluster_uuid': 'c1', 'ca_cert_type': 'etcd',
            'csr': make_csr((x509.BasicConstraints(ca=True, path_length=None),
                             True))}, status=201).json
        self.assertEqual('etcd', body['ca_cert_type'])
        cert = load_cert(body['pem'])
        cert.verify_directly_issued_by(load_cert(
            self.ca('?ca_cert_type=etcd').json['pem']))
        self.assertFalse(cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        # Key usages are limited to a client's; names are kept.
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=True, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False)
        names = x509.SubjectAlternativeName([x509.DNSName('admin.local')])
        cert = load_cert(self.sign(make_csr((usage, True), (names, False)),
                                   status=201).json['pem'])
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        self.assertEqual((True, True, False, False),
                         (usage.digital_signature, usage.key_encipherment,
                          usage.key_cert_sign, usage.crl_sign))
        self.assertEqual(names, cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value)

    def test_sign_refusals(self):
        not_allowed = make_csr((x509.NameConstraints(
            permitted_subtrees=[x509.DNSName('example.com')],
            excluded_subtrees=None), True))
        cases = [
            ({'cluster_uuid': self.uuid, 'csr': 'garbage'}, 400,
             'Received invalid csr'),
            ({'cluster_uuid': self.uuid, 'csr': not_allowed}, 400,
             "Extension 'nameConstraints' not allowed"),
            ({'cluster_uuid': self.uuid}, 400, 'Mandatory field missing.'),
            ({'cluster_uuid': self.uuid, 'csr': ''}, 400, 'csr'),
            ({'cluster_uuid': self.uuid, 'csr': None}, 400,
             'Mandatory field missing.'),
            ({'cluster_uuid': self.uuid, 'csr': 5}, 400, 'Wrong type'),
            ({'csr': make_csr()}, 400, 'Mandatory field missing.'),
            ({'cluster_uuid': 'nope', 'csr': make_csr()}, 400,
             'Cluster nope could not be found.'),
            ({'cluster_uuid': self.uuid, 'csr': make_csr(), 'links': []},
             400, 'Cannot set read only field.'),
            ({'cluster_uuid': self.uuid, 'csr': make_csr(), 'bay_uuid': 'x'},
             400, 'Cannot set read only field.'),
        ]
        for body, status, detail in cases:
            response = self.call('POST', '/v1/certificates', body,
                                 status='*')
            self.assert_error(response, status, detail)
        response = self.call('POST', '/v1/certificates', [make_csr()],
                             status=400)
        self.assert_error(response, 400)

    def test_other_callers(self):
        # Another project's cluster is not found, whoever asks.
        for roles in ('member,reader', 'admin,member,reader'):
            response = self.sign(make_csr(), project='project-b',
                                 roles=roles, status=400)
            self.assert_error(response, 400, f'Cluster {self.uuid} could '
                                             f'not be found.')
            self.assert_error(self.ca(project='project-b', roles=roles,
                                      status=404), 404)
            response = self.call('PATCH', f'/v1/certificates/{self.uuid}',
                                 project='project-b', roles=roles,
                                 status=404)
            self.assert_error(response, 404)
        # Another user of the project: only the cluster's creator.
        response = self.ca(user='user-b', status=403)
        self.assert_error(response, 403, "Policy doesn't allow "
                                         "certificate:get to be performed.")
        response = self.sign(make_csr(), user='user-b', status=403)
        self.assert_error(response, 403, "Policy doesn't allow "
                                         "certificate:create to be "
                                         "performed.")
        response = self.sign(make_csr(), roles='reader', status=403)
        self.assert_error(response, 403)
        self.ca(roles='reader', status=200)

    def test_rotate(self):
        before = self.ca().json['pem']
        old_cert = load_cert(self.sign(make_csr(), status=201).json['pem'])
        response = self.call('PATCH', f'/v1/certificates/{self.uuid}',
                             version=None, status=202)
        self.assertEqual({'uuid': self.uuid}, response.json)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        after = self.ca().json['pem']
        self.assertNotEqual(before, after)
        new_ca = load_cert(after)
        self.assertRaises(Exception, old_cert.verify_directly_issued_by,
                          new_ca)
        load_cert(self.sign(make_csr(), status=201).json['pem']
                  ).verify_directly_issued_by(new_ca)
        # Three stack updates: trust both CAs, sign with the new, drop
        # the old.
        self.assertEqual(['trust', 'sign', 'drop'], self.rotation_phases())
        response = self.call('PATCH', f'/v1/certificates/{self.uuid}',
                             roles='reader', status=403)
        self.assert_error(response, 403, "Policy doesn't allow "
                                         "certificate:rotate_ca")
        # The conductor's client certificate for the cluster (drains) is
        # cached: the second call needs no CA key.
        ca, key = ml_x509.generate_ca('drain-client')
        issued = kubernetes.client_credentials(self.uuid, ca, lambda: key)
        self.assertEqual(issued, kubernetes.client_credentials(
            self.uuid, ca, self.fail))
        # Once the cluster is gone, so is its CA, and that certificate:
        # another would be issued (self.fail as the key loader).
        self.call('DELETE', f'/v1/clusters/{self.uuid}', status=204)
        self.wait_for(self.uuid, None)
        self.assert_error(self.ca(status=404), 404)
        self.assertRaises(AssertionError, kubernetes.client_credentials,
                          self.uuid, ca, self.fail)

    def rotation_phases(self):
        return [c[2]['phase'] for c in fake_driver.CALLS
                if c[0] == 'ca_rotate' and c[1] == self.uuid]

    def test_a_failed_rotation_resumes_where_it_failed(self):
        old_ca = load_cert(self.ca().json['pem'])
        fake_driver.FAIL_ONCE.add(('ca_rotate', 'sign'))
        self.call('PATCH', f'/v1/certificates/{self.uuid}', status=202)
        cluster = self.wait_for(self.uuid, 'UPDATE_FAILED')
        self.assertEqual('ca_rotate sign failed', cluster['status_reason'])
        # Nodes trust both CAs now; the new one signs, and is handed out
        # first, with the old one.
        bundle = x509.load_pem_x509_certificates(
            self.ca().json['pem'].encode())
        new_ca, old = bundle
        self.assertEqual(old_ca, old)
        load_cert(self.sign(make_csr(), status=201).json['pem']
                  ).verify_directly_issued_by(new_ca)
        self.call('PATCH', f'/v1/certificates/{self.uuid}', status=202)
        self.wait_for(self.uuid, 'UPDATE_COMPLETE')
        self.assertEqual(['trust', 'sign', 'sign', 'drop'],
                         self.rotation_phases())
        self.assertEqual([new_ca], x509.load_pem_x509_certificates(
            self.ca().json['pem'].encode()))

    def test_rotate_refusals(self):
        self.create_template(name='notls', tls_disabled=True)
        plain = self.create_cluster(template='notls', name='c2', wait=False,
                                    labels={'fake_polls': '10000'})
        response = self.call('PATCH', f'/v1/certificates/{plain}',
                             status=400)
        self.assert_error(response, 400, 'Rotating the CA certificate on a '
                                         'non-TLS cluster is not supported')
        busy = self.create_cluster(name='c3', wait=False,
                                   labels={'fake_polls': '10000'})
        response = self.call('PATCH', f'/v1/certificates/{busy}', status=400)
        self.assert_error(response, 400, 'Updating a cluster when status is '
                                         '"CREATE_IN_PROGRESS" is not '
                                         'supported.')
        response = self.call('PATCH', '/v1/certificates/nope', status=404)
        self.assert_error(response, 404)
