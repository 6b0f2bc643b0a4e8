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
"""Run the real OpenStack Keystone locally.

Standard library only; runs with any python3 and is importable::

    tools/keystone/install.sh
    tools/keystone/keystonectl.py start --state-dir /tmp/ks1 [--port 5000]
    tools/keystone/keystonectl.py wait --state-dir /tmp/ks1
    tools/keystone/keystonectl.py stop --state-dir /tmp/ks1 --remove-state

``start`` writes keystone.conf into the state directory (SQLite database
there, ``[cache]`` on with dogpile's in-process memory backend, fernet and
credential key repositories there), syncs the database (or copies a cached
freshly synced one, kept in the virtualenv per lock file), runs
``keystone-manage bootstrap`` (user ``admin`` with role ``admin`` on
project ``admin``, region ``RegionOne``, the identity endpoint), then
serves ``keystone.wsgi.api:application`` under uWSGI (one process, so the
memory cache is shared, several threads) on 127.0.0.1 and waits until
``GET /v3`` answers. The admin password is random, in
``<state-dir>/admin-password`` (mode 0600) and never on a command line.
``keystonectl.json`` in the state directory holds the URL, port and pid.
"""

import argparse
import base64
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
STATE_FILE = 'keystonectl.json'
REGION = 'RegionOne'
ADMIN_USER = 'admin'
ADMIN_PROJECT = 'admin'


_spec = importlib.util.spec_from_file_location(
    'localservice', os.path.join(REPO, 'tools', 'localservice.py'))
local = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local)


class KeystoneError(Exception):
    pass


def default_venv():
    return local.venv_path('keystone')


def _log(msg):
    print('keystonectl: %s' % msg, file=sys.stderr, flush=True)


# --- configuration -------------------------------------------------------

def write_config(state_dir, debug=False):
    """keystone.conf in state_dir; everything it names lives there too."""
    conf = {
        'DEFAULT': {
            'debug': str(bool(debug)).lower(),
            'log_file': os.path.join(state_dir, 'logs', 'keystone.log'),
            'use_stderr': 'false',
        },
        'database': {
            'connection': 'sqlite:///%s' % os.path.join(state_dir,
                                                        'keystone.db'),
        },
        # Without the cache one token validation costs hundreds of SQL
        # queries (~1 s). One uWSGI process: the memory backend is shared.
        'cache': {'enabled': 'true', 'backend': 'dogpile.cache.memory'},
        'fernet_tokens': {
            'key_repository': os.path.join(state_dir, 'fernet-keys')},
        'fernet_receipts': {
            'key_repository': os.path.join(state_dir, 'fernet-keys')},
        'credential': {
            'key_repository': os.path.join(state_dir, 'credential-keys')},
        # bcrypt's minimum cost: tests authenticate many times, and these
        # are throw-away passwords.
        'identity': {'password_hash_rounds': '4'},
        # Otherwise every project counts as the admin project
        # (X-Is-Admin-Project: True for everybody).
        'resource': {'admin_project_name': ADMIN_PROJECT,
                     'admin_project_domain_name': 'Default'},
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    }
    path = os.path.join(state_dir, 'keystone.conf')
    local.write_ini(path, conf)
    return path


def schema_cache_path(venv):
    """A freshly synced SQLite database, per installed lock file: copying
    it takes milliseconds where ``keystone-manage db_sync`` takes ~15 s.
    The marker is tools/service-venv's, of whichever virtualenv this is
    (``keystone``, or ``openstack`` for the one-box control plane)."""
    key = 'unversioned'
    for name, prefix in (('keystone', ''), ('openstack', 'openstack-')):
        marker = os.path.join(venv, '.magnum-lite-%s.sha256' % name)
        try:
            with open(marker) as f:
                key = prefix + f.read().strip()[:16]
            break
        except OSError:
            continue
    return os.path.join(venv, 'share', 'magnum-lite',
                        'keystone-schema-%s.sqlite' % key)


