#!/usr/bin/env python3
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
"""Run an OpenStack control plane without VMs on one box.

Standard library only; runs with any python3 and is importable::

    tools/openstack/install.sh
    tools/openstack/openstackctl.py start --state-dir /tmp/os1 [--name mlt_os1]
    tools/openstack/openstackctl.py stop --state-dir /tmp/os1 --purge

Behind a Keystone (started here with tools/keystone/keystonectl.py from
the same virtualenv, or an existing one given to ``start()``), it runs
Placement, Nova (API, conductor, scheduler, two nova-compute with the
fake virt driver), Neutron (ML2 API only, ports bound by the test double
in ml2_test_double/), Glance (file store), Octavia (API and worker with
the no-op amphora, compute and network drivers) and Heat (API and engine,
trusts, stack domain ``heat``), every API under uWSGI on 127.0.0.1, all
from the one virtualenv ``.venvs/openstack``.

Each control plane has its own MariaDB databases ``<name>_<db>`` (made
and used by the test user ``magnum_lite_test``, which owns ``mlt_%``) and
RabbitMQ vhosts ``<name>_<service>``; ``stop --purge`` drops them. Its
state directory holds the configs, logs, pid files and
``openstackctl.json`` (URLs, names, pids, timings). ``start`` also seeds
what a tenant needs: flavor ``m1.tiny``, image ``tiny`` (1 MiB, raw,
public), flat external network ``public`` (subnet 127.24.0.0/16: loopback,
doc/source/contributor/loopback-only.rst).
"""

import argparse
import concurrent.futures
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STATE_FILE = 'openstackctl.json'
ML2_TEST_DOUBLE = os.path.join(HERE, 'ml2_test_double')
COMPUTE_HOSTS = ('compute-1', 'compute-2')
DATABASES = ('placement', 'nova_api', 'nova', 'nova_cell0', 'neutron',
             'glance', 'octavia', 'heat')
VHOSTS = ('nova', 'neutron', 'octavia', 'heat')
SERVICE_USERS = ('placement', 'nova', 'neutron', 'glance', 'octavia',
                 'heat')
# (service type, name, path under the API's root)
CATALOG = (
    ('placement', 'placement', ''),
    ('compute', 'nova', '/v2.1'),
    ('network', 'neutron', ''),
    ('image', 'glance', ''),
    ('load-balancer', 'octavia', ''),
    ('orchestration', 'heat', '/v1/%(tenant_id)s'),
)
# RPC queues whose consumers say a daemon is listening.
QUEUES = {'nova': ['conductor', 'scheduler'] + ['compute.%s' % h
                                                for h in COMPUTE_HOSTS],
          'octavia': ['octavia_provisioning_v2'], 'heat': ['engine']}


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


local = _load('localservice', os.path.join(REPO, 'tools', 'localservice.py'))
osconfig = _load('mlt_osconfig', os.path.join(HERE, 'osconfig.py'))
rest = _load('mlt_osrest', os.path.join(HERE, 'rest.py'))


class OpenStackError(Exception):
    pass


def default_venv():
    return local.venv_path('openstack')


def _log(msg):
    print('openstackctl: %s' % msg, file=sys.stderr, flush=True)


def _check_name(name):
    if not name or len(name) > 40 or not all(c.isalnum() or c == '_'
                                             for c in name):
        raise OpenStackError('name %r: at most 40 letters, digits and _'
                             % name)


# --- MariaDB and RabbitMQ --------------------------------------------------

def _mysql(sql, user, password, check=True):
    env = dict(os.environ, MYSQL_PWD=password)
    proc = subprocess.run(
        ['mysql', '-u' + user, '-h127.0.0.1', '-P3306', '--batch'],
        input=sql, capture_output=True, text=True, timeout=120, env=env)
    if check and proc.returncode != 0:
        raise OpenStackError('mysql failed: %s' % proc.stderr.strip())
    return proc.stdout


