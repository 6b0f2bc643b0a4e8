#!/usr/bin/env python3
"""Health checks per cycle and database writes, N clusters, 3 conductors.

Runs magnum-lite's health periodic (``periodics.check_health``, the real
``conductor.health.Monitor``: mutual TLS, /readyz, the node list) for
three conductors sharing the clusters on the hash ring, against fake
Kubernetes APIs on 127.0.0.1 (``tests.harness.fake_kube``; the clusters
share one CA and a few APIs, each API serving several clusters), on a
throw-away SQLite database. The conductors' cycles run one after another
in this process (the cycle time of each is its own). It prints, per
cycle: the clusters each conductor checked, whether every cluster was
checked exactly once, the UPDATEs of the cluster table, and the time.

Cycles: the first check (every health is new), an unchanged cycle, a
node NotReady on one API (its clusters change), and conductor C dead
(its clusters move to A and B). Run from the project venv:

    tools/netguard/run .venv/bin/python tools/bench/health_bench.py \\
        [--clusters 300] [--apis 10] [--workers 8]
"""

import argparse
import collections
import os
import sys
import tempfile
import time

HOSTS = ('conductor-a', 'conductor-b', 'conductor-c')
DOWN_TIME = 20


def _setup(directory, args):
    from cryptography import fernet

    from magnum_lite.conf import CONF
    from magnum_lite.db import api as db_api
    from magnum_lite.db import migration

    CONF([], project='magnum-lite', default_config_files=[])
    CONF.set_override('connection', f'sqlite:///{directory}/bench.db',
                      'database')
    CONF.set_override('encryption_key', fernet.Fernet.generate_key()
                      .decode(), 'database')
    CONF.set_override('workers', args.workers, 'health')
    # Long enough that a live conductor's heartbeat (written just before
    # its cycle) is not aged out by a loaded machine while its cycle
    # loads the clusters; C's death is waited out below.
    CONF.set_override('service_down_time', DOWN_TIME, 'conductor')
    db_api.reset()
    migration.upgrade()


def _clusters(count, kubes, ca):
    """``count`` built clusters, each with the shared CA and the API of
    ``kubes[i % len(kubes)]``."""
    from magnum_lite.clients import key_store
    from magnum_lite.db import api as db_api

    template = db_api.template_create(
        {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
         'project_id': 'p1'})
    by_kube = collections.defaultdict(list)
    for index in range(count):
        kube = kubes[index % len(kubes)]
        cluster = db_api.cluster_create(
            {'name': f'c{index}', 'cluster_template_id': template.uuid,
             'project_id': 'p1', 'status': 'created',
             'api_address': kube.url}, [])
        db_api.certificate_put(cluster.uuid, 'kubernetes', ca[0],
                               key_store.store(cluster.uuid, 'kubernetes',
                                               ca[1]))
        by_kube[id(kube)].append(cluster.uuid)
    return by_kube


def _counting(counts):
    from magnum_lite.conductor import health

    def observe(cluster, certificates):
        counts[cluster.uuid] += 1
        return health.observe(cluster, certificates)
    return observe


def _writes():
    """A counter of the UPDATEs of the cluster table."""
    import sqlalchemy as sa

    from magnum_lite.db import api as db_api

    count = [0]

    def listen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith('UPDATE CLUSTER '):
            count[0] += 1
    sa.event.listen(db_api.get_engine(), 'before_cursor_execute', listen)
    return count


def _cycle(name, hosts, monitors, counts, writes, total):
    from magnum_lite.conductor import periodics
    from magnum_lite.conf import CONF
    from magnum_lite.db import api as db_api

    counts.clear()
    before = writes[0]
    checked, times = [], []
    for host in hosts:
        # The live conductors' heartbeat threads, which this process
        # does not run.
        for live in hosts:
            db_api.service_heartbeat(live, periodics.BINARY)
        CONF.set_override('host', host, 'conductor')
        started = time.monotonic()
        checked.append(periodics.check_health(monitors[host]).checked)
        times.append(time.monotonic() - started)
    once = len(counts) == total and set(counts.values()) == {1}
    print(f'{name:<28} {"/".join(map(str, checked)):>13} '
          f'{"yes" if once else "NO":>5} {writes[0] - before:>7} '
          f'{"/".join(f"{t:.2f}" for t in times):>17}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clusters', type=int, default=300)
    parser.add_argument('--apis', type=int, default=10,
                        help='fake Kubernetes APIs the clusters share')
    parser.add_argument('--workers', type=int, default=8,
                        help='[health] workers of each conductor')
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())

    from magnum_lite.common import x509
    from magnum_lite.conductor import health
    from magnum_lite.tests.harness import fake_kube

    with tempfile.TemporaryDirectory(prefix='health-bench-') as directory:
        _setup(directory, args)
        ca = x509.generate_ca('bench')
        kubes = []
        for _ in range(args.apis):
            kube = fake_kube.FakeKube(ca)
            kube.setUp()
            for name in ('master-0', 'node-0', 'node-1'):
                kube.add_node(name)
            kubes.append(kube)
        try:
            _clusters(args.clusters, kubes, ca)
            counts = collections.Counter()
            monitors = {h: health.Monitor(observe=_counting(counts))
                        for h in HOSTS}
            writes = _writes()
            print(f'{args.clusters} clusters, {args.apis} APIs, 3 '
                  f'conductors, {args.workers} workers each')
            print(f'{"cycle":<28} {"checked A/B/C":>13} {"once":>5} '
                  f'{"writes":>7} {"seconds A/B/C":>17}')
            _cycle('first check', HOSTS, monitors, counts, writes,
                   args.clusters)
            _cycle('unchanged', HOSTS, monitors, counts, writes,
                   args.clusters)
            kubes[0].nodes['node-1'].conditions['Ready'] = 'False'
            _cycle('node NotReady on API 0', HOSTS, monitors, counts,
                   writes, args.clusters)
            _cycle('unchanged', HOSTS, monitors, counts, writes,
                   args.clusters)
            time.sleep(DOWN_TIME + 0.5)  # C's heartbeat ages out
            _cycle('C dead: A and B only', HOSTS[:2], monitors, counts,
                   writes, args.clusters)
        finally:
            for kube in kubes:
                kube.cleanUp()


if __name__ == '__main__':
    main()
