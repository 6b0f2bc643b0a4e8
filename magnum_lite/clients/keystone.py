"""Every Keystone call magnum-lite makes, through keystoneauth1.

Two identities call Keystone: the caller of an API request (with the
token keystonemiddleware validated), because Keystone lets only the
trustor create a trust and only the owner create an application
credential; and the trustee domain admin of ``[trust]``, which creates
and deletes trustee users and deletes what the callers made.

Calls that carry or return secrets are made with ``log=False`` so
keystoneauth1 never logs their bodies.
"""

import functools
import logging
import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import token_endpoint
from keystoneauth1.identity import v3

from magnum_lite.common import exception
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_ADMIN = {}
DOMAIN = 'domain'
SYSTEM = 'system'


class KeystoneUnavailable(exception.ServiceUnavailable):
    message = 'Keystone is unavailable: %(reason)s'


class TrusteeAdminRefused(exception.ServiceUnavailable):
    message = ('Keystone refused the trustee domain admin of [trust]; the '
               'service is misconfigured: %(reason)s')


class TrustsForbiddenForApplicationCredential(exception.NotAuthorized):
    message = ('Keystone does not let a token obtained with an application '
               'credential create trusts (CVE-2026-43000), so the '
               "cluster's trust cannot be created. Authenticate with a "
               'password to create the cluster or rotate its credentials, '
               'or ask the operator for [trust] credential_mode = '
               'application_credential.')


class ApplicationCredentialForbidden(exception.NotAuthorized):
    message = ('Keystone does not let a token obtained with a restricted '
               'application credential create application credentials, '
               "so the cluster's credentials cannot be created. "
               'Authenticate with a password (or an unrestricted '
               'application credential).')


class CredentialsRefused(exception.NotAuthorized):
    message = ("Keystone refused to create the cluster's credentials: "
               '%(reason)s')


class CallerTokenRefused(exception.NotAuthenticated):
    message = ("Keystone no longer accepts the caller's token (revoked, "
               "or its project or user deleted), so the cluster's "
               'credentials cannot be created: %(reason)s')


class CallerIdentityNotFound(exception.NotFound):
    message = ("Keystone cannot find the caller's project or user "
               "(deleted since the token was issued?), so the cluster's "
               'credentials cannot be created: %(reason)s')


class CredentialsInvalid(exception.Invalid):
    message = ("Keystone refused the cluster's credentials as invalid: "
               '%(reason)s')


class CredentialsConflict(exception.Conflict):
    message = ("Keystone refused the cluster's credentials as in conflict "
               'with what it holds: %(reason)s')


# What Keystone's 4xx to a call made for the API's caller means to them.
_CALLER_ERRORS = (
    (ks_exc.Unauthorized, CallerTokenRefused),
    (ks_exc.NotFound, CallerIdentityNotFound),
    (ks_exc.BadRequest, CredentialsInvalid),
    (ks_exc.Conflict, CredentialsConflict),
)
_ADMIN_ERRORS = (ks_exc.Unauthorized, ks_exc.Forbidden, ks_exc.NotFound,
                 ks_exc.BadRequest, ks_exc.Conflict)


def v3_url():
    """``[trust] auth_url`` as the v3 base URL."""
    url = (CONF.trust.auth_url or '').rstrip('/')
    if not url:
        raise KeystoneUnavailable(reason='[trust] auth_url is not set')
    return url if url.endswith('/v3') else url + '/v3'


def _session(auth):
    return ks_loading.load_session_from_conf_options(CONF, 'trust',
                                                     auth=auth)


def admin_session(scope=DOMAIN):
    """The trustee domain admin's session of ``scope`` (one per process;
    keystoneauth1 renews its token): DOMAIN (the trustee domain) for
    trustee users, SYSTEM to delete application credentials, which
    Keystone lets only the owner or an admin of project or system scope
    do."""
    with _LOCK:
        if scope not in _ADMIN:
            _ADMIN[scope] = _session(_admin_auth(scope))
        return _ADMIN[scope]


def reset():
    """Forget the admin sessions (tests, configuration changes)."""
    with _LOCK:
        _ADMIN.clear()


def _mode_scope():
    """The scope the current credential mode needs of the admin."""
    if CONF.trust.credential_mode == 'application_credential':
        return SYSTEM
    return DOMAIN


