"""An OpenStack control plane without VMs, for integration tests.

:class:`ControlPlane` wraps ``tools/openstack/openstackctl.py`` behind a
seeded :class:`~magnum_lite.tests.harness.keystone.KeystoneHarness` of its
own: Keystone, Placement, Nova (fake virt driver, two compute hosts),
Neutron (ML2, ports bound by the agentless test double), Glance (file
store), Octavia (no-op amphora, compute and network drivers) and Heat
(trusts, stack domain), all from the one virtualenv ``.venvs/openstack``
(``tools/openstack/install.sh``, run automatically if missing), on free
ports of 127.0.0.1. Servers become ACTIVE and load balancers ACTIVE; no
VM boots and no packet leaves loopback.

Its MariaDB databases are ``mlt_<run>_<pid>_os_<db>`` and its RabbitMQ
vhosts ``mlt_<run>_<pid>_os_<service>`` (``<run>`` is
``MAGNUM_LITE_TEST_RUN``), dropped at stop; ``tools/run-tests`` drops
what a killed run left. Starting costs minutes (schemas, a dozen
processes), so share one per test process::

    from magnum_lite.tests.harness import openstack

    cloud = openstack.shared()      # started once, stopped at exit
    openstack.release()             # or now

One per process rather than one per run: the tests that use it are
grouped onto one stestr worker (``.stestr.conf``), so in a run it starts
once per class of them anyway, and a per-process owner needs no
cross-process lock or lifetime hand-over. :class:`OpenStackTestCase`
releases it after its class (see there).

Interface: ``keystone`` (the seeded harness: users ``alpha-member``,
``beta-member``... see its docstring), ``session(user)``,
``heat_client(user)``, ``cli(user, *args)`` (the ``openstack`` command as
that user, JSON parsed), ``call(user, service_type, method, path,
body)`` (REST through the catalog), ``flavor``/``image``/
``external_network`` (seeded names), ``state`` (openstackctl's state:
URLs, timings), ``rss_mib()``. ``MAGNUM_LITE_OPENSTACK_KEEP=1`` keeps
the state directory, databases and vhosts for a post-mortem.
"""

import atexit
import json
import os
import re
import subprocess
import tempfile
import threading
import time

import fixtures
import testtools

from magnum_lite.tests import harness
from magnum_lite.tests import services
from magnum_lite.tests.harness import keystone as ks_harness

REPO = ks_harness.REPO
TOOLS = os.path.join(REPO, 'tools', 'openstack')
ENABLED = os.environ.get('MAGNUM_LITE_OPENSTACK_TESTS', '1') != '0'


openstackctl = harness.load_tool('openstack', 'openstackctl.py')


def backend_name():
    """``mlt_<run>_<pid>_os``: the prefix of this process's databases
    and vhosts (tools/drop-test-databases drops ``mlt_<run>_*``)."""
    run = re.sub(r'[^A-Za-z0-9]', '_', services.RUN_ID)
    return 'mlt_%s_%d_os' % (run, os.getpid())


