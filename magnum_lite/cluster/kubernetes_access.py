"""How the conductor reaches a cluster's Kubernetes API: the cluster's
address and CAs as stored, and the conductor's client certificate issued
from the signing CA (clients/kubernetes.py holds the client itself)."""

from magnum_lite.clients import key_store
from magnum_lite.clients import kubernetes
from magnum_lite.cluster import ca_rotation
from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api


def connect(cluster):
    """A ``clients.kubernetes.Client`` of a cluster's API (a cluster row:
    ``uuid``, ``api_address``), authenticated with the conductor's
    certificate. Use it as a context manager. Raises
    ``KubernetesUnavailable`` when the cluster has no API address or no
    stored Kubernetes CA."""
    server = cluster.api_address
    if not server:
        raise exception.KubernetesUnavailable(
            server='(none)', reason=f'cluster {cluster.uuid} has no API '
                                    'address yet')
    try:
        row = db_api.certificate_get(cluster.uuid, 'kubernetes')
    except exception.CertificateNotFound:
        raise exception.KubernetesUnavailable(
            server=server, reason=f'cluster {cluster.uuid} has no CA')
    credentials = kubernetes.client_credentials(
        cluster.uuid, row.certificate,
        lambda: key_store.load(row.private_key))
    # During a CA rotation API servers present either CA's certificates;
    # every node trusts both, so the signing CA's client certificate works.
    return kubernetes.Client(server, ca_rotation.trusted_pem(row),
                             credentials,
                             timeout=CONF.kubernetes.request_timeout)
