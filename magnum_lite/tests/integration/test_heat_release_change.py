"""A new release's node files, on the real Heat engine (issue 12 item 4).

A cluster is built from a copy of the templates; then the copy's
bootstrap.sh changes, as a new magnum-lite release would change it. A
resize must replace no node (the stack keeps the files its nodes run); an
upgrade to the same template must replace every node, drained, with the
generations raised so each replacement is waited for.
"""

import shutil

import fixtures
import testtools

from magnum_lite.drivers.heat import templates
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.integration import test_heat_clusters as clusters


@testtools.skipUnless(clusters.ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class ReleaseChangeTest(clusters.HeatClusterCase):

    def setUp(self):
        super().setUp()
        self.template_dir = self.useFixture(
            fixtures.TempDir()).join('kubernetes')
        shutil.copytree(templates.template_dir(), self.template_dir)
        self.conf.config(template_dir=self.template_dir, group='heat')

    def _new_release(self):
        with open(f'{self.template_dir}/fragments/bootstrap.sh', 'a') as f:
            f.write('# changed by the next release\n')

    def _generations(self, stack_id):
        params = self.client.stacks.get(stack_id).parameters
        return params['master_generation'], params['worker_generation']

    def test_a_release_change_reaches_nodes_only_through_an_upgrade(self):
        self.start_conductor()
        cluster = self.wait_status(self.create_cluster(wait=False),
                                   'CREATE_COMPLETE')
        uuid, stack_id = cluster['uuid'], cluster['cluster_id']
        before = self.outputs(stack_id)
        self._new_release()

        self.call('POST', f'/v1/clusters/{uuid}/actions/resize',
                  {'node_count': 3}, status=202)
        self.wait_status(uuid, 'UPDATE_COMPLETE')
        after = self.outputs(stack_id)
        self.assertEqual(before['master_server_ids'],
                         after['master_server_ids'])
        self.assertLessEqual(set(before['worker_server_ids']),
                             set(after['worker_server_ids']))
        self.assertEqual(('1', '1'), self._generations(stack_id))

        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], self.node_names(stack_id)))
        self.call('POST', f'/v1/clusters/{uuid}/actions/upgrade',
                  {'cluster_template': 'tpl'}, status=202)
        self.wait_status(uuid, 'UPDATE_COMPLETE')
        upgraded = self.outputs(stack_id)
        for key in ('master_server_ids', 'worker_server_ids'):
            self.assertEqual(set(), set(after[key]) & set(upgraded[key]))
        self.assertEqual(('2', '2'), self._generations(stack_id))
        # 3 masters and the 3 workers of the resize, each drained.
        self.assertEqual(6, len(kube.deleted_nodes))

        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_status(uuid, None)
