"""The API reference's samples (``doc/api/samples/``), recorded here.

One walk through every operation of ``doc/api/openapi.yaml`` over the whole
WSGI stack (SQLite, a real conductor, the fake driver), recording one
request and its response per operation. Values that change from run to run
(uuids, times, PEM bodies, the conductor's host) are replaced by stable
ones; each response must match its reply document in the OpenAPI document,
and the committed sample must equal the recorded one. When the API changes
on purpose, rewrite the samples:

    MAGNUM_LITE_WRITE_API_SAMPLES=1 tools/run-tests test_api_samples
"""

import json
import os
import re
import time
import uuid

import jsonschema
import yaml

from magnum_lite.tests import base
from magnum_lite.tests.functional import test_certificates

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
DOCUMENT = os.path.join(ROOT, 'doc', 'api', 'openapi.yaml')
SAMPLES = os.path.join(ROOT, 'doc', 'api', 'samples')
WRITE = os.environ.get('MAGNUM_LITE_WRITE_API_SAMPLES') == '1'
ADMIN = 'admin,member,reader'
VERSION = 'latest'

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?'
                   r'(\+00:00|Z)?')
_PEM = re.compile(r'(-----BEGIN ([A-Z ]+)-----\n)[A-Za-z0-9+/=\n]+?'
                  r'(-----END \2-----)')
_SAMPLE_NAMESPACE = uuid.UUID('6f1c6b1e-1d0b-4d7e-9a54-3c0f5e2b7a10')
# Fields whose value depends on timing: the conductor's heartbeats.
_STABLE_FIELDS = {'report_count': 1}


class Normaliser:
    """Stable stand-ins for the values that change between runs: the n-th
    distinct uuid seen becomes the same uuid in every run."""

    def __init__(self, host):
        self.uuids = {}
        self.host = host

    def _uuid(self, match):
        seen = self.uuids.setdefault(match.group(0), len(self.uuids))
        return str(uuid.uuid5(_SAMPLE_NAMESPACE, str(seen)))

    def text(self, value):
        value = _UUID.sub(self._uuid, value)
        value = _TIME.sub('2026-01-01T12:00:00+00:00', value)
        value = _PEM.sub(r'\1...\n\3', value)
        return value.replace(self.host, 'conductor-1')

    def __call__(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, dict):
            return {self(key): _STABLE_FIELDS.get(key, self(item))
                    for key, item in value.items()}
        return value


def _schema_validator(document, schema):
    root = {'$ref': schema['$ref'], 'components': document['components']}
    return jsonschema.Draft202012Validator(root)


