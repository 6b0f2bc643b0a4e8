"""Node generations: which updates replace (and wait for) which nodes."""

import json

import testtools

from magnum_lite.drivers.heat import generations
from magnum_lite.drivers.heat import parameters
from magnum_lite.drivers.heat import templates
from magnum_lite.tests.unit.drivers import test_heat_parameters as rows

CREDENTIALS = {'auth_url': 'https://keystone.example.com/v3',
               'trustee_user_id': 'trustee', 'trustee_password': 'pw',
               'trust_id': 'trust-1'}
BOOTSTRAP = {'ca_cert': 'CA-1', 'ca_key': 'KEY-1', 'ca_cert_hash': 'sha256:1',
             'bootstrap_token': 'abcdef.0123456789abcdef'}


def render(workers=3, labels=None, credentials=None, bootstrap=None,
           removals=None, operation=None):
    return parameters.cluster_parameters(
        rows.cluster(labels=labels or {}), rows.template(),
        rows.nodegroup('master'), rows.nodegroup('worker', node_count=workers),
        removals=removals, operation=operation,
        bootstrap=bootstrap or BOOTSTRAP,
        credentials=credentials or CREDENTIALS)


def as_heat(params):
    """A stack's parameters as Heat shows them: strings."""
    return {k: str(v) for k, v in params.items()}


class InputsTest(testtools.TestCase):

    def test_user_data_and_image_inputs_per_group(self):
        found = generations.inputs(templates.CLUSTER)
        for group in ('masters', 'kube_minions'):
            self.assertIn('kube_tag', found[group])
            self.assertIn('image', found[group])
            self.assertIn('ca_cert_hash', found[group])
        # Only the masters carry the CA keys and the cloud credentials.
        for name in ('ca_key', 'trust_id', 'trustee_password'):
            self.assertIn(name, found['masters'])
            self.assertNotIn(name, found['kube_minions'])

    def test_topology_is_no_input(self):
        for entry in generations.GROUPS:
            for names in generations.inputs(entry).values():
                for topology in ('master_count', 'worker_count',
                                 'node_count', 'master_removal_list',
                                 'worker_removal_list', 'removal_list',
                                 'worker_max_batch_size', 'max_batch_size',
                                 'master_flavor', 'worker_flavor', 'flavor',
                                 'master_generation', 'worker_generation',
                                 'node_generation', 'node_fingerprints'):
                    self.assertNotIn(topology, names)

    def test_every_input_is_a_stack_parameter(self):
        for entry in generations.GROUPS:
            declared = {r.name for r in parameters.rows_for(entry)}
            for names in generations.inputs(entry).values():
                self.assertLessEqual(set(names), declared)


