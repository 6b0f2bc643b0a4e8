"""Cluster certificate authorities and CSR signing (cryptography)."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID
from cryptography.x509.oid import NameOID

from magnum_lite.common import exception

CA_TYPES = ('kubernetes', 'etcd', 'front_proxy')
# The row of the key pair that signs service-account tokens.
SERVICE_ACCOUNT = 'service_account'
CA_VALIDITY = datetime.timedelta(days=5 * 365)
CERT_VALIDITY = datetime.timedelta(days=1825)
_ALLOWED_EXTENSIONS = {ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
                       ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                       ExtensionOID.BASIC_CONSTRAINTS,
                       ExtensionOID.SUBJECT_KEY_IDENTIFIER}

_CLIENT_KEY_USAGES = ('digital_signature', 'key_encipherment',
                      'content_commitment')


def _now():
    return datetime.datetime.now(datetime.UTC)


def generate_ca(common_name):
    """A self-signed CA: (certificate PEM, private key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), \
        key_pem.decode()


def generate_service_account_key():
    """The key pair that signs service-account tokens: (public key PEM,
    private key PEM), as kubeadm's sa.pub and sa.key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return public.decode(), private.decode()


def _load_csr(csr_pem):
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except (ValueError, TypeError) as err:
        raise exception.InvalidParameterValue(
            err=f'Received invalid csr: {err}')
    if not csr.is_signature_valid:
        raise exception.InvalidParameterValue(
            err='Received invalid csr: bad signature')
    return csr


def _client_key_usage(usage):
    """Keep only the key usages a client certificate may have (as Magnum:
    digitalSignature, keyEncipherment, contentCommitment); None if none
    is left."""
    kept = {name: getattr(usage, name) for name in _CLIENT_KEY_USAGES}
    if not any(kept.values()):
        return None
    return x509.KeyUsage(data_encipherment=False, key_agreement=False,
                         key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False, **kept)


def sign_csr(csr_pem, ca_cert_pem, ca_key_pem):
    """Sign a CSR with a cluster CA; return the certificate PEM."""
    csr = _load_csr(csr_pem)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), None)
    now = _now()
    builder = (x509.CertificateBuilder()
               .subject_name(csr.subject).issuer_name(ca_cert.subject)
               .public_key(csr.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + CERT_VALIDITY))
    for ext in csr.extensions:
        if ext.oid not in _ALLOWED_EXTENSIONS:
            if ext.critical:
                raise exception.InvalidParameterValue(
                    err=f"Extension '{ext.oid._name}' not allowed")
            continue
        if ext.oid in (ExtensionOID.BASIC_CONSTRAINTS,
                       ExtensionOID.SUBJECT_KEY_IDENTIFIER):
            continue
        value = ext.value
        if ext.oid == ExtensionOID.KEY_USAGE:
            value = _client_key_usage(value)
            if value is None:
                continue
        builder = builder.add_extension(value, ext.critical)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(csr.public_key()),
        critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _client_name(common_name, organizations):
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)
                  for org in organizations]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def issue_client_certificate(ca_cert_pem, ca_key_pem, common_name,
                             organizations, lifetime):
    """A new key and a TLS client certificate for it, signed by a cluster
    CA: (certificate PEM, private key PEM).

    Kubernetes reads the user from the subject's CN and the groups from
    its O attributes (``organizations``, a sequence of strings).
    ``lifetime`` is a ``datetime.timedelta``; the certificate is valid
    from five minutes ago (clock skew) until now + ``lifetime``.
    """
    # P-256: Kubernetes accepts it and it is made in microseconds, unlike
    # an RSA key, which matters for a certificate re-issued every hour.
    key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), None)
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(_client_name(common_name, organizations))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), \
        key_pem.decode()
