"""The request context: who is calling, and in which project."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """oslo.context's context; ``is_admin`` comes from policy.

    ``trust_id`` and ``trustee_user_id`` are set when the token is scoped
    to a trust. With an impersonating trust (how clusters get theirs)
    keystonemiddleware's X-User-Id is the trustor, so only the token data
    says who really calls: the policies treat such a caller as a cluster
    user, never as the project member it impersonates.

    ``access_info`` is the caller's validated token as keystonemiddleware
    left it (a keystoneauth1 ``AccessInfo``: token and service catalog),
    None without Keystone: the API looks at the cloud as the caller
    with it (clients/cloud.py).
    """

    def __init__(self, trust_id=None, trustee_user_id=None,
                 access_info=None, **kwargs):
        super().__init__(**kwargs)
        self.trust_id = trust_id
        self.trustee_user_id = trustee_user_id
        self.access_info = access_info

    @classmethod
    def admin(cls):
        """A context for the service itself (conductor, periodic work)."""
        return cls(is_admin=True, project_id=None, overwrite=False)

    def to_policy_values(self):
        values = super().to_policy_values()
        values['is_trust'] = bool(self.trust_id)
        values['trust_id'] = self.trust_id
        values['trustee_user_id'] = self.trustee_user_id
        return values


def _trust_of(environ):
    """(trust id, trustee user id) of a token keystonemiddleware
    validated, or (None, None)."""
    plugin = environ.get('keystone.token_auth')
    user = getattr(plugin, 'user', None)
    if user is None or not getattr(user, 'trust_scoped', False):
        return None, None
    return user.trust_id, user.trustee_user_id


def from_environ(environ, **kwargs):
    """Build a context from a WSGI environ (identity headers, and the
    token data keystonemiddleware left there)."""
    trust_id, trustee_user_id = _trust_of(environ)
    plugin = environ.get('keystone.token_auth')
    return RequestContext.from_environ(
        environ, trust_id=trust_id, trustee_user_id=trustee_user_id,
        access_info=getattr(plugin, 'user', None), **kwargs)
