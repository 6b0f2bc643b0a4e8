"""Where the private keys of cluster CAs are kept: ``[certificates]``,
with Magnum's option name ``cert_manager_type``."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'certificates', title='Private keys of cluster CAs',
    help='Each cluster has its own CAs and service-account key pair, made '
         'by the conductor. Their certificates stay in the database; their '
         'private keys go where cert_manager_type says. With barbican the '
         'keystoneauth options of this group (auth_type, auth_url, '
         'username, ...) name the service user whose project owns the '
         'secrets.')

OPTS = [
    cfg.StrOpt('cert_manager_type', default='local',
               choices=[('local', 'Encrypted in the database with '
                                  '[database] encryption_key.'),
                        ('barbican', 'As secrets in Barbican; the database '
                                     'keeps only their references.')],
               help='Where new private keys are stored. Keys stored before '
                    'a change stay readable where they are.'),
    cfg.URIOpt('barbican_endpoint',
               help="Barbican's URL; unset: the catalog's key-manager "
                    'endpoint.'),
    cfg.StrOpt('barbican_interface', default='public',
               choices=['public', 'internal', 'admin'],
               help="Interface of the catalog's key-manager endpoint."),
    cfg.StrOpt('region_name',
               help="Region of the catalog's key-manager endpoint."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP.name)
    ks_loading.register_session_conf_options(conf, GROUP.name)


def list_opts():
    return {GROUP: (OPTS + ks_loading.get_auth_common_conf_options()
                    + ks_loading.get_auth_plugin_conf_options('password')
                    + ks_loading.get_session_conf_options())}
