"""Keyset pagination that never skips or repeats a row.

A page is ordered by the sort column, then by the primary key (unique,
so it breaks every tie), both in the requested direction. The next page
starts strictly after the marker row's (sort value, primary key) in that
order, so every row is on exactly one page of a walk.

NULL is the smallest value on every backend: first ascending, last
descending. MariaDB and SQLite do that by themselves, PostgreSQL does the
opposite unless told, and the criteria below say where NULL rows are,
since ``column > value`` is never true for them.
"""

import sqlalchemy as sa
from sqlalchemy import types


def _stored(column):
    """``column`` as the database holds it: a JSON column is compared as
    its text, so a marker's value is bound back exactly as it was read
    (a NULL stays NULL rather than becoming ``{}``)."""
    if isinstance(column.type, types.TypeDecorator):
        return sa.type_coerce(column, column.type.impl_instance)
    return column


def position(table, criteria, marker_criterion, sort_key):
    """The statement reading the marker row's (sort value, primary key)
    among the rows matching ``criteria``: no row when none matches
    ``marker_criterion``."""
    return sa.select(_stored(table.c[sort_key]), table.c.id).where(
        *criteria, marker_criterion).limit(1)


def page(table, criteria, columns, limit, after, sort_key, sort_dir,
         dialect_name):
    """The statement reading ``columns`` of the rows of ``table``
    matching ``criteria``, ordered by ``sort_key`` (``sort_dir``) and the
    primary key, starting after the position ``after`` (None: from the
    start), at most ``limit`` rows (None: all)."""
    column = table.c[sort_key]
    ascending = sort_dir == 'asc'
    nullable = sort_key != 'id' and column.nullable
    statement = sa.select(*[table.c[name] for name in columns]).where(
        *criteria)
    if after is not None:
        statement = statement.where(_beyond(table, column, after, ascending,
                                            nullable))
    statement = statement.order_by(*_order(table, column, ascending,
                                           nullable, dialect_name))
    if limit is not None:
        statement = statement.limit(limit)
    return statement


def _order(table, column, ascending, nullable, dialect_name):
    direction = sa.asc if ascending else sa.desc
    keys = [direction(table.c.id)]
    if column is table.c.id:
        return keys
    key = direction(column)
    # MariaDB has no NULLS FIRST/LAST; it already puts NULL first
    # ascending and last descending.
    if nullable and dialect_name != 'mysql':
        key = key.nulls_first() if ascending else key.nulls_last()
    return [key, *keys]


def _beyond(table, column, after, ascending, nullable):
    """Rows strictly after ``after`` = (value, id) in the page order."""
    value, ident = after
    later_id = table.c.id > ident if ascending else table.c.id < ident
    if column is table.c.id:
        return later_id
    if value is None:
        tied = sa.and_(column.is_(None), later_id)
        # Ascending, every non-NULL value follows the NULLs; descending,
        # nothing follows them.
        return sa.or_(tied, column.is_not(None)) if ascending else tied
    stored = _stored(column)
    # A bound parameter, also for booleans (SQLAlchemy would turn
    # ``== True`` into ``IS true`` and refuses ``> True``).
    value = sa.literal(value, stored.type)
    later = stored > value if ascending else stored < value
    criteria = [later, sa.and_(stored == value, later_id)]
    if nullable and not ascending:
        criteria.append(column.is_(None))
    return sa.or_(*criteria)
