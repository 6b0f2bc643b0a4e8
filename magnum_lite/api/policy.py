"""The policy enforcer."""

import threading

from oslo_policy import policy

from magnum_lite.common import exception
from magnum_lite.common import policies
from magnum_lite.conf import CONF

_ENFORCER = None
_LOCK = threading.Lock()


def get_enforcer():
    """The process-wide enforcer (also the oslo.policy.enforcer hook)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            enforcer = policy.Enforcer(CONF)
            enforcer.register_defaults(policies.list_rules())
            _ENFORCER = enforcer
        return _ENFORCER


def reset():
    global _ENFORCER
    with _LOCK:
        _ENFORCER = None


def _cluster_trustee(context, target):
    """The target's ``trustee_user_id`` for a trust-scoped caller: the
    caller's trustee id if it is one of the credentials of the cluster
    the target names (``uuid``), else '' (matches nobody)."""
    from magnum_lite.db import api as db_api

    uuid = target.get('uuid')
    if not uuid or not context.trustee_user_id:
        return ''
    users = {row.user_id for row in db_api.credentials_of(uuid, 'cluster')
             if row.mode == 'trust'}
    return context.trustee_user_id if context.trustee_user_id in users \
        else ''


def check(rule, context, target=None):
    """Whether ``rule`` allows the caller on ``target``."""
    target = dict(target or {'project_id': context.project_id,
                             'user_id': context.user_id})
    if getattr(context, 'trust_id', None) and \
            'trustee_user_id' not in target:
        target['trustee_user_id'] = _cluster_trustee(context, target)
    try:
        return get_enforcer().enforce(rule, target, context.to_policy_values())
    except policy.InvalidScope:
        return False


def authorize(rule, context, target=None):
    """Raise 403 "Policy doesn't allow ..." unless ``rule`` allows."""
    if not check(rule, context, target):
        raise exception.PolicyNotAuthorized(action=rule)


def is_admin(context):
    """Magnum's admin: the context_is_admin rule holds."""
    return check('context_is_admin', context)
