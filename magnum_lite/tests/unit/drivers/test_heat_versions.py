"""The supported-versions table and what is derived from it."""

import contextlib
import io
import os
import re

import testtools
import yaml

from magnum_lite.cluster import versions
from magnum_lite.drivers.heat import addons

TEMPLATES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                         'heat-templates', 'kubernetes')
DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'doc',
                   'source', 'install', 'versions.rst')


def env(text):
    """versions.env lines as a dict."""
    return dict(line.split('=', 1) for line in text.splitlines())


class ParseTest(testtools.TestCase):

    def test_forms_of_a_kube_tag(self):
        self.assertEqual((1, 36, 4), versions.parse('v1.36.4'))
        self.assertEqual((1, 36, 4), versions.parse('1.36.4'))
        self.assertEqual((1, 36, None), versions.parse('v1.36'))
        for bad in ('latest', 'v1', '1.36.4-rc.0', 'v1.36.x', '', 'v 1.36'):
            self.assertRaises(versions.UnsupportedVersion, versions.parse,
                              bad)

    def test_compare_is_numeric_not_textual(self):
        self.assertEqual(-1, versions.compare('v1.9.0', 'v1.10.0'))
        self.assertEqual(1, versions.compare('v1.36.10', 'v1.36.9'))
        self.assertEqual(0, versions.compare('1.36.4', 'v1.36.4'))
        self.assertEqual(-1, versions.compare('v1.36', 'v1.36.0'))

    def test_the_three_newest_minors_are_supported(self):
        self.assertEqual(['1.35', '1.36', '1.37'],
                         versions.supported_minors())
        minors = sorted(versions.RELEASES)
        self.assertEqual(3, len(minors))
        for older, newer in zip(minors, minors[1:], strict=False):
            self.assertEqual((older[0], older[1] + 1), newer)
        self.assertEqual(versions.RELEASES[max(minors)].kube,
                         versions.DEFAULT_KUBE_TAG)

    def test_unsupported_minor_names_the_supported_ones(self):
        err = self.assertRaises(versions.UnsupportedVersion,
                                versions.check, 'v1.34.8')
        self.assertIn('1.34', str(err))
        self.assertIn('1.35, 1.36, 1.37', str(err))
        versions.check('v1.35.0')
        versions.check('v1.37.99')

    def test_a_bare_minor_installs_the_tables_patch(self):
        self.assertEqual('v1.36.4', versions.kube_version('v1.36'))
        self.assertEqual('v1.36.2', versions.kube_version('1.36.2'))


class TableTest(testtools.TestCase):

    def test_each_row_is_of_its_minor(self):
        for (major, minor), rel in versions.RELEASES.items():
            self.assertEqual((major, minor), versions.minor(rel.kube))
            self.assertIsNotNone(versions.parse(rel.kube)[2])

    def test_cloud_provider_never_newer_than_kubernetes(self):
        # Its minor tracks Kubernetes'; it may lag when no release of the
        # same minor exists yet, never lead.
        for key, rel in versions.RELEASES.items():
            self.assertLessEqual(versions.minor(rel.cloud_provider), key)

    def test_pinned_checksums_are_sha256(self):
        for path, digest in versions.SHA256.items():
            self.assertRegex(digest, r'^[0-9a-f]{64}$', path)

    def test_every_addon_version_has_its_manifest(self):
        for rel in versions.RELEASES.values():
            for stem, field in addons.ADDONS.values():
                path = addons.path(stem, getattr(rel, field))
                self.assertTrue(
                    os.path.isfile(os.path.join(TEMPLATES, path)), path)

    def test_docs_table_is_the_generated_one(self):
        with open(DOC) as f:
            text = f.read()
        self.assertIn(versions.rst_table(), text)


