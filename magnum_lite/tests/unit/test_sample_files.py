"""The committed sample configuration and policy files are what the
generators write today: the documentation shows them (doc/source/admin/),
so a new or changed option or rule must come with its regenerated sample
(``tox -e genconfig``, ``tox -e genpolicy``)."""

import os
import subprocess
import sys
import tempfile

import testtools

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
ETC = os.path.join(ROOT, 'etc', 'magnum-lite')
BIN = os.path.dirname(sys.executable)


class TestSampleFiles(testtools.TestCase):

    def generated(self, program, generator_conf):
        with tempfile.TemporaryDirectory() as tmp:
            output = os.path.join(tmp, 'sample')
            subprocess.run(
                [os.path.join(BIN, program), '--config-file',
                 os.path.join(ETC, generator_conf), '--output-file', output],
                cwd=ROOT, check=True, capture_output=True)
            with open(output) as f:
                return f.read()

    def committed(self, name):
        with open(os.path.join(ETC, name)) as f:
            return f.read()

    def test_sample_config_is_current(self):
        self.assertEqual(
            self.committed('magnum-lite.conf.sample'),
            self.generated('oslo-config-generator',
                           'magnum-lite-config-generator.conf'),
            'regenerate it with tox -e genconfig')

    def test_sample_policy_is_current(self):
        self.assertEqual(
            self.committed('policy.yaml.sample'),
            self.generated('oslopolicy-sample-generator',
                           'magnum-lite-policy-generator.conf'),
            'regenerate it with tox -e genpolicy')
