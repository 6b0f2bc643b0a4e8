"""The only way into the database: plain functions over short transactions.

Callers get ORM objects that stay readable after their transaction ends.
Functions raise :mod:`magnum_lite.common.exception` errors, never database
errors, for the cases callers must handle (not found, duplicate, busy).
"""

import contextlib
import datetime
import functools
import threading

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_utils import uuidutils
from sqlalchemy import orm

from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conf import CONF
from magnum_lite.db import availability
from magnum_lite.db import direct
from magnum_lite.db import models
from magnum_lite.db import pagination
from magnum_lite.db import reader

_LOCK = threading.Lock()
_FACADE = None
_READER = None
_OWN_OPTIONS = frozenset({'encryption_key'})


class _Txn:
    """Holder oslo.db's enginefacade keeps its transaction state on."""


def _facade():
    global _FACADE
    with _LOCK:
        if _FACADE is None:
            facade = enginefacade.transaction_context()
            options = {k: v for k, v in CONF.database.items()
                       if k not in _OWN_OPTIONS}
            facade.configure(sqlite_fk=True, **options)
            _serialize_sqlite_writes(facade.writer.get_engine())
            _FACADE = facade
        return _FACADE


def _serialize_sqlite_writes(engine):
    """SQLite: take the write lock when a transaction begins. Its default
    (lock on first write) makes two read-then-write transactions deadlock
    and fail with "database is locked" instead of waiting."""
    if engine.dialect.name != 'sqlite':
        return

    @sa.event.listens_for(engine, 'begin')
    def _begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        # Leave transaction control to us, not to the sqlite3 module.
        dbapi_connection.isolation_level = None
        if not dbapi_connection.in_transaction:
            connection.exec_driver_sql('BEGIN IMMEDIATE')


def _reader_session():
    global _READER
    with _LOCK:
        if _READER is None:
            _READER = orm.sessionmaker(
                reader.create_engine(CONF.database), expire_on_commit=False)
        return _READER()


def _reader_engine():
    """The reader engine, without making a session for it."""
    maker = _READER
    if maker is None:
        return _reader_session().get_bind()
    return maker.kw['bind']


def reset():
    """Forget the engines, so the next call connects to
    ``[database] connection`` anew (tests, forked workers)."""
    global _FACADE, _READER
    with _LOCK:
        if _FACADE is not None:
            _FACADE.dispose_pool()
        if _READER is not None:
            _READER.kw['bind'].dispose()
        _FACADE = _READER = None
        direct.forget()


def get_engine():
    """The writer engine (for migrations and tools)."""
    return _facade().writer.get_engine()


def get_reader_engine():
    """The engine reads use (autocommit; see :mod:`.reader`)."""
    return _reader_engine()


@contextlib.contextmanager
def _writer():
    with availability.translated(), \
            _facade().writer.using(_Txn()) as session:
        yield session


@contextlib.contextmanager
def _reader():
    """A session on the reader engine: each statement is a transaction
    of its own, so one that must be consistent is one statement."""
    with availability.translated(), _reader_session() as session:
        yield session


def _rows(statement, params=None):
    """The rows of a Core ``statement`` on the reader engine: plain
    named tuples, without the ORM's session, identity map and
    instrumented objects (most of what a one-row read costs)."""
    with availability.translated(), \
            _reader_engine().connect() as connection:
        return connection.execute(statement, params).all()


def _hot_rows(statement, params):
    """The rows of a Core ``statement`` that a hot read runs (a show):
    lists of values in its column order, read on the DB-API connection
    (see :mod:`.direct`)."""
    return direct.rows(_reader_engine(), statement, params, _rows)


@contextlib.contextmanager
def _snapshot_reader():
    """A read-only transaction on the writer engine, for the few reads of
    several statements that must see one state of the database."""
    with availability.translated(), \
            _facade().reader.using(_Txn()) as session:
        yield session


# Generic helpers -------------------------------------------------------------

def _lookup(session, model, ident, kind, plural, not_found, *criteria):
    """Find one row by uuid (if ``ident`` looks like one) or by name."""
    query = session.query(model).filter(*criteria)
    if uuidutils.is_uuid_like(ident):
        query = query.filter(model.uuid == ident)
    else:
        query = query.filter(model.name == ident)
    rows = query.limit(2).all()
    if not rows:
        raise not_found
    if len(rows) > 1:
        raise exception.AmbiguousName(plural=plural, kind=kind)
    return rows[0]


def sortable_keys(model):
    """Column names a collection of ``model`` may be sorted by."""
    return {c.name for c in model.__table__.columns}


