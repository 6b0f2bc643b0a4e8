"""The enforcer loads its rules once, and again when the policy file
changes, as oslo.policy does; not on every decision."""

import os

import fixtures
from oslo_policy import policy as oslo_policy

from magnum_lite.api import policy
from magnum_lite.common import context
from magnum_lite.tests import base


class TestReload(base.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'policy.yaml')
        self.ctx = context.RequestContext(user_id='u1', project_id='p1',
                                          roles=['member', 'reader'])
        self.loads = []
        real = oslo_policy.Enforcer.load_rules

        def counted(enforcer, force_reload=False):
            self.loads.append(force_reload)
            return real(enforcer, force_reload)
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_policy.policy.Enforcer.load_rules', counted))

    def write(self, text):
        with open(self.path, 'w') as f:
            f.write(text)

    def use_file(self):
        policy.get_enforcer()  # registers [oslo_policy]
        self.conf.config(policy_file=self.path, group='oslo_policy')
        policy.reset()

    def allowed(self):
        return policy.check('cluster:get', self.ctx,
                            {'project_id': 'p1', 'user_id': 'u1'})

    def test_rules_are_loaded_once(self):
        for _ in range(20):
            self.assertTrue(self.allowed())
        self.assertEqual(1, len(self.loads))

    def test_changed_policy_file_is_seen_at_once(self):
        self.write('"cluster:get": "role:member"\n')
        self.use_file()
        self.assertTrue(self.allowed())
        self.write('"cluster:get": "role:admin and role:member"\n')
        self.assertFalse(self.allowed())
        self.write('"cluster:get": "role:member"\n')
        self.assertTrue(self.allowed())

    def test_new_policy_file_is_seen_after_the_rescan_delay(self):
        self.use_file()
        self.assertTrue(self.allowed())
        self.write('"cluster:get": "!"\n')
        # Within the delay the rules stay; after it the file is found.
        self.assertTrue(self.allowed())
        self.useFixture(fixtures.MonkeyPatch(
            'magnum_lite.api.policy.RESCAN_SECONDS', 0.0))
        policy.get_enforcer()._rescan_at = 0.0
        self.assertFalse(self.allowed())
