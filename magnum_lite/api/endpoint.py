"""What each API handler declares about itself, in one place.

A handler is a plain function ``handler(request, **path_args)``. Its
:func:`declare` decorator names the route it answers, the microversions
it exists at, the policy rule it enforces, the query parameters it reads,
the request body it takes and the reply it gives. The router, the request
(policy and query checks) and the OpenAPI document read these
declarations; nothing keeps a second list of them.
"""

import dataclasses
import functools

from magnum_lite.api import microversions as mv


@dataclasses.dataclass(frozen=True)
class Query:
    """A query parameter: its JSON schema and first microversion."""

    name: str
    schema: dict = dataclasses.field(
        default_factory=lambda: {'type': 'string'})
    min_version: mv.Version = mv.MIN


PAGING = (Query('marker'), Query('limit', {'type': 'integer', 'minimum': 1}),
          Query('sort_key'), Query('sort_dir', {'enum': ['asc', 'desc']}))


@dataclasses.dataclass(frozen=True)
class Document:
    """A JSON document the API takes or gives, named as in the OpenAPI
    components; ``parts`` are documents its schema refers to."""

    name: str
    schema: dict
    parts: tuple = ()


@dataclasses.dataclass(frozen=True, eq=False)
class Endpoint:
    """One method on one path, and everything said about it (equal only
    to itself)."""

    method: str
    path: str
    handler: object
    policy: str = None
    min_version: mv.Version = mv.MIN
    max_version: mv.Version = mv.MAX
    query: tuple = ()
    body: Document = None
    status: int = 200      # None: the handler always refuses
    reply: Document = None

    @functools.cached_property
    def segments(self):
        # Computed once: the router compares them on every request.
        return tuple(s for s in self.path.split('/') if s)

    def allowed_query(self, version):
        """The query parameter names this endpoint reads at ``version``."""
        return {q.name for q in self.query if version >= q.min_version}


def declare(method, path, **facts):
    """Decorate a handler with one of its endpoints (stack several when a
    handler answers more than one method or path); ``facts`` are the other
    :class:`Endpoint` fields."""
    def decorate(handler):
        endpoint = Endpoint(method, path, handler, **facts)
        handler.endpoints = (*getattr(handler, 'endpoints', ()), endpoint)
        return handler
    return decorate


def of(*modules):
    """Every endpoint the handlers of ``modules`` declare, in order."""
    return [endpoint for module in modules
            for value in vars(module).values()
            for endpoint in getattr(value, 'endpoints', ())]
