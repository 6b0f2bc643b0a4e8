"""Policies of quotas, stats, services, certificates and credentials."""

from magnum_lite.common.policies import base

QUOTA_CREATE = 'quota:create'
QUOTA_DELETE = 'quota:delete'
QUOTA_UPDATE = 'quota:update'
QUOTA_GET_ALL = 'quota:get_all'
QUOTA_GET = 'quota:get'
STATS_GET_ALL = 'stats:get_all'
SERVICE_GET_ALL = 'magnum-service:get_all'
CERTIFICATE_CREATE = 'certificate:create'
CERTIFICATE_GET = 'certificate:get'
CERTIFICATE_ROTATE_CA = 'certificate:rotate_ca'
CREDENTIAL_ROTATE = 'credential:rotate'

_QUOTA = '/v1/quotas/{project_id}/{resource}'

RULES = [
    base.rule(QUOTA_CREATE, base.RULE_ADMIN, 'Create a quota.',
              [('POST', '/v1/quotas')], project_scoped=False),
    base.rule(QUOTA_DELETE, base.RULE_ADMIN, 'Delete a quota.',
              [('DELETE', _QUOTA)], project_scoped=False),
    base.rule(QUOTA_UPDATE, base.RULE_ADMIN, 'Update a quota.',
              [('PATCH', _QUOTA)], project_scoped=False),
    base.rule(QUOTA_GET_ALL, base.RULE_ADMIN, 'List quotas.',
              [('GET', '/v1/quotas')], project_scoped=False),
    base.rule(QUOTA_GET, base.ADMIN_OR_PROJECT_READER, 'Show a quota.',
              [('GET', _QUOTA)]),
    base.rule(STATS_GET_ALL, base.ADMIN_OR_PROJECT_READER,
              'Show cluster and node counts.', [('GET', '/v1/stats')]),
    base.rule(SERVICE_GET_ALL, base.RULE_ADMIN, 'List conductor services.',
              [('GET', '/v1/mservices')], project_scoped=False),
    base.rule(CERTIFICATE_CREATE,
              base.ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER,
              'Sign a CSR with a cluster CA.',
              [('POST', '/v1/certificates')]),
    base.rule(CERTIFICATE_GET,
              base.ADMIN_OR_PROJECT_READER_USER_OR_CLUSTER_USER,
              'Show a cluster CA.',
              [('GET', '/v1/certificates/{cluster_ident}')]),
    base.rule(CERTIFICATE_ROTATE_CA, base.ADMIN_OR_PROJECT_MEMBER,
              'Rotate a cluster CA.',
              [('PATCH', '/v1/certificates/{cluster_ident}')]),
    base.rule(CREDENTIAL_ROTATE, base.PROJECT_MEMBER_DENY_CLUSTER_USER,
              'Rotate the credentials of a cluster.',
              [('PATCH', '/v1/credentials/{cluster_ident}')]),
]


def list_rules():
    return RULES


def _federation_rules():
    one = '/v1/federations/{federation_ident}'
    writer = base.ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER
    reader = base.ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER
    return [
        base.rule('federation:create', writer, 'Create a federation.',
                  [('POST', '/v1/federations')]),
        base.rule('federation:update', writer, 'Update a federation.',
                  [('PATCH', one)]),
        base.rule('federation:delete', writer, 'Delete a federation.',
                  [('DELETE', one)]),
        base.rule('federation:get', reader, 'Show a federation.',
                  [('GET', one)]),
        base.rule('federation:get_all', reader, 'List federations.',
                  [('GET', '/v1/federations')]),
        base.rule('federation:detail', reader,
                  'List federations with detail.',
                  [('GET', '/v1/federations/detail')]),
    ]


RULES += _federation_rules()
