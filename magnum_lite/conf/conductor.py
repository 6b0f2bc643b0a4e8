"""Options of the conductor service: ``[conductor]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('conductor', title='Conductor service options')

OPTS = [
    cfg.StrOpt('topic', default='magnum-lite-conductor',
               help='The RPC topic conductors listen on.'),
    cfg.StrOpt('host', sample_default='<hostname>',
               help='Name of this conductor on the RPC bus and in '
                    'heartbeats. Defaults to the host name.'),
    cfg.IntOpt('heartbeat_interval', default=10, min=1,
               help='Seconds between two heartbeats of a conductor.'),
    cfg.IntOpt('service_down_time', default=180, min=1,
               help='Seconds without a heartbeat after which a conductor '
                    'is reported "down".'),
    cfg.StrOpt('default_driver', default='k8s_heat',
               help='Entry point name (magnum_lite.drivers) of the driver '
                    'used for templates that name none.'),
    cfg.IntOpt('sync_status_interval', default=10, min=0,
               help='Seconds between two status syncs of in-progress '
                    'clusters (one driver call for all of them). 0 '
                    'disables.'),
    cfg.IntOpt('redrive_interval', default=30, min=0,
               help='Seconds between two searches for claimed operations '
                    'no conductor took. 0 disables.'),
    cfg.IntOpt('redrive_after', default=60, min=1,
               help='Seconds a claimed operation may wait for a conductor '
                    'before it is driven again.'),
    cfg.IntOpt('outage_patience', default=1800, min=0,
               help='Seconds a claimed operation keeps being retried '
                    '(every redrive_interval) while a service it needs '
                    '(Heat, Keystone) cannot be reached, counted from the '
                    'claim; after that it fails with the last error.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
