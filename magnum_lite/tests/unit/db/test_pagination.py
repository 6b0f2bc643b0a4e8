"""Keyset pagination at the db layer, on every backend: a walk over
any sort key, either direction, any page size, meets every row once, in
the same order everywhere (NULL first ascending, last descending)."""

from magnum_lite.common import exception
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base
from magnum_lite.tests import sortable_rows

load_tests = base.load_tests

PAGE_SIZES = (1, 2, 3)


class TestKeysetPagination(base.DbTestCase):

    def walk(self, list_page, rows, model, marker_key='uuid'):
        """Walk every sort key, direction and page size; compare the
        order met with the expected one."""
        for sort_key in sorted(db_api.sortable_keys(model)):
            for sort_dir in ('asc', 'desc'):
                want = [r[marker_key] for r in sortable_rows.expected(
                    rows, sort_key, sort_dir)]
                for limit in PAGE_SIZES:
                    seen, marker = [], None
                    while True:
                        page = list_page(limit=limit, marker=marker,
                                         sort_key=sort_key,
                                         sort_dir=sort_dir)
                        self.assertLessEqual(len(page), limit)
                        seen += [getattr(r, marker_key) for r in page]
                        if len(page) < limit:
                            break
                        marker = seen[-1]
                    self.assertEqual(want, seen,
                                     f'{sort_key} {sort_dir} {limit}')

    def test_templates(self):
        rows = sortable_rows.templates('p1')
        self.walk(lambda **kw: db_api.template_list(visible_to='p1', **kw),
                  rows, models.ClusterTemplate)

    def test_clusters(self):
        templates = [t['uuid'] for t in sortable_rows.templates('p1')]
        rows = sortable_rows.clusters('p1', templates)
        # The page as plain rows of a few columns, as the API lists.
        self.walk(lambda **kw: db_api.cluster_list(
            project_id='p1', columns=('uuid', 'name'), **kw),
            rows, models.Cluster)

    def test_nodegroups(self):
        templates = [t['uuid'] for t in sortable_rows.templates('p1')]
        cluster = sortable_rows.clusters('p1', templates)[0]['uuid']
        rows = sortable_rows.nodegroups(cluster, 'p1')
        self.walk(lambda **kw: db_api.nodegroup_list(cluster, **kw),
                  rows, models.NodeGroup)

    def test_quotas(self):
        rows = sortable_rows.quotas()
        self.walk(db_api.quota_list, rows, models.Quota, marker_key='id')

    def test_marker_outside_the_query_is_not_found(self):
        rows = sortable_rows.templates('p1')
        self.assertRaises(exception.ClusterTemplateNotFound,
                          db_api.template_list, visible_to='p2',
                          marker=rows[0]['uuid'], limit=1)
