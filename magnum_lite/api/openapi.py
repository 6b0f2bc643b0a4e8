"""The OpenAPI 3.1 description of the v1 API, made from the code.

Every operation comes from a handler's declaration
(:mod:`magnum_lite.api.endpoint`): its path, method, microversions,
policy rule, query parameters, request body and reply document.
``doc/api/openapi.yaml`` is this module's output, regenerated with
``tox -e openapi`` (or ``python -m magnum_lite.api.openapi --output
doc/api/openapi.yaml``); a unit test fails when the two differ.

Request bodies are given as the server checks them after its Magnum
coercions: integer and boolean fields also accept their string forms
(``"2"``, ``"yes"``) and label values of any scalar type are kept as
strings.
"""

import argparse
import collections
import sys

import yaml

from magnum_lite.api import documents
from magnum_lite.api import microversions as mv
from magnum_lite.api.controllers import v1

DEFAULT_OUTPUT = 'doc/api/openapi.yaml'

_METHODS = ('GET', 'POST', 'PATCH', 'DELETE')
_STATUS_TEXT = {200: 'OK', 201: 'Created', 202: 'Accepted',
                204: 'No Content'}


def _parameters(endpoint):
    params = [{'name': seg[1:-1], 'in': 'path', 'required': True,
               # No identifier (uuid, name, project id) is longer.
               'schema': {'type': 'string', 'minLength': 1,
                          'maxLength': 255}}
              for seg in endpoint.segments if seg.startswith('{')]
    for query in endpoint.query:
        param = {'name': query.name, 'in': 'query', 'required': False,
                 'schema': query.schema}
        if query.min_version != mv.MIN:
            param['x-min-microversion'] = str(query.min_version)
        params.append(param)
    params.append({'$ref': '#/components/parameters/ApiVersion'})
    return params


def _responses(endpoint):
    responses = {}
    if endpoint.status is not None:
        answer = {'description': _STATUS_TEXT[endpoint.status]}
        if endpoint.reply is not None:
            answer['content'] = {'application/json': {
                'schema': documents.ref(endpoint.reply)}}
        responses[str(endpoint.status)] = answer
    responses['4XX'] = {'$ref': '#/components/responses/Error'}
    return responses


def _operation(endpoint, shared):
    handler = endpoint.handler
    name = f'{handler.__module__.rsplit(".", 1)[-1]}.{handler.__name__}'
    if shared:
        # One handler answers several methods (e.g. "unsupported").
        name += '.' + endpoint.method.lower()
    operation = {
        'operationId': name,
        'summary': (handler.__doc__ or '').strip().split('\n')[0],
        'parameters': _parameters(endpoint),
        'responses': _responses(endpoint),
    }
    if endpoint.policy:
        operation['x-policy'] = endpoint.policy
    if endpoint.min_version != mv.MIN:
        operation['x-min-microversion'] = str(endpoint.min_version)
    if endpoint.body is not None:
        operation['requestBody'] = {'required': True, 'content': {
            'application/json': {'schema': documents.ref(endpoint.body)}}}
    return operation


def _schemas(endpoints):
    """Every document the endpoints name, and the documents those name."""
    found = {}
    pending = [d for e in endpoints for d in (e.body, e.reply)
               if d is not None] + [documents.ERROR]
    while pending:
        document = pending.pop()
        known = found.setdefault(document.name, document)
        if known.schema != document.schema:
            raise ValueError(f'two documents named {document.name}')
        pending.extend(document.parts)
    return {name: found[name].schema for name in sorted(found)}


def document():
    """The OpenAPI document of the v1 API as a dict."""
    endpoints = v1.build_router().endpoints
    uses = collections.Counter(e.handler for e in endpoints)
    paths = {}
    for endpoint in sorted(endpoints, key=lambda e: (
            e.segments, _METHODS.index(e.method))):
        path = ('/v1/' + '/'.join(endpoint.segments)).rstrip('/')
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(
            endpoint, uses[endpoint.handler] > 1)
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'magnum-lite Container Infrastructure Management API',
            'version': str(mv.MAX),
            'description': ' '.join(__doc__.split('\n\n', 2)[2].split()),
        },
        'paths': paths,
        'components': {
            'schemas': _schemas(endpoints),
            'parameters': {'ApiVersion': {
                'name': mv.HEADER, 'in': 'header', 'required': False,
                'description': f'"{mv.SERVICE} X.Y" with {mv.MIN} <= X.Y '
                               f'<= {mv.MAX}, or "latest"; default {mv.MIN}.',
                'schema': {'type': 'string',
                           'pattern': r'^\S+ +(\d+\.\d+|latest)$'}}},
            'responses': {'Error': {
                'description': 'Refused: Magnum error envelope.',
                'content': {'application/json': {
                    'schema': documents.ref(documents.ERROR)}}}},
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
