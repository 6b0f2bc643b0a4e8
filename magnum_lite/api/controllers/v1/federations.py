"""``/v1/federations``: Magnum's never-implemented federation API.

Magnum answers these routes but stores nothing; we answer the reads the
same way (empty lists, 404) and refuse writes plainly.
"""

from magnum_lite.api import collection
from magnum_lite.api import policy
from magnum_lite.common import exception


def _authorize(request, rule):
    policy.authorize(rule, request.context)


def get_all(request):
    """Always empty: no federation is ever stored."""
    collection.paging(request, None)
    _authorize(request, 'federation:get_all')
    return {'federations': []}


def detail(request):
    collection.paging(request, None)
    _authorize(request, 'federation:detail')
    return {'federations': []}


def get_one(request, ident):
    _authorize(request, 'federation:get')
    raise exception.FederationNotFound(federation=ident)


def unsupported(request, ident=None):
    raise exception.InvalidParameterValue(
        err='Federations are not supported by magnum-lite.')


ROUTES = [
    ('GET', '/federations', get_all),
    ('POST', '/federations', unsupported),
    ('GET', '/federations/detail', detail),
    ('GET', '/federations/{ident}', get_one),
    ('PATCH', '/federations/{ident}', unsupported),
    ('DELETE', '/federations/{ident}', unsupported),
]
