"""Sphinx extension: the API reference, rendered from the OpenAPI document.

``.. openapi-reference::`` renders every operation of the document named by
the ``openapi_document`` setting (``doc/api/openapi.yaml``, generated from
the handlers' declarations), grouped by resource, with its parameters, its
request and reply documents and the recorded request and response samples
in ``openapi_samples`` (``doc/api/samples/<operationId>.json``, written by
``magnum_lite/tests/functional/test_api_samples.py``). Then every document
(component schema) with its fields.

An operation with no sample is a warning, so a build with ``-W`` fails when
a route is added without one. The text is generated as reStructuredText and
parsed in place, so nothing is written into the source tree and the page
cannot drift from the document.
"""

import json
import os

import yaml
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util import nodes as sphinx_nodes

LOG = logging.getLogger(__name__)

_METHODS = ('get', 'post', 'patch', 'delete')
_STATUS_TEXT = {200: 'OK', 201: 'Created', 202: 'Accepted',
                204: 'No Content', 400: 'Bad Request', 403: 'Forbidden',
                404: 'Not Found', 405: 'Method Not Allowed',
                406: 'Not Acceptable', 409: 'Conflict'}
_GROUP_TITLES = {
    '': 'Version', 'certificates': 'Certificates', 'clusters': 'Clusters',
    'clustertemplates': 'Cluster templates',
    'credentials': 'Cluster credentials', 'federations': 'Federations',
    'mservices': 'Magnum services', 'quotas': 'Quotas',
    'stats': 'Statistics'}


def load_samples(directory):
    """``{operationId: sample}`` of every ``*.json`` in ``directory``."""
    samples = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith('.json'):
            with open(os.path.join(directory, name)) as f:
                samples[name[:-len('.json')]] = json.load(f)
    return samples


def operations(document):
    """``(group, method, path, operation)`` in the document's order."""
    for path, methods in document['paths'].items():
        group = path.split('/')[2] if path.count('/') > 1 else ''
        for method in _METHODS:
            if method in methods:
                yield group, method, path, methods[method]


def _label(name):
    return 'openapi-' + name.lower().replace('.', '-').replace('_', '-')


def _type(schema):
    """A short text for a JSON schema's type."""
    if '$ref' in schema:
        name = schema['$ref'].rsplit('/', 1)[-1]
        return f':ref:`{name} <{_label("schema-" + name)}>`'
    kind = schema.get('type')
    if kind is None:
        return 'any'
    kinds = kind if isinstance(kind, list) else [kind]
    text = ' or '.join(k for k in kinds if k != 'null')
    if 'array' in kinds and 'items' in schema:
        text = text.replace('array', f'array of {_type(schema["items"])}')
    if 'null' in kinds:
        text += ', nullable'
    return text or 'null'


def _notes(schema):
    """Constraints of a field worth a reader's eye."""
    notes = []
    if schema.get('readOnly'):
        notes.append('read-only: refused in a request')
    if 'enum' in schema:
        notes.append('one of ' + ', '.join(
            f'``{v}``' for v in schema['enum']))
    for key, text in (('minimum', 'at least'), ('maximum', 'at most'),
                      ('minLength', 'length at least'),
                      ('maxLength', 'length at most')):
        if key in schema:
            notes.append(f'{text} {schema[key]}')
    if 'pattern' in schema:
        notes.append('matches ``' + schema['pattern'] + '``')
    if 'x-min-microversion' in schema:
        notes.append(f'from microversion {schema["x-min-microversion"]}')
    return '; '.join(notes)


def _table(header, rows):
    lines = ['.. list-table::', '   :header-rows: 1', '']
    for row in [header] + rows:
        lines.append(f'   * - {row[0] or "-"}')
        lines.extend(f'     - {cell or "-"}' for cell in row[1:])
    return lines + ['']


def _json_block(body):
    text = json.dumps(body, indent=4, sort_keys=False)
    return (['.. code-block:: json', '']
            + ['   ' + line for line in text.splitlines()] + [''])


def _parameters(document, operation):
    rows = []
    for parameter in operation.get('parameters', []):
        if '$ref' in parameter:
            parameter = document['components']['parameters'][
                parameter['$ref'].rsplit('/', 1)[-1]]
        rows.append([f'``{parameter["name"]}``', parameter['in'],
                     _type(parameter.get('schema', {})),
                     'yes' if parameter.get('required') else 'no',
                     ' '.join(filter(None, [
                         parameter.get('description', ''),
                         _notes(parameter)]))])
    if not rows:
        return []
    return _table(['Name', 'In', 'Type', 'Required', 'Notes'], rows)


