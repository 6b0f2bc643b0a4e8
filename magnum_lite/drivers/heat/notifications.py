"""What Heat's orchestration notifications say about our stacks (pure
functions).

Heat (heat/engine/notification/stack.py) sends one notification each time
a stack changes state: event type ``orchestration.stack.<action>.start``
while in progress, ``.end`` once complete and ``.error`` (priority ERROR)
once failed, with a payload that carries ``stack_name``,
``stack_identity`` (the stack id), ``state`` (e.g. ``CREATE_COMPLETE``)
and ``state_reason``. Nested stacks notify too, under their own names.

Only the end of an operation is news to the conductor; and the payload
is a hint, never the truth: the status sync reads the stack from Heat
(a notification may be late, repeated, or sent before Heat stored the
state it announces).
"""

import re

# ml-<cluster uuid> or ml-<cluster uuid>-ng-<nodegroup uuid>, as
# driver.stack_name makes them; nested stacks' names do not match.
_UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
_STACK_NAME = re.compile(rf'^ml-(?P<cluster>{_UUID})(?:-ng-{_UUID})?$')
# The oslo.messaging filter of the listener: stack events only.
EVENT_TYPES = r'^orchestration\.stack\.'
_FINISHED = re.compile(r'^orchestration\.stack\.[a-z_]+\.(end|error)$')


def cluster_uuid(stack_name):
    """The uuid of the cluster a stack of ours belongs to (its own stack
    or an extra nodegroup's), or None for any other stack."""
    found = _STACK_NAME.match(stack_name or '')
    return found.group('cluster') if found else None


def finished_cluster(event_type, payload):
    """The cluster whose stack an operation just finished on (completed
    or failed), or None if the notification is no such news."""
    if not _FINISHED.match(event_type or '') or \
            not isinstance(payload, dict):
        return None
    return cluster_uuid(payload.get('stack_name'))
