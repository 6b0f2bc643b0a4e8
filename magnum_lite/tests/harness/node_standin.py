"""A node stand-in for the one-box control plane: what a booting node
does, done at the edge for every cluster server Nova builds.

No VM boots on the control plane (harness.openstack: Nova's fake virt
driver). :class:`NodeStandIn` watches Nova as admin, across all
projects, for new ACTIVE servers whose user data is one of our nodes'
(it writes ``/etc/magnum-lite/node.env``); reads that user data back
through Nova's API (microversion 2.3, ``OS-EXT-SRV-ATTR:user_data``);
writes its ``write_files`` under a directory of its own (``ML_ROOT``, as
cloud-init would write them on the node) and runs its ``runcmd``: the
real bootstrap (heat-templates/kubernetes/fragments), against the
recording stand-ins of the bootstrap tests
(tests/unit/bootstrap/standin.sh as kubeadm, kubectl, systemctl, curl...)
and a local binary mirror. The one real outside call is the script's own
signal: the wait condition handle's command line from the user data,
run with the real curl against the control plane's Heat (loopback). So
template, Heat, Nova, user data, bootstrap and signal are all real.

A joining node (every master but index 0, every worker) waits until
master 0 of its cluster has bootstrapped, as a real one waits for the
control-plane endpoint to answer; then its stand-ins see the endpoint up.

::

    nodes = self.useFixture(NodeStandIn(cloud))
    nodes.fail_once('k1-default-worker-1', 'kubeadm', 'join')
    ...
    nodes.boots    # {server id: Boot}
"""

import base64
import collections
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time

import fixtures
import yaml

from magnum_lite.cluster import versions
from magnum_lite.tests.harness import keystone as ks_harness

STANDIN = os.path.join(ks_harness.REPO, 'magnum_lite', 'tests', 'unit',
                       'bootstrap', 'standin.sh')
# What the bootstrap runs: recorded stand-ins, and the real utilities.
STANDINS = ('kubeadm', 'kubectl', 'kubelet', 'systemctl', 'containerd',
            'curl', 'modprobe', 'sysctl', 'sleep')
REAL = ('bash', 'sh', 'sed', 'awk', 'tr', 'tail', 'head', 'cat', 'mkdir',
        'mv', 'cp', 'chmod', 'sha256sum', 'tar', 'gzip', 'grep', 'date',
        'dirname', 'basename', 'seq', 'rm', 'base64')
# The binary_mirror_url label a cluster must have: the stand-in curl
# serves it from the local mirror; nothing resolves it.
MIRROR_URL = 'https://mirror.example.com/k8s'
NODE_ENV = '/etc/magnum-lite/node.env'
# Nova returns user data (base64) from this compute microversion on.
USER_DATA_VERSION = {'X-OpenStack-Nova-API-Version': '2.3'}

Boot = collections.namedtuple(
    'Boot', 'server_id name project_id returncode signals output')


def tgz(members):
    """A gzipped tar of ``{name: bytes}``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def fill_mirror(directory, kube_tag=versions.DEFAULT_KUBE_TAG):
    """The binary mirror's files for ``kube_tag`` (each directory with
    its SHA256SUMS), with stand-in contents."""
    layout = versions.mirror_layout(kube_tag)
    kube = versions.kube_version(kube_tag)
    files = {f"{layout['KUBE']}/{b}": f'{b} {kube}\n'.encode()
             for b in ('kubelet', 'kubeadm', 'kubectl')}
    files[layout['CONTAINERD']] = tgz({'bin/containerd': b'containerd'})
    files[layout['RUNC']] = b'runc'
    files[layout['CNI_PLUGINS']] = tgz({'bridge': b'bridge'})
    files[layout['CNI_MANIFEST']] = b'kind: DaemonSet\n'
    sums = collections.defaultdict(str)
    for path, data in files.items():
        _write(os.path.join(directory, path), data, 0o644)
        folder, name = os.path.split(path)
        sums[folder] += f'{hashlib.sha256(data).hexdigest()}  {name}\n'
    for folder, text in sums.items():
        _write(os.path.join(directory, folder, 'SHA256SUMS'), text, 0o644)


def _write(path, content, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb' if isinstance(content, bytes) else 'w') as f:
        f.write(content)
    os.chmod(path, mode)


def _node_env(config):
    """node.env's settings, from a parsed cloud-config."""
    for entry in config.get('write_files', ()):
        if entry['path'] == NODE_ENV:
            return dict(re.findall(r"^([A-Z_0-9]+)='(.*)'$",
                                   entry['content'], re.M))
    return None


