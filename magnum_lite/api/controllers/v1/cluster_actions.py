"""``/v1/clusters/{ident}/actions/resize`` and ``.../upgrade``."""

from magnum_lite.api import cluster_requests
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import microversions as mv
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api import work
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.api.schemas import cluster as schema
from magnum_lite.cluster import nodegroup_checks
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.cluster import upgrades
from magnum_lite.cluster import versions
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.common.policies import cluster as rules
from magnum_lite.db import api as db_api


def _nodegroup(cluster, ident):
    if ident:
        return db_api.nodegroup_get(cluster.uuid, ident)
    nodegroups = db_api.nodegroups_by_cluster([cluster.uuid])[cluster.uuid]
    worker = nodegroup_facts.default_nodegroup(nodegroups,
                                               nodegroup_facts.WORKER)
    if worker is None:
        raise exception.NodeGroupNotFound(nodegroup='default-worker')
    return worker


@endpoint.declare('POST', '/clusters/{ident}/actions/resize',
                  policy=rules.RESIZE, min_version=mv.RESIZE,
                  body=documents.request('ClusterResize', schema.RESIZE),
                  status=202, reply=documents.ACCEPTED)
def resize(request, ident):
    """Resize one nodegroup, optionally naming the servers to remove."""
    request.check_query()
    body = validation.validate(schema.RESIZE, request.json('cluster'),
                               'cluster')
    cluster = clusters.load(request, ident)
    request.authorize(scope.target_of(cluster))
    nodegroup = _nodegroup(cluster, body.get('nodegroup'))
    count = body['node_count']
    if nodegroup.role == nodegroup_facts.MASTER:
        # Leaving masters leave etcd first (drivers/heat/departures.py).
        nodegroup_checks.check_master_count(count, cluster.master_lb_enabled)
    else:
        cluster_requests.check_zero_nodes(request, count)
        nodegroup_checks.check_range(nodegroup, count)
    work.claim(
        cluster.uuid, operations.CLUSTER_RESIZE,
        args={'nodegroup': nodegroup.uuid, 'node_count': count,
              'nodes_to_remove': body.get('nodes_to_remove') or []},
        nodegroup_updates={nodegroup.uuid: {'node_count': count,
                                            'status': states.UPDATING}})
    work.start(request, operations.CLUSTER_RESIZE, cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)


def _check_same_cni(cluster, old_template, template, changes):
    """400 when the upgrade would change the pod network: only the
    first master installs it, at cluster creation."""
    labels = changes['cluster'].get('labels', cluster.labels)
    before = versions.cni(cluster.labels, old_template.network_driver)
    after = versions.cni(labels, template.network_driver)
    if before != after:
        raise exception.InvalidParameterValue(
            err=f'Cannot upgrade: the pod network would change from '
                f'{before} to {after} (network_driver or the cni label); '
                f'an upgrade keeps the network of the cluster.')


# Routed from 1.7 as in Magnum, which refuses it below 1.8 with a 400.
@endpoint.declare('POST', '/clusters/{ident}/actions/upgrade',
                  policy=rules.UPGRADE, min_version=mv.RESIZE,
                  body=documents.request('ClusterUpgrade', schema.UPGRADE),
                  status=202, reply=documents.ACCEPTED)
def upgrade(request, ident):
    """Move a cluster (or one nodegroup) to another template."""
    request.check_query()
    if not request.at_least(mv.UPGRADE):
        raise exception.InvalidParameterValue(
            err='Cluster upgrade is not supported in the provided '
                'microversion.')
    body = validation.validate(schema.UPGRADE, request.json('cluster'),
                               'cluster')
    cluster = clusters.load(request, ident, rules.UPGRADE_ALL_PROJECTS)
    request.authorize(scope.target_of(cluster))
    template = cluster_requests.find_template(
        request, body['cluster_template'], create=False)
    nodegroup = _nodegroup(cluster, body.get('nodegroup'))
    if not nodegroup.is_default and \
            template.uuid != cluster.cluster_template_id:
        raise exception.Conflict(
            f'Cluster Template is not valid for upgrade: Nodegroup '
            f'{nodegroup.name} can be upgraded only to match cluster\'s '
            f'template ({cluster.cluster_template_id}).')
    work.check_state(operations.CLUSTER_UPGRADE, cluster)
    current, target = upgrades.current_and_target(cluster, nodegroup,
                                                  template)
    try:
        upgrades.check_step(current, target)
    except upgrades.UpgradeRefused as err:
        raise exception.InvalidParameterValue(err=str(err)) from err
    old_template = db_api.templates_by_uuid(
        [cluster.cluster_template_id])[cluster.cluster_template_id]
    nodegroups = db_api.nodegroups_by_cluster([cluster.uuid])[cluster.uuid]
    # What the rows become on success: the driver renders the stack from
    # them, settle writes them (see cluster/upgrades.py).
    changes = upgrades.changes(cluster, nodegroups, old_template, template,
                               nodegroup)
    _check_same_cni(cluster, old_template, template, changes)
    work.claim(
        cluster.uuid, operations.CLUSTER_UPGRADE,
        args={'cluster_template': template.uuid,
              'max_batch_size': body.get('max_batch_size') or 1,
              'nodegroup': nodegroup.uuid, 'changes': changes},
        nodegroup_updates={uuid: {'status': states.UPDATING}
                           for uuid in changes['nodegroups']})
    work.start(request, operations.CLUSTER_UPGRADE, cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)

