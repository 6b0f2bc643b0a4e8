"""The real OpenStack Heat, for integration tests.

:class:`HeatHarness` wraps ``tools/heat/heatctl.py``: it starts heat-engine
and the Heat API (noauth, simulated cloud) on a free port of 127.0.0.1,
with a MariaDB database and a RabbitMQ vhost of its own (a uuid suffix in
their names, so parallel runs never collide), and purges both on stop.
Heat sends its stack notifications on that vhost
(:attr:`HeatHarness.transport_url`, topic ``notifications``) unless
``notifications=False``.
Heat itself lives in its own virtualenv, made by ``tools/heat/install.sh``
(run automatically if missing).

As a fixture::

    heat = self.useFixture(HeatHarness())
    client = heat.client()
    tpl, files, env = heat.stack_args('path/to/template.yaml',
                                      simulation=True,
                                      parameter_defaults={...})
    stack = client.stacks.create(stack_name='x', template=tpl,
                                 files=files, environment=env)
    heat.wait_for_stack(client, stack['stack']['id'])

Or by hand: ``h = HeatHarness(); h.start(); ...; h.stop()``.
``MAGNUM_LITE_HEAT_KEEP=1`` keeps the database, vhost and state directory
(logs in ``<state_dir>/logs``) for a post-mortem.
"""

import os
import subprocess
import tempfile
import time
import uuid

import testtools
from heatclient import exc as heat_exc

from magnum_lite.tests import harness

try:
    import fixtures
    _Base = fixtures.Fixture
except ImportError:  # pragma: no cover - fixtures is a test requirement
    fixtures = None
    _Base = object

REPO = harness.REPO
TOOLS = os.path.join(REPO, 'tools', 'heat')
SIMULATION_ENV = os.path.join(REPO, 'heat-templates', 'simulation',
                              'environment.yaml')


heatctl = harness.load_tool('heat', 'heatctl.py')


class StackTimeout(Exception):
    pass


