#!/usr/bin/env python3
"""Soak: many clusters through their whole life while conductors die.

Two (``--conductors``) magnum-lite conductors and one API process on
MariaDB and the run's RabbitMQ vhost drive the real Heat (simulated
cloud). ``--clusters`` clusters, at most ``--in-flight`` at a time, are
each created (1 master, 1 worker), resized to 2 workers and deleted;
every ``--kill-every`` seconds one conductor (in turn) is SIGKILLed and
started again under its own name. After ``--minutes`` (or when every
cluster is done) what is left is deleted, and the run reports:

* operations asked for, completed and failed, and clusters stuck (still
  present when the run gives up waiting);
* orphan stacks (magnum-lite's stacks Heat still lists);
* credential and certificate rows of deleted clusters;
* each conductor incarnation's resident memory, a minute after it
  started, every ``--sample-every`` seconds while it lives, and when it
  died or the run ended; and the load average of the machine, sampled
  with it.

Run it through ``tox -e soak`` (the network guard around it), or::

    tools/netguard/run .venv/bin/python tools/soak/soak.py --minutes 10

Nothing here asserts: it prints figures (and writes them as JSON with
``--report``).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, TOP)
os.environ.setdefault('MAGNUM_LITE_TEST_RUN', f'soak{os.getpid()}')

from magnum_lite.tests import services  # noqa: E402
from magnum_lite.tests.harness import conductor_process  # noqa: E402
from magnum_lite.tests.harness import heat as heat_harness  # noqa: E402

BIN = os.path.dirname(sys.executable)
HEADERS = {'OpenStack-API-Version': 'container-infra latest',
           'Accept': 'application/json'}


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clusters', type=int, default=100)
    parser.add_argument('--in-flight', type=int, default=10)
    parser.add_argument('--minutes', type=float, default=30)
    parser.add_argument('--kill-every', type=float, default=300)
    parser.add_argument('--conductors', type=int, default=2)
    parser.add_argument('--drain-minutes', type=float, default=15,
                        help='how long to wait for what is left after '
                             '--minutes')
    parser.add_argument('--sample-every', type=float, default=60,
                        help='seconds between memory samples')
    parser.add_argument('--report', help='write the figures here (JSON)')
    return parser.parse_args(argv)


class Stack:
    """The database, the Heat and the magnum-lite processes."""

    def __init__(self, conductors):
        self.dir = tempfile.mkdtemp(prefix='mlt-soak.')
        self.heat = heat_harness.HeatHarness(engine_workers=2)
        self.count = conductors
        self.conductors = {}
        self.memory = []  # (host, incarnation, when, rss_mib)
        self.api = None

    def start(self):
        self.database_url = services.database_url('mysql')
        self.transport_url = services.transport_url()
        self.heat.start()
        config = self._config('soak-api')
        self._migrate(config)
        self.port = heat_harness.heatctl.local.free_port()
        with open(config, 'a') as f:
            f.write(f'[api]\nhost_ip = 127.0.0.1\nport = {self.port}\n'
                    'auth_strategy = noauth\n')
        self.api = self._spawn('magnum-lite-api', config, 'api')
        self.url = f'http://127.0.0.1:{self.port}'
        for index in range(self.count):
            self.start_conductor(f'soak-c{index}')
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(self.url + '/', timeout=5)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _config(self, host):
        from cryptography import fernet
        if not hasattr(self, 'key'):
            self.key = fernet.Fernet.generate_key().decode()
        return conductor_process.write_config(
            os.path.join(self.dir, f'{host}.conf'),
            transport_url=self.transport_url, database=self.database_url,
            encryption_key=self.key, host=host,
            heat_endpoint=self.heat.endpoint,
            environment_files=[heat_harness.SIMULATION_ENV],
            log_file=os.path.join(self.dir, f'{host}.log'),
            sync_status_interval=5, redrive_interval=5, redrive_after=30,
            service_down_time=30)

    def _migrate(self, config):
        subprocess.run([os.path.join(BIN, 'magnum-lite-db-manage'),
                        '--config-file', config, 'upgrade'], check=True)

    def _spawn(self, binary, config, name):
        log = open(os.path.join(self.dir, f'{name}.out'), 'ab')
        return subprocess.Popen([os.path.join(BIN, binary), '--config-file',
                                 config], stdout=log, stderr=log)

    def start_conductor(self, host):
        process = self._spawn('magnum-lite-conductor', self._config(host),
                              host)
        incarnation = self.conductors.get(host, (None, 0))[1] + 1
        self.conductors[host] = (process, incarnation)
        timer = threading.Timer(60, self._sample, (
            host, process, incarnation, 'after 60 s'))
        timer.daemon = True
        timer.start()

    def _sample(self, host, process, incarnation, when):
        rss = _rss_mib(process.pid)
        if rss is not None:
            self.memory.append((host, incarnation, when, rss))

    def sample_all(self, elapsed):
        """Sample every live conductor's memory (the flatness figure)."""
        for host, (process, incarnation) in list(self.conductors.items()):
            self._sample(host, process, incarnation, f'at {elapsed:.0f} s')

    def kill(self, host):
        process, incarnation = self.conductors[host]
        self._sample(host, process, incarnation, 'at the kill')
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.start_conductor(host)

    def stop(self):
        for host, (process, incarnation) in self.conductors.items():
            self._sample(host, process, incarnation, 'at the end')
            process.terminate()
        if self.api:
            self.api.terminate()
        for process, _ in self.conductors.values():
            process.wait(timeout=30)
        self.heat.stop()
        if not os.environ.get('MAGNUM_LITE_TEST_TRANSPORT_URL'):
            subprocess.run(['rabbitmqctl', '-q', 'delete_vhost',
                            self.transport_url.rsplit('/', 1)[1]],
                           check=False, capture_output=True)