class AssignTest(testtools.TestCase):

    def created(self, **kwargs):
        params = render(**kwargs)
        self.assertEqual([], generations.assign(templates.CLUSTER, params))
        return as_heat(params)

    def updated(self, previous, **kwargs):
        params = render(**kwargs)
        raised = generations.assign(templates.CLUSTER, params, previous)
        return params, raised

    def test_a_new_stack_is_generation_one(self):
        params = self.created()
        self.assertEqual('1', params['master_generation'])
        self.assertEqual('1', params['worker_generation'])
        self.assertRegex(params['node_fingerprints'],
                         r'^kube_minions=[0-9a-f]{32},masters=[0-9a-f]{32}$')

    def test_resize_and_batch_size_replace_nothing(self):
        previous = self.created()
        params, raised = self.updated(
            previous, workers=5, removals={'worker': ['srv-1']},
            operation={'max_batch_size': 3})
        self.assertEqual([], raised)
        self.assertEqual(1, params['master_generation'])
        self.assertEqual(previous['node_fingerprints'],
                         params['node_fingerprints'])

    def test_an_upgrade_raises_both_groups(self):
        previous = self.created()
        params, raised = self.updated(previous,
                                      labels={'kube_tag': 'v1.36.4'})
        self.assertEqual(['masters', 'kube_minions'], raised)
        self.assertEqual((2, 2), (params['master_generation'],
                                  params['worker_generation']))

    def test_credential_rotation_raises_the_masters_only(self):
        previous = self.created()
        params, raised = self.updated(
            previous, credentials=dict(CREDENTIALS, trust_id='trust-2'))
        self.assertEqual(['masters'], raised)
        self.assertEqual((2, 1), (params['master_generation'],
                                  params['worker_generation']))

    def test_ca_rotation_raises_both_groups(self):
        previous = self.created()
        _, raised = self.updated(previous, bootstrap=dict(
            BOOTSTRAP, ca_cert='CA-2', ca_key='KEY-2',
            ca_cert_hash='sha256:2'))
        self.assertEqual(['masters', 'kube_minions'], raised)

    def test_a_retry_keeps_the_generation_it_raised(self):
        first, _ = self.updated(self.created(),
                                labels={'kube_tag': 'v1.36.4'})
        again, raised = self.updated(as_heat(first),
                                     labels={'kube_tag': 'v1.36.4'})
        self.assertEqual([], raised)
        self.assertEqual(2, again['master_generation'])

    def test_generations_keep_counting(self):
        params = self.created()
        for n, tag in enumerate(('v1.36.4', 'v1.37.1'), start=2):
            params, _ = self.updated(as_heat(params), labels={'kube_tag': tag})
            params = as_heat(params)
            self.assertEqual(str(n), params['worker_generation'])

    def test_a_stack_from_before_generations_is_not_replaced(self):
        # No node_fingerprints: its fingerprints become the baseline.
        previous = {k: v for k, v in self.created().items()
                    if k not in ('node_fingerprints', 'master_generation',
                                 'worker_generation')}
        params, raised = self.updated(previous)
        self.assertEqual([], raised)
        self.assertEqual(1, params['worker_generation'])

    def test_nodegroup_stacks_have_one_group(self):
        params = parameters.nodegroup_parameters(
            rows.cluster(), rows.template(), rows.nodegroup('worker'),
            {'fixed_network': 'n', 'fixed_subnet': 's', 'api_host': 'h',
             'worker_security_groups': ['sg']}, bootstrap=BOOTSTRAP)
        first = dict(params)
        generations.assign(templates.NODEGROUP, first)
        upgraded = dict(params, kube_tag='v1.36.4')
        self.assertEqual(['kube_minions'], generations.assign(
            templates.NODEGROUP, upgraded, as_heat(first)))
        self.assertEqual(2, upgraded['node_generation'])


def release(change=None):
    """``(template, files)`` of a cluster stack as this release sends
    them, with ``change`` ({files map name: new text}) applied: another
    release's files."""
    arguments = templates.stack_arguments(templates.CLUSTER)
    files = dict(arguments['files'])
    for url in files:
        for name, text in (change or {}).items():
            if url.endswith('/' + name):
                files[url] = text
    return arguments['template'], files


def moved(sent, old_dir, new_dir):
    """The same stack as an install in another directory sends it."""
    template, files = sent
    text = json.dumps(template).replace(old_dir, new_dir)
    return json.loads(text), {
        url.replace(old_dir, new_dir): _text(body).replace(old_dir, new_dir)
        for url, body in files.items()}


def _text(body):
    return body.decode() if isinstance(body, bytes) else body


