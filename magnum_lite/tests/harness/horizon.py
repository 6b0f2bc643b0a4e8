"""Horizon with magnum-ui, and a headless Chromium to drive it.

:class:`Horizon` starts ``tools/horizon/serve.py`` in the Horizon
virtualenv (made by ``tools/horizon/install.sh``, run automatically if
missing) on a free port of 127.0.0.1, pointed at a Keystone::

    horizon = self.useFixture(Horizon(keystone_harness.url))
    horizon.url            # http://127.0.0.1:PORT
    horizon.log_path       # Horizon's log (a detail of the test)

:class:`Browser` is Debian's chromium, headless, through Debian's
chromedriver and Selenium (nothing downloaded): ``driver`` is the
Selenium WebDriver, ``screenshot(name)`` saves a PNG under
``directory``.

Set ``MAGNUM_LITE_HORIZON_KEEP=1`` to keep Horizon's log directory.
"""

import os
import shutil
import subprocess
import tempfile
import time

import fixtures
import requests
from testtools import content

from magnum_lite.tests import harness

TOOLS = os.path.join(harness.REPO, 'tools', 'horizon')
VENV = os.path.join(os.environ.get('MAGNUM_LITE_VENVS') or
                    os.path.join(harness.REPO, '.venvs'), 'horizon')
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'


def install():
    """Run tools/horizon/install.sh (quick when all is there)."""
    subprocess.run([os.path.join(TOOLS, 'install.sh')], check=True,
                   stdout=subprocess.DEVNULL)


class Horizon(fixtures.Fixture):
    """A running Horizon (see the module docstring)."""

    def __init__(self, keystone_url, timeout=120):
        super().__init__()
        self.keystone_url = keystone_url
        self.timeout = timeout
        self.url = None
        self.start_seconds = None

    def _setUp(self):
        if not os.path.exists(os.path.join(VENV, 'horizon-static')):
            install()
        self.directory = tempfile.mkdtemp(prefix='mlt-horizon-')
        if os.environ.get('MAGNUM_LITE_HORIZON_KEEP') != '1':
            self.addCleanup(shutil.rmtree, self.directory, True)
        self.log_path = os.path.join(self.directory, 'horizon.log')
        port_file = os.path.join(self.directory, 'port')
        env = dict(os.environ,
                   MAGNUM_LITE_HORIZON_KEYSTONE_URL=self.keystone_url,
                   MAGNUM_LITE_HORIZON_SECRET_KEY=os.urandom(24).hex(),
                   PYTHONWARNINGS='ignore')
        self.addDetail('horizon-log', content.content_from_file(
            self.log_path, buffer_now=False))
        t0 = time.monotonic()
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                [os.path.join(VENV, 'bin', 'python'),
                 os.path.join(TOOLS, 'serve.py'), '--port-file', port_file],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env)
        self.addCleanup(self._stop)
        port = self._wait(lambda: int(open(port_file).read()))
        self.url = f'http://127.0.0.1:{port}'
        self._wait(self._login_page)
        self.start_seconds = time.monotonic() - t0

    def _login_page(self):
        response = requests.get(self.url + '/auth/login/', timeout=30)
        response.raise_for_status()
        return response

    def _wait(self, probe):
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f'Horizon exited with {self.process.returncode}; '
                    f'see {self.log_path}')
            try:
                return probe()
            except (OSError, ValueError, requests.RequestException):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def _stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Browser(fixtures.Fixture):
    """Headless Chromium through Selenium; screenshots to ``directory``.
    """

    def __init__(self, directory, width=1400, height=1000):
        super().__init__()
        self.directory = directory
        self.size = (width, height)
        self.shots = []

    def _setUp(self):
        from selenium import webdriver
        from selenium.webdriver.chrome import service

        os.makedirs(self.directory, exist_ok=True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ('--headless=new', '--no-sandbox',
                         '--disable-dev-shm-usage', '--disable-gpu',
                         # Nothing but loopback: no updates, no sync,
                         # no metrics, no safe-browsing lists.
                         '--disable-background-networking',
                         '--disable-component-update', '--disable-sync',
                         '--no-first-run', '--disable-default-apps',
                         '--metrics-recording-only',
                         '--no-proxy-server',
                         '--host-resolver-rules=MAP * ~NOTFOUND, '
                         'EXCLUDE localhost, EXCLUDE 127.0.0.1',
                         f'--window-size={self.size[0]},{self.size[1]}'):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(
            options=options,
            service=service.Service(executable_path=CHROMEDRIVER))
        self.addCleanup(self.driver.quit)
        # Headless Chromium saves downloads only where it is told to.
        self.driver.execute_cdp_cmd('Browser.setDownloadBehavior', {
            'behavior': 'allow', 'downloadPath': self.downloads})

    @property
    def downloads(self):
        """Where the browser saves downloaded files."""
        return os.path.join(self.directory, 'downloads')

    def screenshot(self, name):
        """Save the page as ``<directory>/<NN>-<name>.png``."""
        path = os.path.join(self.directory,
                            f'{len(self.shots) + 1:02d}-{name}.png')
        self.driver.save_screenshot(path)
        self.shots.append(path)
        return path
