"""Cluster credentials: trustee + trust, or application credential.

Revision ID: 0002_cluster_credentials
Revises: 0001_initial
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0002_cluster_credentials'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cluster_credential',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('cluster_id', sa.String(36), nullable=False),
        sa.Column('mode', sa.String(32), nullable=False),
        sa.Column('user_id', sa.String(255), nullable=False),
        sa.Column('username', sa.String(255)),
        sa.Column('domain_id', sa.String(255)),
        sa.Column('secret', sa.Text, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        sa.ForeignKeyConstraint(['cluster_id'], ['cluster.uuid'],
                                name='cluster_credential_cluster_id_fkey',
                                ondelete='CASCADE'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('cluster_credential_cluster_id_idx',
                    'cluster_credential', ['cluster_id'])
