"""``/v1``: its document and the route table of every v1 resource."""

import sys

from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import routing
from magnum_lite.api.controllers.v1 import certificates
from magnum_lite.api.controllers.v1 import cluster_actions
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.api.controllers.v1 import clustertemplates
from magnum_lite.api.controllers.v1 import credentials
from magnum_lite.api.controllers.v1 import federations
from magnum_lite.api.controllers.v1 import mservices
from magnum_lite.api.controllers.v1 import nodegroups
from magnum_lite.api.controllers.v1 import quotas
from magnum_lite.api.controllers.v1 import stats

_RESOURCES = ('clustertemplates', 'clusters', 'quotas', 'certificates',
              'mservices', 'stats', 'federations')


@endpoint.declare('GET', '/', reply=documents.VERSION)
def show(request):
    """GET /v1: the v1 document."""
    base = request.base_url
    doc = {
        'id': 'v1',
        'media_types': [{'base': 'application/json',
                         'type': 'application/vnd.openstack.magnum.v1+json'}],
        'links': [{'href': f'{base}/v1/', 'rel': 'self'},
                  {'href': 'http://docs.openstack.org/developer/magnum/dev/'
                           'api-spec-v1.html',
                   'rel': 'describedby', 'type': 'text/html'}],
    }
    for name in _RESOURCES:
        doc[name] = [{'href': f'{base}/v1/{name}/', 'rel': 'self'},
                     {'href': f'{base}/{name}/', 'rel': 'bookmark'}]
    doc['nodegroups'] = [
        {'href': f'{base}/v1/clusters/{{cluster_id}}/nodegroups',
         'rel': 'self'},
        {'href': f'{base}/clusters/{{cluster_id}}/nodegroups',
         'rel': 'bookmark'}]
    doc['credentials'] = [{'href': f'{base}/v1/credentials/', 'rel': 'self'},
                          {'href': f'{base}/credentials/',
                           'rel': 'bookmark'}]
    return doc


def build_router():
    """The router of every v1 endpoint."""
    return routing.Router(endpoint.of(
        sys.modules[__name__], clustertemplates, clusters, cluster_actions,
        nodegroups, quotas, stats, mservices, certificates, credentials,
        federations))
