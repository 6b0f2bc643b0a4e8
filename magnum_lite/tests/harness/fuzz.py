"""Generated requests against a running API, from its OpenAPI document.

:class:`Fuzzer` draws requests for every operation of
``magnum_lite.api.openapi.document()`` with schemathesis (valid and
invalid bodies, query strings, headers), points most path parameters at
rows that exist (a template, a cluster, its nodegroups, a quota) and
checks each answer:

- never a 5xx;
- status, content type and body conform to the document;
- a refused write (POST/PATCH/DELETE answered 4xx) wrote nothing: the
  tables' row counts and contents are the same before and after it.

The last check needs a quiet database: after every accepted write the
fuzzer waits until the conductor has settled every cluster and nodegroup
(no ``*ing`` status), so that nothing but the request under test can
write while it runs. Only the conductors' heartbeat table is left out of
the content digest (it changes every second by design); its row count is
still compared. Digests are computed by PostgreSQL (one query per
snapshot), so the fuzzer needs a PostgreSQL database.

Used by ``tools/fuzz/run.py`` (thousands of requests, prints figures) and
``magnum_lite.tests.functional.test_fuzz`` (a bounded run in CI).
"""

import collections
import contextlib
import dataclasses
import random
import time

import hypothesis
import requests
import schemathesis
import sqlalchemy as sa
from schemathesis import checks as st_checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as oas_checks

from magnum_lite.api import microversions as mv
from magnum_lite.api import openapi
from magnum_lite.api.schemas.types import INT_MAX
from magnum_lite.db import models

WRITES = frozenset({'POST', 'PATCH', 'DELETE', 'PUT'})
CHECKS = [st_checks.not_a_server_error, oas_checks.status_code_conformance,
          oas_checks.content_type_conformance,
          oas_checks.response_schema_conformance]
_VERSIONS = ['latest'] + [f'1.{n}' for n in range(1, mv.MAX.minor + 1)]
_BUSY = ('creating', 'updating', 'deleting')
_HEARTBEATS = models.ConductorService.__tablename__
_PROJECT = 'admin'  # the [noauth] identity's project
_MAX_NODES = 20
_COUNTS = ('node_count', 'min_node_count', 'max_node_count')


@dataclasses.dataclass
class Figures:
    """What a run measured."""

    requests: int = 0
    by_class: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    by_status: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    rejected_writes: int = 0
    unsendable: int = 0
    unsatisfiable: list = dataclasses.field(default_factory=list)
    server_errors: list = dataclasses.field(default_factory=list)
    nonconforming: list = dataclasses.field(default_factory=list)
    written_by_rejected: list = dataclasses.field(default_factory=list)
    duration: float = 0.0
    # Where the time went: answering, snapshots, waiting for the conductor.
    seconds: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)

    def report(self):
        """The figures as printable lines."""
        lines = [
            f'requests: {self.requests} in {self.duration:.1f}s '
            f'({self.requests / max(self.duration, 1e-9):.0f}/s)',
            'seconds spent: ' + ', '.join(
                f'{k} {v:.1f}' for k, v in sorted(self.seconds.items())),
            'by status class: ' + ', '.join(
                f'{k}: {v}' for k, v in sorted(self.by_class.items())),
            'by status: ' + ', '.join(
                f'{k}: {v}' for k, v in sorted(self.by_status.items())),
            f'5xx: {len(self.server_errors)}',
            f'rejected writes (4xx POST/PATCH/DELETE): '
            f'{self.rejected_writes}',
            f'rejected writes that changed a table: '
            f'{len(self.written_by_rejected)}',
            f'answers not conforming to the OpenAPI document: '
            f'{len(self.nonconforming)}',
            f'generated requests that could not be sent: {self.unsendable}',
            f'operation/mode pairs with nothing to generate: '
            f'{", ".join(self.unsatisfiable) or "none"}',
        ]
        for title, items in (('5xx', self.server_errors),
                             ('written by a rejected write',
                              self.written_by_rejected),
                             ('not conforming', self.nonconforming)):
            for item in items[:10]:
                lines.append(f'  {title}: {item}')
        return lines


