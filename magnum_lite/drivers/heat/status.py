"""From Heat stack states to driver observations (pure functions)."""

import datetime

from magnum_lite.drivers import base

_DONE = {'CREATE_COMPLETE', 'UPDATE_COMPLETE', 'RESUME_COMPLETE',
         'CHECK_COMPLETE', 'ROLLBACK_COMPLETE', 'SNAPSHOT_COMPLETE',
         'ADOPT_COMPLETE', 'RESTORE_COMPLETE'}


def observe(stack_status, stack_reason, deleting):
    """The observation of one stack, from its status string.

    ``deleting``: whether the cluster is being deleted (then a missing
    stack, ``stack_status`` None, or DELETE_COMPLETE means done).
    """
    if stack_status is None:
        if deleting:
            return base.Observation(base.GONE)
        return base.Observation(base.FAILED,
                                'The Heat stack of the cluster vanished.')
    if stack_status.endswith('_IN_PROGRESS'):
        return base.Observation(base.IN_PROGRESS)
    if stack_status == 'DELETE_COMPLETE':
        if deleting:
            return base.Observation(base.GONE)
        return base.Observation(base.FAILED,
                                'The Heat stack of the cluster was deleted.')
    if stack_status in _DONE and not deleting:
        return base.Observation(base.COMPLETE, stack_reason)
    if stack_status.endswith('_FAILED'):
        return base.Observation(base.FAILED, stack_reason)
    # e.g. CREATE_COMPLETE seen while a delete was just requested.
    return base.Observation(base.IN_PROGRESS)


# Heat and the database may disagree on the time by a little.
CLOCK_SKEW = datetime.timedelta(seconds=5)


def answers(stack_status, changed_at, requested_at):
    """Whether the stack's state answers a request made at
    ``requested_at``: Heat started an operation on it since then."""
    if requested_at is None or stack_status is None:
        return True
    return changed_at >= requested_at - CLOCK_SKEW


# How long a deleting cluster's stack may show the operation Heat
# cancelled to start the delete; past it, that failure is the outcome.
DELETE_START = datetime.timedelta(minutes=5)


def cancelled_for_delete(stack_status, requested_at, now):
    """Whether a deleting cluster's stack shows the operation Heat
    cancelled for the delete: Heat stops a create or update in progress
    first, marking it FAILED ("cancelled"), and only then starts deleting,
    so a sync in between reads e.g. CREATE_FAILED. That is not the
    delete's outcome while the delete is recent (``DELETE_START``); a
    delete that never started is reported then, not waited on for ever.
    """
    return (stack_status is not None and stack_status.endswith('_FAILED')
            and not stack_status.startswith('DELETE_')
            and requested_at is not None
            and now - requested_at < DELETE_START)


def combine(observations):
    """One observation of a cluster from those of its stacks: failed if
    any failed, in progress if any is, else complete (or gone)."""
    for state in (base.FAILED, base.IN_PROGRESS, base.COMPLETE):
        found = [o for o in observations if o.state == state]
        if found:
            reasons = [o.reason for o in found if o.reason]
            return base.Observation(state, '; '.join(reasons) or None)
    return base.Observation(base.GONE)


def failure_reason(failed_resources):
    """Name the failing resources and Heat's reasons, deepest first.

    ``failed_resources``: (resource name, status, reason) tuples from a
    nested resource listing.
    """
    parts = [f'{name}: {reason}' for name, status, reason in
             failed_resources if status.endswith('_FAILED')]
    return '; '.join(parts) or None
