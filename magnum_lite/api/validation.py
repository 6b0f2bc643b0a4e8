"""Request validation: JSON schema, with Magnum's coercions and messages.

Schemas live in :mod:`magnum_lite.api.schemas`. Two extensions to JSON
schema: properties marked ``readOnly`` are refused when present, and
before validation integer and boolean properties accept the string forms
Magnum accepts (``"2"``, ``"yes"``, ``1``...).
"""

import re

import jsonschema

from magnum_lite.common import exception

# What int() reads and Magnum accepts for an integer (ASCII digits only:
# str.isdigit() also holds for "²", which int() refuses).
_INTEGER = re.compile(r'^\s*[-+]?[0-9]+\s*$')
_TRUE = frozenset({'true', 't', 'yes', 'y', 'on', '1'})
_FALSE = frozenset({'false', 'f', 'no', 'n', 'off', '0'})


def to_bool(value):
    """Magnum's boolean reading of a JSON value; None if it isn't one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _types(prop):
    kind = prop.get('type', [])
    return {kind} if isinstance(kind, str) else set(kind)


def _coerce(prop, value):
    kinds = _types(prop)
    if 'boolean' in kinds and not isinstance(value, bool):
        as_bool = to_bool(value)
        return value if as_bool is None else as_bool
    if 'integer' in kinds and isinstance(value, str) and \
            _INTEGER.match(value):
        return int(value)
    if 'labels' == prop.get('format') and isinstance(value, dict):
        return {k: _label_str(v) for k, v in value.items()}
    return value


def _label_str(value):
    if isinstance(value, bool):
        return 'True' if value else 'False'
    return value if isinstance(value, str) else str(value)


def _field_error(field, value, reason):
    return exception.InvalidField(field=field, value=value, reason=reason)


_PY_TYPES = {'string': "<class 'str'>", 'integer': "<class 'int'>",
             'boolean': "<class 'bool'>", 'object': "<class 'dict'>",
             'array': "<class 'list'>", 'number': "<class 'float'>"}


def _explain(error):
    """Magnum's wording for one jsonschema error."""
    validator, expected = error.validator, error.validator_value
    value = error.instance
    if validator == 'type':
        names = [t for t in ([expected] if isinstance(expected, str)
                             else expected) if t != 'null']
        wanted = ', '.join(_PY_TYPES.get(t, t) for t in names)
        if len(names) > 1:
            wanted = f'({wanted})'
        return f"Wrong type. Expected '{wanted}', got '<class " \
               f"'{type(value).__name__}'>'"
    if validator == 'pattern':
        # "|^$" only lets an empty string through (it means "not given");
        # Magnum's message shows the pattern of a real value.
        return f"Value should match the pattern {expected.removesuffix('|^$')}"
    if validator == 'minimum':
        return f'Value should be greater or equal to {expected}'
    if validator == 'maximum':
        return f'Value should be less or equal to {expected}'
    if validator == 'minLength':
        return f'Value should have a minimum character requirement of ' \
               f'{expected}'
    if validator == 'maxLength':
        return f'Value should have a maximum character requirement of ' \
               f'{expected}'
    if validator == 'enum':
        return 'Value should be one of: ' + ', '.join(
            str(e) for e in expected if e is not None)
    if validator == 'additionalProperties':
        return 'Unknown attribute'
    return error.message


def validate(schema, body, argument):
    """Check ``body`` against ``schema``; return the coerced copy.

    ``argument`` names the body in messages (e.g. "cluster").
    """
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise _field_error(argument, body,
                           f'Value not a valid dict: {body!r}')
    props = schema.get('properties', {})
    unknown = sorted(set(body) - set(props))
    if unknown and not schema.get('additionalProperties', False):
        raise exception.UnknownAttributes(argument=argument,
                                          names=', '.join(unknown))
    _refuse_nul(body)
    result = {}
    for key, value in body.items():
        prop = props.get(key, {})
        if prop.get('readOnly'):
            raise _field_error(key, value, 'Cannot set read only field.')
        result[key] = value if value is None else _coerce(prop, value)
    for key in schema.get('required', []):
        if result.get(key) is None:
            raise _field_error(key, None, 'Mandatory field missing.')
    _check(schema, result)
    return result


def _refuse_nul(value, field='body'):
    """400 for a NUL character in any string (key or value): PostgreSQL
    cannot store one and would fail the write with a 500."""
    if isinstance(value, str):
        if '\x00' in value:
            raise _field_error(field, value,
                               'Value should not contain NUL characters')
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, field)
            _refuse_nul(item, key if field == 'body' else field)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, field)


def _check(schema, document):
    validator = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return
    path = list(error.absolute_path)
    field = path[0] if path else 'body'
    value = document.get(field) if path else document
    if error.validator == 'additionalProperties' and not path:
        raise exception.UnknownAttributes(argument='body',
                                          names=str(error.instance))
    raise _field_error(field, value, _explain(error))


def check_document(schema, document):
    """Validate a whole resource document (after a JSON patch)."""
    _check(schema, document)
