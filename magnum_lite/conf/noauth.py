"""Identity used when ``[api] auth_strategy = noauth``: ``[noauth]``."""

from oslo_config import cfg

GROUP = cfg.OptGroup('noauth', title='Identity for auth_strategy=noauth')

OPTS = [
    cfg.StrOpt('project_id', default='admin',
               help='Project of a request that carries no X-Project-Id.'),
    cfg.StrOpt('user_id', default='admin',
               help='User of a request that carries no X-User-Id.'),
    cfg.ListOpt('roles', default=['admin', 'member', 'reader'],
                help='Roles of a request that carries no X-Roles.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