def _admin_auth(scope):
    group = CONF.trust
    if not group.trustee_domain_admin_password or not (
            group.trustee_domain_admin_id or group.trustee_domain_admin_name):
        raise KeystoneUnavailable(
            reason='[trust] trustee_domain_admin_* is not set')
    user = {'user_id': group.trustee_domain_admin_id} if \
        group.trustee_domain_admin_id else {
            'username': group.trustee_domain_admin_name,
            **_trustee_domain('user_domain')}
    target = ({'system_scope': 'all'} if scope == SYSTEM
              else _trustee_domain('domain'))
    return v3.Password(auth_url=v3_url(),
                       password=group.trustee_domain_admin_password,
                       **user, **target)


def _trustee_domain(prefix):
    group = CONF.trust
    if group.trustee_domain_id:
        return {f'{prefix}_id': group.trustee_domain_id}
    if group.trustee_domain_name:
        return {f'{prefix}_name': group.trustee_domain_name}
    raise KeystoneUnavailable(reason='[trust] trustee_domain_id is not set')


def caller_session(token):
    """A session acting with the caller's own token."""
    return _session(token_endpoint.Token(v3_url(), token))


def _request(session, method, path, caller_token=None, **kwargs):
    """One call; Keystone's refusals become our errors. ``caller_token``:
    the session acts for the API's caller, whose 4xx are theirs (401 for
    a token Keystone no longer accepts, 404 for their deleted project,
    ...), not a misconfiguration of ours. Keystone's 5xx and failures to
    reach it are 503."""
    try:
        response = session.request(
            v3_url() + path, method, endpoint_override=v3_url(), log=False,
            **kwargs)
    except _ADMIN_ERRORS as err:
        if caller_token is None:
            raise TrusteeAdminRefused(reason=_message(err)) from err
        raise _caller_error(err, path, caller_token) from err
    except ks_exc.ClientException as err:
        raise KeystoneUnavailable(reason=_message(err)) from err
    return response.json() if response.content else None


def _caller_error(err, path, token):
    """Our error for Keystone's 4xx ``err`` to the caller's call."""
    if isinstance(err, (ks_exc.Unauthorized, ks_exc.Forbidden)):
        methods = _token_methods(token)
        if 'application_credential' in methods or isinstance(
                err, ks_exc.Forbidden):
            return refusal(_message(err), path, methods)
    for keystone_error, ours in _CALLER_ERRORS:
        if isinstance(err, keystone_error):
            return ours(reason=_message(err))
    return CredentialsRefused(reason=_message(err))


def _message(err):
    return getattr(err, 'message', None) or str(err)


def _token_methods(token):
    """How the caller's token was obtained (Keystone's answer to the
    token validating itself); [] if that cannot be learnt."""
    try:
        body = caller_session(token).request(
            v3_url() + '/auth/tokens', 'GET', endpoint_override=v3_url(),
            headers={'X-Subject-Token': token}, log=False).json()
        return body['token'].get('methods') or []
    except (ks_exc.ClientException, ValueError, KeyError):
        return []


def refusal(message, path, methods):
    """Our error for Keystone refusing the caller's call to ``path``:
    tokens obtained with an application credential may not manage trusts
    (Keystone says "Delegated tokens cannot manage trusts", CVE-2026-43000)
    nor, when restricted, application credentials."""
    if 'application_credential' in methods:
        if path.startswith('/OS-TRUST'):
            return TrustsForbiddenForApplicationCredential()
        return ApplicationCredentialForbidden()
    return CredentialsRefused(reason=message)


def _ignore_missing(session, path):
    try:
        session.request(v3_url() + path, 'DELETE',
                        endpoint_override=v3_url())
    except ks_exc.NotFound:
        return
    except ks_exc.ClientException as err:
        raise KeystoneUnavailable(reason=_message(err)) from err


# Trustee users and trusts ---------------------------------------------------

def trustee_domain_id():
    """The id of the trustee domain; given only its name, the admin's
    token scoped to it says the id."""
    if CONF.trust.trustee_domain_id:
        return CONF.trust.trustee_domain_id
    session = admin_session(DOMAIN)
    try:
        return session.auth.get_access(session).domain_id
    except ks_exc.ClientException as err:
        raise KeystoneUnavailable(reason=_message(err)) from err


