"""Horizon's magnum-ui drives a cluster's whole life, in a real browser.

Debian's chromium, headless, driven through Selenium and Debian's
chromedriver, uses Horizon 25.5.2 with magnum-ui 17.0.0 and
python-magnumclient 4.9.0 (``tools/horizon/install.sh``) as a member of
project alpha would: log in, create a cluster template and a cluster
through their forms, watch the cluster reach CREATE_COMPLETE in the
table, open its detail page, download its CA certificate and its
cluster config (magnum-ui has the CA sign a new client certificate),
resize it and delete it. After each step the test asks the API, with the
member's own token, whether it happened.

Behind Horizon: the real Keystone, the API behind keystonemiddleware with
a conductor and the real Heat driver, the real Heat with the simulated
cloud (as in test_heat_clusters), and stand-ins for the lists magnum-ui's
forms read from Nova, Glance and Neutron (harness/cloud_standins.py),
all on 127.0.0.1.

A screenshot per step (and the downloaded files) go to
``.state/artefacts/horizon-magnum-ui/`` (``MAGNUM_LITE_ARTEFACTS`` moves
``.state/artefacts``); a failure adds ``failure.png`` and
``failure.html``. Set ``MAGNUM_LITE_BROWSER_TESTS=0`` to skip (it is
also skipped with the Heat or the Keystone tests).
"""

import json
import os
import shutil
import sys
import threading
import time

import testtools
from testtools import content

from magnum_lite.tests import base
from magnum_lite.tests import harness
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import cloud_standins
from magnum_lite.tests.harness import heat as heat_harness
from magnum_lite.tests.harness import horizon
from magnum_lite.tests.harness import keystone as keystone_harness

ENABLED = all(os.environ.get(name, '1') != '0' for name in (
    'MAGNUM_LITE_BROWSER_TESTS', 'MAGNUM_LITE_HEAT_TESTS',
    'MAGNUM_LITE_KEYSTONE_TESTS'))
ARTEFACTS = os.path.join(
    os.environ.get('MAGNUM_LITE_ARTEFACTS') or
    os.path.join(harness.REPO, '.state', 'artefacts'), 'horizon-magnum-ui')
USER = 'alpha-member'
TEMPLATE = 'browser-template'
CLUSTER = 'browser-cluster'
# Seconds a step may take in the browser: a page and its API calls, on
# a loaded machine. Clusters take longer (see ClusterPages.watch).
STEP_TIMEOUT = 60
CLUSTER_TIMEOUT = 300


def _start_beside(background, foreground):
    """Call ``background`` in a thread while ``foreground`` runs in this
    one (Keystone and Heat each take tens of seconds to start). Keystone
    must be the foreground: its processes die with the thread that
    started them (PR_SET_PDEATHSIG). The first error is raised."""
    errors = []

    def start():
        try:
            background()
        except BaseException as err:  # re-raised in the caller's thread
            errors.append(err)

    thread = threading.Thread(target=start)
    thread.start()
    try:
        foreground()
    finally:
        thread.join()
    if errors:
        raise errors[0]