class ComponentVersionsTest(testtools.TestCase):

    def test_lines_for_the_default_cni(self):
        text = versions.component_versions('v1.36.4')
        self.assertTrue(text.endswith('\n'))
        lines = text.splitlines()
        self.assertEqual(sorted(lines), lines)
        for line in lines:
            self.assertRegex(line, r'^[A-Z0-9_]+=[^\s]*$')
        values = env(text)
        self.assertEqual('v1.36.4', values['KUBE_VERSION'])
        self.assertEqual('calico', values['CNI'])
        self.assertEqual('v3.33.1', values['CNI_VERSION'])
        self.assertEqual('calico/v3.33.1/calico.yaml',
                         values['CNI_MANIFEST_PATH'])
        self.assertEqual('registry.k8s.io/pause:3.10.1',
                         values['PAUSE_IMAGE'])
        self.assertEqual('release/v1.36.4/bin/linux/amd64',
                         values['KUBE_PATH'])
        self.assertEqual('v1.36.0', values['CLOUD_PROVIDER_VERSION'])
        self.assertEqual(('true', 'true'),
                         (values['CLOUD_PROVIDER_ENABLED'],
                          values['CINDER_CSI_ENABLED']))

    def test_every_download_has_a_checksum_entry(self):
        values = env(versions.component_versions('v1.37.1'))
        paths = {k[:-len('_PATH')] for k in values if k.endswith('_PATH')}
        self.assertEqual({'KUBE', 'CONTAINERD', 'RUNC', 'CNI_PLUGINS',
                          'CNI_MANIFEST'}, paths)
        sums = {k[:-len('_SHA256')] for k in values if k.endswith('_SHA256')}
        self.assertEqual({'KUBEADM', 'KUBELET', 'KUBECTL', 'CONTAINERD',
                          'RUNC', 'CNI_PLUGINS', 'CNI_MANIFEST'}, sums)
        for key in paths:
            self.assertRegex(values[f'{key}_UPSTREAM'], r'^https://')
        self.assertEqual(
            'https://github.com/containerd/containerd/releases/download/'
            'v2.3.5/containerd-2.3.5-linux-amd64.tar.gz',
            values['CONTAINERD_UPSTREAM'])
        self.assertEqual('https://dl.k8s.io/release/v1.37.1/bin/linux/amd64',
                         values['KUBE_UPSTREAM'])

    def test_a_pinned_checksum_is_sent(self):
        layout = versions.mirror_layout('v1.37.1')
        self.patch(versions, 'SHA256', {
            layout['RUNC']: 'a' * 64, layout['KUBE'] + '/kubelet': 'b' * 64})
        values = env(versions.component_versions('v1.37.1'))
        self.assertEqual('a' * 64, values['RUNC_SHA256'])
        self.assertEqual('b' * 64, values['KUBELET_SHA256'])
        self.assertEqual('', values['KUBEADM_SHA256'])
        self.assertEqual('', values['CONTAINERD_SHA256'])

    def test_cilium_by_label_and_by_network_driver(self):
        by_label = env(versions.component_versions(
            'v1.35.9', {'cni': 'cilium'}, network_driver='calico'))
        self.assertEqual(('cilium', 'v1.20.3'),
                         (by_label['CNI'], by_label['CNI_VERSION']))
        self.assertEqual('cilium/v1.20.3/cilium.yaml',
                         by_label['CNI_MANIFEST_PATH'])
        # Cilium has no static upstream manifest: a mirror is required.
        self.assertEqual('', by_label['CNI_MANIFEST_UPSTREAM'])
        by_driver = env(versions.component_versions(
            'v1.35.9', {}, network_driver='cilium'))
        self.assertEqual('cilium', by_driver['CNI'])

    def test_flannel_has_no_manifest(self):
        values = env(versions.component_versions(
            'v1.35.9', network_driver='flannel'))
        self.assertEqual('flannel', values['CNI'])
        self.assertNotIn('CNI_MANIFEST_PATH', values)

    def test_disabled_addons(self):
        values = env(versions.component_versions(
            'v1.37.1', {'cinder_csi_enabled': 'False',
                        'cloud_provider_enabled': 'no'}))
        self.assertEqual(('false', 'false'),
                         (values['CLOUD_PROVIDER_ENABLED'],
                          values['CINDER_CSI_ENABLED']))

    def test_unsupported_tag_is_refused(self):
        self.assertRaises(versions.UnsupportedVersion,
                          versions.component_versions, 'v1.31.4')


