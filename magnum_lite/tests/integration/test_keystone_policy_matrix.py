"""Every route x every kind of caller -> the status Magnum's policy
defaults give, against the real Keystone (``harness.keystone``) and the
API behind keystonemiddleware (``harness.api_server``, fake driver).

Callers (columns of :data:`MATRIX`):

- ``admin``: user admin, role admin, token scoped to the owning project
  ``alpha``; ``foreign-admin``: the same user scoped to project ``admin``
  (admin rights reach every project where Magnum looks clusters up across
  projects: shows, lists, update, delete; not resize, nodegroup writes,
  certificates and credentials, which look in the caller's project);
- ``member`` / ``reader``: alpha-member / alpha-reader, of the owning
  project ``alpha`` (the member created everything);
- ``other``: beta-member, member of another project;
- ``trustee``: the trustee of cluster ``c1``, with the trust the conductor
  made at cluster create (impersonating alpha-member, role member);
- ``none``: no token; ``bad``: a token Keystone never issued.

Magnum's answers: readers read, members write, admins do everything;
another project's resources are not found (404, 400 where the cluster is
named in the body); the project-less admin routes (quotas, services) are
403 for others; no or a bad token is 401 everywhere but the version
documents. A cluster's trustee may show its cluster, get its CA and sign
a CSR for it and report its health, and nothing else (403), on no
other cluster.

Mutating calls run for real: a row marked ``fresh`` gets a new victim
resource after every call that succeeded, a row marked ``settle`` waits
for the cluster to be stable again.
"""

import uuid

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from magnum_lite.tests import base
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import keystone

CALLERS = ('admin', 'foreign-admin', 'member', 'reader', 'other',
           'trustee', 'none', 'bad')
# caller: (user, project)
_USERS = {'admin': ('admin', 'alpha'), 'foreign-admin': ('admin', 'admin'),
          'member': ('alpha-member', None), 'reader': ('alpha-reader', None),
          'other': ('beta-member', None)}
TEMPLATE = {'coe': 'kubernetes', 'image_id': 'img-1', 'flavor_id': 'm1',
            'master_flavor_id': 'm1', 'keypair_id': 'kp',
            'master_lb_enabled': True}
NO = (401, 401)  # no token, bad token
HEALTH_REPORT = [{'op': 'replace', 'path': '/health_status',
                  'value': 'HEALTHY'},
                 {'op': 'replace', 'path': '/health_status_reason',
                  'value': '{"api": "ok"}'}]


def _csr():
    key = ec.generate_private_key(ec.SECP256R1())
    csr = cx509.CertificateSigningRequestBuilder().subject_name(
        cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, 'kubectl')]))
    return csr.sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode()


