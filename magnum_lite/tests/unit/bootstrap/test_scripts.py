"""The node bootstrap scripts (heat-templates/kubernetes/fragments),
executed against stand-in commands that record their arguments.

Each test builds a node's root directory (``ML_ROOT``: the files cloud-init
would have written, a fake binary mirror) and runs ``bootstrap.sh`` with a
PATH of stand-ins (``standin.sh`` under the names kubeadm, kubectl,
systemctl, containerd, curl...) plus the few real utilities the scripts
use (sed, awk, tar, sha256sum...). The recorded command lines prove what
the scripts did; nothing of the scripts is replaced.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import testtools

from magnum_lite.cluster import versions
from magnum_lite.common import x509
from magnum_lite.drivers.heat import addons
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.tests.harness import etcd_standins
from magnum_lite.tests.harness import node_standin

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
TEMPLATES = os.path.join(REPO, 'heat-templates', 'kubernetes')
FRAGMENTS = os.path.join(TEMPLATES, 'fragments')
MIRROR_URL = 'https://mirror.example.com/k8s'
PREFIX = 'registry.example.com/airgap/'
STANDINS = ('kubeadm', 'kubectl', 'kubelet', 'systemctl', 'containerd',
            'curl', 'modprobe', 'sysctl', 'sleep')
REAL = ('bash', 'sh', 'sed', 'awk', 'tr', 'tail', 'head', 'cat', 'mkdir',
        'mv', 'cp', 'chmod', 'sha256sum', 'tar', 'gzip', 'grep', 'date',
        'dirname', 'basename', 'seq', 'rm', 'base64')
CREDENTIALS = {
    '__AUTH_URL__': 'https://keystone.example.com/v3',
    '__REGION_NAME__': 'RegionOne', '__TRUSTEE_DOMAIN_ID__': 'dom',
    '__TRUSTEE_USER_ID__': 'trustee-id', '__TRUSTEE_USERNAME__': 'trustee',
    '__TRUSTEE_PASSWORD__': 'pw-x_y', '__TRUST_ID__': 'trust-1',
    '__APPLICATION_CREDENTIAL_ID__': '',
    '__APPLICATION_CREDENTIAL_SECRET__': '',
    '__MAGNUM_URL__': 'https://magnum.example.com/v1',
    '__HEALTH_REPORT_INTERVAL__': '45'}
KUBE_TAG = versions.DEFAULT_KUBE_TAG
KUBE = versions.kube_version(KUBE_TAG)


_tgz = node_standin.tgz


class Cluster:
    """One cluster's secrets, as the driver derives them."""

    def __init__(self):
        self.pki = {name: x509.generate_ca('test')
                    for name in ('ca', 'etcd/ca', 'front-proxy-ca')}
        self.sa_pub, self.sa_key = x509.generate_service_account_key()
        self.token = bootstrap.bootstrap_token(self.sa_key)
        self.certificate_key = bootstrap.certificate_key(self.sa_key)
        self.ca_hash = bootstrap.ca_cert_hash(self.pki['ca'][0])


class BootstrapScriptsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='ml-bootstrap-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.knobs = self._dir('knobs')
        self.log = os.path.join(self.tmp, 'commands.log')
        self.bin = self._dir('bin')
        for name in STANDINS:
            os.symlink(os.path.join(HERE, 'standin.sh'),
                       os.path.join(self.bin, name))
        for name in REAL:
            os.symlink(shutil.which(name), os.path.join(self.bin, name))
        self.cluster = Cluster()
        self.components = versions.component_versions(KUBE_TAG)
        self.layout = versions.mirror_layout(KUBE_TAG)
        self.cni_manifest = (
            b'kind: DaemonSet\nspec:\n  containers:\n'
            b'    - image: quay.io/calico/node:v3.33.1\n'
            b'      name: calico-node\n')
        self.mirror = self._dir('mirror')
        self._fill_mirror()

    def _dir(self, *parts):
        path = os.path.join(self.tmp, *parts)
        os.makedirs(path, exist_ok=True)
        return path

    def _write(self, path, content, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb' if isinstance(content, bytes) else 'w') as f:
            f.write(content)
        os.chmod(path, mode)

    def _fill_mirror(self):
        files = {f"{self.layout['KUBE']}/{b}": f'{b} {KUBE}\n'.encode()
                 for b in ('kubelet', 'kubeadm', 'kubectl')}
        files[self.layout['CONTAINERD']] = _tgz(
            {'bin/containerd': b'containerd', 'bin/ctr': b'ctr'})
        files[self.layout['RUNC']] = b'runc'
        files[self.layout['CNI_PLUGINS']] = _tgz({'bridge': b'bridge'})
        files[self.layout['CNI_MANIFEST']] = self.cni_manifest
        sums = {}
        for path, data in files.items():
            self._write(os.path.join(self.mirror, path), data)
            directory, name = os.path.split(path)
            sums.setdefault(directory, []).append(
                f'{hashlib.sha256(data).hexdigest()}  {name}\n')
        for directory, lines in sums.items():
            self._write(os.path.join(self.mirror, directory, 'SHA256SUMS'),
                        ''.join(lines))

    def knob(self, name, content=''):
        self._write(os.path.join(self.knobs, name), content)

    def node(self, name, role='master', index='0', labels='', taints='',
             prefix=PREFIX, nodegroup_role=None, ip='10.0.0.10',
             credentials=True, generation='1', public_sans='',
             rotating_to=None, magnum_url=True):
        """A node's root as cloud-init leaves it (the files of
        master.yaml / worker.yaml)."""
        root = self._dir('nodes', name)
        etc = os.path.join(root, 'etc', 'magnum-lite')
        with open(os.path.join(FRAGMENTS, 'node.env')) as f:
            node_env = f.read()
        for key, value in {
                '__ROLE__': role,
                '__NODEGROUP_ROLE__': nodegroup_role or role,
                '__NODE_NAME__': name, '__NODE_INDEX__': index,
                '__NODE_GENERATION__': generation,
                '__PUBLIC_SANS__': public_sans,
                '__NODE_IP__': ip,
                '__NODEGROUP__': f'default-{role}',
                '__CLUSTER_UUID__': 'c0ffee', '__CLUSTER_NAME__': 'k8s',
                '__KUBE_TAG__': KUBE_TAG, '__ENDPOINT__': '10.0.0.100:6443',
                '__API_PORT__': '6443', '__PREFIX__': prefix,
                '__MIRROR__': MIRROR_URL, '__METRICS_SERVER__': 'true',
                '__NODE_LABELS__': labels, '__NODE_TAINTS__': taints,
                '__POD_CIDR__': '10.100.0.0/16',
                '__SERVICE_CIDR__': '10.254.0.0/16'}.items():
            node_env = node_env.replace(key, value)
        self._write(os.path.join(etc, 'node.env'), node_env)
        self._write(os.path.join(etc, 'versions.env'), self.components)
        master = role == 'master'
        # rotating_to: a second cluster whose CAs are trusted too (a CA
        # rotation's first phase), as drivers/heat/bootstrap.py renders it.
        hashes = self.cluster.ca_hash
        if rotating_to is not None:
            hashes += ',' + rotating_to.ca_hash
        self._write(os.path.join(etc, 'bootstrap.env'),
                    f"BOOTSTRAP_TOKEN='{self.cluster.token}'\n"
                    f"CERTIFICATE_KEY='"
                    f"{self.cluster.certificate_key if master else ''}'\n"
                    f"CA_CERT_HASH='{hashes}'\n", 0o600)
        self._write(os.path.join(etc, 'wc-notify'),
                    "curl -i -X POST -H 'X-Auth-Token: t0k' "
                    "-H 'Content-Type: application/json' "
                    "https://heat.example.com/signal\n", 0o600)
        self._write(os.path.join(root, 'sys', 'fs', 'cgroup',
                                 'cgroup.controllers'), 'cpu memory\n')
        if master:
            pki = os.path.join(root, 'etc', 'kubernetes', 'pki')
            for base, (cert, key) in self.cluster.pki.items():
                if rotating_to is not None:
                    cert += rotating_to.pki[base][0]
                self._write(os.path.join(pki, base + '.crt'), cert)
                self._write(os.path.join(pki, base + '.key'), key, 0o600)
            self._write(os.path.join(pki, 'sa.key'), self.cluster.sa_key,
                        0o600)
            self._write(os.path.join(pki, 'sa.pub'), self.cluster.sa_pub)
            with open(os.path.join(FRAGMENTS, 'cloud.env')) as f:
                cloud_env = f.read()
            for key, value in CREDENTIALS.items():
                keep = credentials and (magnum_url
                                        or key != '__MAGNUM_URL__')
                cloud_env = cloud_env.replace(key, value if keep else '')
            self._write(os.path.join(etc, 'cloud.env'), cloud_env, 0o600)
            for fixed, path in addons.files(KUBE_TAG).items():
                with open(os.path.join(TEMPLATES, path)) as f:
                    self._write(os.path.join(etc, fixed), f.read())
        return root

    def run_node(self, root, name):
        env = {'PATH': self.bin, 'ML_ROOT': root, 'ML_PROBE_TRIES': '2',
               'ML_JOIN_TRIES': '2', 'STANDIN_LOG': self.log,
               'STANDIN_DIR': self.knobs, 'STANDIN_MIRROR': self.mirror,
               'STANDIN_MIRROR_URL': MIRROR_URL, 'STANDIN_NODE': name}
        return subprocess.run(
            [shutil.which('bash'), os.path.join(FRAGMENTS, 'bootstrap.sh')],
            env=env, capture_output=True, text=True, timeout=60)

    def commands(self):
        with open(self.log) as f:
            return [line.rstrip('\n').split('\t') for line in f]

    def lines(self, name):
        return [c for c in self.commands() if c[0] == name]

    def index_of(self, *prefix):
        for i, command in enumerate(self.commands()):
            if tuple(command[:len(prefix)]) == prefix:
                return i
        self.fail(f'{prefix} never ran: {self.commands()}')

    def signals(self):
        return [c[1] for c in self.commands() if c[0] == 'signal']

    def assertRan(self, result):
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    # Tests ------------------------------------------------------------

    def test_first_master_inits_and_the_next_joins_with_the_key(self):
        first = self.node('k8s-master-0', index='0', labels='tier=gold',
                          taints='dedicated=infra:NoSchedule')
        self.assertRan(self.run_node(first, 'k8s-master-0'))
        self.knob('endpoint-up')
        second = self.node('k8s-master-1', index='1', ip='10.0.0.11')
        self.assertRan(self.run_node(second, 'k8s-master-1'))

        init = self.index_of('kubeadm', 'init', '--config')
        upload = self.index_of('kubeadm', 'init', 'phase', 'upload-certs')
        join = self.index_of('kubeadm', 'join')
        self.assertLess(init, upload)
        self.assertLess(upload, join)
        self.assertEqual(1, len([c for c in self.lines('kubeadm')
                                 if c[1] == 'init' and c[2] == '--config']))
        self.assertIn('--upload-certs', self.commands()[init])
        # The CA the conductor generated is where kubeadm looks, and the
        # certificate key and token reach init and the joining master.
        init_cfg = self.read(first, 'etc/magnum-lite/kubeadm-init.yaml')
        self.assertIn(f'certificatesDir: "{first}/etc/kubernetes/pki"',
                      init_cfg)
        self.assertEqual(self.cluster.pki['ca'][1],
                         self.read(first, 'etc/kubernetes/pki/ca.key'))
        self.assertIn(f'certificateKey: "{self.cluster.certificate_key}"',
                      init_cfg)
        self.assertIn(f'token: "{self.cluster.token}"', init_cfg)
        self.assertIn('ttl: 0s', init_cfg)
        self.assertIn('controlPlaneEndpoint: "10.0.0.100:6443"', init_cfg)
        self.assertIn('certSANs: ["10.0.0.10", "10.0.0.100"]\n', init_cfg)
        self.assertIn(f'kubernetesVersion: "{KUBE}"', init_cfg)
        self.assertIn('podSubnet: "10.100.0.0/16"', init_cfg)
        self.assertIn('cgroupDriver: systemd', init_cfg)
        join_cfg = self.read(second, 'etc/magnum-lite/kubeadm-join.yaml')
        self.assertIn(f'certificateKey: "{self.cluster.certificate_key}"',
                      join_cfg)
        self.assertIn(f'caCertHashes: ["{self.cluster.ca_hash}"]', join_cfg)
        self.assertIn('advertiseAddress: "10.0.0.11"', join_cfg)
        self.assertNotIn('InitConfiguration', join_cfg)
        # Labels and taints at registration, the control-plane taint kept.
        self.assertIn('magnum.openstack.org/role=master,'
                      'magnum.openstack.org/nodegroup=default-master,'
                      'tier=gold', init_cfg)
        self.assertIn('key: "dedicated"\n      value: "infra"\n'
                      '      effect: "NoSchedule"', init_cfg)
        self.assertIn('key: "node-role.kubernetes.io/control-plane"',
                      init_cfg)
        # Only the first master applies the add-ons, after init.
        applied = [c[-1] for c in self.addon_applies()]
        self.assertEqual(
            ['cni', 'cloud-controller-manager', 'cinder-csi',
             'metrics-server'],
            [os.path.basename(p)[:-len('.yaml')] for p in applied])
        self.assertTrue(all(p.startswith(first) for p in applied))
        self.assertLess(init, self.index_of('kubectl', '--kubeconfig'))
        self.assertEqual(2, len(self.signals()))
        self.assertTrue(all('"status": "SUCCESS"' in s
                            for s in self.signals()))
        # Both masters wrote the cloud provider's credentials, 0600.
        for root in (first, second):
            conf = os.path.join(root, 'etc/kubernetes/cloud.conf')
            self.assertEqual(0o600, os.stat(conf).st_mode & 0o777)
            self.assertEqual(
                '[Global]\nauth-url="https://keystone.example.com/v3"\n'
                'region="RegionOne"\nuser-id="trustee-id"\n'
                'password="pw-x_y"\ntrust-id="trust-1"\n', self.read(conf))

    def test_cloud_provider_without_credentials_fails_clearly(self):
        root = self.node('k8s-master-0', credentials=False)
        result = self.run_node(root, 'k8s-master-0')
        self.assertEqual(1, result.returncode)
        [signal] = self.signals()
        self.assertIn('step addons failed', signal)
        self.assertIn('cloud provider enabled but no cloud credentials',
                      signal)
        self.assertFalse(os.path.exists(
            os.path.join(root, 'etc/kubernetes/cloud.conf')))

    def test_masters_report_their_health_on_a_timer(self):
        root = self.node('k8s-master-0')
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        units = 'etc/systemd/system/magnum-lite-health'
        self.assertIn(['systemctl', 'enable', '--now',
                       'magnum-lite-health.timer'], self.lines('systemctl'))
        self.assertIn('OnUnitActiveSec=45\n',
                      self.read(root, units + '.timer'))
        self.assertIn(f"ExecStart=/bin/bash {FRAGMENTS}/health-report.sh\n",
                      self.read(root, units + '.service'))
        # Installed before the node tells Heat it joined.
        self.assertLess(self.index_of('systemctl', 'enable', '--now',
                                      'magnum-lite-health.timer'),
                        self.index_of('signal'))

    def test_no_report_url_no_health_reporter(self):
        root = self.node('k8s-master-0', magnum_url=False)
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        self.assertNotIn(['systemctl', 'enable', '--now',
                          'magnum-lite-health.timer'],
                         self.lines('systemctl'))
        self.assertFalse(os.path.exists(os.path.join(
            root, 'etc/systemd/system/magnum-lite-health.timer')))

    def test_every_download_and_image_uses_the_mirror_and_prefix(self):
        root = self.node('k8s-master-0')
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        urls = [c[-1] for c in self.lines('curl')
                if not c[-1].endswith('/readyz')
                and '--data-binary' not in c]
        self.assertTrue(urls)
        for url in urls:
            self.assertTrue(url.startswith(MIRROR_URL + '/'), url)
        for binary in ('kubelet', 'kubeadm', 'kubectl'):
            self.assertIn(f"{MIRROR_URL}/{self.layout['KUBE']}/{binary}",
                          urls)
            self.assertEqual(f'{binary} {KUBE}\n',
                             self.read(root, f'usr/local/bin/{binary}'))
        self.assertIn(f"{MIRROR_URL}/{self.layout['CNI_MANIFEST']}", urls)
        # Images: kubeadm's repository, the sandbox, every add-on.
        init_cfg = self.read(root, 'etc/magnum-lite/kubeadm-init.yaml')
        self.assertIn('imageRepository: "registry.example.com/airgap"',
                      init_cfg)
        self.assertIn(['kubeadm', 'config', 'images', 'pull', '--config',
                       f'{root}/etc/magnum-lite/kubeadm-init.yaml'],
                      self.commands())
        self.assertIn("sandbox = 'registry.example.com/airgap/pause:",
                      self.read(root, 'etc/containerd/config.toml'))
        self.assertIn('SystemdCgroup = true',
                      self.read(root, 'etc/containerd/config.toml'))
        images = []
        for c in self.lines('kubectl'):
            if 'apply' in c:
                images += [line.split('image:')[1].strip()
                           for line in self.read(c[-1]).splitlines()
                           if 'image:' in line]
        self.assertGreater(len(images), 5)
        for image in images:
            self.assertTrue(image.startswith(PREFIX), image)

    def test_a_bad_checksum_fails_the_download(self):
        path = os.path.join(self.mirror, self.layout['KUBE'], 'kubeadm')
        self._write(path, b'tampered')
        root = self.node('k8s-master-0')
        result = self.run_node(root, 'k8s-master-0')
        self.assertNotEqual(0, result.returncode)
        [signal] = self.signals()
        self.assertIn('"status": "FAILURE"', signal)
        self.assertIn('step kube-install failed', signal)
        self.assertIn('FAILED', signal)
        self.assertFalse(os.path.exists(
            os.path.join(root, 'usr/local/bin/kubeadm')))

    def test_the_image_version_is_not_downloaded_again(self):
        self.knob('version-kube', KUBE)
        self.knob('version-containerd',
                  'v' + dict(line.split('=', 1) for line in
                             self.components.splitlines())[
                                 'CONTAINERD_VERSION'])
        root = self.node('k8s-worker-0', role='worker', index='')
        self.knob('endpoint-up')
        self.assertRan(self.run_node(root, 'k8s-worker-0'))
        urls = ' '.join(c[-1] for c in self.lines('curl'))
        self.assertNotIn(self.layout['KUBE'], urls)
        self.assertNotIn(self.layout['CONTAINERD'], urls)
        self.assertIn(self.layout['RUNC'], urls)

    def test_failing_step_signals_failure_with_its_last_lines(self):
        self.knob('fail-kubeadm', 'init --config')
        root = self.node('k8s-master-0')
        result = self.run_node(root, 'k8s-master-0')
        self.assertEqual(3, result.returncode)
        [signal] = self.signals()
        self.assertIn('"status": "FAILURE"', signal)
        self.assertIn('step kubeadm-init failed (exit 3) on k8s-master-0',
                      signal)
        self.assertIn('kubeadm: simulated failure', signal)
        self.assertIn('kubeadm output line 30', signal)
        # The last 20 lines: 19 of the output and the error.
        self.assertIn('kubeadm output line 12\\n', signal)
        self.assertNotIn('kubeadm output line 11\\n', signal)
        self.assertNotIn('apply', ' '.join(' '.join(c) for c in
                                           self.lines('kubectl')))
        # The signal went through the wait condition handle's command.
        [post] = [c for c in self.lines('curl') if '--data-binary' in c]
        self.assertEqual(['-i', '-X', 'POST', '-H', 'X-Auth-Token: t0k'],
                         post[1:6])

    def test_public_addresses_are_in_the_api_certificate(self):
        # api_address is the load balancer's floating IP: clients verify
        # the API server's certificate against it.
        root = self.node('k8s-master-0', public_sans='172.24.4.10,,')
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        self.assertIn('certSANs: ["10.0.0.10", "10.0.0.100", "172.24.4.10"]',
                      self.read(root, 'etc/magnum-lite/kubeadm-init.yaml'))

    def use_cilium(self, ipam):
        self.components = versions.component_versions(
            KUBE_TAG, network_driver='cilium')
        self.layout = versions.mirror_layout(KUBE_TAG, 'cilium')
        self.cni_manifest = (
            'kind: ConfigMap\nmetadata:\n  name: cilium-config\ndata:\n'
            f'  ipam: "{ipam}"\n').encode()
        self._fill_mirror()

    def test_a_cilium_manifest_must_use_the_kubernetes_ipam(self):
        self.use_cilium('cluster-pool')
        root = self.node('k8s-master-0')
        self.assertEqual(1, self.run_node(root, 'k8s-master-0').returncode)
        [signal] = self.signals()
        self.assertIn('step addons failed', signal)
        self.assertIn('the cilium manifest sets ipam: cluster-pool', signal)

    def test_a_cilium_manifest_with_the_kubernetes_ipam_applies(self):
        self.use_cilium('kubernetes')
        root = self.node('k8s-master-0')
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        self.assertIn('ipam: "kubernetes"',
                      self.read(root, 'var/lib/magnum-lite/addons/cni.yaml'))

    def signal_ids(self):
        return [(json.loads(s)['id'], json.loads(s)['status'])
                for s in self.signals()]

    def test_a_replacement_node_signals_every_id_of_its_generation(self):
        # Generation 3: the wait condition counts 3 distinct ids; the
        # handle holds 1 and 2 from earlier nodes, so only this node's
        # id 3 completes it, and a new member (no old signals) gets all.
        self.knob('endpoint-up')
        root = self.node('k8s-default-worker-0', role='worker', index='',
                         generation='3')
        self.assertRan(self.run_node(root, 'k8s-default-worker-0'))
        self.assertEqual([('1', 'SUCCESS'), ('2', 'SUCCESS'),
                          ('3', 'SUCCESS')], self.signal_ids())

    def test_a_failing_replacement_signals_failure_under_its_own_id(self):
        self.knob('fail-kubeadm', 'join')
        self.knob('endpoint-up')
        root = self.node('k8s-default-worker-0', role='worker', index='',
                         generation='2')
        result = self.run_node(root, 'k8s-default-worker-0')
        self.assertNotEqual(0, result.returncode)
        self.assertEqual([('2', 'FAILURE')], self.signal_ids())

    def test_worker_joins_with_token_and_ca_hash_only(self):
        self.knob('endpoint-up')
        root = self.node('gpu-0', role='worker', index='',
                         nodegroup_role='gpu', labels='accel=a100',
                         taints='gpu=true:NoExecute')
        self.assertRan(self.run_node(root, 'gpu-0'))
        joins = [c for c in self.lines('kubeadm') if c[1] == 'join']
        self.assertEqual(
            [['kubeadm', 'join', '--config',
              f'{root}/etc/magnum-lite/kubeadm-join.yaml']], joins)
        self.assertFalse([c for c in self.lines('kubeadm')
                          if c[1] == 'init'])
        join_cfg = self.read(root, 'etc/magnum-lite/kubeadm-join.yaml')
        self.assertIn(f'token: "{self.cluster.token}"', join_cfg)
        self.assertNotIn('controlPlane', join_cfg)
        self.assertIn('magnum.openstack.org/role=gpu,'
                      'magnum.openstack.org/nodegroup=default-worker,'
                      'accel=a100', join_cfg)
        self.assertIn('key: "gpu"\n      value: "true"\n'
                      '      effect: "NoExecute"', join_cfg)
        self.assertNotIn('node-role.kubernetes.io/control-plane', join_cfg)
        self.assertFalse(self.lines('kubectl'))
        for path in ('etc/magnum-lite/kubeadm-init.yaml',
                     'etc/kubernetes/cloud.conf'):
            self.assertFalse(os.path.exists(os.path.join(root, path)))

    def test_replacement_master_zero_joins_and_removes_the_old_member(self):
        self.knob('endpoint-up')
        self.knob('etcd-members',
                  '1111, started, k8s-master-0, https://10.0.0.10:2380, '
                  'https://10.0.0.10:2379, false\n'
                  '2222, started, k8s-master-1, https://10.0.0.11:2380, '
                  'https://10.0.0.11:2379, false\n'
                  '3333, started, k8s-master-0, https://10.0.0.50:2380, '
                  'https://10.0.0.50:2379, false\n'
                  '4444, started, k8s-master-2, https://10.0.0.12:2380, '
                  'https://10.0.0.12:2379, false\n')
        root = self.node('k8s-master-0', index='0', ip='10.0.0.50')
        self.assertRan(self.run_node(root, 'k8s-master-0'))
        kubeadm = [c[1] for c in self.lines('kubeadm')]
        self.assertNotIn(['init', '--config'],
                         [c[1:3] for c in self.lines('kubeadm')])
        self.assertIn('join', kubeadm)
        removed = [(c[6], c[-1]) for c in self.lines('kubectl')
                   if c[-2:-1] == ['remove']]
        join = self.index_of('kubeadm', 'join')
        remove_at = [i for i, c in enumerate(self.commands())
                     if c[0] == 'kubectl' and 'remove' in c]
        # Before the join, through another master's etcd: the member of
        # the same name at another address (the node replaced with a new
        # port) and the one already at this node's address, so the join
        # adds this node's member once; nothing is left after it.
        self.assertEqual([('etcd-other-master', '1111'),
                          ('etcd-other-master', '3333')], removed)
        self.assertLess(max(remove_at), join)
        with open(os.path.join(self.knobs, 'etcd-members')) as f:
            self.assertEqual(['2222', '4444'],
                             [line.split(',')[0] for line in f])
        self.assertEqual(1, len([c for c in self.lines('kubeadm')
                                 if c[1] == 'join']))
        self.assertIn(['kubectl', '--kubeconfig',
                       f'{root}/etc/magnum-lite/bootstrap-admin.conf',
                       'delete', 'node', 'k8s-master-0',
                       '--ignore-not-found'], self.commands())
        self.assertFalse(self.addon_applies())

    def test_masters_install_the_etcd_departures_timer(self):
        self.knob('endpoint-up')
        root = self.node('k8s-master-1', index='1', ip='10.0.0.11')
        self.assertRan(self.run_node(root, 'k8s-master-1'))
        units = os.path.join(root, 'etc', 'systemd', 'system')
        with open(os.path.join(units,
                               'magnum-lite-etcd-departures.service')) as f:
            self.assertIn('ExecStart=/bin/bash /usr/local/lib/magnum-lite/'
                          'etcd-departures.sh', f.read())
        with open(os.path.join(units,
                               'magnum-lite-etcd-departures.timer')) as f:
            self.assertIn('OnUnitActiveSec=10s', f.read())
        enable = self.index_of('systemctl', 'enable', '--now',
                               'magnum-lite-etcd-departures.timer')
        self.assertLess(self.index_of('kubeadm', 'join'), enable)
        self.assertEqual('SUCCESS', self.signals()[-1].split('"')[3])
        # Workers have no etcd.
        worker = self.node('k8s-worker-0', role='worker', ip='10.0.0.20')
        self.assertRan(self.run_node(worker, 'k8s-worker-0'))
        self.assertFalse(os.path.exists(os.path.join(
            worker, 'etc', 'systemd', 'system',
            'magnum-lite-etcd-departures.timer')))

    FIVE_MEMBERS = ''.join(
        f'{i}{i}{i}{i}, started, k8s-master-{i}, https://10.0.0.1{i}:2380, '
        f'https://10.0.0.1{i}:2379, false\n' for i in range(5))

    def run_departures(self, root, name):
        return etcd_standins.run_departures(self.bin, root, self.log,
                                            self.knobs, name)

    def member_ids(self):
        with open(os.path.join(self.knobs, 'etcd-members')) as f:
            return [line.split(',')[0] for line in f]

    def test_a_remaining_master_removes_the_leaving_members(self):
        self.knob('etcd-members', self.FIVE_MEMBERS)
        self.knob('node-departures',
                  'k8s-master-0   <none>\nk8s-master-1   <none>\n'
                  'k8s-master-2   <none>\nk8s-master-3   leaving\n'
                  'k8s-master-4   removed\nk8s-worker-0   <none>\n')
        root = self.node('k8s-master-1', index='1', ip='10.0.0.11')
        self.assertRan(self.run_departures(root, 'k8s-master-1'))
        admin = f'{root}/etc/magnum-lite/bootstrap-admin.conf'
        steps = [c[3:] for c in self.lines('kubectl')
                 if 'remove' in c or 'annotate' in c]
        # Through this master's own etcd, then the mark the conductor
        # waits for.
        self.assertEqual([
            ['-n', 'kube-system', 'exec', 'etcd-k8s-master-1', '--',
             'etcdctl', '--endpoints=https://127.0.0.1:2379',
             '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
             '--cert=/etc/kubernetes/pki/etcd/server.crt',
             '--key=/etc/kubernetes/pki/etcd/server.key', 'member',
             'remove', '3333'],
            ['annotate', 'node', 'k8s-master-3', '--overwrite',
             'magnum-lite.openstack.org/etcd-member=removed']], steps)
        self.assertEqual(['kubectl', '--kubeconfig', admin, 'get', 'nodes',
                          '--no-headers', '-o',
                          'custom-columns=NAME:.metadata.name,STATE:'
                          '.metadata.annotations.magnum-lite\\.openstack'
                          '\\.org/etcd-member'], self.commands()[0])
        self.assertEqual(['0000', '1111', '2222', '4444'], self.member_ids())
        # Run again (the timer): the member is gone, it is marked again
        # and nothing else is removed.
        self.assertRan(self.run_departures(root, 'k8s-master-1'))
        self.assertEqual(1, len([c for c in self.lines('kubectl')
                                 if 'remove' in c]))

    def test_a_leaving_master_leaves_the_removal_to_others(self):
        self.knob('etcd-members', self.FIVE_MEMBERS)
        self.knob('node-departures',
                  'k8s-master-0   <none>\nk8s-master-3   leaving\n')
        root = self.node('k8s-master-3', index='3', ip='10.0.0.13')
        self.assertRan(self.run_departures(root, 'k8s-master-3'))
        self.assertEqual([['kubectl', 'get']],
                         [c[:1] + c[3:4] for c in self.lines('kubectl')])
        self.assertEqual(5, len(self.member_ids()))

    def test_a_removal_etcd_refuses_is_not_marked_done(self):
        # etcd refuses a removal that would leave too few started members.
        self.knob('etcd-members', self.FIVE_MEMBERS)
        self.knob('node-departures', 'k8s-master-2   leaving\n')
        self.knob('fail-kubectl', 'member remove')
        root = self.node('k8s-master-0')
        result = self.run_departures(root, 'k8s-master-0')
        self.assertNotEqual(0, result.returncode)
        self.assertEqual([], [c for c in self.lines('kubectl')
                              if 'annotate' in c])
        self.assertEqual(5, len(self.member_ids()))

    def addon_applies(self):
        """kubectl apply of add-ons (not of cluster-info)."""
        return [c for c in self.lines('kubectl')
                if 'apply' in c and '--server-side' not in c]

    def test_masters_trust_every_ca_of_a_rotation(self):
        new = Cluster()
        bundle = self.cluster.pki['ca'][0] + new.pki['ca'][0]
        encoded = base64.b64encode(bundle.encode()).decode()
        first = self.node('k8s-master-0', rotating_to=new)
        self.assertRan(self.run_node(first, 'k8s-master-0'))
        self.knob('endpoint-up')
        second = self.node('k8s-master-1', index='1', ip='10.0.0.11',
                           rotating_to=new)
        self.assertRan(self.run_node(second, 'k8s-master-1'))
        for root in (first, second):
            # The controller manager signs with the first CA alone.
            self.assertEqual(self.cluster.pki['ca'][0], self.read(
                root, 'etc/kubernetes/pki/ca-signing.crt'))
            self.assertEqual(bundle, self.read(root,
                                               'etc/kubernetes/pki/ca.crt'))
            # The bootstrap kubeconfig trusts both, not kubeadm's first.
            admin = self.read(root, 'etc/magnum-lite/bootstrap-admin.conf')
            self.assertIn(f'    certificate-authority-data: {encoded}\n',
                          admin)
            self.assertNotIn('FIRST-CA-ONLY', admin)
        init_cfg = self.read(first, 'etc/magnum-lite/kubeadm-init.yaml')
        self.assertIn('controllerManager:\n  extraArgs:\n'
                      '    - name: cluster-signing-cert-file\n'
                      f'      value: "{first}/etc/kubernetes/pki/'
                      'ca-signing.crt"\n', init_cfg)
        # A node joining now accepts either CA in discovery.
        join_cfg = self.read(second, 'etc/magnum-lite/kubeadm-join.yaml')
        self.assertIn(f'caCertHashes: ["{self.cluster.ca_hash}", '
                      f'"{new.ca_hash}"]', join_cfg)
        # Both masters publish the bundle in cluster-info, after their
        # kubeadm init or join, and restart the kubelet on its kubeconfig.
        applies = [i for i, c in enumerate(self.commands())
                   if c[0] == 'kubectl' and '--server-side' in c]
        self.assertEqual(2, len(applies))
        self.assertLess(self.index_of('kubeadm', 'init', '--config'),
                        applies[0])
        self.assertLess(self.index_of('kubeadm', 'join'), applies[1])
        manifest = self.read(self.commands()[applies[1]][-1])
        self.assertIn('name: cluster-info\n  namespace: kube-public\n',
                      manifest)
        self.assertIn(f'certificate-authority-data: {encoded}\n'
                      '        server: https://10.0.0.100:6443\n', manifest)
        self.assertEqual(2, self.commands().count(
            ['systemctl', 'restart', 'kubelet']))

    def read(self, root, relative=None):
        path = root if relative is None else os.path.join(root, relative)
        with open(path) as f:
            return f.read()


class ShellcheckTest(testtools.TestCase):

    def test_every_fragment_passes_shellcheck(self):
        shellcheck = shutil.which('shellcheck')
        self.assertIsNotNone(shellcheck, 'tools/ensure-bootstrap-tools '
                             'installs shellcheck')
        scripts = sorted(n for n in os.listdir(FRAGMENTS)
                         if n.endswith('.sh'))
        self.assertIn('bootstrap.sh', scripts)
        result = subprocess.run(
            [shellcheck, '-x', *scripts] + [os.path.join(HERE, 'standin.sh')],
            cwd=FRAGMENTS, capture_output=True, text=True)
        self.assertEqual(0, result.returncode, result.stdout)
