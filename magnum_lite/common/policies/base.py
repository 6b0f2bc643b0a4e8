"""Base rules, with Magnum's names and its secure (new) defaults."""

from oslo_policy import policy

RULE_ADMIN = 'rule:context_is_admin'
ADMIN_OR_PROJECT_READER = 'rule:admin_or_project_reader'
ADMIN_OR_PROJECT_MEMBER = 'rule:admin_or_project_member'
ADMIN_OR_PROJECT_MEMBER_USER = 'rule:admin_or_project_member_user'
ADMIN_OR_PROJECT_READER_USER = 'rule:admin_or_project_reader_user'
ADMIN_OR_PROJECT_MEMBER_USER_OR_CLUSTER_USER = (
    'rule:admin_or_project_member_user_or_cluster_user')
PROJECT_MEMBER_DENY_CLUSTER_USER = 'rule:project_member_deny_cluster_user'
ADMIN_OR_PROJECT_MEMBER_DENY_CLUSTER_USER = (
    'rule:admin_or_project_member_deny_cluster_user')
ADMIN_OR_PROJECT_READER_DENY_CLUSTER_USER = (
    'rule:admin_or_project_reader_deny_cluster_user')
ADMIN_OR_PROJECT_READER_OR_CLUSTER_USER = (
    'rule:admin_or_project_reader_or_cluster_user')
ADMIN_OR_PROJECT_READER_USER_OR_CLUSTER_USER = (
    'rule:admin_or_project_reader_user_or_cluster_user')

# A cluster user is whoever calls with a token scoped to a trust: what runs
# in a cluster (its trustee, through an impersonating trust). Keystone then
# reports the trustor's user id and roles, so the project rules below
# exclude trust tokens, and only the *_cluster_user rules let them in, for
# the one cluster whose trustee they are (the target's trustee_user_id,
# filled by magnum_lite.api.policy). The *_deny_cluster_user rules equal
# their plain twins, as in Magnum; they keep their names for operators.

RULES = [
    policy.RuleDefault('deny_cluster_user', 'not is_trust:True',
                       description='The caller does not use a trust.'),
    policy.RuleDefault('cluster_user',
                       'is_trust:True and '
                       'trustee_user_id:%(trustee_user_id)s and '
                       'project_id:%(project_id)s',
                       description="The caller is the cluster's trustee, "
                                   "through a trust on the cluster's "
                                   'project.'),
    policy.RuleDefault('context_is_admin',
                       'role:admin and rule:deny_cluster_user',
                       description='Who is an administrator.'),
    policy.RuleDefault('admin_or_owner',
                       'is_admin:True or project_id:%(project_id)s',
                       description=('An administrator, or a caller of the '
                                    "target's project.")),
    policy.RuleDefault('admin_or_user',
                       'is_admin:True or user_id:%(user_id)s',
                       description=("An administrator, or the target's own "
                                    'user.')),
    policy.RuleDefault('is_user', 'user_id:%(user_id)s',
                       description="The caller is the target's user."),
    policy.RuleDefault('project_member',
                       'role:member and project_id:%(project_id)s and '
                       'rule:deny_cluster_user',
                       description=("A member of the target's project, "
                                    'without a trust.')),
    policy.RuleDefault('project_reader',
                       'role:reader and project_id:%(project_id)s and '
                       'rule:deny_cluster_user',
                       description=("A reader of the target's project, "
                                    'without a trust.')),
    policy.RuleDefault('admin_or_project_reader',
                       'rule:context_is_admin or rule:project_reader',
                       description='An administrator or a project reader.'),
    policy.RuleDefault('admin_or_project_member',
                       'rule:context_is_admin or rule:project_member',
                       description='An administrator or a project member.'),
    policy.RuleDefault('admin_or_project_member_user',
                       'rule:context_is_admin or '
                       '(rule:project_member and rule:is_user)',
                       description=('An administrator, or a project member '
                                    "who is the target's user.")),
    policy.RuleDefault('admin_or_project_reader_user',
                       'rule:context_is_admin or '
                       '(rule:project_reader and rule:is_user)',
                       description=('An administrator, or a project reader '
                                    "who is the target's user.")),
    policy.RuleDefault('admin_or_project_member_user_or_cluster_user',
                       'rule:context_is_admin or '
                       '(rule:project_member and rule:is_user) or '
                       'rule:cluster_user',
                       description=('As admin_or_project_member_user, or the '
                                    "cluster's trustee.")),
    policy.RuleDefault('admin_or_project_reader_user_or_cluster_user',
                       'rule:context_is_admin or '
                       '(rule:project_reader and rule:is_user) or '
                       'rule:cluster_user',
                       description=('As admin_or_project_reader_user, or the '
                                    "cluster's trustee.")),
    policy.RuleDefault('admin_or_project_reader_or_cluster_user',
                       'rule:context_is_admin or rule:project_reader or '
                       'rule:cluster_user',
                       description=('An administrator, a project reader, or '
                                    "the cluster's trustee.")),
    policy.RuleDefault('project_member_deny_cluster_user',
                       'rule:project_member',
                       description="Magnum's name for project_member."),
    policy.RuleDefault('admin_or_project_member_deny_cluster_user',
                       'rule:context_is_admin or rule:project_member',
                       description=("Magnum's name for "
                                    'admin_or_project_member.')),
    policy.RuleDefault('admin_or_project_reader_deny_cluster_user',
                       'rule:context_is_admin or rule:project_reader',
                       description=("Magnum's name for "
                                    'admin_or_project_reader.')),
]


def rule(name, check_str, description, operations, project_scoped=True):
    """A DocumentedRuleDefault with Magnum's scope conventions."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{'path': p, 'method': m} for m, p in operations],
        scope_types=['project'] if project_scoped else None)


def list_rules():
    return RULES
