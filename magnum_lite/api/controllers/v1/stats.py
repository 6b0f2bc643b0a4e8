"""``/v1/stats``: how many clusters and nodes."""

from magnum_lite.api import collection
from magnum_lite.api import policy
from magnum_lite.common import exception
from magnum_lite.common.policies import misc as rules
from magnum_lite.db import api as db_api


def get_all(request):
    """Counts of the caller's project, or (admin) of one or all."""
    params = request.params
    collection.check_params(params, ('project_id', 'type'))
    ctx = request.context
    policy.authorize(rules.STATS_GET_ALL, ctx,
                     {'project_id': ctx.project_id, 'user_id': ctx.user_id})
    if params.get('type', 'cluster').lower() != 'cluster':
        raise exception.InvalidParameterValue(
            err="Invalid stats type. Allowed values are 'cluster'")
    project = params.get('project_id')
    if not ctx.is_admin:
        if project not in (None, ctx.project_id):
            raise exception.NotAuthorized()
        project = ctx.project_id
    clusters, nodes = db_api.stats(project)
    return {'clusters': clusters, 'nodes': nodes}


ROUTES = [('GET', '/stats', get_all)]
