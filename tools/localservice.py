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
"""What tools/heat/heatctl.py and tools/keystone/keystonectl.py share:
running a real OpenStack service from its own virtualenv as background
processes whose pids, logs and state live in a state directory.

Standard library only, like the scripts that load it by file path (they
are not a package), so it runs with any python3.
"""

import json
import os
import random
import signal
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def venv_path(service):
    """``<repo>/.venvs/<service>``, or under ``$MAGNUM_LITE_VENVS``."""
    venvs = os.environ.get('MAGNUM_LITE_VENVS') or os.path.join(REPO,
                                                                '.venvs')
    return os.path.join(venvs, service)


# Listening ports come from below the kernel's ephemeral range: a port
# the kernel hands out (bind to 0) is in that range, which every outgoing
# connection draws its local port from too, so under load another
# process's connection could take it between the choice and the service's
# bind ("Address already in use").
LISTEN_PORTS = (10000, 32768)


def _ephemeral_low():
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return LISTEN_PORTS[1]


def free_port():
    """A TCP port of 127.0.0.1 free right now, outside the ephemeral
    range when the range leaves room below it."""
    high = min(LISTEN_PORTS[1], _ephemeral_low())
    for _ in range(50):
        port = random.randrange(LISTEN_PORTS[0], high) if \
            high > LISTEN_PORTS[0] else 0
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError('no free port found below %d' % high)


def pid_alive(pid):
    """Whether ``pid`` runs; a zombie child counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def read_pid(state_dir, name):
    """The pid in ``<state_dir>/<name>.pid``, or None."""
    try:
        with open(os.path.join(state_dir, '%s.pid' % name)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def spawn(state_dir, name, argv, env=None, preexec_fn=None):
    """Start ``argv`` in its own session, output to
    ``<state_dir>/logs/<name>.out``, pid to ``<state_dir>/<name>.pid``."""
    out = open(os.path.join(state_dir, 'logs', '%s.out' % name), 'ab')
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True, cwd=state_dir,
                            preexec_fn=preexec_fn)
    out.close()
    with open(os.path.join(state_dir, '%s.pid' % name), 'w') as f:
        f.write('%d\n' % proc.pid)
    return proc.pid


def tail(path, lines=30):
    """The last ``lines`` lines of a log, '' if there is none."""
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def write_ini(path, sections):
    """An oslo.config file from ``{section: {key: value}}``."""
    with open(path, 'w') as f:
        for section, opts in sections.items():
            f.write('[%s]\n' % section)
            for key, value in opts.items():
                f.write('%s = %s\n' % (key, value))
            f.write('\n')


def load_state(state_dir, state_file):
    with open(os.path.join(state_dir, state_file)) as f:
        return json.load(f)


def save_state(state_dir, state_file, state):
    with open(os.path.join(state_dir, state_file), 'w') as f:
        json.dump(state, f, indent=1)


def stop_group(state_dir, name, grace=5):
    """SIGTERM the process group whose leader's pid is in
    ``<state_dir>/<name>.pid``, SIGKILL it after ``grace`` seconds, and
    remove the pid file."""
    pid = read_pid(state_dir, name)
    if not pid:
        return
    for sig, wait_s in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        if not pid_alive(pid):
            break
    try:
        os.unlink(os.path.join(state_dir, '%s.pid' % name))
    except FileNotFoundError:
        pass


def uwsgi_argv(venv, port, threads, app):
    """uWSGI serving ``app`` (e.g. ``['--module', 'pkg.wsgi:application']``
    or ``['--wsgi-file', path]``) from ``venv`` on 127.0.0.1:``port``, one
    process (so an in-process cache is shared) with ``threads`` threads."""
    return [
        os.path.join(venv, 'bin', 'uwsgi'),
        '--http-socket', '127.0.0.1:%d' % port,
        '--home', venv,
        *app,
        '--master', '--processes', '1', '--threads', str(threads),
        '--enable-threads', '--need-app', '--die-on-term',
        '--hook-master-start', 'unix_signal:15 gracefully_kill_them_all',
        # python-requests sees "connection reset by peer" on kept-alive
        # connections of a bare --http-socket.
        '--add-header', 'Connection: close',
        # Tokens and catalogs make long headers.
        '--buffer-size', '65535',
        '--disable-logging', '--log-4xx', '--log-5xx',
    ]


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def kill_groups(pids, grace=10):
    """SIGTERM the process groups led by pids (all at once), SIGKILL what
    is left after grace seconds (heat-engine's graceful stop can take a
    minute; nova-compute and nova-scheduler outlast 5 s too)."""
    pids = [p for p in pids if p]
    for sig, wait_s in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        alive = [p for p in pids if pid_alive(p) or _group_alive(p)]
        if not alive:
            return
        for pid in alive:
            _signal_group(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            for pid in alive:
                _reap(pid)
            if not any(pid_alive(p) or _group_alive(p) for p in alive):
                break
            time.sleep(0.2)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Only zombies left?
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':
            return True
    return False
