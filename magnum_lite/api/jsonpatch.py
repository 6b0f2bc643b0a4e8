"""RFC 6902 patches, as Magnum applies them to its resources.

Differences from the RFC that clients rely on: only add, replace and
remove; ``add`` at the top level only fills an attribute that is null;
values of dict- or list-typed attributes may arrive as Python-literal
strings (python-magnumclient sends ``str(dict)``); ``remove`` resets an
attribute to its API default.
"""

import ast
import copy
import json
import re

from magnum_lite.common import exception

_PATH = re.compile(r'^(/[\w-]+)+$')
_OPS = ('add', 'replace', 'remove')
COMMON_INTERNAL = ('/created_at', '/id', '/links', '/updated_at', '/uuid',
                   '/project_id', '/user_id')


def _fail(field, value, reason):
    raise exception.InvalidField(field=field, value=value, reason=reason)


def validate_ops(ops, internal=(), mandatory=()):
    """Check the shape of a patch; return it as a list of dicts."""
    if not isinstance(ops, list):
        _fail('patch', ops, f'Value not a valid list: {ops!r}')
    for op in ops:
        if not isinstance(op, dict):
            _fail('patch', op, f'Value not a valid dict: {op!r}')
        unknown = set(op) - {'op', 'path', 'value'}
        if unknown:
            raise exception.UnknownAttributes(
                argument='patch', names=', '.join(sorted(unknown)))
        path = op.get('path')
        if not isinstance(path, str) or not _PATH.match(path):
            _fail('path', path, r'Value should match the pattern '
                                r'^(/[\w-]+)+$')
        if op.get('op') not in _OPS:
            _fail('op', op.get('op'),
                  'Value should be one of: remove, replace, add')
        value = op.get('value')
        if op['op'] != 'remove':
            if value is None:
                raise exception.InvalidParameterValue(
                    err="'add' and 'replace' operations needs value")
            if isinstance(value, (dict, list)):
                _fail('value', value, "Wrong type. Expected '(<class "
                                      "'str'>, <class 'int'>)', got "
                                      f"'{type(value)}'")
        top = '/' + path.split('/')[1]
        if top in COMMON_INTERNAL or top in internal:
            raise exception.InvalidParameterValue(
                err=f"'{top}' is an internal attribute and can not be "
                    f"updated")
        if op['op'] == 'remove' and top in mandatory and top == path:
            raise exception.InvalidParameterValue(
                err=f"'{top}' is a mandatory attribute and can not be "
                    f"removed")
    return ops


def _literal(value, ops):
    """A dict/list attribute given as a string (str(dict) or JSON)."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        try:
            return json.loads(value)
        except ValueError:
            raise exception.PatchError(
                patch=json.dumps(ops),
                reason=f'the value {value!r} is not a valid mapping')


def apply(document, ops, defaults=None, structured=()):
    """Apply ``ops`` to a copy of ``document`` and return it.

    ``defaults`` gives the value ``remove`` resets an attribute to;
    ``structured`` names the dict/list attributes that take literals.
    """
    doc = copy.deepcopy(document)
    defaults = defaults or {}
    for op in ops:
        keys = op['path'].lstrip('/').split('/')
        value = op.get('value')
        if len(keys) == 1 and keys[0] in structured and op['op'] != 'remove':
            value = _literal(value, ops)
        parent = doc
        for key in keys[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
            if not isinstance(parent, dict):
                raise exception.PatchError(
                    patch=json.dumps(ops),
                    reason=f"can't {op['op']} a non-existent object "
                           f"'{key}'")
        _apply_one(doc, parent, keys, op['op'], value, defaults, ops)
    return doc


def _apply_one(doc, parent, keys, kind, value, defaults, ops):
    key = keys[-1]
    top_level = len(keys) == 1
    if top_level and key not in doc:
        raise exception.InvalidParameterValue(
            err=f'Adding a new attribute /{key} to the root of the resource '
                f'is not allowed.')
    if kind == 'add':
        if top_level and doc[key] is not None:
            raise exception.InvalidParameterValue(
                err=f"The attribute /{key} has existed, please use "
                    f"'replace' operation instead.")
        parent[key] = value
    elif kind == 'replace':
        if key not in parent:
            raise exception.PatchError(
                patch=json.dumps(ops),
                reason=f"can't replace a non-existent object '{key}'")
        parent[key] = value
    else:
        if key not in parent:
            raise exception.PatchError(
                patch=json.dumps(ops),
                reason=f"can't remove a non-existent object '{key}'")
        if top_level:
            parent[key] = copy.deepcopy(defaults.get(key))
        else:
            del parent[key]
