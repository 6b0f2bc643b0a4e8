"""The Kubernetes versions magnum-lite supports, and what goes with each.

One table, ``RELEASES``: a Kubernetes minor to the versions of every
component a node installs or a first master applies. Everything else here
is derived from it: which ``kube_tag`` values are accepted, the
``component_versions`` Heat parameter (``KEY=value`` lines the node writes
to ``/etc/magnum-lite/versions.env``) and the add-on manifests the driver
puts in a stack's ``files`` map.

Where the versions come from (checked 2026-11-27 with the search tool, docs
and pages corpora; see ``doc/source/install/versions.rst``):

* Kubernetes: kubernetes.io/releases/1.35, /1.36 and /1.37. 1.35.9 and
  1.37.1 were released 2026-09-15; the newest 1.36 patch seen released is
  1.36.4 (2026-08-11). 1.34 reached end of life 2026-10-27, so 1.35 to
  1.37 are the three newest minors.
* containerd 2.3.5 (release notes of 2026-09-22; 2.3 is containerd's
  first LTS line aligned with Kubernetes' cadence), runc 1.4.4 (Alpine
  v3.24 package of 2026-11-12), CNI plugins 1.9.1 (Homebrew and Alpine
  v3.24 packages), pause 3.10.1 (used by Kubernetes since 1.34; v1.36.1's
  test data pins it).
* Calico 3.33.1 (GitHub release, 2026-11-16; the 3.33 docs list
  Kubernetes 1.35 to 1.37 as tested), Cilium 1.20.3 (1.18 to 1.20 are the
  maintained lines; 1.20.3 is the newest patch seen; its tested Kubernetes
  minors were not found).
* OpenStack cloud provider (cloud-controller-manager and Cinder CSI):
  v1.35.0 and v1.36.0 are tagged releases; no v1.37.0 was found, so
  Kubernetes 1.37 runs v1.36.0 (one minor behind, which the provider's
  clients tolerate as they only talk to the API server through client-go).
* metrics-server 0.8.1 (GitHub release).

Checksums: none of the artifacts' sha256 sums could be read from a
trustworthy source here, and none is invented. ``SHA256`` is therefore
empty; a node verifies each download against the ``SHA256SUMS`` file of the
mirror directory it comes from (see ``mirror_layout``), which the operator
fills from upstream's published checksums when populating the mirror, or
without a mirror against the sum upstream publishes next to the file
(``upstream_urls``). A pinned sum, once known, goes into ``SHA256`` and
wins over both.

The CNI manifests are too big for user data, so unlike the add-ons they
are not in the stack's files map: the first master downloads the one of
the cluster's CNI (``CNI_MANIFEST_PATH``) and checks it like any other
download.
"""

import dataclasses
import re

GITHUB = 'https://github.com'


@dataclasses.dataclass(frozen=True)
class Release:
    """The component versions for one Kubernetes minor."""

    kube: str
    containerd: str
    runc: str
    cni_plugins: str
    pause: str
    calico: str
    cilium: str
    cloud_provider: str
    metrics_server: str


R = Release
RELEASES = {
    (1, 37): R(kube='v1.37.1', containerd='2.3.5', runc='v1.4.4',
               cni_plugins='v1.9.1', pause='3.10.1', calico='v3.33.1',
               cilium='v1.20.3', cloud_provider='v1.36.0',
               metrics_server='v0.8.1'),
    (1, 36): R(kube='v1.36.4', containerd='2.3.5', runc='v1.4.4',
               cni_plugins='v1.9.1', pause='3.10.1', calico='v3.33.1',
               cilium='v1.20.3', cloud_provider='v1.36.0',
               metrics_server='v0.8.1'),
    (1, 35): R(kube='v1.35.9', containerd='2.3.5', runc='v1.4.4',
               cni_plugins='v1.9.1', pause='3.10.1', calico='v3.33.1',
               cilium='v1.20.3', cloud_provider='v1.35.0',
               metrics_server='v0.8.1'),
}
del R

# Pinned sha256 sums by mirror path (see mirror_layout). Empty on purpose:
# see the module docstring.
SHA256 = {}

NEWEST = max(RELEASES)
DEFAULT_KUBE_TAG = RELEASES[NEWEST].kube

# The CNIs the node knows how to install; their manifests are too big for
# user data (Calico's is several hundred KiB), so they come from the mirror.
CNI_MANIFESTS = {
    'calico': ('calico', 'calico.yaml'),
    'cilium': ('cilium', 'cilium.yaml'),
}