class ClusterPages:
    """What a user does in magnum-ui's pages, with explicit waits only."""

    def __init__(self, browser, url):
        from selenium.webdriver.support import ui

        self.browser = browser
        self.driver = browser.driver
        self.url = url
        self.wait = ui.WebDriverWait(self.driver, STEP_TIMEOUT)

    # -- small things ------------------------------------------------------

    def _find(self, how, what, clickable=False):
        from selenium.webdriver.support import expected_conditions as ec
        condition = (ec.element_to_be_clickable if clickable
                     else ec.visibility_of_element_located)
        return self.wait.until(condition((how, what)))

    def _css(self, selector, clickable=False):
        from selenium.webdriver.common.by import By
        return self._find(By.CSS_SELECTOR, selector, clickable)

    def _xpath(self, path, clickable=False):
        from selenium.webdriver.common.by import By
        return self._find(By.XPATH, path, clickable)

    def _button(self, text, scope=''):
        return self._xpath(f"{scope}//button[contains(., '{text}')]",
                           clickable=True)

    def type(self, name, value):
        field = self._css(f'.modal input[name={name}]')
        field.clear()
        field.send_keys(str(value))

    def choose(self, name, text):
        """Pick ``text`` in a form's select once its list has loaded."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support import ui

        field = self.wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'.modal select[name={name}]')))
        self.wait.until(lambda _: text in [
            o.text for o in ui.Select(field).options])
        ui.Select(field).select_by_visible_text(text)

    def check(self, name):
        """Tick a (themed) checkbox: its label takes the click."""
        # The input itself is hidden: find it present, not visible.
        box = self.driver.find_element('css selector',
                                       f'.modal input[name={name}]')
        if not box.is_selected():
            self._css(f".modal label[for='{name}']", clickable=True).click()
        self.wait.until(lambda _: box.is_selected())

    def tab(self, title):
        self._xpath(f"//div[contains(@class, 'modal')]//a[contains(., "
                    f"'{title}')]", clickable=True).click()

    def submit(self):
        self._button('Submit', "//div[contains(@class, 'modal-footer')]"
                     ).click()

    def toast(self, text):
        """Wait for Horizon's message that contains ``text``."""
        return self._xpath("//div[contains(@class, 'alert') and "
                           f"contains(., '{text}')]")

    def row(self, name):
        return self._xpath(f"//tr[.//a[normalize-space()='{name}']]")

    def row_button(self, name, text):
        self.row(name).find_element(
            'xpath', f".//button[contains(., '{text}')]").click()

    def row_action(self, name, action):
        row = self.row(name)
        row.find_element('css selector', '.dropdown-toggle').click()
        self.wait.until(lambda _: row.find_element(
            'xpath', f".//a[contains(., '{action}')]").is_displayed())
        row.find_element('xpath', f".//a[contains(., '{action}')]").click()

    def downloaded(self, filename):
        """The content of a file the browser downloaded, once complete."""
        path = os.path.join(self.browser.downloads, filename)
        self.wait.until(lambda _: os.path.exists(path) and not
                        os.path.exists(path + '.crdownload'))
        with open(path) as f:
            return f.read()

    # -- the steps -----------------------------------------------------------

    def log_in(self, user, password):
        self.driver.get(self.url + '/auth/login/')
        self._css('#id_username').send_keys(user)
        self._css('#id_password').send_keys(password)
        self.browser.screenshot('login')
        self._css('#loginBtn', clickable=True).click()
        self._xpath("//h1[contains(., 'Clusters')]")
        self._button('Create Cluster')

    def create_template(self, name, image, node_flavor, master_flavor,
                        keypair, external_network):
        self.driver.get(self.url + '/project/cluster_templates/')
        self._button('Create Cluster Template').click()
        self.type('name', name)
        self.choose('coe', 'Kubernetes')
        self.tab('Node Spec')
        self.choose('image_id', image)
        self.choose('flavor_id', node_flavor)
        self.choose('master_flavor_id', master_flavor)
        self.choose('keypair_id', keypair)
        self.tab('Network')
        self.choose('network_driver', 'Calico')
        self.choose('external_network_id', external_network)
        self.check('master_lb_enabled')
        self.browser.screenshot('template-form')
        self.submit()
        self.toast('successfully created')
        self.row(name)
        self.browser.screenshot('template-created')

    def create_cluster(self, name, template, keypair, masters, workers,
                       node_flavor, master_flavor):
        self.driver.get(self.url + '/project/clusters/')
        self._button('Create Cluster').click()
        self.type('name', name)
        self.choose('cluster_template_id', template)
        self.choose('keypair', keypair)
        self.tab('Size')
        self.type('master_count', masters)
        self.type('node_count', workers)
        self.choose('master_flavor_id', master_flavor)
        self.choose('flavor_id', node_flavor)
        self.browser.screenshot('cluster-form')
        self.submit()
        self.toast('successfully created')
        self.row(name)
        self.browser.screenshot('cluster-created')

    def watch(self, name, status, gone=False):
        """Reload the clusters table (it does not refresh by itself)
        until the cluster's row shows ``status``, or is gone."""
        from selenium.webdriver.support import ui

        def shows(driver):
            driver.get(self.url + '/project/clusters/')
            self._xpath("//*[contains(., 'Displaying')]")
            rows = driver.find_elements(
                'xpath', f"//tr[.//a[normalize-space()='{name}']]")
            if gone:
                return not rows
            return bool(rows) and status in rows[0].text.split()

        ui.WebDriverWait(self.driver, CLUSTER_TIMEOUT,
                         poll_frequency=2).until(shows)

    def detail(self, name, uuid):
        """The cluster's detail page; its text."""
        self._xpath(f"//a[normalize-space()='{name}']",
                    clickable=True).click()
        self.wait.until(lambda d: uuid in d.current_url)
        self._xpath("//*[contains(., 'Stack ID')]")
        self._xpath(f"//dd[contains(., '{uuid}')]")
        return self.driver.find_element('tag name', 'body').text

    def resize(self, name, workers):
        self.driver.get(self.url + '/project/clusters/')
        self.row_action(name, 'Resize Cluster')
        self.type('node_count', workers)
        self.browser.screenshot('resize-form')
        self.submit()
        self.toast('Cluster is being resized')

    def delete(self, name):
        self.driver.get(self.url + '/project/clusters/')
        self.row_action(name, 'Delete Cluster')
        confirm = self._button(
            'Delete Cluster', "//div[contains(@class, 'modal-footer')]")
        self.browser.screenshot('delete-confirm')
        confirm.click()
        self.toast(f'Deleted cluster: {name}')