def _rabbitmqctl(*args, check=True):
    proc = subprocess.run(['rabbitmqctl', '-q'] + list(args),
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise OpenStackError('rabbitmqctl %s failed: %s'
                             % (' '.join(args), proc.stderr.strip()))
    return proc


def create_backends(name, db_user, db_password, rabbit_user='guest'):
    _mysql(''.join('CREATE DATABASE IF NOT EXISTS `%s_%s` CHARACTER SET '
                   'utf8mb4 COLLATE utf8mb4_general_ci;\n' % (name, db)
                   for db in DATABASES), db_user, db_password)
    for service in VHOSTS:
        vhost = '%s_%s' % (name, service)
        _rabbitmqctl('add_vhost', vhost, check=False)
        _rabbitmqctl('set_permissions', '-p', vhost, rabbit_user, '.*',
                     '.*', '.*')


def drop_backends(name, db_user, db_password):
    _check_name(name)
    _mysql(''.join('DROP DATABASE IF EXISTS `%s_%s`;\n' % (name, db)
                   for db in DATABASES), db_user, db_password, check=False)
    for service in VHOSTS:
        _rabbitmqctl('delete_vhost', '%s_%s' % (name, service), check=False)


def queues_consumed(vhost, queues):
    proc = _rabbitmqctl('list_queues', '-p', vhost, 'name', 'consumers',
                        check=False)
    seen = {}
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1].isdigit():
            seen[fields[0]] = int(fields[1])
    return [q for q in queues if not seen.get(q)]


# --- Octavia's throw-away certificates -------------------------------------

def make_octavia_certs(cert_dir):
    """A CA, and a client certificate signed by it (openssl CLI)."""
    os.makedirs(cert_dir, exist_ok=True)

    def openssl(*args):
        subprocess.run(['openssl'] + list(args), check=True,
                       capture_output=True, timeout=60, cwd=cert_dir)

    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '7',
            '-subj', '/CN=mlt-octavia-ca', '-keyout', 'ca.key',
            '-out', 'ca.pem')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj',
            '/CN=mlt-octavia-client', '-keyout', 'client.key',
            '-out', 'client.csr')
    openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem',
            '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7',
            '-out', 'client.crt')
    with open(os.path.join(cert_dir, 'client.pem'), 'w') as out:
        for part in ('client.crt', 'client.key'):
            with open(os.path.join(cert_dir, part)) as f:
                out.write(f.read())
    return {'ca_cert': os.path.join(cert_dir, 'ca.pem'),
            'ca_key': os.path.join(cert_dir, 'ca.key'),
            'client_pem': os.path.join(cert_dir, 'client.pem'),
            # Octavia wants exactly 32 characters.
            'passphrase': secrets.token_hex(16),
            'heartbeat_key': secrets.token_hex(16)}


# --- Keystone --------------------------------------------------------------

def seed_keystone(cloud, ctx):
    """Service users (admin + service on project ``service``), the
    catalog, Heat's stack domain and its admin, Heat's roles."""
    roles = {r: cloud.ensure_role(r) for r in (
        'admin', 'service', 'member', 'reader', 'heat_stack_user')}
    service_project = cloud.ensure_project('service')
    for user in SERVICE_USERS:
        uid = cloud.ensure_user(user, ctx['passwords'][user])
        cloud.grant(roles['admin'], uid, project_id=service_project)
        cloud.grant(roles['service'], uid, project_id=service_project)
    domain = cloud.ensure_domain('heat')
    uid = cloud.ensure_user('heat_domain_admin',
                            ctx['passwords']['heat_domain_admin'],
                            domain_id=domain)
    cloud.grant(roles['admin'], uid, domain_id=domain)
    for service_type, service, path in CATALOG:
        cloud.ensure_service(service, service_type, 'http://127.0.0.1:%d%s'
                             % (ctx['ports'][service], path))
    cloud.refresh()


# --- processes -------------------------------------------------------------

