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
"""Run the real OpenStack Heat locally, without Keystone or a cloud.

Standard library only; runs with any python3 and is importable::

    tools/heat/install.sh
    tools/heat/heatctl.py start --state-dir /tmp/heat1 --port 8004 \\
        --db heat1 --vhost heat1
    tools/heat/heatctl.py wait --state-dir /tmp/heat1
    tools/heat/heatctl.py stop --state-dir /tmp/heat1 --purge

``start`` creates a MariaDB database and a user of its own, a RabbitMQ
vhost (one Heat per vhost: two engines on one vhost steal each other's
messages), writes heat.conf (noauth API, a fake token with a service
catalog, settings that keep the engine from hanging under load), runs
``heat-manage db_sync``, starts heat-engine and the API (heat.wsgi.api
served by cheroot, see wsgi_server.py) in the background and waits until
a stack list answers. Everything lives in the state directory: config,
pid files, logs and ``heatctl.json`` (endpoint, database, vhost, pids).
"""

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLUGIN_DIR = os.path.join(HERE, 'plugins')
WSGI_SERVER = os.path.join(HERE, 'wsgi_server.py')
STATE_FILE = 'heatctl.json'
PROJECT = 'admin'


_spec = importlib.util.spec_from_file_location(
    'localservice', os.path.join(REPO, 'tools', 'localservice.py'))
local = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local)


class HeatError(Exception):
    pass


def default_venv():
    return local.venv_path('heat')


def _log(msg):
    print('heatctl: %s' % msg, file=sys.stderr, flush=True)


# --- MariaDB -------------------------------------------------------------