class TestApiSamples(base.FunctionalTestCase):
    """Every operation once, in the order a user would meet them."""

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def setUp(self):
        super().setUp()
        with open(DOCUMENT) as f:
            self.document = yaml.safe_load(f)
        self.operations = {
            op['operationId']: op
            for methods in self.document['paths'].values()
            for op in methods.values()}
        self.normalise = Normaliser(base.Conductor.host)
        self.samples = {}

    def record(self, operation_id, method, path, body=None, status=None,
               **kwargs):
        """``self.call`` that keeps the first exchange of
        ``operation_id`` as its sample, and checks the reply against the
        operation's documents."""
        response = self.call(method, path, body, status=status,
                             roles=ADMIN, version=VERSION, **kwargs)
        reply = response.json if response.body else None
        operation = self.operations[operation_id]
        answers = operation['responses']
        answer = answers.get(str(response.status_int), answers['4XX'])
        if '$ref' in answer:
            answer = self.document['components']['responses'][
                answer['$ref'].rsplit('/', 1)[-1]]
        content = answer.get('content', {}).get('application/json')
        if content is not None:
            _schema_validator(self.document, content['schema']).validate(
                reply)
        headers = {'OpenStack-API-Version': f'container-infra {VERSION}'}
        if body is not None:
            headers['Content-Type'] = 'application/json'
        sample = {'request': {'method': method, 'path': path,
                              'headers': headers}}
        if body is not None:
            sample['request']['body'] = body
        sample['response'] = {'status': response.status_int}
        if reply is not None:
            sample['response']['body'] = reply
        self.samples.setdefault(operation_id, self.normalise(sample))
        return reply

    def settled(self, cluster, status='UPDATE_COMPLETE'):
        """Wait for the cluster's ``status``, then for its nodegroups and
        addresses: the conductor writes the cluster row first, so a
        sample taken at once would depend on timing."""
        self.wait_for(cluster, status)
        deadline = time.monotonic() + 10
        while True:
            body = self.call('GET', f'/v1/clusters/{cluster}').json
            groups = self.call(
                'GET', f'/v1/clusters/{cluster}/nodegroups').json
            done = [g['status'].endswith('_COMPLETE')
                    for g in groups['nodegroups']]
            if (all(done) and len(body['node_addresses'])
                    == body['node_count']):
                return
            self.assertLess(time.monotonic(), deadline, (body, groups))
            time.sleep(0.1)

    def walk_templates(self):
        body = {'name': 'k8s-v1.36', 'coe': 'kubernetes',
                'image_id': 'debian-12-k8s', 'keypair_id': 'ops',
                'external_network_id': 'public',
                'master_flavor_id': 'm1.medium', 'flavor_id': 'm1.small',
                'master_lb_enabled': True, 'network_driver': 'calico',
                'labels': {'kube_tag': 'v1.36'}}
        self.record('clustertemplates.create', 'POST',
                    '/v1/clustertemplates', body, status=201)
        self.call('POST', '/v1/clustertemplates',
                  dict(body, name='k8s-v1.37', labels={'kube_tag': 'v1.37'}),
                  roles=ADMIN, status=201)
        self.record('clustertemplates.get_all', 'GET',
                    '/v1/clustertemplates?limit=1')
        self.record('clustertemplates.detail', 'GET',
                    '/v1/clustertemplates/detail?limit=1')
        self.record('clustertemplates.get_one', 'GET',
                    '/v1/clustertemplates/k8s-v1.36')
        self.record('clustertemplates.patch', 'PATCH',
                    '/v1/clustertemplates/k8s-v1.36',
                    [{'op': 'replace', 'path': '/docker_volume_size',
                      'value': 20}])
        for method in ('PATCH', 'DELETE'):
            self.record(f'clustertemplates._missing_ident.{method.lower()}',
                        method, '/v1/clustertemplates', status='*')

    def walk_clusters(self):
        accepted = self.record(
            'clusters.create', 'POST', '/v1/clusters',
            {'name': 'prod', 'cluster_template_id': 'k8s-v1.36',
             'master_count': 3, 'node_count': 2, 'keypair': 'ops',
             'labels': {'min_node_count': '1'}, 'create_timeout': 60},
            status=202)
        uuid_ = accepted['uuid']
        self.settled(uuid_, 'CREATE_COMPLETE')
        self.record('clusters.get_all', 'GET', '/v1/clusters')
        self.record('clusters.detail', 'GET', '/v1/clusters/detail')
        self.record('clusters.get_one', 'GET', f'/v1/clusters/{uuid_}')
        self.record('clusters.patch', 'PATCH', f'/v1/clusters/{uuid_}',
                    [{'op': 'replace', 'path': '/node_count', 'value': 3}],
                    status=202)
        self.settled(uuid_)
        for method in ('PATCH', 'DELETE'):
            self.record(f'clusters._missing_ident.{method.lower()}',
                        method, '/v1/clusters', status='*')
        return uuid_

    def walk_nodegroups(self, cluster):
        path = f'/v1/clusters/{cluster}/nodegroups'
        self.record('nodegroups.create', 'POST', path,
                    {'name': 'gpu', 'node_count': 1, 'min_node_count': 1,
                     'max_node_count': 3, 'role': 'gpu',
                     'flavor_id': 'g1.large',
                     'node_labels': {'node.kubernetes.io/pool': 'gpu'},
                     'node_taints': [{'key': 'gpu', 'value': 'yes',
                                      'effect': 'NoSchedule'}]},
                    status=202)
        self.settled(cluster)
        self.record('nodegroups.get_all', 'GET', path)
        self.record('nodegroups.get_one', 'GET', f'{path}/gpu')
        self.record('nodegroups.patch', 'PATCH', f'{path}/gpu',
                    [{'op': 'replace', 'path': '/max_node_count',
                      'value': 4}], status=202)
        self.record('nodegroups.delete', 'DELETE', f'{path}/gpu',
                    status=204)
        self.settled(cluster)

    def walk_actions(self, cluster):
        self.record('cluster_actions.resize', 'POST',
                    f'/v1/clusters/{cluster}/actions/resize',
                    {'node_count': 2, 'nodegroup': 'default-worker'},
                    status=202)
        self.settled(cluster)
        self.record('cluster_actions.upgrade', 'POST',
                    f'/v1/clusters/{cluster}/actions/upgrade',
                    {'cluster_template': 'k8s-v1.37', 'max_batch_size': 1,
                     'nodegroup': 'default-worker'}, status=202)
        self.settled(cluster)
        self.record('certificates.get_one', 'GET',
                    f'/v1/certificates/{cluster}')
        self.record('certificates.create', 'POST', '/v1/certificates',
                    {'cluster_uuid': cluster,
                     'csr': test_certificates.make_csr()}, status=201)
        self.record('certificates.rotate', 'PATCH',
                    f'/v1/certificates/{cluster}', status=202)
        self.settled(cluster)
        self.record('credentials.rotate', 'PATCH',
                    f'/v1/credentials/{cluster}', status=202)
        self.settled(cluster)

    def walk_quotas(self):
        self.record('quotas.create', 'POST', '/v1/quotas',
                    {'project_id': 'project-b', 'resource': 'Cluster',
                     'hard_limit': 10}, status=201)
        self.record('quotas.get_all', 'GET', '/v1/quotas?all_tenants=true')
        self.record('quotas.get_one', 'GET', '/v1/quotas/project-b/Cluster')
        self.record('quotas.update', 'PATCH', '/v1/quotas/project-b/Cluster',
                    {'project_id': 'project-b', 'resource': 'Cluster',
                     'hard_limit': 20}, status=202)
        self.record('quotas.delete', 'DELETE',
                    '/v1/quotas/project-b/Cluster', status=204)

    def walk_the_rest(self):
        self.record('v1.show', 'GET', '/v1')
        self.record('stats.get_all', 'GET', '/v1/stats')
        self.record('mservices.get_all', 'GET', '/v1/mservices')
        self.record('federations.get_all', 'GET', '/v1/federations')
        self.record('federations.detail', 'GET', '/v1/federations/detail')
        self.record('federations.get_one', 'GET', '/v1/federations/fed-1',
                    status='*')
        self.record('federations.unsupported.post', 'POST',
                    '/v1/federations', {'name': 'fed-1'}, status='*')
        self.record('federations.unsupported.patch', 'PATCH',
                    '/v1/federations/fed-1',
                    [{'op': 'replace', 'path': '/name', 'value': 'x'}],
                    status='*')
        self.record('federations.unsupported.delete', 'DELETE',
                    '/v1/federations/fed-1', status='*')

    def compare_or_write(self):
        if WRITE:
            for name in os.listdir(SAMPLES):
                if name.endswith('.json'):
                    os.remove(os.path.join(SAMPLES, name))
        for operation_id, sample in sorted(self.samples.items()):
            path = os.path.join(SAMPLES, operation_id + '.json')
            text = json.dumps(sample, indent=2) + '\n'
            if WRITE:
                with open(path, 'w') as f:
                    f.write(text)
                continue
            self.assertTrue(os.path.exists(path),
                            f'{path} is missing; see this module\'s doc')
            with open(path) as f:
                self.assertEqual(
                    f.read(), text,
                    f'{path} differs from the API; if the change is meant, '
                    'rewrite the samples as this module\'s doc says')
        committed = {name[:-len('.json')] for name in os.listdir(SAMPLES)
                     if name.endswith('.json')}
        self.assertEqual(set(self.samples), committed)

    def test_every_operation_has_its_sample(self):
        self.walk_templates()
        cluster = self.walk_clusters()
        self.walk_nodegroups(cluster)
        self.walk_actions(cluster)
        self.walk_quotas()
        self.walk_the_rest()
        self.record('clusters.delete', 'DELETE', f'/v1/clusters/{cluster}',
                    status=204)
        self.wait_for(cluster, None)
        self.record('clustertemplates.delete', 'DELETE',
                    '/v1/clustertemplates/k8s-v1.37', status=204)
        self.assertEqual(sorted(self.operations), sorted(self.samples))
        self.compare_or_write()
