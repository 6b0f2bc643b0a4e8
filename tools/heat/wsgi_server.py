# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Serve Heat's WSGI API (``heat.wsgi.api``) with a threaded server.

Runs inside the Heat virtualenv (started by heatctl.py)::

    python wsgi_server.py --config-file heat.conf --bind 127.0.0.1:8004 \\
        [--threads 32] [other oslo.config options, e.g. --log-file x.log]

``heat-wsgi-api`` is single-threaded and deadlocks when the engine calls
back into the API (OS::Heat::Stack); gunicorn's own command line confuses
oslo.config. Here the command line is handed to oslo.config unchanged
apart from our own options, and cheroot serves the app from a thread pool.
"""

import argparse
import signal
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--bind', default='127.0.0.1:8004')
    parser.add_argument('--threads', type=int, default=32)
    args, oslo_args = parser.parse_known_args()
    host, _, port = args.bind.rpartition(':')

    # heat.wsgi.api parses sys.argv with oslo.config at import time.
    # Options we do not know (e.g. --log-file) are oslo.config's.
    sys.argv = ['heat-api', '--config-file', args.config_file] + oslo_args
    from cheroot import wsgi
    from heat.wsgi import api

    server = wsgi.Server((host or '127.0.0.1', int(port)), api.application,
                         numthreads=args.threads, request_queue_size=128,
                         timeout=300, server_name='heat-api')

    def _stop(signum, frame):
        server.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.safe_start()


if __name__ == '__main__':
    main()
