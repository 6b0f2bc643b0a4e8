"""The real OpenStack Keystone, seeded for magnum-lite's tests.

:class:`KeystoneHarness` wraps ``tools/keystone/keystonectl.py``: Keystone
30 under uWSGI on a free port of 127.0.0.1, SQLite and fernet keys in a
temporary state directory, in-process cache on. Keystone lives in its own
virtualenv, made by ``tools/keystone/install.sh`` (run automatically if
missing). A start costs ~10-30 s, so share one::

    from magnum_lite.tests.harness import keystone

    ks = keystone.shared()          # one per test process, stopped at exit
    # or: ks = self.useFixture(keystone.KeystoneHarness())

What it seeds (all in domain ``Default`` unless said otherwise; every
password is random, per harness):

=====================  ===================================================
user                   roles
=====================  ===================================================
``admin``              admin on project ``admin`` (bootstrap; home) and
                       admin on ``alpha``
``alpha-member``       member on ``alpha`` (implies reader)
``alpha-reader``       reader on ``alpha``
``beta-member``        member on ``beta``
``magnum-lite``        service on project ``service``: the API's
                       keystonemiddleware service user
``trustee-admin``      admin on domain ``magnum-lite-trustees`` (the user
                       lives in that domain): creates per-cluster trustees
=====================  ===================================================

Interface (stable):

- ``url``: Keystone's v3 URL; ``region``: ``RegionOne``.
- ``projects``: name -> id for ``admin``, ``alpha``, ``beta``,
  ``service``; ``users``: name -> :class:`User` (``id``, ``name``,
  ``password``, ``domain_id``, ``project`` = home project name or None).
- ``roles``: name -> id (admin, member, reader, service).
- ``trustee_domain_id`` / ``trustee_domain_name``; the trustee domain
  admin is ``users['trustee-admin']``.
- ``session(user, project=None, domain=None, trust_id=None)``: a
  keystoneauth1 session authenticated with the user's password, scoped
  to ``project`` (a name from ``projects``; default the user's home
  project), or to ``domain`` (an id), or to a trust. ``token(...)``:
  the same, as a token string. ``admin_session()``: cloud admin.
- ``identity()``: a python-keystoneclient v3 client as cloud admin.
- ``set_container_infra_endpoint(url)``: (re)creates the public endpoint
  of service ``magnum`` (type ``container-infra``) in RegionOne.
- ``authtoken_options()``: ``[keystone_authtoken]`` options (service user
  ``magnum-lite``) for an API behind keystonemiddleware;
  ``trust_options()``: ``[trust]`` options (trustee domain and its admin).
- ``openstack_env(user, project=None)``: ``OS_*`` variables for the
  ``openstack`` CLI, password auth through the catalog.

``MAGNUM_LITE_KEYSTONE_KEEP=1`` keeps the state directory (logs in
``<state_dir>/logs``) for a post-mortem.
"""

import atexit
import collections
import ctypes
import os
import secrets
import signal
import subprocess
import tempfile
import threading
import time

from magnum_lite.tests import harness

try:
    import fixtures
    _Base = fixtures.Fixture
except ImportError:  # pragma: no cover - fixtures is a test requirement
    fixtures = None
    _Base = object

REPO = harness.REPO
TOOLS = os.path.join(REPO, 'tools', 'keystone')
TRUSTEE_DOMAIN = 'magnum-lite-trustees'
SERVICE_USER = 'magnum-lite'
CONTAINER_INFRA = ('magnum', 'container-infra')

User = collections.namedtuple('User', 'id name password domain_id project')

# (user, domain name, home project, ((role, project), ...))
_PEOPLE = (
    ('alpha-member', 'Default', 'alpha', (('member', 'alpha'),)),
    ('alpha-reader', 'Default', 'alpha', (('reader', 'alpha'),)),
    ('beta-member', 'Default', 'beta', (('member', 'beta'),)),
    (SERVICE_USER, 'Default', 'service', (('service', 'service'),)),
)


keystonectl = harness.load_tool('keystone', 'keystonectl.py')


