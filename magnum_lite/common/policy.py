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


def check(rule, context, target=None):
    """Whether ``rule`` allows the caller on ``target``."""
    target = target or {'project_id': context.project_id,
                        'user_id': context.user_id}
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