def _request_lines(operation, sample):
    lines = []
    body = operation.get('requestBody')
    if body:
        schema = body['content']['application/json']['schema']
        lines += [f'Request body: {_type(schema)}', '']
    request = sample['request']
    lines += ['**Request sample**', '', '::', '',
              f'   {request["method"]} {request["path"]}']
    lines += [f'   {k}: {v}' for k, v in request.get('headers', {}).items()]
    lines.append('')
    if request.get('body') is not None:
        lines += _json_block(request['body'])
    return lines


def _response_lines(operation, sample):
    lines = []
    for status, answer in operation['responses'].items():
        if status == '4XX':
            lines.append('* ``4xx``: refused, with Magnum\'s error '
                         f'envelope ({_type({"$ref": "#/Error"})})')
            continue
        content = answer.get('content', {}).get('application/json')
        body = f': {_type(content["schema"])}' if content else ': no body'
        lines.append(f'* ``{status} {answer["description"]}``{body}')
    response = sample['response']
    status = response['status']
    lines += ['', '**Response sample**', '', '::', '',
              f'   {status} {_STATUS_TEXT.get(status, "")}'.rstrip(), '']
    if response.get('body') is not None:
        lines += _json_block(response['body'])
    return lines


def _operation_lines(document, method, path, operation, sample):
    title = f'{method.upper()} {path}'
    lines = [f'.. _{_label(operation["operationId"])}:', '', title,
             '~' * len(title), '', operation.get('summary') or '', '']
    facts = [f'Operation ``{operation["operationId"]}``']
    if 'x-policy' in operation:
        facts.append(f'policy rule ``{operation["x-policy"]}``')
    if 'x-min-microversion' in operation:
        facts.append(f'microversion {operation["x-min-microversion"]} '
                     'or later')
    lines += ['; '.join(facts) + '.', '']
    lines += _parameters(document, operation)
    lines += _request_lines(operation, sample)
    lines += ['Responses:', '']
    lines += _response_lines(operation, sample)
    return lines


def _schema_lines(name, schema):
    title = name
    lines = [f'.. _{_label("schema-" + name)}:', '', title,
             '~' * len(title), '']
    if schema.get('description'):
        lines += [schema['description'], '']
    required = set(schema.get('required', []))
    properties = schema.get('properties', {})
    if not properties:
        return lines + [f'Type: {_type(schema)}.', '']
    rows = [[f'``{field}``', _type(spec),
             'yes' if field in required else 'no', _notes(spec)]
            for field, spec in properties.items()]
    lines += _table(['Field', 'Type', 'Required', 'Notes'], rows)
    if schema.get('additionalProperties') is False:
        lines += ['Other fields are refused.', '']
    return lines


def reference_lines(document, samples, warn):
    """The reference as reStructuredText lines; ``warn(text)`` is called
    for each operation that has no sample."""
    lines = []
    group_seen = None
    for group, method, path, operation in operations(document):
        if group != group_seen:
            title = _GROUP_TITLES.get(group, group.capitalize())
            lines += [title, '-' * len(title), '']
            group_seen = group
        sample = samples.get(operation['operationId'])
        if sample is None:
            warn(f'no sample for {operation["operationId"]} '
                 f'({method.upper()} {path})')
            sample = {'request': {'method': method.upper(), 'path': path},
                      'response': {'status': 0}}
        lines += _operation_lines(document, method, path, operation,
                                  sample)
    lines += ['Documents', '-' * len('Documents'), '',
              'The request and reply bodies the operations name.', '']
    for name, schema in document['components']['schemas'].items():
        lines += _schema_lines(name, schema)
    return lines


class OpenAPIReference(Directive):
    """Render the configured OpenAPI document and its samples."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        path = env.config.openapi_document
        sample_dir = env.config.openapi_samples
        env.note_dependency(path)
        with open(path) as f:
            document = yaml.safe_load(f)
        samples = load_samples(sample_dir)
        for name in samples:
            env.note_dependency(os.path.join(sample_dir, name + '.json'))
        known = {op['operationId'] for *_, op in operations(document)}
        for extra in sorted(set(samples) - known):
            LOG.warning('sample %s names no operation of %s', extra, path,
                        location=(env.docname, self.lineno))
        lines = reference_lines(document, samples, lambda text: LOG.warning(
            text, location=(env.docname, self.lineno)))
        source = self.state.document.current_source
        content = StringList(lines, source=source)
        node = sphinx_nodes.nodes.section()
        node.document = self.state.document
        sphinx_nodes.nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_config_value('openapi_document', None, 'env')
    app.add_config_value('openapi_samples', None, 'env')
    app.add_directive('openapi-reference', OpenAPIReference)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
