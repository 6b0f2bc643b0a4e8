"""What the conductor loads for the drivers (conductor/cluster_rows.py)."""

import sqlalchemy as sa

from magnum_lite.conductor import cluster_rows
from magnum_lite.db import api as db_api
from magnum_lite.tests import base


class LoadTest(base.DbTestCase):

    def _cluster(self, name, **fields):
        template = db_api.template_create(
            {'name': f'tpl-{name}', 'coe': 'kubernetes', 'image_id': 'img',
             'project_id': 'p1'})
        return db_api.cluster_create(
            dict({'name': name, 'cluster_template_id': template.uuid,
                  'project_id': 'p1', 'status': 'CREATE_IN_PROGRESS'},
                 **fields),
            [{'name': f'{name}-{role}', 'role': role, 'node_count': 1,
              'project_id': 'p1', 'status': 'CREATE_IN_PROGRESS',
              'is_default': True}
             for role in ('master', 'worker')])

    def _statements(self, function):
        """(function's result, how many SELECTs it ran)."""
        seen = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith('SELECT'):
                seen.append(statement)

        engine = db_api.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', count)
        try:
            return function(), len(seen)
        finally:
            sa.event.remove(engine, 'before_cursor_execute', count)

    def test_rows_of_each_cluster(self):
        one = self._cluster('one')
        target = self._cluster('target')
        db_api.cluster_update(one.uuid, {'operation_args': {
            'changes': {'cluster': {
                'cluster_template_id': target.cluster_template_id}}}})
        db_api.certificate_put(target.uuid, 'kubernetes', 'CERT', 'KEY')
        first, second = cluster_rows.load(
            [db_api.cluster_get(one.uuid), target])
        self.assertEqual({one.cluster_template_id,
                          target.cluster_template_id}, set(first.templates))
        self.assertEqual(one.cluster_template_id, first.template.uuid)
        self.assertEqual(['one-master', 'one-worker'],
                         [ng.name for ng in first.nodegroups])
        self.assertEqual({}, first.certificates)
        self.assertEqual(['kubernetes'], list(second.certificates))
        self.assertEqual('CERT', second.certificates['kubernetes'].certificate)
        # The status sync does not decrypt credentials.
        self.assertIsNone(second.credentials)
        self.assertEqual({}, cluster_rows.load_one(target).credentials)

    def test_as_many_queries_for_many_clusters_as_for_one(self):
        clusters = [self._cluster(f'c{i}') for i in range(4)]
        _, one = self._statements(lambda: cluster_rows.load(clusters[:1]))
        loaded, many = self._statements(lambda: cluster_rows.load(clusters))
        self.assertEqual(4, len(loaded))
        self.assertEqual(one, many)
