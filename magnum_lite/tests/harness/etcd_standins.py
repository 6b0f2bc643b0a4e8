"""The masters' etcd membership scripts, run for real against recording
stand-ins, for tests that drive a cluster through the real Heat.

A simulated master runs no bootstrap, so :class:`EtcdMembers` plays the
part of the masters' etcd: :meth:`join` registers a master's member as
``kubeadm join --control-plane`` does, and :meth:`run_departures` runs
heat-templates/kubernetes/fragments/etcd-departures.sh, unchanged, as the
timer of a master would, with kubectl (and through it etcdctl) replaced by
the recording stand-in of magnum_lite/tests/unit/bootstrap/standin.sh.
``commands`` is what the script ran; ``members`` what etcd lists now.
"""

import os
import shutil
import subprocess

import fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
FRAGMENTS = os.path.join(REPO, 'heat-templates', 'kubernetes', 'fragments')
STANDIN = os.path.join(REPO, 'magnum_lite', 'tests', 'unit', 'bootstrap',
                       'standin.sh')
STANDINS = ('kubectl', 'kubeadm', 'systemctl', 'curl', 'sleep')
REAL = ('bash', 'sed', 'awk', 'tr', 'cat', 'mkdir', 'grep', 'date', 'head',
        'dirname', 'basename', 'printf')


class EtcdMembers(fixtures.Fixture):
    """The etcd members of one cluster's masters (see the module)."""

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.bin = os.path.join(self.dir, 'bin')
        self.knobs = os.path.join(self.dir, 'knobs')
        self.log = os.path.join(self.dir, 'commands.log')
        for path in (self.bin, self.knobs):
            os.makedirs(path)
        for name in STANDINS:
            os.symlink(STANDIN, os.path.join(self.bin, name))
        for name in REAL:
            found = shutil.which(name)
            if found:
                os.symlink(found, os.path.join(self.bin, name))
        self._write('etcd-members', '')
        self._next_id = 0x1000

    def _write(self, knob, text):
        with open(os.path.join(self.knobs, knob), 'w') as f:
            f.write(text)

    @property
    def members(self):
        """``{member id: name}`` as ``etcdctl member list`` shows them."""
        with open(os.path.join(self.knobs, 'etcd-members')) as f:
            return {line.split(',')[0]: line.split(',')[2].strip()
                    for line in f if line.strip()}

    def join(self, name):
        """Register ``name``'s member, as its kubeadm join does."""
        self._next_id += 1
        with open(os.path.join(self.knobs, 'etcd-members'), 'a') as f:
            f.write(f'{self._next_id:x}, started, {name}, '
                    f'https://{name}:2380, https://{name}:2379, false\n')

    @property
    def commands(self):
        """Every command the scripts ran, as lists of arguments."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.rstrip('\n').split('\t') for line in f]

    def run_departures(self, master, annotations):
        """Run etcd-departures.sh as the timer of ``master`` does, with
        ``annotations`` ({node name: its etcd-member annotation or None})
        as what ``kubectl get nodes`` shows; the CompletedProcess."""
        self._write('node-departures', ''.join(
            f'{name}   {state or "<none>"}\n'
            for name, state in annotations.items()))
        root = os.path.join(self.dir, 'root-' + master)
        etc = os.path.join(root, 'etc', 'magnum-lite')
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, 'node.env'), 'w') as f:
            f.write(f"ROLE=master\nNODE_NAME='{master}'\n")
        for name in ('versions.env', 'bootstrap.env', 'wc-notify'):
            with open(os.path.join(etc, name), 'w') as f:
                f.write('')
        return run_departures(self.bin, root, self.log, self.knobs, master)


def run_departures(path, root, log, knobs, master):
    """Run etcd-departures.sh as ``master`` with ``path`` as PATH (the
    stand-ins), ``root`` as the node's root, ``log`` and ``knobs`` as the
    stand-ins' record and settings; the CompletedProcess."""
    env = {'PATH': path, 'ML_ROOT': root, 'STANDIN_LOG': log,
           'STANDIN_DIR': knobs, 'STANDIN_NODE': master}
    return subprocess.run(
        [shutil.which('bash'), os.path.join(FRAGMENTS, 'etcd-departures.sh')],
        env=env, capture_output=True, text=True, timeout=60)
