"""The secrets and facts a node bootstrap needs, as Heat parameters.

Everything here is derived from the certificate rows the conductor stored
and loaded for the cluster (``ClusterRows.certificates``; private keys
loaded with ``clients.key_store``) and passed only as hidden Heat
parameters.

The bootstrap token and the kubeadm certificate key must not change from
one stack update to the next: they are part of every node's user data,
and new user data replaces the node. So they are not random but derived,
with HMAC-SHA256, from the cluster's service-account signing key (stored
encrypted like the CA keys, generated once at create and never rotated):
the same cluster always gets the same token and key, and nobody without
that private key can compute them. The token is created with no expiry by
kubeadm init, so a node added months later (resize, upgrade) still joins.
"""

import hashlib
import hmac
import string

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from magnum_lite.clients import key_store
from magnum_lite.cluster import ca_rotation
from magnum_lite.common import x509 as ml_x509

SERVICE_ACCOUNT = ml_x509.SERVICE_ACCOUNT

# Heat parameter prefix of each stored CA type.
CA_PARAMETERS = {
    'kubernetes': 'ca',
    'etcd': 'etcd_ca',
    'front_proxy': 'front_proxy_ca',
}

_ALPHABET = string.ascii_lowercase + string.digits


def _derive(key_pem, purpose):
    return hmac.new(key_pem.encode(), purpose.encode(),
                    hashlib.sha256).digest()


def _token_chars(digest, count):
    return ''.join(_ALPHABET[b % len(_ALPHABET)]
                   for b in digest[:count])


def bootstrap_token(secret_pem):
    """kubeadm's ``[a-z0-9]{6}.[a-z0-9]{16}`` token, derived from a
    private key PEM."""
    token_id = _token_chars(_derive(secret_pem, 'bootstrap-token-id'), 6)
    token_secret = _token_chars(
        _derive(secret_pem, 'bootstrap-token-secret'), 16)
    return f'{token_id}.{token_secret}'


def certificate_key(secret_pem):
    """kubeadm's certificate key (hex of a 32-byte AES key), derived from
    a private key PEM."""
    return _derive(secret_pem, 'kubeadm-certificate-key').hex()


def ca_cert_hash(ca_cert_pem):
    """``sha256:<hex>`` of the CA's SubjectPublicKeyInfo (kubeadm's
    --discovery-token-ca-cert-hash)."""
    cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return 'sha256:' + hashlib.sha256(spki).hexdigest()


def _stored(row):
    """(certificate or public key PEM, private key PEM) or None."""
    if row is None:
        return None
    return row.certificate, key_store.load(row.private_key)


def values(certificates):
    """``{name: value}`` for the parameter table's ``bootstrap.<name>``
    sources, from a cluster's certificate rows (``{kind: row}``)."""
    kinds = (*ca_rotation.KINDS, SERVICE_ACCOUNT)
    return from_stored({kind: _stored(certificates.get(kind))
                        for kind in kinds})


def _trusted(stored, ca_type):
    """[signing (cert, key), other trusted CA (cert, key)]: the other one
    only while a rotation is under way (cluster/ca_rotation.py)."""
    extra = [stored[k] for k in ca_rotation.companion_kinds(ca_type)
             if stored.get(k) is not None]
    return [stored[ca_type]] + extra[:1]


def from_stored(stored):
    """``values()`` from ``{kind: (public PEM, private PEM) or None}``;
    a kind the cluster lacks (created before the bootstrap existed) leaves
    its names out.

    ``<prefix>_cert`` is the bundle of the CAs nodes trust, the signing one
    first (kubeadm signs with the first certificate of its CA file), and
    ``<prefix>_key`` the signing key. ``ca_cert_hash`` lists the hashes of
    every trusted Kubernetes CA, comma-separated: a node joining during a
    rotation accepts the cluster whichever CA its discovery shows.
    """
    result = {}
    for ca_type, prefix in CA_PARAMETERS.items():
        if stored.get(ca_type) is None:
            continue
        trusted = _trusted(stored, ca_type)
        result[f'{prefix}_cert'] = ca_rotation.bundle(
            *[cert for cert, _ in trusted])
        result[f'{prefix}_key'] = trusted[0][1]
        if ca_type == 'kubernetes':
            result['ca_cert_hash'] = ','.join(
                ca_cert_hash(cert) for cert, _ in trusted)
    if stored.get(SERVICE_ACCOUNT) is not None:
        public, private = stored[SERVICE_ACCOUNT]
        result['service_account_pub'] = public
        result['service_account_key'] = private
        result['bootstrap_token'] = bootstrap_token(private)
        result['certificate_key'] = certificate_key(private)
    return result
