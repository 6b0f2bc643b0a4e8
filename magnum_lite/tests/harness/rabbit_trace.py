"""A RabbitMQ vhost of its own whose every published message is kept.

For tests that must show what crosses the message bus (e.g. that no
secret ever does). RabbitMQ's firehose tracer (``rabbitmqctl trace_on``)
copies each message published in the vhost to the ``amq.rabbitmq.trace``
exchange; a consumer thread here drains a queue bound to it. The broker
does the copying, so nothing in magnum-lite's code path is wrapped or
replaced.

    vhost = self.useFixture(TracedVhost())
    ... run the service with transport_url=vhost.url ...
    for body in vhost.bodies():   # every published message, as text
        ...
"""

import subprocess
import threading
import time
import uuid

import fixtures
import kombu

from magnum_lite.tests import services

BROKER = 'amqp://guest:guest@127.0.0.1:5672/'


def _rabbitmqctl(*args):
    subprocess.run(['rabbitmqctl', '-q', *args], check=True,
                   capture_output=True, timeout=60)


class TracedVhost(fixtures.Fixture):
    """A fresh vhost with the firehose on, removed on cleanup."""

    def _setUp(self):
        self.name = f'mlt_{services.RUN_ID}_trace_{uuid.uuid4().hex[:8]}'
        _rabbitmqctl('add_vhost', self.name)
        self.addCleanup(_rabbitmqctl, 'delete_vhost', self.name)
        _rabbitmqctl('set_permissions', '-p', self.name, 'guest',
                     '.*', '.*', '.*')
        self.url = f'rabbit://guest:guest@127.0.0.1:5672/{self.name}'
        self._messages = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._consume, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError('trace consumer did not start')
        # Tracing starts after the consumer is bound: nothing is missed.
        _rabbitmqctl('trace_on', '-p', self.name)
        self.addCleanup(self._finish)

    def _consume(self):
        exchange = kombu.Exchange('amq.rabbitmq.trace', type='topic',
                                  passive=True)
        queue = kombu.Queue(f'trace-{uuid.uuid4().hex}', exchange,
                            routing_key='publish.#', exclusive=True)
        with kombu.Connection(BROKER + self.name) as conn:
            with conn.Consumer(queue, callbacks=[self._keep],
                               accept=None):
                self._ready.set()
                while not self._stop.is_set():
                    try:
                        conn.drain_events(timeout=0.5)
                    except TimeoutError:
                        continue
                    except OSError:
                        if self._stop.is_set():
                            return
                        raise

    def _keep(self, body, message):
        self._messages.append(message.body)
        message.ack()

    def _finish(self):
        _rabbitmqctl('trace_off', '-p', self.name)
        self._stop.set()
        self._thread.join(10)

    def bodies(self, settle=1.0):
        """Every message published so far, decoded as text. Waits
        ``settle`` seconds first: the tracer copies asynchronously."""
        time.sleep(settle)
        return [body.decode('utf-8', 'replace') if isinstance(body, bytes)
                else str(body) for body in list(self._messages)]
