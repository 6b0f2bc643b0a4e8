"""The real OpenStack Barbican behind the test Keystone.

:class:`BarbicanHarness` wraps ``tools/barbican/barbicanctl.py``: Barbican
23 under uWSGI on a free port of 127.0.0.1, SQLite, the ``simple_crypto``
plugin, keystonemiddleware validating tokens against a
:class:`~magnum_lite.tests.harness.keystone.KeystoneHarness`. Barbican
lives in its own virtualenv, made by ``tools/barbican/install.sh`` (run
automatically if missing). Usage::

    from magnum_lite.tests.harness import barbican, keystone

    bb = self.useFixture(barbican.BarbicanHarness(keystone.shared()))

It creates two users in the Keystone (deleted again at cleanup, so the
shared Keystone's seeded users stay as they were): ``barbican-<n>``
(role ``service`` on project ``service``, the service user of
Barbican's keystonemiddleware) and ``key-store-<n>`` (role ``member`` on
project ``service``: the user magnum-lite stores private keys as).

Interface: ``url`` (Barbican's root URL, no version), ``key_user``
(:class:`~magnum_lite.tests.harness.keystone.User`),
``certificates_options()`` (``[certificates]`` options for magnum-lite's
``barbican`` key store), ``secret_refs()`` (hrefs of every secret of
project ``service``, listed through Barbican's API as the key user).

``MAGNUM_LITE_BARBICAN_KEEP=1`` keeps the state directory (logs in
``<state_dir>/logs``) for a post-mortem.
"""

import json
import os
import secrets
import subprocess
import tempfile
import time

import fixtures

from magnum_lite.tests import harness
from magnum_lite.tests.harness import keystone as ks_harness

REPO = ks_harness.REPO
TOOLS = os.path.join(REPO, 'tools', 'barbican')


barbicanctl = harness.load_tool('barbican', 'barbicanctl.py')


class BarbicanHarness(fixtures.Fixture):
    """A running Barbican behind ``keystone`` (see the module docstring)."""

    def __init__(self, keystone, venv=None, auto_install=True, debug=False,
                 start_timeout=120):
        super().__init__()
        self.keystone = keystone
        self.venv = venv or barbicanctl.default_venv()
        self.auto_install = auto_install
        self.debug = debug
        self.start_timeout = start_timeout
        self.state_dir = None
        self.url = None
        self.key_user = None
        self.service_user = None
        self.start_seconds = None

    def _setUp(self):
        if self.auto_install and not os.path.exists(
                os.path.join(self.venv, 'bin', 'uwsgi')):
            env = dict(os.environ)
            env['MAGNUM_LITE_VENVS'] = os.path.dirname(self.venv)
            subprocess.run([os.path.join(TOOLS, 'install.sh')], check=True,
                           env=env)
        t0 = time.monotonic()
        suffix = secrets.token_hex(4)
        self.service_user = self._create_user('barbican-' + suffix,
                                              'service')
        self.key_user = self._create_user('key-store-' + suffix, 'member')
        self.state_dir = tempfile.mkdtemp(prefix='mlt-barbican-')
        self.addCleanup(self._remove_state)
        state = barbicanctl.start(
            self.state_dir, self._authtoken(), venv=self.venv,
            debug=self.debug, timeout=self.start_timeout,
            preexec_fn=ks_harness._die_with_parent)
        self.addCleanup(barbicanctl.stop, self.state_dir)
        self.url = state['url']
        self.start_seconds = time.monotonic() - t0

    def _remove_state(self):
        if os.environ.get('MAGNUM_LITE_BARBICAN_KEEP') != '1':
            barbicanctl.stop(self.state_dir, remove_state=True)

    def _create_user(self, name, role):
        ks = self.keystone.identity()
        password = secrets.token_urlsafe(18)
        project = self.keystone.projects['service']
        created = ks.users.create(name, domain='default', password=password,
                                  default_project=project)
        self.addCleanup(ks.users.delete, created.id)
        ks.roles.grant(self.keystone.roles[role], user=created.id,
                       project=project)
        return ks_harness.User(created.id, name, password, 'default',
                               'service')

    def _authtoken(self):
        user = self.service_user
        return {
            'auth_type': 'password',
            'auth_url': self.keystone.url,
            'www_authenticate_uri': self.keystone.url,
            'username': user.name,
            'password': user.password,
            'user_domain_id': 'default',
            'project_name': 'service',
            'project_domain_id': 'default',
            'region_name': self.keystone.region,
            'service_type': 'key-manager',
        }

    def certificates_options(self):
        """``[certificates]`` options: the ``barbican`` key store as the
        key user, Barbican's endpoint given explicitly (the shared
        Keystone's catalog has no key-manager entry)."""
        user = self.key_user
        return {
            'cert_manager_type': 'barbican',
            'barbican_endpoint': self.url,
            'auth_type': 'password',
            'auth_url': self.keystone.url,
            'username': user.name,
            'password': user.password,
            'user_domain_id': 'default',
            'project_name': 'service',
            'project_domain_id': 'default',
        }

    def session(self):
        """A keystoneauth1 session of the key user."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        user = self.key_user
        auth = v3.Password(auth_url=self.keystone.url, user_id=user.id,
                           user_domain_id='default', password=user.password,
                           project_id=self.keystone.projects['service'])
        return ks_session.Session(auth=auth)

    def secret_refs(self):
        """Hrefs of all secrets of project ``service``, read with a plain
        GET of Barbican's API."""
        refs = []
        url = self.url + '/v1/secrets?limit=100'
        while url:
            body = json.loads(self.session().get(url).text)
            refs.extend(s['secret_ref'] for s in body.get('secrets', ()))
            url = body.get('next')
        return refs