class ControlPlane(fixtures.Fixture):
    """A running control plane (see the module docstring)."""

    flavor = 'm1.tiny'
    image = 'tiny'
    external_network = 'public'

    def __init__(self, venv=None, auto_install=True, debug=False,
                 start_timeout=900):
        super().__init__()
        self.venv = venv or openstackctl.default_venv()
        self.auto_install = auto_install
        self.debug = debug
        self.start_timeout = start_timeout
        self.keystone = None
        self.state_dir = None
        self.state = None
        self.start_seconds = None

    # -- lifecycle -----------------------------------------------------

    def start(self):
        if self.auto_install and not os.path.exists(
                os.path.join(self.venv, 'bin', 'nova-compute')):
            env = dict(os.environ)
            env['MAGNUM_LITE_VENVS'] = os.path.dirname(self.venv)
            subprocess.run([os.path.join(TOOLS, 'install.sh')], check=True,
                           env=env)
        t0 = time.monotonic()
        self.keystone = ks_harness.KeystoneHarness(
            venv=self.venv, debug=self.debug).start()
        self.state_dir = tempfile.mkdtemp(prefix='mlt-openstack-')
        try:
            self.state = openstackctl.start(
                self.state_dir, self.keystone.url,
                self.keystone.users['admin'].password, name=backend_name(),
                venv=self.venv, debug=self.debug,
                timeout=self.start_timeout,
                preexec_fn=ks_harness._die_with_parent)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self):
        """Stop everything; drop the databases and vhosts and delete the
        state (unless ``MAGNUM_LITE_OPENSTACK_KEEP=1``)."""
        keep = os.environ.get('MAGNUM_LITE_OPENSTACK_KEEP') == '1'
        if self.state_dir is not None:
            openstackctl.stop(self.state_dir, purge=not keep,
                              remove_state=not keep)
            if not os.path.exists(os.path.join(
                    self.state_dir, openstackctl.STATE_FILE)):
                # A start that failed before writing its state.
                openstackctl.drop_backends(backend_name(),
                                           'magnum_lite_test',
                                           'magnum_lite_test')
            self.state_dir = None
        if self.keystone is not None:
            self.keystone.stop()
            self.keystone = None

    def _setUp(self):
        self.start()
        self.addCleanup(self.stop)

    @property
    def log_dir(self):
        return os.path.join(self.state_dir, 'logs')

    def rss_mib(self):
        """Resident memory (MiB) of every process, Keystone included:
        ({name: MiB}, total)."""
        usage, _ = openstackctl.rss_mib(self.state_dir)
        ks_usage, _ = openstackctl.rss_mib(self.keystone.state_dir)
        usage['keystone'] = sum(ks_usage.values())
        return usage, sum(usage.values())

    # -- access --------------------------------------------------------

    def session(self, user, project=None):
        return self.keystone.session(user, project=project)

    def call(self, user, service_type, method, path, body=None,
             headers=None):
        """A JSON REST call as ``user`` to ``service_type``'s public
        endpoint; returns the parsed body (None if empty)."""
        resp = self.session(user).request(
            path, method, json=body, headers=headers or {},
            endpoint_filter={'service_type': service_type,
                             'interface': 'public',
                             'region_name': self.keystone.region})
        return resp.json() if resp.content else None

    def upload_image(self, user, image_id):
        """Give an image (made by ``user``) a few KiB of data, so that
        Glance holds it ``active``: a server can boot from it."""
        self.session(user).put(
            f'/v2/images/{image_id}/file', data=b'\0' * 4096,
            headers={'Content-Type': 'application/octet-stream'},
            endpoint_filter={'service_type': 'image', 'interface': 'public',
                             'region_name': self.keystone.region})

    def heat_client(self, user):
        from heatclient import client as heat_client
        return heat_client.Client(
            '1', session=self.session(user), interface='public',
            region_name=self.keystone.region)

    def cli(self, user, *args, timeout=300):
        """``openstack <args> -f json`` as ``user`` (home project)."""
        env = dict(os.environ)
        env.update(self.keystone.openstack_env(user))
        env['PYTHONWARNINGS'] = 'ignore'
        proc = subprocess.run(
            [os.path.join(self.venv, 'bin', 'openstack')] + list(args) +
            ['-f', 'json'], env=env, capture_output=True, text=True,
            timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError('openstack %s failed (%d): %s' % (
                ' '.join(args), proc.returncode, proc.stderr[-2000:]))
        return json.loads(proc.stdout or 'null')


_shared = None
_shared_lock = threading.Lock()


def shared():
    """The started control plane of this test process (stopped at exit
    or by :func:`release`)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            cloud = ControlPlane()
            cloud.start()
            atexit.register(cloud.stop)
            _shared = cloud
        return _shared


def release():
    """Stop the shared control plane now; the next :func:`shared` starts
    another."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_OPENSTACK_TESTS=0')
class OpenStackTestCase(testtools.TestCase):
    """Tests against the shared control plane: ``self.cloud``.

    The class releases it when its tests are done: idle, it still holds
    2.5 GiB and wakes its periodic tasks on the two shared cores for the
    rest of the worker's run. A next class starts another (about a
    minute once the schemas are cached); tests that want one start put
    themselves in one class.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cloud = shared()

    @classmethod
    def tearDownClass(cls):
        release()
        super().tearDownClass()
