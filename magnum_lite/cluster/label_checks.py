"""The checks of a cluster's or nodegroup's labels as the API answers
them (400 naming the label): declared values, the pod network, a
nodegroup's Kubernetes minor against its cluster's."""

from magnum_lite.cluster import labels as label_table
from magnum_lite.cluster import versions
from magnum_lite.common import exception


def check_labels(labels):
    """400 naming the label when a declared label's value does not fit
    its declaration (cluster/labels.py); unknown labels pass."""
    try:
        label_table.check(labels)
    except label_table.InvalidLabel as err:
        raise exception.InvalidParameterValue(err=str(err)) from err


def check_cni(labels, network_driver):
    """400 when the cluster's pod network (label ``cni``, else the
    template's network_driver) is one the nodes cannot install: Magnum
    templates may still say flannel."""
    name = versions.cni(labels, network_driver)
    if name not in versions.CNI_MANIFESTS:
        raise exception.InvalidParameterValue(
            err=f'network_driver {name} is not supported by magnum-lite '
                f'clusters; use one of '
                f'{", ".join(sorted(versions.CNI_MANIFESTS))} (the '
                f'template\'s network_driver or the cni label)')


def check_nodegroup_kube_tag(cluster_labels, labels):
    """400 naming kube_tag when a nodegroup's Kubernetes minor is newer
    than its cluster's: a kubelet may not be newer than the API server."""
    default = label_table.BY_NAME['kube_tag'].default
    ours = (labels or {}).get('kube_tag') or default
    theirs = (cluster_labels or {}).get('kube_tag') or default
    try:
        newer = versions.minor(ours) > versions.minor(theirs)
    except versions.UnsupportedVersion:
        return  # check_labels reports a malformed tag; the cluster's is old
    if newer:
        raise exception.InvalidParameterValue(
            err=f'Invalid value {ours!r} for label kube_tag: a nodegroup '
                f'cannot run a newer Kubernetes minor than its cluster '
                f'({theirs}).')
