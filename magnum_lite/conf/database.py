"""Database options: oslo.db's ``[database]`` group plus our own."""

from oslo_config import cfg
from oslo_db import options as db_options

OPTS = [
    cfg.StrOpt('encryption_key', secret=True,
               help='Fernet key (urlsafe base64, 32 bytes) that encrypts '
                    'private keys stored in the database. Required before '
                    'any cluster certificate is stored.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection='sqlite:///magnum-lite.sqlite')
    conf.register_opts(OPTS, group='database')


def list_opts():
    return {'database': OPTS}
