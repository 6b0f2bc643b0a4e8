"""Policies of /v1/clusters/{cluster}/nodegroups."""

from magnum_lite.common.policies import base

CREATE = 'nodegroup:create'
DELETE = 'nodegroup:delete'
GET = 'nodegroup:get'
GET_ALL = 'nodegroup:get_all'
GET_ALL_ALL_PROJECTS = 'nodegroup:get_all_all_projects'
GET_ONE_ALL_PROJECTS = 'nodegroup:get_one_all_projects'
UPDATE = 'nodegroup:update'

_ALL = '/v1/clusters/{cluster_ident}/nodegroups'
_ONE = _ALL + '/{nodegroup}'

RULES = [
    base.rule(CREATE, base.ADMIN_OR_PROJECT_MEMBER, 'Create a nodegroup.',
              [('POST', _ALL)]),
    base.rule(DELETE, base.ADMIN_OR_PROJECT_MEMBER, 'Delete a nodegroup.',
              [('DELETE', _ONE)]),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER, 'Show a nodegroup.',
              [('GET', _ONE)]),
    base.rule(GET_ALL, base.ADMIN_OR_PROJECT_READER, 'List nodegroups.',
              [('GET', _ALL)]),
    base.rule(GET_ALL_ALL_PROJECTS, base.RULE_ADMIN,
              'List nodegroups of clusters of any project.', [('GET', _ALL)],
              project_scoped=False),
    base.rule(GET_ONE_ALL_PROJECTS, base.RULE_ADMIN,
              'Show a nodegroup of a cluster of any project.',
              [('GET', _ONE)], project_scoped=False),
    base.rule(UPDATE, base.ADMIN_OR_PROJECT_MEMBER, 'Update a nodegroup.',
              [('PATCH', _ONE)]),
]


def list_rules():
    return RULES
