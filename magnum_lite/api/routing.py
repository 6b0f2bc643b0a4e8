"""From a request to its endpoint, and from an answer or error to a response.

Handlers are declared with :func:`magnum_lite.api.endpoint.declare`. The
:class:`Router` holds their endpoints; :func:`select` finds the one a
request asks for at the microversion it asks for; :func:`answer` calls its
handler; :func:`error_response` turns any error into Magnum's envelope.
Pecan (``controllers/root.py``) calls these three.
"""

import dataclasses
import functools
import json
import logging
from urllib import parse

import webob
import webob.exc

from magnum_lite.api import errors
from magnum_lite.api import microversions
from magnum_lite.api import policy
from magnum_lite.common import exception
from magnum_lite.common import json_codec

LOG = logging.getLogger(__name__)

# Where select() leaves the negotiated version for answer() and errors.
_VERSION = 'magnum_lite.version'


@dataclasses.dataclass
class Reply:
    """What a handler answers (a plain dict means 200 with that body)."""

    body: object = None
    status: int = 200
    headers: dict = dataclasses.field(default_factory=dict)


class Request:
    """What a handler sees of a request."""

    def __init__(self, webob_request, endpoint, version, context):
        self._req = webob_request
        self.endpoint = endpoint
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

    def check_query(self):
        """The query parameters, after a 400 "Unknown argument" for any
        the endpoint does not declare at this microversion."""
        params = self.params
        allowed = self.endpoint.allowed_query(self.version)
        for name in params:
            if name not in allowed:
                raise exception.UnknownArgument(name=name)
        return params

    def authorize(self, target=None):
        """403 unless the endpoint's policy rule allows the caller on
        ``target`` (default: the caller's own project)."""
        policy.authorize(self.endpoint.policy, self.context, target)

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


class RoutingError(Exception):
    """A refusal before any handler: no such path, method or version.

    Its answer always carries ``title`` and ``detail``, whatever the
    request's Accept header says: clients show them to people.
    """

    def __init__(self, status, title, detail, headers=None):
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        super().__init__(title)


def method_not_allowed(method, allowed):
    """The 405 RoutingError for ``method`` on a path that answers only
    the ``allowed`` methods."""
    return RoutingError(
        405, 'Method Not Allowed',
        f'The method {method} is not allowed for this resource.',
        headers={'Allow': ', '.join(sorted(allowed))})


class Router:
    """The endpoints of ``/v1/...`` (also served without ``/v1``)."""

    def __init__(self, endpoints):
        # A literal segment wins over a parameter: /clusters/detail is
        # not the cluster called "detail".
        self.endpoints = sorted(endpoints, key=lambda e: tuple(
            s.startswith('{') for s in e.segments))

    def match(self, method, parts):
        """(endpoint, {path argument: value}), or a 404/405 RoutingError."""
        allowed = set()
        for endpoint in self.endpoints:
            args = _match(endpoint.segments, parts)
            if args is None:
                continue
            if endpoint.method == method:
                return endpoint, args
            allowed.add(endpoint.method)
        if allowed:
            raise method_not_allowed(method, allowed)
        raise RoutingError(404, 'Not Found',
                           'The resource could not be found.')


def _match(segments, parts):
    if len(parts) != len(segments):
        return None
    args = {}
    for pattern, part in zip(segments, parts, strict=True):
        if pattern.startswith('{'):
            args[pattern[1:-1]] = part
        elif pattern != part:
            return None
    return args


def select(router, req, parts):
    """The endpoint and path arguments ``req`` asks for, at the
    microversion it asks for; raises RoutingError or OutOfRange."""
    if parts and parts[0] == 'v1':
        parts = parts[1:]
    endpoint, args = router.match(req.method, parts)
    version = _negotiate(req)
    if not endpoint.min_version <= version <= endpoint.max_version:
        raise RoutingError(
            406, 'Not Acceptable',
            f'Version {version} was requested but the requested API '
            f'{endpoint.handler.__name__} is not supported for this '
            f'version.')
    req.environ[_VERSION] = version
    return endpoint, args


def _negotiate(req):
    try:
        return microversions.negotiate(req.headers.get(microversions.HEADER))
    except microversions.MalformedHeader as err:
        raise RoutingError(406, 'Not Acceptable', str(err))


def answer(endpoint, req, args, make_context):
    """Call the endpoint's handler; its Reply as a response."""
    version = req.environ[_VERSION]
    _refuse_nul(args, req)
    reply = endpoint.handler(
        Request(req, endpoint, version, make_context(req)), **args)
    if not isinstance(reply, Reply):
        reply = Reply(reply)
    headers = microversions.response_headers(version)
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


def _json_response(status, body, headers=None):
    response = webob.Response(status=status, headers=headers or {})
    if body is None or status == 204:
        response.content_type = None
        response.body = b''
    else:
        response.content_type = 'application/json'
        response.charset = None
        response.body = json_codec.encode(body)
    return response


def json_response(body):
    """A 200 JSON answer outside the v1 endpoints (the version list)."""
    return _json_response(200, body)


def error_response(error, req):
    """Any error met while answering ``req``, in Magnum's envelope."""
    if isinstance(error, UnicodeDecodeError):
        error = _undecodable(req)
    if isinstance(error, exception.MagnumLiteError):
        return _json_response(error.code, errors.envelope(
            error.code, error, errors.code_for(error.code)),
            _version_headers(req))
    if isinstance(error, microversions.OutOfRange):
        return _out_of_range(error, req)
    if isinstance(error, webob.exc.HTTPException):
        # Pecan's own refusals, e.g. 406 when Accept excludes JSON.
        error = _pecan_refusal(error, req)
    if isinstance(error, RoutingError):
        return _routing_error(error, req)
    LOG.error('Unexpected error answering %s %s', req.method, req.path,
              exc_info=error)
    return _json_response(500, errors.envelope(
        500, 'An unexpected error prevented the server from fulfilling '
             'your request.', 'server'), _version_headers(req))


def _version_headers(req):
    version = req.environ.get(_VERSION)
    return microversions.response_headers(version) if version else {}


def _out_of_range(error, req):
    body = microversions.out_of_range_body(error.requested)
    headers = microversions.response_headers(error.requested)
    headers[microversions.HEADER] = req.headers[microversions.HEADER]
    return _json_response(406, body, headers)


def _routing_error(error, req):
    body = {'errors': [{'request_id': '', 'code': '', 'status': error.status,
                        'title': error.title, 'detail': error.detail,
                        'links': []}]}
    return _json_response(error.status, body, error.headers)


def _pecan_refusal(error, req):
    """A webob HTTP error Pecan raised, as a RoutingError."""
    if error.status_int == 406:
        detail = (f'This service answers only application/json; the '
                  f'request accepts {req.accept.header_value}.')
    else:
        detail = error.detail or error.explanation
    return RoutingError(error.status_int, error.title, detail)


def _undecodable(req):
    """What could not be decoded as UTF-8: the path, the query or the
    body."""
    environ = req.environ
    parts = (('path', environ.get('PATH_INFO', '').encode('latin-1')),
             ('query', parse.unquote_to_bytes(
                 environ.get('QUERY_STRING', ''))))
    for name, raw in parts:
        try:
            raw.decode('utf-8')
        except UnicodeError:
            return exception.InvalidParameterValue(
                err=f'The request {name} is not valid UTF-8')
    return exception.MalformedJson()
