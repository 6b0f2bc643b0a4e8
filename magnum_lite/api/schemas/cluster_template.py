"""Request schemas of cluster templates."""

from magnum_lite.api.schemas import types

NETWORK_DRIVERS = ('calico', 'cilium', 'flannel')
# Magnum stores flannel; magnum-lite's clusters default to Calico (network
# policy support, the CNI its node bootstrap installs by default).
DEFAULT_NETWORK_DRIVER = 'calico'

_FIELDS = {
    'uuid': types.uuid(),
    'name': types.string(min_length=0),
    'coe': types.enum('kubernetes', nullable=False),
    'image_id': types.string(nullable=False),
    'flavor_id': types.string(),
    'master_flavor_id': types.string(),
    'keypair_id': types.string(),
    'external_network_id': types.string(),
    'fixed_network': types.string(),
    'fixed_subnet': types.string(),
    'network_driver': types.enum(*NETWORK_DRIVERS),
    'volume_driver': types.enum('cinder'),
    'dns_nameserver': types.string(
        pattern=r'^((25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d))'
                r'{3})(,((25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|'
                r'1?\d?\d)){3}))*$'),
    'apiserver_port': types.integer(1024, 65535),
    'docker_volume_size': types.integer(1),
    'docker_storage_driver': types.string(),
    'cluster_distro': types.string(),
    'http_proxy': types.string(),
    'https_proxy': types.string(),
    'no_proxy': types.string(),
    'registry_enabled': types.boolean(),
    'labels': types.labels(),
    'tls_disabled': types.boolean(),
    'public': types.boolean(),
    'server_type': types.enum('vm', 'bm'),
    'insecure_registry': types.string(),
    'master_lb_enabled': types.boolean(),
    'floating_ip_enabled': types.boolean(),
    'hidden': types.boolean(),
    'tags': types.string(min_length=0),
    'driver': types.string(),
}

CREATE = types.obj(
    dict(_FIELDS, **types.read_only('links', 'project_id', 'user_id',
                                    'created_at', 'updated_at')),
    required=('coe', 'image_id'))

# A patched template is checked as a whole document.
DOCUMENT = {'type': 'object',
            'properties': dict(_FIELDS, name=types.string(min_length=0)),
            'required': ['coe', 'image_id']}

DEFAULTS = {
    'network_driver': DEFAULT_NETWORK_DRIVER,
    'labels': {},
    'registry_enabled': False,
    'tls_disabled': False,
    'public': False,
    'server_type': 'vm',
    'master_lb_enabled': False,
    'floating_ip_enabled': True,
    'hidden': False,
}

NOT_REMOVABLE = ('/network_driver', '/external_network_id', '/tls_disabled',
                 '/public', '/server_type', '/coe', '/registry_enabled',
                 '/cluster_distro', '/hidden', '/image_id')
