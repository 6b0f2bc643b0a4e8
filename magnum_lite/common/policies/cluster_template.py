"""Policies of /v1/clustertemplates."""

from magnum_lite.common.policies import base

CREATE = 'clustertemplate:create'
DELETE = 'clustertemplate:delete'
DELETE_ALL_PROJECTS = 'clustertemplate:delete_all_projects'
DETAIL = 'clustertemplate:detail'
DETAIL_ALL_PROJECTS = 'clustertemplate:detail_all_projects'
GET = 'clustertemplate:get'
GET_ONE_ALL_PROJECTS = 'clustertemplate:get_one_all_projects'
GET_ALL = 'clustertemplate:get_all'
GET_ALL_ALL_PROJECTS = 'clustertemplate:get_all_all_projects'
UPDATE = 'clustertemplate:update'
UPDATE_ALL_PROJECTS = 'clustertemplate:update_all_projects'
PUBLISH = 'clustertemplate:publish'

_ONE = '/v1/clustertemplates/{clustertemplate_ident}'
_ALL = '/v1/clustertemplates'

RULES = [
    base.rule(CREATE, base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Create a cluster template.', [('POST', _ALL)]),
    base.rule(DELETE, base.ADMIN_OR_PROJECT_MEMBER,
              'Delete a cluster template.', [('DELETE', _ONE)]),
    base.rule(DELETE_ALL_PROJECTS, base.RULE_ADMIN,
              'Delete a cluster template of any project.',
              [('DELETE', _ONE)], project_scoped=False),
    base.rule(DETAIL, base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
              'List cluster templates with detail.',
              [('GET', _ALL + '/detail')]),
    base.rule(DETAIL_ALL_PROJECTS, base.RULE_ADMIN,
              'List cluster templates of all projects with detail.',
              [('GET', _ALL + '/detail')], project_scoped=False),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
              'Show a (non-public) cluster template.', [('GET', _ONE)]),
    base.rule(GET_ONE_ALL_PROJECTS, base.RULE_ADMIN,
              'Show a cluster template of any project.', [('GET', _ONE)],
              project_scoped=False),
    base.rule(GET_ALL, base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER,
              'List cluster templates.', [('GET', _ALL)]),
    base.rule(GET_ALL_ALL_PROJECTS, base.RULE_ADMIN,
              'List cluster templates of all projects.', [('GET', _ALL)],
              project_scoped=False),
    base.rule(UPDATE, base.ADMIN_OR_PROJECT_MEMBER,
              'Update a cluster template.', [('PATCH', _ONE)]),
    base.rule(UPDATE_ALL_PROJECTS, base.RULE_ADMIN,
              'Update a cluster template of any project.',
              [('PATCH', _ONE)], project_scoped=False),
    base.rule(PUBLISH, base.RULE_ADMIN,
              'Set or change the public or hidden flag of a template.',
              [('POST', _ALL), ('PATCH', _ONE)], project_scoped=False),
]


def list_rules():
    return RULES
