"""``/``: the version document; everything else goes to the v1 router."""

import json
from urllib import parse

import pecan
import pecan.hooks
import webob
import webob.exc

from magnum_lite.api import microversions
from magnum_lite.api import routing
from magnum_lite.common import exception


def versions_document(base_url):
    """The body of ``GET /``."""
    return {
        'name': 'OpenStack Magnum API',
        'description': 'Magnum is an OpenStack project which aims to '
                       'provide container cluster management.',
        'versions': [{
            'id': 'v1',
            'links': [{'href': f'{base_url}/v1/', 'rel': 'self'}],
            'status': 'CURRENT',
            'max_version': str(microversions.MAX),
            'min_version': str(microversions.MIN),
        }],
    }


class NoNegotiation(pecan.hooks.PecanHook):
    """Skip Pecan's Accept negotiation: every answer is JSON (or empty),
    and the router answers unknown paths and versions itself."""

    def on_route(self, state):
        state.request.pecan['content_type'] = 'application/json'

    def on_error(self, state, error):
        # Pecan decodes the path, and the JSON body (for controller
        # arguments we do not use), itself; it answers its own 400 when
        # either is not UTF-8. Give that answer Magnum's envelope.
        if isinstance(error, webob.exc.HTTPBadRequest):
            return routing.error_response(_undecodable(state.request))
        return None


def _undecodable(req):
    """What Pecan could not decode: the path, the query or the body."""
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


class RootController:
    """Routes ``/`` itself, and hands every other path to ``v1``."""

    def __init__(self, v1_dispatch):
        self._v1 = v1_dispatch

    @pecan.expose(content_type='application/json')
    def _dispatch(self, *remainder, **params):
        req = pecan.request
        if req.path_info.strip('/') == '':
            return _root(req)
        return self._v1(req)

    @pecan.expose(content_type='application/json')
    def _route(self, args, request=None):
        # Pecan's object dispatch is bypassed: our router decides.
        return self._dispatch, []


def _root(req):
    if req.method != 'GET':
        return routing.routing_error(405, 'Method Not Allowed', req,
                                     headers={'Allow': 'GET'})
    response = webob.Response(
        body=json.dumps(versions_document(req.application_url)).encode())
    response.content_type = 'application/json'
    response.charset = None
    return response