def _rss_mib(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Workload:
    """Each cluster: create → resize to 2 workers → delete → gone."""

    def __init__(self, url, total, in_flight):
        self.url = url
        self.total = total
        self.in_flight = in_flight
        self.started = 0
        self.live = {}  # uuid -> phase
        self.counts = {'asked': 0, 'completed': 0, 'failed': 0,
                       '5xx': 0, 'refused': 0}
        self.failures = []

    def call(self, method, path, body=None):
        response = requests.request(method, self.url + path, json=body,
                                    headers=HEADERS, timeout=60)
        if response.status_code >= 500:
            self.counts['5xx'] += 1
        return response

    def template(self):
        self.call('POST', '/v1/clustertemplates', {
            'name': 'soak', 'coe': 'kubernetes', 'image_id': 'debian',
            'external_network_id': 'public', 'flavor_id': 'm1.small',
            'master_flavor_id': 'm1.small', 'network_driver': 'calico',
            'master_lb_enabled': True}).raise_for_status()

    def step(self, accept_new=True):
        """One pass: start new clusters, move each on a phase."""
        while accept_new and self.started < self.total and \
                len(self.live) < self.in_flight:
            self._ask('POST', '/v1/clusters', {
                'name': f'soak-{self.started}', 'cluster_template_id':
                'soak', 'master_count': 1, 'node_count': 1},
                key=None, phase='create')
            self.started += 1
        clusters = {c['uuid']: c for c in self.call(
            'GET', '/v1/clusters?limit=1000').json()['clusters']}
        for uuid, phase in list(self.live.items()):
            self._advance(uuid, phase, clusters.get(uuid))

    def _ask(self, method, path, body, key, phase):
        response = self.call(method, path, body)
        if response.status_code >= 400:
            self.counts['refused'] += 1
            return
        self.counts['asked'] += 1
        uuid = key or response.json()['uuid']
        self.live[uuid] = phase

    def _advance(self, uuid, phase, cluster):
        status = cluster['status'] if cluster else None
        if phase == 'delete':
            if cluster is None:
                self.counts['completed'] += 1
                del self.live[uuid]
            elif status == 'DELETE_FAILED':
                self._failed(uuid, cluster)
            return
        if status is None or not status.endswith(('COMPLETE', 'FAILED')):
            return
        if status.endswith('FAILED'):
            self._failed(uuid, cluster)
            return
        self.counts['completed'] += 1
        if phase == 'create':
            self._ask('POST', f'/v1/clusters/{uuid}/actions/resize',
                      {'node_count': 2}, uuid, 'resize')
        else:
            self._ask('DELETE', f'/v1/clusters/{uuid}', None, uuid,
                      'delete')

    def _failed(self, uuid, cluster):
        self.counts['failed'] += 1
        self.failures.append((uuid, cluster['status'],
                              (cluster.get('status_reason') or '')[:300]))
        self._ask('DELETE', f'/v1/clusters/{uuid}', None, uuid, 'delete')

    def delete_all(self):
        for uuid, phase in list(self.live.items()):
            if phase != 'delete':
                self.call('DELETE', f'/v1/clusters/{uuid}')
                self.live[uuid] = 'delete'


def _leftovers(stack):
    import sqlalchemy as sa
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as connection:
        counts = {table: connection.execute(sa.select(
            sa.func.count()).select_from(sa.table(table))).scalar()
            for table in ('cluster', 'nodegroup', 'cluster_credential',
                          'certificate')}
    engine.dispose()
    stacks = [s.stack_name for s in stack.heat.client().stacks.list()
              if s.stack_name.startswith('ml-')]
    return counts, stacks


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    stack = Stack(args.conductors)
    t0 = time.monotonic()
    stack.start()
    print(f'stack up in {time.monotonic() - t0:.0f} s: API {stack.url}, '
          f'Heat {stack.heat.endpoint}, logs in {stack.dir}', flush=True)
    work = Workload(stack.url, args.clusters, args.in_flight)
    work.template()
    kills, hosts = 0, sorted(stack.conductors)
    start = time.monotonic()
    end = start + args.minutes * 60
    next_kill = start + args.kill_every
    next_sample = start + args.sample_every
    loads = []
    try:
        while time.monotonic() < end and (
                work.live or work.started < work.total):
            work.step()
            if time.monotonic() >= next_kill:
                stack.kill(hosts[kills % len(hosts)])
                kills += 1
                next_kill += args.kill_every
            if time.monotonic() >= next_sample:
                stack.sample_all(time.monotonic() - start)
                loads.append(round(os.getloadavg()[0], 1))
                next_sample += args.sample_every
            time.sleep(2)
        worked = time.monotonic() - start
        work.delete_all()
        drain_end = time.monotonic() + args.drain_minutes * 60
        while work.live and time.monotonic() < drain_end:
            work.step(accept_new=False)
            time.sleep(2)
        counts, stacks = _leftovers(stack)
    finally:
        stack.stop()
    report = {
        'clusters_started': work.started, 'operations': work.counts,
        'stuck': sorted(work.live.items()), 'orphan_stacks': stacks,
        'rows_left': counts, 'conductor_kills': kills,
        'minutes': round(worked / 60, 1),
        'conductor_rss_mib': stack.memory,
        'failures': work.failures[:20],
        'load_average': os.getloadavg(), 'load_samples': loads}
    print(json.dumps(report, indent=1))
    if args.report:
        with open(args.report, 'w') as f:
            json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
