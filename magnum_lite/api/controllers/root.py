"""The Pecan root: ``/`` itself, every v1 endpoint, and error pages.

Pecan finds ``index`` for ``/`` by object dispatch and asks ``_route``
for anything else; ``_route`` hands it the controller of the endpoint the
router selects, with the path arguments as its positional arguments.
Pecan negotiates the content type (JSON only) and calls the controller;
:class:`ErrorEnvelope` renders every refusal, ours or Pecan's.
"""

import pecan
import pecan.hooks

from magnum_lite.api import microversions
from magnum_lite.api import routing


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


class ErrorEnvelope(pecan.hooks.PecanHook):
    """Every error in Magnum's envelope: a handler's, the router's, and
    Pecan's own (406 when the client refuses JSON)."""

    def on_error(self, state, error):
        return routing.error_response(error, state.request)


class _EndpointController:
    """The Pecan controller of one endpoint. A method, so Pecan reads its
    signature (``*values``: the path arguments) and looks no further."""

    def __init__(self, endpoint, make_context):
        self._endpoint = endpoint
        self._names = [s[1:-1] for s in endpoint.segments
                       if s.startswith('{')]
        self._make_context = make_context

    @pecan.expose(content_type='application/json')
    def answer(self, *values):
        return routing.answer(self._endpoint, pecan.request,
                              dict(zip(self._names, values, strict=True)),
                              self._make_context)


class RootController:
    """``/``, and ``/v1/...`` (or the same paths without ``/v1``)."""

    def __init__(self, router, make_context):
        self._router = router
        self._controllers = {
            e: _EndpointController(e, make_context).answer
            for e in router.endpoints}

    @pecan.expose(content_type='application/json')
    def index(self):
        req = pecan.request
        if req.method != 'GET':
            raise routing.method_not_allowed(req.method, {'GET'})
        return routing.json_response(versions_document(req.application_url))

    @pecan.expose()
    def _route(self, args, request):
        endpoint, path_args = routing.select(
            self._router, request, [a for a in args if a])
        return self._controllers[endpoint], list(path_args.values())
