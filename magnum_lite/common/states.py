"""The cluster and nodegroup state machine, as data.

Internal states are short verbs-in-progress and results; Magnum's status
strings (``CREATE_IN_PROGRESS`` ...) are produced from them by
:func:`magnum_status` for the API only. Every ``*_failed`` state has a retry
exit (``update`` re-drives the failed operation) and a ``delete`` exit, so
no cluster is ever stuck.
"""

import dataclasses

CREATING = 'creating'
CREATE_FAILED = 'create_failed'
CREATED = 'created'
UPDATING = 'updating'
UPDATE_FAILED = 'update_failed'
UPDATED = 'updated'
DELETING = 'deleting'
DELETE_FAILED = 'delete_failed'
DELETED = 'deleted'  # never stored: the row is removed

# Events.
CREATE = 'create'
UPDATE = 'update'
DELETE = 'delete'
SUCCEED = 'succeed'
FAIL = 'fail'


@dataclasses.dataclass(frozen=True)
class Transition:
    source: str
    event: str
    target: str


STABLE = frozenset({CREATED, UPDATED})
FAILED = frozenset({CREATE_FAILED, UPDATE_FAILED, DELETE_FAILED})
IN_PROGRESS = frozenset({CREATING, UPDATING, DELETING})
ALL = STABLE | FAILED | IN_PROGRESS

TRANSITIONS = (
    # The API writes new rows directly in CREATING: the 'create' event
    # starts from no state at all.
    Transition(None, CREATE, CREATING),
    Transition(CREATING, SUCCEED, CREATED),
    Transition(CREATING, FAIL, CREATE_FAILED),
    Transition(UPDATING, SUCCEED, UPDATED),
    Transition(UPDATING, FAIL, UPDATE_FAILED),
    Transition(DELETING, SUCCEED, DELETED),
    Transition(DELETING, FAIL, DELETE_FAILED),
    # Changes start from a settled state. A failed create or update is
    # retried by updating the cluster again.
    Transition(CREATED, UPDATE, UPDATING),
    Transition(UPDATED, UPDATE, UPDATING),
    Transition(UPDATE_FAILED, UPDATE, UPDATING),
    Transition(CREATE_FAILED, UPDATE, UPDATING),
    # Delete is always possible, even while another operation runs: the
    # conductor cancels what is in progress.
    *(Transition(s, DELETE, DELETING)
      for s in sorted(STABLE | FAILED | {CREATING, UPDATING})),
    # A failed delete is retried by deleting again.
    Transition(DELETE_FAILED, DELETE, DELETING),
)

_TABLE = {(t.source, t.event): t.target for t in TRANSITIONS}

_MAGNUM = {
    CREATING: 'CREATE_IN_PROGRESS',
    CREATE_FAILED: 'CREATE_FAILED',
    CREATED: 'CREATE_COMPLETE',
    UPDATING: 'UPDATE_IN_PROGRESS',
    UPDATE_FAILED: 'UPDATE_FAILED',
    UPDATED: 'UPDATE_COMPLETE',
    DELETING: 'DELETE_IN_PROGRESS',
    DELETE_FAILED: 'DELETE_FAILED',
    DELETED: 'DELETE_COMPLETE',
}
_FROM_MAGNUM = {v: k for k, v in _MAGNUM.items()}


class InvalidTransition(Exception):
    def __init__(self, state, event):
        self.state = state
        self.event = event
        super().__init__(f'no transition from {state} on {event}')


def target(state, event):
    """Return the state that ``event`` leads to from ``state``."""
    try:
        return _TABLE[(state, event)]
    except KeyError:
        raise InvalidTransition(state, event) from None


def sources(event):
    """Return the states from which ``event`` is allowed, sorted."""
    return sorted(s for (s, e) in _TABLE if e == event and s is not None)


def outcome(state, succeeded):
    """Return the state an in-progress ``state`` settles in."""
    return target(state, SUCCEED if succeeded else FAIL)


def magnum_status(state):
    """Magnum's status string for an internal state (None stays None)."""
    if state is None:
        return None
    return _MAGNUM[state]


def from_magnum_status(status):
    """The internal state for one of Magnum's status strings."""
    return _FROM_MAGNUM[status]