@testtools.skipUnless(ENABLED, 'MAGNUM_LITE_BROWSER_TESTS=0 (or the Heat '
                      'or Keystone tests off)')
class HorizonMagnumUITest(base.DbTestCase):
    """The lifecycle through magnum-ui; each step checked in the API."""

    backend = 'mysql'

    def setUp(self):
        super().setUp()
        self.timings = {}
        self.addCleanup(self._report)
        t0 = time.monotonic()
        self.keystone = keystone_harness.KeystoneHarness()
        self.heat = heat_harness.HeatHarness()
        # stop() does nothing for a harness that did not start.
        self.addCleanup(self.heat.stop)
        self.addCleanup(self.keystone.stop)
        _start_beside(self.heat.start, self.keystone.start)
        self.timings['keystone_and_heat_start'] = time.monotonic() - t0
        self.clouds = self.useFixture(cloud_standins.CloudStandIns(
            self.keystone.projects['alpha']))
        self.clouds.register(self.keystone)
        # magnum-ui's resize dialog reads the cluster's stack.
        self.keystone.set_endpoint('heat', 'orchestration',
                                   self.heat.endpoint)
        t0 = time.monotonic()
        self.server = self.useFixture(api_server.APIServer(
            keystone=self.keystone, real_driver=True, config={
                'heat': {'auth_mode': 'noauth',
                         'endpoint': self.heat.endpoint,
                         'environment_files': heat_harness.SIMULATION_ENV},
                'trust': self.keystone.trust_options()}))
        self.horizon = self.useFixture(horizon.Horizon(self.keystone.url))
        self.timings['api_and_horizon_start'] = time.monotonic() - t0
        shutil.rmtree(ARTEFACTS, ignore_errors=True)
        self.browser = self.useFixture(horizon.Browser(ARTEFACTS))
        self.addOnException(self._failure_artefacts)
        self.pages = ClusterPages(self.browser, self.horizon.url)
        self.token = self.keystone.token(USER)

    def _failure_artefacts(self, exc_info):
        try:
            self.browser.driver.save_screenshot(
                os.path.join(ARTEFACTS, 'failure.png'))
            with open(os.path.join(ARTEFACTS, 'failure.html'), 'w') as f:
                f.write(self.browser.driver.page_source)
        except Exception as err:  # the browser may be what failed
            self.addDetail('failure-artefacts', content.text_content(
                f'no failure screenshot: {err}'))
        if self.clouds.unknown:
            self.addDetail('stand-ins-unknown', content.text_content(
                json.dumps(self.clouds.unknown)))

    def _report(self):
        text = json.dumps({k: round(v, 1) for k, v in self.timings.items()})
        self.addDetail('timings', content.text_content(text))
        print(f'horizon magnum-ui timings (s): {text}', file=sys.stderr)

    def step(self, name, function, *args):
        t0 = time.monotonic()
        result = function(*args)
        self.timings[name] = time.monotonic() - t0
        return result

    # -- what the API says -------------------------------------------------

    def api(self, path, status=200):
        code, body = self.server.request(
            'GET', path, headers={'X-Auth-Token': self.token})
        self.assertEqual(status, code, body)
        return body

    def api_wait(self, uuid, *statuses):
        return self.server.wait_for(
            f'/v1/clusters/{uuid}', *statuses, timeout=60,
            headers={'X-Auth-Token': self.token})

    def our_stacks(self):
        return [s for s in self.heat.client().stacks.list()
                if s.stack_name.startswith('ml-')]

    # -- the test ------------------------------------------------------------

    def test_cluster_lifecycle_in_magnum_ui(self):
        clouds = self.clouds
        user = self.keystone.users[USER]
        self.step('log_in', self.pages.log_in, USER, user.password)
        self.browser.screenshot('logged-in')

        self.step('create_template', self.pages.create_template, TEMPLATE,
                  clouds.IMAGE['name'], 'm1.small', 'm1.medium',
                  clouds.KEYPAIR['name'], clouds.EXTERNAL_NETWORK['name'])
        template = self.api(f'/v1/clustertemplates/{TEMPLATE}')
        self.assertEqual(
            ('kubernetes', 'ubuntu-node', 'm1.small', 'm1.medium',
             'browser-key', clouds.EXTERNAL_NETWORK['id'], 'calico', True),
            tuple(template[k] for k in (
                'coe', 'image_id', 'flavor_id', 'master_flavor_id',
                'keypair_id', 'external_network_id', 'network_driver',
                'master_lb_enabled')))

        self.step('create_cluster', self.pages.create_cluster, CLUSTER,
                  TEMPLATE, clouds.KEYPAIR['name'], 1, 1, 'm1.small',
                  'm1.medium')
        cluster = self.api(f'/v1/clusters/{CLUSTER}')
        uuid = cluster['uuid']
        self.assertEqual((template['uuid'], 1, 1, 'browser-key'),
                         (cluster['cluster_template_id'],
                          cluster['master_count'], cluster['node_count'],
                          cluster['keypair']))
        self.step('watch_create', self.pages.watch, CLUSTER,
                  'CREATE_COMPLETE')
        self.browser.screenshot('create-complete')
        cluster = self.api_wait(uuid, 'CREATE_COMPLETE')
        self.assertEqual(1, len(self.our_stacks()))

        page = self.step('detail', self.pages.detail, CLUSTER, uuid)
        self.browser.screenshot('detail')
        self.assertIn(cluster['api_address'], page)
        self.assertIn(cluster['cluster_id'], page)  # the stack, from 1.13

        self.step('certificate', self._certificate, uuid)
        self.step('cluster_config', self._cluster_config, cluster)

        self.step('resize', self.pages.resize, CLUSTER, 2)
        self.step('watch_resize', self.pages.watch, CLUSTER,
                  'UPDATE_COMPLETE')
        self.browser.screenshot('resize-complete')
        cluster = self.api_wait(uuid, 'UPDATE_COMPLETE')
        self.assertEqual(2, cluster['node_count'])
        self.assertEqual(2, len(cluster['node_addresses']))

        self.step('delete', self.pages.delete, CLUSTER)
        self.step('watch_delete', self.pages.watch, CLUSTER, None, True)
        self.browser.screenshot('deleted')
        self.api_wait(uuid, None)
        self.assertEqual([], self.our_stacks())
        self.assertEqual([], clouds.unknown)

    def _certificate(self, uuid):
        """'Show Certificate' downloads the cluster's CA."""
        self.pages.driver.get(self.horizon.url + '/project/clusters/')
        self.pages.row_button(CLUSTER, 'Show Certificate')
        pem = self.pages.downloaded(f'{CLUSTER}_ca.pem')
        self.browser.screenshot('certificate')
        self.assertEqual(self.api(f'/v1/certificates/{uuid}')['pem'].strip(),
                         pem.strip())

    def _cluster_config(self, cluster):
        """'Get Cluster Config' has a new client certificate signed and
        downloads it with its key, the CA and a kubeconfig."""
        from cryptography import x509

        # The CA of 'Show Certificate' has the same name: wait for this
        # step's own files.
        for name in os.listdir(self.browser.downloads):
            os.remove(os.path.join(self.browser.downloads, name))
        self.pages.row_action(CLUSTER, 'Get Cluster Config')
        config = self.pages.downloaded(f'{CLUSTER}_config.txt')
        cert = x509.load_pem_x509_certificate(
            self.pages.downloaded(f'{CLUSTER}_cert.pem').encode())
        ca = x509.load_pem_x509_certificate(
            self.pages.downloaded(f'{CLUSTER}_ca.pem').encode())
        self.pages.downloaded(f'{CLUSTER}_key.pem')
        self.browser.screenshot('cluster-config')
        self.assertIn(cluster['api_address'], config)
        cert.verify_directly_issued_by(ca)
