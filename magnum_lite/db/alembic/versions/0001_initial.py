"""Initial schema: templates, clusters, nodegroups, CAs, quotas, services.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from magnum_lite.db import models

revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None

_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def _s(name, length=255, **kw):
    return sa.Column(name, sa.String(length), **kw)


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime)]


def upgrade():
    op.create_table(
        'cluster_template',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('uuid', 36, nullable=False),
        _s('project_id'), _s('user_id'), _s('name'), _s('coe'),
        _s('image_id'), _s('flavor_id'), _s('master_flavor_id'),
        _s('keypair_id'), _s('external_network_id'), _s('fixed_network'),
        _s('fixed_subnet'), _s('network_driver'), _s('volume_driver'),
        _s('dns_nameserver'),
        sa.Column('apiserver_port', sa.Integer),
        sa.Column('docker_volume_size', sa.Integer),
        _s('docker_storage_driver'), _s('cluster_distro'),
        _s('http_proxy'), _s('https_proxy'), _s('no_proxy'),
        sa.Column('registry_enabled', sa.Boolean, nullable=False),
        sa.Column('labels', models.JsonDict()),
        sa.Column('tls_disabled', sa.Boolean, nullable=False),
        sa.Column('public', sa.Boolean, nullable=False),
        _s('server_type'), _s('insecure_registry'),
        sa.Column('master_lb_enabled', sa.Boolean, nullable=False),
        sa.Column('floating_ip_enabled', sa.Boolean, nullable=False),
        sa.Column('hidden', sa.Boolean, nullable=False),
        _s('tags'), _s('driver'),
        *_timestamps(),
        sa.UniqueConstraint('uuid', name='uniq_cluster_template0uuid'),
        **_ARGS)
    op.create_index('cluster_template_project_id_idx', 'cluster_template',
                    ['project_id'])

    op.create_table(
        'cluster',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('uuid', 36, nullable=False),
        _s('project_id'), _s('user_id'), _s('name'),
        _s('cluster_template_id', 36, nullable=False),
        _s('keypair'),
        sa.Column('docker_volume_size', sa.Integer),
        sa.Column('labels', models.JsonDict()),
        _s('master_flavor_id'), _s('flavor_id'), _s('stack_id'),
        _s('api_address'),
        _s('status', 20, nullable=False),
        sa.Column('status_reason', sa.Text),
        _s('health_status', 20),
        sa.Column('health_status_reason', models.JsonDict()),
        sa.Column('create_timeout', sa.Integer),
        _s('discovery_url'), _s('coe_version'), _s('container_version'),
        _s('fixed_network'), _s('fixed_subnet'),
        sa.Column('floating_ip_enabled', sa.Boolean, nullable=False),
        sa.Column('master_lb_enabled', sa.Boolean, nullable=False),
        _s('operation', 32),
        sa.Column('operation_args', models.JsonDict()),
        sa.Column('operation_started_at', sa.DateTime),
        sa.Column('operation_driven_at', sa.DateTime),
        _s('reservation'),
        sa.Column('reserved_at', sa.DateTime),
        *_timestamps(),
        sa.UniqueConstraint('uuid', name='uniq_cluster0uuid'),
        sa.ForeignKeyConstraint(['cluster_template_id'],
                                ['cluster_template.uuid'],
                                name='cluster_cluster_template_id_fkey'),
        **_ARGS)
    op.create_index('cluster_project_id_idx', 'cluster', ['project_id'])
    op.create_index('cluster_status_idx', 'cluster', ['status'])
    op.create_index('ix_cluster_cluster_template_id', 'cluster',
                    ['cluster_template_id'])

    op.create_table(
        'nodegroup',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('uuid', 36, nullable=False),
        _s('name', nullable=False),
        _s('cluster_id', 36, nullable=False),
        _s('project_id', nullable=False),
        sa.Column('docker_volume_size', sa.Integer),
        sa.Column('labels', models.JsonDict()),
        _s('flavor_id'), _s('image_id'),
        sa.Column('node_addresses', models.JsonList()),
        sa.Column('node_count', sa.Integer, nullable=False),
        _s('role', nullable=False),
        sa.Column('max_node_count', sa.Integer),
        sa.Column('min_node_count', sa.Integer, nullable=False),
        sa.Column('is_default', sa.Boolean, nullable=False),
        _s('stack_id'),
        _s('status', 20, nullable=False),
        sa.Column('status_reason', sa.Text),
        _s('version', 20),
        sa.Column('node_labels', models.JsonDict()),
        sa.Column('node_taints', models.JsonList()),
        *_timestamps(),
        sa.UniqueConstraint('uuid', name='uniq_nodegroup0uuid'),
        sa.UniqueConstraint('cluster_id', 'name',
                            name='uniq_nodegroup0cluster_id0name'),
        sa.ForeignKeyConstraint(['cluster_id'], ['cluster.uuid'],
                                name='nodegroup_cluster_id_fkey',
                                ondelete='CASCADE'),
        **_ARGS)

    op.create_table(
        'certificate',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('cluster_id', 36, nullable=False),
        _s('ca_type', 32, nullable=False),
        sa.Column('certificate', sa.Text, nullable=False),
        sa.Column('private_key', sa.Text, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('cluster_id', 'ca_type',
                            name='uniq_certificate0cluster_id0ca_type'),
        sa.ForeignKeyConstraint(['cluster_id'], ['cluster.uuid'],
                                name='certificate_cluster_id_fkey',
                                ondelete='CASCADE'),
        **_ARGS)

    op.create_table(
        'quotas',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('project_id', nullable=False),
        _s('resource', nullable=False),
        sa.Column('hard_limit', sa.Integer, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quotas0project_id0resource'),
        **_ARGS)

    op.create_table(
        'magnum_service',
        sa.Column('id', sa.Integer, primary_key=True),
        _s('host', nullable=False),
        _s('binary', nullable=False),
        sa.Column('disabled', sa.Boolean, nullable=False),
        _s('disabled_reason'),
        sa.Column('last_seen_up', sa.DateTime),
        sa.Column('forced_down', sa.Boolean, nullable=False),
        sa.Column('report_count', sa.Integer, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_magnum_service0host0binary'),
        **_ARGS)
