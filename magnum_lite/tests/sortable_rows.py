"""Rows made to be paged: every sortable column holds ties, and every
nullable one NULLs (JSON columns included), for pagination tests.

Values are chosen to compare the same under every backend's collation
(lowercase letters, one JSON shape), so the expected order can be
computed here: NULL first ascending, then the value, then the id.
"""

import datetime
import json

import sqlalchemy as sa
from oslo_utils import uuidutils

from magnum_lite.common import states
from magnum_lite.db import api as db_api
from magnum_lite.db import models

ROWS = 6
_EARLY = datetime.datetime(2026, 1, 1, 12, 0, 0)
_LATE = datetime.datetime(2026, 1, 2, 12, 0, 0)


def _pool(column):
    """Stored values for ``column``: two distinct ones, plus NULL when
    the column allows it. JSON columns give their stored text."""
    kind = column.type
    if isinstance(kind, models.JsonEncoded):
        sample = kind.empty()
        values = ([json.dumps({'k': v}) for v in 'ab']
                  if isinstance(sample, dict) else
                  [json.dumps([v]) for v in 'ab'])
    elif isinstance(kind, sa.Boolean):
        values = [False, True]
    elif isinstance(kind, sa.Integer):
        values = [1, 2]
    elif isinstance(kind, sa.DateTime):
        values = [_EARLY, _LATE]
    else:
        values = ['a', 'b']
    return values + [None] if column.nullable else values


def _bind(column, value):
    """What to insert for stored ``value``: JSON text and NULL bypass the
    column type (which would write ``{}`` for None)."""
    if value is None:
        return sa.null()
    if isinstance(column.type, models.JsonEncoded):
        return sa.type_coerce(value, sa.Text)
    return value


def insert(model, fixed=None, count=ROWS):
    """Insert ``count`` rows of ``model``; ``fixed`` maps column names to
    a function of the row's index giving the value (for keys, foreign
    keys and values the API must understand). Returns the rows' stored
    values as dicts (with ``id``)."""
    fixed = dict(fixed or {})
    fixed.setdefault('uuid', lambda i: uuidutils.generate_uuid())
    table = model.__table__
    rows = []
    for index in range(count):
        values = {}
        for offset, column in enumerate(table.columns):
            if column.name == 'id':
                continue
            if column.name in fixed:
                values[column.name] = fixed[column.name](index)
                continue
            pool = _pool(column)
            values[column.name] = pool[(index + offset) % len(pool)]
        rows.append(values)
    with db_api.get_engine().begin() as connection:
        for values in rows:
            result = connection.execute(table.insert().values(
                {name: _bind(table.c[name], value)
                 for name, value in values.items()}))
            values['id'] = result.inserted_primary_key[0]
    return rows


def expected(rows, sort_key, sort_dir):
    """``rows`` in page order: NULL smallest, the id breaks ties."""
    ordered = sorted(rows, key=lambda r: (r[sort_key] is not None,
                                          r[sort_key], r['id']))
    return ordered if sort_dir == 'asc' else ordered[::-1]


def templates(project_id):
    """Templates of ``project_id`` (sortable on every column)."""
    return insert(models.ClusterTemplate,
                  {'project_id': lambda i: project_id})


def clusters(project_id, template_uuids):
    """Clusters of ``project_id`` on the given templates, in states the
    API can show."""
    # Not CREATE_FAILED: '_' sorts after letters in MariaDB's
    # case-insensitive collation and before them elsewhere.
    status = (states.CREATED, states.UPDATED)
    return insert(models.Cluster, {
        'project_id': lambda i: project_id,
        'cluster_template_id': lambda i: template_uuids[i % 2],
        'status': lambda i: status[i % 2],
        'operation': lambda i: None,
        'reservation': lambda i: None})


def nodegroups(cluster_uuid, project_id):
    """Nodegroups of one cluster, with unique names."""
    return insert(models.NodeGroup, {
        'cluster_id': lambda i: cluster_uuid,
        'project_id': lambda i: project_id,
        'name': lambda i: f'ng{i}',
        'status': lambda i: states.CREATED,
        'role': lambda i: ('worker', 'master')[i % 2]})


def quotas():
    """Quota rows; (project, resource) pairs are unique, values tie."""
    return insert(models.Quota, {
        'project_id': lambda i: f'p{i // 3}',
        'resource': lambda i: 'abc'[i % 3]})
