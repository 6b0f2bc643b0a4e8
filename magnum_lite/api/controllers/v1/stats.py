"""``/v1/stats``: how many clusters and nodes."""

from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.common import exception
from magnum_lite.common.policies import misc as rules
from magnum_lite.db import api as db_api


@endpoint.declare('GET', '/stats', policy=rules.STATS_GET_ALL,
                  query=(endpoint.Query('project_id'), endpoint.Query('type')),
                  reply=documents.Document('Stats', {
                      'type': 'object', 'properties': {
                          'clusters': {'type': 'integer'},
                          'nodes': {'type': 'integer'}},
                      'required': ['clusters', 'nodes'],
                      'additionalProperties': False}))
def get_all(request):
    """Counts of the caller's project, or (admin) of one or all."""
    params = request.check_query()
    ctx = request.context
    request.authorize()
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

