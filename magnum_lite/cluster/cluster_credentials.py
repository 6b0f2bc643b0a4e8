"""The Keystone credentials of a cluster's own services.

The cloud controller manager, Cinder CSI and the autoscaler inside a
cluster act on the cloud with credentials of their own: a trustee user
with a trust from the cluster's creator (Magnum's way), or an application
credential of the creator. Keystone lets only the trustor create a trust
and only the owner create an application credential, so the API makes
them with the caller's token, during the create or rotate request, and
stores them (secrets encrypted) with the claim; no token or secret goes
over RPC. The conductors give the newest ones to the stack, remove older
ones once an operation completed with the newest, and remove all of them
with the cluster, as the trustee domain admin.

With ``[heat] auth_mode = keystone`` a cluster has one more: the stack
trust (purpose STACKS), which the conductors drive its Heat stacks with
so that the stacks and everything in them live in the owner's project.
It never reaches the cluster and is never rotated; it goes with the
cluster once its stacks are gone. Heat keeps a trust of its own for each
stack (``deferred_auth_method = trusts``) and makes it from the token it
is called with, so this trust allows one redelegation and delegates the
implied roles too (Heat asks for every role of the token, and Keystone
lets a redelegated trust have only roles its parent lists).
"""

import dataclasses
import json
import logging
import secrets as random_secrets

from magnum_lite.clients import keystone
from magnum_lite.common import exception
from magnum_lite.common import secrets
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

LOG = logging.getLogger(__name__)
TRUST = 'trust'
APPLICATION_CREDENTIAL = 'application_credential'
NONE = 'none'
# What a credential is for (the row's ``purpose``).
CLUSTER = 'cluster'
STACKS = 'stacks'


def mode():
    """The kind of credentials clusters get now: TRUST,
    APPLICATION_CREDENTIAL, or NONE (no Keystone, or switched off)."""
    if CONF.api.auth_strategy == 'noauth' or not CONF.trust.cluster_user_trust:
        return NONE
    return CONF.trust.credential_mode


def stacks_as_owner():
    """Whether clusters get a stack trust: Heat is reached through
    Keystone and the API has the caller's token to make it with."""
    return CONF.api.auth_strategy != 'noauth' and \
        CONF.heat.auth_mode == 'keystone'


_SAID = set()


def log_mode():
    """Say at service start what clusters get; once per process (the API
    and the conductor may share one)."""
    current = mode()
    if current != NONE:
        level, message = logging.INFO, (
            f'Clusters get cloud credentials: [trust] credential_mode = '
            f'{current}')
    elif CONF.api.auth_strategy == 'noauth':
        level, message = logging.WARNING, (
            'Clusters get no cloud credentials: [api] auth_strategy = '
            'noauth has no Keystone to make them; their cloud controller '
            'and Cinder CSI cannot work')
    else:
        level, message = logging.WARNING, (
            'Clusters get no cloud credentials: [trust] cluster_user_trust '
            '= False')
    if message not in _SAID:
        _SAID.add(message)
        LOG.log(level, message)


@dataclasses.dataclass
class Credential:
    """One set of credentials as made in Keystone (secrets in clear,
    never logged: ``repr`` leaves them out)."""

    mode: str
    user_id: str
    username: str = None
    domain_id: str = None
    values: dict = dataclasses.field(default_factory=dict, repr=False)
    purpose: str = CLUSTER

    def row(self):
        """Values of a cluster_credential row (secrets encrypted)."""
        return {'mode': self.mode, 'user_id': self.user_id,
                'username': self.username, 'domain_id': self.domain_id,
                'purpose': self.purpose,
                'secret': secrets.encrypt(json.dumps(self.values))}


def create(context, cluster_uuid, rotation=False):
    """Make a cluster's credentials with the caller's token: a list of
    Credentials, for its services (none when clusters get none) and, for
    a new cluster, its stack trust (see the module docstring). Nothing is
    left in Keystone if this fails."""
    made = []
    try:
        made.extend(_for_services(context, cluster_uuid, rotation))
        if not rotation and stacks_as_owner():
            made.append(_stack_trust(context, cluster_uuid))
    except Exception:
        discard(made)
        raise
    return made


def _require_token(context):
    if not context.auth_token:
        raise exception.NotAuthorized(
            "Creating a cluster's credentials needs the caller's token")


def _for_services(context, cluster_uuid, rotation):
    current = mode()
    if current == NONE:
        return []
    _require_token(context)
    roles = list(CONF.trust.roles) or list(context.roles)
    settings = {'auth_url': keystone.cluster_auth_url(),
                'region_name': CONF.trust.region_name or ''}
    suffix = f'_{random_secrets.token_hex(4)}' if rotation else ''
    if current == APPLICATION_CREDENTIAL:
        return [_application_credential(context, cluster_uuid, suffix,
                                        roles, settings)]
    # Magnum's trustee name, so operators' tooling recognises it.
    name = f'{cluster_uuid}_{context.project_id}{suffix}'
    return [_trust(context, name, roles, settings)]