class AddonFilesTest(testtools.TestCase):

    def test_fixed_names_to_versioned_files(self):
        self.assertEqual(
            {'addons/cloud-controller-manager.yaml':
                'addons/openstack-cloud-controller-manager-v1.35.0.yaml',
             'addons/cinder-csi.yaml': 'addons/cinder-csi-v1.35.0.yaml',
             'addons/metrics-server.yaml':
                'addons/metrics-server-v0.8.1.yaml'},
            addons.files('v1.35.9'))
        self.assertEqual(
            'addons/cinder-csi-v1.36.0.yaml',
            addons.files('v1.37')['addons/cinder-csi.yaml'])

    def test_versioned_names_carry_the_version(self):
        for path in os.listdir(os.path.join(TEMPLATES, 'addons')):
            self.assertRegex(path, r'-v\d+\.\d+\.\d+\.yaml$')

    def test_manifests_pull_from_upstream_registries(self):
        # The node rewrites registries to CONTAINER_INFRA_PREFIX; the
        # manifests themselves name upstream images with explicit tags.
        image = re.compile(r'^\s*image:\s*(\S+)$', re.M)
        for path in os.listdir(os.path.join(TEMPLATES, 'addons')):
            with open(os.path.join(TEMPLATES, 'addons', path)) as f:
                found = image.findall(f.read())
            self.assertTrue(found, path)
            for ref in found:
                self.assertRegex(ref, r'^(registry\.k8s\.io)/[a-z0-9/._-]+:'
                                      r'v?\d+\.\d+\.\d+$', path)

    def test_container_infra_prefix_keeps_basename_and_tag(self):
        ref = 'registry.k8s.io/sig-storage/csi-attacher:v4.10.0'
        self.assertEqual(ref, versions.rewrite_image(ref, ''))
        self.assertEqual('reg.example.com:5000/k8s/csi-attacher:v4.10.0',
                         versions.rewrite_image(ref,
                                                'reg.example.com:5000/k8s/'))

    def test_addon_images_of_a_release(self):
        images = addons.images('v1.35.9', TEMPLATES)
        self.assertIn(
            'registry.k8s.io/provider-os/cinder-csi-plugin:v1.35.0', images)
        self.assertIn(
            'registry.k8s.io/metrics-server/metrics-server:v0.8.1', images)
        self.assertFalse(any(':v1.36.0' in image for image in images))

    def test_what_a_mirror_and_registry_hold(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            addons.main(['v1.35.9', 'reg.example.com/k8s/'])
        lines = out.getvalue().splitlines()
        self.assertIn('image: registry.k8s.io/provider-os/cinder-csi-plugin:'
                      'v1.35.0 -> reg.example.com/k8s/cinder-csi-plugin:'
                      'v1.35.0', lines)
        pause = versions.release('v1.35.9').pause
        self.assertIn(f'image: registry.k8s.io/pause:{pause} -> '
                      f'reg.example.com/k8s/pause:{pause}', lines)
        self.assertTrue(any(line.startswith('mirror: ') and
                            line.endswith('/kubeadm') for line in lines))

    def test_cloud_credentials_reach_masters_only(self):
        # A workload that mounts the cloud config (trust credentials) must
        # be pinned to control-plane nodes; nothing ships a Secret.
        for path in os.listdir(os.path.join(TEMPLATES, 'addons')):
            with open(os.path.join(TEMPLATES, 'addons', path)) as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
            for doc in docs:
                self.assertNotEqual('Secret', doc['kind'], path)
                spec = doc.get('spec', {}).get('template', {}).get('spec')
                if not spec:
                    continue
                mounts_credentials = any(
                    (v.get('hostPath') or {}).get('path') ==
                    '/etc/kubernetes/cloud.conf'
                    for v in spec.get('volumes', []))
                on_masters = (spec.get('nodeSelector') or {}).get(
                    'node-role.kubernetes.io/control-plane') == ''
                self.assertEqual(mounts_credentials, on_masters,
                                 f'{path}: {doc["metadata"]["name"]}')
