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
"""Run the real OpenStack Barbican locally, behind a Keystone.

Standard library only; runs with any python3 and is importable::

    tools/barbican/install.sh
    tools/barbican/barbicanctl.py start --state-dir /tmp/bb1 \\
        --auth-file /tmp/authtoken.json [--port 9311]
    tools/barbican/barbicanctl.py wait --state-dir /tmp/bb1
    tools/barbican/barbicanctl.py stop --state-dir /tmp/bb1 --remove-state

``--auth-file`` is a JSON object of ``[keystone_authtoken]`` options (a
Keystone URL and the service user that validates tokens); it is a file
because it holds a password. ``start`` writes barbican.conf into
``<state-dir>/.barbican/`` (Barbican's modules each parse their own
configuration from the default locations, so uWSGI runs with HOME set to
the state directory), a SQLite database created by Barbican at start-up
(``db_auto_create``), the ``store_crypto`` secret store with the
``simple_crypto`` plugin and a random key-encryption key, and a paste
pipeline with keystonemiddleware in front of ``/v1``. It then serves it
under uWSGI (one process, several threads) on 127.0.0.1 and waits until
``GET /`` answers. ``barbicanctl.json`` in the state directory holds the
URL, port and pid.
"""

import argparse
import base64
import importlib.util
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
STATE_FILE = 'barbicanctl.json'
NAME = 'uwsgi'