class ContentTest(testtools.TestCase):
    """What besides parameters reaches a node: its template and files."""

    def changed(self, name):
        before = generations.content(templates.CLUSTER, *release())
        after = generations.content(templates.CLUSTER, *release(
            {name: 'another release\n'}))
        return sorted(g for g in before if before[g] != after[g])

    def test_a_fragment_every_node_reads_changes_both_groups(self):
        for name in ('fragments/bootstrap.sh.gz.b64', 'fragments/node.env',
                     'fragments/lib.sh.gz.b64'):
            self.assertEqual(['kube_minions', 'masters'], self.changed(name))

    def test_a_file_only_masters_read_changes_the_masters(self):
        for name in ('fragments/etcd-departures.sh.gz.b64',
                     'fragments/health-report.sh.gz.b64',
                     'fragments/cloud.env',
                     'addons/cinder-csi.yaml.gz.b64'):
            self.assertEqual(['masters'], self.changed(name))

    def test_a_file_no_node_reads_changes_nothing(self):
        # The plain manifests are the stack's; the nodes get the gz+b64.
        self.assertEqual([], self.changed('addons/cinder-csi.yaml'))

    def test_the_same_content_is_the_same_wherever_installed(self):
        sent = release()
        old_dir = templates.template_dir()
        elsewhere = moved(sent, old_dir, '/opt/other/kubernetes')
        self.assertNotEqual(sent[1].keys(), elsewhere[1].keys())
        self.assertEqual(generations.content(templates.CLUSTER, *sent),
                         generations.content(templates.CLUSTER, *elsewhere))

    def test_files_read_by_group(self):
        template, files = release()
        read = {g: {url.rsplit('/', 2)[-2] + '/' + url.rsplit('/', 1)[-1]
                    for url in urls} for g, urls in
                generations.files_read(templates.CLUSTER, template,
                                       files).items()}
        self.assertIn('fragments/bootstrap.sh.gz.b64', read['kube_minions'])
        self.assertIn('fragments/etcd-departures.sh.gz.b64',
                      read['masters'])
        self.assertNotIn('fragments/etcd-departures.sh.gz.b64',
                         read['kube_minions'])
        self.assertNotIn('addons/cinder-csi.yaml.gz.b64',
                         read['kube_minions'])


class ReleaseChangeTest(testtools.TestCase):
    """Issue 12 item 4: new files from a release are new user data."""

    def update(self, held, sent=None, previous=None):
        previous = previous or as_heat(_created())
        params = render()
        changed = generations.content_changes(
            templates.CLUSTER, sent or release(), held)
        raised = generations.assign(templates.CLUSTER, params, previous,
                                    changed)
        return params, raised

    def test_a_changed_fragment_raises_the_groups_that_read_it(self):
        # The defect: same parameters, new bootstrap.sh; Heat replaces
        # every server, so every node must be waited for again.
        params, raised = self.update(release(
            {'fragments/bootstrap.sh.gz.b64': 'the previous release\n'}))
        self.assertEqual(['masters', 'kube_minions'], raised)
        self.assertEqual((2, 2), (params['master_generation'],
                                  params['worker_generation']))

    def test_a_master_only_file_raises_the_masters_only(self):
        params, raised = self.update(release(
            {'fragments/etcd-departures.sh.gz.b64': 'previous\n'}))
        self.assertEqual(['masters'], raised)
        self.assertEqual((2, 1), (params['master_generation'],
                                  params['worker_generation']))

    def test_the_same_release_raises_nothing(self):
        _, raised = self.update(release())
        self.assertEqual([], raised)

    def test_a_stack_from_before_content_counted_is_not_rolled(self):
        # Its node_fingerprints hold parameter digests only, as this
        # release writes them: the format did not change, and the
        # stack's own files are what its content is judged by.
        previous = as_heat(_created())
        self.assertRegex(previous['node_fingerprints'],
                         r'^kube_minions=[0-9a-f]{32},masters=[0-9a-f]{32}$')
        params, raised = self.update(release(), previous=previous)
        self.assertEqual([], raised)
        self.assertEqual(previous['node_fingerprints'],
                         params['node_fingerprints'])

    def test_a_retry_of_a_release_change_keeps_the_generation(self):
        first, _ = self.update(release(
            {'fragments/bootstrap.sh.gz.b64': 'previous\n'}))
        # Heat holds what the first try sent.
        again, raised = self.update(release(), previous=as_heat(first))
        self.assertEqual([], raised)
        self.assertEqual(2, again['master_generation'])

    def test_a_stack_not_made_from_these_templates_counts_as_changed(self):
        template, files = release()
        _, raised = self.update((template, {}))
        self.assertEqual(['masters', 'kube_minions'], raised)

    def test_without_the_stack_s_own_files_only_parameters_count(self):
        self.assertEqual(set(), generations.content_changes(
            templates.CLUSTER, release(), None))


def _created():
    params = render()
    generations.assign(templates.CLUSTER, params)
    return params
