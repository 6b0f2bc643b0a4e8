"""The WSGI application: middleware around a small Pecan app."""

import functools

import pecan
import pecan.util
import webob
from oslo_config import cfg
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
from oslo_middleware.healthcheck import opts as healthcheck_opts

from magnum_lite.api import auth
from magnum_lite.api import policy
from magnum_lite.api.controllers import root
from magnum_lite.api.controllers import v1
from magnum_lite.cluster import cluster_credentials
from magnum_lite.common import context
from magnum_lite.conf import CONF
from magnum_lite.conf import opts


def _make_context(req):
    ctx = context.from_environ(req.environ)
    ctx.is_admin = policy.is_admin(ctx)
    return ctx


def _remember_signatures():
    """Pecan reads a controller's signature twice per request (the
    ``_route`` hook's, the endpoint's) with ``inspect.getfullargspec``,
    and builds a new namedtuple class each time: about a tenth of a
    request's CPU. A function's signature never changes, so the answer
    is kept (our controllers are a fixed set of bound methods)."""
    read = pecan.util._getargspec
    if not hasattr(read, 'cache_info'):
        pecan.util._getargspec = functools.lru_cache(maxsize=512)(read)


def _pecan_app():
    _remember_signatures()
    controller = root.RootController(v1.build_router(), _make_context)
    # webob's request, not Pecan's subclass: that one logs a traceback
    # for every path, query or body that is not UTF-8, which is the
    # client's error (ErrorEnvelope answers it 400).
    return pecan.make_app(controller, hooks=[root.ErrorEnvelope()],
                          request_cls=webob.Request,
                          guess_content_type_from_ext=False,
                          force_canonical=False, debug=False)


class _HealthcheckPath:
    """Answer ``/healthcheck`` before anything else sees the request.

    Configured by ``[healthcheck]``; by default, as Magnum's paste file,
    the ``disable_by_file`` backend: "OK" unless the file exists.
    """

    def __init__(self, app):
        self.app = app
        cfg.set_defaults(healthcheck_opts.HEALTHCHECK_OPTS,
                         backends=['disable_by_file'])
        cfg.set_defaults(
            healthcheck_opts.DISABLE_BY_FILE_OPTS,
            disable_by_file_path='/etc/magnum-lite/healthcheck_disable')
        self.check = healthcheck.Healthcheck(app, CONF)

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').rstrip('/') == '/healthcheck':
            return self.check(environ, start_response)
        return self.app(environ, start_response)


class _ProxyHeaders(http_proxy_to_wsgi.HTTPProxyToWSGI):
    """oslo.middleware's proxy header parsing, switched on by our
    ``[api] enable_proxy_headers_parsing`` (the middleware itself reads
    ``[oslo_middleware]``, which we do not register)."""

    def _conf_get(self, key, group='oslo_middleware'):
        if key == 'enable_proxy_headers_parsing':
            return True
        return super()._conf_get(key, group)


def setup_app():
    """Build the whole application from the loaded configuration."""
    cluster_credentials.log_mode()
    app = auth.wrap(_pecan_app())
    app = _HealthcheckPath(app)
    # CORS answers every OPTIONS itself (an empty 200, like Magnum);
    # the request id goes outside it so those answers carry one too.
    opts.set_defaults()
    app = cors.CORS(app, CONF)
    app = request_id.RequestId(app)
    if CONF.api.enable_proxy_headers_parsing:
        app = _ProxyHeaders(app, CONF)
    return app