def _page(table, criteria, marker, not_found, limit=None, sort_key='id',
          sort_dir='asc', columns=None):
    """A page of the rows of ``table`` matching ``criteria``, after the
    row matching ``marker`` (a criterion, or None for the first page);
    ``not_found`` is raised when no such row matches it. Core rows
    (named tuples) of ``columns`` (None: all), in that order."""
    engine = get_reader_engine()
    with availability.translated(), engine.connect() as connection:
        after = None
        if marker is not None:
            after = connection.execute(pagination.position(
                table, criteria, marker, sort_key)).first()
            if after is None:
                raise not_found
        return connection.execute(pagination.page(
            table, criteria, columns or [c.name for c in table.columns],
            limit, after, sort_key, sort_dir, engine.dialect.name)).all()


def _uuid_marker(table, marker):
    return None if marker is None else table.c.uuid == marker


def _template_visibility(project_id):
    model = models.ClusterTemplate
    return sa.or_(model.project_id == project_id,
                  sa.and_(model.public.is_(True), model.hidden.is_(False)))


def _now():
    return models.utcnow()


# Cluster templates -----------------------------------------------------------

def template_create(values):
    """Insert a cluster template; 409 on a duplicate uuid."""
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    try:
        with _writer() as session:
            row = models.ClusterTemplate(**values)
            session.add(row)
        return row
    except db_exc.DBDuplicateEntry:
        raise exception.DuplicateUuid(kind='ClusterTemplate',
                                      uuid=values['uuid'])


_TEMPLATE_COLUMNS = tuple(
    c.name for c in models.ClusterTemplate.__table__.columns)


@functools.cache
def _template_get_query(by_uuid, visible):
    table = models.ClusterTemplate.__table__
    key = table.c.uuid if by_uuid else table.c.name
    query = sa.select(table).where(key == sa.bindparam('ident'))
    if visible:
        query = query.where(_template_visibility(sa.bindparam('project')))
    return query.limit(2)


def template_get(ident, visible_to=None):
    """One template by uuid or name; ``visible_to`` limits it to what that
    project may see (own, or public and not hidden). None: any project.
    A read-only row."""
    query = _template_get_query(uuidutils.is_uuid_like(ident),
                                visible_to is not None)
    rows = _hot_rows(query, {'ident': ident, 'project': visible_to})
    if not rows:
        raise exception.ClusterTemplateNotFound(clustertemplate=ident)
    if len(rows) > 1:
        raise exception.AmbiguousName(plural='ClusterTemplates',
                                      kind='ClusterTemplate')
    return Record.of(_TEMPLATE_COLUMNS, rows[0])


def template_get_by_id(template_id, visible_to=None):
    """One template by its integer database id."""
    model = models.ClusterTemplate
    with _reader() as session:
        query = session.query(model).filter(model.id == template_id)
        if visible_to is not None:
            query = query.filter(_template_visibility(visible_to))
        row = query.first()
    if row is None:
        raise exception.ClusterTemplateNotFound(clustertemplate=template_id)
    return row


def template_list(visible_to=None, limit=None, marker=None, sort_key='id',
                  sort_dir='asc', columns=None):
    """A page of templates; ``marker`` is the uuid of the previous last."""
    table = models.ClusterTemplate.__table__
    criteria = [] if visible_to is None \
        else [_template_visibility(visible_to)]
    return _page(table, criteria, _uuid_marker(table, marker),
                 exception.ClusterTemplateNotFound(clustertemplate=marker),
                 limit, sort_key, sort_dir, columns)


def templates_by_uuid(uuids, columns=None):
    """{uuid: template} for the given uuids, in one query."""
    uuids = [u for u in set(uuids) if u]
    if not uuids:
        return {}
    if not columns:
        with _reader() as session:
            return _templates_by_uuid(session, uuids)
    table = models.ClusterTemplate.__table__
    names = _names(table, ('uuid', *columns), ())
    rows = _rows(sa.select(*[table.c[name] for name in names]).where(
        table.c.uuid.in_(uuids)))
    return {row.uuid: row for row in rows}


def template_update(template_uuid, values, allowed_when_in_use=None):
    """Update a template. If ``allowed_when_in_use`` is a predicate over
    ``values``, a template referenced by a cluster is only updated when
    it holds; the check and the write happen in one transaction."""
    model = models.ClusterTemplate
    with _writer() as session:
        row = session.query(model).filter(
            model.uuid == template_uuid).with_for_update().first()
        if row is None:
            raise exception.ClusterTemplateNotFound(
                clustertemplate=template_uuid)
        if allowed_when_in_use and not allowed_when_in_use(values):
            in_use = session.query(models.Cluster.id).filter(
                models.Cluster.cluster_template_id == template_uuid).first()
            if in_use is not None:
                raise exception.ClusterTemplateReferenced(
                    clustertemplate=template_uuid)
        for key, value in values.items():
            setattr(row, key, value)
    return row