def create_trustee(name, password, domain_id):
    """Create a trustee user; returns its id."""
    body = {'user': {'name': name, 'password': password,
                     'domain_id': domain_id, 'enabled': True,
                     'description': 'magnum-lite cluster trustee'}}
    return _request(admin_session(), 'POST', '/users',
                    json=body)['user']['id']


def delete_user(user_id):
    """Delete a user; its trusts go with it. Missing is fine."""
    _ignore_missing(admin_session(), f'/users/{user_id}')


def revoke_own_trust(user_id, password, trust_id):
    """As the trust's trustee, with a token the trust itself scopes:
    revoke it, and with it, as Keystone does for this call (and not when
    it deletes a user), the trusts redelegated from it, such as Heat's
    trust of a stack. With impersonation the token acts as the trustor,
    whom Keystone's default policy lets revoke (a domain admin may not).
    A trust already gone is fine; a refusal is logged (without the
    secret trust id) and left to the trustee user's deletion."""
    auth = v3.Password(auth_url=v3_url(), user_id=user_id,
                       password=password, trust_id=trust_id)
    try:
        _session(auth).request(v3_url() + f'/OS-TRUST/trusts/{trust_id}',
                               'DELETE', endpoint_override=v3_url(),
                               log=False)
    except ks_exc.NotFound:
        return
    except (ks_exc.Unauthorized, ks_exc.Forbidden) as err:
        LOG.warning('Keystone refused the revocation of the trust of '
                    'trustee %s (%s); trusts redelegated from it (Heat\'s) '
                    'stay listed', user_id, _message(err))
    except ks_exc.ClientException as err:
        raise KeystoneUnavailable(reason=_message(err)) from err


def create_trust(token, trustor_user_id, trustee_user_id, project_id,
                 roles, redelegation=0):
    """As the caller (the trustor): a trust with impersonation to the
    trustee, which may be redelegated ``redelegation`` times; returns its
    id."""
    body = {'trust': {'trustor_user_id': trustor_user_id,
                      'trustee_user_id': trustee_user_id,
                      'project_id': project_id, 'impersonation': True,
                      'roles': [{'name': r} for r in roles]}}
    if redelegation:
        body['trust'].update(allow_redelegation=True,
                             redelegation_count=redelegation)
    return _request(caller_session(token), 'POST', '/OS-TRUST/trusts',
                    caller_token=token, json=body)['trust']['id']


# Application credentials -----------------------------------------------------

def create_application_credential(token, user_id, name, roles):
    """As the caller: a restricted application credential of the token's
    project; returns (id, secret)."""
    body = {'application_credential': {
        'name': name, 'unrestricted': False,
        'description': 'magnum-lite cluster credentials',
        'roles': [{'name': r} for r in roles]}}
    created = _request(caller_session(token), 'POST',
                       f'/users/{user_id}/application_credentials',
                       caller_token=token,
                       json=body)['application_credential']
    return created['id'], created['secret']


def delete_application_credential(user_id, credential_id):
    """As the admin: delete a user's application credential; missing is
    fine."""
    _ignore_missing(admin_session(SYSTEM),
                    f'/users/{user_id}/application_credentials/'
                    f'{credential_id}')


# What the cluster is told ----------------------------------------------------

def _cluster_endpoint(service_type):
    """The catalog's endpoint of ``service_type`` that clusters reach
    (``[trust] trustee_keystone_interface``), or None."""
    try:
        return admin_session(_mode_scope()).get_endpoint(
            service_type=service_type,
            interface=CONF.trust.trustee_keystone_interface,
            region_name=CONF.trust.region_name)
    except ks_exc.EndpointNotFound:
        return None
    except ks_exc.ClientException as err:
        raise KeystoneUnavailable(reason=_message(err)) from err


def cluster_auth_url():
    """The Keystone URL clusters reach: the catalog's identity endpoint
    of ``[trust] trustee_keystone_interface``, else ``auth_url``."""
    url = (_cluster_endpoint('identity') or v3_url()).rstrip('/')
    return url if url.endswith('/v3') else url + '/v3'


@functools.lru_cache(maxsize=1)
def cluster_magnum_url():
    """Our own API's catalog endpoint (``container-infra``) that
    clusters reach, as the versioned ``.../v1`` URL; '' if the catalog
    has none. Looked up once per process: restart to see a change."""
    url = (_cluster_endpoint('container-infra') or '').rstrip('/')
    if url and not url.endswith('/v1'):
        url += '/v1'
    return url