class NodeStandIn(fixtures.Fixture):
    """Boots, at the edge, every node server of the control plane
    ``cloud`` (see the module docstring). ``boots`` maps server ids to
    :data:`Boot` results once each bootstrap has ended."""

    def __init__(self, cloud, interval=1.0, join_wait=600):
        super().__init__()
        self.cloud = cloud
        self.interval = interval
        self.join_wait = join_wait
        self.boots = {}
        self.errors = []
        self._seen = set()
        self._failures = {}
        self._endpoints = collections.defaultdict(threading.Event)
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mlt-nodes-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, 'bin')
        os.makedirs(self.bin)
        for name in STANDINS:
            os.symlink(STANDIN, os.path.join(self.bin, name))
        for name in REAL:
            os.symlink(shutil.which(name), os.path.join(self.bin, name))
        self.mirror = os.path.join(self.dir, 'mirror')
        fill_mirror(self.mirror)
        self._watcher = threading.Thread(target=self._watch, daemon=True,
                                         name='node-standin')
        self._watcher.start()
        self.addCleanup(self._watcher.join, 30)
        self.addCleanup(self._stop.set)

    # -- what tests ask ---------------------------------------------------

    def fail_once(self, node_name, command, match):
        """The next node named ``node_name`` fails at the first run of
        stand-in ``command`` whose command line contains ``match`` (its
        bootstrap step then signals FAILURE); later ones boot."""
        with self._lock:
            self._failures[node_name] = (command, match)

    def wait_for(self, server_ids, timeout=600):
        """The :data:`Boot` of each of ``server_ids`` once all ended."""
        deadline = time.monotonic() + timeout
        while not set(server_ids) <= set(self.boots):
            if time.monotonic() > deadline:
                raise AssertionError(
                    'servers never booted: %s (errors: %s)' % (
                        set(server_ids) - set(self.boots), self.errors))
            time.sleep(0.5)
        return [self.boots[s] for s in server_ids]

    # -- the watch ----------------------------------------------------------

    def _watch(self):
        while not self._stop.wait(self.interval):
            try:
                servers = self.cloud.call(
                    'admin', 'compute', 'GET',
                    '/servers/detail?all_tenants=1',
                    headers=USER_DATA_VERSION)['servers']
            except Exception as e:  # noqa: BLE001 - keep watching
                self.errors.append('list: %s' % e)
                continue
            for server in servers:
                if (server['status'] != 'ACTIVE'
                        or server['id'] in self._seen):
                    continue
                self._seen.add(server['id'])
                threading.Thread(target=self._boot_quietly, args=(server,),
                                 daemon=True).start()

    def _boot_quietly(self, server):
        try:
            self._boot(server)
        except Exception as e:  # noqa: BLE001 - reported in errors
            self.errors.append('%s: %r' % (server['name'], e))

    def _boot(self, server):
        raw = server.get('OS-EXT-SRV-ATTR:user_data')
        if not raw:
            return
        text = base64.b64decode(raw).decode()
        if not text.startswith('#cloud-config'):
            return
        config = yaml.safe_load(text)
        node = _node_env(config)
        if node is None:
            return      # not one of our nodes
        joining = not (node['ROLE'] == 'master' and node['NODE_INDEX'] == '0')
        endpoint = self._endpoints[node['CLUSTER_UUID']]
        if joining:
            endpoint.wait(self.join_wait)
        root = os.path.join(self.dir, 'nodes', server['id'])
        knobs = os.path.join(root, 'knobs')
        os.makedirs(knobs)
        if endpoint.is_set():
            _write(os.path.join(knobs, 'endpoint-up'), '', 0o644)
        with self._lock:
            failure = self._failures.pop(server['name'], None)
        if failure:
            _write(os.path.join(knobs, 'fail-' + failure[0]), failure[1],
                   0o644)
        result = self._run(root, knobs, server['name'], config)
        signals = []
        log = os.path.join(knobs, 'commands.log')
        if os.path.exists(log):
            with open(log) as f:
                signals = [line.split('\t', 1)[1] for line in f
                           if line.startswith('signal\t')]
        if result.returncode == 0 and not joining:
            endpoint.set()
        self.boots[server['id']] = Boot(
            server['id'], server['name'], server['tenant_id'],
            result.returncode, signals, result.stdout + result.stderr)

    def _run(self, root, knobs, name, config):
        """cloud-init's part: write_files under ``root``, then runcmd."""
        for entry in config['write_files']:
            content = entry.get('content') or ''
            if entry.get('encoding') == 'gz+b64':
                content = gzip.decompress(base64.b64decode(content))
            _write(root + entry['path'], content,
                   int(entry.get('permissions', '0644'), 8))
        # A fact of the node's kernel the runtime step checks.
        _write(os.path.join(root, 'sys/fs/cgroup/cgroup.controllers'),
               'cpu memory\n', 0o644)
        env = {'PATH': self.bin, 'ML_ROOT': root, 'ML_PROBE_TRIES': '2',
               'ML_JOIN_TRIES': '2', 'STANDIN_LOG':
               os.path.join(knobs, 'commands.log'), 'STANDIN_DIR': knobs,
               'STANDIN_MIRROR': self.mirror, 'STANDIN_MIRROR_URL':
               MIRROR_URL, 'STANDIN_NODE': name,
               'STANDIN_SIGNAL_CURL': shutil.which('curl')}
        [command] = config['runcmd']
        argv = [shutil.which('bash')] + [root + arg for arg in command[1:]]
        return subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=300)
