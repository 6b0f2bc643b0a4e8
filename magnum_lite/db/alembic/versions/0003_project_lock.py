"""Project locks: serialize a project's cluster creates (quota check).

Revision ID: 0003_project_lock
Revises: 0002_cluster_credentials
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_project_lock'
down_revision = '0002_cluster_credentials'
branch_labels = None
depends_on = None


def upgrade():
    # Rows are made on a project's first create; none are needed before.
    op.create_table(
        'project_lock',
        sa.Column('project_id', sa.String(255), primary_key=True),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
