"""Options of the API service: ``[api]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('api', title='API service options')

OPTS = [
    cfg.HostAddressOpt('host_ip', default='127.0.0.1',
                       help='Address the development server '
                            '(magnum-lite-api) listens on.'),
    cfg.PortOpt('port', default=9511,
                help='Port the development server listens on.'),
    cfg.IntOpt('max_limit', default=1000, min=1,
               help='The most items a collection returns in one page.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Validate tokens with '
                                     'keystonemiddleware.'),
                        ('noauth', 'Trust identity request headers; for '
                                   'one box and tests only.')],
               help='How callers are authenticated.'),
    cfg.BoolOpt('enable_proxy_headers_parsing', default=False,
                help='Honour X-Forwarded-* and Forwarded headers set by a '
                     'TLS-terminating proxy in front of the API.'),
    cfg.BoolOpt('check_cloud_resources', default=True,
                help='Before accepting a cluster template, cluster or '
                     'nodegroup, look up the image, flavors, keypair, '
                     'external network and fixed network/subnet it names '
                     "in Glance, Nova and Neutron with the caller's token "
                     '(see [cloud]): a 400 naming what is missing instead '
                     'of a failed cluster later. Ignored with '
                     'auth_strategy = noauth (no token, no cloud).'),
    cfg.ListOpt('node_image_distros',
                default=['debian', 'ubuntu', 'fedora', 'rocky', 'centos',
                         'rhel', 'almalinux'],
                help="Values of a node image's os_distro property the "
                     'API accepts when it checks cloud resources: '
                     'distributions with cloud-init, systemd and cgroup '
                     'v2 that the Heat templates bootstrap.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