def _load_localservice():
    spec = importlib.util.spec_from_file_location(
        'magnum_lite_localservice',
        os.path.join(os.path.dirname(HERE), 'localservice.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


localservice = _load_localservice()

# The paste pipeline Barbican ships, with the paths it hard-codes left out.
PASTE = """\
[composite:main]
use = egg:Paste#urlmap
/: barbican_version
/v1: barbican_api

[pipeline:barbican_version]
pipeline = request_id http_proxy_to_wsgi microversion versionapp

[pipeline:barbican_api]
pipeline = request_id http_proxy_to_wsgi authtoken context microversion apiapp

[app:apiapp]
paste.app_factory = barbican.api.app:create_main_app

[app:versionapp]
paste.app_factory = barbican.api.app:create_version_app

[filter:context]
paste.filter_factory = \
barbican.api.middleware.context:ContextMiddleware.factory

[filter:microversion]
paste.filter_factory = \
barbican.api.middleware.microversion:MicroversionMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory

[filter:request_id]
paste.filter_factory = oslo_middleware.request_id:RequestId.factory

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
"""

# uWSGI's entry point: barbican.wsgi.api reads /etc/barbican's paste file.
WSGI = """\
import os

from paste import deploy

application = deploy.loadapp('config:%s' % os.environ['BARBICAN_PASTE'])
"""


class BarbicanError(Exception):
    pass


def default_venv():
    return localservice.venv_path('barbican')


def _log(msg):
    print('barbicanctl: %s' % msg, file=sys.stderr, flush=True)


def _private_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)


def write_config(state_dir, url, authtoken, debug=False):
    """barbican.conf (mode 0600: it holds the service password and the
    key-encryption key), the paste file and the WSGI script; returns the
    path of barbican.conf."""
    conf_dir = os.path.join(state_dir, '.barbican')
    os.makedirs(conf_dir, mode=0o700, exist_ok=True)
    kek_file = os.path.join(state_dir, 'kek')
    if not os.path.exists(kek_file):
        _private_file(kek_file, base64.b64encode(os.urandom(32)).decode())
    with open(kek_file) as f:
        kek = f.read().strip()
    conf = {
        'DEFAULT': {
            'debug': str(bool(debug)).lower(),
            'log_file': os.path.join(state_dir, 'logs', 'barbican.log'),
            'use_stderr': 'false',
            'host_href': url,
            'db_auto_create': 'true',
        },
        'database': {
            'connection': 'sqlite:///%s' % os.path.join(state_dir,
                                                        'barbican.db'),
        },
        'secretstore': {'enabled_secretstore_plugins': 'store_crypto'},
        'crypto': {'enabled_crypto_plugins': 'simple_crypto'},
        'simple_crypto_plugin': {'kek': kek},
        'keystone_authtoken': dict(authtoken),
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    }
    lines = []
    for section, opts in conf.items():
        lines.append('[%s]' % section)
        lines.extend('%s = %s' % (k, v) for k, v in opts.items())
        lines.append('')
    path = os.path.join(conf_dir, 'barbican.conf')
    _private_file(path, '\n'.join(lines))
    with open(os.path.join(state_dir, 'barbican-api-paste.ini'), 'w') as f:
        f.write(PASTE)
    with open(os.path.join(state_dir, 'barbican_wsgi.py'), 'w') as f:
        f.write(WSGI)
    return path


def uwsgi_argv(venv, state_dir, port, threads):
    return localservice.uwsgi_argv(
        venv, port, threads,
        ['--wsgi-file', os.path.join(state_dir, 'barbican_wsgi.py')])


def load_state(state_dir):
    return localservice.load_state(state_dir, STATE_FILE)


def _logs(state_dir):
    logs = os.path.join(state_dir, 'logs')
    return (localservice.tail(os.path.join(logs, '%s.out' % NAME)) +
            localservice.tail(os.path.join(logs, 'barbican.log')))


def wait(state_dir, timeout=120):
    """Wait until ``GET /`` (the version document) answers; returns the
    state dict."""
    state = load_state(state_dir)
    url = state['url']
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        pid = localservice.read_pid(state_dir, NAME)
        if pid is None or not localservice.pid_alive(pid):
            raise BarbicanError('uWSGI is not running; last output:\n%s'
                                % _logs(state_dir))
        req = urllib.request.Request(  # noqa: S310 - our own http URL
            url + '/', headers={'Accept': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=10):  # noqa: S310
                return state
        except urllib.error.HTTPError as e:
            # The version document answers 300 Multiple Choices.
            if e.code == 300:
                return state
            last = 'GET %s -> %s' % (url, e.code)
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.2)
    raise BarbicanError('Barbican at %s not ready after %ss (%s)'
                        % (url, timeout, last))


def start(state_dir, authtoken, port=0, venv=None, threads=4, debug=False,
          timeout=120, preexec_fn=None):
    """Configure and start Barbican; returns the state dict (url, port,
    pid, timings). ``authtoken``: ``[keystone_authtoken]`` options.
    ``preexec_fn`` runs in uWSGI's process before exec."""
    venv = os.path.abspath(venv or default_venv())
    state_dir = os.path.abspath(state_dir)
    if not os.path.exists(os.path.join(venv, 'bin', 'uwsgi')):
        raise BarbicanError('%s has no uwsgi: run tools/barbican/install.sh'
                            % venv)
    pid = localservice.read_pid(state_dir, NAME)
    if pid and localservice.pid_alive(pid):
        raise BarbicanError('Barbican already running (pid %d) in %s'
                            % (pid, state_dir))
    os.makedirs(os.path.join(state_dir, 'logs'), exist_ok=True)
    t0 = time.monotonic()
    port = int(port) or localservice.free_port()
    url = 'http://127.0.0.1:%d' % port
    state = {'state_dir': state_dir, 'venv': venv, 'port': port,
             'url': url,
             'config_file': write_config(state_dir, url, authtoken,
                                         debug=debug)}
    env = dict(os.environ)
    # Where oslo.config finds barbican.conf (~/.barbican/barbican.conf).
    env['HOME'] = state_dir
    env['BARBICAN_PASTE'] = os.path.join(state_dir,
                                         'barbican-api-paste.ini')
    env.setdefault('PYTHONWARNINGS', 'ignore')
    state['pid'] = localservice.spawn(
        state_dir, NAME, uwsgi_argv(venv, state_dir, port, threads),
        env=env, preexec_fn=preexec_fn)
    localservice.save_state(state_dir, STATE_FILE, state)
    try:
        wait(state_dir, timeout=timeout)
    except Exception:
        stop(state_dir)
        raise
    state['timings'] = {'total': round(time.monotonic() - t0, 2)}
    localservice.save_state(state_dir, STATE_FILE, state)
    return state


def stop(state_dir, remove_state=False, grace=5):
    """Stop uWSGI (its whole process group); optionally delete the state
    directory (database, key-encryption key, logs)."""
    state_dir = os.path.abspath(state_dir)
    localservice.stop_group(state_dir, NAME, grace)
    if remove_state:
        shutil.rmtree(state_dir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the real OpenStack Barbican locally (uWSGI).')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('start', help='configure and serve')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--auth-file', required=True,
                   help='JSON file of [keystone_authtoken] options')
    p.add_argument('--port', type=int, default=0,
                   help='port (0: pick a free one)')
    p.add_argument('--threads', type=int, default=4)
    p.add_argument('--venv', default=None,
                   help='Barbican virtualenv (default: %s)' % default_venv())
    p.add_argument('--debug', action='store_true')
    p.add_argument('--timeout', type=float, default=120)
    p = sub.add_parser('stop', help='stop uWSGI')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--remove-state', action='store_true',
                   help='also delete the state directory')
    p = sub.add_parser('wait', help='wait until GET / answers')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--timeout', type=float, default=120)
    args = parser.parse_args(argv)
    try:
        if args.command == 'start':
            with open(args.auth_file) as f:
                authtoken = json.load(f)
            state = start(args.state_dir, authtoken, port=args.port,
                          venv=args.venv, threads=args.threads,
                          debug=args.debug, timeout=args.timeout)
            _log('Barbican ready in %.1fs at %s' % (
                state['timings']['total'], state['url']))
            print(json.dumps(state, indent=1))
        elif args.command == 'stop':
            stop(args.state_dir, remove_state=args.remove_state)
            _log('stopped')
        elif args.command == 'wait':
            print(wait(args.state_dir, timeout=args.timeout)['url'])
    except BarbicanError as e:
        _log(str(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
