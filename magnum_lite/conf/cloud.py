"""How the API reaches Nova, Glance and Neutron as the caller:
``[cloud]``."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'cloud', title="The cloud's services, as the API caller sees them",
    help='With [api] check_cloud_resources the API looks up the image, '
         'flavors, keypair and networks a request names in Glance, Nova '
         "and Neutron with the caller's token, at the endpoints of the "
         "token's service catalog. A service missing from the catalog is "
         'not checked (logged once).')

OPTS = [
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Interface of the catalog endpoints to use.'),
    cfg.StrOpt('region_name',
               help='Region of the catalog endpoints to use; unset: the '
                    'only one, or the first the catalog lists.'),
]


def _session_opts():
    opts = ks_loading.get_session_conf_options()
    for opt in opts:
        if opt.dest == 'timeout':
            # A slow service must not hold an API worker for long.
            opt.default = 10
    return opts


SESSION_OPTS = _session_opts()


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS + SESSION_OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS + SESSION_OPTS}