def _manage(venv, state_dir, *args, env=None):
    full_env = dict(os.environ)
    full_env['OS_KEYSTONE_CONFIG_DIR'] = state_dir
    full_env.setdefault('PYTHONWARNINGS', 'ignore')
    full_env.update(env or {})
    proc = subprocess.run(
        [os.path.join(venv, 'bin', 'keystone-manage'), '--config-file',
         os.path.join(state_dir, 'keystone.conf')] + list(args),
        capture_output=True, text=True, timeout=600, cwd=state_dir,
        env=full_env)
    if proc.returncode != 0:
        raise KeystoneError('keystone-manage %s failed:\n%s%s' % (
            args[0], proc.stdout[-3000:], proc.stderr[-3000:]))


def setup_database(venv, state_dir):
    db = os.path.join(state_dir, 'keystone.db')
    cache = schema_cache_path(venv)
    if os.path.exists(cache):
        shutil.copyfile(cache, db)
        return 'copied %s' % cache
    _manage(venv, state_dir, 'db_sync')
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    tmp = '%s.%d.tmp' % (cache, os.getpid())
    shutil.copyfile(db, tmp)
    os.replace(tmp, cache)
    return 'db_sync'


def setup_keys(state_dir):
    """Fernet key repositories for tokens and credentials, as
    ``keystone-manage fernet_setup`` / ``credential_setup`` make them (a
    staged key ``0`` and a primary key ``1``), without their ~5 s of
    imports each."""
    for repo in ('fernet-keys', 'credential-keys'):
        path = os.path.join(state_dir, repo)
        os.makedirs(path, mode=0o700, exist_ok=True)
        for index in ('0', '1'):
            key = base64.urlsafe_b64encode(os.urandom(32))
            fd = os.open(os.path.join(path, index),
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'wb') as f:
                f.write(key)


def bootstrap(venv, state_dir, url, password):
    _manage(venv, state_dir, 'bootstrap',
            '--bootstrap-username', ADMIN_USER,
            '--bootstrap-project-name', ADMIN_PROJECT,
            '--bootstrap-role-name', 'admin',
            '--bootstrap-region-id', REGION,
            '--bootstrap-admin-url', url,
            '--bootstrap-internal-url', url,
            '--bootstrap-public-url', url,
            # Secret: in the environment, not on the command line.
            env={'OS_BOOTSTRAP_PASSWORD': password})


# --- processes -----------------------------------------------------------

def uwsgi_argv(venv, port, threads):
    return local.uwsgi_argv(venv, port, threads,
                            ['--module', 'keystone.wsgi.api:application'])


def _spawn(state_dir, argv, preexec_fn=None):
    env = dict(os.environ)
    env['OS_KEYSTONE_CONFIG_DIR'] = state_dir
    env.setdefault('PYTHONWARNINGS', 'ignore')
    return local.spawn(state_dir, 'uwsgi', argv, env=env,
                       preexec_fn=preexec_fn)


def _read_pid(state_dir):
    return local.read_pid(state_dir, 'uwsgi')


def load_state(state_dir):
    return local.load_state(state_dir, STATE_FILE)


def _save_state(state_dir, state):
    local.save_state(state_dir, STATE_FILE, state)


