"""The stack's files map: add-on manifests under their fixed names."""

import base64
import gzip
import os
import shutil

import fixtures
import testtools
from oslo_config import fixture as config_fixture

from magnum_lite.cluster import versions
from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import addons
from magnum_lite.drivers.heat import driver
from magnum_lite.drivers.heat import templates

REAL = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                    'heat-templates', 'kubernetes')

ENTRY = """heat_template_version: 2021-04-16
resources:
  member:
    type: member.yaml
"""
MEMBER = """heat_template_version: 2021-04-16
resources:
  config:
    type: OS::Heat::SoftwareConfig
    properties:
      config: {get_file: addons/cloud-controller-manager.yaml}
"""
PLAIN = """heat_template_version: 2021-04-16
resources:
  nothing:
    type: OS::Heat::None
"""


class StackFilesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        shutil.copytree(os.path.join(REAL, 'addons'),
                        os.path.join(self.dir, 'addons'))
        for name, text in (('entry.yaml', ENTRY), ('member.yaml', MEMBER),
                           ('plain.yaml', PLAIN)):
            with open(os.path.join(self.dir, name), 'w') as f:
                f.write(text)
        conf = self.useFixture(config_fixture.Config(CONF))
        conf.config(template_dir=self.dir, environment_files=[],
                    group='heat')
        for cached in (templates._load, templates._read,
                       templates._environment):
            cached.cache_clear()
            self.addCleanup(cached.cache_clear)

    def url(self, relative):
        return 'file://' + os.path.join(os.path.realpath(self.dir), relative)

    def test_fixed_name_carries_the_versioned_manifest(self):
        for tag, version in (('v1.35.9', 'v1.35.0'), ('v1.37.1', 'v1.36.0')):
            args = templates.stack_arguments(
                'entry.yaml', addons.files(tag))
            fixed = self.url('addons/cloud-controller-manager.yaml')
            self.assertIn(fixed, args['files'])
            self.assertIn(
                f'openstack-cloud-controller-manager:{version}',
                args['files'][fixed])
            # The member template reads it by that name.
            self.assertIn(fixed, args['files'][self.url('member.yaml')])
            # No versioned file is sent under its own name.
            self.assertFalse(any('-v1.3' in key for key in args['files']))

    def test_no_placeholders_without_addons(self):
        args = templates.stack_arguments('plain.yaml')
        for key, value in args['files'].items():
            self.assertIsInstance(value, str, key)
        for fixed in addons.files(versions.DEFAULT_KUBE_TAG):
            self.assertNotIn(self.url(fixed), args['files'])

    def test_compressed_addons_are_of_the_clusters_version(self):
        # The masters read the add-ons gzip+base64 encoded (user data
        # size); those entries follow the kube_tag too.
        args = templates.stack_arguments(
            'entry.yaml', addons.files('v1.35.9'))
        text = gzip.decompress(base64.b64decode(args['files'][
            self.url('addons/cinder-csi.yaml.gz.b64')])).decode()
        self.assertIn('cinder-csi-plugin:v1.35.0', text)
        self.assertNotIn('v1.36.0', text)


class DriverAddonsTest(testtools.TestCase):

    def test_cluster_stacks_carry_the_addons_of_their_version(self):
        self.assertEqual(addons.files('v1.35.9'),
                         driver._addons(templates.CLUSTER,
                                        {'kube_tag': 'v1.35.9'}))
        self.assertIsNone(driver._addons(templates.NODEGROUP,
                                         {'kube_tag': 'v1.35.9'}))
