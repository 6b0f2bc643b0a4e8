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
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
