"""SQLAlchemy models. Alembic migrations must produce exactly these."""

import datetime
import json

import sqlalchemy as sa
from oslo_utils import uuidutils
from sqlalchemy import orm
from sqlalchemy import types

from magnum_lite.common import json_codec


def utcnow():
    """Now, in UTC, to the second (MariaDB keeps no fraction)."""
    return datetime.datetime.now(datetime.UTC).replace(
        tzinfo=None, microsecond=0)


class JsonEncoded(types.TypeDecorator):
    """JSON kept as text, so every backend stores and compares it alike."""

    impl = types.Text
    cache_ok = True

    def __init__(self, empty, *args, **kwargs):
        self.empty = empty
        super().__init__(*args, **kwargs)

    def process_bind_param(self, value, dialect):
        return json.dumps(self.empty() if value is None else value)

    def process_result_value(self, value, dialect):
        return self.empty() if value is None else json_codec.decode(value)


def JsonDict():  # noqa: N802 - reads like a type
    return JsonEncoded(dict)


def JsonList():  # noqa: N802
    return JsonEncoded(list)


class Base(orm.DeclarativeBase):
    pass


class TimestampMixin:
    created_at = sa.Column(sa.DateTime, default=utcnow, nullable=False)
    updated_at = sa.Column(sa.DateTime, onupdate=utcnow)


_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


class ClusterTemplate(TimestampMixin, Base):
    __tablename__ = 'cluster_template'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_cluster_template0uuid'),
        sa.Index('cluster_template_project_id_idx', 'project_id'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False,
                     default=uuidutils.generate_uuid)
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    name = sa.Column(sa.String(255))
    coe = sa.Column(sa.String(255))
    image_id = sa.Column(sa.String(255))
    flavor_id = sa.Column(sa.String(255))
    master_flavor_id = sa.Column(sa.String(255))
    keypair_id = sa.Column(sa.String(255))
    external_network_id = sa.Column(sa.String(255))
    fixed_network = sa.Column(sa.String(255))
    fixed_subnet = sa.Column(sa.String(255))
    network_driver = sa.Column(sa.String(255))
    volume_driver = sa.Column(sa.String(255))
    dns_nameserver = sa.Column(sa.String(255))
    apiserver_port = sa.Column(sa.Integer)
    docker_volume_size = sa.Column(sa.Integer)
    docker_storage_driver = sa.Column(sa.String(255))
    cluster_distro = sa.Column(sa.String(255))
    http_proxy = sa.Column(sa.String(255))
    https_proxy = sa.Column(sa.String(255))
    no_proxy = sa.Column(sa.String(255))
    registry_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    labels = sa.Column(JsonDict())
    tls_disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    public = sa.Column(sa.Boolean, nullable=False, default=False)
    server_type = sa.Column(sa.String(255))
    insecure_registry = sa.Column(sa.String(255))
    master_lb_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    floating_ip_enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    hidden = sa.Column(sa.Boolean, nullable=False, default=False)
    tags = sa.Column(sa.String(255))
    driver = sa.Column(sa.String(255))


class Cluster(TimestampMixin, Base):
    __tablename__ = 'cluster'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_cluster0uuid'),
        sa.Index('cluster_project_id_idx', 'project_id'),
        sa.Index('cluster_status_idx', 'status'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False,
                     default=uuidutils.generate_uuid)
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    name = sa.Column(sa.String(255))
    cluster_template_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('cluster_template.uuid',
                      name='cluster_cluster_template_id_fkey'),
        nullable=False, index=True)
    keypair = sa.Column(sa.String(255))
    docker_volume_size = sa.Column(sa.Integer)
    labels = sa.Column(JsonDict())
    master_flavor_id = sa.Column(sa.String(255))
    flavor_id = sa.Column(sa.String(255))
    stack_id = sa.Column(sa.String(255))
    api_address = sa.Column(sa.String(255))
    status = sa.Column(sa.String(20), nullable=False)
    status_reason = sa.Column(sa.Text)
    health_status = sa.Column(sa.String(20))
    health_status_reason = sa.Column(JsonDict())
    # When the health above was last reported (naive UTC): by the
    # cluster itself, or by a conductor's check that changed it.
    health_reported_at = sa.Column(sa.DateTime)
    create_timeout = sa.Column(sa.Integer)
    discovery_url = sa.Column(sa.String(255))
    coe_version = sa.Column(sa.String(255))
    container_version = sa.Column(sa.String(255))
    fixed_network = sa.Column(sa.String(255))
    fixed_subnet = sa.Column(sa.String(255))
    floating_ip_enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    master_lb_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    # Work bookkeeping, never exposed: what the conductor is asked to do,
    # since when, when a conductor handed it to the driver, and which
    # conductor holds the cluster lock.
    operation = sa.Column(sa.String(32))
    operation_args = sa.Column(JsonDict())
    operation_started_at = sa.Column(sa.DateTime)
    operation_driven_at = sa.Column(sa.DateTime)
    reservation = sa.Column(sa.String(255))
    reserved_at = sa.Column(sa.DateTime)


