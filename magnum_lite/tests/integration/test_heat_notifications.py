"""Heat's notifications settle clusters at once; the poll still settles
one whose notification was lost.

Real RabbitMQ, MariaDB and Heat (simulated cloud); Heat sends its stack
notifications on its own vhost, where the conductor listens. The status
sync's look at every cluster (``notifications_safety_interval``) is set
to an hour where a test must show that the notification settled the
cluster: the poll could not have. Set MAGNUM_LITE_HEAT_TESTS=0 to skip.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

import testtools

from magnum_lite.conductor import hash_ring
from magnum_lite.conductor import periodics
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
TIMEOUT = 600
HOUR = 3600


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatNotificationTest(heat_harness.OneHeatTestCase,
                           base.FunctionalTestCase):
    """One Heat for the class; the API in process, conductors real."""

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        self.conf.config(auth_mode='noauth', endpoint=self.heat.endpoint,
                         environment_files=[heat_harness.SIMULATION_ENV],
                         group='heat')
        self.conf.config(transport_url=services.transport_url())
        self.useFixture(fake_kube.NoUndrainedNodes())
        self.create_template(network_driver='calico',
                             external_network_id='public')
        # A pool of this test's own: a listener left by another test must
        # not take this test's notifications.
        self.pool = f'mlt-{uuidlib.uuid4().hex[:12]}'

    def start_conductor(self, safety_interval, topic='notifications'):
        self.conf.config(notifications_enabled=True,
                         notifications_transport_url=self.heat.transport_url,
                         notifications_topic=topic,
                         notifications_pool=self.pool,
                         notifications_safety_interval=safety_interval,
                         group='heat')
        service = self.useFixture(base.Conductor()).service
        self.addCleanup(self.delete_stacks)
        schedule = service._events.schedule
        # The sync's first look at every cluster is made before any
        # cluster exists; the next one is an hour away.
        deadline = time.monotonic() + 60
        while schedule._last_full is None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        return schedule

    def create_small(self):
        return self.create_cluster(wait=False, master_count=1, node_count=1,
                                   name=f'c{uuidlib.uuid4().hex[:6]}')

    def test_notification_settles_the_cluster(self):
        schedule = self.start_conductor(safety_interval=HOUR)
        uuid = self.create_small()
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        self.assertTrue(cluster['api_address'].startswith('https://'))
        self.assertEqual(1, len(cluster['master_addresses']))
        self.assertGreaterEqual(schedule.notified_count, 1)
        # The delete is settled by its notification too.
        self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        self.wait_for(uuid, None, timeout=TIMEOUT)
        self.assertEqual([], self.stacks())

    def test_lost_notification_is_settled_by_the_poll(self):
        # The listener hears nothing (a topic Heat does not send on):
        # every notification is lost; the safety net settles the cluster.
        schedule = self.start_conductor(safety_interval=3,
                                        topic='nothing-sent-here')
        uuid = self.create_small()
        self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        self.assertEqual(0, schedule.notified_count)

    def test_notification_goes_to_the_owner(self):
        """A second conductor (a process) hears no notification; the
        in-process one routes those of its clusters to it by RPC."""
        schedule = self.start_conductor(safety_interval=HOUR)
        other = self._spawn_conductor()
        deadline = time.monotonic() + 120
        while other not in periodics._hosts():
            self.assertLess(time.monotonic(), deadline, 'no heartbeat')
            time.sleep(0.5)
        hosts = [CONF.conductor.host, other]
        theirs = None
        for _ in range(8):
            uuid = self.create_small()
            if hash_ring.owner(hosts, uuid) == other:
                theirs = uuid
                break
        self.assertIsNotNone(theirs, 'no cluster on the other conductor')
        self.wait_for(theirs, 'CREATE_COMPLETE', timeout=TIMEOUT)
        # Routed, not settled here: this conductor's schedule never had
        # it (its own clusters, if any, were notified here).
        self.assertNotIn(theirs, schedule._notified)
        for cluster in db_api.clusters_in_progress(driven=True):
            self.wait_for(cluster.uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)

    def _spawn_conductor(self):
        host = f'other-{os.getpid()}-{uuidlib.uuid4().hex[:6]}'
        path = os.path.join(tempfile.mkdtemp(), 'conductor.conf')
        with open(path, 'w') as f:
            f.write(f"""[DEFAULT]
transport_url = {CONF.transport_url}
[database]
connection = {CONF.database.connection}
encryption_key = {CONF.database.encryption_key}
[conductor]
topic = {CONF.conductor.topic}
host = {host}
heartbeat_interval = 1
sync_status_interval = 1
[heat]
auth_mode = noauth
endpoint = {self.heat.endpoint}
environment_files = {heat_harness.SIMULATION_ENV}
notifications_enabled = true
notifications_transport_url = {self.heat.transport_url}
notifications_topic = nothing-sent-here
notifications_safety_interval = {HOUR}
""")
        binary = os.path.join(os.path.dirname(sys.executable),
                              'magnum-lite-conductor')
        log = open(path + '.log', 'w')  # noqa: SIM115
        self.addCleanup(log.close)
        process = subprocess.Popen([binary, '--config-file', path],
                                   stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(process.wait)
        self.addCleanup(process.kill)
        return host


load_tests = base.load_tests
