"""Serve Horizon (with magnum-ui) on loopback, for the browser test.

Runs inside the Horizon virtualenv (tools/horizon/install.sh)::

    MAGNUM_LITE_HORIZON_KEYSTONE_URL=http://127.0.0.1:PORT/v3 \\
        .venvs/horizon/bin/python tools/horizon/serve.py \\
        [--port 0] [--port-file FILE]

Port 0 (the default) takes a free port, written to ``--port-file`` once
the socket listens. Django's threaded development server class serves
the WSGI application, its static files handler the (already compressed)
static files, so one process is all there is. The environment variables
local_settings.py reads: MAGNUM_LITE_HORIZON_KEYSTONE_URL and
MAGNUM_LITE_HORIZON_SECRET_KEY.
"""

import argparse
import os
import signal
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--port-file')
    args = parser.parse_args()
    os.environ.setdefault('DJANGO_SETTINGS_MODULE',
                          'openstack_dashboard.settings')

    from django.contrib.staticfiles import handlers
    from django.core import wsgi
    from django.core.servers import basehttp

    application = handlers.StaticFilesHandler(wsgi.get_wsgi_application())
    server = basehttp.ThreadedWSGIServer((args.host, args.port),
                                 basehttp.WSGIRequestHandler)
    server.daemon_threads = True
    server.set_app(application)
    port = server.server_address[1]
    if args.port_file:
        partial = args.port_file + '.tmp'
        with open(partial, 'w') as f:
            f.write(str(port))
        os.rename(partial, args.port_file)
    print(f'horizon listening on http://{args.host}:{port}', flush=True)

    def _stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    server.serve_forever()


if __name__ == '__main__':
    main()
