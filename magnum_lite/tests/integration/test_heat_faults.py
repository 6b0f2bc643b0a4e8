"""Faults around the real Heat while clusters are built, changed and
deleted: Heat's API goes away, RabbitMQ restarts.

- Heat's API process is stopped (the engine keeps working) while one
  cluster's stack is being built and another cluster is created, then
  started again on the same port. Neither cluster may fail for it: the
  one whose stack exists settles when the status sync can read Heat
  again, the other waits in progress, saying Heat is unreachable, and its
  create is retried until Heat answers. Each ends with exactly one stack.
- The same during a rolling upgrade (nodes drained and replaced one at a
  time): one upgrade in flight at Heat, another asked while Heat is away.
- A RabbitMQ node of the test's own is stopped for 30 s and started
  again while a create, a resize and a delete are in flight at Heat and
  two conductor processes share the work; a create is asked during the
  outage. Every operation completes once, no stack is made twice.

Each test prints its figures (``FIGURES {...}``, in the test's output).
MAGNUM_LITE_HEAT_TESTS=0 skips them.
"""

import json
import os
import tempfile
import time

import testtools
import yaml
from testtools import content

from magnum_lite.api import work
from magnum_lite.cluster import versions
from magnum_lite.common import rpc
from magnum_lite.db import api as db_api
from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import conductor_process
from magnum_lite.tests.harness import fake_kube
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import rabbitmq

ENABLED = os.environ.get('MAGNUM_LITE_HEAT_TESTS', '1') != '0'
TIMEOUT = 300
# Long enough for several retries and status syncs to meet the outage.
OUTAGE = int(os.environ.get('MAGNUM_LITE_HEAT_OUTAGE', '20'))
# The issue asks for 2 minutes during an upgrade; CI keeps it shorter
# (nothing in the conductor counts a Heat outage's length below
# [conductor] outage_patience, see doc/source/admin/reliability.rst).
UPGRADE_OUTAGE = int(os.environ.get('MAGNUM_LITE_HEAT_UPGRADE_OUTAGE', '45'))
BROKER_OUTAGE = int(os.environ.get('MAGNUM_LITE_BROKER_OUTAGE', '30'))


def _figures(name, **figures):
    """Print a fault's figures where the test output keeps them."""
    print(f'FIGURES {name} {json.dumps(figures, sort_keys=True)}',
          flush=True)


def _delays_file(seconds):
    """An environment file making each simulated server action take
    ``seconds``, so work is still in flight when the fault comes."""
    path = os.path.join(tempfile.mkdtemp(), 'delays.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump({'parameter_defaults': {
            'simulation_delays': {'OS::Nova::Server': seconds}}}, f)
    return path


