"""Heat's notifications settle a stack at once; polling is the safety net.

Every conductor listens to Heat's orchestration notifications in one
listener pool (``[heat] notifications_pool``), so each notification
reaches one of them. The one that gets "an operation on a stack of
cluster X finished" routes it to X's owner on the hash ring (itself, or
by an RPC cast), and only the owner acts: it puts X on its
:class:`Schedule` and wakes its status sync, which reads the stack from
Heat and settles X as any sync does. So a cluster is settled by one
conductor's one sync thread, as without notifications: no second code
path writes outcomes, and no two conductors race on a settle or on the
next phase of a CA rotation.

The notification is a hint; Heat stays the truth. Heat sends it just
before it stores the state it announces, so a notified cluster stays on
the schedule until it is settled or ``RETRY_FOR`` seconds passed, looked
at again after ``FIRST_RETRY`` seconds (Heat stores the state
milliseconds after it notifies), then at twice the last wait, at most
``LONGEST_RETRY``: a stack that finished while another stack of the
cluster still works (an extra nodegroup's, during a delete) costs
eleven reads, then the cluster is the safety net's. A notification
that never
arrives (a listener down, a broker restart) costs latency only: every
in-progress cluster is looked at once per
``[heat] notifications_safety_interval``.
"""

import logging
import threading
import time

import oslo_messaging as messaging

from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conductor import periodics
from magnum_lite.conductor import provisioning
from magnum_lite.conductor import rpcapi
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api
from magnum_lite.drivers.heat import notifications

LOG = logging.getLogger(__name__)
FIRST_RETRY = 0.1
LONGEST_RETRY = 2.0
RETRY_FOR = 15.0


class _Notice:
    """A notified cluster's place on the schedule."""

    def __init__(self, now):
        self.until = now + RETRY_FOR   # given up on after this
        self.next = now                # due from this time
        self.wait = FIRST_RETRY        # before the look after the next
        self.seen = False              # among the in-progress clusters

    def looked_at(self, now):
        self.next = now + self.wait
        self.wait = min(self.wait * 2, LONGEST_RETRY)


class Schedule:
    """Which of its in-progress clusters the status sync looks at: all of
    them once per ``safety_interval`` seconds, and the notified ones when
    due. ``clock``: seconds, monotonic (tests pass their own)."""

    def __init__(self, safety_interval, poke=None, clock=time.monotonic):
        self._safety = safety_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._notified = {}   # uuid -> _Notice
        self._last_full = None
        self._timer = None
        self.poke = poke or (lambda: None)
        self.notified_count = 0

    def notified(self, cluster_uuid):
        """A stack of the cluster finished an operation: look now."""
        with self._lock:
            self._notified[cluster_uuid] = _Notice(self._clock())
            self.notified_count += 1
        self.poke()

    def due(self, in_progress):
        """The uuids among ``in_progress`` (this conductor's in-progress
        clusters) to look at in this sync; None: all of them."""
        now = self._clock()
        live = set(in_progress)
        with self._lock:
            for uuid, notice in list(self._notified.items()):
                # Given up on: still in progress, the safety net's.
                if notice.until <= now:
                    del self._notified[uuid]
                elif uuid in live:
                    notice.seen = True
                # Settled (seen before, now gone). One not seen yet may
                # be a create whose driver has not returned.
                elif notice.seen:
                    del self._notified[uuid]
            if self._last_full is None or \
                    now - self._last_full >= self._safety:
                self._last_full = now
                for notice in self._notified.values():
                    notice.looked_at(now)
                return None
            due = {uuid for uuid in live & set(self._notified)
                   if self._notified[uuid].next <= now}
            for uuid in due:
                self._notified[uuid].looked_at(now)
            return due

    def after_sync(self):
        """Look again when the next notified cluster is due, while any is
        unsettled."""
        with self._lock:
            if not self._notified or (self._timer is not None and
                                      self._timer.is_alive()):
                return
            soonest = min(n.next for n in self._notified.values())
            self._timer = threading.Timer(
                max(0.01, soonest - self._clock()), self.poke)
            self._timer.daemon = True
            self._timer.start()


class _Endpoint:
    """Heat's stack notifications, INFO (start, end) and ERROR (failed)."""

    filter_rule = messaging.NotificationFilter(
        event_type=notifications.EVENT_TYPES)

    def __init__(self, route):
        self._route = route

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._seen(event_type, payload)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._seen(event_type, payload)

    def _seen(self, event_type, payload):
        cluster_uuid = notifications.finished_cluster(event_type, payload)
        if cluster_uuid is None:
            return
        try:
            self._route(cluster_uuid)
        except Exception as err:
            # Acknowledged anyway: the status sync's safety net settles it.
            LOG.warning('Heat notification %s for cluster %s not routed: '
                        '%s', event_type, cluster_uuid, err)


class StackEvents:
    """The notification listener of one conductor and its schedule."""

    def __init__(self):
        self.schedule = Schedule(CONF.heat.notifications_safety_interval)
        self._rpc = None
        self._transport = messaging.get_notification_transport(
            CONF, url=CONF.heat.notifications_transport_url)
        self._listener = messaging.get_notification_listener(
            self._transport,
            [messaging.Target(topic=CONF.heat.notifications_topic,
                              exchange=CONF.heat.notifications_exchange)],
            [_Endpoint(self.route)], executor='threading',
            pool=CONF.heat.notifications_pool)

    def route(self, cluster_uuid):
        """Hand "a stack of the cluster finished" to the cluster's owner.
        Clusters that are gone or not in progress are no news."""
        try:
            cluster = db_api.cluster_get(cluster_uuid)
        except exception.ClusterNotFound:
            return
        if cluster.status not in states.IN_PROGRESS:
            return
        owner = periodics.owner(cluster_uuid)
        if owner == CONF.conductor.host:
            LOG.debug('Stack of cluster %s finished; settling it',
                      cluster_uuid)
            self.schedule.notified(cluster_uuid)
            return
        if self._rpc is None:
            self._rpc = rpcapi.ConductorAPI()
        LOG.debug('Stack of cluster %s finished; telling its owner %s',
                  cluster_uuid, owner)
        self._rpc.stack_finished(provisioning.admin_context(), owner,
                                 cluster_uuid)

    def start(self):
        self._listener.start()
        LOG.info("Listening to Heat's notifications (topic %s, pool %s)",
                 CONF.heat.notifications_topic, CONF.heat.notifications_pool)

    def stop(self):
        self._listener.stop()
        self._listener.wait()
        self._transport.cleanup()
