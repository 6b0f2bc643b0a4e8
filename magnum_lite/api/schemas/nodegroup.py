"""Request schemas of nodegroups."""

from magnum_lite.api.schemas import types

INT_MAX = types.INT_MAX

_COMMON = {
    'name': types.string(nullable=False),
    'node_count': types.integer(0),
    'min_node_count': types.integer(0),
    'max_node_count': types.integer(0),
    'role': types.string(),
    'flavor_id': types.string(),
    'image_id': types.string(),
    'labels': types.labels(),
    'docker_volume_size': types.integer(1),
    'merge_labels': types.boolean(),
    'uuid': types.uuid(),
    'cluster_id': types.string(),
    **types.read_only('project_id', 'links', 'node_addresses', 'stack_id',
                      'created_at', 'updated_at', 'id', 'status',
                      'status_reason', 'is_default', 'version'),
}

NODE_LABELS = {'type': ['object', 'null'],
               'additionalProperties': {'type': 'string', 'maxLength': 63}}
NODE_TAINTS = {'type': ['array', 'null'], 'items': {'type': 'object'}}

CREATE = types.obj(_COMMON, required=('name',))
CREATE_1_14 = types.obj(dict(_COMMON, node_labels=NODE_LABELS,
                             node_taints=NODE_TAINTS), required=('name',))

PATCH_DOCUMENT = {'type': 'object', 'properties': {
    'min_node_count': types.integer(0, nullable=False),
    'max_node_count': types.integer(0),
    'node_labels': NODE_LABELS,
    'node_taints': NODE_TAINTS,
}}

PATCH_INTERNAL = ('/name', '/cluster_id', '/project_id',
                  '/docker_volume_size', '/labels', '/flavor_id', '/image_id',
                  '/node_addresses', '/node_count', '/role', '/is_default',
                  '/stack_id', '/status', '/status_reason', '/version')
