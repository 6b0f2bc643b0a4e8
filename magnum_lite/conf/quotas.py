"""Quota defaults: ``[quotas]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('quotas', title='Quota defaults')

OPTS = [
    cfg.IntOpt('max_clusters_per_project', default=20, min=0,
               help='Clusters a project may own when it has no quota row.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