def _env(ctx, extra=None):
    env = dict(os.environ)
    env.setdefault('PYTHONWARNINGS', 'ignore')
    env.update(extra or {})
    return env


def _run(ctx, service, argv, timeout=900):
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, cwd=ctx['state_dir'],
                          env=_env(ctx))
    if proc.returncode != 0:
        raise OpenStackError('%s: %s failed:\n%s%s' % (
            service, ' '.join(argv[:4]), proc.stdout[-3000:],
            proc.stderr[-3000:]))


def schema_cache_dir(venv):
    """Dumps of freshly synced databases, per installed lock file:
    loading them takes seconds where the services' own syncs take minutes
    on a busy machine."""
    try:
        with open(os.path.join(venv, '.magnum-lite-openstack.sha256')) as f:
            key = f.read().strip()[:16]
    except OSError:
        key = 'unversioned'
    return os.path.join(venv, 'share', 'magnum-lite',
                        'openstack-schema-%s' % key)


def save_schemas(ctx, cache):
    tmp = '%s.%d.tmp' % (cache, os.getpid())
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, MYSQL_PWD=ctx['db_password'])
    for db in DATABASES:
        proc = subprocess.run(
            ['mysqldump', '-u' + ctx['db_user'], '-h127.0.0.1', '-P3306',
             '--skip-comments', '--skip-dump-date', '--no-tablespaces',
             '%s_%s' % (ctx['name'], db)],
            capture_output=True, timeout=300, env=env)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            return False
        with open(os.path.join(tmp, db + '.sql'), 'wb') as f:
            f.write(proc.stdout)
    try:
        os.rename(tmp, cache)
    except OSError:  # another process saved it first
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def load_schemas(ctx, cache):
    """Load the dumps, then point Nova's cell mappings at this control
    plane's cell databases and vhost."""
    sql = []
    for db in DATABASES:
        with open(os.path.join(cache, db + '.sql')) as f:
            sql.append('USE `%s_%s`;\n%s\n' % (ctx['name'], db, f.read()))
    sql.append(
        "USE `%s_nova_api`;\n"
        "UPDATE cell_mappings SET database_connection = '%s' "
        "WHERE uuid = '00000000-0000-0000-0000-000000000000';\n"
        "UPDATE cell_mappings SET database_connection = '%s', "
        "transport_url = '%s' WHERE name = 'cell1';\n" % (
            ctx['name'], ctx['db']['nova_cell0'], ctx['db']['nova'],
            ctx['vhost_url']['nova']))
    _mysql(''.join(sql), ctx['db_user'], ctx['db_password'])


def sync_databases(ctx):
    """Every service's schema, in parallel (nova's steps in order)."""
    venv_bin = os.path.join(ctx['venv'], 'bin')
    conf = ctx['config']

    def manage(tool, service, *args):
        return [os.path.join(venv_bin, tool)] + [
            a for f in conf[service].values()
            if f.endswith(('.conf', '.ini')) and 'compute-' not in f
            for a in ('--config-file', f)] + list(args)

    nova_conf = ['--config-file', conf['nova']['nova.conf']]
    nova_manage = [os.path.join(venv_bin, 'nova-manage')] + nova_conf
    steps = {
        'placement': [manage('placement-manage', 'placement', 'db',
                             'sync')],
        'nova': [nova_manage + ['api_db', 'sync'],
                 nova_manage + ['cell_v2', 'map_cell0',
                                '--database_connection',
                                ctx['db']['nova_cell0']],
                 nova_manage + ['cell_v2', 'create_cell', '--name',
                                'cell1', '--verbose'],
                 nova_manage + ['db', 'sync']],
        'neutron': [manage('neutron-db-manage', 'neutron', 'upgrade',
                           'heads')],
        'glance': [manage('glance-manage', 'glance', 'db_sync')],
        'octavia': [[os.path.join(venv_bin, 'octavia-db-manage'),
                     '--config-file', conf['octavia']['octavia.conf'],
                     'upgrade', 'head']],
        'heat': [manage('heat-manage', 'heat', 'db_sync')],
    }

    def run_steps(service):
        t0 = time.monotonic()
        for argv in steps[service]:
            _run(ctx, service, argv)
        return service, round(time.monotonic() - t0, 1)

    with concurrent.futures.ThreadPoolExecutor(len(steps)) as pool:
        return dict(pool.map(run_steps, steps))