def template_delete(template_uuid):
    """Delete a template; 400 while a cluster references it."""
    model = models.ClusterTemplate
    try:
        with _writer() as session:
            in_use = session.query(models.Cluster.id).filter(
                models.Cluster.cluster_template_id == template_uuid).first()
            if in_use is not None:
                raise exception.ClusterTemplateReferenced(
                    clustertemplate=template_uuid)
            count = session.query(model).filter(
                model.uuid == template_uuid).delete()
    except db_exc.DBReferenceError:
        # A cluster was created between our check and the delete.
        raise exception.ClusterTemplateReferenced(
            clustertemplate=template_uuid)
    if not count:
        raise exception.ClusterTemplateNotFound(clustertemplate=template_uuid)


# Clusters --------------------------------------------------------------------

def cluster_create(values, nodegroups, credentials=(), check_quota=None):
    """Insert a cluster, its nodegroups and its credentials (values of
    ``identity.credentials.Credential.row()``) in one transaction.

    ``check_quota(quotas, count)``, if given, is called in that
    transaction with the project's quota rows ({resource: row}) and its
    number of clusters, while the transaction holds the project's lock:
    it raises to refuse the create, and two concurrent creates cannot both
    pass it on the quota's last place."""
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    values.setdefault('operation_started_at', _now())
    if check_quota is not None:
        _ensure_project_lock(values['project_id'])
    with _writer() as session:
        if check_quota is not None:
            _check_quota(session, values['project_id'], check_quota)
        cluster = models.Cluster(**values)
        session.add(cluster)
        session.flush()
        for ng in nodegroups:
            session.add(models.NodeGroup(cluster_id=cluster.uuid, **ng))
        for credential in credentials:
            session.add(models.ClusterCredential(cluster_id=cluster.uuid,
                                                 **credential))
    return cluster


def _ensure_project_lock(project_id):
    """Make the project's lock row if it has none, in a transaction of its
    own: on PostgreSQL a failed insert would spoil the create's."""
    model = models.ProjectLock
    try:
        with _writer() as session:
            found = session.query(model.project_id).filter(
                model.project_id == project_id).first()
            if found is None:
                session.add(model(project_id=project_id))
    except db_exc.DBDuplicateEntry:
        pass  # a concurrent create made it; it is all we need


def _check_quota(session, project_id, check_quota):
    """Lock the project's row, then count its clusters: a concurrent
    create of the project waits here until this transaction ends, and
    then counts the cluster it inserted. The lock is on one existing row
    by its primary key, so MariaDB takes no gap lock (no deadlock between
    two creates); SQLite's writers are serialized by BEGIN IMMEDIATE."""
    lock = models.ProjectLock
    session.query(lock.project_id).filter(
        lock.project_id == project_id).with_for_update().one()
    quotas = session.query(models.Quota).filter(
        models.Quota.project_id == project_id).all()
    count = session.query(sa.func.count(models.Cluster.id)).filter(
        models.Cluster.project_id == project_id).scalar()
    check_quota({q.resource: q for q in quotas}, count)


def cluster_get(ident, project_id=None):
    """One cluster by uuid or name, within ``project_id`` if given."""
    model = models.Cluster
    criteria = [] if project_id is None else [model.project_id == project_id]
    with _reader() as session:
        return _lookup(session, model, ident, 'cluster', 'clusters',
                       exception.ClusterNotFound(cluster=ident), *criteria)


def cluster_list(project_id=None, limit=None, marker=None, sort_key='id',
                 sort_dir='asc', columns=None):
    """A page of clusters; ``marker`` is the uuid of the previous last."""
    table = models.Cluster.__table__
    criteria = [] if project_id is None \
        else [table.c.project_id == project_id]
    return _page(table, criteria, _uuid_marker(table, marker),
                 exception.ClusterNotFound(cluster=marker),
                 limit, sort_key, sort_dir, columns)


def _nodegroups_by_cluster(session, cluster_uuids):
    result = {uuid: [] for uuid in cluster_uuids}
    if not cluster_uuids:
        return result
    model = models.NodeGroup
    query = session.query(model).filter(
        model.cluster_id.in_(list(cluster_uuids))).order_by(model.id)
    for row in query:
        result[row.cluster_id].append(row)
    return result