class NodeGroup(TimestampMixin, Base):
    __tablename__ = 'nodegroup'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_nodegroup0uuid'),
        sa.UniqueConstraint('cluster_id', 'name',
                            name='uniq_nodegroup0cluster_id0name'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False,
                     default=uuidutils.generate_uuid)
    name = sa.Column(sa.String(255), nullable=False)
    cluster_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('cluster.uuid', name='nodegroup_cluster_id_fkey',
                      ondelete='CASCADE'),
        nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    docker_volume_size = sa.Column(sa.Integer)
    labels = sa.Column(JsonDict())
    flavor_id = sa.Column(sa.String(255))
    image_id = sa.Column(sa.String(255))
    node_addresses = sa.Column(JsonList())
    # The names of the nodegroup's servers (= their Kubernetes node
    # names) as its stack last said; None until a stack says so.
    node_names = sa.Column(JsonList())
    node_count = sa.Column(sa.Integer, nullable=False, default=1)
    role = sa.Column(sa.String(255), nullable=False)
    max_node_count = sa.Column(sa.Integer)
    min_node_count = sa.Column(sa.Integer, nullable=False, default=0)
    is_default = sa.Column(sa.Boolean, nullable=False, default=False)
    stack_id = sa.Column(sa.String(255))
    status = sa.Column(sa.String(20), nullable=False)
    status_reason = sa.Column(sa.Text)
    version = sa.Column(sa.String(20))
    node_labels = sa.Column(JsonDict())
    node_taints = sa.Column(JsonList())


class Certificate(TimestampMixin, Base):
    """A cluster's CA: certificate in clear, private key encrypted."""

    __tablename__ = 'certificate'
    __table_args__ = (
        sa.UniqueConstraint('cluster_id', 'ca_type',
                            name='uniq_certificate0cluster_id0ca_type'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    cluster_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('cluster.uuid', name='certificate_cluster_id_fkey',
                      ondelete='CASCADE'),
        nullable=False)
    ca_type = sa.Column(sa.String(32), nullable=False)
    certificate = sa.Column(sa.Text, nullable=False)
    private_key = sa.Column(sa.Text, nullable=False)


class ClusterCredential(TimestampMixin, Base):
    """Keystone credentials of a cluster. Purpose ``cluster``: what its
    services use (cloud controller, Cinder CSI, autoscaler); the newest
    such row is the one its stack gets, older ones are removed once no
    stack uses them. Purpose ``stacks``: the trust the conductors drive
    its Heat stacks with, in the owner's project; never in the cluster,
    never rotated, removed with the cluster."""

    __tablename__ = 'cluster_credential'
    __table_args__ = (
        sa.Index('cluster_credential_cluster_id_idx', 'cluster_id'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    cluster_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('cluster.uuid',
                      name='cluster_credential_cluster_id_fkey',
                      ondelete='CASCADE'),
        nullable=False)
    # 'trust' or 'application_credential'.
    mode = sa.Column(sa.String(32), nullable=False)
    # The trustee user, or the owner of the application credential.
    user_id = sa.Column(sa.String(255), nullable=False)
    username = sa.Column(sa.String(255))
    domain_id = sa.Column(sa.String(255))
    # Encrypted JSON: password and trust_id, or the application
    # credential's id and secret.
    secret = sa.Column(sa.Text, nullable=False)
    purpose = sa.Column(sa.String(32), nullable=False,
                        server_default='cluster')


class Quota(TimestampMixin, Base):
    __tablename__ = 'quotas'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quotas0project_id0resource'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    resource = sa.Column(sa.String(255), nullable=False)
    hard_limit = sa.Column(sa.Integer, nullable=False)


class ProjectLock(Base):
    """One row per project that created a cluster, never shown. A cluster
    create locks its project's row (SELECT ... FOR UPDATE) before it
    counts the project's clusters, so that two creates cannot both take
    the last place of the quota: the quota row cannot serve, most
    projects have none."""

    __tablename__ = 'project_lock'
    __table_args__ = (_TABLE_ARGS,)

    project_id = sa.Column(sa.String(255), primary_key=True)


class ConductorService(TimestampMixin, Base):
    """One row per conductor; its heartbeats keep ``last_seen_up``."""

    __tablename__ = 'magnum_service'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_magnum_service0host0binary'),
        _TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(255), nullable=False)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    disabled_reason = sa.Column(sa.String(255))
    last_seen_up = sa.Column(sa.DateTime)
    forced_down = sa.Column(sa.Boolean, nullable=False, default=False)
    report_count = sa.Column(sa.Integer, nullable=False, default=0)
