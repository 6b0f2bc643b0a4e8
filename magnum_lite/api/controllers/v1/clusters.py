"""``/v1/clusters``: create, list, show, patch, delete."""

import functools

from oslo_utils import uuidutils

from magnum_lite.api import cluster_requests
from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import jsonpatch
from magnum_lite.api import microversions as mv
from magnum_lite.api import policy
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api import work
from magnum_lite.api.schemas import cluster as schema
from magnum_lite.cluster import cloud_checks
from magnum_lite.cluster import cluster_credentials
from magnum_lite.cluster import defaults
from magnum_lite.cluster import nodegroup_checks
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.cluster import quotas
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.common.policies import cluster as rules
from magnum_lite.db import api as db_api
from magnum_lite.db import models

LIST_FIELDS = ('uuid', 'name', 'cluster_template_id', 'keypair',
               'node_count', 'master_count', 'docker_volume_size', 'labels',
               'master_flavor_id', 'flavor_id', 'create_timeout', 'links',
               'stack_id', 'status', 'health_status', 'merge_labels')
DETAIL_FIELDS = (
    'uuid', 'name', 'cluster_template_id', 'keypair', 'node_count',
    'master_count', 'docker_volume_size', 'labels', 'master_flavor_id',
    'flavor_id', 'create_timeout', 'links', 'stack_id', 'status',
    'status_reason', 'health_status', 'health_status_reason',
    'discovery_url', 'api_address', 'coe_version', 'container_version',
    'project_id', 'user_id', 'node_addresses', 'master_addresses', 'faults',
    'fixed_network', 'fixed_subnet', 'floating_ip_enabled', 'merge_labels',
    'labels_overridden', 'labels_added', 'labels_skipped',
    'master_lb_enabled', 'created_at', 'updated_at')

_SOURCES = (schema.CREATE, schema.PATCH_DOCUMENT)
# What a cluster reports of itself (and an admin may set).
_HEALTH = ('health_status', 'health_status_reason')
# Before 1.13 a cluster shows stack_id, from 1.13 cluster_id.
_CLUSTER_ID = {'cluster_id': documents.nullable('string'),
               'stack_id': documents.nullable('string')}
CLUSTER = documents.resource('Cluster', DETAIL_FIELDS, _SOURCES, dict(
    _CLUSTER_ID,
    **{k: documents.nullable('object') for k in (
        'labels_overridden', 'labels_added', 'labels_skipped', 'faults',
        'health_status_reason')},
    **{k: documents.nullable('array', items={'type': 'string'})
       for k in ('node_addresses', 'master_addresses')}))
_SUMMARY = documents.resource('ClusterSummary', LIST_FIELDS, _SOURCES,
                              _CLUSTER_ID)
_CREATE = documents.request('ClusterCreate', schema.CREATE)


# What lists read: LIST_FIELDS less the derived ones, and of nodegroups
# only what node_count / master_count need.
_LIST_COLUMNS = ('uuid', 'name', 'cluster_template_id', 'keypair',
                 'docker_volume_size', 'labels', 'master_flavor_id',
                 'flavor_id', 'create_timeout', 'stack_id', 'status',
                 'health_status')
_LIST_NG_COLUMNS = ('role', 'node_count')
_DETAIL_NG_COLUMNS = ('role', 'node_count', 'node_addresses', 'name',
                      'status', 'status_reason')
_COLUMNS = frozenset(c.name for c in models.Cluster.__table__.columns)
_DETAIL_COLUMNS = tuple(f for f in DETAIL_FIELDS if f in _COLUMNS)


@functools.cache
def _columns_of(fields):
    return tuple(f for f in fields if f in _COLUMNS)


def _derived(cluster, nodegroups, counts_only=False):
    masters = [ng for ng in nodegroups if ng.role == nodegroup_facts.MASTER]
    workers = [ng for ng in nodegroups if ng.role != nodegroup_facts.MASTER]
    if counts_only:
        return {'node_count': sum(ng.node_count for ng in workers),
                'master_count': sum(ng.node_count for ng in masters)}
    return {
        'node_count': sum(ng.node_count for ng in workers),
        'master_count': sum(ng.node_count for ng in masters),
        'node_addresses': [a for ng in workers for a in ng.node_addresses],
        'master_addresses': [a for ng in masters for a in ng.node_addresses],
        'faults': {ng.name: ng.status_reason for ng in nodegroups
                   if ng.status in states.FAILED},
    }


def label_diff(base, labels):
    """Magnum's labels_overridden / _added / _skipped of ``labels``
    against ``base`` (the template's, or the cluster's for nodegroups)."""
    base = base or {}
    labels = labels or {}
    return {
        'labels_overridden': {k: base[k] for k in labels
                              if k in base and base[k] != labels[k]},
        'labels_added': {k: v for k, v in labels.items() if k not in base},
        'labels_skipped': {k: v for k, v in base.items()
                           if k not in labels},
    }


