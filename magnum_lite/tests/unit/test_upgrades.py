"""The version steps an upgrade allows and the rows it changes."""

import types

import testtools

from magnum_lite.cluster import upgrades
from magnum_lite.cluster import versions

NEWEST, MIDDLE, OLDEST = sorted(versions.RELEASES, reverse=True)


def _tag(key, patch=True):
    return versions.RELEASES[key].kube if patch else f'v{key[0]}.{key[1]}'


def _row(**fields):
    return types.SimpleNamespace(**fields)


class TestCheckStep(testtools.TestCase):

    def test_allowed(self):
        for current, target in (
                (_tag(OLDEST), _tag(MIDDLE)),
                (_tag(MIDDLE), _tag(NEWEST)),
                (_tag(NEWEST), _tag(NEWEST)),             # retry, image only
                (_tag(NEWEST, False), _tag(NEWEST)),      # same release
                (_tag(NEWEST), _tag(NEWEST, False)),
                ('v1.34.3', _tag(OLDEST))):               # off the table
            upgrades.check_step(current, target)

    def test_refused_names_both_versions(self):
        cases = (
            (_tag(OLDEST), _tag(NEWEST), 'may not skip a minor version; '
             f'upgrade to {OLDEST[0]}.{OLDEST[1] + 1} first'),
            (_tag(NEWEST), _tag(MIDDLE), 'downgrades are not supported'),
            (_tag(NEWEST), 'v1.99.0', 'is not supported'),
            (_tag(NEWEST), 'latest', 'is not a Kubernetes version'),
            ('v2.0.0', _tag(NEWEST), 'downgrades'),
        )
        for current, target, why in cases:
            err = self.assertRaises(upgrades.UpgradeRefused,
                                    upgrades.check_step, current, target)
            self.assertIn(f'Cannot upgrade from Kubernetes {current} to '
                          f'{target}', str(err))
            self.assertIn(why, str(err))


class TestChanges(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.old = _row(uuid='t-old', image_id='img-old', labels={
            'kube_tag': _tag(MIDDLE), 'cni': 'calico', 'gone': 'x'})
        self.new = _row(uuid='t-new', image_id='img-new', labels={
            'kube_tag': _tag(NEWEST), 'cni': 'cilium', 'added': 'y'})
        # cni and gone came from the old template; mine is the user's.
        labels = {'kube_tag': _tag(MIDDLE), 'cni': 'calico', 'gone': 'x',
                  'mine': 'z'}
        self.cluster = _row(labels=labels)
        self.master = _row(uuid='m', is_default=True, labels=dict(labels))
        self.worker = _row(uuid='w', is_default=True, labels=dict(labels))
        self.extra = _row(uuid='e', is_default=False,
                          labels={'kube_tag': _tag(MIDDLE)})

    def test_cluster_upgrade_moves_inherited_labels_and_image(self):
        changes = upgrades.changes(
            self.cluster, [self.master, self.worker, self.extra], self.old,
            self.new, self.worker)
        expected = {'kube_tag': _tag(NEWEST), 'cni': 'cilium', 'mine': 'z',
                    'added': 'y'}
        self.assertEqual({'cluster_template_id': 't-new',
                          'labels': expected}, changes['cluster'])
        self.assertEqual({'m', 'w'}, set(changes['nodegroups']))
        for values in changes['nodegroups'].values():
            self.assertEqual({'image_id': 'img-new', 'labels': expected},
                             values)

    def test_user_overrides_stay_but_kube_tag_moves(self):
        self.cluster.labels = {'kube_tag': _tag(MIDDLE, False),
                               'cni': 'cilium'}
        self.old.labels = {'kube_tag': _tag(MIDDLE), 'cni': 'calico'}
        self.new.labels = {'kube_tag': _tag(NEWEST), 'cni': 'flannel'}
        changes = upgrades.changes(self.cluster, [], self.old, self.new,
                                   self.master)
        self.assertEqual({'kube_tag': _tag(NEWEST), 'cni': 'cilium'},
                         changes['cluster']['labels'])

    def test_extra_nodegroup_follows_the_cluster(self):
        self.cluster.labels = {'kube_tag': _tag(NEWEST)}
        changes = upgrades.changes(self.cluster, [], self.new, self.new,
                                   self.extra)
        self.assertEqual({'cluster': {}, 'nodegroups': {'e': {
            'image_id': 'img-new', 'labels': {'kube_tag': _tag(NEWEST)}}}},
            changes)
        self.assertEqual((_tag(MIDDLE), _tag(NEWEST)),
                         upgrades.current_and_target(self.cluster,
                                                     self.extra, self.new))

    def test_apply(self):
        self.assertEqual({'a': 1, 'b': 3},
                         upgrades.apply({'a': 1, 'b': 2}, {'b': 3}))
        self.assertEqual({'a': 1}, upgrades.apply({'a': 1}, None))
