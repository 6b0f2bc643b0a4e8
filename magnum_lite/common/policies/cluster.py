"""Policies of /v1/clusters and its actions."""

from magnum_lite.common.policies import base

CREATE = 'cluster:create'
DELETE = 'cluster:delete'
DELETE_ALL_PROJECTS = 'cluster:delete_all_projects'
DETAIL = 'cluster:detail'
DETAIL_ALL_PROJECTS = 'cluster:detail_all_projects'
GET = 'cluster:get'
GET_ONE_ALL_PROJECTS = 'cluster:get_one_all_projects'
GET_ALL = 'cluster:get_all'
GET_ALL_ALL_PROJECTS = 'cluster:get_all_all_projects'
UPDATE = 'cluster:update'
UPDATE_HEALTH_STATUS = 'cluster:update_health_status'
UPDATE_ALL_PROJECTS = 'cluster:update_all_projects'
RESIZE = 'cluster:resize'
UPGRADE = 'cluster:upgrade'
UPGRADE_ALL_PROJECTS = 'cluster:upgrade_all_projects'

_ONE = '/v1/clusters/{cluster_ident}'
_ALL = '/v1/clusters'

RULES = [
    base.rule(CREATE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Create a cluster.', [('POST', _ALL)]),
    base.rule(DELETE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Delete a cluster.', [('DELETE', _ONE)]),
    base.rule(DELETE_ALL_PROJECTS, base.RULE_ADMIN,
              'Delete a cluster of any project.', [('DELETE', _ONE)],
              project_scoped=False),
    base.rule(DETAIL, base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
              'List clusters with detail.', [('GET', _ALL + '/detail')]),
    base.rule(DETAIL_ALL_PROJECTS, base.RULE_ADMIN,
              'List clusters of all projects with detail.',
              [('GET', _ALL + '/detail')], project_scoped=False),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER_OR_CLUSTER_USER,
              'Show a cluster.', [('GET', _ONE)]),
    base.rule(GET_ONE_ALL_PROJECTS, base.RULE_ADMIN,
              'Show a cluster of any project.', [('GET', _ONE)],
              project_scoped=False),
    base.rule(GET_ALL, base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
              'List clusters.', [('GET', _ALL)]),
    base.rule(GET_ALL_ALL_PROJECTS, base.RULE_ADMIN,
              'List clusters of all projects.', [('GET', _ALL)],
              project_scoped=False),
    base.rule(UPDATE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Update a cluster.', [('PATCH', _ONE)]),
    base.rule(UPDATE_HEALTH_STATUS,
              base.ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER,
              'Update the health status of a cluster.', [('PATCH', _ONE)]),
    base.rule(UPDATE_ALL_PROJECTS, base.RULE_ADMIN,
              'Update a cluster of any project.', [('PATCH', _ONE)],
              project_scoped=False),
    base.rule(RESIZE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Resize a cluster.', [('POST', _ONE + '/actions/resize')]),
    base.rule(UPGRADE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Upgrade a cluster.', [('POST', _ONE + '/actions/upgrade')]),
    base.rule(UPGRADE_ALL_PROJECTS, base.RULE_ADMIN,
              'Upgrade a cluster of any project.',
              [('POST', _ONE + '/actions/upgrade')], project_scoped=False),
]


def list_rules():
    return RULES
