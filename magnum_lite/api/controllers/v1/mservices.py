"""``/v1/mservices``: the conductors, from their heartbeats."""

from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.common.policies import misc as rules
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

# Magnum's clients (tempest) look for Magnum's binary name.
_BINARY_NAMES = {'magnum-lite-conductor': 'magnum-conductor'}


def serialize(service, down_before):
    """A service row with its derived ``state``."""
    seen = service.last_seen_up or service.updated_at or service.created_at
    up = seen is not None and seen >= down_before and not service.forced_down
    return {'host': service.host,
            'binary': _BINARY_NAMES.get(service.binary, service.binary),
            'state': 'up' if up else 'down', 'id': service.id,
            'report_count': service.report_count,
            'disabled': service.disabled,
            'disabled_reason': service.disabled_reason,
            'created_at': collection.timestamp(service.created_at),
            'updated_at': collection.timestamp(service.updated_at)}


@endpoint.declare('GET', '/mservices', policy=rules.SERVICE_GET_ALL,
                  reply=documents.collection('ServiceCollection', 'mservices',
                                             {'type': 'object'}))
def get_all(request):
    """List every conductor (admin only)."""
    request.check_query()
    request.authorize()
    down_before = db_api.age(CONF.conductor.service_down_time)
    return {'mservices': [serialize(s, down_before)
                          for s in db_api.service_list()]}

