"""Building blocks for the request schemas."""

NAME_PATTERN = '^[a-zA-Z][a-zA-Z0-9_.-]*$'


def string(min_length=1, max_length=255, nullable=True, **extra):
    prop = {'type': ['string', 'null'] if nullable else 'string',
            'minLength': min_length, 'maxLength': max_length}
    prop.update(extra)
    return prop


# The largest value an Integer column holds on every backend: a larger
# number is a 400 here rather than a database error (500).
INT_MAX = 2 ** 31 - 1


def integer(minimum=None, maximum=INT_MAX, nullable=True):
    prop = {'type': ['integer', 'null'] if nullable else 'integer'}
    if minimum is not None:
        prop['minimum'] = minimum
    if maximum is not None:
        prop['maximum'] = maximum
    return prop


def boolean(nullable=True):
    return {'type': ['boolean', 'null'] if nullable else 'boolean'}


def labels():
    """A label map: values of any scalar type, kept as strings."""
    return {'type': ['object', 'null'], 'format': 'labels',
            'additionalProperties': {'type': 'string'}}


def enum(*values, nullable=True):
    allowed = list(values) + ([None] if nullable else [])
    return {'enum': allowed}


def uuid():
    return {'type': ['string', 'null'],
            'pattern': '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                       '[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$'}


READ_ONLY = {'readOnly': True}


def read_only(*names):
    return dict.fromkeys(names, READ_ONLY)


def obj(properties, required=()):
    return {'type': 'object', 'properties': properties,
            'required': list(required), 'additionalProperties': False}