def _die_with_parent():
    """preexec_fn: uWSGI gets SIGTERM when the test process dies, so a
    killed test run leaves no Keystone behind."""
    libc = ctypes.CDLL('libc.so.6', use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class KeystoneHarness(_Base):
    """A running, seeded Keystone (see the module docstring)."""

    def __init__(self, port=0, venv=None, auto_install=True, debug=False,
                 start_timeout=180):
        if _Base is not object:
            super().__init__()
        self.port = port
        self.venv = venv or keystonectl.default_venv()
        self.auto_install = auto_install
        self.debug = debug
        self.start_timeout = start_timeout
        self.state_dir = None
        self.state = None
        self.url = None
        self.region = keystonectl.REGION
        self.projects = {}
        self.users = {}
        self.roles = {}
        self.trustee_domain_id = None
        self.trustee_domain_name = TRUSTEE_DOMAIN
        self.start_seconds = None
        self._container_infra_service = None

    # -- lifecycle -----------------------------------------------------

    def install(self):
        env = dict(os.environ)
        env['MAGNUM_LITE_VENVS'] = os.path.dirname(self.venv)
        subprocess.run([os.path.join(TOOLS, 'install.sh')], check=True,
                       env=env)

    def start(self):
        if self.auto_install and not os.path.exists(
                os.path.join(self.venv, 'bin', 'uwsgi')):
            self.install()
        self.state_dir = tempfile.mkdtemp(prefix='mlt-keystone-')
        t0 = time.monotonic()
        self.state = keystonectl.start(
            self.state_dir, port=self.port, venv=self.venv,
            debug=self.debug, timeout=self.start_timeout,
            preexec_fn=_die_with_parent)
        self.url = self.state['url']
        with open(self.state['admin_password_file']) as f:
            admin_password = f.read().strip()
        self.users['admin'] = User(None, 'admin', admin_password, 'default',
                                   'admin')
        self._seed()
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self):
        """Stop Keystone and delete its state (unless
        ``MAGNUM_LITE_KEYSTONE_KEEP=1``)."""
        if self.state_dir is None:
            return
        keep = os.environ.get('MAGNUM_LITE_KEYSTONE_KEEP') == '1'
        keystonectl.stop(self.state_dir, remove_state=not keep)
        self.state = None
        self.state_dir = None

    def pause(self):
        """Stop Keystone but keep its state: an outage."""
        keystonectl.stop(self.state_dir)

    def resume(self):
        """Start Keystone again after :meth:`pause`: same port, database
        and keys (tokens issued before still validate)."""
        self.state = keystonectl.start(
            self.state_dir, port=self.state['port'], venv=self.venv,
            debug=self.debug, timeout=self.start_timeout,
            preexec_fn=_die_with_parent)

    def _setUp(self):
        self.start()
        self.addCleanup(self.stop)

    @property
    def log_dir(self):
        return os.path.join(self.state_dir, 'logs')

    # -- seeding -------------------------------------------------------

    def _seed(self):
        ks = self.identity()
        self.roles = {r.name: r.id for r in ks.roles.list()}
        for name in ('member', 'reader', 'service'):
            if name not in self.roles:
                self.roles[name] = ks.roles.create(name).id
        for project in ks.projects.list():
            self.projects[project.name] = project.id
        for name in ('alpha', 'beta', 'service'):
            if name not in self.projects:
                self.projects[name] = ks.projects.create(
                    name, 'default').id
        admin = ks.users.list(name='admin', domain='default')[0]
        self.users['admin'] = self.users['admin']._replace(id=admin.id)
        ks.roles.grant(self.roles['admin'], user=admin.id,
                       project=self.projects['alpha'])
        for name, _domain, home, grants in _PEOPLE:
            self._create_user(ks, name, 'default', home, grants)
        domain = ks.domains.create(TRUSTEE_DOMAIN, description=(
            'Per-cluster trustee users of magnum-lite'))
        self.trustee_domain_id = domain.id
        user = self._create_user(ks, 'trustee-admin', domain.id, None, ())
        ks.roles.grant(self.roles['admin'], user=user.id, domain=domain.id)
        self._container_infra_service = ks.services.create(
            CONTAINER_INFRA[0], type=CONTAINER_INFRA[1],
            description='Container Infrastructure Management (magnum-lite)')

    def _create_user(self, ks, name, domain_id, home, grants):
        password = secrets.token_urlsafe(18)
        created = ks.users.create(
            name, domain=domain_id, password=password,
            default_project=self.projects[home] if home else None)
        for role, project in grants:
            ks.roles.grant(self.roles[role], user=created.id,
                           project=self.projects[project])
        user = User(created.id, name, password, domain_id, home)
        self.users[name] = user
        return user

    def set_container_infra_endpoint(self, url, interfaces=('public',)):
        """Point the catalog's ``container-infra`` service at ``url``
        (replacing its endpoints) in RegionOne."""
        ks = self.identity()
        service = self._container_infra_service
        for endpoint in ks.endpoints.list(service=service.id):
            ks.endpoints.delete(endpoint.id)
        for interface in interfaces:
            ks.endpoints.create(service, url, interface=interface,
                                region=self.region)

    # -- access --------------------------------------------------------

    def session(self, user, project=None, domain=None, trust_id=None):
        """A keystoneauth1 session for a seeded user (a name of
        ``users``), scoped to a project name (default: the user's home
        project), a domain id or a trust id."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        who = self.users[user]
        scope = {}
        if trust_id:
            scope['trust_id'] = trust_id
        elif domain:
            scope['domain_id'] = domain
        elif project or who.project:
            scope['project_id'] = self.projects[project or who.project]
        auth = v3.Password(auth_url=self.url, user_id=who.id,
                           username=None if who.id else who.name,
                           user_domain_id=who.domain_id,
                           password=who.password, **scope)
        return ks_session.Session(auth=auth)

    def token(self, user, project=None, domain=None, trust_id=None):
        """A token string for ``session(...)`` with the same arguments."""
        return self.session(user, project=project, domain=domain,
                            trust_id=trust_id).get_token()

    def cluster_token(self, cluster_uuid):
        """A token of a cluster's own credential: its trustee through the
        trust the conductor made at create (read from the database of
        the calling test, whose encryption key it shares)."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        from magnum_lite.cluster import cluster_credentials

        values = cluster_credentials.heat_values(cluster_uuid)
        if 'trust_id' not in values:
            raise AssertionError(f'cluster {cluster_uuid} has no trust')
        auth = v3.Password(auth_url=self.url,
                           user_id=values['trustee_user_id'],
                           password=values['trustee_password'],
                           trust_id=values['trust_id'])
        return ks_session.Session(auth=auth).get_token()

    def admin_session(self):
        """Cloud admin: user ``admin`` on project ``admin``."""
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        auth = v3.Password(auth_url=self.url, username='admin',
                           user_domain_id='default',
                           password=self.users['admin'].password,
                           project_name='admin',
                           project_domain_id='default')
        return ks_session.Session(auth=auth)

    def identity(self):
        """A python-keystoneclient v3 client as cloud admin."""
        from keystoneclient.v3 import client

        return client.Client(session=self.admin_session(),
                             interface='public')

    def authtoken_options(self):
        """``[keystone_authtoken]`` options for an API that validates
        tokens with the ``magnum-lite`` service user."""
        service = self.users[SERVICE_USER]
        return {
            'auth_type': 'password',
            'auth_url': self.url,
            'www_authenticate_uri': self.url,
            'username': service.name,
            'password': service.password,
            'user_domain_id': 'default',
            'project_name': 'service',
            'project_domain_id': 'default',
            'region_name': self.region,
            'service_type': CONTAINER_INFRA[1],
        }

    def trust_options(self):
        """``[trust]`` options: the trustee domain and its admin, for a
        conductor that creates per-cluster trustees and trusts."""
        admin = self.users['trustee-admin']
        return {
            'auth_url': self.url,
            'trustee_domain_id': self.trustee_domain_id,
            'trustee_domain_admin_id': admin.id,
            'trustee_domain_admin_password': admin.password,
            'region_name': self.region,
        }

    def openstack_env(self, user, project=None):
        """``OS_*`` environment for the ``openstack`` CLI: password auth
        through the catalog (no endpoint override)."""
        who = self.users[user]
        env = {
            'OS_AUTH_TYPE': 'password',
            'OS_AUTH_URL': self.url,
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': who.name,
            'OS_USER_DOMAIN_ID': who.domain_id,
            'OS_PASSWORD': who.password,
            'OS_REGION_NAME': self.region,
            'OS_INTERFACE': 'public',
        }
        if project or who.project:
            env['OS_PROJECT_ID'] = self.projects[project or who.project]
        return env


_shared = None
_shared_lock = threading.Lock()


def shared():
    """One started, seeded harness per test process (stopped at exit).

    Tests that share it must not change the seeded users, projects or
    roles; anything a test creates in Keystone it should delete.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            harness = KeystoneHarness()
            harness.start()
            atexit.register(harness.stop)
            _shared = harness
        return _shared
