"""How the conductor talks to a cluster's Kubernetes API: ``[kubernetes]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('kubernetes', title='Kubernetes API client options')

OPTS = [
    cfg.IntOpt('drain_timeout', default=600, min=0,
               help='Seconds the conductor may spend draining a node '
                    '(cordon, then evict its pods) before Heat replaces '
                    'its server during an upgrade or a credential '
                    'rotation. When they have passed, the node is '
                    'replaced with the pods it still runs, and a warning '
                    'names them. 0 disables draining.'),
    cfg.IntOpt('unreachable_timeout', default=60, min=0,
               help='Seconds the conductor keeps trying to reach a '
                    "cluster's Kubernetes API (api_address) to drain a "
                    'node before it lets Heat replace the node undrained '
                    '(at most drain_timeout). A conductor without a route '
                    "to the clusters' API addresses costs each replaced "
                    'node this long.'),
    cfg.IntOpt('request_timeout', default=10, min=1,
               help='Seconds a single Kubernetes API request may take '
                    '(connect and read, each).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
