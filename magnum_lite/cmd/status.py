"""magnum-lite-status upgrade check: is this deployment ready to run
this release? Run it after ``magnum-lite-db-manage upgrade`` and before
restarting the services; exit code 0 (success), 1 (warning), 2
(failure), 255 (the check itself broke)."""

import sys

import oslo_messaging as messaging
from cryptography import fernet
from oslo_log import log
from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck

from magnum_lite.api import policy
from magnum_lite.conf import CONF
from magnum_lite.db import migration

Code = upgradecheck.Code
Result = upgradecheck.Result


def _database():
    """The schema is at the newest revision this release ships."""
    try:
        current = migration.version()
    except Exception as err:  # any driver's connection error
        return Result(Code.FAILURE, f'Cannot read the schema revision of '
                      f'[database] connection: {err}')
    newest = migration.head()
    if current == newest:
        return Result(Code.SUCCESS, f'At revision {current}.')
    if current is None:
        return Result(Code.FAILURE, f'The database has no schema, this '
                      f'release needs revision {newest}: run '
                      f'magnum-lite-db-manage upgrade.')
    return Result(Code.FAILURE, f'The database is at revision {current}, '
                  f'this release needs {newest}: run magnum-lite-db-manage '
                  f'upgrade.')


def _encryption_key():
    """``[database] encryption_key`` is a Fernet key."""
    key = CONF.database.encryption_key
    if not key:
        return Result(Code.FAILURE, '[database] encryption_key is not set: '
                      'no cluster can be created.')
    try:
        fernet.Fernet(key.encode())
    except ValueError as err:
        return Result(Code.FAILURE,
                      f'[database] encryption_key is not a Fernet key: {err}')
    return Result(Code.SUCCESS)


def _policy():
    """The policy file parses, and overrides only rules that exist and
    are not deprecated."""
    enforcer = policy.get_enforcer()
    try:
        enforcer.load_rules(force_reload=True)
    except Exception as err:  # oslo.policy raises what the parser does
        return Result(Code.FAILURE, f'The policy file cannot be read: {err}')
    problems = []
    registered = enforcer.registered_rules
    for rule in registered.values():
        old = rule.deprecated_rule
        if old is not None and old.name != rule.name and \
                old.name in enforcer.file_rules:
            problems.append(f'{old.name} is deprecated: override '
                            f'{rule.name} instead')
        if rule.deprecated_for_removal and rule.name in enforcer.file_rules:
            problems.append(f'{rule.name} is deprecated for removal')
    deprecated = {r.deprecated_rule.name for r in registered.values()
                  if r.deprecated_rule is not None}
    for name in sorted(set(enforcer.file_rules) - set(registered)
                       - deprecated):
        problems.append(f'{name} is not a rule of magnum-lite')
    if problems:
        return Result(Code.WARNING, '; '.join(problems) + '.')
    return Result(Code.SUCCESS)


def _rpc_transport():
    """``[DEFAULT] transport_url`` is set and names a usable driver."""
    try:
        transport = messaging.get_rpc_transport(CONF)
    except (messaging.InvalidTransportURL,
            messaging.DriverLoadFailure) as err:
        return Result(Code.FAILURE, f'[DEFAULT] transport_url: {err}')
    transport.cleanup()
    url = CONF.transport_url
    if not url or url == 'rabbit://':
        return Result(Code.WARNING, "[DEFAULT] transport_url is not set: "
                      "oslo.messaging's default, RabbitMQ's guest on "
                      "localhost, is used.")
    if url.startswith('fake:'):
        return Result(Code.SUCCESS, 'In-process transport (fake://): only '
                      'for magnum-lite-all, API and conductor in one '
                      'process.')
    return Result(Code.SUCCESS)


class Checks(upgradecheck.UpgradeCommands):
    """What ``magnum-lite-status upgrade check`` checks."""

    _upgrade_checks = (
        ('Database schema', lambda self: _database()),
        ('Database encryption key', lambda self: _encryption_key()),
        ('Policy file', lambda self: _policy()),
        ('Policy File JSON to YAML Migration',
         (common_checks.check_policy_json, {'conf': CONF})),
        ('RPC transport', lambda self: _rpc_transport()),
    )


def main(argv=None):
    log.register_options(CONF)
    return upgradecheck.main(CONF, 'magnum-lite', Checks(),
                             sys.argv[1:] if argv is None else argv)