def _uwsgi(ctx, service, module, threads=4, pyargv=None):
    argv = local.uwsgi_argv(ctx['venv'], ctx['ports'][service], threads,
                            ['--module', module + ':application',
                             '--lazy-apps'])
    if pyargv:
        argv += ['--pyargv', ' '.join(pyargv)]
    return argv


def process_table(ctx):
    """name -> (argv, extra environment) of every process."""
    conf = ctx['config']
    bin_ = os.path.join(ctx['venv'], 'bin')
    nova = ['--config-file', conf['nova']['nova.conf']]
    neutron_files = ['--config-file', conf['neutron']['neutron.conf'],
                     '--config-file', conf['neutron']['ml2_conf.ini']]
    octavia = ['--config-file', conf['octavia']['octavia.conf']]
    heat = ['--config-file', conf['heat']['heat.conf']]
    pythonpath = os.pathsep.join(
        p for p in (ML2_TEST_DOUBLE, os.environ.get('PYTHONPATH')) if p)
    table = {
        'placement-api': (_uwsgi(ctx, 'placement', 'placement.wsgi.api'),
                          {'OS_PLACEMENT_CONFIG_DIR':
                           ctx['conf_dir']['placement']}),
        'nova-api': (_uwsgi(ctx, 'nova', 'nova.wsgi.osapi_compute',
                            threads=8),
                     {'OS_NOVA_CONFIG_DIR': ctx['conf_dir']['nova']}),
        'nova-conductor': ([os.path.join(bin_, 'nova-conductor')] + nova,
                           {}),
        'nova-scheduler': ([os.path.join(bin_, 'nova-scheduler')] + nova,
                           {}),
        'neutron-api': (_uwsgi(ctx, 'neutron', 'neutron.wsgi.api',
                               threads=8, pyargv=neutron_files),
                        {'PYTHONPATH': pythonpath}),
        'glance-api': (_uwsgi(ctx, 'glance', 'glance.wsgi.api'),
                       {'OS_GLANCE_CONFIG_DIR': ctx['conf_dir']['glance']}),
        'octavia-api': (_uwsgi(ctx, 'octavia', 'octavia.wsgi.api',
                               pyargv=octavia), {}),
        'octavia-worker': ([os.path.join(bin_, 'octavia-worker')] + octavia,
                           {}),
        'heat-api': (_uwsgi(ctx, 'heat', 'heat.wsgi.api', threads=8,
                            pyargv=heat), {}),
        'heat-engine': ([os.path.join(bin_, 'heat-engine')] + heat, {}),
    }
    for host in COMPUTE_HOSTS:
        table['nova-compute-%s' % host] = (
            [os.path.join(bin_, 'nova-compute')] + nova + [
                '--config-file', conf['nova']['%s.conf' % host]], {})
    for name, (argv, _env_extra) in table.items():
        if 'uwsgi' not in os.path.basename(argv[0]):
            argv += ['--log-file', os.path.join(ctx['log_dir'],
                                                name + '.log')]
    return table


def stop_processes(state_dir, names, grace=5):
    """Stop every process group (SIGKILL after ``grace`` s: heat-engine,
    nova-scheduler and nova-compute outlast SIGTERM) and drop the pid
    files."""
    local.kill_groups([local.read_pid(state_dir, n) for n in names],
                      grace=grace)
    for name in names:
        try:
            os.unlink(os.path.join(state_dir, '%s.pid' % name))
        except FileNotFoundError:
            pass


