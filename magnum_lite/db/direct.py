"""The hot reads, run on the pool's DB-API connection directly.

A show request reads one row (one joined SELECT) on the reader engine.
SQLAlchemy Core's execution of it cost more than the rest of the request:
the compiled-cache lookup, the execution context, the result set and its
row objects, the engine events, oslo.db's thread yield after each
statement. The statement never changes, so it is compiled once per
dialect (:class:`Prepared`); a request checks a connection out of the
same pool (its checkout and checkin events run: the idle ping, the
connection's set-up), runs the SQL on a cursor, applies the same result
processors SQLAlchemy would (JSON text to a dict, 0/1 to a bool, SQLite's
date strings to datetimes) and checks it back in (no ROLLBACK: the reader
is autocommit, see :mod:`.reader`).

Anything unusual goes back to SQLAlchemy: a statement whose compiled
form needs more than plain parameters (expanding ``IN``, post-compile
literals, bind processors) is never prepared, and any error while
checking out or executing invalidates the connection and runs the
statement again through Core, which translates the error as every other
read (oslo.db's exception filters, 503 for an unavailable database).
"""

import threading

_LOCK = threading.Lock()
_PREPARED = {}


class Unsupported(Exception):
    """The statement needs SQLAlchemy's execution (see the module)."""


class Prepared:
    """A SELECT compiled for one dialect: its SQL, the order of its
    parameters and the processor of each result column."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        sql = compiled.string
        if '__[POSTCOMPILE' in sql:
            raise Unsupported('post-compile parameters')
        required = [name for name, bind in compiled.binds.items()
                    if bind.required]
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect):
                raise Unsupported('bind processors')
        self.sql = sql
        # Literal parameters (LIMIT 2) with the required ones unset.
        self.defaults = compiled.construct_params(
            dict.fromkeys(required))
        self.order = compiled.positiontup if compiled.positional else None
        self.names = tuple(c.key for c in statement.selected_columns)
        processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in statement.selected_columns]
        self.processed = tuple((i, p) for i, p in enumerate(processors)
                               if p is not None)

    def parameters(self, params):
        """The DB-API parameters of one execution."""
        values = dict(self.defaults, **params)
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)

    def process(self, raw_rows):
        """The rows as lists of Python values, as Core would give."""
        rows = [list(row) for row in raw_rows]
        for index, processor in self.processed:
            for row in rows:
                row[index] = processor(row[index])
        return rows


def prepared(statement, engine):
    """The :class:`Prepared` form of ``statement`` for ``engine``'s
    dialect, or None if it needs SQLAlchemy's execution."""
    key = (statement, engine.dialect)
    found = _PREPARED.get(key, False)
    if found is not False:
        return found
    try:
        found = Prepared(statement, engine.dialect)
    except Unsupported:
        found = None
    with _LOCK:
        _PREPARED[key] = found
    return found


def forget():
    """Drop every prepared statement (the engines were disposed)."""
    with _LOCK:
        _PREPARED.clear()


def rows(engine, statement, params, core_rows):
    """The processed rows (lists of values, in the statement's column
    order) of ``statement`` run with ``params`` on ``engine``'s pool;
    ``core_rows(statement, params)`` runs it through SQLAlchemy instead
    when it cannot be prepared or anything fails."""
    form = prepared(statement, engine)
    if form is None:
        return [list(row) for row in core_rows(statement, params)]
    try:
        connection = engine.raw_connection()
    except Exception:
        # Core connects again, and translates the error if it recurs.
        return [list(row) for row in core_rows(statement, params)]
    try:
        raw = _execute(engine, connection, form, params)
    except Exception:
        # A dead or broken connection: drop it (invalidate() also gives
        # it back to the pool), let Core run the statement (and
        # translate the error if it fails again).
        connection.invalidate()
        return [list(row) for row in core_rows(statement, params)]
    _check_in(connection)
    return form.process(raw)


def _execute(engine, connection, form, params):
    """Run the statement; the engine's cursor-execute listeners (the
    bench's and the tests' statement counters) see it as they see Core's,
    without a Core connection or execution context."""
    sql, parameters = form.sql, form.parameters(params)
    dispatch = engine.dispatch
    cursor = connection.cursor()
    try:
        for listener in dispatch.before_cursor_execute:
            sql, parameters = listener(None, cursor, sql, parameters, None,
                                       False)
        cursor.execute(sql, parameters)
        for listener in dispatch.after_cursor_execute:
            listener(None, cursor, sql, parameters, None, False)
        return cursor.fetchall()
    finally:
        cursor.close()


def _check_in(connection):
    """Give the connection back to the pool as Core does after a
    statement outside a transaction: with nothing to reset (the reader
    is autocommit), so the pool does not even ask for a ROLLBACK."""
    close = getattr(connection, '_close_special', None)
    if close is None:  # another SQLAlchemy than the one we test with
        connection.close()
    else:
        close(transaction_reset=True)
