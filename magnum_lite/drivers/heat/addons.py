"""Where the Heat templates keep the add-on manifests of each release.

A template reads an add-on by a fixed name (``addons/cinder-csi.yaml``)
with ``get_file``; each stack's files map points that name at the
manifest of the version its Kubernetes release runs
(``addons/cinder-csi-<version>.yaml``, the versions from
``cluster/versions.py``). Run as ``python -m
magnum_lite.drivers.heat.addons KUBE_TAG [PREFIX]`` it prints what an
air-gapped mirror and registry must hold for that release.
"""

import os
import re
import sys

from magnum_lite.cluster import versions

# The fixed name a template reads -> (file name stem, Release field).
ADDONS = {
    'cloud-controller-manager.yaml': (
        'openstack-cloud-controller-manager', 'cloud_provider'),
    'cinder-csi.yaml': ('cinder-csi', 'cloud_provider'),
    'metrics-server.yaml': ('metrics-server', 'metrics_server'),
}

_IMAGE = re.compile(r'^\s*image:\s*(\S+)\s*$', re.M)


def path(stem, version):
    """Path of a versioned add-on manifest, relative to the template
    directory."""
    return os.path.join('addons', f'{stem}-{version}.yaml')


def files(kube_tag):
    """``{fixed name: versioned path}`` for a stack's files map: the fixed
    names the templates read (``addons/cloud-controller-manager.yaml``...)
    to the files of the versions this kube_tag runs, relative to the
    template directory. Every fixed name is always mapped (a template's
    get_file must resolve); whether an add-on is applied is the node's
    choice (CLOUD_PROVIDER_ENABLED, CINDER_CSI_ENABLED,
    metrics_server_enabled)."""
    release = versions.release(kube_tag)
    return {os.path.join('addons', fixed):
            path(stem, getattr(release, field))
            for fixed, (stem, field) in ADDONS.items()}


def images(kube_tag, template_dir):
    """Every image the add-on manifests of ``kube_tag`` name, sorted
    (what an air-gapped registry must hold besides kubeadm's images)."""
    found = set()
    for relative in files(kube_tag).values():
        with open(os.path.join(template_dir, relative)) as f:
            found.update(_IMAGE.findall(f.read()))
    return sorted(found)


def main(argv):
    """Print the mirror paths and add-on images of a kube_tag, for an
    operator filling a mirror and a registry."""
    from magnum_lite.drivers.heat import templates

    kube_tag, prefix = argv[0], (argv[1] if len(argv) > 1 else '')
    paths = set()
    for cni_name in versions.CNI_MANIFESTS:
        for key, mirrored in versions.mirror_layout(kube_tag,
                                                    cni_name).items():
            tools = versions.KUBE_TOOLS if key == 'KUBE' else ('',)
            paths.update(f'{mirrored}/{tool}'.rstrip('/') for tool in tools)
    for mirrored in sorted(paths):
        print(f'mirror: {mirrored}')
    release = versions.release(kube_tag)
    found = images(kube_tag, templates.template_dir())
    found.append(f'registry.k8s.io/pause:{release.pause}')
    for image in sorted(set(found)):
        print(f'image: {image} -> {versions.rewrite_image(image, prefix)}')


if __name__ == '__main__':
    main(sys.argv[1:])
