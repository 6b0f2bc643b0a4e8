#!/usr/bin/env python3
"""Stack complete -> API shows CREATE_COMPLETE: Heat's notifications
against the poll, on the real Heat.

Starts the real Heat (``tests.harness.heat``: simulated cloud, its own
MariaDB database and RabbitMQ vhost, stack notifications on that vhost),
a throw-away MariaDB database and RabbitMQ vhost for magnum-lite, the API
in process (WSGI, noauth) and one conductor in process with the real Heat
driver. Then, once per mode in the same run:

- ``notifications``: ``[heat] notifications_enabled``, the safety-net
  look at every cluster every ``--safety`` seconds (default 120);
- ``poll``: notifications off, the status sync every ``--poll`` seconds
  (default 5, the figure of issue 12);

it creates ``--clusters`` clusters (1 master, 1 worker), at once or
``--stagger`` seconds apart, and at most ``--concurrency`` in progress
at a time if given, and
measures, for each, the time from Heat's ``orchestration.stack.create.end``
notification of its stack (the timestamp Heat puts in it; this script
listens in a pool of its own) to the first ``GET /v1/clusters`` that
shows it CREATE_COMPLETE (the list is read every ``--every`` seconds,
default 0.1: the resolution). It prints p50, p95 and max per mode and
the ratio. Run from the project venv:

    tools/netguard/run .venv/bin/python tools/bench/notify_bench.py \\
        [--clusters 20] [--poll 5] [--safety 120] [--stagger S] \\
        [--concurrency N] [--mode notifications|poll]

Heat's engine is the bottleneck on 2 cores: with many creates in
progress it takes seconds to answer any read, so the figure then is
Heat's throughput. ``--concurrency 2`` keeps the engine from saturating
the cores and measures the path from Heat's notification to the API.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUN = f'bench{uuid.uuid4().hex[:8]}'


class CompletionTimes:
    """When Heat notified each of our stacks complete (epoch seconds),
    from a notification listener in a pool of its own."""

    def __init__(self, transport_url):
        import oslo_messaging as messaging

        from magnum_lite.conf import CONF
        from magnum_lite.drivers.heat import notifications

        self.times = {}
        times = self.times

        class Endpoint:
            def info(self, ctxt, publisher_id, event_type, payload,
                     metadata):
                cluster = notifications.finished_cluster(event_type,
                                                         payload)
                if cluster and event_type.endswith('create.end'):
                    stamp = datetime.datetime.fromisoformat(
                        metadata['timestamp']).replace(
                            tzinfo=datetime.UTC)
                    times.setdefault(cluster, stamp.timestamp())

        self._transport = messaging.get_notification_transport(
            CONF, url=transport_url)
        self._listener = messaging.get_notification_listener(
            self._transport,
            [messaging.Target(topic='notifications', exchange='heat')],
            [Endpoint()], executor='threading', pool=f'bench-{RUN}')
        self._listener.start()

    def stop(self):
        self._listener.stop()
        self._listener.wait()
        self._transport.cleanup()


def _headers(admin=False):
    roles = 'admin,member,reader' if admin else 'member,reader'
    return {'X-Project-Id': 'bench', 'X-User-Id': 'bench', 'X-Roles': roles,
            'OpenStack-API-Version': 'container-infra latest'}


def _round(app, name, count, every, completed, stagger=0.0,
           concurrency=0):
    """Create ``count`` clusters, ``stagger`` seconds apart and at most
    ``concurrency`` (0: no limit) in progress at a time; {uuid: seconds
    from Heat's notification to the API showing CREATE_COMPLETE}."""
    uuids, pending = [], list(range(count))
    seen, failed = {}, set()
    deadline = time.monotonic() + 1800
    next_create = time.monotonic()
    while len(seen) + len(failed) < count and \
            time.monotonic() < deadline:
        in_flight = len(uuids) - len(seen) - len(failed)
        if pending and time.monotonic() >= next_create and \
                (not concurrency or in_flight < concurrency):
            index = pending.pop(0)
            body = {'name': f'{name}-{index}',
                    'cluster_template_id': 'tpl',
                    'master_count': 1, 'node_count': 1}
            uuids.append(app.post_json('/v1/clusters', body,
                                       headers=_headers()).json['uuid'])
            next_create += stagger
            if stagger <= 0:
                continue
        listed = app.get('/v1/clusters?limit=1000',
                         headers=_headers()).json['clusters']
        now = time.time()  # after the answer: latencies are upper bounds
        for cluster in listed:
            if cluster['uuid'] in uuids and cluster['uuid'] not in seen:
                if cluster['status'] == 'CREATE_COMPLETE':
                    seen[cluster['uuid']] = now
                elif cluster['status'].endswith('FAILED') and \
                        cluster['uuid'] not in failed:
                    # Heat overloaded (a shared machine): not counted.
                    failed.add(cluster['uuid'])
                    print(f'{cluster["uuid"]}: {cluster["status"]} '
                          f'(left out)', flush=True)
        time.sleep(every)
    time.sleep(2)  # the last notifications to our own listener
    return {u: seen[u] - completed[u] for u in seen if u in completed}


def _conductor(notifications, heat, args):
    from magnum_lite.api import work
    from magnum_lite.common import rpc
    from magnum_lite.conductor import service
    from magnum_lite.conf import CONF

    CONF.set_override('notifications_enabled', notifications, 'heat')
    CONF.set_override('notifications_transport_url', heat.transport_url,
                      'heat')
    CONF.set_override('notifications_pool', f'mlc-{RUN}', 'heat')
    CONF.set_override('notifications_safety_interval', args.safety, 'heat')
    CONF.set_override('sync_status_interval', args.poll, 'conductor')
    rpc.cleanup()
    work.reset()
    conductor = service.ConductorService()
    conductor.start()
    return conductor


def _figures(name, latencies):
    values = sorted(latencies.values())
    p95 = values[max(0, int(round(0.95 * len(values))) - 1)]
    print(f'{name:14s} n={len(values):3d}  '
          f'p50 {statistics.median(values):6.2f} s  p95 {p95:6.2f} s  '
          f'max {values[-1]:6.2f} s  (load {os.getloadavg()[0]:.1f})',
          flush=True)
    return statistics.median(values), p95


def _setup():
    from cryptography import fernet

    from magnum_lite.conf import CONF
    from magnum_lite.db import api as db_api
    from magnum_lite.db import migration
    from magnum_lite.tests import services

    CONF([], project='magnum-lite', default_config_files=[])
    CONF.set_override('connection', services.database_url('mysql'),
                      'database')
    CONF.set_override('encryption_key', fernet.Fernet.generate_key()
                      .decode(), 'database')
    CONF.set_override('auth_strategy', 'noauth', 'api')
    CONF.set_override('transport_url', services.transport_url())
    CONF.set_override('host', f'bench-{RUN}', 'conductor')
    CONF.set_override('topic', f'bench-{RUN}', 'conductor')
    CONF.set_override('heartbeat_interval', 2, 'conductor')
    # Both modes' clusters in one project.
    CONF.set_override('max_clusters_per_project', 1000, 'quotas')
    db_api.reset()
    migration.upgrade()


def _cleanup():
    subprocess.run(['rabbitmqctl', '-q', 'delete_vhost', f'mlt_{RUN}'],
                   check=False, capture_output=True)
    subprocess.run([sys.executable,
                    os.path.join(TOP, 'tools', 'drop-test-databases'), RUN],
                   check=False, capture_output=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clusters', type=int, default=20)
    parser.add_argument('--poll', type=int, default=5)
    parser.add_argument('--safety', type=int, default=120)
    parser.add_argument('--every', type=float, default=0.1)
    parser.add_argument('--stagger', type=float, default=0.0,
                        help='seconds between two creates (0: all at '
                             'once, so their stacks finish in a burst)')
    parser.add_argument('--concurrency', type=int, default=0,
                        help='at most this many creates in progress at a '
                             'time (0: no limit); 1 or 2 keeps Heat\'s '
                             'engine from saturating the 2 cores, so the '
                             'figure is the latency of the path, not '
                             'Heat\'s throughput')
    parser.add_argument('--mode', action='append',
                        choices=('notifications', 'poll'),
                        help='run only this mode (repeatable; default '
                             'both)')
    args = parser.parse_args(argv)
    os.environ['MAGNUM_LITE_TEST_RUN'] = RUN
    sys.path.insert(0, TOP)
    import webtest

    from magnum_lite.conf import CONF
    from magnum_lite.tests.harness import fake_kube
    from magnum_lite.tests.harness import heat as heat_harness

    heat = heat_harness.HeatHarness().start()
    listener = None
    try:
        _setup()
        CONF.set_override('auth_mode', 'noauth', 'heat')
        CONF.set_override('endpoint', heat.endpoint, 'heat')
        CONF.set_override('environment_files',
                          [heat_harness.SIMULATION_ENV], 'heat')
        no_drains = fake_kube.NoUndrainedNodes()
        no_drains.setUp()
        from magnum_lite.api import app as api_app
        app = webtest.TestApp(api_app.setup_app())
        app.post_json('/v1/clustertemplates', {
            'name': 'tpl', 'coe': 'kubernetes', 'image_id': 'img-1',
            'master_lb_enabled': True, 'flavor_id': 'm1.small',
            'master_flavor_id': 'm1.medium', 'keypair_id': 'kp',
            'network_driver': 'calico', 'external_network_id': 'public'},
            headers=_headers(admin=True))
        listener = CompletionTimes(heat.transport_url)
        limit = (f', at most {args.concurrency} in progress'
                 if args.concurrency else '')
        print(f'{args.clusters} clusters per mode, created '
              f'{args.stagger} s apart{limit}, real Heat (simulated '
              f'cloud), API list read every {args.every} s', flush=True)
        results = {}
        for mode, notifications in (('notifications', True),
                                    ('poll', False)):
            if args.mode and mode not in args.mode:
                continue
            conductor = _conductor(notifications, heat, args)
            try:
                latencies = _round(app, mode, args.clusters, args.every,
                                   listener.times, args.stagger,
                                   args.concurrency)
            finally:
                conductor.stop()
            label = (f'notifications (safety {args.safety} s)'
                     if notifications else f'poll every {args.poll} s')
            print(label, flush=True)
            results[mode] = _figures(mode, latencies)
        if len(results) == 2:
            ratio = results['poll'][1] / max(
                results['notifications'][1], 1e-3)
            print(f'p95 poll / p95 notifications: {ratio:.1f}x')
        if 'notifications' in results:
            met = 'met' if results['notifications'][1] <= 1 else 'MISSED'
            print(f'notifications: target p95 <= 1 s: {met}')
    finally:
        if listener:
            listener.stop()
        heat.stop()
        _cleanup()


if __name__ == '__main__':
    main()
