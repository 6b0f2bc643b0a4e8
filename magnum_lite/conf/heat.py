"""How the Heat driver reaches Heat: ``[heat]``."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup('heat', title='Heat driver options')

OPTS = [
    cfg.StrOpt('auth_mode', default='keystone',
               choices=[('keystone', "Through Keystone, as each cluster's "
                                     'owner: the API makes a trust for '
                                     'every new cluster and its stacks live '
                                     "in the owner's project. Clusters "
                                     'without one (made while [api] '
                                     'auth_strategy was noauth) are driven '
                                     "with this group's service "
                                     'credentials (keystoneauth1 options), '
                                     'in their project.'),
                        ('noauth', 'Heat runs with its noauth pipeline; for '
                                   'one box and tests only.')],
               help='How the conductor authenticates to Heat.'),
    cfg.StrOpt('region_name',
               help="Region of Heat's catalog entry (auth_mode=keystone)."),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help="Interface of Heat's catalog entry "
                    '(auth_mode=keystone).'),
    cfg.URIOpt('endpoint',
               help='Heat endpoint, e.g. http://127.0.0.1:8004/v1/admin. '
                    'Required with auth_mode=noauth; with keystone it '
                    'overrides the catalog.'),
    cfg.StrOpt('project', default='admin',
               help='Project sent as X-Auth-Project with auth_mode=noauth.'),
    cfg.StrOpt('template_dir',
               help='Directory of the kubernetes Heat templates. Default: '
                    'heat-templates/kubernetes of the source tree or '
                    'share/magnum-lite of the installation.'),
    cfg.ListOpt('environment_files', default=[],
                help='Extra Heat environment files sent with every stack, '
                     'e.g. heat-templates/simulation/environment.yaml for '
                     'a simulated cloud.'),
    cfg.IntOpt('stacks_per_page', default=100, min=1,
               help="Heat's max_stacks_per_page: a stack list page this "
                    'long may have a next page.'),
    cfg.IntOpt('parallel_reads', default=4, min=1,
               help='Finished stacks whose outputs or failure details a '
                    'status sync reads from Heat at once. A burst of '
                    'stacks finishing together (Heat notifies each) is '
                    'settled this many at a time rather than one after '
                    'another.'),
    cfg.IntOpt('api_timeout', default=30, min=1,
               help='Seconds a single Heat API call may take.'),
]

# Heat's orchestration notifications (conductor/stack_events.py).
NOTIFICATION_OPTS = [
    cfg.BoolOpt('notifications_enabled', default=False,
                help="Settle a cluster as soon as Heat's notification says "
                     'its stack completed or failed (Heat must have '
                     '[oslo_messaging_notifications] driver = messagingv2). '
                     'Off: the status sync polls every '
                     '[conductor] sync_status_interval seconds.'),
    cfg.StrOpt('notifications_transport_url', secret=True,
               sample_default='rabbit://user:password@host:5672/heat',
               help="The oslo.messaging transport Heat sends its "
                    'notifications on. Default: [DEFAULT] transport_url.'),
    cfg.StrOpt('notifications_topic', default='notifications',
               help="Heat's [oslo_messaging_notifications] topics (one)."),
    cfg.StrOpt('notifications_exchange', default='heat',
               help="The exchange Heat publishes on: its [DEFAULT] "
                    'control_exchange.'),
    cfg.StrOpt('notifications_pool', default='magnum-lite-conductor',
               help='Listener pool of the conductors: each notification '
                    'goes to one conductor of the pool, and other '
                    "consumers of Heat's notifications (e.g. Ceilometer) "
                    'still get theirs.'),
    cfg.IntOpt('notifications_safety_interval', default=120, min=1,
               help='With notifications enabled: seconds between two '
                    'looks at every in-progress cluster by the status '
                    'sync, the safety net for a lost notification. The '
                    'sync still runs every [conductor] '
                    'sync_status_interval seconds for what it tends '
                    '(drains) and for notified clusters.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS + NOTIFICATION_OPTS, group=GROUP)
    ks_loading.register_session_conf_options(conf, GROUP.name)
    ks_loading.register_auth_conf_options(conf, GROUP.name)


def list_opts():
    return {GROUP: OPTS + NOTIFICATION_OPTS
            + ks_loading.get_session_conf_options()
            + ks_loading.get_auth_common_conf_options()}
