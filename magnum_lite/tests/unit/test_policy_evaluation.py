"""magnum_lite.api.policy decides exactly as oslo.policy's own
``Enforcer.enforce``, without introspecting each rule node per call."""

import inspect
import itertools
from unittest import mock

import fixtures
from oslo_policy import policy as oslo_policy

from magnum_lite.api import policy
from magnum_lite.common import context
from magnum_lite.tests import base

# Rules an operator's policy file might hold: every combinator, constants,
# a missing rule, a literal and a nested credential.
OVERRIDES = {
    'cluster:get': 'not rule:deny_cluster_user or @',
    'cluster:delete': '!',
    'cluster:create': 'rule:no_such_rule or role:ADMIN',
    'cluster:update': "'p1':%(project_id)s and (role:member or not @)",
    'nodegroup:get': 'is_admin:True or (user_id:%(user_id)s and '
                     'project_id:%(missing)s)',
    'nodegroup:create': 'roles:member and project_id:%(project_id)s',
}


def _contexts():
    roles = ([], ['reader'], ['member', 'reader'], ['admin'],
             ['Admin', 'member'])
    trusts = ((None, None), ('trust-1', 'trustee-1'))
    domains = (None, 'domain-1')
    for role, (trust, trustee), domain in itertools.product(
            roles, trusts, domains):
        yield context.RequestContext(
            user_id='u1', project_id='p1', roles=role, trust_id=trust,
            trustee_user_id=trustee, domain_id=domain)


def _targets():
    for project, user in itertools.product(('p1', 'p2'), ('u1', 'u2')):
        yield {'project_id': project, 'user_id': user}
        yield {'project_id': project, 'user_id': user,
               'trustee_user_id': 'trustee-1'}


class TestSameDecisions(base.TestCase):

    def decisions(self, rules, decide):
        return {(rule, i, j): decide(rule, ctx, target)
                for rule in rules
                for i, ctx in enumerate(_contexts())
                for j, target in enumerate(_targets())}

    @staticmethod
    def enforce(rule, ctx, target):
        try:
            return policy.get_enforcer().enforce(rule, target,
                                                 ctx.to_policy_values())
        except oslo_policy.InvalidScope:
            return False

    def compare(self):
        enforcer = policy.get_enforcer()
        enforcer.load_rules()
        rules = sorted(enforcer.rules) + ['no_such_rule']
        # A trustee_user_id is in every target, so check() asks nothing
        # more than enforce() is given.
        ours = self.decisions(rules, policy.check)
        theirs = self.decisions(rules, self.enforce)
        self.assertEqual(theirs, ours)
        self.assertIn(True, ours.values())
        self.assertIn(False, ours.values())

    def test_default_rules(self):
        self.compare()

    def test_overridden_rules(self):
        enforcer = policy.get_enforcer()
        enforcer.load_rules()
        enforcer.set_rules(oslo_policy.Rules.from_dict(OVERRIDES),
                           overwrite=False, use_conf=False)
        self.compare()


class TestNoIntrospection(base.TestCase):

    def test_one_signature_read_per_decision(self):
        ctx = context.RequestContext(user_id='u1', project_id='p1',
                                     roles=['member', 'reader'])
        target = {'project_id': 'p1', 'user_id': 'u1'}
        self.assertTrue(policy.check('cluster:get', ctx, target))
        with mock.patch.object(inspect, 'getfullargspec',
                               wraps=inspect.getfullargspec) as spy:
            self.assertTrue(policy.check(
                'cluster:get', ctx, dict(target, user_id='u2')))
        # oslo.policy reads the signature of the check it is handed, once;
        # not that of every node of the rule tree.
        self.assertEqual(1, spy.call_count)

    def test_a_known_decision_is_not_evaluated_again(self):
        ctx = context.RequestContext(user_id='u1', project_id='p1',
                                     roles=['member', 'reader'])
        target = {'project_id': 'p1', 'user_id': 'u1'}
        self.assertTrue(policy.check('cluster:get', ctx, target))
        enforcer = policy.get_enforcer()
        with mock.patch.object(enforcer, 'enforce',
                               wraps=enforcer.enforce) as spy:
            # The same credentials in another request's context.
            again = context.RequestContext(user_id='u1', project_id='p1',
                                           roles=['member', 'reader'])
            self.assertTrue(policy.check('cluster:get', again, target))
            self.assertEqual(0, spy.call_count)
            # Other roles, another target, another rule: evaluated.
            self.assertFalse(policy.check(
                'cluster:get', context.RequestContext(
                    user_id='u1', project_id='p1', roles=['foo']), target))
            self.assertFalse(policy.check(
                'cluster:get', ctx, {'project_id': 'p2', 'user_id': 'u1'}))
            self.assertFalse(policy.check('cluster:get_all_all_projects',
                                          ctx, target))
            self.assertEqual(3, spy.call_count)


class TestRememberedDecisions(base.TestCase):

    def test_same_decisions_from_memory(self):
        # Every decision of the matrix twice, the second from memory:
        # both as oslo.policy decides.
        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.api.policy.MAX_DECISIONS', 100000))
        enforcer = policy.get_enforcer()
        enforcer.load_rules()
        rules = sorted(enforcer.rules)
        theirs = TestSameDecisions.decisions(None, rules,
                                             TestSameDecisions.enforce)
        first = TestSameDecisions.decisions(None, rules, policy.check)
        with mock.patch.object(enforcer, 'enforce') as enforce:
            second = TestSameDecisions.decisions(None, rules, policy.check)
        enforce.assert_not_called()
        self.assertEqual(theirs, first)
        self.assertEqual(theirs, second)

    def test_memory_is_bounded(self):
        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.api.policy.MAX_DECISIONS', 10))
        for i in range(25):
            ctx = context.RequestContext(user_id=f'u{i}', project_id='p1',
                                         roles=['member', 'reader'])
            self.assertTrue(policy.check('cluster:get', ctx))
            self.assertLessEqual(len(policy.get_enforcer()._decisions), 10)

    def test_new_rules_forget_decisions(self):
        ctx = context.RequestContext(user_id='u1', project_id='p1',
                                     roles=['member', 'reader'])
        target = {'project_id': 'p1', 'user_id': 'u1'}
        self.assertTrue(policy.check('cluster:get', ctx, target))
        policy.get_enforcer().set_rules(
            oslo_policy.Rules.from_dict({'cluster:get': '!'}),
            overwrite=False, use_conf=False)
        self.assertFalse(policy.check('cluster:get', ctx, target))

    def test_impure_rules_are_asked_every_time(self):
        calls = []
        enforcer = policy.get_enforcer()
        enforcer.load_rules()
        rule = oslo_policy.RuleDefault('count:me', 'role:member')
        enforcer.register_default(rule)
        enforcer.load_rules(force_reload=True)
        original = enforcer.rules['count:me']

        class Remote(type(original)):
            def __call__(self, target, creds, enforcer, current_rule=None):
                calls.append(1)
                return True

        enforcer.set_rules(oslo_policy.Rules(
            {'count:me': Remote(original.kind, original.match)}),
            overwrite=False, use_conf=False)
        ctx = context.RequestContext(user_id='u1', project_id='p1',
                                     roles=['member'])
        for _ in range(3):
            self.assertTrue(policy.check('count:me', ctx))
        self.assertEqual(3, len(calls))
