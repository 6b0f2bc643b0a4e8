"""The conductor service: RPC server, heartbeat and periodic jobs."""

import functools
import logging
import socket
import threading

import oslo_messaging as messaging
from oslo_db import exception as db_exc

from magnum_lite.cluster import cluster_credentials
from magnum_lite.common import exception
from magnum_lite.common import rpc
from magnum_lite.conductor import cluster_lock
from magnum_lite.conductor import health
from magnum_lite.conductor import manager
from magnum_lite.conductor import periodics
from magnum_lite.conductor import stack_events
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)


class _Periodic(threading.Thread):
    """Run ``job`` every ``interval`` seconds (0 disables) until stopped;
    ``poke()`` runs it early."""

    def __init__(self, name, job, interval, stop):
        super().__init__(name=name, daemon=True)
        self.job = job
        self.interval = interval
        self.stop = stop
        self.wake = threading.Event()

    def poke(self):
        self.wake.set()

    def run(self):
        while not self.stop.is_set():
            try:
                self.job()
            except (exception.DatabaseUnavailable,
                    db_exc.DBConnectionError) as err:
                # An outage, not a bug: one line per cycle, no traceback.
                LOG.warning('Periodic job %s: the database is unavailable '
                            '(%s); next try in %s s', self.name,
                            type(err).__name__, self.interval)
            except Exception:
                LOG.exception('Periodic job %s failed', self.name)
            self.wake.wait(self.interval)
            self.wake.clear()


class ConductorService:
    """One conductor: start() serves RPC and runs the periodics."""

    def __init__(self, topic=None):
        if not CONF.conductor.host:
            CONF.set_default('host', socket.gethostname(), 'conductor')
        self.topic = topic or CONF.conductor.topic
        self._stop = threading.Event()
        # Heat's notifications, if enabled: the status sync then looks at
        # every cluster only once per safety interval, and at notified
        # ones at once.
        self._events = (stack_events.StackEvents()
                        if CONF.heat.notifications_enabled else None)
        schedule = self._events.schedule if self._events else None
        self._threads = [
            _Periodic('heartbeat', periodics.heartbeat,
                      CONF.conductor.heartbeat_interval, self._stop),
            _Periodic('sync_status', functools.partial(
                periodics.sync_status, schedule),
                CONF.conductor.sync_status_interval, self._stop),
            _Periodic('redrive_stuck', periodics.redrive_stuck,
                      CONF.conductor.redrive_interval, self._stop),
            _Periodic('check_health', functools.partial(
                periodics.check_health, health.Monitor()),
                CONF.health.interval if CONF.health.enabled else 0,
                self._stop),
        ]
        self._threads = [t for t in self._threads if t.interval > 0]
        sync = next((t for t in self._threads if t.name == 'sync_status'),
                    None)
        if schedule and sync:
            schedule.poke = sync.poke
        endpoint = manager.ConductorManager(
            poke=sync.poke if sync else None,
            notified=schedule.notified if schedule else None)
        target = messaging.Target(topic=self.topic,
                                  server=CONF.conductor.host)
        self._server = messaging.get_rpc_server(
            rpc.get_transport(), target, [endpoint], executor='threading',
            serializer=rpc.ContextSerializer(),
            access_policy=messaging.DefaultRPCAccessPolicy)

    def start(self):
        # Before the first heartbeat makes this host's locks live again.
        cluster_lock.release_previous_run()
        periodics.heartbeat()
        self._server.start()
        for thread in self._threads:
            thread.start()
        if self._events:
            self._events.start()
        LOG.info('Conductor %s serving topic %s', CONF.conductor.host,
                 self.topic)
        cluster_credentials.log_mode()

    def stop(self):
        if self._events:
            self._events.stop()
        self._stop.set()
        for thread in self._threads:
            thread.poke()
        self._server.stop()
        self._server.wait()
        for thread in self._threads:
            thread.join(timeout=10)

    def wait_forever(self):
        self._stop.wait()