def serialize(request, cluster, nodegroups, template=None, fields=None,
              show=False):
    """A cluster as the API shows it. ``template`` is needed for detail
    (labels_*), ``show`` adds ``faults`` to failed clusters."""
    values = collection.fields_of(cluster,
                                  _columns_of(fields or DETAIL_FIELDS))
    return _document(request, values, nodegroups, template, fields, show)


def _document(request, values, nodegroups, template=None, fields=None,
              show=False):
    """The cluster document of ``values`` (its columns the document
    shows) and its nodegroups."""
    status = values['status']
    values.update(_derived(values, nodegroups,
                           counts_only=fields is LIST_FIELDS))
    values['status'] = states.magnum_status(status)
    values['merge_labels'] = False
    values['links'] = collection.links(request,
                                       f'clusters/{values["uuid"]}')
    for stamp in ('created_at', 'updated_at'):
        if stamp in values:
            values[stamp] = collection.timestamp(values[stamp])
    if template is not None:
        values.update(label_diff(template.labels, values['labels']))
    body = {}
    for field in fields or DETAIL_FIELDS:
        if field == 'faults' and not (show and status in states.FAILED):
            continue
        if field == 'stack_id' and request.at_least(mv.CLUSTER_ID):
            body['cluster_id'] = values['stack_id']
            continue
        body[field] = values.get(field)
    return body


def _list(request, all_projects_rule, url, detailed):
    request.authorize(scope.own_target(request))
    paging = collection.paging(request, models.Cluster)
    rows = db_api.cluster_list(
        project_id=scope.project_filter(request, all_projects_rule),
        columns=_DETAIL_COLUMNS if detailed else _LIST_COLUMNS, **paging)
    nodegroups = db_api.nodegroups_by_cluster(
        [r.uuid for r in rows],
        _DETAIL_NG_COLUMNS if detailed else _LIST_NG_COLUMNS)
    templates = {}
    if detailed:
        templates = db_api.templates_by_uuid(
            {r.cluster_template_id for r in rows}, columns=('labels',))
    columns = _DETAIL_COLUMNS if detailed else _LIST_COLUMNS
    items = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        items.append(_document(
            request, values, nodegroups[values['uuid']],
            templates.get(values['cluster_template_id']),
            None if detailed else LIST_FIELDS))
    return collection.collection(request, 'clusters', items, paging, url,
                                 lambda item: item['uuid'])


@endpoint.declare('GET', '/clusters', policy=rules.GET_ALL,
                  query=endpoint.PAGING, reply=documents.collection(
                      'ClusterCollection', 'clusters', _SUMMARY))
def get_all(request):
    """List clusters (trimmed items)."""
    return _list(request, rules.GET_ALL_ALL_PROJECTS, 'clusters',
                 detailed=False)


@endpoint.declare('GET', '/clusters/detail', policy=rules.DETAIL,
                  query=endpoint.PAGING, reply=documents.collection(
                      'ClusterDetailCollection', 'clusters', CLUSTER))
def detail(request):
    """List clusters with every field."""
    return _list(request, rules.DETAIL_ALL_PROJECTS, 'clusters/detail',
                 detailed=True)


def load(request, ident, all_projects_rule=None):
    """Find a cluster the caller may see. Without ``all_projects_rule``
    the lookup stays in the caller's project even for admins."""
    project = (request.context.project_id if all_projects_rule is None
               else scope.project_filter(request, all_projects_rule))
    return db_api.cluster_get(ident, project_id=project)


@endpoint.declare('GET', '/clusters/{ident}', policy=rules.GET,
                  reply=CLUSTER)
def get_one(request, ident):
    """Show one cluster."""
    request.check_query()
    cluster, nodegroups, template = db_api.cluster_show(
        ident, scope.project_filter(request, rules.GET_ONE_ALL_PROJECTS),
        _DETAIL_COLUMNS, _DETAIL_NG_COLUMNS)
    request.authorize(scope.target_of(cluster))
    return serialize(request, cluster, nodegroups, template, show=True)


@endpoint.declare('POST', '/clusters', policy=rules.CREATE, body=_CREATE,
                  status=202, reply=documents.ACCEPTED)