def nodegroups_by_cluster(cluster_uuids, columns=None):
    """{cluster uuid: [nodegroups ordered by id]} in one query: with
    ``columns``, read-only Core rows of those and ``cluster_id``; without,
    ORM objects."""
    if not columns:
        with _reader() as session:
            return _nodegroups_by_cluster(session, cluster_uuids)
    result = {uuid: [] for uuid in cluster_uuids}
    if not result:
        return result
    table = models.NodeGroup.__table__
    names = _names(table, ('cluster_id', *columns), ())
    rows = _rows(sa.select(*[table.c[name] for name in names]).where(
        table.c.cluster_id.in_(list(result))).order_by(table.c.id))
    for row in rows:
        result[row.cluster_id].append(row)
    return result


def _templates_by_uuid(session, uuids):
    model = models.ClusterTemplate
    uuids = [u for u in set(uuids) if u]
    if not uuids:
        return {}
    rows = session.query(model).filter(model.uuid.in_(uuids))
    return {row.uuid: row for row in rows}


def cluster_rows(cluster_uuids, template_uuids):
    """What the drivers get of clusters, in one transaction:
    ``({template uuid: template}, {cluster uuid: [nodegroups by id]},
    {cluster uuid: {kind: certificate}}, {cluster uuid: stack trust
    row})``."""
    with _snapshot_reader() as session:
        return (_templates_by_uuid(session, template_uuids),
                _nodegroups_by_cluster(session, cluster_uuids),
                _certificates_by_cluster(session, cluster_uuids),
                _stack_credentials(session, cluster_uuids))


@functools.cache
def _cluster_show_query(by_uuid, in_project, columns, nodegroup_columns):
    """The statement of :func:`cluster_show` (built once per shape: a
    statement with a subquery costs more to build than to run)."""
    cluster_t = models.Cluster.__table__
    ng_t = models.NodeGroup.__table__
    template_t = models.ClusterTemplate.__table__
    key = cluster_t.c.uuid if by_uuid else cluster_t.c.name
    match = sa.select(cluster_t).where(key == sa.bindparam('ident'))
    if in_project:
        match = match.where(cluster_t.c.project_id == sa.bindparam('project'))
    found = match.limit(2).subquery('found')
    cluster_names = _names(cluster_t, columns, ('id', 'uuid'))
    ng_names = _names(ng_t, nodegroup_columns, ('id',))
    query = sa.select(
        *[found.c[name] for name in cluster_names],
        *[ng_t.c[name].label(f'ng_{name}') for name in ng_names],
        template_t.c.id.label('template_row_id'),
        template_t.c.labels.label('template_labels'),
    ).select_from(found).outerjoin(
        ng_t, ng_t.c.cluster_id == found.c.uuid).outerjoin(
        template_t, template_t.c.uuid == found.c.cluster_template_id
    ).order_by(found.c.id, ng_t.c.id)
    return query, cluster_names, ng_names


def cluster_show(ident, project_id=None, columns=None,
                 nodegroup_columns=None):
    """(cluster, its nodegroups by id, its template's labels holder) in
    one SELECT, so the three agree without a transaction: the cluster
    (at most two matches, to tell an ambiguous name) joined with its
    nodegroups and its template. ``columns`` / ``nodegroup_columns`` are
    the fields read (None: all); the rows are read-only records."""
    query, cluster_names, ng_names = _cluster_show_query(
        uuidutils.is_uuid_like(ident), project_id is not None,
        None if columns is None else tuple(columns),
        None if nodegroup_columns is None else tuple(nodegroup_columns))
    rows = _hot_rows(query, {'ident': ident, 'project': project_id})
    if not rows:
        raise exception.ClusterNotFound(cluster=ident)
    columns = len(cluster_names)
    ident_at = cluster_names.index('id')
    if rows[0][ident_at] != rows[-1][ident_at]:
        raise exception.AmbiguousName(plural='clusters', kind='cluster')
    first = rows[0]
    cluster = Record.of(cluster_names, first[:columns])
    ng_end = columns + len(ng_names)
    ng_id_at = columns + ng_names.index('id')
    nodegroups = [Record.of(ng_names, row[columns:ng_end])
                  for row in rows if row[ng_id_at] is not None]
    template = None
    template_row_id, template_labels = first[ng_end:]
    if template_row_id is not None:
        template = Record(labels=template_labels)
    return cluster, nodegroups, template


