"""Cluster credentials get a purpose: the cluster's own services, or the
conductors driving its stacks in the owner's project.

Revision ID: 0004_credential_purpose
Revises: 0003_project_lock
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_credential_purpose'
down_revision = '0003_project_lock'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing row was made for the cluster's own services.
    op.add_column('cluster_credential', sa.Column(
        'purpose', sa.String(32), nullable=False,
        server_default='cluster'))
