"""Cluster health tracking by the conductors: ``[health]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('health', title='Cluster health options')

OPTS = [
    cfg.BoolOpt('enabled', default=True,
                help="Whether the conductors read each cluster's "
                     'Kubernetes API (/readyz and the nodes\' conditions) '
                     'and keep health_status and health_status_reason '
                     'up to date. Reports clusters send themselves '
                     '(PATCH /v1/clusters/{id}) are accepted either way.'),
    cfg.IntOpt('interval', default=60, min=0,
               help='Seconds between two health checks of the clusters '
                    'a conductor owns on the hash ring. 0 disables.'),
    cfg.IntOpt('timeout', default=5, min=1,
               help="Seconds a single request to a cluster's Kubernetes "
                    'API may take during a health check (connect and '
                    'read, each). An unreachable cluster costs one '
                    'worker this long per check.'),
    cfg.IntOpt('workers', default=8, min=1,
               help='Clusters a conductor checks at the same time.'),
    cfg.IntOpt('report_timeout', default=300, min=1,
               help='Seconds a cluster whose API the conductor cannot '
                    'reach may go without a health report (its own '
                    'PATCH, or a successful check) before its health '
                    'becomes UNKNOWN, with a reason that says since '
                    'when.'),
    cfg.URIOpt('report_url',
               help="The magnum-lite API URL (with /v1) that clusters' "
                    'masters send their own health reports to, with the '
                    "cluster's credentials. Unset: the catalog's "
                    'container-infra endpoint of [trust] '
                    'trustee_keystone_interface; neither: clusters do not '
                    'report. It is in the masters\' user data: changing '
                    'it replaces each cluster\'s masters, one at a time, '
                    'at its next update.'),
    cfg.IntOpt('report_interval', default=60, min=10,
               help='Seconds between two health reports of a master. '
                    'Keep it well under report_timeout. In the masters\' '
                    'user data, as report_url.'),
    cfg.IntOpt('max_unhealthy', default=40, min=0, max=100,
               help="Auto-healing's circuit breaker, in percent: no node "
                    'of a nodegroup is replaced while more than this share '
                    'of its nodes is unhealthy (a cluster\'s label '
                    'auto_healing_max_unhealthy overrides it). With 40, '
                    '2 of 5 nodes may be repaired, 3 of 5 stop it, and so '
                    'does a nodegroup of one node.'),
    cfg.IntOpt('repair_backoff', default=1800, min=0,
               help='Seconds after a failed auto-healing repair started '
                    'before the conductor tries to repair the cluster '
                    'again.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
