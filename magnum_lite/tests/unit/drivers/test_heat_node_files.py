"""A new release's node files reach a cluster's nodes only through an
upgrade, drained and waited for (issue 12 item 4)."""

import json
import types

import testtools

from magnum_lite.cluster import operations
from magnum_lite.common import exception
from magnum_lite.drivers.heat import driver
from magnum_lite.drivers.heat import generations
from magnum_lite.drivers.heat import node_files
from magnum_lite.drivers.heat import templates
from magnum_lite.tests.unit.drivers import test_heat_generations as gen

BOOTSTRAP_SH = 'fragments/bootstrap.sh.gz.b64'
DEPARTURES_SH = 'fragments/etcd-departures.sh.gz.b64'


class FakeStacks:
    """The Stacks calls ``HeatDriver._update`` makes, for one cluster
    stack made by a previous release (its files as ``held_files``)."""

    def __init__(self, parameters, held):
        self.stack = types.SimpleNamespace(
            stack_name='ml-c0ffee', id='top-id', parameters=parameters,
            stack_status='UPDATE_COMPLETE')
        self._held = held
        self.client = None      # no call: the stack is not failed
        self.sent = None

    def find(self, name):
        return self.stack

    def held(self, stack):
        return self._held

    def update(self, name, **arguments):
        self.sent = arguments


def _file(files, name):
    found = [text for url, text in files.items() if url.endswith('/' + name)]
    assert len(found) == 1, name
    return gen._text(found[0])


def _paused_groups(environment):
    hooks = environment.get('resource_registry', {}).get('resources', {})
    return sorted(hooks)


class UpdateTest(testtools.TestCase):

    def update(self, operation, change, held=None):
        """An update of a stack made by a release whose files differ by
        ``change`` (or whose template and files are ``held``), with the
        parameters the stack has."""
        created = gen.render()
        generations.assign(templates.CLUSTER, created)
        stacks = FakeStacks(gen.as_heat(created),
                            held or gen.release(change))
        self.stacks = stacks
        cluster = types.SimpleNamespace(uuid='c0ffee', create_timeout=60)
        driver.HeatDriver._update(
            stacks, 'ml-c0ffee', templates.CLUSTER, gen.render(), cluster,
            operation, {})
        return stacks.sent

    def test_a_resize_keeps_the_files_the_nodes_run(self):
        sent = self.update(operations.CLUSTER_RESIZE,
                           {BOOTSTRAP_SH: 'the previous release\n'})
        self.assertEqual('the previous release\n',
                         _file(sent['files'], BOOTSTRAP_SH))
        params = sent['parameters']
        self.assertEqual((1, 1), (params['master_generation'],
                                  params['worker_generation']))
        self.assertEqual([], _paused_groups(sent['environment']))

    def test_an_upgrade_rolls_the_nodes_onto_the_new_files(self):
        sent = self.update(operations.CLUSTER_UPGRADE,
                           {BOOTSTRAP_SH: 'the previous release\n'})
        self.assertNotEqual('the previous release\n',
                            _file(sent['files'], BOOTSTRAP_SH))
        params = sent['parameters']
        # Each replaced node is waited for (its wait condition's count)
        # and drained first (a pre-update hook on its server).
        self.assertEqual((2, 2), (params['master_generation'],
                                  params['worker_generation']))
        self.assertEqual(['kube_minions', 'masters'],
                         _paused_groups(sent['environment']))

    def test_an_upgrade_rolls_only_the_nodes_that_read_the_file(self):
        sent = self.update(operations.CLUSTER_UPGRADE,
                           {DEPARTURES_SH: 'the previous release\n'})
        params = sent['parameters']
        self.assertEqual((2, 1), (params['master_generation'],
                                  params['worker_generation']))
        self.assertEqual(['masters'], _paused_groups(sent['environment']))

    def test_a_resize_never_replaces_nodes_undrained(self):
        # A member template whose user data a release changed cannot be
        # kept: the resize is refused before Heat is asked anything.
        err = self.assertRaises(
            exception.NodesNeedUpgrade, self.update,
            operations.CLUSTER_RESIZE, None, held=_without_last_file())
        self.assertIsNone(self.stacks.sent)
        self.assertIn('cluster_resize would replace the nodes of masters',
                      str(err))
        self.assertIn('Upgrade the cluster first', str(err))
        self.assertEqual(409, err.code)

    def test_an_upgrade_replaces_them_drained(self):
        sent = self.update(operations.CLUSTER_UPGRADE, None,
                           held=_without_last_file())
        self.assertEqual((2, 1), (sent['parameters']['master_generation'],
                                  sent['parameters']['worker_generation']))
        self.assertEqual(['masters'], _paused_groups(sent['environment']))

    def test_the_same_release_replaces_nothing(self):
        sent = self.update(operations.CLUSTER_UPGRADE, None)
        self.assertEqual(1, sent['parameters']['master_generation'])
        self.assertEqual([], _paused_groups(sent['environment']))


def _without_last_file():
    """A cluster stack of a release whose master template wrote one file
    fewer (its user data differs by template text, not by a file)."""
    template, files = gen.release()
    url = template['resources']['masters']['properties']['resource_def'][
        'type']
    member = json.loads(files[url])
    member['resources']['cloud_config']['properties']['cloud_config'][
        'write_files'].pop()
    return template, dict(files, **{url: json.dumps(member)})


class PinTest(testtools.TestCase):

    def test_the_stack_s_content_is_matched_by_name_not_directory(self):
        template, files = gen.release()
        held = {url.replace(templates.template_dir(), '/old/install'): text
                for url, text in gen.release(
                    {BOOTSTRAP_SH: 'old\n', 'fragments/node.env': 'old\n'})[
                        1].items()}
        arguments = {'template': template, 'files': dict(files)}
        kept = node_files.pin(templates.CLUSTER, arguments, held)
        self.assertEqual(['fragments/bootstrap.sh.gz.b64',
                          'fragments/node.env'], kept)
        self.assertEqual('old\n', _file(arguments['files'], BOOTSTRAP_SH))

    def test_a_file_the_stack_lacks_is_sent_as_this_release_has_it(self):
        template, files = gen.release()
        held = {url: text for url, text in files.items()
                if not url.endswith('/' + BOOTSTRAP_SH)}
        arguments = {'template': template, 'files': dict(files)}
        self.assertEqual([], node_files.pin(templates.CLUSTER, arguments,
                                            held))
        self.assertEqual(files, arguments['files'])

    def test_files_no_node_reads_are_this_release_s(self):
        template, files = gen.release()
        held = gen.release({'addons/cinder-csi.yaml': 'old\n'})[1]
        arguments = {'template': template, 'files': dict(files)}
        self.assertEqual([], node_files.pin(templates.CLUSTER, arguments,
                                            held))
