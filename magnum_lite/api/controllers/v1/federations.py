"""``/v1/federations``: Magnum's never-implemented federation API.

Magnum answers these routes but stores nothing; we answer the reads the
same way (empty lists, 404) and refuse writes plainly.
"""

from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.common import exception

_FEDERATIONS = documents.collection('FederationCollection', 'federations',
                                    {'type': 'object'})


@endpoint.declare('GET', '/federations', policy='federation:get_all',
                  query=endpoint.PAGING, reply=_FEDERATIONS)
def get_all(request):
    """Always empty: no federation is ever stored."""
    collection.paging(request, None)
    request.authorize()
    return {'federations': []}


@endpoint.declare('GET', '/federations/detail', policy='federation:detail',
                  query=endpoint.PAGING, reply=_FEDERATIONS)
def detail(request):
    collection.paging(request, None)
    request.authorize()
    return {'federations': []}


@endpoint.declare('GET', '/federations/{ident}', policy='federation:get',
                  status=None)
def get_one(request, ident):
    request.authorize()
    raise exception.FederationNotFound(federation=ident)


@endpoint.declare('POST', '/federations', status=None)
@endpoint.declare('PATCH', '/federations/{ident}', status=None)
@endpoint.declare('DELETE', '/federations/{ident}', status=None)
def unsupported(request, ident=None):
    raise exception.InvalidParameterValue(
        err='Federations are not supported by magnum-lite.')

