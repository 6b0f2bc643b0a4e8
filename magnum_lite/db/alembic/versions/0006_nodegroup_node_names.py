"""Nodegroups remember their servers' names (which are their Kubernetes
node names), as their stack's outputs said when it last finished, so a
health check can tell which server's node never registered.

Revision ID: 0006_nodegroup_node_names
Revises: 0005_health_reported_at
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from magnum_lite.db import models

revision = '0006_nodegroup_node_names'
down_revision = '0005_health_reported_at'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('nodegroup', sa.Column('node_names', models.JsonList(),
                                         nullable=True))
