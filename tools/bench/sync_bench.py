#!/usr/bin/env python3
"""Heat API calls per status-sync cycle, and completion latency.

Measures magnum-lite's conductor status sync (``periodics.sync_status``
with the real Heat driver) against a counting stand-in for Heat's stack
API on 127.0.0.1: how many Heat calls one cycle makes for 1, 10 and 100
in-progress clusters, and how long after Heat reports a stack complete
the cluster reads CREATE_COMPLETE in the database (the API's source).

The stand-in answers only ``GET /stacks`` (100 stacks a page, as Heat's
default ``max_stacks_per_page``) and ``GET /stacks/<id>``: the number of
calls is a property of our code, not of Heat. Run from the project venv:

    .venv/bin/python tools/bench/sync_bench.py
"""

import datetime
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse

PAGE = 100


class FakeHeat:
    """Stacks by name, and a count of the calls per kind."""

    def __init__(self):
        self.stacks = {}
        self.calls = {'list': 0, 'get': 0}
        self.lock = threading.Lock()

    def add(self, name):
        now = datetime.datetime.now(datetime.UTC).strftime(
            '%Y-%m-%dT%H:%M:%SZ')
        self.stacks[name] = {
            'id': f'id-{name}', 'stack_name': name,
            'stack_status': 'CREATE_IN_PROGRESS',
            'stack_status_reason': 'Stack CREATE started',
            'creation_time': now, 'updated_time': None, 'links': [],
            'outputs': [
                {'output_key': 'api_address',
                 'output_value': 'https://10.0.0.1:6443'},
                {'output_key': 'master_addresses',
                 'output_value': ['10.0.0.2']},
                {'output_key': 'node_addresses',
                 'output_value': ['10.0.0.3']},
                {'output_key': 'kube_version', 'output_value': 'v1.31.4'}]}

    def complete(self, name):
        self.stacks[name]['stack_status'] = 'CREATE_COMPLETE'

    def handler(self):
        heat = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                parts = url.path.rstrip('/').split('/')
                if parts[-1] == 'stacks':
                    body = heat.page(urllib.parse.parse_qs(url.query))
                else:
                    body = heat.get(parts[-1])
                data = json.dumps(body).encode()
                self.send_response(200 if body else 404)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        return Handler

    def page(self, query):
        with self.lock:
            self.calls['list'] += 1
        ordered = sorted(self.stacks.values(), key=lambda s: s['id'])
        marker = query.get('marker', [None])[0]
        if marker:
            ordered = [s for s in ordered if s['id'] > marker]
        limit = min(int(query.get('limit', [PAGE])[0]), PAGE)
        return {'stacks': [{k: v for k, v in s.items() if k != 'outputs'}
                           for s in ordered[:limit]]}

    def get(self, ident):
        with self.lock:
            self.calls['get'] += 1
        for stack in self.stacks.values():
            if ident in (stack['id'], stack['stack_name']):
                return {'stack': stack}
        return None

    def take_calls(self):
        with self.lock:
            calls, self.calls = self.calls, {'list': 0, 'get': 0}
        return calls


def configure(heat_url, db_path):
    from cryptography import fernet

    from magnum_lite.conf import CONF
    CONF([], project='magnum-lite', default_config_files=[])
    CONF.set_override('connection', f'sqlite:///{db_path}', 'database')
    CONF.set_override('encryption_key', fernet.Fernet.generate_key().decode(),
                      'database')
    CONF.set_override('auth_mode', 'noauth', 'heat')
    CONF.set_override('endpoint', heat_url, 'heat')
    CONF.set_override('host', 'bench', 'conductor')
    CONF.set_override('transport_url', 'fake://')
    from magnum_lite.db import migration
    migration.upgrade()


def make_clusters(heat, count):
    from magnum_lite.common import states
    from magnum_lite.db import api as db_api
    from magnum_lite.drivers.heat import driver
    template = db_api.template_create({
        'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
        'project_id': 'p'})
    uuids = []
    for index in range(count):
        ng = {'project_id': 'p', 'status': states.CREATING,
              'is_default': True}
        cluster = db_api.cluster_create(
            {'name': f'c{index}', 'cluster_template_id': template.uuid,
             'project_id': 'p', 'status': states.CREATING,
             'operation': 'cluster_create',
             'operation_driven_at': db_api.age(0)},
            [dict(ng, name='default-master', role='master', node_count=1),
             dict(ng, name='default-worker', role='worker', node_count=1)])
        heat.add(driver.stack_name(cluster))
        uuids.append(cluster.uuid)
    return uuids


def calls_per_cycle(heat, count):
    from magnum_lite.conductor import periodics
    from magnum_lite.db import api as db_api
    from magnum_lite.db import models
    uuids = make_clusters(heat, count)
    heat.take_calls()
    periodics.sync_status()
    running = heat.take_calls()
    for name in list(heat.stacks):
        heat.complete(name)
    periodics.sync_status()
    finishing = heat.take_calls()
    done = sum(db_api.cluster_get(u).status == 'created' for u in uuids)
    with db_api.get_engine().begin() as connection:
        for table in reversed(models.Base.metadata.sorted_tables):
            connection.execute(table.delete())
    heat.stacks.clear()
    return running, finishing, done


def latency(heat, interval, samples):
    from magnum_lite.conductor import service
    from magnum_lite.conf import CONF
    from magnum_lite.db import api as db_api
    CONF.set_override('sync_status_interval', interval, 'conductor')
    conductor = service.ConductorService()
    conductor.start()
    results = []
    try:
        for uuid in make_clusters(heat, samples):
            name = f'ml-{uuid}'
            time.sleep(interval * 0.37)  # land anywhere in a cycle
            started = time.monotonic()
            heat.complete(name)
            while db_api.cluster_get(uuid).status != 'created':
                time.sleep(0.01)
            results.append(time.monotonic() - started)
    finally:
        conductor.stop()
    return results


def main():
    heat = FakeHeat()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             heat.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}/v1/admin'
    db_path = os.path.join(tempfile.mkdtemp(), 'sync-bench.sqlite')
    configure(url, db_path)
    print('Heat API calls per status-sync cycle (real driver, stand-in '
          'Heat with 100 stacks a page)')
    print(f"{'clusters':>9} {'in progress':>22} {'when all finish':>24}"
          f" {'settled':>8}")
    for count in (1, 10, 100, 250):
        running, finishing, done = calls_per_cycle(heat, count)
        print(f"{count:>9} {running['list']:>6} list {running['get']:>4} get"
              f"      {finishing['list']:>6} list {finishing['get']:>4} get"
              f" {done:>8}")
    interval = int(os.environ.get('SYNC_INTERVAL', 5))
    samples = latency(heat, interval, 5)
    print(f'\nstack complete -> cluster CREATE_COMPLETE, sync interval '
          f'{interval} s: ' + ', '.join(f'{s:.2f}' for s in samples)
          + f' s (max {max(samples):.2f}; target < {interval + 1} s)')
    server.shutdown()
    os.remove(db_path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