def rss_mib(state_dir):
    """Resident memory of every process of the control plane (MiB), by
    process name, and the sum."""
    groups = {}
    for name in os.listdir(state_dir):
        if name.endswith('.pid'):
            pid = local.read_pid(state_dir, name[:-4])
            if pid:
                groups[pid] = name[:-4]
    usage = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                pgid = int(f.read().rsplit(')', 1)[1].split()[2])
            if pgid not in groups:
                continue
            with open('/proc/%s/status' % entry) as f:
                kib = next(int(line.split()[1]) for line in f
                           if line.startswith('VmRSS:'))
        except (OSError, ValueError, StopIteration):
            continue
        usage[groups[pgid]] = usage.get(groups[pgid], 0) + kib / 1024
    usage = {k: round(v) for k, v in sorted(usage.items())}
    return usage, sum(usage.values())


# --- readiness and seeding -------------------------------------------------

def _check_alive(ctx, names):
    for name in names:
        pid = local.read_pid(ctx['state_dir'], name)
        if pid is None or not local.pid_alive(pid):
            logs = ctx['log_dir']
            tails = ''.join(local.tail(os.path.join(logs, f), 20)
                            for f in sorted(os.listdir(logs))
                            if f.startswith(name.split('-')[0]))
            raise OpenStackError('%s is not running; its logs end:\n%s'
                                 % (name, tails[-6000:]))


def _api_up(port):
    try:
        rest.request('GET', 'http://127.0.0.1:%d/' % port, timeout=5)
    except rest.RestError as e:
        return e.status < 500
    except OSError:
        return False
    return True


def wait_ready(ctx, cloud, names, timeout):
    """Every API answers, every daemon consumes its RPC queue, both
    computes are in Placement and mapped to cell1."""
    deadline = time.monotonic() + timeout
    pending = ['api:%s' % s for s in ctx['ports']] + [
        'rpc:%s' % s for s in QUEUES] + ['computes']
    while pending:
        _check_alive(ctx, names)
        if time.monotonic() > deadline:
            raise OpenStackError('not ready after %ss: %s'
                                 % (timeout, ', '.join(pending)))
        item = pending[0]
        kind, _, what = item.partition(':')
        if kind == 'api':
            done = _api_up(ctx['ports'][what])
        elif kind == 'rpc':
            done = not queues_consumed('%s_%s' % (ctx['name'], what),
                                       QUEUES[what])
        else:
            done = _computes_mapped(ctx, cloud)
        if done:
            pending.pop(0)
            ctx['timings']['ready:' + item] = round(
                time.monotonic() - ctx['t0'], 1)
        else:
            time.sleep(0.5)


def _computes_mapped(ctx, cloud):
    providers = cloud.call('GET', cloud.endpoint('placement') +
                           '/resource_providers')['resource_providers']
    if len(providers) < len(COMPUTE_HOSTS):
        return False
    out = _mysql('SELECT COUNT(*) FROM `%s_nova_api`.host_mappings;\n'  # noqa: S608 - checked name
                 % ctx['name'], ctx['db_user'], ctx['db_password'])
    return int(out.split()[-1]) >= len(COMPUTE_HOSTS)