KUBE_TOOLS = ('kubeadm', 'kubelet', 'kubectl')

_TAG = re.compile(r'^v?(\d+)\.(\d+)(?:\.(\d+))?$')


class UnsupportedVersion(ValueError):
    """A kube_tag that is malformed or not of a supported minor."""


def parse(kube_tag):
    """``(major, minor, patch)`` of a kube_tag such as ``v1.36.4``;
    ``patch`` is None for a bare minor (``v1.36``)."""
    match = _TAG.match(str(kube_tag).strip())
    if not match:
        raise UnsupportedVersion(
            f'{kube_tag!r} is not a Kubernetes version such as '
            f'{DEFAULT_KUBE_TAG}')
    major, minor, patch = match.groups()
    return int(major), int(minor), None if patch is None else int(patch)


def compare(left, right):
    """-1, 0 or 1 as kube_tag ``left`` is older than, the same as or newer
    than ``right``; a bare minor sorts before its patches."""
    a = tuple(-1 if p is None else p for p in parse(left))
    b = tuple(-1 if p is None else p for p in parse(right))
    return (a > b) - (a < b)


def minor(kube_tag):
    """``(major, minor)`` of a kube_tag."""
    return parse(kube_tag)[:2]


def supported_minors():
    """The supported minors as strings, oldest first: ``['1.35', ...]``."""
    return [f'{major}.{minor_}' for major, minor_ in sorted(RELEASES)]


def release(kube_tag):
    """The Release of a supported kube_tag; UnsupportedVersion naming the
    supported minors otherwise."""
    key = minor(kube_tag)
    if key not in RELEASES:
        raise UnsupportedVersion(
            f'Kubernetes {key[0]}.{key[1]} is not supported; supported '
            f'minors: {", ".join(supported_minors())}')
    return RELEASES[key]


def check(kube_tag):
    """Raise UnsupportedVersion unless ``kube_tag`` is of a supported
    minor."""
    release(kube_tag)


def kube_version(kube_tag):
    """The full version to install: the tag itself, or for a bare minor
    the table's patch release."""
    major, minor_, patch = parse(kube_tag)
    if patch is None:
        return release(kube_tag).kube
    return f'v{major}.{minor_}.{patch}'


def _truthy(value, default):
    if value is None or value == '':
        return default
    return str(value).strip().lower() in ('true', '1', 'yes', 'on')


def cni(labels, network_driver=None):
    """The CNI of a cluster: label ``cni``, else the template's
    network_driver, else calico."""
    return ((labels or {}).get('cni') or network_driver or 'calico')


def mirror_layout(kube_tag, cni_name='calico'):
    """``{key: path}`` of every file a node downloads, relative to the
    binary mirror. Each directory of the mirror holds a ``SHA256SUMS``
    file for its files."""
    rel = release(kube_tag)
    kube = kube_version(kube_tag)
    paths = {
        # A directory: kubeadm, kubelet and kubectl (KUBE_TOOLS).
        'KUBE': f'release/{kube}/bin/linux/amd64',
        'CONTAINERD': (f'containerd/v{rel.containerd}/containerd-'
                       f'{rel.containerd}-linux-amd64.tar.gz'),
        'RUNC': f'runc/{rel.runc}/runc.amd64',
        'CNI_PLUGINS': (f'cni-plugins/{rel.cni_plugins}/cni-plugins-'
                        f'linux-amd64-{rel.cni_plugins}.tgz'),
    }
    if cni_name in CNI_MANIFESTS:
        project, name = CNI_MANIFESTS[cni_name]
        version = getattr(rel, cni_name)
        paths['CNI_MANIFEST'] = f'{project}/{version}/{name}'
    return paths


