"""Clusters remember when their health was last reported (their own
PATCH, or a conductor's check that changed it), so a silent cluster can
be told UNKNOWN "since when".

Revision ID: 0005_health_reported_at
Revises: 0004_credential_purpose
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_health_reported_at'
down_revision = '0004_credential_purpose'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cluster', sa.Column('health_reported_at', sa.DateTime,
                                       nullable=True))
