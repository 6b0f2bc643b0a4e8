"""Query parameters of collections, pagination and links."""

from urllib import parse

from oslo_utils import uuidutils

from magnum_lite.api.schemas import types
from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

_PAGING = frozenset({'marker', 'limit', 'sort_key', 'sort_dir'})


def paging(request, model, integer_marker=False):
    """Read marker/limit/sort_key/sort_dir; refuse parameters the
    endpoint does not declare.

    ``model`` gives the sortable columns (None: any sort_key)."""
    params = request.check_query()
    limit = _limit(params.get('limit'))
    sort_dir = params.get('sort_dir', 'asc')
    if sort_dir not in ('asc', 'desc'):
        raise exception.InvalidParameterValue(
            err=f"Invalid sort direction: {sort_dir}. Acceptable values "
                f"are 'asc' or 'desc'")
    sort_key = params.get('sort_key', 'id')
    if model is not None and sort_key not in db_api.sortable_keys(model):
        raise exception.InvalidParameterValue(
            err=f'The sort_key value "{sort_key}" is an invalid field for '
                f'sorting')
    marker = params.get('marker')
    if marker is not None:
        marker = _int_marker(marker) if integer_marker else _uuid(marker)
    return {'limit': limit, 'marker': marker, 'sort_key': sort_key,
            'sort_dir': sort_dir}


def _limit(text):
    if text is None:
        return CONF.api.max_limit
    try:
        limit = int(text)
    except ValueError as err:
        raise exception.InvalidField(
            field='limit', value=text,
            reason=f'unable to convert to int. Error: {err}')
    if limit <= 0:
        raise exception.InvalidParameterValue(err='Limit must be positive')
    return min(limit, CONF.api.max_limit)


def _uuid(text):
    if not uuidutils.is_uuid_like(text):
        raise exception.InvalidField(
            field='marker', value=text,
            reason=f'unable to convert to uuid. Error: Expected a uuid but '
                   f'received {text}.')
    return text


def _int_marker(text):
    try:
        marker = int(text)
    except ValueError as err:
        raise exception.InvalidField(
            field='marker', value=text,
            reason=f'unable to convert to int. Error: {err}')
    if not 0 < marker <= types.INT_MAX:
        # No row has such an id; the database would fail on the number.
        raise exception.InvalidField(field='marker', value=text,
                                     reason='Value out of range')
    return marker


def collection(request, key, items, paging_args, url, marker_of):
    """``{key: items, "next": ...}``; ``next`` only when the page is full.

    ``next`` keeps the request's other query parameters (filters such as
    ``role`` or ``all_tenants``), so following it pages the same list."""
    body = {key: items}
    if items and len(items) == paging_args['limit']:
        body['next'] = (
            f"{request.base_url}/v1/{url}?sort_key={paging_args['sort_key']}"
            f"&sort_dir={paging_args['sort_dir']}"
            f"&limit={paging_args['limit']}&marker={marker_of(items[-1])}"
            f"{_filters(request)}")
    return body


def _filters(request):
    kept = [(name, value) for name, value in request.params.items()
            if name not in _PAGING]
    return '&' + parse.urlencode(kept) if kept else ''


def links(request, path):
    """Magnum's self and bookmark links for ``<collection>/<id>``."""
    base = request.base_url
    return [{'href': f'{base}/v1/{path}', 'rel': 'self'},
            {'href': f'{base}/{path}', 'rel': 'bookmark'}]


def timestamp(value):
    """ISO 8601 with an explicit UTC offset, or None."""
    if value is None:
        return None
    return value.isoformat(timespec='seconds') + '+00:00'


def fields_of(row, names):
    """{name: value} of ``row`` for ``names``: a Core or column row
    through its mapping (an attribute of a Row is a slow lookup), anything
    else (an ORM object, a record) through ``getattr``. Lists, which know
    the columns they read and their order, zip them with each row."""
    mapping = getattr(row, '_mapping', None)
    if mapping is not None:
        return {name: mapping[name] for name in names}
    return {name: getattr(row, name) for name in names}
