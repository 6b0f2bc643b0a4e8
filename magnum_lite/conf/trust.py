"""Per-cluster cloud credentials (trustee + trust, or application
credential): ``[trust]``, with Magnum's option names."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'trust', title='Cloud credentials of clusters',
    help='What runs inside a cluster (cloud controller manager, Cinder '
         'CSI, autoscaler) gets its own Keystone credentials, created with '
         "the caller's token when the cluster is created, rotated through "
         'PATCH /v1/credentials/{cluster} and deleted with the cluster. '
         'With [api] auth_strategy = noauth there is no Keystone and '
         'clusters get none.')

OPTS = [
    cfg.BoolOpt('cluster_user_trust', default=True,
                help='Give each cluster cloud credentials. False: clusters '
                     'get none (Magnum\'s default), and their cloud '
                     'controller manager and Cinder CSI cannot work.'),
    cfg.StrOpt('credential_mode', default='trust',
               choices=[('trust', 'A trustee user in the trustee domain and '
                                  "a trust from the caller to it (Magnum's "
                                  'way).'),
                        ('application_credential',
                         "An application credential of the caller, limited "
                         'to the cluster\'s project and [trust] roles. '
                         'Deleting it needs an admin token of project or '
                         'system scope: the trustee domain admin needs the '
                         'admin role on the system too.')],
               help='Which kind of credentials clusters get.'),
    cfg.URIOpt('auth_url',
               help='Keystone (v3) URL magnum-lite uses to create and '
                    'delete trustees, trusts and application credentials.'),
    cfg.StrOpt('trustee_domain_id',
               help='Id of the domain the trustee users are created in.'),
    cfg.StrOpt('trustee_domain_name',
               help='Name of that domain; used if trustee_domain_id is '
                    'not set.'),
    cfg.StrOpt('trustee_domain_admin_id',
               help='Id of the user that manages the trustee domain.'),
    cfg.StrOpt('trustee_domain_admin_name',
               help='Name of that user (in the trustee domain); used if '
                    'trustee_domain_admin_id is not set.'),
    cfg.StrOpt('trustee_domain_admin_password', secret=True,
               help='Password of that user.'),
    cfg.StrOpt('trustee_keystone_interface', default='public',
               choices=['public', 'internal', 'admin'],
               help="Interface of Keystone's catalog entry the clusters "
                    'reach Keystone through; auth_url if the catalog has '
                    'none.'),
    cfg.StrOpt('region_name',
               help="Region of the cloud written to the cluster's "
                    'cloud.conf and used to choose its Keystone endpoint.'),
    cfg.ListOpt('roles', default=['member'],
                help='Roles the trust or application credential '
                     'delegates; empty: every role of the caller (Magnum\'s '
                     'default).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
    ks_loading.register_session_conf_options(conf, GROUP.name)


def list_opts():
    return {GROUP: OPTS + ks_loading.get_session_conf_options()}