class HeatHarness(_Base):
    """A running Heat with its own database and vhost."""

    def __init__(self, engine_workers=2, port=0, state_dir=None,
                 venv=None, prefix='mlt_heat', auto_install=True,
                 debug=False, start_timeout=300, notifications=True):
        if _Base is not object:
            super().__init__()
        self.name = '%s_%s' % (prefix, uuid.uuid4().hex[:12])
        self.engine_workers = engine_workers
        self.port = port
        self.venv = venv or heatctl.default_venv()
        self.auto_install = auto_install
        self.debug = debug
        self.start_timeout = start_timeout
        self.notifications = notifications
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir
        self.state = None
        self.start_seconds = None

    # -- lifecycle -----------------------------------------------------

    def install(self):
        env = dict(os.environ)
        env['MAGNUM_LITE_VENVS'] = os.path.dirname(self.venv)
        subprocess.run([os.path.join(TOOLS, 'install.sh')], check=True,
                       env=env)

    def start(self):
        if self.auto_install and not os.path.exists(
                os.path.join(self.venv, 'bin', 'heat-engine')):
            self.install()
        if self.state_dir is None:
            self.state_dir = tempfile.mkdtemp(prefix=self.name + '.')
        t0 = time.monotonic()
        self.state = heatctl.start(
            self.state_dir, port=self.port, db=self.name, vhost=self.name,
            engine_workers=self.engine_workers, venv=self.venv,
            debug=self.debug, timeout=self.start_timeout,
            notifications=self.notifications)
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self, purge=True):
        """Stop Heat; purge drops its database and vhost and removes the
        state directory (kept, logs included, if MAGNUM_LITE_HEAT_KEEP=1).
        """
        if self.state_dir is None:
            return
        if os.environ.get('MAGNUM_LITE_HEAT_KEEP') == '1':
            purge = False
        heatctl.stop(self.state_dir, purge=purge,
                     remove_state=purge and self._own_state_dir)
        self.state = None

    def _setUp(self):
        self.start()
        self.addCleanup(self.stop)

    # -- access --------------------------------------------------------

    @property
    def endpoint(self):
        """Heat's v1 URL for project ``admin`` (noauth)."""
        if not self.state:
            raise RuntimeError('Heat is not running')
        return self.state['endpoint']

    @property
    def transport_url(self):
        """Heat's RabbitMQ vhost, where it sends its notifications."""
        if not self.state:
            raise RuntimeError('Heat is not running')
        return self.state['transport_url']

    @property
    def log_dir(self):
        return os.path.join(self.state_dir, 'logs')

    def client(self, project='admin'):
        """A python-heatclient v1 client, without Keystone."""
        from heatclient import client as heat_client
        from keystoneauth1 import noauth
        from keystoneauth1 import session

        endpoint = self.endpoint.rsplit('/', 1)[0] + '/' + project
        return heat_client.Client(
            '1', session=session.Session(auth=noauth.NoAuth()),
            endpoint_override=endpoint,
            additional_headers={'X-Auth-Project': project})

    @staticmethod
    def stack_args(template_path, environment_paths=(), simulation=True,
                   parameter_defaults=None):
        """(template, files, environment) for stacks.create/validate.

        With ``simulation`` the cloud resource types are mapped to the
        simulated ones of heat-templates/simulation; ``parameter_defaults``
        (e.g. ``simulation_fail``, ``simulation_delays``) are merged last.
        """
        from heatclient.common import template_utils
        from heatclient.common import utils as heat_utils

        from magnum_lite.cluster import versions
        from magnum_lite.drivers.heat import addons
        from magnum_lite.drivers.heat import compressed

        # The add-on manifests exist only under versioned names on disk;
        # the templates read fixed names, which a stack's files map fills
        # (as the driver does, with the default Kubernetes version here).
        base = os.path.dirname(os.path.abspath(template_path))
        known = {}
        wanted = (addons.files(versions.DEFAULT_KUBE_TAG)
                  if os.path.isdir(os.path.join(base, 'addons')) else {})
        for fixed, path in wanted.items():
            with open(os.path.join(base, path)) as f:
                known[heat_utils.normalise_file_path_to_url(
                    os.path.join(base, fixed))] = f.read()
        # Scripts and manifests the node templates read compressed
        # (drivers/heat/compressed.py), as the driver adds them.
        if os.path.isdir(os.path.join(base, 'fragments')):
            pending = object()
            known.update(compressed.placeholders(base, pending))
        files, template = template_utils.get_template_contents(
            template_file=template_path, files=known)
        if os.path.isdir(os.path.join(base, 'fragments')):
            files = {k: v for k, v in files.items() if v is not pending}
            files.update(compressed.entries(base, wanted))
        paths = ([SIMULATION_ENV] if simulation else []) + list(
            environment_paths)
        process = template_utils.process_multiple_environments_and_files
        env_files, env = process(env_paths=paths)
        files.update(env_files)
        if parameter_defaults:
            env.setdefault('parameter_defaults', {}).update(
                parameter_defaults)
        return template, files, env

    @staticmethod
    def wait_for_stack(client, stack_id, timeout=600, interval=1.0):
        """Poll until the stack leaves *_IN_PROGRESS; returns the stack,
        or None once it is gone (after a delete)."""
        from heatclient import exc

        deadline = time.monotonic() + timeout
        while True:
            try:
                stack = client.stacks.get(stack_id)
            except exc.HTTPNotFound:
                return None
            if not stack.stack_status.endswith('_IN_PROGRESS'):
                return stack
            if time.monotonic() > deadline:
                raise StackTimeout('%s still %s after %ss' % (
                    stack_id, stack.stack_status, timeout))
            time.sleep(interval)


def node_names(client, stack_id):
    """The names of the servers of a cluster or nodegroup stack, read
    with heatclient ``client``: how their nodes register in Kubernetes
    (each member's ``name``)."""
    from magnum_lite.drivers.heat import hooks
    resources = client.resources.list(stack_id, nested_depth=3)
    members = {hooks.stack_identity(r) for r in resources
               if r.resource_name == 'server'}
    return sorted(client.stacks.get(member).parameters['name']
                  for member in members if member)


class OneHeatTestCase(testtools.TestCase):
    """A test case class with one Heat for all its tests: ``cls.heat``
    (the harness) and ``cls.client`` (an admin heatclient)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.heat = HeatHarness().start()
        cls.client = cls.heat.client()

    @classmethod
    def tearDownClass(cls):
        cls.heat.stop()
        super().tearDownClass()

    def stacks(self):
        """magnum-lite's stacks (named ``ml-...``) in this Heat."""
        return [s for s in self.client.stacks.list()
                if s.stack_name.startswith('ml-')]

    def node_names(self, stack_id):
        """The names of the servers of a cluster or nodegroup stack, as
        their nodes register in Kubernetes (each member's ``name``)."""
        return node_names(self.client, stack_id)

    def delete_stacks(self):
        """Delete magnum-lite's stacks and wait until they are gone."""
        stacks = self.stacks()
        for stack in stacks:
            try:
                self.client.stacks.delete(stack.id)
            except heat_exc.HTTPNotFound:
                pass  # it finished deleting since it was listed
        for stack in stacks:
            self.heat.wait_for_stack(self.client, stack.id)