class Tables:
    """Row counts and content digests of every table, in one query."""

    def __init__(self, url):
        self.engine = sa.create_engine(url)
        if self.engine.dialect.name != 'postgresql':
            raise ValueError('the fuzzer digests tables with PostgreSQL')
        parts = []
        # Table names come from our own models, not from input.
        for table in models.Base.metadata.sorted_tables:
            name = table.name
            parts.append(f"(SELECT count(*) FROM {name}) "  # noqa: S608
                         f"AS \"{name}\"")
            if name != _HEARTBEATS:
                parts.append(
                    f"(SELECT md5(coalesce(string_agg(t::text, '|' "  # noqa: S608
                    f"ORDER BY t::text), '')) FROM {name} t) "
                    f"AS \"{name} content\"")
        self._query = sa.text('SELECT ' + ', '.join(parts))
        self._connection = self.engine.connect()

    def snapshot(self):
        """{column label: count or digest} of the committed state."""
        row = self._connection.execute(self._query).mappings().one()
        self._connection.rollback()  # a fresh snapshot next time
        return dict(row)

    def busy(self):
        """Whether a cluster or nodegroup is being worked on."""
        query = sa.text(
            "SELECT (SELECT count(*) FROM cluster WHERE status IN "
            ":s) + (SELECT count(*) FROM nodegroup WHERE status IN :s)"
        ).bindparams(sa.bindparam('s', expanding=True))
        count = self._connection.execute(query, {'s': list(_BUSY)}).scalar()
        self._connection.rollback()
        return count > 0

    def busy_rows(self):
        """What :meth:`busy` sees, for a message."""
        rows = []
        for table in ('cluster', 'nodegroup'):
            rows += [f'{table} {r.uuid} {r.status}' for r in
                     self._connection.execute(sa.text(
                         f'SELECT uuid, status FROM {table} '  # noqa: S608
                         f"WHERE status LIKE '%ing'"))]
        self._connection.rollback()
        return rows

    def idents(self):
        """Identifiers of existing rows, to aim path parameters at."""
        c = self._connection
        pools = {
            'template': [x for r in c.execute(sa.text(
                'SELECT uuid, name FROM cluster_template ORDER BY id DESC '
                'LIMIT 20')) for x in r if x],
            'cluster': [x for r in c.execute(sa.text(
                'SELECT uuid, name FROM cluster ORDER BY id DESC LIMIT 10'))
                for x in r if x],
            'nodegroup': [x for r in c.execute(sa.text(
                'SELECT uuid, name, CAST(id AS TEXT) FROM nodegroup '
                'ORDER BY id DESC LIMIT 20')) for x in r if x],
        }
        c.rollback()
        return pools

    def close(self):
        self._connection.close()
        self.engine.dispose()