class Record:
    """The fields of a row it was given, as attributes."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    @classmethod
    def of(cls, names, values):
        """The record of ``values`` named by ``names`` (as many)."""
        record = cls.__new__(cls)
        record.__dict__ = dict(zip(names, values, strict=True))
        return record


def _names(table, wanted, always):
    """Column names of ``table`` to read: ``wanted`` (None: all) with
    ``always``, in table order."""
    if wanted is None:
        return [c.name for c in table.columns]
    keep = set(wanted) | set(always)
    return [c.name for c in table.columns if c.name in keep]


def cluster_count(project_id):
    """How many clusters the project owns."""
    with _reader() as session:
        return session.query(sa.func.count(models.Cluster.id)).filter(
            models.Cluster.project_id == project_id).scalar()


def cluster_update(cluster_uuid, values, expected_status=None):
    """Update fields of a cluster. With ``expected_status`` (a collection)
    the update only happens while the status is one of them; returns
    whether a row was updated."""
    model = models.Cluster
    values = dict(values, updated_at=_now())
    with _writer() as session:
        query = session.query(model).filter(model.uuid == cluster_uuid)
        if expected_status is not None:
            query = query.filter(model.status.in_(list(expected_status)))
        return query.update(values, synchronize_session=False) == 1


def _same_claim(model, started_at):
    """The criterion "the operation claimed at ``started_at`` is still
    the cluster's": a later claim (or step) sets a later time."""
    if started_at is None:
        return model.operation_started_at.is_(None)
    return model.operation_started_at == started_at


def cluster_settle(cluster_uuid, expected_status, values,
                   nodegroup_updates, nodegroups_gone, started_at=None):
    """Record the outcome of an operation: the cluster's new values, its
    nodegroups' values and the removal of deleted nodegroups, in one
    transaction and only while the cluster is still ``expected_status``
    in the operation (or step) claimed at ``started_at``, the
    ``operation_started_at`` of the row the outcome was observed for: a
    settler that read the row before another settled it and claimed the
    next operation (same status again) writes nothing. Returns whether
    it was recorded."""
    now = _now()
    with _writer() as session:
        done = session.query(models.Cluster).filter(
            models.Cluster.uuid == cluster_uuid,
            models.Cluster.status == expected_status,
            _same_claim(models.Cluster, started_at)
        ).update(dict(values, updated_at=now), synchronize_session=False)
        if not done:
            return False
        nodegroup = models.NodeGroup
        for ng_uuid, ng_values in nodegroup_updates.items():
            session.query(nodegroup).filter(nodegroup.uuid == ng_uuid).update(
                dict(ng_values, updated_at=now), synchronize_session=False)
        if nodegroups_gone:
            session.query(nodegroup).filter(
                nodegroup.uuid.in_(list(nodegroups_gone))).delete(
                    synchronize_session=False)
    return True


def cluster_claim(cluster_uuid, event, operation, args=None, values=None,
                  nodegroup_updates=None, new_nodegroups=(),
                  new_credentials=(), allowed=None):
    """Atomically move a cluster along ``event`` of the state machine.

    The compare-and-set on ``status`` makes two concurrent requests unable
    to both start work: the loser gets 409 ClusterBusy. ``values`` are
    written with the claim; ``nodegroup_updates`` maps nodegroup uuids to
    values written in the same transaction, and ``new_nodegroups`` are
    inserted in it (409 on a duplicate name), as are ``new_credentials``
    (rows for the cluster's credentials table). ``allowed``: the states
    the operation may start from, when fewer than the event's sources.
    Returns the cluster; ``ClusterBusy`` (with the ``state`` found) from
    any other state.
    """
    try:
        return _claim(cluster_uuid, event, operation, args, values,
                      nodegroup_updates, new_nodegroups, new_credentials,
                      allowed)
    except db_exc.DBDuplicateEntry:
        names = ', '.join(ng['name'] for ng in new_nodegroups)
        cluster = cluster_get(cluster_uuid)
        raise exception.NodeGroupAlreadyExists(name=names,
                                               cluster=cluster.name)


def _claim(cluster_uuid, event, operation, args, values, nodegroup_updates,
           new_nodegroups, new_credentials, allowed):
    model = models.Cluster
    with _writer() as session:
        row = session.query(model).filter(
            model.uuid == cluster_uuid).with_for_update().first()
        if row is None:
            raise exception.ClusterNotFound(cluster=cluster_uuid)
        busy = exception.ClusterBusy(
            cluster=cluster_uuid, status=states.magnum_status(row.status),
            state=row.status)
        if allowed is not None and row.status not in allowed:
            raise busy
        try:
            target = states.target(row.status, event)
        except states.InvalidTransition:
            raise busy
        # Before ``values``: an operation may say what it does (a repair
        # names its node) from its claim on.
        row.status_reason = None
        for key, value in (values or {}).items():
            setattr(row, key, value)
        row.status = target
        row.operation = operation
        row.operation_args = args or {}
        row.operation_started_at = _now()
        row.operation_driven_at = None
        for ng_uuid, ng_values in (nodegroup_updates or {}).items():
            session.query(models.NodeGroup).filter(
                models.NodeGroup.uuid == ng_uuid).update(
                    dict(ng_values), synchronize_session=False)
        for ng in new_nodegroups:
            session.add(models.NodeGroup(**ng))
        for credential in new_credentials:
            session.add(models.ClusterCredential(cluster_id=cluster_uuid,
                                                 **credential))
    return row


