"""The OpenAPI 3.1 description of the v1 API, made from the code.

Paths and methods come from the route table (``controllers.v1``), request
bodies from the JSON schemas the API validates with, response documents
from the field lists the controllers serialize. ``doc/api/openapi.yaml``
is this module's output, regenerated with ``tox -e openapi`` (or
``python -m magnum_lite.api.openapi --output doc/api/openapi.yaml``); a
unit test fails when the two differ.

Request bodies are given as the server checks them after its Magnum
coercions: integer and boolean fields also accept their string forms
(``"2"``, ``"yes"``) and label values of any scalar type are kept as
strings.
"""

import argparse
import copy
import sys

import yaml

from magnum_lite.api import microversions as mv
from magnum_lite.api.controllers import v1
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
from magnum_lite.api.schemas import cluster as cluster_schema
from magnum_lite.api.schemas import cluster_template as template_schema
from magnum_lite.api.schemas import nodegroup as nodegroup_schema

DEFAULT_OUTPUT = 'doc/api/openapi.yaml'

_JSON_PATCH = {
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
}

# handler -> (component name, JSON schema) of its request body.
_BODIES = {
    clustertemplates.create: ('ClusterTemplateCreate',
                              template_schema.CREATE),
    clustertemplates.patch: ('JsonPatch', _JSON_PATCH),
    clusters.create: ('ClusterCreate', cluster_schema.CREATE),
    clusters.patch: ('JsonPatch', _JSON_PATCH),
    cluster_actions.resize: ('ClusterResize', cluster_schema.RESIZE),
    cluster_actions.upgrade: ('ClusterUpgrade', cluster_schema.UPGRADE),
    nodegroups.create: ('NodeGroupCreate', nodegroup_schema.CREATE_1_14),
    nodegroups.patch: ('JsonPatch', _JSON_PATCH),
    quotas.create: ('Quota', quotas._BODY),
    quotas.update: ('Quota', quotas._BODY),
    certificates.create: ('CertificateSign', certificates._SIGN),
}

_PAGING = ('marker', 'limit', 'sort_key', 'sort_dir')
# handler -> the query parameters it reads (anything else is a 400).
_QUERY = {
    clustertemplates.get_all: _PAGING,
    clustertemplates.detail: _PAGING,
    clusters.get_all: _PAGING,
    clusters.detail: _PAGING,
    clusters.patch: ('rollback',),
    nodegroups.get_all: _PAGING + ('role',),
    quotas.get_all: _PAGING + ('all_tenants',),
    stats.get_all: ('project_id', 'type'),
    certificates.get_one: ('ca_cert_type',),
    federations.get_all: _PAGING,
    federations.detail: _PAGING,
}
_QUERY_SCHEMAS = {
    'limit': {'type': 'integer', 'minimum': 1},
    'sort_dir': {'enum': ['asc', 'desc']},
    'rollback': {'type': 'boolean'},
    'all_tenants': {'type': 'boolean'},
}

# handler -> (status, response component or None for no body).
_REPLIES = {
    v1.show: (200, 'Version'),
    clustertemplates.get_all: (200, 'ClusterTemplateCollection'),
    clustertemplates.detail: (200, 'ClusterTemplateCollection'),
    clustertemplates.get_one: (200, 'ClusterTemplate'),
    clustertemplates.create: (201, 'ClusterTemplate'),
    clustertemplates.patch: (200, 'ClusterTemplate'),
    clustertemplates.delete: (204, None),
    clusters.get_all: (200, 'ClusterCollection'),
    clusters.detail: (200, 'ClusterDetailCollection'),
    clusters.get_one: (200, 'Cluster'),
    clusters.create: (202, 'Accepted'),
    clusters.patch: (202, 'Accepted'),
    clusters.delete: (204, None),
    cluster_actions.resize: (202, 'Accepted'),
    cluster_actions.upgrade: (202, 'Accepted'),
    nodegroups.get_all: (200, 'NodeGroupCollection'),
    nodegroups.get_one: (200, 'NodeGroup'),
    nodegroups.create: (202, 'NodeGroup'),
    nodegroups.patch: (202, 'NodeGroup'),
    nodegroups.delete: (204, None),
    quotas.get_all: (200, 'QuotaCollection'),
    quotas.get_one: (200, 'Quota'),
    quotas.create: (201, 'Quota'),
    quotas.update: (202, 'Quota'),
    quotas.delete: (204, None),
    stats.get_all: (200, 'Stats'),
    mservices.get_all: (200, 'ServiceCollection'),
    certificates.get_one: (200, 'Certificate'),
    certificates.create: (201, 'Certificate'),
    certificates.rotate: (202, 'Accepted'),
    credentials.rotate: (202, 'Accepted'),
    federations.get_all: (200, 'FederationCollection'),
    federations.detail: (200, 'FederationCollection'),
}


