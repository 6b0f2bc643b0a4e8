"""Who may see what: tenant scoping shared by the controllers."""

from magnum_lite.api import policy


def project_filter(request, all_projects_rule):
    """None (all projects) for an admin the rule allows, else the caller's
    project: the filter for lists and lookups."""
    ctx = request.context
    if ctx.is_admin and policy.check(all_projects_rule, ctx):
        return None
    return ctx.project_id


def own_target(request):
    """The policy target of calls not about one resource."""
    return {'project_id': request.context.project_id,
            'user_id': request.context.user_id}


def target_of(row):
    """The policy target of one resource row (its ``uuid`` lets the
    policy tell a cluster's own trustee from others)."""
    return {'project_id': row.project_id,
            'user_id': getattr(row, 'user_id', None),
            'uuid': getattr(row, 'uuid', None)}