def cluster_next_step(cluster_uuid, operation, args, renames=(),
                      deletes=(), started_at=None):
    """Start the next step of a multi-step operation (a CA rotation):
    in one transaction, and only while the cluster is still carrying out
    ``operation`` in the step claimed at ``started_at`` (so of two
    settlers that saw the same step complete, one starts the next), give
    it ``args``, make it claimed-but-not-driven again
    (so a conductor that dies before driving it leaves it to the
    stuck-work periodic), rename certificate rows (``renames``: ordered
    (from, to) ``ca_type`` pairs) and delete others (``deletes``).
    Returns whether it did."""
    model, cert = models.Cluster, models.Certificate
    with _writer() as session:
        row = session.query(model).filter(
            model.uuid == cluster_uuid,
            _same_claim(model, started_at)).with_for_update().first()
        if row is None or row.operation != operation or \
                row.status not in states.IN_PROGRESS:
            return False
        row.operation_args = args
        row.operation_started_at = _now()
        row.operation_driven_at = None
        row.updated_at = _now()
        mine = session.query(cert).filter(cert.cluster_id == cluster_uuid)
        for old, new in renames:
            mine.filter(cert.ca_type == old).update(
                {'ca_type': new, 'updated_at': _now()},
                synchronize_session=False)
        if deletes:
            mine.filter(cert.ca_type.in_(list(deletes))).delete(
                synchronize_session=False)
    return True


def cluster_destroy(cluster_uuid):
    """Delete a cluster row with its nodegroups, CAs and credentials."""
    with _writer() as session:
        for model in (models.NodeGroup, models.Certificate,
                      models.ClusterCredential):
            session.query(model).filter(
                model.cluster_id == cluster_uuid).delete(
                    synchronize_session=False)
        session.query(models.Cluster).filter(
            models.Cluster.uuid == cluster_uuid).delete(
                synchronize_session=False)


def clusters_in_progress(driven, claimed_before=None):
    """Clusters with an operation under way that a conductor has
    (``driven``) or has not yet handed to the driver; for the periodics.
    """
    model = models.Cluster
    with _reader() as session:
        query = session.query(model).filter(
            model.status.in_(sorted(states.IN_PROGRESS)))
        if driven:
            query = query.filter(model.operation_driven_at.is_not(None))
        else:
            query = query.filter(model.operation_driven_at.is_(None))
        if claimed_before is not None:
            query = query.filter(model.operation_started_at < claimed_before)
        return query.order_by(model.id).all()


def clusters_with_status(statuses):
    """Clusters in one of ``statuses``, oldest first (for the health
    checks)."""
    model = models.Cluster
    with _reader() as session:
        return session.query(model).filter(
            model.status.in_(sorted(statuses))).order_by(model.id).all()


def cluster_health_update(cluster_uuid, status, reason, reported_at,
                          unless_reported=False):
    """Store a cluster's health (``health_status``,
    ``health_status_reason``) and when it was reported. With
    ``unless_reported``, only while ``health_reported_at`` is still
    ``reported_at`` (no report came in since it was read). Returns
    whether a row was updated."""
    model = models.Cluster
    with _writer() as session:
        query = session.query(model).filter(model.uuid == cluster_uuid)
        if unless_reported:
            query = query.filter(
                model.health_reported_at.is_(None) if reported_at is None
                else model.health_reported_at == reported_at)
        return query.update(
            {'health_status': status, 'health_status_reason': reason,
             'health_reported_at': reported_at},
            synchronize_session=False) == 1


def cluster_reserve(cluster_uuid, host, stale_before):
    """Take the cluster lock for conductor ``host``. A lock held by a
    conductor whose heartbeat is older than ``stale_before`` is broken.
    Returns whether the lock was taken. ``host`` takes a lock it holds
    already: one it failed to release (the database went away) is not
    lost to it; its threads exclude each other in cluster_lock."""
    model = models.Cluster
    service = models.ConductorService
    live_hosts = sa.select(service.host).where(
        service.last_seen_up >= stale_before).scalar_subquery()
    with _writer() as session:
        taken = session.query(model).filter(
            model.uuid == cluster_uuid,
            sa.or_(model.reservation.is_(None),
                   model.reservation == host,
                   model.reservation.not_in(live_hosts))
        ).update({'reservation': host, 'reserved_at': _now()},
                 synchronize_session=False)
    return taken == 1


