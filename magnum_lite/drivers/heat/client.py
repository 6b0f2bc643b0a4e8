"""A python-heatclient client on a keystoneauth1 session."""

from heatclient import client as heat_client
from heatclient import exc as heat_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from magnum_lite.common import exception
from magnum_lite.common import wire_log
from magnum_lite.conf import CONF

# Stack bodies carry hidden parameters: never log them.
WIRE_LOG = wire_log.bodiless(__name__ + '.wire')


class HeatUnavailable(exception.ServiceUnavailable):
    message = 'Heat is unavailable: %(reason)s'


class HeatRefused(exception.MagnumLiteError):
    """Heat (or Keystone, authenticating for it) answered and said no:
    a 4xx such as a template Heat finds invalid. Not an outage."""
    message = 'Heat refused the request: %(reason)s'


class HeatMisconfigured(exception.MagnumLiteError):
    """``[heat]`` gives no way to reach Heat: waiting will not help, so
    the operation fails at once (an outage, HeatUnavailable, is
    retried)."""
    message = 'Heat is unavailable: %(reason)s'


def make_client(stack_trust=None):
    """A Heat client as ``[heat]`` configures it. ``stack_trust``
    (``ClusterRows.stack_trust``): act as the cluster's owner through its
    stack trust, in the owner's project."""
    group = CONF.heat
    if group.auth_mode == 'noauth':
        if not group.endpoint:
            raise HeatMisconfigured(reason='[heat] endpoint is required '
                                           'with auth_mode=noauth')
        session = ks_session.Session(auth=noauth.NoAuth(),
                                     timeout=group.api_timeout)
        return heat_client.Client(
            '1', session=session, endpoint_override=group.endpoint,
            additional_headers={'X-Auth-Project': group.project},
            logger=WIRE_LOG)
    if stack_trust is not None:
        auth = v3.Password(auth_url=stack_trust['auth_url'],
                           user_id=stack_trust['user_id'],
                           password=stack_trust['password'],
                           trust_id=stack_trust['trust_id'])
    else:
        auth = ks_loading.load_auth_from_conf_options(CONF, 'heat')
        if auth is None:
            raise HeatMisconfigured(
                reason='this cluster has no stack trust and [heat] has no '
                       'service credentials (auth_type) to reach Heat with')
    session = ks_loading.load_session_from_conf_options(
        CONF, 'heat', auth=auth)
    return heat_client.Client('1', session=session,
                              endpoint_override=group.endpoint,
                              service_type='orchestration',
                              interface=group.interface,
                              region_name=group.region_name,
                              logger=WIRE_LOG)


def translate(err):
    """Our error for a heatclient/keystoneauth failure: a 4xx answer is
    a refusal, anything else (5xx, no answer) an outage."""
    code = getattr(err, 'code', None) or getattr(err, 'http_status', None)
    reason = str(err)
    if isinstance(err, heat_exc.HTTPException) and hasattr(err, 'error'):
        reason = f'{err.code} {err.error}'
    if isinstance(code, int) and 400 <= code < 500:
        return HeatRefused(reason=reason)
    return HeatUnavailable(reason=reason)


ERRORS = (heat_exc.BaseException, heat_exc.HTTPException,
          ks_exc.ClientException)
NOT_FOUND = heat_exc.HTTPNotFound
CONFLICT = heat_exc.HTTPConflict
