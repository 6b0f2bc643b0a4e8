"""``/v1/certificates``: show a cluster CA, sign a CSR, rotate the CA."""

from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api import work
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.api.schemas import types
from magnum_lite.clients import key_store
from magnum_lite.cluster import ca_rotation
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import x509
from magnum_lite.common.policies import misc as rules
from magnum_lite.db import api as db_api

_SIGN = types.obj({
    'cluster_uuid': types.string(nullable=False),
    'csr': types.string(nullable=False, max_length=65536),
    'ca_cert_type': types.string(),
    'pem': types.string(min_length=0, max_length=65536),
    **types.read_only('links', 'bay_uuid', 'created_at', 'updated_at'),
}, required=('cluster_uuid', 'csr'))
_CERTIFICATE = documents.Document('Certificate', {
    'type': 'object', 'properties': {
        'cluster_uuid': {'type': 'string'}, 'links': documents.LINKS,
        'pem': {'type': 'string'}, 'csr': {'type': 'string'},
        'ca_cert_type': documents.nullable('string')},
    'required': ['cluster_uuid', 'pem'], 'additionalProperties': False})


def ca_type(value):
    """Magnum's reading of ``ca_cert_type``."""
    if value == 'etcd':
        return 'etcd'
    if value in ('front_proxy', 'front-proxy'):
        return 'front_proxy'
    return 'kubernetes'


def _links(request, cluster):
    return collection.links(request, f'certificates/{cluster.uuid}')


@endpoint.declare('GET', '/certificates/{cluster_ident}',
                  policy=rules.CERTIFICATE_GET,
                  query=(endpoint.Query('ca_cert_type'),),
                  reply=_CERTIFICATE)
def get_one(request, cluster_ident):
    """The PEM of a cluster's CA."""
    request.check_query()
    cluster = clusters.load(request, cluster_ident)
    request.authorize(scope.target_of(cluster))
    kind = ca_type(request.params.get('ca_cert_type'))
    cert = db_api.certificate_get(cluster.uuid, kind)
    # During a rotation: both CAs, so a kubeconfig written now keeps
    # working through it.
    pem = ca_rotation.trusted_pem(cert)
    return {'cluster_uuid': cluster.uuid, 'links': _links(request, cluster),
            'pem': pem.rstrip('\n')}


@endpoint.declare('POST', '/certificates', policy=rules.CERTIFICATE_CREATE,
                  body=documents.request('CertificateSign', _SIGN),
                  status=201, reply=_CERTIFICATE)
def create(request):
    """Sign a CSR with the cluster's CA: 201."""
    request.check_query()
    body = validation.validate(_SIGN, request.json('certificate'),
                               'certificate')
    try:
        cluster = clusters.load(request, body['cluster_uuid'])
    except exception.ClusterNotFound:
        raise exception.ClusterNotFoundBadRequest(
            cluster=body['cluster_uuid'])
    request.authorize(scope.target_of(cluster))
    ca = db_api.certificate_get(cluster.uuid, ca_type(body.get(
        'ca_cert_type')))
    pem = x509.sign_csr(body['csr'], ca.certificate,
                        key_store.load(ca.private_key))
    reply = {'cluster_uuid': cluster.uuid, 'links': _links(request, cluster),
             'csr': body['csr'], 'pem': pem.rstrip('\n')}
    if body.get('ca_cert_type') is not None:
        reply['ca_cert_type'] = body['ca_cert_type']
    return routing.Reply(reply, 201)


@endpoint.declare('PATCH', '/certificates/{cluster_ident}',
                  policy=rules.CERTIFICATE_ROTATE_CA, status=202,
                  reply=documents.ACCEPTED)
def rotate(request, cluster_ident):
    """Replace the cluster's CAs; a failed rotation resumes: 202.

    Three rolling stack updates (cluster/ca_rotation.py); a rotation that
    failed resumes with the phase that failed."""
    request.check_query()
    cluster = clusters.load(request, cluster_ident)
    request.authorize(scope.target_of(cluster))
    template = db_api.templates_by_uuid(
        [cluster.cluster_template_id])[cluster.cluster_template_id]
    if template.tls_disabled:
        raise exception.InvalidParameterValue(
            err='Rotating the CA certificate on a non-TLS cluster is not '
                'supported')
    work.check_state(operations.CA_ROTATE, cluster)
    work.claim(cluster.uuid, operations.CA_ROTATE,
               args={'phase': ca_rotation.phase_to_resume(cluster)})
    work.start(request, operations.CA_ROTATE, cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)

