"""``/v1/clusters/{cluster}/nodegroups`` (microversion 1.9)."""

from oslo_utils import uuidutils

from magnum_lite.api import cluster_requests
from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import jsonpatch
from magnum_lite.api import microversions as mv
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api import work
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.api.schemas import nodegroup as schema
from magnum_lite.cluster import cloud_checks
from magnum_lite.cluster import defaults
from magnum_lite.cluster import label_checks
from magnum_lite.cluster import nodegroup_checks
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.common.policies import nodegroup as rules
from magnum_lite.db import api as db_api
from magnum_lite.db import models

LIST_FIELDS = ('uuid', 'name', 'flavor_id', 'image_id', 'node_count', 'role',
               'min_node_count', 'max_node_count', 'is_default', 'stack_id',
               'status', 'merge_labels')
FIELDS = ('id', 'uuid', 'name', 'cluster_id', 'project_id',
          'docker_volume_size', 'labels', 'links', 'flavor_id', 'image_id',
          'node_addresses', 'node_count', 'role', 'min_node_count',
          'max_node_count', 'is_default', 'stack_id', 'status',
          'status_reason', 'version', 'merge_labels', 'labels_overridden',
          'labels_added', 'labels_skipped', 'node_labels', 'node_taints',
          'created_at', 'updated_at')
_SOURCES = (schema.CREATE_1_14, schema.PATCH_DOCUMENT)
_EXTRA = dict(
    {k: documents.nullable('object') for k in (
        'labels_overridden', 'labels_added', 'labels_skipped')},
    node_addresses=documents.nullable('array', items={'type': 'string'}),
    id=documents.nullable('integer'),
    is_default=documents.nullable('boolean'),
    **{k: documents.nullable('string') for k in (
        'status', 'status_reason', 'version', 'stack_id', 'project_id',
        'cluster_id')})
NODEGROUP = documents.resource('NodeGroup', FIELDS, _SOURCES, _EXTRA)
_SUMMARY = documents.resource(
    'NodeGroupSummary', LIST_FIELDS, _SOURCES,
    {k: _EXTRA[k] for k in ('is_default', 'status', 'stack_id')})
_NG = '/clusters/{cluster_ident}/nodegroups'
_LABELED = ('node_labels', 'node_taints')
_NOT_YET = ('id', 'status', 'stack_id', 'created_at', 'updated_at')


def serialize(request, nodegroup, cluster=None, fields=FIELDS):
    """A nodegroup as the API shows it; ``cluster`` gives labels_*."""
    values = {f: getattr(nodegroup, f, None) for f in FIELDS}
    values['status'] = states.magnum_status(nodegroup.status)
    values['merge_labels'] = False
    values['links'] = collection.links(
        request, f'clusters/{nodegroup.cluster_id}/nodegroups/'
                 f'{nodegroup.uuid}')
    for stamp in ('created_at', 'updated_at'):
        values[stamp] = collection.timestamp(values[stamp])
    if cluster is not None:
        values.update(clusters.label_diff(cluster.labels, nodegroup.labels))
    return {f: values[f] for f in fields
            if f not in _LABELED or request.at_least(mv.NODE_LABELS)}


def _cluster(request, cluster_ident, all_projects_rule=None):
    return clusters.load(request, cluster_ident, all_projects_rule)


def _find(cluster, ident):
    """A nodegroup of ``cluster`` by uuid, name or integer id."""
    if ident.isdigit() and (not ident.isascii()
                            or int(ident) > schema.INT_MAX):
        # No row has such an id, and the database layer would fail on
        # the number (or on int() of a non-ASCII digit such as '²').
        raise exception.NodeGroupNotFound(nodegroup=ident)
    return db_api.nodegroup_get(cluster.uuid, ident)


@endpoint.declare('GET', _NG, policy=rules.GET_ALL,
                  min_version=mv.NODEGROUPS,
                  query=(*endpoint.PAGING, endpoint.Query('role')),
                  reply=documents.collection('NodeGroupCollection',
                                             'nodegroups', _SUMMARY))
