"""magnum-lite-status upgrade check: each check on a real database,
policy file and transport URL, and the command end to end."""

import os
import subprocess
import sys

import fixtures
from oslo_policy import policy as oslo_policy
from oslo_upgradecheck import upgradecheck

from magnum_lite.api import policy
from magnum_lite.cmd import status
from magnum_lite.db import api as db_api
from magnum_lite.db import migration
from magnum_lite.tests import base
from magnum_lite.tests import services

Code = upgradecheck.Code


class StatusTest(base.DbTestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def use_database(self, url):
        self.conf.config(connection=url, group='database')
        db_api.reset()
        self.addCleanup(db_api.reset)

    def test_database_at_head(self):
        result = status._database()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertIn(migration.head(), result.details)

    def test_database_behind_or_empty(self):
        self.use_database(f'sqlite:///{self.dir}/old.sqlite')
        result = status._database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('has no schema', result.details)
        migration.upgrade('0002_cluster_credentials')
        result = status._database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('at revision 0002_cluster_credentials, this release '
                      f'needs {migration.head()}', result.details)
        self.assertIn('magnum-lite-db-manage upgrade', result.details)

    def test_database_unreachable(self):
        self.use_database('mysql+pymysql://nobody:x@127.0.0.1:9/none')
        result = status._database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Cannot read the schema revision', result.details)

    def test_encryption_key(self):
        self.assertEqual(Code.SUCCESS, status._encryption_key().code)
        for key, said in ((None, 'not set'), ('short', 'not a Fernet key')):
            self.conf.config(encryption_key=key, group='database')
            result = status._encryption_key()
            self.assertEqual(Code.FAILURE, result.code)
            self.assertIn(said, result.details)

    def policy_file(self, text):
        path = os.path.join(self.dir, 'policy.yaml')
        with open(path, 'w') as f:
            f.write(text)
        policy.get_enforcer()  # registers [oslo_policy]
        self.conf.config(policy_file=path, group='oslo_policy')
        policy.reset()  # an enforcer keeps the path it started with

    def test_policy_file(self):
        self.assertEqual(Code.SUCCESS, status._policy().code)
        self.policy_file('"cluster:create": "role:admin"\n')
        self.assertEqual(Code.SUCCESS, status._policy().code)
        self.policy_file('"cluster:create": "role:admin"\n'
                         '"bay:create": "role:admin"\n')
        result = status._policy()
        self.assertEqual(Code.WARNING, result.code)
        self.assertEqual('bay:create is not a rule of magnum-lite.',
                         result.details)
        self.policy_file('"cluster:create": [unclosed\n')
        result = status._policy()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('cannot be read', result.details)

    def test_deprecated_rules_overridden(self):
        self.policy_file('"cluster:old_name": "role:admin"\n'
                         '"cluster:going": "role:admin"\n')
        old = oslo_policy.DeprecatedRule(
            'cluster:old_name', 'role:admin', deprecated_reason='renamed',
            deprecated_since='2026.2')
        enforcer = policy.get_enforcer()
        enforcer.register_default(oslo_policy.RuleDefault(
            'cluster:new_name', 'role:admin', deprecated_rule=old))
        enforcer.register_default(oslo_policy.RuleDefault(
            'cluster:going', 'role:admin', deprecated_for_removal=True,
            deprecated_reason='gone', deprecated_since='2026.2'))
        result = status._policy()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('cluster:old_name is deprecated: override '
                      'cluster:new_name instead', result.details)
        self.assertIn('cluster:going is deprecated for removal',
                      result.details)
        self.assertNotIn('not a rule', result.details)

    def test_rpc_transport(self):
        cases = [('fake://', Code.SUCCESS, 'magnum-lite-all'),
                 (services.transport_url(), Code.SUCCESS, None),
                 (None, Code.WARNING, 'not set'),
                 ('nosuchdriver://h', Code.FAILURE, 'transport_url')]
        for url, code, said in cases:
            if url is None:
                # The config fixture's clean-up puts any override back.
                self.conf.conf.clear_override('transport_url')
            else:
                self.conf.config(transport_url=url)
            result = status._rpc_transport()
            self.assertEqual(code, result.code, (url, result.details))
            if said:
                self.assertIn(said, result.details)

    def run_command(self, *options):
        config = os.path.join(self.dir, 'magnum-lite.conf')
        with open(config, 'w') as f:
            f.write('[DEFAULT]\n' + ''.join(f'{o}\n' for o in options)
                    + f'[database]\nconnection = '
                      f'{services.database_url(self.backend)}\n'
                      f'encryption_key = {base.ENCRYPTION_KEY}\n')
        return subprocess.run(
            [sys.executable, '-c', 'import sys; from magnum_lite.cmd '
             'import status; sys.exit(status.main())', '--config-file',
             config, 'upgrade', 'check', '--json'],
            capture_output=True, text=True, timeout=120, cwd=self.dir)

    def test_command(self):
        done = self.run_command('transport_url = fake://')
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertIn('"Database schema"', done.stdout)
        self.assertIn('"RPC transport"', done.stdout)
        done = self.run_command('transport_url = nosuchdriver://h')
        self.assertEqual(2, done.returncode, done.stdout + done.stderr)
