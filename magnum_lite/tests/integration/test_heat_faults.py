"""Faults around the real Heat: its API goes away while clusters are built.

The Heat API process is stopped (the engine keeps working) while one
cluster's stack is being built and another cluster is created, then
started again on the same port. Neither cluster may fail for it: the
one whose stack exists settles when the status sync can read Heat again,
the other waits in progress, saying Heat is unreachable, and its create
is retried until Heat answers. Each ends with exactly one stack.
MAGNUM_LITE_HEAT_TESTS=0 skips it.
"""

import os
import tempfile
import time

import testtools
import yaml

from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
TIMEOUT = 300
# Long enough for several retries and status syncs to meet the outage.
OUTAGE = int(os.environ.get('MAGNUM_LITE_HEAT_OUTAGE', '20'))


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatOutageTest(heat_harness.OneHeatTestCase, base.FunctionalTestCase):

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        # Servers take a while, so the first stack is still being built
        # when the API goes.
        delays = os.path.join(tempfile.mkdtemp(), 'delays.yaml')
        with open(delays, 'w') as f:
            yaml.safe_dump({'parameter_defaults': {
                'simulation_delays': {'OS::Nova::Server': 8}}}, f)
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         environment_files=[heat_harness.SIMULATION_ENV,
                                            delays], group='heat')
        self.conf.config(transport_url=services.transport_url())
        self.conf.config(redrive_after=2, redrive_interval=1,
                         group='conductor')
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.create_template(external_network_id='public')
        self.useFixture(base.Conductor())
        self.addCleanup(self.delete_stacks)

    def _heat_api_down(self):
        heat_harness.heatctl.stop_api(self.heat.state_dir)
        self.addCleanup(self._heat_api_up)

    def _heat_api_up(self):
        if heat_harness.heatctl.local.read_pid(self.heat.state_dir,
                                               'heat-api') is None:
            heat_harness.heatctl.start_api(self.heat.state_dir)

    def _wait_driven(self, uuid):
        deadline = time.monotonic() + 120
        while db_api.cluster_get(uuid).operation_driven_at is None:
            self.assertLess(time.monotonic(), deadline, 'never driven')
            time.sleep(0.2)

    def test_clusters_wait_out_a_heat_api_outage(self):
        building = self.create_cluster(wait=False, master_count=1,
                                       node_count=1)
        self._wait_driven(building)
        self._heat_api_down()
        waiting = self.create_cluster(wait=False, master_count=1,
                                      node_count=1)
        deadline = time.monotonic() + OUTAGE
        while time.monotonic() < deadline:
            for uuid in (building, waiting):
                cluster = self.call('GET', f'/v1/clusters/{uuid}').json
                self.assertEqual('CREATE_IN_PROGRESS', cluster['status'],
                                 cluster['status_reason'])
            time.sleep(1)
        reason = self.call('GET', f'/v1/clusters/{waiting}').json[
            'status_reason']
        self.assertIn('Heat is unavailable', reason)
        self.assertIn('retrying every 1 s', reason)
        self.assertIsNone(db_api.cluster_get(waiting).operation_driven_at)

        self._heat_api_up()
        for uuid in (building, waiting):
            cluster = self.wait_for(uuid, 'CREATE_COMPLETE',
                                    'CREATE_FAILED', timeout=TIMEOUT)
            self.assertEqual('CREATE_COMPLETE', cluster['status'],
                             cluster['status_reason'])
        self.assertEqual(2, len(self.stacks()))
        for uuid in (building, waiting):
            self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        for uuid in (building, waiting):
            self.wait_for(uuid, None, timeout=TIMEOUT)
        self.assertEqual([], self.stacks())


load_tests = base.load_tests
