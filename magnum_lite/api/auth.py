"""Authentication middleware: keystonemiddleware or header-trusting noauth.

``/`` and ``/v1`` (the version documents) and ``/healthcheck`` are public.
"""

import re

from keystonemiddleware import auth_token

from magnum_lite.conf import CONF

_PUBLIC = re.compile(r'^/(v1/?)?(\.json)?$|^/v1\.json$|^/healthcheck/?$')


class PublicPaths:
    """Send public paths around the authentication middleware."""

    def __init__(self, app, authenticated):
        self.app = app
        self.authenticated = authenticated

    def __call__(self, environ, start_response):
        if _PUBLIC.match(environ.get('PATH_INFO', '') or '/'):
            return self.app(environ, start_response)
        return self.authenticated(environ, start_response)


class NoAuth:
    """Trust identity headers; fill what is missing from ``[noauth]``.

    For one box and tests: anybody who reaches the port is who they say.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        defaults = {
            'HTTP_X_PROJECT_ID': CONF.noauth.project_id,
            'HTTP_X_USER_ID': CONF.noauth.user_id,
            'HTTP_X_ROLES': ','.join(CONF.noauth.roles),
        }
        for key, value in defaults.items():
            environ.setdefault(key, value)
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        return self.app(environ, start_response)


def wrap(app):
    """Put the configured authentication in front of ``app``."""
    if CONF.api.auth_strategy == 'noauth':
        authenticated = NoAuth(app)
    else:
        authenticated = auth_token.AuthProtocol(
            app, {'oslo_config_config': CONF})
    return PublicPaths(app, authenticated)
