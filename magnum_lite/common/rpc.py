"""oslo.messaging set-up: one transport per process, context on the wire."""

import threading

import oslo_messaging as messaging

from magnum_lite.common import context
from magnum_lite.conf import CONF

_LOCK = threading.Lock()
_TRANSPORT = None


class ContextSerializer(messaging.NoOpSerializer):
    """Carry the request context as a dict (ids and primitives only)."""

    def serialize_context(self, ctx):
        # The caller's token stays in the API process: the conductors
        # act with their own credentials, and secrets never go on the wire.
        values = ctx.to_dict()
        values.pop('auth_token', None)
        return values

    def deserialize_context(self, ctx):
        return context.RequestContext.from_dict(ctx)


def get_transport():
    """The RPC transport of ``[DEFAULT] transport_url``."""
    global _TRANSPORT
    with _LOCK:
        if _TRANSPORT is None:
            _TRANSPORT = messaging.get_rpc_transport(CONF)
        return _TRANSPORT


def cleanup():
    global _TRANSPORT
    with _LOCK:
        if _TRANSPORT is not None:
            _TRANSPORT.cleanup()
        _TRANSPORT = None
