"""Authentication middleware: keystonemiddleware or header-trusting noauth.

``/`` and ``/v1`` (the version documents) and ``/healthcheck`` are public.
"""

import json
import re

from keystonemiddleware import auth_token

from magnum_lite.api import errors
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


_REACHED = 'magnum_lite.auth_passed'
# keystonemiddleware's answer headers worth keeping on our envelope.
_KEPT = ('www-authenticate', 'retry-after')
# What its answers without a message of their own mean.
_MEANINGS = {503: 'Keystone is unavailable: the token could not be '
                  'validated. Try again later.'}


class _Passed:
    """Mark a request keystonemiddleware let through to the API."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ[_REACHED] = True
        return self.app(environ, start_response)


class MagnumEnvelope:
    """keystonemiddleware's own refusals (401 for a bad token, 503 while
    Keystone cannot be reached) in Magnum's error envelope, as Magnum's
    clients parse every error answer; the API's answers pass as they
    are."""

    def __init__(self, authenticated):
        self.authenticated = authenticated

    def __call__(self, environ, start_response):
        refusal = {}

        def capture(status, headers, exc_info=None):
            if environ.get(_REACHED) or int(status[:3]) < 400:
                return start_response(status, headers, exc_info)
            refusal.update(status=status, headers=headers)
            return lambda data: None

        body = self.authenticated(environ, capture)
        if not refusal:
            return body
        try:
            text = b''.join(body)
        finally:
            getattr(body, 'close', lambda: None)()
        return self._envelope(refusal, text, start_response)

    @staticmethod
    def _envelope(refusal, text, start_response):
        status = int(refusal['status'][:3])
        try:
            message = json.loads(text)['error']['message']
        except (ValueError, KeyError, TypeError):
            message = _MEANINGS.get(status, refusal['status'][4:])
        body = json.dumps(errors.envelope(status, message,
                                          errors.code_for(status))).encode()
        headers = [(k, v) for k, v in refusal['headers']
                   if k.lower() in _KEPT]
        start_response(refusal['status'], headers + [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(body)))])
        return [body]


def wrap(app):
    """Put the configured authentication in front of ``app``."""
    if CONF.api.auth_strategy == 'noauth':
        authenticated = NoAuth(app)
    else:
        authenticated = MagnumEnvelope(auth_token.AuthProtocol(
            _Passed(app), {'oslo_config_config': CONF}))
    return PublicPaths(app, authenticated)