def upstream_urls(kube_tag, cni_name='calico'):
    """``{key: URL}`` of the same files at their upstream download sites,
    for clusters without a binary mirror. Cilium publishes no static
    manifest (it is rendered from its Helm chart), so it needs a mirror."""
    rel = release(kube_tag)
    urls = {
        'KUBE': f'https://dl.k8s.io/release/{kube_version(kube_tag)}'
                f'/bin/linux/amd64',
        'CONTAINERD': (f'{GITHUB}/containerd/containerd/releases/download/'
                       f'v{rel.containerd}/containerd-{rel.containerd}-'
                       f'linux-amd64.tar.gz'),
        'RUNC': (f'{GITHUB}/opencontainers/runc/releases/download/'
                 f'{rel.runc}/runc.amd64'),
        'CNI_PLUGINS': (f'{GITHUB}/containernetworking/plugins/releases/'
                        f'download/{rel.cni_plugins}/cni-plugins-linux-'
                        f'amd64-{rel.cni_plugins}.tgz'),
    }
    if cni_name == 'calico':
        urls['CNI_MANIFEST'] = (
            f'https://raw.githubusercontent.com/projectcalico/calico/'
            f'{rel.calico}/manifests/calico.yaml')
    elif cni_name in CNI_MANIFESTS:
        urls['CNI_MANIFEST'] = ''
    return urls


def component_versions(kube_tag, labels=None, network_driver=None):
    """The ``component_versions`` Heat parameter: ``KEY=value`` lines,
    sorted, for ``/etc/magnum-lite/versions.env``. For each download
    ``<KEY>_PATH`` is relative to BINARY_MIRROR_URL (node.env; KUBE_PATH
    is the directory of kubeadm, kubelet and kubectl, whose sums are
    KUBEADM_SHA256, KUBELET_SHA256, KUBECTL_SHA256) and
    ``<KEY>_UPSTREAM`` is its upstream URL when there is no mirror (empty:
    a mirror is required); ``<KEY>_SHA256`` is empty when no sum is pinned
    and the mirror's SHA256SUMS (or upstream's published sum) applies."""
    labels = labels or {}
    rel = release(kube_tag)
    cni_name = cni(labels, network_driver)
    values = {
        'KUBE_VERSION': kube_version(kube_tag),
        'CONTAINERD_VERSION': rel.containerd,
        'RUNC_VERSION': rel.runc,
        'CNI_PLUGINS_VERSION': rel.cni_plugins,
        'PAUSE_IMAGE': f'registry.k8s.io/pause:{rel.pause}',
        'CNI': cni_name,
        'CLOUD_PROVIDER_VERSION': rel.cloud_provider,
        'METRICS_SERVER_VERSION': rel.metrics_server,
        'CLOUD_PROVIDER_ENABLED': str(_truthy(
            labels.get('cloud_provider_enabled'), True)).lower(),
        'CINDER_CSI_ENABLED': str(_truthy(
            labels.get('cinder_csi_enabled'), True)).lower(),
    }
    if cni_name in CNI_MANIFESTS:
        values['CNI_VERSION'] = getattr(rel, cni_name)
    upstream = upstream_urls(kube_tag, cni_name)
    for key, path in mirror_layout(kube_tag, cni_name).items():
        values[f'{key}_PATH'] = path
        values[f'{key}_UPSTREAM'] = upstream[key]
        if key == 'KUBE':
            # A directory: one sum per binary in it.
            for tool in KUBE_TOOLS:
                values[f'{tool.upper()}_SHA256'] = SHA256.get(
                    f'{path}/{tool}', '')
        else:
            values[f'{key}_SHA256'] = SHA256.get(path, '')
    return '\n'.join(f'{k}={v}' for k, v in sorted(values.items())) + '\n'


def rewrite_image(ref, prefix):
    """An image reference as a node pulls it: with a container_infra_prefix
    the prefix + the image's basename:tag (Magnum's semantics), else
    unchanged."""
    if not prefix:
        return ref
    return prefix + ref.rsplit('/', 1)[-1]


def rst_table():
    """The supported-versions table of the docs, as reStructuredText."""
    header = ('Kubernetes', 'containerd', 'runc', 'CNI plugins', 'pause',
              'Calico', 'Cilium', 'OpenStack cloud provider',
              'metrics-server')
    rows = [header] + [
        (rel.kube, rel.containerd, rel.runc, rel.cni_plugins, rel.pause,
         rel.calico, rel.cilium, rel.cloud_provider, rel.metrics_server)
        for _, rel in sorted(RELEASES.items(), reverse=True)]
    return _grid(rows)


def _grid(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = ' '.join('=' * w for w in widths)
    lines = [rule, _line(rows[0], widths), rule]
    lines += [_line(row, widths) for row in rows[1:]]
    lines.append(rule)
    return '\n'.join(lines) + '\n'


def _line(row, widths):
    cells = zip(row, widths, strict=True)
    return ' '.join(cell.ljust(w) for cell, w in cells).rstrip()