def cluster_release(cluster_uuid, host):
    """Give back the cluster lock held by ``host``."""
    model = models.Cluster
    with _writer() as session:
        session.query(model).filter(
            model.uuid == cluster_uuid, model.reservation == host
        ).update({'reservation': None, 'reserved_at': None},
                 synchronize_session=False)


def cluster_release_host(host):
    """Give back every cluster lock ``host`` holds; returns how many."""
    model = models.Cluster
    with _writer() as session:
        return session.query(model).filter(
            model.reservation == host
        ).update({'reservation': None, 'reserved_at': None},
                 synchronize_session=False)


def stats(project_id=None):
    """(number of clusters, number of nodes) of a project or of all."""
    with _snapshot_reader() as session:
        clusters = session.query(sa.func.count(models.Cluster.id))
        nodes = session.query(
            sa.func.coalesce(sa.func.sum(models.NodeGroup.node_count), 0))
        if project_id is not None:
            clusters = clusters.filter(models.Cluster.project_id == project_id)
            nodes = nodes.filter(models.NodeGroup.project_id == project_id)
        return clusters.scalar(), int(nodes.scalar())


# Nodegroups ------------------------------------------------------------------

def nodegroup_create(values):
    """Insert a nodegroup; 409 if its name is taken in the cluster."""
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    try:
        with _writer() as session:
            row = models.NodeGroup(**values)
            session.add(row)
        return row
    except db_exc.DBDuplicateEntry:
        raise exception.NodeGroupAlreadyExists(
            name=values['name'], cluster=values['cluster_id'])


def nodegroup_get(cluster_uuid, ident):
    """One nodegroup of a cluster by uuid, name or integer id."""
    model = models.NodeGroup
    with _reader() as session:
        if isinstance(ident, str) and ident.isdigit():
            row = session.query(model).filter(
                model.cluster_id == cluster_uuid,
                model.id == int(ident)).first()
            if row is not None:
                return row
        return _lookup(session, model, ident, 'nodegroup', 'nodegroups',
                       exception.NodeGroupNotFound(nodegroup=ident),
                       model.cluster_id == cluster_uuid)


def nodegroup_list(cluster_uuid, role=None, limit=None, marker=None,
                   sort_key='id', sort_dir='asc'):
    """A page of a cluster's nodegroups."""
    table = models.NodeGroup.__table__
    criteria = [table.c.cluster_id == cluster_uuid]
    if role is not None:
        criteria.append(table.c.role == role)
    return _page(table, criteria, _uuid_marker(table, marker),
                 exception.NodeGroupNotFound(nodegroup=marker),
                 limit, sort_key, sort_dir)


def nodegroup_update(nodegroup_uuid, values):
    """Update fields of a nodegroup."""
    model = models.NodeGroup
    values = dict(values, updated_at=_now())
    with _writer() as session:
        count = session.query(model).filter(
            model.uuid == nodegroup_uuid).update(
                values, synchronize_session=False)
    if not count:
        raise exception.NodeGroupNotFound(nodegroup=nodegroup_uuid)


# Quotas ----------------------------------------------------------------------

def quota_create(project_id, resource, hard_limit):
    """Insert a quota row; 409 if the project has one for the resource."""
    try:
        with _writer() as session:
            row = models.Quota(project_id=project_id, resource=resource,
                               hard_limit=hard_limit)
            session.add(row)
        return row
    except db_exc.DBDuplicateEntry:
        raise exception.QuotaAlreadyExists(project_id=project_id,
                                           resource=resource)


def quota_get(project_id, resource):
    """The quota row, or None."""
    model = models.Quota
    with _reader() as session:
        return session.query(model).filter(
            model.project_id == project_id,
            model.resource == resource).first()


def quota_list(project_id=None, limit=None, marker=None, sort_key='id',
               sort_dir='asc'):
    """A page of quota rows; ``marker`` is the integer id of the last."""
    table = models.Quota.__table__
    criteria = [] if project_id is None \
        else [table.c.project_id == project_id]
    return _page(table, criteria,
                 None if marker is None else table.c.id == marker,
                 exception.QuotaNotFound(project_id=project_id,
                                         resource=marker),
                 limit, sort_key, sort_dir)


def quota_update(project_id, resource, hard_limit):
    """Change a quota; 404 without a row."""
    model = models.Quota
    with _writer() as session:
        row = session.query(model).filter(
            model.project_id == project_id,
            model.resource == resource).first()
        if row is None:
            raise exception.QuotaNotFound(project_id=project_id,
                                          resource=resource)
        row.hard_limit = hard_limit
        row.updated_at = _now()
    return row


