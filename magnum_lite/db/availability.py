"""Telling a database that cannot be reached, or takes no more
connections, from the other database errors.

Such an error is no fault of the request or of the cluster: the API
answers 503 (try again) and the conductor leaves the step to a later
cycle, instead of a 500 or a failed cluster.
"""

import contextlib
import logging

import sqlalchemy as sa
from oslo_db import exception as db_exc

from magnum_lite.common import exception

LOG = logging.getLogger(__name__)

# MySQL/MariaDB error codes: too many connections (1040), a user's
# connection limits (1203, 1226), cannot connect (2002, 2003), server
# gone or connection lost (2006, 2013).
_MYSQL_CODES = frozenset({1040, 1203, 1226, 2002, 2003, 2006, 2013})
# PostgreSQL: libpq's messages (errors on connect carry no SQLSTATE).
_POSTGRESQL_TEXTS = ('too many clients', 'remaining connection slots',
                     'could not connect', 'connection refused',
                     'server closed the connection',
                     'terminating connection', 'the database system is')


def unavailable(error):
    """Whether ``error`` (oslo.db's or SQLAlchemy's) says the database
    cannot be reached or refuses more connections."""
    if isinstance(error, db_exc.DBConnectionError):
        return True
    error = getattr(error, 'inner_exception', None) or error
    if not isinstance(error, (sa.exc.OperationalError,
                              sa.exc.InterfaceError)):
        return False
    if error.connection_invalidated:
        return True
    args = getattr(error.orig, 'args', None) or (None,)
    if args[0] in _MYSQL_CODES:
        return True
    text = str(error.orig).lower()
    return any(part in text for part in _POSTGRESQL_TEXTS)


@contextlib.contextmanager
def translated():
    """Turn a database-unavailable error into ``DatabaseUnavailable``."""
    try:
        yield
    except (db_exc.DBError, sa.exc.DBAPIError) as err:
        if not unavailable(err):
            raise
        LOG.warning('The database is unavailable: %s', err)
        raise exception.DatabaseUnavailable() from err
