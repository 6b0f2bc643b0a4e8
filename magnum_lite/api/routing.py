"""The route table and the one place requests are dispatched and answered.

Every handler is a plain function ``handler(request, **path_args)`` that
returns a :class:`Reply` (or a dict for 200). Errors are exceptions from
:mod:`magnum_lite.common.exception`; this module turns them into Magnum's
error envelope.
"""

import dataclasses
import functools
import json
import logging

import webob

from magnum_lite.api import errors
from magnum_lite.api import microversions
from magnum_lite.common import exception

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Reply:
    """What a handler answers."""

    body: object = None
    status: int = 200
    headers: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    segments: tuple
    handler: object
    min_version: microversions.Version = microversions.MIN

    def match(self, parts):
        if len(parts) != len(self.segments):
            return None
        args = {}
        for pattern, part in zip(self.segments, parts, strict=True):
            if pattern.startswith('{'):
                args[pattern[1:-1]] = part
            elif pattern != part:
                return None
        return args


class Request:
    """What a handler sees of a request."""

    def __init__(self, webob_request, version, context):
        self._req = webob_request
        self.version = version
        self.context = context

    @property
    def method(self):
        return self._req.method

    @functools.cached_property
    def base_url(self):
        """scheme://host[:port][script prefix] as the caller sees us."""
        return self._req.application_url

    @property
    def params(self):
        """Query parameters: {name: last value}."""
        return dict(self._req.GET.items())

    def at_least(self, version):
        return self.version >= version

    def json(self, argument):
        """The JSON body; ``None`` if there is none. ``argument`` names the
        body in error messages (Magnum's "argument cluster")."""
        raw = self._req.body
        if not raw.strip():
            return None
        content_type = self._req.content_type
        if content_type not in ('', 'application/json',
                                'application/octet-stream'):
            raise exception.UnsupportedMediaType(mimetype=content_type)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise exception.MalformedJson()


class Router:
    """Routes ``/v1/...`` (and the same paths without ``/v1``)."""

    def __init__(self):
        self._routes = []

    def add(self, method, path, handler, min_version=microversions.MIN):
        segments = tuple(s for s in path.split('/') if s)
        self._routes.append(Route(method, segments, handler, min_version))

    def match(self, method, parts):
        """Return (route, args), or raise 404/405 as routing errors."""
        allowed = set()
        for route in self._routes:
            args = route.match(parts)
            if args is None:
                continue
            if route.method == method:
                return route, args
            allowed.add(route.method)
        if allowed:
            raise _RoutingError(405, 'Method Not Allowed',
                                headers={'Allow': ', '.join(sorted(allowed))})
        raise _RoutingError(404, 'Not Found')


class _RoutingError(Exception):
    def __init__(self, status, title, detail='', headers=None):
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        super().__init__(title)


def _json_response(status, body, headers=None):
    response = webob.Response(status=status, headers=headers or {})
    if body is None or status == 204:
        response.content_type = None
        response.body = b''
    else:
        response.content_type = 'application/json'
        response.charset = None
        response.body = json.dumps(body).encode()
    return response


def error_response(err, headers=None):
    """The envelope answer of one of our exceptions."""
    return _json_response(err.code, errors.envelope(
        err.code, err, errors.code_for(err.code)), headers)


def routing_error(status, title, req, headers=None):
    """A routing-level error answer (code ""), e.g. 405 on ``/``."""
    return _routing_error(_RoutingError(status, title, headers=headers), req)


def _routing_error(err, req):
    title = err.title if _accepts_json(req) else ''
    detail = err.detail if _accepts_json(req) else ''
    body = {'errors': [{'request_id': '', 'code': '', 'status': err.status,
                        'title': title, 'detail': detail, 'links': []}]}
    return _json_response(err.status, body, err.headers)


def _accepts_json(req):
    return 'application/json' in (req.accept.header_value or '')


def _path_parts(path):
    parts = [p for p in path.split('/') if p]
    if parts and parts[0] == 'v1':
        parts = parts[1:]
    return parts


def dispatch(router, req, make_context):
    """Answer one request under ``/v1`` (or a prefix-less v1 path)."""
    try:
        route, args = router.match(req.method, _path_parts(req.path_info))
        version = _negotiate(req)
    except _RoutingError as err:
        return _routing_error(err, req)
    except microversions.OutOfRange as err:
        body = microversions.out_of_range_body(err.requested,
                                               _accepts_json(req))
        headers = microversions.response_headers(err.requested)
        headers[microversions.HEADER] = req.headers[microversions.HEADER]
        return _json_response(406, body, headers)
    if version < route.min_version:
        return _routing_error(_RoutingError(
            406, 'Not Acceptable',
            f'Version {version} was requested but the requested API '
            f'{route.handler.__name__} is not supported for this version.'),
            req)
    headers = microversions.response_headers(version)
    try:
        _refuse_nul(args, req)
        request = Request(req, version, make_context(req))
        reply = route.handler(request, **args)
        if not isinstance(reply, Reply):
            reply = Reply(reply)
    except exception.MagnumLiteError as err:
        return error_response(err, headers)
    except Exception:
        LOG.exception('Unexpected error answering %s %s', req.method,
                      req.path)
        return _json_response(500, errors.envelope(
            500, 'An unexpected error prevented the server from fulfilling '
                 'your request.', 'server'), headers)
    headers.update(reply.headers)
    return _json_response(reply.status, reply.body, headers)


def _refuse_nul(args, req):
    """400 for a NUL character in a path argument or query parameter:
    PostgreSQL refuses it in a query, which would be a 500."""
    for name, value in list(args.items()) + list(req.GET.items()):
        if '\x00' in value or '\x00' in name:
            raise exception.InvalidParameterValue(
                err=f'{name.replace(chr(0), "")} should not contain NUL '
                    f'characters.')


def _negotiate(req):
    try:
        return microversions.negotiate(req.headers.get(microversions.HEADER))
    except microversions.MalformedHeader as err:
        raise _RoutingError(406, 'Not Acceptable', str(err))
