"""Instructions per read request, in process, on MariaDB: a load-proof A/B.

``valgrind --tool=callgrind`` counts the instructions the application
executes for N requests of one scenario, called directly (no server, no
network), against a MariaDB database holding the API bench's data set
(1,000 templates, 1,000 clusters by default). The count does not depend
on what else the machine runs, so two revisions compare on a loaded
machine; only the requests are counted (callgrind collects inside
``sys.call_tracing``, which runs the timed loop), not start-up or
warm-up::

    python tools/bench/read_cost.py setup --state /tmp/rc.json
    python tools/bench/read_cost.py measure --state /tmp/rc.json \\
        --code /tmp/before --code .
    python tools/bench/read_cost.py drop --state /tmp/rc.json

``measure`` prints, per scenario and tree, instructions per request and
the ratio of each tree to the first. ``run`` is one scenario without
valgrind (``--profile`` prints cProfile's top functions).
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MICROVERSION = 'container-infrastructure-management 1.14'
SCENARIOS = ('GET /v1', 'show cluster', 'show template', 'list templates',
             'list clusters')
ADMIN = {'X-Project-Id': 'admin', 'X-User-Id': 'admin',
         'X-Roles': 'admin,member,reader'}
# Requests counted per scenario: enough that one request's noise vanishes.
REQUESTS = {'GET /v1': 100, 'show cluster': 50, 'show template': 50,
            'list templates': 2, 'list clusters': 2}


def _headers(identity):
    return {'HTTP_' + k.upper().replace('-', '_'): v
            for k, v in identity.items()}


def _environ(path, identity):
    environ = dict(_headers(identity), REQUEST_METHOD='GET',
                   PATH_INFO=path, QUERY_STRING='',
                   SERVER_NAME='127.0.0.1', SERVER_PORT='9511',
                   SCRIPT_NAME='', CONTENT_LENGTH='0', CONTENT_TYPE='',
                   HTTP_ACCEPT='application/json', HTTP_CONNECTION='close',
                   HTTP_OPENSTACK_API_VERSION=MICROVERSION)
    environ['wsgi.url_scheme'] = 'http'
    environ['wsgi.errors'] = sys.stderr
    return environ


def _call(app, environ):
    environ = dict(environ)
    environ['wsgi.input'] = io.BytesIO(b'')
    status = []
    body = b''.join(app(environ, lambda s, h, e=None: status.append(s)))
    return int(status[0][:3]), body


def _requests(state, scenario):
    """The WSGI environs of ``scenario``, used in rotation."""
    member = {'X-Project-Id': state['main_project'],
              'X-User-Id': 'bench-user', 'X-Roles': 'member,reader'}
    if scenario == 'GET /v1':
        return [_environ('/v1/', {})]
    if scenario == 'show cluster':
        return [_environ(f'/v1/clusters/{u}', member)
                for u in state['clusters'][:50]]
    if scenario == 'show template':
        return [_environ(f'/v1/clustertemplates/{u}', member)
                for u in state['templates'][:50]]
    if scenario == 'list templates':
        return [_environ('/v1/clustertemplates', ADMIN)]
    if scenario == 'list clusters':
        return [_environ('/v1/clusters', ADMIN)]
    raise SystemExit(f'unknown scenario {scenario!r}')


def _setup(args):
    import api_bench
    import sqlalchemy as sa

    from magnum_lite.db import migration
    db = api_bench.Database(args.mysql.split(), '127.0.0.1', 3306, 'mysqldb')
    db.create()
    engine = sa.create_engine(db.url)
    migration.upgrade(engine=engine)
    data = api_bench.DataSet(engine)
    data.add_templates(args.templates)
    data.add_clusters(args.clusters)
    main = api_bench.PROJECTS[0]
    state = {'url': db.url, 'name': db.name, 'user': db.user,
             'main_project': main,
             'clusters': [c[0] for c in data.clusters if c[1] == main],
             'templates': [t[0] for t in data.templates if t[1] == main]}
    with open(args.state, 'w') as f:
        json.dump(state, f)
    print(f'database {db.name} ready; state in {args.state}')


def _drop(args):
    import api_bench
    with open(args.state) as f:
        state = json.load(f)
    db = api_bench.Database(args.mysql.split(), '127.0.0.1', 3306)
    db.name, db.user, db.created = state['name'], state['user'], True
    db.drop()


def _app(state, workdir):
    config = os.path.join(workdir, 'magnum-lite.conf')
    with open(config, 'w') as f:
        # As api_bench's (not imported: it puts this tree first on the
        # path, and ``--code`` must come first).
        f.write(f"""[api]