def create(request):
    """Create a cluster: 202 with its uuid; the conductor builds it."""
    request.authorize(scope.own_target(request))
    body = validation.validate(schema.CREATE, request.json('cluster'),
                               'cluster')
    template = cluster_requests.find_template(
        request, body['cluster_template_id'])
    cluster_requests.check_zero_nodes(request, defaults.node_count(body))
    values, nodegroups = defaults.apply(
        body, template, request.context.project_id, request.context.user_id)
    quotas.check_project(request.context.project_id)
    cloud_checks.check_cluster(request.context, template, values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    # Made with the caller's token, which never leaves this process.
    credentials = cluster_credentials.create(request.context,
                                             values['uuid'])
    try:
        cluster = db_api.cluster_create(
            values, nodegroups, [c.row() for c in credentials],
            check_quota=quotas.check_create)
    except Exception:
        cluster_credentials.discard(credentials)
        raise
    work.start(request, operations.CLUSTER_CREATE, cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)


def _rollback(request):
    params = request.check_query()
    if 'rollback' not in params:
        return False
    value = validation.to_bool(params['rollback'])
    if value is None:
        raise exception.InvalidField(field='rollback',
                                     value=params['rollback'],
                                     reason='Value should be a boolean')
    return value


@endpoint.declare('PATCH', '/clusters/{ident}', policy=rules.UPDATE,
                  query=(endpoint.Query('rollback', {'type': 'boolean'},
                                        mv.ROLLBACK),),
                  body=documents.JSON_PATCH, status=202,
                  reply=documents.ACCEPTED)
def patch(request, ident):
    """Change node_count (default workers) or health: 202."""
    rollback = _rollback(request)
    ops = jsonpatch.validate_ops(request.json('patch'),
                                 internal=schema.PATCH_INTERNAL,
                                 mandatory=('/cluster_template_id',))
    cluster = load(request, ident, rules.UPDATE_ALL_PROJECTS)
    touched = {op['path'].split('/')[1] for op in ops}
    _authorize_patch(request, cluster, touched)
    nodegroups = db_api.nodegroups_by_cluster([cluster.uuid])[cluster.uuid]
    worker = nodegroup_facts.default_nodegroup(nodegroups,
                                              nodegroup_facts.WORKER)
    current = serialize(request, cluster, nodegroups)
    current['node_count'] = worker.node_count if worker else 0
    patched = jsonpatch.apply(current, ops,
                              structured=('labels', 'health_status_reason'))
    changes = {k: v for k, v in patched.items() if v != current[k]}
    changes = validation.validate(
        dict(schema.PATCH_DOCUMENT, additionalProperties=True), changes,
        'cluster')
    changes = {k: v for k, v in changes.items() if v != current[k]}
    refused = sorted(set(changes) - set(schema.PATCH_DOCUMENT['properties']))
    if refused:
        raise exception.InvalidParameterValue(
            err=f"cannot change cluster property(ies) {', '.join(refused)}.")
    validation.check_document(schema.PATCH_DOCUMENT, changes)
    health = {k: changes[k] for k in _HEALTH if k in changes}
    if touched & set(_HEALTH):
        # A report, even of an unchanged health, is news: the conductor
        # leaves a cluster it cannot reach alone while it reports.
        health['health_reported_at'] = models.utcnow()
    _apply_patch(request, cluster, worker, changes, health, rollback)
    return routing.Reply({'uuid': cluster.uuid}, 202)


def _authorize_patch(request, cluster, touched):
    """403 unless the caller may make a patch of the ``touched``
    attributes: the project's members and admins (``cluster:update`` on
    the cluster, and ``cluster:update_health_status``), or the cluster's
    own credential (a trust token, what runs in the cluster) for a patch
    of that cluster's health and nothing else."""
    target = scope.target_of(cluster)
    if request.context.trust_id and touched <= set(_HEALTH):
        policy.authorize(rules.UPDATE_HEALTH_STATUS, request.context,
                         target)
        return
    request.authorize(target)
    policy.authorize(rules.UPDATE_HEALTH_STATUS, request.context)


def _apply_patch(request, cluster, worker, changes, health, rollback):
    if 'node_count' not in changes:
        if health:
            db_api.cluster_update(cluster.uuid, health)
        return
    count = changes['node_count']
    if worker is None:
        raise exception.InvalidParameterValue(
            err='The cluster has no default worker nodegroup.')
    cluster_requests.check_zero_nodes(request, count)
    nodegroup_checks.check_range(worker, count)
    # Health goes in with the claim: a refused patch changes nothing.
    work.claim(
        cluster.uuid, operations.CLUSTER_UPDATE,
        args={'nodegroup': worker.uuid, 'rollback': rollback},
        values=health,
        nodegroup_updates={worker.uuid: {'node_count': count,
                                         'status': states.UPDATING}})
    work.start(request, operations.CLUSTER_UPDATE, cluster.uuid)


@endpoint.declare('DELETE', '/clusters/{ident}', policy=rules.DELETE,
                  status=204)
def delete(request, ident):
    """Delete a cluster in any status: 204; the conductor removes it."""
    request.check_query()
    cluster = load(request, ident, rules.DELETE_ALL_PROJECTS)
    request.authorize(scope.target_of(cluster))
    if cluster.status in operations.CLUSTER_DELETE.allowed:
        work.claim(cluster.uuid, operations.CLUSTER_DELETE)
    # Casting again for a cluster already being deleted re-drives a
    # delete whose first message was lost; the conductor drops it if the
    # driver already has the delete (Heat would cancel the first).
    work.start(request, operations.CLUSTER_DELETE, cluster.uuid)
    return routing.Reply(None, 204)


@endpoint.declare('PATCH', '/clusters', status=None)
@endpoint.declare('DELETE', '/clusters', status=None)
def _missing_ident(request):
    raise exception.MissingArgument(name='cluster_ident')

