"""How the conductor talks to a cluster's Kubernetes API: ``[kubernetes]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('kubernetes', title='Kubernetes API client options')

OPTS = [
    cfg.IntOpt('drain_timeout', default=600, min=0,
               help='Seconds the conductor may spend draining a worker '
                    'node (cordon, then evict its pods) before Heat '
                    'deletes its server during an upgrade. When they have '
                    'passed, the node is deleted with the pods it still '
                    'runs, and a warning names them. 0 disables draining.'),
    cfg.IntOpt('request_timeout', default=10, min=1,
               help='Seconds a single Kubernetes API request may take '
                    '(connect and read, each).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