def get_all(request, cluster_ident):
    """List a cluster's nodegroups (``role`` filters)."""
    request.authorize(scope.own_target(request))
    paging = collection.paging(request, models.NodeGroup)
    cluster = _cluster(request, cluster_ident, rules.GET_ALL_ALL_PROJECTS)
    rows = db_api.nodegroup_list(cluster.uuid, role=request.params.get('role'),
                                 **paging)
    return collection.collection(
        request, 'nodegroups',
        [serialize(request, r, fields=LIST_FIELDS) for r in rows], paging,
        f'clusters/{cluster.uuid}/nodegroups', lambda item: item['uuid'])


@endpoint.declare('GET', _NG + '/{ident}', policy=rules.GET,
                  min_version=mv.NODEGROUPS, reply=NODEGROUP)
def get_one(request, cluster_ident, ident):
    """Show one nodegroup."""
    request.check_query()
    request.authorize(scope.own_target(request))
    cluster = _cluster(request, cluster_ident, rules.GET_ONE_ALL_PROJECTS)
    nodegroup = _find(cluster, ident)
    return serialize(request, nodegroup, cluster)


@endpoint.declare('POST', _NG, policy=rules.CREATE, min_version=mv.NODEGROUPS,
                  body=documents.request('NodeGroupCreate',
                                         schema.CREATE_1_14),
                  status=202, reply=NODEGROUP)
def create(request, cluster_ident):
    """Add a worker nodegroup to a cluster: 202."""
    request.check_query()
    request.authorize(scope.own_target(request))
    create_schema = (schema.CREATE_1_14 if request.at_least(mv.NODE_LABELS)
                     else schema.CREATE)
    body = validation.validate(create_schema, request.json('nodegroup'),
                               'nodegroup')
    cluster = _cluster(request, cluster_ident)
    if not cluster.api_address:
        raise exception.ApiAddressNotReady()
    values = _new_values(request, cluster, body)
    cloud_checks.check_nodegroup(request.context, values)
    work.claim(cluster.uuid, operations.NODEGROUP_CREATE,
               args={'nodegroup': values['uuid']}, new_nodegroups=[values])
    work.start(request, operations.NODEGROUP_CREATE, cluster.uuid)
    # Like Magnum: the row is the conductor's to settle, so the answer
    # has no id, status, stack id or timestamps yet.
    body = serialize(request, models.NodeGroup(**values), cluster)
    for field in _NOT_YET:
        body.pop(field, None)
    return routing.Reply(body, 202)


def _new_values(request, cluster, body):
    name = body['name']
    role = body.get('role') or nodegroup_facts.WORKER
    if role == nodegroup_facts.MASTER:
        raise exception.InvalidParameterValue(
            err='Creating master nodegroups is currently not supported.')
    node_count = defaults.node_count(body)
    cluster_requests.check_zero_nodes(request, node_count)
    min_count = body.get('min_node_count') or 0
    nodegroup_checks.check_sizes(name, node_count, min_count,
                                 body.get('max_node_count'))
    nodegroup_checks.check_node_labels(name, role, body.get('node_labels'))
    nodegroup_checks.check_node_taints(name, role, body.get('node_taints'))
    labels = defaults.merged_labels(
        cluster.labels, body.get('labels'), body.get('merge_labels'))
    label_checks.check_labels(labels)
    label_checks.check_nodegroup_kube_tag(cluster.labels, labels)
    template = db_api.templates_by_uuid(
        [cluster.cluster_template_id])[cluster.cluster_template_id]
    return {
        'uuid': uuidutils.generate_uuid(), 'name': name,
        'cluster_id': cluster.uuid, 'project_id': cluster.project_id,
        'role': role, 'node_count': node_count, 'min_node_count': min_count,
        'max_node_count': body.get('max_node_count'),
        'flavor_id': body.get('flavor_id') or cluster.flavor_id,
        'image_id': body.get('image_id') or template.image_id,
        'docker_volume_size': body.get('docker_volume_size'),
        'labels': labels,
        'node_labels': body.get('node_labels') or {},
        'node_taints': body.get('node_taints') or [],
        'is_default': False, 'status': states.CREATING,
        'node_addresses': [],
    }