class _Faults(heat_harness.OneHeatTestCase, base.FunctionalTestCase):

    scenarios = [('mysql', {'backend': 'mysql'})]
    with_conductor = False
    fake_cloud = False

    def _delete(self, uuids):
        for uuid in uuids:
            self.call('DELETE', f'/v1/clusters/{uuid}', status=204)
        for uuid in uuids:
            self.wait_for(uuid, None, timeout=TIMEOUT)
        self.assertEqual([], self.stacks())


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class HeatOutageTest(_Faults):

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        # Servers take a while, so the first stack is still being built
        # when the API goes.
        delays = _delays_file(8)
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

    def _watch(self, uuids, status, seconds):
        """Read the clusters every second for ``seconds``: each stays
        ``status``. Returns (reads, 5xx answers, {uuid: last reason})."""
        reads = errors = 0
        reasons = {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for uuid in uuids:
                response = self.call('GET', f'/v1/clusters/{uuid}',
                                     status='*')
                reads += 1
                errors += response.status_int >= 500
                cluster = response.json
                self.assertEqual(status, cluster['status'],
                                 cluster['status_reason'])
                reasons[uuid] = cluster['status_reason']
            time.sleep(1)
        return reads, errors, reasons

    def _settled(self, uuids, status):
        """Wait until every cluster is ``status`` (never its FAILED);
        returns the seconds it took."""
        t0 = time.monotonic()
        for uuid in uuids:
            cluster = self.wait_for(uuid, status, status.replace(
                'COMPLETE', 'FAILED'), timeout=TIMEOUT)
            self.assertEqual(status, cluster['status'],
                             cluster['status_reason'])
        return round(time.monotonic() - t0)

    def test_clusters_wait_out_a_heat_api_outage(self):
        building = self.create_cluster(wait=False, master_count=1,
                                       node_count=1)
        self._wait_driven(building)
        self._heat_api_down()
        waiting = self.create_cluster(wait=False, master_count=1,
                                      node_count=1)
        reads, errors, reasons = self._watch(
            (building, waiting), 'CREATE_IN_PROGRESS', OUTAGE)
        # The one Heat has: the status sync cannot see its stack.
        self.assertIn('Heat is unavailable', reasons[building])
        self.assertIn('the status sync retries every 1 s',
                      reasons[building])
        # The one Heat never heard of: its create is retried.
        self.assertIn('Heat is unavailable', reasons[waiting])
        self.assertIn('retrying every 1 s', reasons[waiting])
        self.assertIsNone(db_api.cluster_get(waiting).operation_driven_at)

        self._heat_api_up()
        recovery = self._settled((building, waiting), 'CREATE_COMPLETE')
        self.assertEqual(2, len(self.stacks()))
        _figures('heat-api-down-creates', outage_s=OUTAGE, in_flight=2,
                 completed=2, stuck=0, stacks=len(self.stacks()),
                 reads=reads, answered_5xx=errors, recovery_s=recovery)
        self._delete((building, waiting))

    def _upgrade_templates(self):
        """tpl-old and tpl-new, of the two newest minors; the new tag."""
        newest, older = sorted(versions.RELEASES, reverse=True)[:2]
        for name, release in (('tpl-old', older), ('tpl-new', newest)):
            self.create_template(name=name, image_id=f'img-{name}',
                                 external_network_id='public',
                                 labels={'kube_tag':
                                         versions.RELEASES[release].kube})
        return versions.RELEASES[newest].kube

    def _serve_kubernetes(self, uuid):
        """The cluster's Kubernetes API (for the drains); its nodes."""
        cluster = self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        nodes = self.node_names(cluster['cluster_id'])
        kube = self.useFixture(fake_kube.for_cluster(
            uuid, cluster['api_address'], nodes))
        return kube, nodes

    def _wait_stack(self, uuid, status):
        stack = self.client.stacks.get(f'ml-{uuid}')
        deadline = time.monotonic() + 120
        while stack.stack_status != status:
            self.assertLess(time.monotonic(), deadline, stack.stack_status)
            time.sleep(0.2)
            stack = self.client.stacks.get(f'ml-{uuid}')

    def test_rolling_upgrade_waits_out_a_heat_api_outage(self):
        new_tag = self._upgrade_templates()
        # One upgrade Heat is carrying out (a node at a time, each drained
        # first) when its API goes; one asked while it is away.
        rolling = self.create_cluster(name='rolling', template='tpl-old',
                                      wait=False, master_count=1,
                                      node_count=2)
        asked = self.create_cluster(name='asked', template='tpl-old',
                                    wait=False, master_count=1,
                                    node_count=1)
        served = {uuid: self._serve_kubernetes(uuid)
                  for uuid in (rolling, asked)}
        body = {'cluster_template': 'tpl-new', 'max_batch_size': 1}
        self.call('POST', f'/v1/clusters/{rolling}/actions/upgrade', body,
                  status=202)
        self._wait_driven(rolling)
        self._wait_stack(rolling, 'UPDATE_IN_PROGRESS')
        self._heat_api_down()
        self.call('POST', f'/v1/clusters/{asked}/actions/upgrade', body,
                  status=202)
        reads, errors, reasons = self._watch(
            (rolling, asked), 'UPDATE_IN_PROGRESS', UPGRADE_OUTAGE)
        self.assertIn('Heat is unavailable', reasons[rolling])
        self.assertIn('the status sync retries', reasons[rolling])
        self.assertIn('Heat is unavailable', reasons[asked])
        self.assertIn('retrying every 1 s', reasons[asked])

        self._heat_api_up()
        recovery = self._settled((rolling, asked), 'UPDATE_COMPLETE')
        for uuid, (kube, nodes) in served.items():
            cluster = self.call('GET', f'/v1/clusters/{uuid}').json
            self.assertEqual(new_tag, cluster['coe_version'])
            self.assertEqual(new_tag, cluster['labels']['kube_tag'])
            self.assertNotIn('unavailable', cluster['status_reason'] or '')
            # Every node drained before Heat replaced it, outage or not.
            self.assertEqual(sorted(nodes), sorted(kube.deleted_nodes))
        self.assertEqual(2, len(self.stacks()))
        _figures('heat-api-down-upgrade', outage_s=UPGRADE_OUTAGE,
                 in_flight=2, completed=2, stuck=0,
                 stacks=len(self.stacks()), reads=reads,
                 answered_5xx=errors, recovery_s=recovery)
        self._delete((rolling, asked))


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_HEAT_TESTS=0')
class BrokerRestartTest(_Faults):
    """RabbitMQ (a node of the test's own) stopped for BROKER_OUTAGE
    seconds while two conductor processes build, resize and delete
    clusters on the real Heat."""

    CONDUCTORS = 2

    def setUp(self):
        super().setUp()
        self.useFixture(base.RealDriver())
        self.broker = self.useFixture(rabbitmq.PrivateRabbit())
        self.topic = f'broker-{services.RUN_ID}-{os.getpid()}'
        self.conf.config(transport_url=self.broker.url)
        self.conf.config(topic=self.topic, group='conductor')
        # The API's RPC client, on this broker (not one an earlier test
        # made).
        self._new_rpc_client()
        self.addCleanup(self._new_rpc_client)
        self.logs = tempfile.mkdtemp(prefix='mlt-broker.')
        self.delays = _delays_file(8)
        self.create_template(external_network_id='public')
        self.addCleanup(self.delete_stacks)
        for index in range(self.CONDUCTORS):
            self._spawn_conductor(f'{self.topic}-{index}')
        self.addOnException(lambda exc_info: self.addDetail(
            'conductor-logs', content.text_content(self._log())))
        # A cast before a conductor consumes the topic has no queue to
        # go to: not the fault under test.
        self._wait_consumers()

    def _wait_consumers(self):
        # Generous: two conductor processes took over 2 minutes to start
        # on the shared 2-core machine at load average 400.
        deadline = time.monotonic() + 300
        while self.broker.consumers(self.topic) < self.CONDUCTORS:
            self.assertLess(time.monotonic(), deadline, 'no consumers')
            time.sleep(1)

    @staticmethod
    def _new_rpc_client():
        rpc.cleanup()
        work.reset()

    def _spawn_conductor(self, host):
        from magnum_lite.conf import CONF
        config = conductor_process.write_config(
            os.path.join(self.logs, f'{host}.conf'),
            transport_url=self.broker.url,
            database=CONF.database.connection,
            encryption_key=CONF.database.encryption_key, host=host,
            heat_endpoint=self.heat.endpoint,
            environment_files=[heat_harness.SIMULATION_ENV, self.delays],
            log_file=os.path.join(self.logs, f'{host}.log'),
            topic=self.topic, sync_status_interval=1, heartbeat_interval=1,
            redrive_interval=1, redrive_after=15, service_down_time=30)
        process = conductor_process.spawn(config)
        self.addCleanup(process.wait, 60)
        self.addCleanup(process.terminate)

    def _log(self):
        text = ''
        for name in sorted(os.listdir(self.logs)):
            if name.endswith('.log'):
                with open(os.path.join(self.logs, name)) as f:
                    text += f.read()
        return text

    def _in_flight(self, uuid, status):
        """Wait until Heat is carrying out the cluster's operation."""
        deadline = time.monotonic() + 120
        while True:
            stack = next((s for s in self.stacks()
                          if s.stack_name == f'ml-{uuid}'), None)
            if stack is not None and stack.stack_status == status:
                return
            self.assertLess(time.monotonic(), deadline, stack and
                            stack.stack_status)
            time.sleep(0.2)

    def _asked(self, method, path, body=None, status=202):
        t0 = time.monotonic()
        response = self.call(method, path, body, status=status)
        # Not a timing target: a cast that never gives up would hold the
        # request for as long as the broker is down.
        self.assertLess(time.monotonic() - t0, 20)
        return response

    def test_operations_survive_a_broker_restart(self):
        small = {'master_count': 1, 'node_count': 1, 'wait': False}
        resized = self.create_cluster(name='resized', **small)
        deleted = self.create_cluster(name='deleted', **small)
        for uuid in (resized, deleted):
            self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        created = self.create_cluster(name='created', **small)
        self.call('POST', f'/v1/clusters/{resized}/actions/resize',
                  {'node_count': 2}, status=202)
        self.call('DELETE', f'/v1/clusters/{deleted}', status=204)
        self._in_flight(created, 'CREATE_IN_PROGRESS')
        self._in_flight(resized, 'UPDATE_IN_PROGRESS')
        self._in_flight(deleted, 'DELETE_IN_PROGRESS')

        stopped = time.monotonic()
        self.broker.stop()
        during = self._asked('POST', '/v1/clusters', {
            'name': 'during', 'cluster_template_id': 'tpl',
            'master_count': 1, 'node_count': 1}).json['uuid']
        reads = errors = 0
        while time.monotonic() < stopped + BROKER_OUTAGE:
            response = self.call('GET', '/v1/clusters', status='*')
            reads += 1
            errors += response.status_int >= 500
            time.sleep(1)
        self.broker.start()
        restarted = time.monotonic()

        self.assertEqual(2, self.wait_for(resized, 'UPDATE_COMPLETE',
                                          timeout=TIMEOUT)['node_count'])
        self.wait_for(deleted, None, timeout=TIMEOUT)
        for uuid in (created, during):
            self.wait_for(uuid, 'CREATE_COMPLETE', timeout=TIMEOUT)
        recovery = round(time.monotonic() - restarted)
        # One stack each; Heat made none twice, tried none twice.
        names = sorted(s.stack_name for s in self.stacks())
        self.assertEqual(sorted(f'ml-{u}' for u in (resized, created,
                                                    during)), names)
        # Both conductors consume again: a cast reaches one of them and
        # is not left to the stuck-work periodic.
        self._wait_consumers()
        after = self.create_cluster(name='after', **small)
        self.wait_for(after, 'CREATE_COMPLETE', timeout=TIMEOUT)
        log = self._log()
        self.assertIn(f'Re-driving cluster_create of cluster {during}', log)
        self.assertNotIn(f'Re-driving cluster_create of cluster {after}',
                         log)
        _figures('broker-restart', outage_s=BROKER_OUTAGE, conductors=2,
                 in_flight=4, completed=4, stuck=0, duplicate_stacks=0,
                 reads=reads, answered_5xx=errors, recovery_s=recovery)
        self._delete((resized, created, during, after))


load_tests = base.load_tests
