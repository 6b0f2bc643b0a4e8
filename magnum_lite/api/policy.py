"""The policy enforcer."""

import os
import threading
import time

from oslo_policy import _checks
from oslo_policy import policy

from magnum_lite.common import exception
from magnum_lite.common import policies
from magnum_lite.conf import CONF

_ENFORCER = None
_LOCK = threading.Lock()
# How often the enforcer looks for policy files that appeared or for
# changes in policy directories (a change of the policy file it loaded is
# seen at once).
RESCAN_SECONDS = 1.0
# Decisions remembered per enforcer; past that many the memory starts
# anew (a bound on memory, not a tuning knob: a busy API sees few
# distinct credentials and targets per second).
MAX_DECISIONS = 4096
_UNKNOWN = object()


def _file_state(path):
    try:
        stat = os.stat(path)
    except (OSError, TypeError):
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, without its search for the policy files on
    every decision.

    ``Enforcer.enforce`` calls ``load_rules()`` each time, and that looks
    for the policy file and each policy directory in the configuration
    directories, then walks every registered rule: most of what a
    decision costs, three decisions a request. Here the rules are
    reloaded as oslo.policy reloads them, when the loaded policy file
    changed (checked with one ``stat`` per decision), and the full
    search runs at most every :data:`RESCAN_SECONDS` (a new policy file
    or a change in a policy directory is seen within that delay)."""

    _rescan_at = 0.0
    _loaded_state = None

    def __init__(self, *args, **kwargs):
        # (rule, credentials, target) -> decision, for the rules as
        # loaded now; and rule -> whether its decisions may be kept.
        self._decisions = {}
        self._keepable = {}
        super().__init__(*args, **kwargs)

    def load_rules(self, force_reload=False):
        if not force_reload and self.rules and \
                time.monotonic() < self._rescan_at and \
                _file_state(self.policy_path) == self._loaded_state:
            return
        before = (id(self.rules), len(self.rules))
        super().load_rules(force_reload)
        self._loaded_state = _file_state(self.policy_path)
        self._rescan_at = time.monotonic() + RESCAN_SECONDS
        # A reload of a file goes through set_rules (which forgets); a
        # rescan that found nothing new keeps what was decided.
        if force_reload or (id(self.rules), len(self.rules)) != before:
            self._forget()

    def set_rules(self, *args, **kwargs):
        super().set_rules(*args, **kwargs)
        self._forget()

    def clear(self):
        super().clear()
        self._forget()

    def _forget(self):
        # New dicts rather than clear(): a thread deciding meanwhile
        # stores into the old ones, which nobody reads again.
        self._decisions = {}
        self._keepable = {}

    def decide(self, name, target, context):
        """What ``enforce`` answers for rule ``name`` on ``target`` with
        the credentials of ``context``; remembered per (rule, credentials,
        target) while the rules stay as loaded, when the rule's answer
        depends on nothing else (see :func:`_pure`)."""
        self.load_rules()
        values = context.to_policy_values()
        key = _decision_key(name, target, values)
        decisions = self._decisions
        if key is not None:
            found = decisions.get(key, _UNKNOWN)
            if found is not _UNKNOWN:
                return found
        try:
            result = self.enforce(_named_rule(self, name), target, values)
        except policy.InvalidScope:
            result = False
        if key is not None and self._may_keep(name):
            if len(decisions) >= MAX_DECISIONS:
                decisions.clear()
            decisions[key] = result
        return result

    def _may_keep(self, name):
        keep = self._keepable.get(name)
        if keep is None:
            keep = self._keepable[name] = _pure(_rule(self.rules, name),
                                                self.rules, {name})
        return keep


def get_enforcer():
    """The process-wide enforcer (also the oslo.policy.enforcer hook)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            enforcer = Enforcer(CONF)
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


# Check kinds whose __call__ takes (target, creds, enforcer, current_rule)
# and that evaluate no other check: they are called directly. Exact types,
# so a subclass (which may override __call__) takes oslo.policy's path.
_LEAVES = frozenset({_checks.GenericCheck, _checks.RoleCheck,
                     _checks.TrueCheck, _checks.FalseCheck})


