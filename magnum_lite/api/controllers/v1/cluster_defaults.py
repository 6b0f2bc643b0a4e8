"""How a cluster create request becomes rows: template defaults, label
merging, default nodegroups and the checks that go with them."""

from magnum_lite.api import microversions as mv
from magnum_lite.api.schemas import types
from magnum_lite.cluster import labels as label_table
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.cluster import versions
from magnum_lite.common import exception
from magnum_lite.common import names
from magnum_lite.common import states
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

# Cluster fields that fall back to the template's when absent or empty.
_INHERITED = {'docker_volume_size': 'docker_volume_size',
              'master_flavor_id': 'master_flavor_id',
              'flavor_id': 'flavor_id',
              'fixed_network': 'fixed_network',
              'fixed_subnet': 'fixed_subnet',
              'floating_ip_enabled': 'floating_ip_enabled',
              'master_lb_enabled': 'master_lb_enabled',
              'keypair': 'keypair_id'}


def find_template(request, ident, create=True):
    """The template a cluster create (or, ``create`` False, an upgrade)
    names: uuid, name or integer id. Only cluster create answers 400 for
    a missing template below 1.10; an upgrade always answers 404."""
    visible_to = (None if request.context.is_admin
                  else request.context.project_id)
    try:
        if isinstance(ident, int) or str(ident).isdigit():
            if not 0 < int(ident) <= types.INT_MAX:
                # No row has such an id; the database would fail on it.
                raise exception.ClusterTemplateNotFound(
                    clustertemplate=ident)
            template = db_api.template_get_by_id(int(ident), visible_to)
        else:
            template = db_api.template_get(ident, visible_to)
    except exception.ClusterTemplateNotFound:
        if request.at_least(mv.ZERO_NODES) or not create:
            raise
        raise exception.ClusterTemplateNotFoundBadRequest(
            clustertemplate=ident)
    if template.hidden and not request.context.is_admin:
        raise exception.NotAuthorized()
    return template


def check_zero_nodes(request, node_count):
    """Zero-node nodegroups exist from microversion 1.10."""
    if node_count == 0 and not request.at_least(mv.ZERO_NODES):
        raise exception.InvalidParameterValue(
            err='Resizing a nodegroup to zero is not supported in the '
                'provided microversion.')


def check_range(nodegroup, node_count):
    """A worker nodegroup stays within its min/max node counts."""
    low, high = nodegroup.min_node_count, nodegroup.max_node_count
    if node_count < low or (high is not None and node_count > high):
        raise exception.InvalidParameterValue(
            err=f'Resizing {nodegroup.name} outside the allowed range: '
                f'min_node_count = {low}, max_node_count = {high}')


def check_quota(project_id):
    """403 once the project owns as many clusters as it may."""
    quota = db_api.quota_get(project_id, 'Cluster')
    limit = (quota.hard_limit if quota is not None
             else CONF.quotas.max_clusters_per_project)
    if db_api.cluster_count(project_id) >= limit:
        raise exception.QuotaExceeded(limit=limit)


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


def merged_labels(base, given, merge):
    """Labels of a new cluster or nodegroup: ``given`` if any (overlaid on
    ``base`` when ``merge``), else a copy of ``base``."""
    if not given:
        return dict(base or {})
    if merge:
        return dict(base or {}, **given)
    return dict(given)


def _check_masters(master_count, master_lb_enabled):
    if master_count % 2 == 0:
        raise exception.InvalidParameterValue(
            err=f'master nodegroup size of {master_count} is invalid, size '
                f'cannot be an even number.')
    if master_count > 1 and not master_lb_enabled:
        raise exception.InvalidParameterValue(
            err='master_count must be 1 when master_lb_enabled is False')


def apply(request, body, template):
    """Return (cluster values, [nodegroup values]) for a create body."""
    master_count = body.get('master_count') or 1
    node_count = body.get('node_count')
    node_count = 1 if node_count is None else node_count
    check_zero_nodes(request, node_count)
    values = {
        'name': body.get('name') or names.generate('cluster'),
        'cluster_template_id': template.uuid,
        'project_id': request.context.project_id,
        'user_id': request.context.user_id,
        'create_timeout': (60 if body.get('create_timeout') is None
                           else body['create_timeout']),
        'discovery_url': body.get('discovery_url'),
        'labels': merged_labels(template.labels, body.get('labels'),
                                body.get('merge_labels')),
        'status': states.CREATING,
        'operation': operations.CLUSTER_CREATE.name,
    }
    for field, source in _INHERITED.items():
        given = body.get(field)
        values[field] = (getattr(template, source)
                         if given is None or given == '' else given)
    _check_masters(master_count, values['master_lb_enabled'])
    check_labels(values['labels'])
    check_cni(values['labels'], template.network_driver)
    return values, _default_nodegroups(values, template, master_count,
                                       node_count)


def _default_nodegroups(values, template, master_count, node_count):
    common = {'image_id': template.image_id,
              'docker_volume_size': values['docker_volume_size'],
              'labels': dict(values['labels']),
              'project_id': values['project_id'],
              'status': states.CREATING, 'is_default': True}
    min_nodes = values['labels'].get('min_node_count', '0')
    return [
        dict(common, name='default-master', role=nodegroup_facts.MASTER,
             node_count=master_count, min_node_count=0,
             flavor_id=values['master_flavor_id']),
        dict(common, name='default-worker', role=nodegroup_facts.WORKER,
             node_count=node_count,
             min_node_count=int(min_nodes) if str(min_nodes).isdigit() else 0,
             flavor_id=values['flavor_id']),
    ]