def _mysql(sql, check=True):
    """Run SQL as MariaDB root: unix socket first, then TCP."""
    attempts = [
        ['mysql', '-uroot', '--batch'],
        ['mysql', '-uroot', '-h127.0.0.1', '-P3306', '--batch'],
    ]
    errors = []
    for cmd in attempts:
        try:
            proc = subprocess.run(cmd, input=sql, capture_output=True,
                                  text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            errors.append(str(e))
            continue
        if proc.returncode == 0:
            return proc.stdout
        errors.append(proc.stderr.strip())
    if check:
        raise HeatError('mysql failed: %s' % ' | '.join(errors))
    return None


def _check_name(name, what):
    ok = name and all(c.isalnum() or c == '_' for c in name)
    if not ok or len(name) > 64:
        raise HeatError('%s %r: use at most 64 letters, digits and _'
                        % (what, name))


def db_user_for(db):
    """The database's own MariaDB user (names up to 32 characters here)."""
    return ('h_' + db)[:32]


def create_database(db, user, password):
    _check_name(db, 'database')
    _check_name(user, 'database user')
    sql = ['CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 '
           'COLLATE utf8mb4_general_ci;' % db]
    for host in ('localhost', '127.0.0.1', '%'):
        sql.append("CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s';"
                   % (user, host, password))
        sql.append("ALTER USER '%s'@'%s' IDENTIFIED BY '%s';"
                   % (user, host, password))
        sql.append("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%s';"
                   % (db, user, host))
    _mysql('\n'.join(sql) + '\n')


def drop_database(db, user):
    _check_name(db, 'database')
    sql = ['DROP DATABASE IF EXISTS `%s`;' % db]
    for host in ('localhost', '127.0.0.1', '%'):
        sql.append("DROP USER IF EXISTS '%s'@'%s';" % (user, host))
    _mysql('\n'.join(sql) + '\n', check=False)


def table_count(db):
    _check_name(db, 'database')
    sql = ("SELECT COUNT(*) FROM information_schema.tables "  # noqa: S608
           "WHERE table_schema = '%s';\n" % db)
    out = _mysql(sql)
    return int(out.split()[-1])


def schema_cache_path(venv):
    """A dump of a freshly synced Heat database, per installed lock file:
    loading it takes a second where ``heat-manage db_sync`` takes 15-25."""
    marker = os.path.join(venv, '.magnum-lite-heat.sha256')
    try:
        with open(marker) as f:
            key = f.read().strip()[:16]
    except OSError:
        key = 'unversioned'
    return os.path.join(venv, 'share', 'magnum-lite',
                        'heat-schema-%s.sql' % key)


def save_schema(db, path):
    opts = ['--skip-comments', '--skip-dump-date', '--no-tablespaces', db]
    for conn in (['-uroot'], ['-uroot', '-h127.0.0.1', '-P3306']):
        proc = subprocess.run(['mysqldump'] + conn + opts,
                              capture_output=True, timeout=120)
        if proc.returncode == 0 and b'CREATE TABLE' in proc.stdout:
            break
    else:
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(proc.stdout)
    os.replace(tmp, path)
    return True


def load_schema(db, path):
    _check_name(db, 'database')
    with open(path) as f:
        sql = f.read()
    return _mysql('USE `%s`;\n%s' % (db, sql), check=False) is not None


# --- RabbitMQ ------------------------------------------------------------

def _rabbitmqctl(*args, check=True):
    proc = subprocess.run(['rabbitmqctl', '-q'] + list(args),
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise HeatError('rabbitmqctl %s failed: %s'
                        % (' '.join(args), proc.stderr.strip()))
    return proc


def create_vhost(vhost, user='guest'):
    _check_name(vhost, 'vhost')
    proc = _rabbitmqctl('add_vhost', vhost, check=False)
    if proc.returncode != 0 and 'already' not in (proc.stderr +
                                                  proc.stdout):
        raise HeatError('rabbitmqctl add_vhost %s failed: %s'
                        % (vhost, proc.stderr.strip()))
    _rabbitmqctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*')


def delete_vhost(vhost):
    _rabbitmqctl('delete_vhost', vhost, check=False)


def engine_listening(vhost):
    """True once heat-engine consumes its RPC topic queue. A call sent
    before that is dropped by RabbitMQ and hangs for rpc_response_timeout.
    """
    proc = _rabbitmqctl('list_queues', '-p', vhost, 'name', 'consumers',
                        check=False)
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == 'engine':
            return fields[1].isdigit() and int(fields[1]) > 0
    return False


# --- configuration -------------------------------------------------------

def token_body(port, project=PROJECT):
    """A Keystone v3 token whose catalog lists Heat itself."""
    def service(stype, name, url):
        return {
            'id': name, 'type': stype, 'name': name,
            'endpoints': [
                {'id': '%s-%s' % (name, iface), 'interface': iface,
                 'region': 'RegionOne', 'region_id': 'RegionOne',
                 'url': url}
                for iface in ('public', 'internal', 'admin')],
        }
    domain = {'id': 'default', 'name': 'Default'}
    return {'token': {
        'methods': ['password'],
        'issued_at': '2026-01-01T00:00:00.000000Z',
        'expires_at': '2099-12-31T00:00:00.000000Z',
        'user': {'id': 'admin', 'name': 'admin', 'domain': domain},
        'project': {'id': project, 'name': project, 'domain': domain},
        # Keystone expands implied roles into the token; policies test
        # role:reader / role:member, so list all three.
        'roles': [{'id': r, 'name': r} for r in ('admin', 'member',
                                                   'reader')],
        'catalog': [
            service('orchestration', 'heat',
                    'http://127.0.0.1:%d/v1/%s' % (port, project)),
            # Nothing listens there; Heat only needs it in the catalog.
            service('cloudformation', 'heat-cfn',
                    'http://127.0.0.1:%d/v1' % (port + 1)),
        ],
    }}


def write_config(state_dir, venv, port, db, user, password, vhost,
                 engine_workers=2, debug=False, notifications=True,
                 rabbit_host='127.0.0.1',
                 rabbit_port=5672, rabbit_user='guest',
                 rabbit_password='guest'):  # noqa: S107
    etc = os.path.join(venv, 'etc', 'heat')
    paste = os.path.join(etc, 'api-paste.ini')
    if not os.path.exists(paste):
        raise HeatError('%s missing: run tools/heat/install.sh' % paste)
    logs = os.path.join(state_dir, 'logs')
    env_dir = os.path.join(state_dir, 'environment.d')
    locks = os.path.join(state_dir, 'lock')
    for d in (logs, env_dir, locks):
        os.makedirs(d, exist_ok=True)
    templates = os.path.join(etc, 'templates')
    # Heat's global environment, with its template paths made absolute.
    src = os.path.join(etc, 'environment.d', 'default.yaml')
    if os.path.exists(src):
        with open(src) as f:
            text = f.read().replace('file:///etc/heat/templates',
                                    'file://' + templates)
        with open(os.path.join(env_dir, 'default.yaml'), 'w') as f:
            f.write(text)
    token = os.path.join(state_dir, 'token.json')
    with open(token, 'w') as f:
        json.dump(token_body(port), f, indent=1)
    conf = {
        'DEFAULT': {
            'debug': str(bool(debug)).lower(),
            'log_dir': logs,
            'use_stderr': 'false',
            'host': 'heat-%s' % db,
            'transport_url': 'rabbit://%s:%s@%s:%d/%s' % (
                rabbit_user, rabbit_password, rabbit_host, rabbit_port,
                vhost),
            'num_engine_workers': str(engine_workers),
            'executor_thread_pool_size': '256',
            'rpc_response_timeout': '300',
            'max_resources_per_stack': '-1',
            'max_stacks_per_tenant': '100000',
            'max_nested_stack_depth': '10',
            'deferred_auth_method': 'password',
            'graceful_shutdown_timeout': '5',
            'environment_dir': env_dir,
            'template_dir': templates,
            'plugin_dirs': PLUGIN_DIR,
            'heat_metadata_server_url': 'http://127.0.0.1:%d' % (port + 1),
            'heat_waitcondition_server_url':
                'http://127.0.0.1:%d/v1/waitcondition' % (port + 1),
        },
        'database': {
            'connection': 'mysql+pymysql://%s:%s@127.0.0.1:3306/%s'
                          '?charset=utf8mb4' % (user, password, db),
            'max_pool_size': '10',
            'max_overflow': '20',
            'pool_timeout': '60',
        },
        'paste_deploy': {'flavor': 'noauth', 'api_paste_config': paste},
        'noauth': {'token_response': token},
        'clients_heat': {
            'url': 'http://127.0.0.1:%d/v1/%%(tenant_id)s' % port},
        'oslo_concurrency': {'lock_path': locks},
        # noauth sends only the role "admin" (no Keystone to imply member
        # and reader), which heat 27's new defaults (role:reader...) deny.
        'oslo_policy': {'enforce_new_defaults': 'false',
                        'enforce_scope': 'false'},
        # Heat's stack notifications on its own vhost (the conductor's
        # listener reads them: conductor/stack_events.py).
        'oslo_messaging_notifications': {
            'driver': 'messagingv2' if notifications else 'noop',
            'topics': 'notifications'},
    }
    path = os.path.join(state_dir, 'heat.conf')
    local.write_ini(path, conf)
    return path


# --- processes -----------------------------------------------------------

# --- HTTP ----------------------------------------------------------------

def _get(url, timeout=10):
    headers = {'X-Auth-Project': PROJECT, 'Accept': 'application/json'}
    req = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def load_state(state_dir):
    return local.load_state(state_dir, STATE_FILE)


def wait(state_dir, timeout=180):
    """Wait until the API answers and the engine lists stacks."""
    state = load_state(state_dir)
    base = 'http://127.0.0.1:%d' % state['port']
    deadline = time.monotonic() + timeout
    api_up = False
    engine_up = False
    last = None
    while time.monotonic() < deadline:
        for name in ('heat-engine', 'heat-api'):
            pid = local.read_pid(state_dir, name)
            if pid is None or not local.pid_alive(pid):
                log = os.path.join(state_dir, 'logs', '%s.out' % name)
                raise HeatError('%s is not running; last output:\n%s%s' % (
                    name, local.tail(log),
                    local.tail(os.path.join(state_dir, 'logs',
                                            name + '.log'))))
        try:
            if not engine_up:
                engine_up = engine_listening(state['vhost'])
                last = 'engine RPC queue not consumed yet'
            if engine_up and not api_up:
                status, _ = _get(base + '/', timeout=5)
                api_up = status in (200, 300)
                last = 'GET / -> %s' % status
            if api_up:
                status, body = _get(base + '/v1/%s/stacks' % PROJECT,
                                    timeout=60)
                last = 'stack list -> %s' % status
                if status == 200:
                    return state
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.5)
    raise HeatError('Heat at %s not ready after %ss (%s)' % (base, timeout,
                                                          last))


def start(state_dir, port=0, db='heat', vhost='heat', engine_workers=2,
          venv=None, debug=False, timeout=180, api_threads=32,
          notifications=True):
    """Start a Heat; returns the state dict (endpoint, port, pids...)."""
    venv = os.path.abspath(venv or default_venv())
    state_dir = os.path.abspath(state_dir)
    engine = os.path.join(venv, 'bin', 'heat-engine')
    if not os.path.exists(engine):
        raise HeatError('%s missing: run tools/heat/install.sh' % engine)
    os.makedirs(os.path.join(state_dir, 'logs'), exist_ok=True)
    for name in ('heat-engine', 'heat-api'):
        pid = local.read_pid(state_dir, name)
        if pid and local.pid_alive(pid):
            raise HeatError('%s already running (pid %d) in %s'
                            % (name, pid, state_dir))
    t0 = time.monotonic()
    port = int(port) or local.free_port()
    user = db_user_for(db)
    pw_file = os.path.join(state_dir, 'db-password')
    if os.path.exists(pw_file):
        with open(pw_file) as f:
            password = f.read().strip()
    else:
        password = secrets.token_hex(16)
        with open(pw_file, 'w') as f:
            f.write(password + '\n')
    state = {
        'state_dir': state_dir, 'venv': venv, 'port': port, 'db': db,
        'db_user': user, 'vhost': vhost,
        'endpoint': 'http://127.0.0.1:%d/v1/%s' % (port, PROJECT),
        'transport_url': 'rabbit://guest:guest@127.0.0.1:5672/%s' % vhost,
        'project': PROJECT,
    }
    create_database(db, user, password)
    create_vhost(vhost)
    conf = write_config(state_dir, venv, port, db, user, password, vhost,
                        engine_workers=engine_workers, debug=debug,
                        notifications=notifications)
    state['config_file'] = conf
    with open(os.path.join(state_dir, STATE_FILE), 'w') as f:
        json.dump(state, f, indent=1)
    cache = schema_cache_path(venv)
    empty = table_count(db) == 0
    if empty and os.path.exists(cache) and load_schema(db, cache):
        state['db_schema'] = 'loaded %s' % cache
    else:
        proc = subprocess.run(
            [os.path.join(venv, 'bin', 'heat-manage'), '--config-file',
             conf, 'db_sync'], capture_output=True, text=True, timeout=600,
            cwd=state_dir)
        if proc.returncode != 0:
            raise HeatError('heat-manage db_sync failed:\n%s%s' % (
                proc.stdout[-3000:], proc.stderr[-3000:]))
        state['db_schema'] = 'db_sync'
        if empty:
            save_schema(db, cache)
    t_db = time.monotonic()
    state['engine_pid'] = local.spawn(state_dir, 'heat-engine',
                                 [engine, '--config-file', conf])
    state['api_threads'] = api_threads
    state['api_pid'] = _spawn_api(state)
    with open(os.path.join(state_dir, STATE_FILE), 'w') as f:
        json.dump(state, f, indent=1)
    try:
        wait(state_dir, timeout=timeout)
    except Exception:
        stop(state_dir)
        raise
    state['timings'] = {'db_sync': round(t_db - t0, 2),
                        'total': round(time.monotonic() - t0, 2)}
    with open(os.path.join(state_dir, STATE_FILE), 'w') as f:
        json.dump(state, f, indent=1)
    return state


def _spawn_api(state):
    return local.spawn(
        state['state_dir'], 'heat-api',
        [os.path.join(state['venv'], 'bin', 'python'), WSGI_SERVER,
         '--config-file', state['config_file'],
         '--bind', '127.0.0.1:%d' % state['port'],
         '--threads', str(state.get('api_threads', 32)),
         '--log-file', 'heat-api.log'])


def stop_api(state_dir):
    """Stop only the API of a running Heat (an outage of the endpoint;
    the engine keeps working on its stacks)."""
    local.stop_group(os.path.abspath(state_dir), 'heat-api')


def start_api(state_dir, timeout=120):
    """Start the API :func:`stop_api` stopped, on the same port."""
    state = load_state(os.path.abspath(state_dir))
    state['api_pid'] = _spawn_api(state)
    local.save_state(state['state_dir'], STATE_FILE, state)
    return wait(state['state_dir'], timeout=timeout)


def stop(state_dir, purge=False, remove_state=False, grace=5):
    """Stop the engine and the API; with purge drop the db and vhost."""
    state_dir = os.path.abspath(state_dir)
    local.kill_groups([local.read_pid(state_dir, n)
                 for n in ('heat-api', 'heat-engine')], grace=grace)
    for name in ('heat-api', 'heat-engine'):
        try:
            os.unlink(os.path.join(state_dir, '%s.pid' % name))
        except FileNotFoundError:
            pass
    if purge:
        try:
            state = load_state(state_dir)
        except (OSError, ValueError):
            state = None
        if state:
            drop_database(state['db'], state['db_user'])
            delete_vhost(state['vhost'])
    if remove_state:
        shutil.rmtree(state_dir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the real OpenStack Heat locally (noauth).')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('start', help='create db/vhost, start engine + API')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--port', type=int, default=0,
                   help='API port (0: pick a free one)')
    p.add_argument('--db', default='heat', help='MariaDB database name')
    p.add_argument('--vhost', default='heat', help='RabbitMQ vhost')
    p.add_argument('--engine-workers', type=int, default=2)
    p.add_argument('--api-threads', type=int, default=32)
    p.add_argument('--venv', default=None,
                   help='Heat virtualenv (default: %s)' % default_venv())
    p.add_argument('--debug', action='store_true')
    p.add_argument('--timeout', type=float, default=180)
    p = sub.add_parser('stop', help='stop engine + API')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--purge', action='store_true',
                   help='also drop the database, its user and the vhost')
    p.add_argument('--remove-state', action='store_true',
                   help='also delete the state directory')
    p.add_argument('--grace', type=float, default=5,
                   help='seconds between SIGTERM and SIGKILL')
    p = sub.add_parser('wait', help='wait until Heat lists stacks')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--timeout', type=float, default=180)
    args = parser.parse_args(argv)
    try:
        if args.command == 'start':
            state = start(args.state_dir, port=args.port, db=args.db,
                          vhost=args.vhost,
                          engine_workers=args.engine_workers,
                          venv=args.venv, debug=args.debug,
                          timeout=args.timeout,
                          api_threads=args.api_threads)
            _log('Heat ready in %.1fs at %s' % (state['timings']['total'],
                                                state['endpoint']))
            print(json.dumps(state, indent=1))
        elif args.command == 'stop':
            stop(args.state_dir, purge=args.purge,
                 remove_state=args.remove_state, grace=args.grace)
            _log('stopped%s' % (' and purged' if args.purge else ''))
        elif args.command == 'wait':
            state = wait(args.state_dir, timeout=args.timeout)
            print(state['endpoint'])
    except HeatError as e:
        _log(str(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