def _name(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


# (method, path, body or callable(world) -> body, statuses in CALLERS
#  order, options). Paths and string bodies are formatted with the world.
MATRIX = [
    ('GET', '/v1/', None, (200, 200, 200, 200, 200, 200, 200, 200), {}),
    # Templates.
    ('GET', '/v1/clustertemplates', None,
     (200, 200, 200, 200, 200, 403) + NO, {}),
    ('GET', '/v1/clustertemplates/detail', None,
     (200, 200, 200, 200, 200, 403) + NO, {}),
    ('POST', '/v1/clustertemplates',
     lambda w: dict(TEMPLATE, name=_name('t')),
     (201, 201, 201, 403, 201, 403) + NO, {}),
    ('PATCH', '/v1/clustertemplates', [], (400, 400, 400, 400, 400, 400) + NO,
     {}),
    ('DELETE', '/v1/clustertemplates', None,
     (400, 400, 400, 400, 400, 400) + NO, {}),
    ('GET', '/v1/clustertemplates/{free}', None,
     (200, 200, 200, 200, 404, 403) + NO, {}),
    ('PATCH', '/v1/clustertemplates/{free}',
     [{'op': 'replace', 'path': '/dns_nameserver', 'value': '8.8.4.4'}],
     (200, 200, 200, 403, 404, 403) + NO, {}),
    ('DELETE', '/v1/clustertemplates/{victim_template}', None,
     (204, 204, 204, 403, 404, 403) + NO, {'fresh': 'victim_template'}),
    # Clusters.
    ('GET', '/v1/clusters', None, (200, 200, 200, 200, 200, 403) + NO, {}),
    ('GET', '/v1/clusters/detail', None,
     (200, 200, 200, 200, 200, 403) + NO, {}),
    ('POST', '/v1/clusters',
     lambda w: {'name': _name('c'), 'cluster_template_id': w['tpl'],
                'master_count': 1, 'node_count': 1},
     (202, 202, 202, 403, 404, 403) + NO, {}),
    ('PATCH', '/v1/clusters', [], (400,) * 6 + NO, {}),
    ('DELETE', '/v1/clusters', None, (400,) * 6 + NO, {}),
    ('GET', '/v1/clusters/{c1}', None,
     (200, 200, 200, 200, 404, 200) + NO, {}),
    ('GET', '/v1/clusters/{c2}', None,
     (200, 200, 200, 200, 404, 403) + NO, {}),
    ('PATCH', '/v1/clusters/{c1}',
     [{'op': 'replace', 'path': '/node_count', 'value': 2}],
     (202, 202, 202, 403, 404, 403) + NO, {'settle': 'c1'}),
    # What a cluster reports of its health (Magnum's auto-healer, at
    # 1.10): its own credential may, on its own cluster only.
    ('PATCH', '/v1/clusters/{c1}', HEALTH_REPORT,
     (202, 202, 202, 403, 404, 202) + NO, {}),
    ('PATCH', '/v1/clusters/{c2}', HEALTH_REPORT,
     (202, 202, 202, 403, 404, 403) + NO, {}),
    ('POST', '/v1/clusters/{c1}/actions/resize', {'node_count': 1},
     (202, 404, 202, 403, 404, 403) + NO, {'settle': 'c1'}),
    ('POST', '/v1/clusters/{c1}/actions/upgrade',
     {'cluster_template': '{tpl2}'},
     (202, 202, 202, 403, 404, 403) + NO, {'settle': 'c1'}),
    ('DELETE', '/v1/clusters/{victim_cluster}', None,
     (204, 204, 204, 403, 404, 403) + NO, {'fresh': 'victim_cluster'}),
    # Nodegroups.
    ('GET', '/v1/clusters/{c1}/nodegroups', None,
     (200, 200, 200, 200, 404, 403) + NO, {}),
    ('GET', '/v1/clusters/{c1}/nodegroups/{worker}', None,
     (200, 200, 200, 200, 404, 403) + NO, {}),
    ('POST', '/v1/clusters/{c1}/nodegroups',
     lambda w: {'name': _name('ng'), 'node_count': 1},
     (202, 404, 202, 403, 404, 403) + NO, {'settle': 'c1'}),
    ('PATCH', '/v1/clusters/{c1}/nodegroups/{worker}',
     [{'op': 'replace', 'path': '/max_node_count', 'value': 5}],
     (202, 404, 202, 403, 404, 403) + NO, {'settle': 'c1'}),
    ('DELETE', '/v1/clusters/{c1}/nodegroups/{victim_nodegroup}', None,
     (204, 404, 204, 403, 404, 403) + NO,
     {'fresh': 'victim_nodegroup', 'settle': 'c1'}),
    # Quotas, stats, services.
    ('GET', '/v1/quotas', None, (200, 200, 403, 403, 403, 403) + NO, {}),
    ('POST', '/v1/quotas',
     lambda w: {'project_id': w['alpha'], 'resource': 'Cluster',
                'hard_limit': 50},
     (201, 201, 403, 403, 403, 403) + NO, {'fresh': 'no_quota'}),
    ('GET', '/v1/quotas/{alpha}/Cluster', None,
     (200, 200, 200, 200, 403, 403) + NO, {}),
    ('PATCH', '/v1/quotas/{alpha}/Cluster',
     {'project_id': '{alpha}', 'resource': 'Cluster', 'hard_limit': 40},
     (202, 202, 403, 403, 403, 403) + NO, {'fresh': 'quota'}),
    ('DELETE', '/v1/quotas/{alpha}/Cluster', None,
     (204, 204, 403, 403, 403, 403) + NO, {'fresh': 'quota'}),
    ('GET', '/v1/stats', None, (200, 200, 200, 200, 200, 403) + NO, {}),
    ('GET', '/v1/stats?project_id={alpha}', None,
     (200, 200, 200, 200, 403, 403) + NO, {}),
    ('GET', '/v1/mservices', None, (200, 200, 403, 403, 403, 403) + NO, {}),
    # Certificates and credentials: the CA is the cluster creator's.
    ('GET', '/v1/certificates/{c1}', None,
     (200, 404, 200, 403, 404, 200) + NO, {}),
    ('GET', '/v1/certificates/{c2}', None,
     (200, 404, 200, 403, 404, 403) + NO, {}),
    ('POST', '/v1/certificates',
     lambda w: {'cluster_uuid': w['c1'], 'csr': w['csr']},
     (201, 400, 201, 403, 400, 201) + NO, {}),
    ('POST', '/v1/certificates',
     lambda w: {'cluster_uuid': w['c2'], 'csr': w['csr']},
     (201, 400, 201, 403, 400, 403) + NO, {}),
    ('PATCH', '/v1/certificates/{victim_cluster}', None,
     (202, 404, 202, 403, 404, 403) + NO, {'fresh': 'victim_cluster'}),
    ('PATCH', '/v1/credentials/{victim_cluster}', None,
     (202, 404, 202, 403, 404, 403) + NO, {'fresh': 'victim_cluster'}),
    # Federations: never implemented; reads answer empty.
    ('GET', '/v1/federations', None, (200, 200, 200, 200, 200, 403) + NO, {}),
    ('GET', '/v1/federations/detail', None,
     (200, 200, 200, 200, 200, 403) + NO, {}),
    ('GET', '/v1/federations/f1', None,
     (404, 404, 404, 404, 404, 403) + NO, {}),
    ('PATCH', '/v1/federations/f1', [], (400,) * 6 + NO, {}),
    ('DELETE', '/v1/federations/f1', None, (400,) * 6 + NO, {}),
    ('POST', '/v1/federations', {}, (400, 400, 400, 400, 400, 400) + NO, {}),
]


class PolicyMatrixTest(api_server.ServerPerClass, base.DbTestCase):

    scenarios = [('mysql', {'backend': 'mysql'})]
    backend = 'mysql'

    @classmethod
    def server_options(cls):
        cls.keystone = keystone.shared()
        return {'keystone': cls.keystone,
                'config': {'trust': cls.keystone.trust_options()}}

    def setUp(self):
        super().setUp()
        self.tokens = {name: self.keystone.token(user, project=project)
                       for name, (user, project) in _USERS.items()}
        self.tokens['bad'] = 'gAAAAAB' + uuid.uuid4().hex * 4
        self.tokens['none'] = None

    # -- plumbing ------------------------------------------------------

    def call(self, caller, method, path, body=None):
        token = self.tokens[caller]
        headers = {'X-Auth-Token': token} if token else {}
        return self.server.request(method, path.removeprefix('/v1'), body,
                                   headers=headers)

    def ok(self, method, path, body=None, status=None, caller='member'):
        code, reply = self.call(caller, method, path, body)
        if status is not None:
            self.assertEqual(status, code, f'{method} {path}: {reply}')
        return reply

    def settle(self, cluster, timeout=60):
        import time
        deadline = time.monotonic() + timeout
        while True:
            reply = self.ok('GET', f'/v1/clusters/{cluster}', status=200)
            if not reply['status'].endswith('IN_PROGRESS'):
                return reply
            if time.monotonic() > deadline:
                self.fail(f'cluster {cluster} still {reply["status"]}')
            time.sleep(0.2)

    def new_template(self):
        return self.ok('POST', '/v1/clustertemplates',
                       dict(TEMPLATE, name=_name('tpl')), 201)['uuid']

    def new_cluster(self, template):
        uuid_ = self.ok('POST', '/v1/clusters',
                        {'name': _name('c'), 'cluster_template_id': template,
                         'master_count': 1, 'node_count': 1}, 202)['uuid']
        self.settle(uuid_)
        return uuid_

    def world(self):
        world = {'alpha': self.keystone.projects['alpha'], 'csr': _csr()}
        world['tpl'] = self.new_template()
        world['free'] = self.new_template()
        world['tpl2'] = self.new_template()
        world['c1'] = self.new_cluster(world['tpl'])
        world['c2'] = self.new_cluster(world['tpl'])
        nodegroups = self.ok('GET', f'/v1/clusters/{world["c1"]}/nodegroups',
                             status=200)['nodegroups']
        world['worker'] = next(n['uuid'] for n in nodegroups
                               if n['role'] == 'worker')
        self.tokens['trustee'] = self.keystone.cluster_token(world['c1'])
        return world

    def refresh(self, world, what):
        """A new victim for a ``fresh`` row."""
        if what == 'victim_template':
            world[what] = self.new_template()
        elif what == 'victim_cluster':
            world[what] = self.new_cluster(world['tpl'])
        elif what == 'victim_nodegroup':
            self.settle(world['c1'])
            world[what] = self.ok(
                'POST', f'/v1/clusters/{world["c1"]}/nodegroups',
                {'name': _name('ng'), 'node_count': 1}, 202)['uuid']
            self.settle(world['c1'])
        elif what == 'quota':
            self.ok('POST', '/v1/quotas',
                    {'project_id': world['alpha'], 'resource': 'Cluster',
                     'hard_limit': 30}, caller='admin')
        elif what == 'no_quota':
            self.call('admin', 'DELETE',
                      f'/v1/quotas/{world["alpha"]}/Cluster')

    @staticmethod
    def _format(value, world):
        if isinstance(value, str):
            return value.format(**world)
        if isinstance(value, dict):
            return {k: PolicyMatrixTest._format(v, world)
                    for k, v in value.items()}
        return value

    # -- the matrix ----------------------------------------------------

    def test_matrix_covers_every_route(self):
        """Each route of the router is the one some row dispatches to."""
        from magnum_lite.api.controllers import v1

        router = v1.build_router()
        hit = set()
        for method, path, _, _, _ in MATRIX:
            parts = [p for p in path.split('?')[0].removeprefix('/v1')
                     .split('/') if p]
            hit.add(router.match(method, parts)[0])
        missing = [f'{r.method} /{"/".join(r.segments)}'
                   for r in router.endpoints if r not in hit]
        self.assertEqual([], missing)

    def test_matrix(self):
        world = self.world()
        mismatches = []
        cells = 0
        for method, path, body, expected, options in MATRIX:
            fresh = options.get('fresh')
            if fresh:
                self.refresh(world, fresh)
            for caller, want in zip(CALLERS, expected, strict=True):
                if options.get('settle'):
                    self.settle(world[options['settle']])
                data = body(world) if callable(body) else self._format(
                    body, world)
                url = path.format(**world)
                code, reply = self.call(caller, method, url, data)
                cells += 1
                if code != want:
                    detail = (reply or {}).get('errors', [{}])[0].get(
                        'detail') if isinstance(reply, dict) else reply
                    mismatches.append(f'{method} {path} as {caller}: '
                                      f'{code}, expected {want} ({detail})')
                if 200 <= code < 300 and fresh:
                    self.refresh(world, fresh)
        self.assertEqual(len(MATRIX) * len(CALLERS), cells)
        self.assertEqual([], mismatches,
                         f'{len(mismatches)} of {cells} cells differ:\n'
                         + '\n'.join(mismatches))

    def test_other_projects_see_nothing(self):
        """beta-member: alpha's clusters and private template appear in
        no list, show, stats or error message."""
        world = self.world()
        cluster = self.ok('GET', f'/v1/clusters/{world["c1"]}', status=200)
        template = self.ok('GET', f'/v1/clustertemplates/{world["tpl"]}',
                           status=200)
        secrets_of_alpha = [world['alpha'], cluster['name'],
                            template['name'], world['c2'], world['tpl'],
                            world['free'], world['worker'],
                            self.keystone.users['alpha-member'].id]
        probes = [
            ('GET', '/v1/clusters', None),
            ('GET', '/v1/clusters/detail', None),
            ('GET', '/v1/clustertemplates', None),
            ('GET', '/v1/clustertemplates/detail', None),
            ('GET', '/v1/stats', None),
            ('GET', f'/v1/clusters/{world["c1"]}', None),
            ('GET', f'/v1/clusters/{cluster["name"]}', None),
            ('GET', f'/v1/clusters/{world["c1"]}/nodegroups', None),
            ('GET', f'/v1/certificates/{world["c1"]}', None),
            ('POST', '/v1/certificates',
             {'cluster_uuid': world['c1'], 'csr': world['csr']}),
            ('POST', '/v1/clusters',
             {'name': 'x', 'cluster_template_id': template['name'],
              'master_count': 1, 'node_count': 1}),
            ('PATCH', f'/v1/clusters/{world["c1"]}',
             [{'op': 'replace', 'path': '/node_count', 'value': 3}]),
            ('DELETE', f'/v1/clusters/{world["c1"]}', None),
            ('PATCH', f'/v1/credentials/{world["c1"]}', None),
        ]
        leaks = []
        for method, path, body in probes:
            code, reply = self.call('other', method, path, body)
            text = str(reply)
            # Error messages may echo what the caller sent.
            sent = path + str(body)
            leaked = [s for s in secrets_of_alpha
                      if s in text and s not in sent]
            if leaked or code < 200 or (code < 300 and method != 'GET'):
                leaks.append(f'{method} {path}: {code} {leaked} {text}')
        stats = self.ok('GET', '/v1/stats', status=200, caller='other')
        self.assertEqual({'clusters': 0, 'nodes': 0}, stats)
        for kind in ('clusters', 'clustertemplates'):
            listed = self.ok('GET', f'/v1/{kind}', status=200,
                             caller='other')[kind]
            self.assertEqual([], listed)
        self.assertEqual([], leaks, '\n'.join(leaks))
        # And alpha still has everything.
        self.assertEqual(200, self.call('member', 'GET',
                                        f'/v1/clusters/{world["c1"]}')[0])
