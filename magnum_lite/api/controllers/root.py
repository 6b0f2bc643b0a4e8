"""``/``: the version document; everything else goes to the v1 router."""

import json

import pecan
import pecan.hooks
import webob

from magnum_lite.api import microversions


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
        body = {'errors': [{'request_id': '', 'code': '', 'status': 405,
                            'title': '', 'detail': '', 'links': []}]}
        return webob.Response(status=405, json_body=body,
                              headers={'Allow': 'GET'})
    response = webob.Response(
        body=json.dumps(versions_document(req.application_url)).encode())
    response.content_type = 'application/json'
    response.charset = None
    return response
