from magnum_lite.tests import base

load_tests = base.load_tests


class TestClusterLifecycle(base.FunctionalTestCase):

    def test_create_and_delete(self):
        self.create_template()
        cluster = self.create_cluster()
        self.assertEqual(['127.0.0.10', '127.0.0.11', '127.0.0.12'],
                         cluster['master_addresses'])
        self.assertEqual('https://127.0.0.5:6443', cluster['api_address'])
        self.call('DELETE', f"/v1/clusters/{cluster['uuid']}", status=204)
        self.wait_for(cluster['uuid'], None)