class Fuzzer:
    """Generated requests against ``endpoint``, whose database is
    ``database_url`` (PostgreSQL)."""

    def __init__(self, endpoint, database_url, seed=0, settle_timeout=60):
        self.endpoint = endpoint
        self.db = Tables(database_url)
        self.random = random.Random(seed)
        self.seed = seed
        self.settle_timeout = settle_timeout
        self.session = requests.Session()
        self.schema = schemathesis.openapi.from_dict(openapi.document())
        self.figures = Figures()
        self.pools = {}

    # Rows for path parameters.

    def _call(self, method, path, body=None):
        response = self.session.request(
            method, self.endpoint + path, json=body, timeout=60,
            headers={'Accept': 'application/json',
                     mv.HEADER: 'container-infra latest'})
        return response.status_code, (response.json() if response.content
                                      else None)

    def seed_rows(self):
        """A template, a running cluster with an extra nodegroup and a
        quota of the [noauth] project, made through the API."""
        self.settle()
        pools = self.db.idents()
        if not pools['cluster']:
            self._call('DELETE', f'/v1/quotas/{_PROJECT}/Cluster')
            code, template = self._call('POST', '/v1/clustertemplates', {
                'name': f'fuzz-template-{self.random.randrange(10**6)}',
                'coe': 'kubernetes', 'image_id': 'fuzz-image',
                'external_network_id': 'public'})
            _expect(code, 201, template)
            code, body = self._call('POST', '/v1/clusters', {
                'name': f'fuzz-{self.random.randrange(10**6)}',
                'cluster_template_id': template['uuid'], 'node_count': 1,
                'master_count': 1})
            _expect(code, 202, body)
            self.settle()
            code, body = self._call(
                'POST', f"/v1/clusters/{body['uuid']}/nodegroups",
                {'name': 'fuzz-extra', 'node_count': 1})
            _expect(code, 202, body)
            self.settle()
        self._call('POST', '/v1/quotas', {'project_id': 'fuzz-project',
                                          'resource': 'Cluster',
                                          'hard_limit': 10})
        self.pools = self.db.idents()

    def settle(self):
        """Wait until the conductor has no cluster or nodegroup work."""
        deadline = time.monotonic() + self.settle_timeout
        while self.db.busy():
            if time.monotonic() > deadline:
                raise RuntimeError(f'the conductor did not settle in time: '
                                   f'{self.db.busy_rows()}')
            time.sleep(0.1)

    # Cases.

    def _aim(self, case):
        """Point path parameters at existing rows (mostly) and ask for a
        supported microversion (mostly): otherwise nearly every request
        would stop at a 404 or 406 before the handler's checks."""
        path = case.operation.path
        for name in list(case.path_parameters or {}):
            if self.random.random() < 0.15:
                continue
            if name == 'project_id':
                value = self.random.choice([_PROJECT, 'fuzz-project'])
            elif name == 'resource':
                value = 'Cluster'
            elif name == 'cluster_ident' or (
                    name == 'ident' and path.startswith('/v1/clusters/')
                    and 'nodegroups' not in path):
                value = self._pick('cluster')
            elif name == 'ident' and 'nodegroups' in path:
                value = self._pick('nodegroup')
            elif name == 'ident' and 'clustertemplates' in path:
                value = self._pick('template')
            else:
                continue
            if value is not None:
                case.path_parameters[name] = value
        if self.random.random() < 0.05:
            self._inject_nul(case)
        _fold_node_counts(case.body)
        if self.random.random() < 0.9:
            case.headers = dict(case.headers or {})
            case.headers[mv.HEADER] = \
                f'container-infra {self.random.choice(_VERSIONS)}'

    def _inject_nul(self, case):
        """A NUL character in a path or query parameter: schemathesis
        never generates one there, and databases treat it differently."""
        targets = [('path', k) for k in case.path_parameters or {}]
        targets += [('query', k) for k in case.query or {}]
        if not targets:
            return
        where, name = self.random.choice(targets)
        values = case.path_parameters if where == 'path' else case.query
        values[name] = f'{values[name]}\x00'

    def _pick(self, pool):
        values = self.pools.get(pool)
        return self.random.choice(values) if values else None

    def _one(self, case):
        self._aim(case)
        write = case.method.upper() in WRITES
        with self._timed('snapshots'):
            before = self.db.snapshot() if write else None
        try:
            with self._timed('answers'):
                response = case.call(base_url=self.endpoint,
                                     session=self.session, timeout=60)
        except (requests.RequestException, ValueError, TypeError,
                UnicodeError) as err:
            # e.g. a header value the HTTP library refuses to send.
            self.figures.unsendable += 1
            return f'{type(err).__name__}'
        status = response.status_code
        self.figures.requests += 1
        self.figures.by_class[f'{status // 100}xx'] += 1
        self.figures.by_status[status] += 1
        label = f'{case.method.upper()} {case.formatted_path} -> {status}'
        if status >= 500:
            self.figures.server_errors.append(
                f'{label}: {response.text[:300]} | {case.as_curl_command()}')
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as err:
            # The checks raise their own failure groups.
            if status < 500:
                self.figures.nonconforming.append(
                    f'{label}: {str(err)[:400]}')
        if write and 400 <= status < 500:
            self.figures.rejected_writes += 1
            with self._timed('snapshots'):
                after = self.db.snapshot()
            changed = sorted(k for k in after if after[k] != before[k])
            if changed:
                self.figures.written_by_rejected.append(
                    f'{label}: {", ".join(changed)} | '
                    f'{case.as_curl_command()}')
        elif write and status < 400:
            with self._timed('settling'):
                self._settle_after(label, case)
                if not self.db.idents()['cluster']:
                    self.seed_rows()  # a fuzzed DELETE took the cluster
                self.pools = self.db.idents()
        return label

    def _settle_after(self, label, case):
        try:
            self.settle()
        except RuntimeError as err:
            raise RuntimeError(f'after {label} | {case.as_curl_command()}: '
                               f'{err}') from None

    @contextlib.contextmanager
    def _timed(self, what):
        started = time.monotonic()
        try:
            yield
        finally:
            self.figures.seconds[what] += time.monotonic() - started

    def run(self, count, modes=(GenerationMode.POSITIVE,
                                GenerationMode.NEGATIVE)):
        """About ``count`` requests spread over every operation and
        generation mode; returns the :class:`Figures`."""
        started = time.monotonic()
        self.seed_rows()
        operations = [r.ok() for r in self.schema.get_all_operations()]
        per_test = max(1, -(-count // (len(operations) * len(modes))))
        for operation in operations:
            for mode in modes:
                self._run_operation(operation, mode, per_test)
        self.figures.duration = time.monotonic() - started
        return self.figures

    def _run_operation(self, operation, mode, examples):
        strategy = operation.as_strategy(generation_mode=mode)

        @hypothesis.settings(
            max_examples=examples, deadline=None, database=None,
            derandomize=False, phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            verbosity=hypothesis.Verbosity.quiet)
        @hypothesis.seed(self.seed)
        @hypothesis.given(case=strategy)
        def test(case):
            # Every failure is recorded, not raised: a run reports all.
            self._one(case)

        try:
            with self._timed('generating and checking'):
                test()
        except hypothesis.errors.Unsatisfiable:
            # Nothing of this operation can be made invalid (e.g. only
            # a free-form string header): its valid cases cover it.
            self.figures.unsatisfiable.append(
                f'{operation.method.upper()} {operation.path} {mode.value}')

    def close(self):
        self.session.close()
        self.db.close()


def _fold(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value > _MAX_NODES:
        # JSON schema counts 3.0 as an integer, and so does the API.
        return type(value)(int(value) % (_MAX_NODES + 1))
    if isinstance(value, str) and value.strip().isdigit() and \
            value.strip().isascii() and int(value) > _MAX_NODES:
        return str(int(value) % (_MAX_NODES + 1))
    return value


def _fold_node_counts(body):
    """Fold node counts above _MAX_NODES back into range, in place.

    The test double driver makes one fake address per node: an accepted
    resize to millions of nodes would keep its conductor busy for hours.
    Counts above the column's range are left alone (they must be 400s).
    """
    if isinstance(body, dict):
        for key in _COUNTS:
            if key in body and _fits_column(body[key]):
                body[key] = _fold(body[key])
    elif isinstance(body, list):
        for op in body:
            if isinstance(op, dict) and op.get('path') in (
                    '/' + k for k in _COUNTS) and _fits_column(
                    op.get('value')):
                op['value'] = _fold(op['value'])


def _fits_column(value):
    try:
        return int(value) <= INT_MAX
    except (TypeError, ValueError, OverflowError):
        return False


def _expect(code, wanted, body):
    if code != wanted:
        raise RuntimeError(f'seeding answered {code}, not {wanted}: {body}')