# Response documents.

_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'properties': {
        'href': {'type': 'string'}, 'rel': {'type': 'string'},
        'type': {'type': 'string'}},
    'required': ['href', 'rel']}}
_STAMP = {'type': ['string', 'null']}
_NULLABLE = ('string', 'integer', 'boolean', 'object', 'array')


def _type_of(field, request_schemas):
    """A response field's schema: the JSON type its request schema gives
    (constraints dropped: stored rows predate some rules), or any."""
    if field == 'links':
        return _LINKS
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


def _resource(fields, request_schemas, extra=None, required=('uuid',)):
    """An object of exactly ``fields`` (nothing else may appear: that is
    how a leaked column or secret would show)."""
    props = {f: _type_of(f, request_schemas) for f in fields}
    props.update(extra or {})
    return {'type': 'object', 'properties': props,
            'required': list(required), 'additionalProperties': False}


def _collection(key, item):
    return {'type': 'object',
            'properties': {key: {'type': 'array', 'items': item},
                           'next': {'type': 'string'}},
            'required': [key], 'additionalProperties': False}


def _ref(name):
    return {'$ref': f'#/components/schemas/{name}'}


def _response_schemas():
    template_in = [template_schema.DOCUMENT]
    cluster_in = [cluster_schema.CREATE, cluster_schema.PATCH_DOCUMENT]
    nodegroup_in = [nodegroup_schema.CREATE_1_14,
                    nodegroup_schema.PATCH_DOCUMENT]
    # Before 1.13 a cluster shows stack_id, from 1.13 cluster_id.
    cluster_id = {'cluster_id': {'type': ['string', 'null']},
                  'stack_id': {'type': ['string', 'null']}}
    label_maps = {k: {'type': ['object', 'null']} for k in (
        'labels_overridden', 'labels_added', 'labels_skipped', 'faults',
        'health_status_reason')}
    addresses = {k: {'type': ['array', 'null'], 'items': {'type': 'string'}}
                 for k in ('node_addresses', 'master_addresses')}
    cluster_detail = _resource(clusters.DETAIL_FIELDS, cluster_in,
                               dict(cluster_id, **label_maps, **addresses))
    cluster_list = _resource(clusters.LIST_FIELDS, cluster_in, cluster_id)
    nodegroup_extra = dict(
        {k: {'type': ['object', 'null']} for k in (
            'labels_overridden', 'labels_added', 'labels_skipped')},
        node_addresses=addresses['node_addresses'],
        id={'type': ['integer', 'null']},
        is_default={'type': ['boolean', 'null']},
        status={'type': ['string', 'null']},
        status_reason={'type': ['string', 'null']},
        version={'type': ['string', 'null']},
        stack_id={'type': ['string', 'null']},
        project_id={'type': ['string', 'null']},
        cluster_id={'type': ['string', 'null']})
    nodegroup = _resource(nodegroups.FIELDS, nodegroup_in, nodegroup_extra)
    nodegroup_list = _resource(nodegroups.LIST_FIELDS, nodegroup_in,
                               {k: nodegroup_extra[k] for k in (
                                   'is_default', 'status', 'stack_id')})
    quota = _resource(('id', 'hard_limit', 'project_id', 'resource',
                       'created_at', 'updated_at'), [quotas._BODY],
                      {'id': {'type': 'integer'}},
                      required=('hard_limit', 'project_id', 'resource'))
    error = {'type': 'object', 'properties': {
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
    return {
        'Error': {
            'description': "Magnum's error envelope (406 for an "
                           'unsupported microversion adds min_version and '
                           'max_version).',
            'type': 'object',
            'properties': {'errors': {'type': 'array', 'items': error,
                                      'minItems': 1}},
            'required': ['errors'], 'additionalProperties': False},
        'Accepted': {'type': 'object',
                     'properties': {'uuid': {'type': 'string'}},
                     'required': ['uuid'], 'additionalProperties': False},
        'Version': {'type': 'object', 'required': ['id', 'links']},
        'ClusterTemplate': _resource(clustertemplates.FIELDS, template_in),
        'ClusterTemplateCollection': _collection(
            'clustertemplates', _ref('ClusterTemplate')),
        'Cluster': cluster_detail,
        'ClusterSummary': cluster_list,
        'ClusterCollection': _collection('clusters', _ref('ClusterSummary')),
        'ClusterDetailCollection': _collection('clusters', _ref('Cluster')),
        'NodeGroup': nodegroup,
        'NodeGroupSummary': nodegroup_list,
        'NodeGroupCollection': _collection('nodegroups',
                                           _ref('NodeGroupSummary')),
        'Quota': quota,
        'QuotaCollection': _collection('quotas', _ref('Quota')),
        'Stats': {'type': 'object', 'properties': {
            'clusters': {'type': 'integer'}, 'nodes': {'type': 'integer'}},
            'required': ['clusters', 'nodes'],
            'additionalProperties': False},
        'ServiceCollection': _collection('mservices', {'type': 'object'}),
        'Certificate': {'type': 'object', 'properties': {
            'cluster_uuid': {'type': 'string'}, 'links': _LINKS,
            'pem': {'type': 'string'}, 'csr': {'type': 'string'},
            'ca_cert_type': {'type': ['string', 'null']}},
            'required': ['cluster_uuid', 'pem'],
            'additionalProperties': False},
        'FederationCollection': _collection('federations',
                                            {'type': 'object'}),
    }


# Requests.

def _request_schema(schema):
    """A request schema as OpenAPI 3.1 (JSON Schema 2020-12) reads it."""
    schema = copy.deepcopy(schema)
    for prop in schema.get('properties', {}).values():
        if prop.get('format') == 'labels':
            # Our own format name: values are coerced to strings.
            del prop['format']
            prop['additionalProperties'] = {
                'type': ['string', 'integer', 'number', 'boolean']}
    return schema


def _parameters(route):
    params = [{'name': seg[1:-1], 'in': 'path', 'required': True,
               # No identifier (uuid, name, project id) is longer.
               'schema': {'type': 'string', 'minLength': 1,
                          'maxLength': 255}}
              for seg in route.segments if seg.startswith('{')]
    for name in _QUERY.get(route.handler, ()):
        params.append({'name': name, 'in': 'query', 'required': False,
                       'schema': _QUERY_SCHEMAS.get(name,
                                                    {'type': 'string'})})
    params.append({'$ref': '#/components/parameters/ApiVersion'})
    return params


_STATUS_TEXT = {200: 'OK', 201: 'Created', 202: 'Accepted',
                204: 'No Content'}


def _operation_id(route):
    name = f'{route.handler.__module__.rsplit(".", 1)[-1]}.' \
           f'{route.handler.__name__}'
    if route.handler in _SHARED_HANDLERS:
        # One handler answers several methods (e.g. "unsupported").
        name += '.' + route.method.lower()
    return name


_SHARED_HANDLERS = (clusters._missing_ident, clustertemplates._missing_ident,
                    federations.unsupported)


def _operation(route):
    status, reply = _REPLIES.get(route.handler, (None, None))
    responses = {}
    if status is not None:
        answer = {'description': _STATUS_TEXT[status]}
        if reply is not None:
            answer['content'] = {'application/json': {
                'schema': _ref(reply)}}
        responses[str(status)] = answer
    responses['4XX'] = {'$ref': '#/components/responses/Error'}
    operation = {
        'operationId': _operation_id(route),
        'summary': (route.handler.__doc__ or '').strip().split('\n')[0],
        'parameters': _parameters(route),
        'responses': responses,
    }
    if route.min_version != mv.MIN:
        operation['x-min-microversion'] = str(route.min_version)
    if route.handler in _BODIES:
        name, _ = _BODIES[route.handler]
        operation['requestBody'] = {'required': True, 'content': {
            'application/json': {'schema': _ref(name)}}}
    return operation


def document():
    """The OpenAPI document of the v1 API as a dict."""
    router = v1.build_router()
    paths = {}
    for route in router._routes:
        path = '/v1/' + '/'.join(route.segments)
        paths.setdefault(path.rstrip('/') or '/v1', {})[
            route.method.lower()] = _operation(route)
    schemas = {name: _request_schema(schema)
               for name, schema in _BODIES.values()}
    schemas.update(_response_schemas())
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'magnum-lite Container Infrastructure Management API',
            'version': str(mv.MAX),
            'description': ' '.join(__doc__.split('\n\n', 2)[2].split()),
        },
        'paths': paths,
        'components': {
            'schemas': dict(sorted(schemas.items())),
            'parameters': {'ApiVersion': {
                'name': mv.HEADER, 'in': 'header', 'required': False,
                'description': f'"{mv.SERVICE} X.Y" with {mv.MIN} <= X.Y '
                               f'<= {mv.MAX}, or "latest"; default {mv.MIN}.',
                'schema': {'type': 'string',
                           'pattern': r'^\S+ +(\d+\.\d+|latest)$'}}},
            'responses': {'Error': {
                'description': 'Refused: Magnum error envelope.',
                'content': {'application/json': {
                    'schema': _ref('Error')}}}},
        },
    }


def render():
    """The document as the YAML text committed in the repository."""
    return yaml.safe_dump(document(), sort_keys=False, width=79,
                          default_flow_style=False)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Write the OpenAPI document of the magnum-lite API.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT,
                        help='file to write ("-": standard output)')
    args = parser.parse_args(argv)
    text = render()
    if args.output == '-':
        sys.stdout.write(text)
    else:
        with open(args.output, 'w') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