auth_strategy = noauth
[database]
connection = {state['url']}
max_pool_size = 5
max_overflow = 5
[oslo_messaging_notifications]
driver = noop
""")
    os.environ['MAGNUM_LITE_CONFIG_FILE'] = config
    from magnum_lite.api import wsgi
    return wsgi.initialize_application()


def _run(args):
    with open(args.state) as f:
        state = json.load(f)
    with tempfile.TemporaryDirectory() as workdir:
        app = _app(state, workdir)
        for scenario in args.scenario:
            _scenario(args, app, state, scenario)
    print('code:', os.path.dirname(os.path.dirname(
        sys.modules['magnum_lite'].__file__)))


def _scenario(args, app, state, scenario):
    environs = _requests(state, scenario)
    for i in range(max(20, len(environs))):  # warm every cache
        status, body = _call(app, environs[i % len(environs)])
        assert status == 200, (status, body[:300])
    count = args.requests or REQUESTS[scenario]

    def loop():
        for i in range(count):
            _call(app, environs[i % len(environs)])

    if args.profile:
        import cProfile
        import pstats
        profile = cProfile.Profile()
        profile.runcall(loop)
        stats = pstats.Stats(profile)
        print(f'== {scenario}: {stats.total_calls / count:,.0f} Python '
              f'calls per request')
        stats.sort_stats(args.profile).print_stats(args.top)
    else:
        # Callgrind collects only inside this call, and dumps the
        # counts when it returns (one file per scenario).
        sys.call_tracing(loop, ())


def _instructions(state_file, code, scenarios, requests):
    """{scenario: instructions per request} of the tree ``code``."""
    out = tempfile.mkdtemp(prefix='read-cost-')
    outfile = os.path.join(out, 'callgrind.out')
    command = ['valgrind', '--tool=callgrind', '--collect-atstart=no',
               '--toggle-collect=sys_call_tracing',
               '--dump-after=sys_call_tracing',
               f'--callgrind-out-file={outfile}',
               sys.executable, os.path.abspath(__file__), 'run',
               '--state', state_file, '--code', code]
    for scenario in scenarios:
        command += ['--scenario', scenario]
    if requests:
        command += ['--requests', str(requests)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        with open(os.path.join(out, 'stderr.txt'), 'w') as f:
            f.write(done.stderr)
        raise SystemExit(f'{code}: exit status {done.returncode}, see '
                         f'{out}/stderr.txt\n{done.stdout}')
    counts = {}
    for n, scenario in enumerate(scenarios, start=1):
        with open(f'{outfile}.{n}') as f:
            totals = re.search(r'^(?:summary|totals): (\d+)', f.read(),
                               re.M)
        counts[scenario] = int(totals.group(1)) / (
            requests or REQUESTS[scenario])
    subprocess.run(['rm', '-r', out], check=False)
    return counts


def _measure(args):
    """One valgrind per tree, all running at once (counts do not care)."""
    from concurrent import futures
    trees = [os.path.abspath(t) for t in args.code or [TOP]]
    scenarios = args.scenario or list(SCENARIOS)
    with futures.ThreadPoolExecutor(len(trees)) as pool:
        counts = list(pool.map(lambda t: _instructions(
            os.path.abspath(args.state), t, scenarios, args.requests),
            trees))
    print(f'{"scenario":16s} ' + ' '.join(
        f'{os.path.basename(t):>14s}' for t in trees) +
        '   ratios to the first')
    for scenario in scenarios:
        row = [c[scenario] for c in counts]
        ratios = ' '.join(f'{c / row[0]:.3f}' for c in row[1:])
        print(f'{scenario:16s} ' + ' '.join(f'{c:14,.0f}' for c in row)
              + f'   {ratios}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('command', choices=('setup', 'run', 'measure',
                                            'drop'))
    parser.add_argument('--state', required=True,
                        help='JSON file naming the database and its data')
    parser.add_argument('--mysql', default='mysql -uroot')
    parser.add_argument('--templates', type=int, default=1000)
    parser.add_argument('--clusters', type=int, default=1000)
    parser.add_argument('--scenario', action='append',
                        help=f'one of {", ".join(SCENARIOS)} (repeatable '
                             f'for measure; default all)')
    parser.add_argument('--requests', type=int, default=0,
                        help='requests counted (default per scenario)')
    parser.add_argument('--code', action='append',
                        help='tree holding magnum_lite/ to measure '
                             '(repeatable for measure; default this one)')
    parser.add_argument('--profile', metavar='SORT',
                        help='run: cProfile the loop, sorted by SORT '
                             '(tottime, cumulative)')
    parser.add_argument('--top', type=int, default=40,
                        help='run --profile: functions printed')
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    sys.path.insert(0, TOP)
    if args.command == 'run':
        if args.code:
            sys.path.insert(0, os.path.abspath(args.code[0]))
        args.scenario = args.scenario or list(SCENARIOS)
        return _run(args)
    return {'setup': _setup, 'measure': _measure,
            'drop': _drop}[args.command](args)


if __name__ == '__main__':
    sys.exit(main())
