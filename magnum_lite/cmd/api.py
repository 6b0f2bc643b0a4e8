"""magnum-lite-api: the API on a threaded development server.

Production deployments serve ``magnum_lite.api.wsgi`` with uWSGI (see
etc/magnum-lite/uwsgi.ini).
"""

import socketserver
import sys
from wsgiref import simple_server

from oslo_log import log

from magnum_lite.api import app
from magnum_lite.common import service
from magnum_lite.conf import CONF

LOG = log.getLogger(__name__)


class _ThreadingServer(socketserver.ThreadingMixIn,
                       simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.address_string(), fmt % args)


def serve(application, host, port):
    """Serve ``application`` until interrupted."""
    server = simple_server.make_server(host, port, application,
                                       server_class=_ThreadingServer,
                                       handler_class=_QuietHandler)
    LOG.info('magnum-lite API listening on http://%s:%s', host, port)
    server.serve_forever()


def main():
    service.prepare(sys.argv[1:])
    serve(app.setup_app(), CONF.api.host_ip, CONF.api.port)
