#!/usr/bin/env python
"""API benchmark of magnum-lite on MariaDB, served like production.

Run from the project virtualenv (see tools/bench/README.md)::

    .venv/bin/python tools/bench/api_bench.py

What it does, in about four minutes:

1. creates a throw-away MariaDB database and user (``mysql -uroot`` over
   the local socket) and migrates it with ``magnum_lite.db.migration``;
2. bulk-loads 100 cluster templates and 100 clusters (two nodegroups each),
   serves the API with uWSGI as ``etc/magnum-lite/uwsgi.ini`` ships it (on
   the bench's WSGI entry, which wraps the production application in a
   statement counter) with the database behind a counting proxy, and
   sends every scenario's requests one at a time: SQL statements and
   round trips to MariaDB per request;
3. loads up to 1,000 templates and 1,000 clusters, serves the API again
   (no proxy) and measures every scenario in several rounds with a
   closed-loop HTTP load generator, ``GET /v1`` (no database) first in
   each round as the ceiling: medians of req/s, p50, p99 and the ratio to
   the ceiling of the same round;
4. optionally (``--rss 10000 100000``) the workers' RSS after two long
   runs of show cluster;
5. compares the figures with the targets, stops the server and drops the
   database and user (also on failure or Ctrl-C).
"""

import argparse
import datetime
import itertools
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, TOP)
sys.path.insert(0, HERE)

import db_proxy  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from magnum_lite.db import migration  # noqa: E402
from magnum_lite.db import models  # noqa: E402

MICROVERSION = 'container-infra 1.14'
ADMIN = {'X-Project-Id': 'admin', 'X-User-Id': 'admin',
         'X-Roles': 'admin,member,reader'}
# Keystone-like project ids; the first owns most of everything.
PROJECTS = ('5a0c2bd5e0b94e5da3c7a3f2a4b1c001',
            '7f1e4c0a9d7b4f8e8b2d6c3a1e9f0002',
            '9c3b7a1d2e4f4a6b8d0e1f2a3b4c0003',
            'e2d4f6a8b0c24e68a0c2e4f6a8b00004')
PROJECT_WEIGHTS = (80, 10, 7, 3)
SHOW_TARGET_RPS = 800.0
CEILING = 'GET /v1 (ceiling: no auth, no DB)'
# The targets: absolute, or relative to the ceiling measured in
# the same run (the machine is shared, absolute figures vary with load).
SHOW_CLUSTER_RATIO = 0.70
SHOW_TEMPLATE_RPS = 1500.0
SHOW_TEMPLATE_RATIO = 0.80
TEMPLATES_TARGET_RPS = 40.0
LIST_TARGET_MS = 40.0
RSS_GROWTH = 0.05
UPSTREAM = {'list clusters (all)': '23 s/request',
            'show cluster': '30 req/s',
            'list templates (all)': '1.3 req/s'}


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


# Database --------------------------------------------------------------------

class Database:
    """A fresh database and user, made and dropped through ``mysql``."""

    def __init__(self, mysql_cmd, host, port, driver='pymysql'):
        self.driver = driver
        self.mysql_cmd = mysql_cmd
        self.host = host
        self.port = port
        tag = f'{os.getpid()}_{secrets.token_hex(3)}'
        self.name = f'mlbench_{tag}'
        self.user = f'mlbench_{tag}'
        self.password = secrets.token_hex(12)
        self.created = False

    def _sql(self, sql):
        subprocess.run(self.mysql_cmd + ['-e', sql], check=True,
                       capture_output=True, text=True, timeout=60)

    def create(self):
        users = [f"'{self.user}'@'{h}'" for h in ('localhost', '%')]
        sql = [f'CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4']
        for user in users:
            sql.append(f"CREATE USER {user} IDENTIFIED BY '{self.password}'")
            sql.append(f'GRANT ALL PRIVILEGES ON `{self.name}`.* TO {user}')
        self.created = True
        self._sql(';'.join(sql))

    def drop(self):
        if not self.created:
            return
        sql = [f'DROP DATABASE IF EXISTS `{self.name}`']
        sql += [f"DROP USER IF EXISTS '{self.user}'@'{h}'"
                for h in ('localhost', '%')]
        self._sql(';'.join(sql))
        self.created = False

    @property
    def url(self):
        return self.url_via(self.host, self.port)

    def url_via(self, host, port):
        """The URL, naming the driver, through ``host``:``port``."""
        return (f'mysql+{self.driver}://{self.user}:{self.password}@{host}:'
                f'{port}/{self.name}?charset=utf8mb4')


# Data ------------------------------------------------------------------------

KUBE_TAGS = ('v1.35.9', 'v1.36.4', 'v1.37.1')
IMAGES = ('fedora-coreos-38', 'fedora-coreos-39', 'fedora-coreos-40')
FLAVORS = ('m1.small', 'm1.medium', 'm1.large', 'c2.xlarge')


