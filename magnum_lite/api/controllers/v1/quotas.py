"""``/v1/quotas`` (microversion 1.6 in name; served at every version)."""

from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api.schemas import types
from magnum_lite.cluster import quotas as cluster_quotas
from magnum_lite.common import exception
from magnum_lite.common.policies import misc as rules
from magnum_lite.db import api as db_api
from magnum_lite.db import models

_BODY = types.obj({
    'project_id': types.string(),
    'resource': types.enum(cluster_quotas.RESOURCE),
    'hard_limit': types.integer(0),
    **types.read_only('id', 'created_at', 'updated_at'),
})
_QUOTA_BODY = documents.request('QuotaRequest', _BODY)
QUOTA = documents.resource(
    'Quota', ('id', 'hard_limit', 'project_id', 'resource', 'created_at',
              'updated_at'), [_BODY], {'id': {'type': 'integer'}},
    required=('hard_limit', 'project_id', 'resource'))


def serialize(quota):
    """A quota row as the API shows it."""
    return {'id': quota.id, 'hard_limit': quota.hard_limit,
            'project_id': quota.project_id, 'resource': quota.resource,
            'created_at': collection.timestamp(quota.created_at),
            'updated_at': collection.timestamp(quota.updated_at)}


@endpoint.declare('GET', '/quotas', policy=rules.QUOTA_GET_ALL,
                  query=(*endpoint.PAGING,
                         endpoint.Query('all_tenants', {'type': 'boolean'})),
                  reply=documents.collection('QuotaCollection', 'quotas',
                                             QUOTA))
def get_all(request):
    """List quotas (own project; ``all_tenants=true``: every project)."""
    request.authorize(scope.own_target(request))
    paging = collection.paging(request, models.Quota, integer_marker=True)
    every = validation.to_bool(request.params.get('all_tenants', False))
    if every is None:
        raise exception.InvalidField(
            field='all_tenants', value=request.params['all_tenants'],
            reason='Value should be a boolean')
    project = None if every and request.context.is_admin \
        else request.context.project_id
    rows = db_api.quota_list(project_id=project, **paging)
    return collection.collection(request, 'quotas',
                                 [serialize(r) for r in rows], paging,
                                 'quotas', lambda item: item['id'])


@endpoint.declare('GET', '/quotas/{project_id}/{resource}',
                  policy=rules.QUOTA_GET, reply=QUOTA)
def get_one(request, project_id, resource):
    """Show a project's quota (a default one when no row exists)."""
    request.check_query()
    # Like Magnum: the rule is about the caller; another project's quota
    # is then refused as "Not authorized." for non-admins.
    request.authorize(scope.own_target(request))
    if not request.context.is_admin and \
            project_id != request.context.project_id:
        raise exception.NotAuthorized()
    quota = db_api.quota_get(project_id, resource)
    if quota is None:
        return {'hard_limit': cluster_quotas.default_limit(),
                'project_id': project_id, 'resource': resource}
    return serialize(quota)


@endpoint.declare('POST', '/quotas', policy=rules.QUOTA_CREATE,
                  body=_QUOTA_BODY, status=201, reply=QUOTA)
def create(request):
    """Create a quota: 201."""
    request.authorize(scope.own_target(request))
    body = validation.validate(_BODY, request.json('quota'), 'quota')
    if not body.get('project_id'):
        raise exception.InvalidField(field='project_id', value=None,
                                     reason='Mandatory field missing.')
    hard_limit = cluster_quotas.hard_limit(body.get('hard_limit'))
    quota = db_api.quota_create(
        body['project_id'], body.get('resource') or cluster_quotas.RESOURCE,
        hard_limit)
    return routing.Reply(serialize(quota), 201)


@endpoint.declare('PATCH', '/quotas/{project_id}/{resource}',
                  policy=rules.QUOTA_UPDATE, body=_QUOTA_BODY, status=202,
                  reply=QUOTA)
def update(request, project_id, resource):
    """Change a quota (a quota object, not a JSON patch): 202."""
    request.check_query()
    request.authorize(scope.own_target(request))
    body = validation.validate(_BODY, request.json('quota'), 'quota')
    hard_limit = cluster_quotas.hard_limit(body.get('hard_limit'))
    quota = db_api.quota_update(project_id, resource, hard_limit)
    return routing.Reply(serialize(quota), 202)


@endpoint.declare('DELETE', '/quotas/{project_id}/{resource}',
                  policy=rules.QUOTA_DELETE, status=204)
def delete(request, project_id, resource):
    """Delete a quota: 204."""
    request.check_query()
    request.authorize(scope.own_target(request))
    db_api.quota_delete(project_id, resource)
    return routing.Reply(None, 204)

