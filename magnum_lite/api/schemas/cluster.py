"""Request schemas of clusters and their actions."""

from magnum_lite.api.schemas import types

_READ_ONLY = types.read_only(
    'links', 'stack_id', 'cluster_id', 'api_address', 'coe_version',
    'container_version', 'project_id', 'user_id', 'node_addresses',
    'master_addresses', 'created_at', 'updated_at')

# Accepted for compatibility and ignored on create.
_IGNORED = {
    'uuid': types.uuid(),
    'status': types.string(max_length=20),
    'status_reason': types.string(min_length=0, max_length=65535),
    'health_status': types.enum('HEALTHY', 'UNHEALTHY', 'UNKNOWN'),
    'health_status_reason': {'type': ['object', 'null']},
    'faults': {'type': ['object', 'null']},
    'labels_overridden': {'type': ['object', 'null']},
    'labels_added': {'type': ['object', 'null']},
    'labels_skipped': {'type': ['object', 'null']},
}

CREATE = types.obj(dict(
    _READ_ONLY, **_IGNORED,
    cluster_template_id={'type': ['string', 'integer'], 'minLength': 1,
                         'maxLength': 255},
    name=types.string(min_length=0, max_length=242,
                      pattern=types.NAME_PATTERN + '|^$'),
    node_count=types.integer(0),
    master_count=types.integer(1),
    create_timeout=types.integer(0),
    keypair=types.string(),
    labels=types.labels(),
    merge_labels=types.boolean(),
    docker_volume_size=types.integer(1),
    master_flavor_id=types.string(min_length=0),
    flavor_id=types.string(min_length=0),
    fixed_network=types.string(min_length=0),
    fixed_subnet=types.string(min_length=0),
    floating_ip_enabled=types.boolean(),
    master_lb_enabled=types.boolean(),
    discovery_url=types.string(min_length=0),
), required=('cluster_template_id',))

# Fields of a cluster document a PATCH may touch (the rest is refused).
PATCH_DOCUMENT = {'type': 'object', 'properties': {
    'node_count': types.integer(0, nullable=False),
    'health_status': types.enum('HEALTHY', 'UNHEALTHY', 'UNKNOWN'),
    'health_status_reason': {'type': ['object', 'null'],
                             'additionalProperties': {'type': 'string'}},
}}

PATCH_INTERNAL = ('/api_address', '/node_addresses', '/master_addresses',
                  '/stack_id', '/cluster_id', '/ca_cert_ref',
                  '/magnum_cert_ref', '/etcd_ca_cert_ref',
                  '/front_proxy_ca_cert_ref', '/trust_id',
                  '/trustee_user_name', '/trustee_password',
                  '/trustee_user_id')

RESIZE = types.obj({
    'node_count': types.integer(0, nullable=False),
    'nodes_to_remove': {'type': ['array', 'null'],
                        'items': {'type': 'string', 'minLength': 1,
                                  'maxLength': 255}},
    'nodegroup': types.string(min_length=0),
    **types.read_only('created_at', 'updated_at'),
}, required=('node_count',))

UPGRADE = types.obj({
    'cluster_template': types.string(nullable=False),
    'max_batch_size': types.integer(1),
    'nodegroup': types.string(min_length=0),
    **types.read_only('created_at', 'updated_at'),
}, required=('cluster_template',))
