"""Following ``next`` links meets every row exactly once, whatever the
sort key, direction and page size, with NULLs and ties in the sorted
column, on every backend."""

from urllib import parse

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import sortable_rows

load_tests = base.load_tests


PAGE_SIZES = (1, 2, 3)
# A few sort keys of every kind (id, text, JSON text, time), for the
# variants of a list that differ only in the columns they show.
SOME_KEYS = ('id', 'name', 'labels', 'updated_at')


class TestNextLinks(base.FunctionalTestCase):

    with_conductor = False

    def walk(self, path, key, rows, model, marker_key='uuid', keys=None,
             query='', **call):
        """Follow ``next`` from the first page of ``path`` for every sort
        key (or ``keys``) in both directions; compare the order met with
        the expected one. The page size turns over 1, 2 and 3, so each
        key is walked with two of them (the db layer's test walks each
        with all three: here every request is a whole HTTP round)."""
        turn = 0
        for sort_key in keys or sorted(db_api.sortable_keys(model)):
            for sort_dir in ('asc', 'desc'):
                want = [r[marker_key] for r in sortable_rows.expected(
                    rows, sort_key, sort_dir)]
                limit = PAGE_SIZES[turn % len(PAGE_SIZES)]
                turn += 1
                url = (f'{path}?sort_key={sort_key}&sort_dir={sort_dir}'
                       f'&limit={limit}{query}')
                self.assertEqual(want, self.follow(url, key, marker_key,
                                                   **call),
                                 f'{path} {sort_key} {sort_dir} {limit}')

    def follow(self, url, key, marker_key, **call):
        seen = []
        while url:
            body = self.call('GET', url, **call).json
            seen += [item[marker_key] for item in body[key]]
            url = body.get('next')
            if url:
                parts = parse.urlsplit(url)
                url = f'{parts.path}?{parts.query}'
        return seen

    def test_clusters(self):
        templates = [t['uuid'] for t in
                     sortable_rows.templates(self.project_id)]
        rows = sortable_rows.clusters(self.project_id, templates)
        self.walk('/v1/clusters', 'clusters', rows, models.Cluster)
        self.walk('/v1/clusters/detail', 'clusters', rows, models.Cluster,
                  keys=SOME_KEYS)

    def test_templates(self):
        rows = sortable_rows.templates(self.project_id)
        self.walk('/v1/clustertemplates', 'clustertemplates', rows,
                  models.ClusterTemplate)
        self.walk('/v1/clustertemplates/detail', 'clustertemplates', rows,
                  models.ClusterTemplate, keys=SOME_KEYS)

    def test_nodegroups(self):
        templates = [t['uuid'] for t in
                     sortable_rows.templates(self.project_id)]
        cluster = sortable_rows.clusters(self.project_id,
                                         templates)[0]['uuid']
        rows = sortable_rows.nodegroups(cluster, self.project_id)
        path = f'/v1/clusters/{cluster}/nodegroups'
        self.walk(path, 'nodegroups', rows, models.NodeGroup)
        # ``next`` keeps the role filter.
        self.walk(path, 'nodegroups',
                  [r for r in rows if r['role'] == 'worker'],
                  models.NodeGroup, keys=('name', 'labels'),
                  query='&role=worker')

    def test_quotas_of_every_project(self):
        rows = sortable_rows.quotas()
        # ``next`` keeps all_tenants: without it, the second page would
        # be the caller's own project's.
        self.walk('/v1/quotas', 'quotas', rows, models.Quota,
                  marker_key='id', query='&all_tenants=true',
                  roles='admin,member,reader')
