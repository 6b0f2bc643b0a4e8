"""How the conductor reaches a cluster's Kubernetes API: the cluster's
address and CAs as the conductor loaded them, and the conductor's client
certificate issued from the signing CA (clients/kubernetes.py holds the
client itself)."""

from magnum_lite.clients import key_store
from magnum_lite.clients import kubernetes
from magnum_lite.cluster import ca_rotation
from magnum_lite.common import exception
from magnum_lite.conf import CONF

# The CA whose signing key issues the conductor's client certificate.
KUBERNETES = 'kubernetes'


def connect(cluster, certificates, timeout=None):
    """A ``clients.kubernetes.Client`` of a cluster's API (a cluster row:
    ``uuid``, ``api_address``; ``certificates``: its certificate rows as
    ``{kind: row}``), authenticated with the conductor's certificate. Use
    it as a context manager. ``timeout``: seconds per request, default
    ``[kubernetes] request_timeout``. Raises ``KubernetesUnavailable``
    when the cluster has no API address or no stored Kubernetes CA."""
    server = cluster.api_address
    if not server:
        raise exception.KubernetesUnavailable(
            server='(none)', reason=f'cluster {cluster.uuid} has no API '
                                    'address yet')
    row = certificates.get(KUBERNETES)
    if row is None:
        raise exception.KubernetesUnavailable(
            server=server, reason=f'cluster {cluster.uuid} has no CA')
    credentials = kubernetes.client_credentials(
        cluster.uuid, row.certificate,
        lambda: key_store.load(row.private_key))
    # During a CA rotation API servers present either CA's certificates;
    # every node trusts both, so the signing CA's client certificate works.
    return kubernetes.Client(
        server, ca_rotation.trusted_bundle(certificates, KUBERNETES),
        credentials, timeout=timeout or CONF.kubernetes.request_timeout)