def wait(state_dir, timeout=120):
    """Wait until ``GET /v3`` answers 200; returns the state dict."""
    state = load_state(state_dir)
    url = state['url']
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        pid = _read_pid(state_dir)
        if pid is None or not local.pid_alive(pid):
            raise KeystoneError('uWSGI is not running; last output:\n%s%s'
                                % (local.tail(os.path.join(state_dir, 'logs',
                                                      'uwsgi.out')),
                                   local.tail(os.path.join(state_dir, 'logs',
                                                      'keystone.log'))))
        req = urllib.request.Request(  # noqa: S310 - our own http URL
            url, headers={'Accept': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                if resp.status == 200:
                    return state
                last = 'GET %s -> %s' % (url, resp.status)
        except urllib.error.HTTPError as e:
            last = 'GET %s -> %s' % (url, e.code)
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.2)
    raise KeystoneError('Keystone at %s not ready after %ss (%s)'
                        % (url, timeout, last))


def start(state_dir, port=0, venv=None, threads=8, debug=False,
          timeout=120, preexec_fn=None):
    """Set up and start a Keystone; returns the state dict (url, port,
    pid, admin password file, timings). ``preexec_fn`` runs in uWSGI's
    process before exec (a test harness ties its lifetime to its own)."""
    venv = os.path.abspath(venv or default_venv())
    state_dir = os.path.abspath(state_dir)
    if not os.path.exists(os.path.join(venv, 'bin', 'uwsgi')):
        raise KeystoneError('%s has no uwsgi: run tools/keystone/install.sh'
                            % venv)
    pid = _read_pid(state_dir)
    if pid and local.pid_alive(pid):
        raise KeystoneError('Keystone already running (pid %d) in %s'
                            % (pid, state_dir))
    os.makedirs(os.path.join(state_dir, 'logs'), exist_ok=True)
    t0 = time.monotonic()
    port = int(port) or local.free_port()
    url = 'http://127.0.0.1:%d/v3' % port
    pw_file = os.path.join(state_dir, 'admin-password')
    fresh = not os.path.exists(os.path.join(state_dir, 'keystone.db'))
    if os.path.exists(pw_file):
        with open(pw_file) as f:
            password = f.read().strip()
    else:
        password = secrets.token_urlsafe(24)
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(password + '\n')
    state = {'state_dir': state_dir, 'venv': venv, 'port': port,
             'url': url, 'region': REGION, 'admin_user': ADMIN_USER,
             'admin_project': ADMIN_PROJECT,
             'admin_password_file': pw_file,
             'config_file': write_config(state_dir, debug=debug)}
    if fresh:
        state['db_schema'] = setup_database(venv, state_dir)
        setup_keys(state_dir)
    t_db = time.monotonic()
    # Idempotent: on a restart it only rewrites the endpoint URLs.
    bootstrap(venv, state_dir, url, password)
    t_boot = time.monotonic()
    state['pid'] = _spawn(state_dir, uwsgi_argv(venv, port, threads),
                          preexec_fn=preexec_fn)
    _save_state(state_dir, state)
    try:
        wait(state_dir, timeout=timeout)
    except Exception:
        stop(state_dir)
        raise
    state['timings'] = {'database': round(t_db - t0, 2),
                        'bootstrap': round(t_boot - t_db, 2),
                        'total': round(time.monotonic() - t0, 2)}
    _save_state(state_dir, state)
    return state


def stop(state_dir, remove_state=False, grace=5):
    """Stop uWSGI (its whole process group); optionally delete the state
    directory (database, keys, logs)."""
    state_dir = os.path.abspath(state_dir)
    local.stop_group(state_dir, 'uwsgi', grace)
    if remove_state:
        shutil.rmtree(state_dir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the real OpenStack Keystone locally (uWSGI).')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('start', help='configure, bootstrap and serve')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--port', type=int, default=0,
                   help='port (0: pick a free one)')
    p.add_argument('--threads', type=int, default=8)
    p.add_argument('--venv', default=None,
                   help='Keystone virtualenv (default: %s)' % default_venv())
    p.add_argument('--debug', action='store_true')
    p.add_argument('--timeout', type=float, default=120)
    p = sub.add_parser('stop', help='stop uWSGI')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--remove-state', action='store_true',
                   help='also delete the state directory')
    p = sub.add_parser('wait', help='wait until GET /v3 answers')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--timeout', type=float, default=120)
    args = parser.parse_args(argv)
    try:
        if args.command == 'start':
            state = start(args.state_dir, port=args.port, venv=args.venv,
                          threads=args.threads, debug=args.debug,
                          timeout=args.timeout)
            _log('Keystone ready in %.1fs at %s' % (
                state['timings']['total'], state['url']))
            print(json.dumps(state, indent=1))
        elif args.command == 'stop':
            stop(args.state_dir, remove_state=args.remove_state)
            _log('stopped')
        elif args.command == 'wait':
            print(wait(args.state_dir, timeout=args.timeout)['url'])
    except KeystoneError as e:
        _log(str(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
