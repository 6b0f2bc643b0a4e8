"""Builders of the JSON documents endpoints declare they take and give.

A response document is made from the field list its serializer writes,
typed from the request schemas that accept those fields, so a field added
to a serializer shows in the OpenAPI document without a second edit.
"""

import copy

from magnum_lite.api.endpoint import Document

LINKS = {'type': 'array', 'items': {
    'type': 'object', 'properties': {
        'href': {'type': 'string'}, 'rel': {'type': 'string'},
        'type': {'type': 'string'}},
    'required': ['href', 'rel']}}
_STAMP = {'type': ['string', 'null']}


def nullable(kind, **more):
    """``{'type': [kind, 'null'], ...more}``."""
    return dict({'type': [kind, 'null']}, **more)


def _type_of(field, request_schemas):
    """A response field's schema: the JSON type its request schema gives
    (constraints dropped: stored rows predate some rules), or any."""
    if field == 'links':
        return LINKS
    if field in ('created_at', 'updated_at'):
        return _STAMP
    for schema in request_schemas:
        prop = schema['properties'].get(field)
        if prop is None or prop.get('readOnly'):
            continue
        if 'type' in prop:
            kinds = prop['type'] if isinstance(prop['type'], list) \
                else [prop['type']]
            return {'type': sorted(set(kinds) | {'null'})}
        if 'enum' in prop:
            return {'type': ['string', 'null']}
    return {}


def resource(name, fields, request_schemas=(), extra=None,
             required=('uuid',)):
    """An object of exactly ``fields`` (nothing else may appear: that is
    how a leaked column or secret would show)."""
    props = {f: _type_of(f, request_schemas) for f in fields}
    props.update(extra or {})
    return Document(name, {'type': 'object', 'properties': props,
                           'required': list(required),
                           'additionalProperties': False})


def ref(document):
    return {'$ref': f'#/components/schemas/{document.name}'}


def collection(name, key, item):
    """``{key: [item, ...], next: url}``; ``item`` a Document or a plain
    schema."""
    items = ref(item) if isinstance(item, Document) else item
    parts = (item,) if isinstance(item, Document) else ()
    return Document(name, {'type': 'object',
                           'properties': {key: {'type': 'array',
                                                'items': items},
                                          'next': {'type': 'string'}},
                           'required': [key],
                           'additionalProperties': False}, parts)


def request(name, schema):
    """A request body's schema as OpenAPI 3.1 (JSON Schema 2020-12)
    reads it."""
    schema = copy.deepcopy(schema)
    for prop in schema.get('properties', {}).values():
        if prop.get('format') == 'labels':
            # Our own format name: values are coerced to strings.
            del prop['format']
            prop['additionalProperties'] = {
                'type': ['string', 'integer', 'number', 'boolean']}
    return Document(name, schema)


JSON_PATCH = Document('JsonPatch', {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {
            'op': {'enum': ['add', 'replace', 'remove']},
            'path': {'type': 'string', 'pattern': r'^(/[\w-]+)+$'},
            'value': {'type': ['string', 'integer', 'number', 'boolean']},
        },
        'required': ['op', 'path'],
        'additionalProperties': False,
    },
})

ACCEPTED = Document('Accepted', {
    'type': 'object', 'properties': {'uuid': {'type': 'string'}},
    'required': ['uuid'], 'additionalProperties': False})

VERSION = Document('Version', {'type': 'object', 'required': ['id', 'links']})

_ERROR = {'type': 'object', 'properties': {
    'request_id': {'type': 'string'},
    'code': {'type': 'string'},
    'status': {'type': 'integer'},
    'title': {'type': 'string'},
    'detail': {'type': 'string'},
    'description': {'type': 'string'},
    'links': {'type': 'array'},
    'max_version': {'type': 'string'},
    'min_version': {'type': 'string'}},
    'required': ['code', 'title', 'links']}

ERROR = Document('Error', {
    'description': "Magnum's error envelope (406 for an unsupported "
                   'microversion adds min_version and max_version).',
    'type': 'object',
    'properties': {'errors': {'type': 'array', 'items': _ERROR,
                              'minItems': 1}},
    'required': ['errors'], 'additionalProperties': False})