def _labels(rng):
    labels = {
        'kube_tag': rng.choice(KUBE_TAGS),
        'container_runtime': 'containerd',
        'containerd_version': '1.6.31',
        'cloud_provider_enabled': 'true',
        'cinder_csi_enabled': 'true',
        'auto_healing_enabled': rng.choice(('true', 'false')),
        'auto_scaling_enabled': rng.choice(('true', 'false')),
        'monitoring_enabled': rng.choice(('true', 'false')),
        'availability_zone': rng.choice(('nova', 'az1', 'az2')),
        'boot_volume_size': str(rng.choice((20, 40, 80))),
    }
    if rng.random() < 0.3:
        labels['master_lb_floating_ip_enabled'] = 'false'
    return labels


def _project(rng):
    return rng.choices(PROJECTS, PROJECT_WEIGHTS)[0]


class DataSet:
    """Generates and inserts rows; remembers what it made."""

    def __init__(self, engine, seed=42):
        self.engine = engine
        self.rng = random.Random(seed)
        self.templates = []        # (uuid, project_id, public)
        self.clusters = []         # (uuid, project_id)
        self._now = datetime.datetime(2026, 11, 1, 12, 0, 0)
        self._n_templates = 0
        self._n_clusters = 0

    def _stamp(self):
        return self._now - datetime.timedelta(
            seconds=self.rng.randrange(0, 90 * 86400))

    def add_templates(self, count):
        rng = self.rng
        rows = []
        for _ in range(count):
            self._n_templates += 1
            public = rng.random() < 0.05
            project = PROJECTS[0] if public else _project(rng)
            tmpl_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            created = self._stamp()
            rows.append({
                'uuid': tmpl_uuid, 'project_id': project,
                'user_id': f'user-{project[:6]}',
                'name': f'k8s-{rng.choice(KUBE_TAGS)}-{self._n_templates:05d}',
                'coe': 'kubernetes', 'image_id': rng.choice(IMAGES),
                'flavor_id': rng.choice(FLAVORS),
                'master_flavor_id': rng.choice(FLAVORS),
                'keypair_id': rng.choice((None, 'ops-key', 'deploy')),
                'external_network_id': 'public',
                'fixed_network': None, 'fixed_subnet': None,
                'network_driver': rng.choice(('calico', 'flannel')),
                'volume_driver': 'cinder', 'dns_nameserver': '8.8.8.8',
                'apiserver_port': None, 'docker_volume_size': 50,
                'docker_storage_driver': 'overlay2',
                'cluster_distro': 'fedora-coreos',
                'http_proxy': None, 'https_proxy': None, 'no_proxy': None,
                'registry_enabled': False, 'labels': _labels(rng),
                'tls_disabled': False, 'public': public, 'server_type': 'vm',
                'insecure_registry': None,
                'master_lb_enabled': rng.random() < .5,
                'floating_ip_enabled': rng.random() < 0.7, 'hidden': False,
                'tags': None, 'driver': 'k8s_fedora_coreos_v1',
                'created_at': created,
                'updated_at': (created + datetime.timedelta(hours=1)
                               if rng.random() < 0.3 else None),
            })
            self.templates.append((tmpl_uuid, project, public))
        self._insert(models.ClusterTemplate.__table__, rows)

    def add_clusters(self, count):
        rng = self.rng
        public = [t for t in self.templates if t[2]]
        by_project = {}
        for t in self.templates:
            by_project.setdefault(t[1], []).append(t)
        clusters, nodegroups = [], []
        statuses = (['created'] * 80 + ['updated'] * 10 +
                    ['create_failed'] * 4 + ['creating'] * 3 +
                    ['updating'] * 2 + ['update_failed'])
        for _ in range(count):
            self._n_clusters += 1
            project = _project(rng)
            # A small data set may leave a project without templates
            # and no template public.
            template = rng.choice(by_project.get(project) or public
                                  or self.templates)
            cl_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            status = rng.choice(statuses)
            created = self._stamp()
            labels = _labels(rng)
            failed = status.endswith('failed')
            clusters.append({
                'uuid': cl_uuid, 'project_id': project,
                'user_id': f'user-{project[:6]}',
                'name': f'cluster-{self._n_clusters:05d}',
                'cluster_template_id': template[0],
                'keypair': 'ops-key', 'docker_volume_size': 50,
                'labels': labels, 'master_flavor_id': rng.choice(FLAVORS),
                'flavor_id': rng.choice(FLAVORS),
                'stack_id': str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4)),
                'api_address': (None if status == 'creating' else
                                f'https://172.24.{rng.randrange(256)}.'
                                f'{rng.randrange(1, 255)}:6443'),
                'status': status,
                'status_reason': ('Stack CREATE failed: quota exceeded'
                                  if failed else None),
                'health_status': 'HEALTHY' if not failed else 'UNKNOWN',
                'health_status_reason': ({'api': 'ok'} if not failed else {}),
                'create_timeout': 60,
                'discovery_url': None, 'coe_version': labels['kube_tag'],
                'container_version': '1.6.31',
                'fixed_network': None, 'fixed_subnet': None,
                'floating_ip_enabled': True,
                'master_lb_enabled': rng.random() < 0.5,
                'operation': None, 'operation_args': {},
                'operation_started_at': created,
                'operation_driven_at': created, 'reservation': None,
                'reserved_at': None, 'created_at': created,
                'updated_at': created + datetime.timedelta(minutes=12),
            })
            for role, count_choices in (('master', (1, 3)),
                                        ('worker', tuple(range(1, 21)))):
                nodes = rng.choice(count_choices)
                nodegroups.append({
                    'uuid': str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4)),
                    'name': f'default-{role}', 'cluster_id': cl_uuid,
                    'project_id': project, 'docker_volume_size': 50,
                    'labels': labels,
                    'flavor_id': rng.choice(FLAVORS),
                    'image_id': rng.choice(IMAGES),
                    'node_addresses': [
                        f'10.{rng.randrange(256)}.{rng.randrange(256)}.'
                        f'{rng.randrange(1, 255)}' for _ in range(nodes)],
                    'node_count': nodes, 'role': role,
                    'max_node_count': None if role == 'master' else 30,
                    'min_node_count': nodes if role == 'master' else 1,
                    'is_default': True, 'stack_id': None, 'status': status,
                    'status_reason': (
                        'Resource CREATE failed' if failed else None),
                    'version': None, 'node_labels': {}, 'node_taints': [],
                    'created_at': created, 'updated_at': None,
                })
            self.clusters.append((cl_uuid, project))
        self._insert(models.Cluster.__table__, clusters)
        self._insert(models.NodeGroup.__table__, nodegroups)

    def _insert(self, table, rows, batch=500):
        # executemany of one INSERT: PyMySQL sends multi-row VALUES.
        with self.engine.begin() as conn:
            for i in range(0, len(rows), batch):
                conn.execute(table.insert(), rows[i:i + batch])

    def count_in(self, project):
        return sum(1 for c in self.clusters if c[1] == project)


