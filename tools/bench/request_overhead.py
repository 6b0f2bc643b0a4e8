"""The API's own cost per request, in process: no server, no network.

Builds the production WSGI application (noauth, a throw-away SQLite
database), makes one template and one cluster row, then calls the
application directly, REQUESTS times for each scenario, and prints the
CPU microseconds per request. What is left is the request path itself:
middleware, Pecan, routing, the handler, serialisation and SQLite.

A/B a change by running it twice, one with ``--code DIR`` (a copy of
another revision's tree, put first on the Python path), in alternation
under farm-bench, and read the paired ratio::

    git worktree add /tmp/before <rev>
    farm-bench -n 5 --timeout 600 -- .venv/bin/python \\
        tools/bench/request_overhead.py \\
        --vs '.venv/bin/python tools/bench/request_overhead.py \\
              --code /tmp/before'
"""

import argparse
import inspect
import io
import json
import os
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HEADERS = {'HTTP_ACCEPT': 'application/json',
           'HTTP_OPENSTACK_API_VERSION':
               'container-infrastructure-management 1.14'}


def _call(app, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b''
    environ = dict(HEADERS, REQUEST_METHOD=method, PATH_INFO=path,
                   QUERY_STRING='', SERVER_NAME='127.0.0.1',
                   SERVER_PORT='9511', SCRIPT_NAME='',
                   CONTENT_LENGTH=str(len(data)),
                   CONTENT_TYPE='application/json' if data else '')
    environ['wsgi.input'] = io.BytesIO(data)
    environ['wsgi.url_scheme'] = 'http'
    environ['wsgi.errors'] = sys.stderr
    status = []
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    body = b''.join(chunks)
    return int(status[0].split()[0]), body


def _app(workdir):
    config = os.path.join(workdir, 'magnum-lite.conf')
    with open(config, 'w') as f:
        f.write(f"""[api]
auth_strategy = noauth
[database]
connection = sqlite:///{workdir}/bench.db
[oslo_messaging_notifications]
driver = noop
""")
    os.environ['MAGNUM_LITE_CONFIG_FILE'] = config
    from magnum_lite.api import wsgi
    from magnum_lite.db import migration
    application = wsgi.initialize_application()
    migration.upgrade()
    return application


def _data(app):
    status, body = _call(app, 'POST', '/v1/clustertemplates', {
        'name': 'bench', 'coe': 'kubernetes', 'image_id': 'fedora-coreos',
        'external_network_id': 'public', 'labels': {'a': 'b'}})
    assert status == 201, body
    template = json.loads(body)['uuid']
    from magnum_lite.db import api as db_api
    cluster = db_api.cluster_create(
        {'uuid': '5d12f6fd-a196-4bf0-ae4c-1f639a523a52', 'name': 'bench',
         'cluster_template_id': template, 'project_id': 'fake_project',
         'user_id': 'fake_user', 'status': 'created',
         'labels': {'a': 'b'}},
        [{'uuid': f'00000000-0000-0000-0000-00000000000{i}', 'name': role,
          'role': role, 'node_count': 3, 'is_default': True,
          'project_id': 'fake_project', 'status': 'created',
          'node_addresses': ['127.0.0.1'] * 3}
         for i, role in enumerate(('master', 'worker'))], [])
    return template, cluster.uuid


def _scenarios(template, cluster):
    return [('show cluster', 'GET', f'/v1/clusters/{cluster}', 200),
            ('show template', 'GET', f'/v1/clustertemplates/{template}',
             200),
            ('list nodegroups', 'GET', f'/v1/clusters/{cluster}/nodegroups',
             200),
            ('v1 document', 'GET', '/v1/', 200),
            ('unknown cluster', 'GET', '/v1/clusters/nope', 404),
            ('no such path', 'GET', '/v1/nope', 404)]


def _introspection(args, app, method, path, requests=20):
    """`` N getfullargspec/request`` (outside the timed loop), or ''."""
    if not args.count_introspection:
        return ''
    calls = []
    real = inspect.getfullargspec

    def counting(function):
        calls.append(function)
        return real(function)

    inspect.getfullargspec = counting
    try:
        for _ in range(requests):
            _call(app, method, path)
    finally:
        inspect.getfullargspec = real
    return f' {len(calls) / requests:5.1f} getfullargspec/request'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--code', help='tree to put first on sys.path')
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--count-introspection', action='store_true',
                        help='also print inspect.getfullargspec calls per '
                             'request (oslo.policy, Pecan)')
    args = parser.parse_args(argv)
    sys.path.insert(0, TOP)
    if args.code:
        sys.path.insert(0, os.path.abspath(args.code))
    with tempfile.TemporaryDirectory() as workdir:
        app = _app(workdir)
        template, cluster = _data(app)
        for name, method, path, expected in _scenarios(template, cluster):
            for _ in range(50):  # warm caches and the enforcer
                status, body = _call(app, method, path)
            assert status == expected, (name, status, body)
            started = time.process_time()
            for _ in range(args.requests):
                _call(app, method, path)
            spent = time.process_time() - started
            print(f'{name:16s} {spent / args.requests * 1e6:8.1f} '
                  f'us/request{_introspection(args, app, method, path)}')
    import magnum_lite
    print('code:', os.path.dirname(os.path.dirname(magnum_lite.__file__)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