def seed_resources(cloud):
    """Flavor m1.tiny, image tiny, external network public."""
    compute = cloud.endpoint('compute')
    flavors = cloud.call('GET', compute + '/flavors')['flavors']
    if not any(f['name'] == 'm1.tiny' for f in flavors):
        cloud.call('POST', compute + '/flavors', {'flavor': {
            'name': 'm1.tiny', 'ram': 64, 'vcpus': 1, 'disk': 1,
            'id': 'mlt-tiny'}})
    image_url = cloud.endpoint('image') + '/v2/images'
    if not cloud.call('GET', image_url + '?name=tiny')['images']:
        image = cloud.call('POST', image_url, {
            'name': 'tiny', 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'})
        cloud.call('PUT', '%s/%s/file' % (image_url, image['id']),
                   b'\0' * (1 << 20), raw=True)
    network = cloud.endpoint('network') + '/v2.0'
    if not cloud.call('GET', network + '/networks?name=public')['networks']:
        net = cloud.call('POST', network + '/networks', {'network': {
            'name': 'public', 'router:external': True,
            'provider:network_type': 'flat',
            'provider:physical_network': 'public'}})['network']
        # Loopback (doc/source/contributor/loopback-only.rst): a client
        # that follows a floating IP or gateway reaches this machine only.
        # Neutron refuses loopback CIDRs only with DHCP on.
        cloud.call('POST', network + '/subnets', {'subnet': {
            'name': 'public-subnet', 'network_id': net['id'],
            'ip_version': 4, 'cidr': '127.24.0.0/16',
            'gateway_ip': '127.24.0.1', 'enable_dhcp': False}})


# --- start / stop ----------------------------------------------------------

def load_state(state_dir):
    return local.load_state(state_dir, STATE_FILE)


def _context(state_dir, name, venv, keystone_url, db_user, db_password,
             rabbit):
    state_dir = os.path.abspath(state_dir)
    log_dir = os.path.join(state_dir, 'logs')
    os.makedirs(log_dir, exist_ok=True)
    services = ('placement', 'nova', 'neutron', 'glance', 'octavia', 'heat')
    db_url = 'mysql+pymysql://%s:%s@127.0.0.1:3306/%s_%%s?charset=utf8mb4' % (
        db_user, db_password, name)
    return {
        'name': name, 'state_dir': state_dir, 'log_dir': log_dir,
        'venv': venv, 'keystone_url': keystone_url,
        'db_user': db_user, 'db_password': db_password,
        'compute_hosts': COMPUTE_HOSTS,
        'ports': {s: local.free_port() for s in services},
        'conf_dir': {s: os.path.join(state_dir, 'etc', s) for s in services},
        'db': {db: db_url % db for db in DATABASES},
        'vhost_url': {s: 'rabbit://%s@127.0.0.1:5672/%s_%s' % (rabbit, name,
                                                               s)
                      for s in VHOSTS},
        'passwords': {u: secrets.token_urlsafe(18)
                      for u in SERVICE_USERS + ('heat_domain_admin',)},
        'timings': {},
    }


def start(state_dir, keystone_url, admin_password, name='mlt_onebox',
          venv=None, db_user='magnum_lite_test',
          db_password='magnum_lite_test',  # noqa: S107 - the test user
          rabbit='guest:guest', debug=False, timeout=600, preexec_fn=None):
    """Start the control plane behind the Keystone at ``keystone_url``
    (admin user ``admin`` on project ``admin``); returns the state dict.
    """
    _check_name(name)
    venv = os.path.abspath(venv or default_venv())
    if not os.path.exists(os.path.join(venv, 'bin', 'nova-compute')):
        raise OpenStackError('%s has no nova-compute: run '
                             'tools/openstack/install.sh' % venv)
    ctx = _context(state_dir, name, venv, keystone_url, db_user,
                   db_password, rabbit)
    ctx['t0'] = t0 = time.monotonic()
    timings = ctx['timings']
    cloud = rest.Cloud(keystone_url, 'admin', admin_password)
    create_backends(name, db_user, db_password, rabbit.split(':')[0])
    ctx['octavia_certs'] = make_octavia_certs(
        os.path.join(ctx['state_dir'], 'octavia-certs'))
    seed_keystone(cloud, ctx)
    ctx['config'] = osconfig.write_all(ctx, local.write_ini, debug=debug)
    timings['prepare'] = round(time.monotonic() - t0, 1)
    state = {k: ctx[k] for k in ('name', 'state_dir', 'venv', 'keystone_url',
                                 'ports', 'config', 'log_dir', 'timings')}
    state['urls'] = {s: 'http://127.0.0.1:%d' % p
                     for s, p in ctx['ports'].items()}
    state['db_user'] = db_user
    local.save_state(ctx['state_dir'], STATE_FILE, state)
    cache = schema_cache_dir(venv)
    if os.path.isdir(cache):
        load_schemas(ctx, cache)
        timings['db_schemas'] = 'loaded %s' % cache
    else:
        timings['db_sync'] = sync_databases(ctx)
        save_schemas(ctx, cache)
    timings['schemas'] = round(time.monotonic() - t0, 1)
    table = process_table(ctx)
    state['processes'] = list(table)
    for pname, (argv, env) in table.items():
        local.spawn(ctx['state_dir'], pname, argv, env=_env(ctx, env),
                    preexec_fn=preexec_fn)
    local.save_state(ctx['state_dir'], STATE_FILE, state)
    try:
        wait_ready(ctx, cloud, list(table), timeout)
        timings['ready'] = round(time.monotonic() - t0, 1)
        seed_resources(cloud)
    except BaseException:
        stop_processes(ctx['state_dir'], list(table))
        raise
    timings['total'] = round(time.monotonic() - t0, 1)
    state['rss_mib'] = rss_mib(ctx['state_dir'])[1]
    local.save_state(ctx['state_dir'], STATE_FILE, state)
    return state


def stop(state_dir, purge=False, remove_state=False, grace=5,
         db_password='magnum_lite_test'):  # noqa: S107 - the test user
    """Stop every process; with ``purge`` drop the databases and vhosts."""
    state_dir = os.path.abspath(state_dir)
    try:
        state = load_state(state_dir)
    except (OSError, ValueError):
        state = None
    names = [n[:-4] for n in os.listdir(state_dir) if n.endswith('.pid')] \
        if os.path.isdir(state_dir) else []
    stop_processes(state_dir, names, grace=grace)
    if purge and state:
        drop_backends(state['name'], state['db_user'], db_password)
    if remove_state:
        shutil.rmtree(state_dir, ignore_errors=True)


def _start_keystone(state_dir, venv, debug):
    keystonectl = _load('mlt_keystonectl', os.path.join(
        REPO, 'tools', 'keystone', 'keystonectl.py'))
    ks_dir = os.path.join(os.path.abspath(state_dir), 'keystone')
    os.makedirs(ks_dir, exist_ok=True)
    ks = keystonectl.start(ks_dir, venv=venv, debug=debug)
    with open(ks['admin_password_file']) as f:
        return ks['url'], f.read().strip()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Run an OpenStack control plane without VMs locally.')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('start', help='Keystone, then the control plane')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--name', default='mlt_onebox',
                   help='prefix of its databases and vhosts (mlt_...)')
    p.add_argument('--venv', default=None,
                   help='virtualenv (default: %s)' % default_venv())
    p.add_argument('--debug', action='store_true')
    p.add_argument('--timeout', type=float, default=600)
    p = sub.add_parser('stop', help='stop everything')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--purge', action='store_true',
                   help='also drop the databases and vhosts')
    p.add_argument('--remove-state', action='store_true')
    p = sub.add_parser('rss', help='resident memory per process (MiB)')
    p.add_argument('--state-dir', required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == 'start':
            venv = os.path.abspath(args.venv or default_venv())
            url, password = _start_keystone(args.state_dir, venv, args.debug)
            state = start(args.state_dir, url, password, name=args.name,
                          venv=venv, debug=args.debug, timeout=args.timeout)
            _log('control plane ready in %.1fs (Keystone %s)'
                 % (state['timings']['total'], url))
            print(json.dumps(state, indent=1))
        elif args.command == 'stop':
            stop(args.state_dir, purge=args.purge,
                 remove_state=args.remove_state)
            ks_dir = os.path.join(args.state_dir, 'keystone')
            if os.path.isdir(ks_dir):
                local.stop_group(ks_dir, 'uwsgi')
            _log('stopped')
        elif args.command == 'rss':
            usage, total = rss_mib(args.state_dir)
            print(json.dumps({'processes': usage, 'total': total}, indent=1))
    except (OpenStackError, rest.RestError) as e:
        _log(str(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
