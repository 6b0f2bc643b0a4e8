"""The migrations produce exactly the models, on every backend."""

import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration

from magnum_lite.db import api as db_api
from magnum_lite.db import migration
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests


class TestMigrations(base.DbTestCase):

    def test_models_match_migrations(self):
        with db_api.get_engine().connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection, opts={'compare_type': True,
                                  'compare_server_default': True})
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
        self.assertEqual([], diff)

    def test_version_is_head(self):
        self.assertEqual('0006_nodegroup_node_names', migration.version())

    def test_tables(self):
        names = set(sa.inspect(db_api.get_engine()).get_table_names())
        self.assertEqual(
            {'cluster_template', 'cluster', 'nodegroup', 'certificate',
             'quotas', 'magnum_service', 'cluster_credential',
             'project_lock', 'alembic_version'}, names)