@endpoint.declare('PATCH', _NG + '/{ident}', policy=rules.UPDATE,
                  min_version=mv.NODEGROUPS, body=documents.JSON_PATCH,
                  status=202, reply=NODEGROUP)
def patch(request, cluster_ident, ident):
    """Change min/max node counts (and node labels/taints): 202."""
    request.check_query()
    request.authorize(scope.own_target(request))
    internal = schema.PATCH_INTERNAL
    if not request.at_least(mv.NODE_LABELS):
        internal += ('/node_labels', '/node_taints')
    ops = jsonpatch.validate_ops(request.json('patch'), internal=internal)
    cluster = _cluster(request, cluster_ident)
    nodegroup = _find(cluster, ident)
    current = {f: getattr(nodegroup, f) for f in
               schema.PATCH_DOCUMENT['properties']}
    patched = jsonpatch.apply(current, ops, {'min_node_count': 0},
                              structured=_LABELED)
    patched = validation.validate(
        dict(schema.PATCH_DOCUMENT, additionalProperties=False), patched,
        'nodegroup')
    validation.check_document(schema.PATCH_DOCUMENT, patched)
    changes = {k: v for k, v in patched.items() if v != current[k]}
    _check_patch(nodegroup, patched)
    if changes:
        _write_patch(request, cluster, nodegroup, changes)
    for key, value in changes.items():
        setattr(nodegroup, key, value)
    return routing.Reply(serialize(request, nodegroup, cluster), 202)


def _check_patch(nodegroup, patched):
    nodegroup_checks.check_sizes(nodegroup.name, nodegroup.node_count,
                                 patched['min_node_count'],
                                 patched['max_node_count'])
    nodegroup_checks.check_node_labels(nodegroup.name, nodegroup.role,
                                       patched['node_labels'])
    nodegroup_checks.check_node_taints(nodegroup.name, nodegroup.role,
                                       patched['node_taints'])


def _write_patch(request, cluster, nodegroup, changes):
    if set(changes) & set(_LABELED):
        # Labels and taints must reach the nodes: that is conductor work.
        work.claim(
            cluster.uuid, operations.NODEGROUP_UPDATE,
            args={'nodegroup': nodegroup.uuid},
            nodegroup_updates={nodegroup.uuid: dict(
                changes, status=states.UPDATING)})
        work.start(request, operations.NODEGROUP_UPDATE, cluster.uuid)
    else:
        # Size bounds are bookkeeping for the autoscaler only.
        db_api.nodegroup_update(nodegroup.uuid, changes)


@endpoint.declare('DELETE', _NG + '/{ident}', policy=rules.DELETE,
                  min_version=mv.NODEGROUPS, status=204)
def delete(request, cluster_ident, ident):
    """Delete a non-default nodegroup: 204."""
    request.check_query()
    request.authorize(scope.own_target(request))
    cluster = _cluster(request, cluster_ident)
    nodegroup = _find(cluster, ident)
    if nodegroup.is_default:
        raise exception.InvalidParameterValue(
            err='Deleting a default nodegroup is not supported.')
    if nodegroup.status == states.DELETING:
        # Accepted again, as by Magnum, but nothing is sent: the delete
        # under way ends with the nodegroup gone (and a lost cast is
        # re-driven by the conductors' stuck-work periodic).
        return routing.Reply(None, 204)
    work.claim(
        cluster.uuid, operations.NODEGROUP_DELETE,
        args={'nodegroup': nodegroup.uuid},
        nodegroup_updates={nodegroup.uuid: {'status': states.DELETING}})
    work.start(request, operations.NODEGROUP_DELETE, cluster.uuid)
    return routing.Reply(None, 204)