def quota_delete(project_id, resource):
    """Delete a quota row; 404 without one."""
    model = models.Quota
    with _writer() as session:
        count = session.query(model).filter(
            model.project_id == project_id,
            model.resource == resource).delete()
    if not count:
        raise exception.QuotaNotFound(project_id=project_id,
                                      resource=resource)


# Conductor services ----------------------------------------------------------

def service_heartbeat(host, binary):
    """Record that a service is alive (creating its row on first call)."""
    model = models.ConductorService
    now = _now()
    with _writer() as session:
        count = session.query(model).filter(
            model.host == host, model.binary == binary
        ).update({'last_seen_up': now, 'updated_at': now,
                  'report_count': model.report_count + 1},
                 synchronize_session=False)
        if count:
            return
    try:
        with _writer() as session:
            session.add(model(host=host, binary=binary, last_seen_up=now,
                              report_count=1))
    except db_exc.DBDuplicateEntry:
        # Another thread of the same service won the race; it counted.
        pass


def service_list():
    """All service rows, by id."""
    model = models.ConductorService
    with _reader() as session:
        return session.query(model).order_by(model.id).all()


def live_hosts(binary, since):
    """Hosts of ``binary`` that heartbeated at or after ``since``."""
    model = models.ConductorService
    with _reader() as session:
        rows = session.query(model.host).filter(
            model.binary == binary, model.last_seen_up >= since,
            model.forced_down.is_(False)).order_by(model.host)
        return [r.host for r in rows]


# Certificates ----------------------------------------------------------------

def certificate_get(cluster_uuid, ca_type):
    """The stored CA of a cluster (certificate PEM, encrypted key)."""
    model = models.Certificate
    with _reader() as session:
        row = session.query(model).filter(
            model.cluster_id == cluster_uuid, model.ca_type == ca_type).first()
    if row is None:
        raise exception.CertificateNotFound(cluster=cluster_uuid)
    return row


def _certificates_by_cluster(session, cluster_uuids):
    result = {uuid: {} for uuid in cluster_uuids}
    if not cluster_uuids:
        return result
    model = models.Certificate
    for row in session.query(model).filter(
            model.cluster_id.in_(list(cluster_uuids))):
        result[row.cluster_id][row.ca_type] = row
    return result


def certificates_by_cluster(cluster_uuids):
    """{cluster uuid: {kind (``ca_type``): certificate row}} in one
    query."""
    with _reader() as session:
        return _certificates_by_cluster(session, cluster_uuids)


def certificate_find(cluster_uuid, ca_type):
    """The stored CA (or key pair) row of a cluster, or None."""
    try:
        return certificate_get(cluster_uuid, ca_type)
    except exception.CertificateNotFound:
        return None


def certificate_put(cluster_uuid, ca_type, certificate, private_key):
    """Store (or replace) a cluster CA; the key must already be
    encrypted."""
    model = models.Certificate
    try:
        with _writer() as session:
            row = session.query(model).filter(
                model.cluster_id == cluster_uuid,
                model.ca_type == ca_type).first()
            if row is None:
                row = model(cluster_id=cluster_uuid, ca_type=ca_type)
                session.add(row)
            else:
                row.updated_at = _now()
            row.certificate = certificate
            row.private_key = private_key
    except db_exc.DBReferenceError:
        # The cluster was deleted meanwhile.
        raise exception.ClusterNotFound(cluster=cluster_uuid)


# Cluster credentials ---------------------------------------------------------

def credentials_of(cluster_uuid, purpose=None):
    """The credential rows of a cluster (of one ``purpose``, if given),
    oldest first."""
    model = models.ClusterCredential
    criteria = [model.cluster_id == cluster_uuid]
    if purpose is not None:
        criteria.append(model.purpose == purpose)
    with _reader() as session:
        return session.query(model).filter(*criteria).order_by(
            model.id).all()


def _stack_credentials(session, cluster_uuids):
    """{cluster uuid: its stack trust row} of those that have one."""
    model = models.ClusterCredential
    rows = session.query(model).filter(
        model.cluster_id.in_(list(cluster_uuids)),
        model.purpose == 'stacks').order_by(model.id)
    return {row.cluster_id: row for row in rows}


def credential_delete(credential_id):
    """Forget one credential row (after it was removed from Keystone)."""
    model = models.ClusterCredential
    with _writer() as session:
        session.query(model).filter(model.id == credential_id).delete(
            synchronize_session=False)


def age(seconds):
    """The naive UTC datetime ``seconds`` ago (for heartbeat cut-offs)."""
    return _now() - datetime.timedelta(seconds=seconds)