# Server ----------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


SHIPPED_INI = os.path.join(TOP, 'etc', 'magnum-lite', 'uwsgi.ini')
# Options of the shipped file the bench replaces: where it listens, what
# it serves and its configuration file.
_REPLACED = ('http-socket', 'wsgi-file', 'env')


def shipped_settings(path=SHIPPED_INI):
    """The ``[uwsgi]`` options of the shipped file, as (key, value)
    pairs in file order."""
    pairs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(('#', ';', '[')):
                continue
            key, _, value = line.partition('=')
            pairs.append((key.strip(), value.strip()))
    return pairs


class Server:
    """uWSGI as ``etc/magnum-lite/uwsgi.ini`` ships it (processes,
    threads, lazy-apps...), on the bench's WSGI entry and a free port;
    ``processes`` / ``threads`` override the shipped values."""

    def __init__(self, config_file, port, workdir, pythonpath=(),
                 gc_freeze=False, processes=None, threads=None):
        self.pythonpath = list(pythonpath)
        self.gc_freeze = gc_freeze
        self.config_file = config_file
        self.port = port
        self.workdir = workdir
        self.logfile = os.path.join(workdir, 'server.log')
        self.proc = None
        settings = [(k, v) for k, v in shipped_settings()
                    if k not in _REPLACED]
        overrides = {'processes': processes, 'threads': threads}
        settings = [(k, str(overrides[k]) if overrides.get(k) else v)
                    for k, v in settings]
        self.processes = int(dict(settings).get('processes', 1))
        self.threads = int(dict(settings).get('threads', 1))
        self.ini = os.path.join(workdir, f'uwsgi-{port}.ini')
        with open(self.ini, 'w') as f:
            f.write('[uwsgi]\n')
            for key, value in settings:
                f.write(f'{key} = {value}\n')
            f.write(f'http-socket = 127.0.0.1:{port}\n'
                    'module = bench_uwsgi\n'
                    'listen = 1024\n')

    @property
    def label(self):
        return f'uWSGI {self.processes} processes x {self.threads} threads'

    def start(self):
        uwsgi = os.path.join(os.path.dirname(sys.executable), 'uwsgi')
        env = dict(os.environ, MAGNUM_LITE_CONFIG_FILE=self.config_file,
                   MAGNUM_LITE_BENCH_COUNT_SQL='1',
                   MAGNUM_LITE_BENCH_GC_FREEZE='1' if self.gc_freeze else '',
                   # In this order, before the virtualenv's site-packages
                   # (uWSGI's own pythonpath option puts each entry first).
                   PYTHONPATH=os.pathsep.join(
                       [HERE, *self.pythonpath, TOP]))
        with open(self.logfile, 'wb') as out:
            self.proc = subprocess.Popen([uwsgi, '--ini', self.ini], env=env,
                                         stdout=out, cwd=self.workdir,
                                         stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('server exited:\n' + self.log_tail())
            # Every worker builds the app itself and says so: measure
            # only once all of them serve.
            booted = [line for line in self.log_tail(500).splitlines()
                      if line.startswith('bench_wsgi:')]
            if len(booted) >= self.processes:
                try:
                    status, _, _ = request('127.0.0.1', self.port,
                                           build('GET', '/healthcheck', {}))
                except OSError:
                    status = None
                if status == 200:
                    log(booted[0])
                    self._check_code(booted)
                    return
            time.sleep(0.2)
        raise RuntimeError('server did not come up:\n' + self.log_tail())

    def _check_code(self, booted):
        if not self.pythonpath:
            return
        wanted = os.path.join(self.pythonpath[0], 'magnum_lite')
        if not all(line.endswith(wanted) for line in booted):
            raise RuntimeError(f'workers did not load {wanted}: {booted}')

    def worker_pids(self):
        path = f'/proc/{self.proc.pid}/task/{self.proc.pid}/children'
        with open(path) as f:
            return [int(p) for p in f.read().split()]

    def worker_rss_mib(self):
        """{pid: resident set size in MiB} of the workers."""
        sizes = {}
        for pid in self.worker_pids():
            with open(f'/proc/{pid}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        sizes[pid] = int(line.split()[1]) / 1024
        return sizes

    def log_tail(self, lines=40):
        try:
            with open(self.logfile, errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # die-on-term
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def write_config(path, db_url):
    with open(path, 'w') as f:
        f.write(f"""[DEFAULT]
debug = False
use_stderr = True

[api]
auth_strategy = noauth

[database]
connection = {db_url}
max_pool_size = 5
max_overflow = 5

[oslo_messaging_notifications]
driver = noop
""")


# Load generator --------------------------------------------------------------

def build(method, path, headers, body=None):
    lines = [f'{method} {path} HTTP/1.1', 'Host: 127.0.0.1',
             'Connection: close', 'Accept: application/json',
             f'OpenStack-API-Version: {MICROVERSION}']
    lines += [f'{k}: {v}' for k, v in headers.items()]
    data = b''
    if body is not None:
        data = json.dumps(body).encode()
        lines += ['Content-Type: application/json',
                  f'Content-Length: {len(data)}']
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + data


def request(host, port, raw, want_body=False):
    """One request on a new connection (gunicorn sync workers close it).

    Returns (status, headers {lower: value}, body or None).
    """
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(raw)
        chunks = []
        while True:
            chunk = s.recv(1 << 18)
            if not chunk:
                break
            chunks.append(chunk)
    data = b''.join(chunks)
    if not data:
        # The server closed the connection without an answer (stopping).
        raise ConnectionResetError('no response')
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split(' ', 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers, (body if want_body else None)


class Result:
    def __init__(self, name, concurrency):
        self.name = name
        self.concurrency = concurrency
        self.latencies = []
        self.statements = []
        self.sql_ms = []
        self.cpu_ms = []
        self.errors = 0
        self.first_error = None
        self.elapsed = 0.0
        self.items = None

    def pct(self, p):
        lat = sorted(self.latencies)
        if not lat:
            return float('nan')
        return lat[max(0, min(len(lat), math.ceil(p / 100.0 * len(lat))) - 1)]

    @property
    def rps(self):
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def run_load(port, name, make_request, expect, concurrency, duration,
             max_requests=None, warmup=0.0, count_key=None):
    """Closed loop: ``concurrency`` threads send requests back to back for
    ``duration`` seconds (or ``max_requests``). ``make_request(i)`` gives
    the raw bytes of the i-th request."""
    result = Result(name, concurrency)
    counter = itertools.count()
    lock = threading.Lock()

    # One checked request first: status, body shape, item count.
    status, headers, body = request('127.0.0.1', port, make_request(
        next(counter)), want_body=True)
    if status != expect:
        raise RuntimeError(f'{name}: HTTP {status}: {body[:500]!r}')
    if count_key:
        result.items = len(json.loads(body)[count_key])

    def worker(stop_at, record):
        while time.perf_counter() < stop_at:
            i = next(counter)
            if max_requests is not None and record and i > max_requests:
                return
            raw = make_request(i)
            t0 = time.perf_counter()
            try:
                status, headers, _ = request('127.0.0.1', port, raw)
            except OSError as err:
                status, headers = None, {}
                error = repr(err)
            else:
                error = f'HTTP {status}'
            took = time.perf_counter() - t0
            if not record:
                continue
            with lock:
                if status != expect:
                    result.errors += 1
                    result.first_error = result.first_error or error
                    continue
                result.latencies.append(took)
                if 'x-bench-sql-statements' in headers:
                    result.statements.append(
                        int(headers['x-bench-sql-statements']))
                    result.sql_ms.append(float(headers['x-bench-sql-ms']))
                    result.cpu_ms.append(float(headers['x-bench-cpu-ms']))

    for record, span in ((False, warmup), (True, duration)):
        if span <= 0:
            continue
        start = time.perf_counter()
        threads = [threading.Thread(target=worker,
                                    args=(start + span, record))
                   for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if record:
            result.elapsed = time.perf_counter() - start
    return result


# Scenarios -------------------------------------------------------------------

def scenarios(data, main_project, small_project, scale):
    """(name, make_request, expected status, concurrency, seconds,
    key of the item list in the body); ``scale`` multiplies the
    seconds."""
    member = {'X-Project-Id': main_project, 'X-User-Id': 'bench-user',
              'X-Roles': 'member,reader'}
    small = dict(member, **{'X-Project-Id': small_project})
    main_clusters = [c[0] for c in data.clusters if c[1] == main_project]
    templates = [t[0] for t in data.templates if t[1] == main_project]
    seq = itertools.count()
    run_tag = secrets.token_hex(3)

    def fixed(raw):
        return lambda i: raw

    def rotate(items, fmt, headers):
        raws = [build('GET', fmt.format(x), headers) for x in items]
        return lambda i: raws[i % len(raws)]

    def create_template(i):
        n = next(seq)
        return build('POST', '/v1/clustertemplates', member, {
            'name': f'bench-{run_tag}-{n}', 'coe': 'kubernetes',
            'image_id': 'fedora-coreos-40', 'external_network_id': 'public',
            'flavor_id': 'm1.medium', 'master_flavor_id': 'm1.large',
            'network_driver': 'calico', 'volume_driver': 'cinder',
            'docker_volume_size': 50, 'dns_nameserver': '8.8.8.8',
            'labels': {'kube_tag': 'v1.36.4', 'cinder_csi_enabled': 'true',
                       'auto_healing_enabled': 'true'}})

    def d(seconds):
        return seconds * scale

    return [
        (CEILING,
         fixed(build('GET', '/v1/', {})), 200, 4, d(3), None),
        ('list clusters (all)',
         fixed(build('GET', '/v1/clusters', ADMIN)), 200, 2, d(5),
         'clusters'),
        ('list clusters (all, limit=100)',
         fixed(build('GET', '/v1/clusters?limit=100', ADMIN)), 200, 2, d(3),
         'clusters'),
        ('list clusters (main project)',
         fixed(build('GET', '/v1/clusters', member)), 200, 2, d(4),
         'clusters'),
        ('list clusters (small project)',
         fixed(build('GET', '/v1/clusters', small)), 200, 2, d(2),
         'clusters'),
        ('list clusters/detail (all)',
         fixed(build('GET', '/v1/clusters/detail', ADMIN)), 200, 2, d(4),
         'clusters'),
        ('show cluster',
         rotate(main_clusters, '/v1/clusters/{}', member), 200, 4, d(6),
         None),
        ('list nodegroups',
         rotate(main_clusters, '/v1/clusters/{}/nodegroups', member), 200, 4,
         d(5), 'nodegroups'),
        ('list templates (all)',
         fixed(build('GET', '/v1/clustertemplates', ADMIN)), 200, 2, d(4),
         'clustertemplates'),
        ('list templates (main project)',
         fixed(build('GET', '/v1/clustertemplates', member)), 200, 2, d(3),
         'clustertemplates'),
        ('show template',
         rotate(templates, '/v1/clustertemplates/{}', member), 200, 4, d(5),
         None),
        ('create template', create_template, 201, 4, d(4), None),
    ]


def _median(values):
    values = sorted(v for v in values if not math.isnan(v))
    if not values:
        return float('nan')
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] +
                                                values[mid]) / 2


def _cpu(r):
    return _median(r.cpu_ms)


def _trips(values):
    """The median, and the maximum if another (a request that opened a
    connection: handshake and session set-up)."""
    if not values:
        return '?'
    typical, most = int(_median(values)), max(values)
    return str(typical) if typical == most else f'{typical} ({most})'


def _span(values):
    if not values:
        return '?'
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f'{lo}-{hi}'


# Round trips (through the counting proxy) ------------------------------------

def probe(port, proxy, data, main_project, small_project, only, count=20,
          warmup=12):
    """Send each scenario's requests one at a time through a server whose
    database is behind ``proxy``: {name: (statements, round trips)} per
    request, lists of ``count`` values."""
    found = {}
    print(f'{"scenario":32s} {"stmts":>6s} {"round trips":>12s}', flush=True)
    for (name, make, expect, _, _, _) in scenarios(
            data, main_project, small_project, 1.0):
        if only and not any(o in name for o in only):
            continue
        stmts, trips = [], []
        for i in range(count + warmup):
            before = proxy.commands
            status, headers, body = request('127.0.0.1', port, make(i),
                                            want_body=True)
            if status != expect:
                raise RuntimeError(f'{name}: HTTP {status}: {body[:300]!r}')
            if i < warmup:
                continue  # every worker's first connections and caches
            # The server answered after its last statement came back:
            # every round trip of the request has reached the proxy.
            trips.append(proxy.commands - before)
            stmts.append(int(headers.get('x-bench-sql-statements', -1)))
        found[name] = (stmts, trips)
        print(f'{name:32s} {_span(stmts):>6s} {_trips(trips):>12s}',
              flush=True)
    return found


# Rounds ----------------------------------------------------------------------

class Summary:
    """One scenario over several rounds: medians, and the ratio of its
    req/s to the ceiling's of the same round."""

    def __init__(self, name):
        self.name = name
        self.rounds = []
        self.ratios = []

    def add(self, result, ceiling):
        self.rounds.append(result)
        if ceiling is not None and ceiling.rps:
            self.ratios.append(result.rps / ceiling.rps)

    @property
    def rps(self):
        return _median([r.rps for r in self.rounds])

    @property
    def p50_ms(self):
        return _median([r.pct(50) * 1000 for r in self.rounds])

    @property
    def p99_ms(self):
        return _median([r.pct(99) * 1000 for r in self.rounds])

    @property
    def ratio(self):
        return _median(self.ratios)

    @property
    def cpu_ms(self):
        return _median([_cpu(r) for r in self.rounds])

    @property
    def items(self):
        return self.rounds[0].items

    @property
    def errors(self):
        return sum(r.errors for r in self.rounds)

    @property
    def statements(self):
        return [n for r in self.rounds for n in r.statements]


HEADER = (f'{"scenario":32s} {"items":>5s} {"c":>2s} {"req/s":>8s}'
          f' {"÷ceil":>6s} {"p50 ms":>8s} {"p99 ms":>8s} {"stmts":>6s}'
          f' {"trips":>6s} {"cpu ms":>7s} {"err":>4s}')


def fmt_summary(summary, concurrency, trips):
    items = '' if summary.items is None else str(summary.items)
    return (f'{summary.name:32s} {items:>5s} {concurrency:>2d}'
            f' {summary.rps:>8.1f} {summary.ratio * 100:>5.0f}%'
            f' {summary.p50_ms:>8.1f} {summary.p99_ms:>8.1f}'
            f' {_span(summary.statements):>6s} {trips:>6s}'
            f' {summary.cpu_ms:>7.2f} {summary.errors:>4d}')


def measure(port, data, main_project, small_project, rounds, scale,
            deadline, only=None):
    """Every scenario once per round, the ceiling first in each round;
    {name: Summary} and {name: concurrency}."""
    summaries, concurrency = {}, {}
    for number in range(1, rounds + 1):
        log(f'round {number}/{rounds}; load average '
            f'{os.getloadavg()[0]:.2f}')
        ceiling = None
        for (name, make, expect, conc, secs, key) in scenarios(
                data, main_project, small_project, scale):
            if only and name != CEILING and not any(o in name
                                                    for o in only):
                continue
            if time.monotonic() > deadline:
                log(f'time budget exhausted, skipping {name}')
                continue
            r = run_load(port, name, make, expect, conc, secs, warmup=0.5,
                         count_key=key)
            if name == CEILING:
                ceiling = r
            summaries.setdefault(name, Summary(name)).add(r, ceiling)
            concurrency[name] = conc
            if r.errors:
                print(f'    {name}: first error: {r.first_error}',
                      flush=True)
    return summaries, concurrency


def rss_growth(port, server, data, main_project, first, total):
    """Worker RSS after ``first`` and after ``total`` show-cluster
    requests (served at concurrency 4): (MiB after first, MiB after
    total), summed over the workers."""
    make = next(s[1] for s in scenarios(data, main_project, main_project,
                                        1.0) if s[0] == 'show cluster')
    sizes = []
    done = 0
    for goal in (first, total):
        started = time.perf_counter()
        r = run_load(port, 'show cluster', make, 200, 4, 10 ** 6,
                     max_requests=goal - done)
        done = goal
        rss = server.worker_rss_mib()
        sizes.append(sum(rss.values()))
        log(f'after {goal} show-cluster requests '
            f'({time.perf_counter() - started:.0f}s, {r.errors} errors): '
            f'worker RSS {", ".join(f"{v:.1f}" for v in rss.values())} MiB')
    return sizes


def verdicts(summaries, probe_counts, rss):
    by = summaries
    lines = []

    def check(ok, text):
        lines.append(f'  [{"PASS" if ok else "FAIL"}] {text}')

    r = by.get('show cluster')
    if r:
        check(r.rps >= SHOW_TARGET_RPS or r.ratio >= SHOW_CLUSTER_RATIO,
              f'show cluster {r.rps:.0f} req/s = {r.ratio * 100:.0f} % of '
              f'the ceiling (target {SHOW_TARGET_RPS:.0f} req/s or '
              f'{SHOW_CLUSTER_RATIO * 100:.0f} %; upstream: '
              f'{UPSTREAM["show cluster"]})')
    r = by.get('show template')
    if r:
        check(r.rps >= SHOW_TEMPLATE_RPS or r.ratio >= SHOW_TEMPLATE_RATIO,
              f'show template {r.rps:.0f} req/s = {r.ratio * 100:.0f} % of '
              f'the ceiling (target {SHOW_TEMPLATE_RPS:.0f} req/s or '
              f'{SHOW_TEMPLATE_RATIO * 100:.0f} %)')
    r = by.get('list templates (all)')
    if r:
        check(r.rps >= TEMPLATES_TARGET_RPS,
              f'list of {r.items} templates {r.rps:.1f} req/s >= '
              f'{TEMPLATES_TARGET_RPS:.0f} (upstream: '
              f'{UPSTREAM["list templates (all)"]}; worker CPU '
              f'{r.cpu_ms:.1f} ms/request)')
    r = by.get('list clusters (all)')
    if r:
        check(r.p50_ms <= LIST_TARGET_MS,
              f'list of {r.items} clusters p50 {r.p50_ms:.1f} ms <= '
              f'{LIST_TARGET_MS:.0f} ms (upstream: '
              f'{UPSTREAM["list clusters (all)"]}; worker CPU '
              f'{r.cpu_ms:.1f} ms/request)')
    if rss:
        first, last = rss
        check(last <= first * (1 + RSS_GROWTH),
              f'worker RSS {last:.1f} MiB after the long run, '
              f'{first:.1f} MiB after the short one '
              f'(+{(last / first - 1) * 100:.1f} %, at most '
              f'{RSS_GROWTH * 100:.0f} %)')
    detail = []
    for name, summary in by.items():
        small = probe_counts.get(name, ([], []))[0]
        if len(set(small) | set(summary.statements)) > 1:
            detail.append(f'{name}: {_span(small)} at small scale, '
                          f'{_span(summary.statements)} at full scale')
    check(not detail, 'SQL statements per request constant in the number '
                      'of objects' + (': ' + '; '.join(detail)
                                      if detail else ''))
    return lines


# Main ------------------------------------------------------------------------

def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--templates', type=int, default=1000)
    parser.add_argument('--clusters', type=int, default=1000)
    parser.add_argument('--small', type=int, default=100,
                        help='templates and clusters of the first, small '
                             'round (statements and round trips only)')
    parser.add_argument('--processes', type=int,
                        help='uWSGI processes (default: as shipped)')
    parser.add_argument('--threads', type=int,
                        help='uWSGI threads per process (default: as '
                             'shipped)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='rounds of every scenario; figures are '
                             'medians over them')
    parser.add_argument('--scale', type=float, default=0.6,
                        help='multiplies every scenario\'s seconds')
    parser.add_argument('--rss', type=int, nargs=2, metavar=('FIRST',
                                                             'TOTAL'),
                        help='after the rounds, worker RSS after FIRST '
                             'and TOTAL show-cluster requests (e.g. 10000 '
                             '100000)')
    parser.add_argument('--mysql', default='mysql -uroot',
                        help='client command with rights to create '
                             'databases and users (socket login)')
    parser.add_argument('--db-host', default='127.0.0.1')
    parser.add_argument('--db-port', type=int, default=3306)
    parser.add_argument('--driver', choices=('mysqldb', 'pymysql'),
                        default='mysqldb',
                        help='DB-API driver of the server: mysqldb '
                             '(mysqlclient, as in production) or pymysql')
    parser.add_argument('--code', action='append', default=[],
                        help='put this directory before the project on the '
                             "server's Python path (A/B test of a patched "
                             'copy of magnum_lite/)')
    parser.add_argument('--gc-freeze', action='store_true',
                        help='gc.freeze() in each worker once the app is '
                             'built')
    parser.add_argument('--budget', type=float, default=900,
                        help='seconds after which remaining scenarios are '
                             'skipped')
    parser.add_argument('--only', action='append',
                        help='run only scenarios whose name contains this '
                             '(repeatable; the ceiling always runs)')
    parser.add_argument('--keep', action='store_true',
                        help='leave server and database up (prints how to '
                             'reach them); for profiling')
    return parser.parse_args()


def _check_tools(args):
    if shutil.which(args.mysql.split()[0]) is None:
        sys.exit(f'{args.mysql.split()[0]} not found')
    if not os.path.exists(os.path.join(os.path.dirname(sys.executable),
                                       'uwsgi')):
        sys.exit('uwsgi is not installed in this virtualenv '
                 '(tools/ensure-venv installs test-requirements.txt)')


def _server(args, config, workdir):
    return Server(config, free_port(), workdir,
                  [os.path.abspath(c) for c in args.code], args.gc_freeze,
                  args.processes, args.threads)


def main():
    args = _arguments()
    _check_tools(args)
    started = time.monotonic()
    deadline = started + args.budget
    workdir = tempfile.mkdtemp(prefix='mlbench-')
    db = Database(args.mysql.split(), args.db_host, args.db_port,
                  args.driver)
    server = proxy = engine = None
    interrupted = []

    def on_signal(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log(f'load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} '
            f'cores before starting (req/s and latencies suffer from any '
            f'other load: compare the ratios to the ceiling)')
        log(f'creating database {db.name}')
        db.create()
        engine = sa.create_engine(db.url)
        t0 = time.perf_counter()
        migration.upgrade(engine=engine)
        log(f'migrated in {time.perf_counter() - t0:.1f}s')

        data = DataSet(engine)
        small_n = min(args.small, args.templates, args.clusters)
        data.add_templates(small_n)
        data.add_clusters(small_n)
        main_project, small_project = PROJECTS[0], PROJECTS[3]

        # Small scale, through the counting proxy: statements and round
        # trips per request.
        proxy = db_proxy.CountingProxy(args.db_host, args.db_port)
        config = os.path.join(workdir, 'probe.conf')
        write_config(config, db.url_via('127.0.0.1', proxy.port))
        server = _server(args, config, workdir)
        server.start()
        print(f'\n== small scale: {small_n} templates, {small_n} clusters; '
              f'{server.label}; driver {args.driver}; database behind a '
              f'counting proxy ==')
        probe_counts = probe(server.port, proxy, data, main_project,
                             small_project, args.only)
        server.stop()
        proxy.close()
        proxy = None

        t0 = time.perf_counter()
        data.add_templates(args.templates - small_n)
        data.add_clusters(args.clusters - small_n)
        log(f'loaded up to {args.templates} templates, {args.clusters} '
            f'clusters, {2 * args.clusters} nodegroups in '
            f'{time.perf_counter() - t0:.2f}s (main project owns '
            f'{data.count_in(main_project)} clusters)')
        config = os.path.join(workdir, 'magnum-lite.conf')
        write_config(config, db.url)
        server = _server(args, config, workdir)
        server.start()
        print(f'\n== full scale: {args.templates} templates, '
              f'{args.clusters} clusters, {2 * args.clusters} nodegroups; '
              f'{server.label}; driver {args.driver}' +
              (f'; code from {", ".join(args.code)}' if args.code else '') +
              f'; medians of {args.rounds} rounds ==', flush=True)
        summaries, concurrency = measure(
            server.port, data, main_project, small_project, args.rounds,
            args.scale, deadline, args.only)
        print(HEADER)
        for name, summary in summaries.items():
            trips = _trips(probe_counts.get(name, ([], []))[1])
            print(fmt_summary(summary, concurrency[name], trips))
        print('\nc = client concurrency; ÷ceil = req/s over the ceiling\'s '
              'req/s of the same round (median over rounds); stmts = SQL '
              'statements per request (server side); trips = round trips '
              'to MariaDB per request, counted at the socket at small '
              'scale; cpu ms = median worker CPU per request')
        rss = None
        if args.rss:
            rss = rss_growth(server.port, server, data, main_project,
                             *args.rss)
        print(f'\nload average (1 min) at the end: '
              f'{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores')
        print('\n== targets ==')
        for line in verdicts(summaries, probe_counts, rss):
            print(line)
        if args.keep:
            print(f'\n--keep: server on 127.0.0.1:{server.port} (pid '
                  f'{server.proc.pid}), config {config}, database '
                  f'{db.name}; stop with kill {server.proc.pid} and drop the '
                  f'database and user {db.user} by hand')
            server = None
            db.created = False
    except KeyboardInterrupt:
        log('interrupted')
    except Exception:
        if server is not None:
            print('--- server log ---\n' + server.log_tail(), file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        if proxy is not None:
            proxy.close()
        if engine is not None:
            engine.dispose()
        try:
            db.drop()
        except Exception as err:  # keep the original error visible
            log(f'could not drop {db.name}: {err}')
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        log(f'cleaned up; total {time.monotonic() - started:.0f}s')
    if interrupted:
        sys.exit(1)


if __name__ == '__main__':
    main()