def _rule(rules, name):
    """The check ``rules[name]`` evaluates (oslo.policy's ``Rules`` may
    answer a missing name with its default rule), or None."""
    try:
        return rules[name]
    except KeyError:
        return None


def _pure(check, rules, seen):
    """Whether ``check`` answers from the target and the credentials
    alone: only oslo.policy's leaves (generic, role, constant checks) and
    combinators, down every rule it names. Any other kind (an HTTP check,
    a plug-in) is asked every time."""
    kind = type(check)
    if check is None or kind in _LEAVES:
        return True
    if kind in (_checks.OrCheck, _checks.AndCheck):
        return all(_pure(rule, rules, seen) for rule in check.rules)
    if kind is _checks.NotCheck:
        return _pure(check.rule, rules, seen)
    if kind is _checks.RuleCheck:
        if check.match in seen:
            return True
        seen.add(check.match)
        return _pure(_rule(rules, check.match), rules, seen)
    return False


def _frozen(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _credentials_key(values):
    """The policy values of a context (oslo.context's, and the ones our
    context adds, which it keeps apart), as a hashable key."""
    return (_frozen(getattr(values, '_data', values)),
            _frozen(getattr(values, '_deprecated', {})))


def _decision_key(name, target, values):
    """A hashable (rule, credentials, target), or None when a value is
    not hashable (the decision is then not remembered)."""
    key = (name, _credentials_key(values), _frozen(target))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _evaluate(check, target, creds, enforcer, current_rule):
    """What oslo.policy's ``_checks._check`` answers for ``check``,
    without its per-node ``inspect.getfullargspec`` (which finds out
    how many arguments the check's __call__ takes on every evaluation of
    every node: most of a policy decision's cost). The combinators are
    walked here as oslo.policy walks them; leaves are oslo.policy's own
    checks; any other kind goes through oslo.policy."""
    kind = type(check)
    if kind in _LEAVES:
        return check(target, creds, enforcer, current_rule)
    if kind is _checks.OrCheck:
        return any(_evaluate(rule, target, creds, enforcer, current_rule)
                   for rule in check.rules)
    if kind is _checks.AndCheck:
        return all(_evaluate(rule, target, creds, enforcer, current_rule)
                   for rule in check.rules)
    if kind is _checks.NotCheck:
        return not _evaluate(check.rule, target, creds, enforcer,
                             current_rule)
    if kind is _checks.RuleCheck:
        try:
            return _evaluate(enforcer.rules[check.match], target, creds,
                             enforcer, current_rule)
        except KeyError:
            # As RuleCheck: an unknown rule fails closed.
            return False
    return _checks._check(check, target, creds, enforcer, current_rule)


class _NamedRule(_checks.BaseCheck):
    """The rule ``name`` of the enforcer's (re)loaded rules, handed to
    ``Enforcer.enforce`` as a check: oslo.policy still loads the rules,
    maps the credentials and checks the scope types; the rule tree is
    then evaluated by :func:`_evaluate`."""

    def __init__(self, name, scope_types):
        self.name = name
        self.scope_types = scope_types

    def __str__(self):
        return f'rule:{self.name}'

    def __call__(self, target, creds, enforcer, current_rule=None):
        if not enforcer.rules:
            # As Enforcer.enforce: no rules at all fails closed.
            return False
        try:
            check = enforcer.rules[self.name]
        except KeyError:
            return False
        return _evaluate(check, target, creds, enforcer, self.name)


def _named_rule(enforcer, name):
    registered = enforcer.registered_rules.get(name)
    return _NamedRule(name, registered.scope_types if registered else None)


def check(rule, context, target=None):
    """Whether ``rule`` allows the caller on ``target``."""
    target = dict(target or {'project_id': context.project_id,
                             'user_id': context.user_id})
    if getattr(context, 'trust_id', None) and \
            'trustee_user_id' not in target:
        target['trustee_user_id'] = _cluster_trustee(context, target)
    return get_enforcer().decide(rule, target, context)


def authorize(rule, context, target=None):
    """Raise 403 "Policy doesn't allow ..." unless ``rule`` allows."""
    if not check(rule, context, target):
        raise exception.PolicyNotAuthorized(action=rule)


def is_admin(context):
    """Magnum's admin: the context_is_admin rule holds."""
    return check('context_is_admin', context)
