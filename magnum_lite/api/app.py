"""The WSGI application: middleware around a small Pecan app."""

import pecan
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id

from magnum_lite.api import auth
from magnum_lite.api import routing
from magnum_lite.api.controllers import root
from magnum_lite.api.controllers import v1
from magnum_lite.common import context
from magnum_lite.common import policy
from magnum_lite.conf import CONF


def _make_context(req):
    ctx = context.from_environ(req.environ)
    ctx.is_admin = policy.is_admin(ctx)
    return ctx


def _pecan_app():
    router = v1.build_router()
    controller = root.RootController(
        lambda req: routing.dispatch(router, req, _make_context))
    return pecan.make_app(controller, hooks=[root.NoNegotiation()],
                          guess_content_type_from_ext=False,
                          force_canonical=False, debug=False)


class _HealthcheckPath:
    """Answer ``/healthcheck`` before anything else sees the request."""

    def __init__(self, app):
        self.app = app
        self.check = healthcheck.Healthcheck(app, {'path': '/healthcheck'})

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').rstrip('/') == '/healthcheck':
            return self.check(environ, start_response)
        return self.app(environ, start_response)


def setup_app():
    """Build the whole application from the loaded configuration."""
    app = auth.wrap(_pecan_app())
    app = _HealthcheckPath(app)
    app = request_id.RequestId(app)
    app = cors.CORS(app, CONF)
    if CONF.api.enable_proxy_headers_parsing:
        app = http_proxy_to_wsgi.HTTPProxyToWSGI(app, CONF)
    return app
