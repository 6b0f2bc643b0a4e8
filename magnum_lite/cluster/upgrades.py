"""What a cluster upgrade (API 1.8 ``actions/upgrade``) changes, decided once.

The API decides the upgrade when it claims the cluster: :func:`check_step`
refuses version steps the nodes cannot take, and :func:`changes` computes
the values the cluster and its nodegroups will have once upgraded. Those
values travel in the claim's ``operation_args['changes']``; the Heat driver
renders the stack from the rows with the changes applied, and
``provisioning.settle`` writes the very same values when the stack update
succeeds. Until then the rows keep the old template, labels and image, so a
failed upgrade leaves the database describing the cluster as it was and
``actions/upgrade`` again retries it (a plain update instead rolls the
nodes back to the recorded version).
"""

from magnum_lite.cluster import labels as label_table
from magnum_lite.cluster import versions


class UpgradeRefused(ValueError):
    """A version step the API refuses (its message names both versions)."""


def kube_tag(labels):
    """The kube_tag a set of labels runs (the declared default if none)."""
    return ((labels or {}).get('kube_tag')
            or label_table.BY_NAME['kube_tag'].default)


def check_step(current, target):
    """Raise UpgradeRefused unless nodes on kube_tag ``current`` may be
    replaced by nodes on ``target``: a supported minor, not older, at most
    one minor newer (kubeadm upgrades one minor at a time)."""
    prefix = f'Cannot upgrade from Kubernetes {current} to {target}'
    try:
        versions.check(target)
    except versions.UnsupportedVersion as err:
        raise UpgradeRefused(f'{prefix}: {err}') from err
    try:
        now = versions.minor(current)
    except versions.UnsupportedVersion as err:
        raise UpgradeRefused(f'{prefix}: {err}') from err
    if versions.compare(_resolved(target), _resolved(current)) < 0:
        raise UpgradeRefused(f'{prefix}: downgrades are not supported.')
    step = versions.minor(target)
    if step[0] != now[0] or step[1] > now[1] + 1:
        raise UpgradeRefused(
            f'{prefix}: an upgrade may not skip a minor version; upgrade to '
            f'{now[0]}.{now[1] + 1} first.')


def _resolved(tag):
    """A bare minor (v1.36) as the patch release it installs."""
    try:
        return versions.kube_version(tag)
    except versions.UnsupportedVersion:
        return tag


def _follow(labels, old, new, target_tag):
    """``labels`` moved from template labels ``old`` to ``new``: a label
    whose value came from the old template (equal or absent there) takes
    the new template's value, one set by the user stays; kube_tag is
    always the target's."""
    old, new = old or {}, new or {}
    result = {}
    for name, value in (labels or {}).items():
        inherited = name in old and old[name] == value
        if inherited and name not in new:
            continue
        result[name] = new[name] if inherited else value
    for name, value in new.items():
        result.setdefault(name, value)
    result['kube_tag'] = target_tag
    return result


def changes(cluster, nodegroups, old_template, new_template, nodegroup):
    """``{'cluster': values, 'nodegroups': {uuid: values}}`` an upgrade
    writes on success.

    Upgrading the cluster (``nodegroup`` is a default one) moves the
    cluster to ``new_template`` (its template id and the labels that
    followed the old template) and both default nodegroups to its image
    and labels; extra nodegroups keep their own stacks and are upgraded one
    by one afterwards, each to the cluster's template: its image and the
    cluster's kube_tag.
    """
    if not nodegroup.is_default:
        target = kube_tag(cluster.labels)
        labels = dict(nodegroup.labels or {})
        if 'kube_tag' in labels:
            labels['kube_tag'] = target
        return {'cluster': {}, 'nodegroups': {nodegroup.uuid: {
            'image_id': new_template.image_id, 'labels': labels}}}
    target = kube_tag(new_template.labels)
    result = {'cluster': {
        'cluster_template_id': new_template.uuid,
        'labels': _follow(cluster.labels, old_template.labels,
                          new_template.labels, target)},
        'nodegroups': {}}
    for ng in nodegroups:
        if ng.is_default:
            result['nodegroups'][ng.uuid] = {
                'image_id': new_template.image_id,
                'labels': _follow(ng.labels, old_template.labels,
                                  new_template.labels, target)}
    return result


def current_and_target(cluster, nodegroup, new_template):
    """(kube_tag now, kube_tag after) of the upgraded part of a cluster."""
    if nodegroup.is_default:
        return kube_tag(cluster.labels), kube_tag(new_template.labels)
    ours = dict(cluster.labels or {}, **(nodegroup.labels or {}))
    return kube_tag(ours), kube_tag(cluster.labels)


def apply(row, values):
    """A row dict with ``values`` (one side of :func:`changes`) applied."""
    return dict(row, **(values or {}))