def _stack_trust(context, cluster_uuid):
    _require_token(context)
    # The caller's roles as the token lists them: implied ones included.
    credential = _trust(context, f'{cluster_uuid}_stacks', context.roles,
                        {'auth_url': keystone.v3_url()}, redelegation=1)
    credential.purpose = STACKS
    return credential


def _trust(context, name, roles, settings, redelegation=0):
    domain_id = keystone.trustee_domain_id()
    password = random_secrets.token_urlsafe(32)
    user_id = keystone.create_trustee(name, password, domain_id)
    try:
        trust_id = keystone.create_trust(
            context.auth_token, context.user_id, user_id,
            context.project_id, roles, redelegation=redelegation)
    except Exception:
        _quietly(keystone.delete_user, user_id)
        raise
    return Credential(TRUST, user_id, name, domain_id,
                      dict(settings, password=password, trust_id=trust_id))


def _application_credential(context, cluster_uuid, suffix, roles,
                            settings):
    name = f'magnum-lite-{cluster_uuid}{suffix}'
    credential_id, secret = keystone.create_application_credential(
        context.auth_token, context.user_id, name, roles)
    return Credential(APPLICATION_CREDENTIAL, context.user_id,
                      values=dict(settings,
                                  application_credential_id=credential_id,
                                  application_credential_secret=secret))


def _quietly(function, *args):
    try:
        function(*args)
    except exception.MagnumLiteError as err:
        LOG.warning('Could not clean up in Keystone: %s', err)


def discard(credentials):
    """Remove credentials :func:`create` made when their request failed
    afterwards (e.g. the cluster is busy)."""
    for credential in credentials:
        _quietly(_remove, credential.mode, credential.user_id,
                 credential.values)


def _remove(kind, user_id, values, redelegated=False):
    if kind == TRUST:
        if redelegated:
            # Deleting the user deletes its trusts but not those
            # redelegated from them (Heat's), which would stay listed,
            # dead; revoking the trust first takes them too.
            keystone.revoke_own_trust(user_id, values['password'],
                                      values['trust_id'])
        keystone.delete_user(user_id)
    else:
        keystone.delete_application_credential(
            user_id, values['application_credential_id'])


def _values(row):
    return json.loads(secrets.decrypt(row.secret))


def _remove_row(row):
    """Remove one stored credential from Keystone, then forget it. Without
    a Keystone configuration (switched to noauth) it can only be
    forgotten, which the log says."""
    if CONF.api.auth_strategy == 'noauth':
        LOG.warning('Forgetting %s credentials of user %s without removing '
                    'them from Keystone ([api] auth_strategy = noauth); '
                    'remove them by hand', row.mode, row.user_id)
    else:
        _remove(row.mode, row.user_id, _values(row),
                redelegated=row.purpose == STACKS)
    db_api.credential_delete(row.id)


def retire_unused(cluster_uuid):
    """After an operation completed with the newest credentials, remove
    the older ones (replaced by a rotation). Failures are logged; the
    next completed operation or the delete retries."""
    rows = db_api.credentials_of(cluster_uuid, CLUSTER)
    for row in rows[:-1]:
        try:
            _remove_row(row)
            LOG.info('Removed replaced credentials of cluster %s (user %s)',
                     cluster_uuid, row.user_id)
        except exception.MagnumLiteError as err:
            LOG.warning('Could not remove replaced credentials of cluster '
                        '%s: %s', cluster_uuid, err)


def delete_all(cluster_uuid):
    """Remove every credential of a deleted cluster (its stacks are
    gone). Raises if Keystone refuses, so the cluster row stays and the
    delete is retried."""
    for row in db_api.credentials_of(cluster_uuid):
        _remove_row(row)


def heat_values(cluster_uuid):
    """What the cluster's stack gets (source kind ``credentials.``): the
    newest credentials, secrets in clear; {} if it has none."""
    rows = db_api.credentials_of(cluster_uuid, CLUSTER)
    if not rows:
        return {}
    row = rows[-1]
    values = _values(row)
    result = {'auth_url': values['auth_url'],
              'region_name': values['region_name']}
    if row.mode == TRUST:
        result.update(trustee_user_id=row.user_id,
                      trustee_username=row.username,
                      trustee_domain_id=row.domain_id,
                      trustee_password=values['password'],
                      trust_id=values['trust_id'])
    else:
        result.update(
            application_credential_id=values['application_credential_id'],
            application_credential_secret=values[
                'application_credential_secret'])
    return result


def stack_values(row):
    """What a conductor authenticates to Heat with for a cluster, from
    its stack trust row: {auth_url, user_id, password, trust_id}."""
    values = _values(row)
    return {'auth_url': values['auth_url'], 'user_id': row.user_id,
            'password': values['password'], 'trust_id': values['trust_id']}
