"""magnum-lite-db-manage: upgrade, version, revision."""

import sys

from oslo_config import cfg

from magnum_lite.common import service
from magnum_lite.conf import CONF
from magnum_lite.db import migration


def _upgrade():
    migration.upgrade(CONF.command.revision)


def _version():
    print(migration.version())


def _revision():
    migration.revision(CONF.command.message,
                       autogenerate=CONF.command.autogenerate)


def _add_commands(subparsers):
    parser = subparsers.add_parser('upgrade', help='Upgrade the schema.')
    parser.add_argument('revision', nargs='?', default='head')
    parser.set_defaults(func=_upgrade)
    parser = subparsers.add_parser('version',
                                   help='Print the schema revision.')
    parser.set_defaults(func=_version)
    parser = subparsers.add_parser('revision',
                                   help='Write a new migration.')
    parser.add_argument('-m', '--message', required=True)
    parser.add_argument('--autogenerate', action='store_true')
    parser.set_defaults(func=_revision)


def main():
    CONF.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=_add_commands))
    service.prepare(sys.argv[1:])
    CONF.command.func()
