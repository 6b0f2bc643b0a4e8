#!/usr/bin/env python3
"""Fuzz the running API with requests generated from its OpenAPI document.

Starts the API and a conductor (fake driver, noauth) on a fresh
PostgreSQL database of this run and RabbitMQ (``tools/ensure-services``
first), seeds a template, a cluster and a nodegroup, sends about
``--requests`` generated requests (schemathesis; valid and invalid input)
and prints what it measured. Exits 1 on any 5xx or any table written by a
refused write (``--strict``: also on answers that do not conform to
``doc/api/openapi.yaml``). See ``magnum_lite/tests/harness/fuzz.py``.

    tox -e fuzz -- --requests 5000
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', type=int, default=5000,
                        help='about how many requests (default 5000)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--server-log',
                        help="write the API server's log to this file")
    parser.add_argument('--strict', action='store_true',
                        help='fail on non-conforming answers too')
    args = parser.parse_args()

    from magnum_lite.conf import CONF
    CONF([], project='magnum-lite', default_config_files=[])
    from magnum_lite.tests import base
    from magnum_lite.tests import services
    from magnum_lite.tests.harness import api_server
    from magnum_lite.tests.harness import fuzz

    CONF.set_override('encryption_key', base.ENCRYPTION_KEY, 'database')
    database = base.Database('postgresql')
    database.setUp()
    url = services.database_url('postgresql')
    server = api_server.APIServer(
        database_url=url, transport_url=services.transport_url(),
        encryption_key=base.ENCRYPTION_KEY)
    server.setUp()
    fuzzer = fuzz.Fuzzer(server.endpoint, url, seed=args.seed)
    try:
        figures = fuzzer.run(args.requests)
    finally:
        fuzzer.close()
        log = server._read_log()
        if args.server_log:
            with open(args.server_log, 'wb') as f:
                f.write(log)
        server.cleanUp()
        database.cleanUp()
    print('\n'.join(figures.report()))
    tracebacks = log.count(b'Traceback')
    print(f'tracebacks in the API server log: {tracebacks}')
    failed = figures.server_errors or figures.written_by_rejected or (
        args.strict and figures.nonconforming)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
