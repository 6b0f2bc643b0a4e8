"""Stand-ins for Nova, Glance and Neutron: just the lists Horizon's
magnum-ui forms and magnum-lite's cloud checks read.

Not services: one WSGI application on a free port of 127.0.0.1, in a
thread of the test process, answering the few read-only calls these
clients make (versions, flavors, keypairs, availability zones, servers,
images, networks, subnets, extensions) from fixed data, and 404 to
anything else (listed
in ``unknown``, so a test can show what a newer client began to ask).
Tokens are not checked. For the real services, see
:mod:`magnum_lite.tests.harness.openstack` (the one-box control plane).

::

    clouds = self.useFixture(CloudStandIns())
    clouds.register(keystone_harness)   # compute, image, network in
                                        # the catalog of RegionOne
    clouds.IMAGE['name'], clouds.EXTERNAL_NETWORK['id'], ...
"""

import json
import re
import threading
import uuid
from socketserver import ThreadingMixIn
from urllib import parse
from wsgiref import simple_server

import fixtures

# What there is. The image's os_distro is one magnum-ui offers (it lists
# only coreos, fedora-atomic, fedora-coreos and ubuntu) and magnum-lite
# accepts ([api] node_image_distros).
IMAGE = {
    'id': str(uuid.UUID(int=1)), 'name': 'ubuntu-node', 'status': 'active',
    'visibility': 'public', 'os_distro': 'ubuntu', 'disk_format': 'qcow2',
    'container_format': 'bare', 'size': 1 << 30, 'min_disk': 0,
    'min_ram': 0, 'protected': False, 'tags': [],
    'owner': None, 'created_at': '2026-01-01T00:00:00Z',
    'updated_at': '2026-01-01T00:00:00Z',
}
FLAVORS = [
    {'id': '2', 'name': 'm1.small', 'vcpus': 1, 'ram': 2048, 'disk': 20},
    {'id': '3', 'name': 'm1.medium', 'vcpus': 2, 'ram': 4096, 'disk': 40},
]
KEYPAIR = {'name': 'browser-key', 'type': 'ssh',
           'fingerprint': '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff',
           'public_key': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB4 test'}
EXTERNAL_NETWORK = {'id': str(uuid.UUID(int=2)), 'name': 'public',
                    'router:external': True, 'shared': True}
PRIVATE_NETWORK = {'id': str(uuid.UUID(int=3)), 'name': 'private',
                   'router:external': False, 'shared': False}
SUBNET = {'id': str(uuid.UUID(int=4)), 'name': 'private-subnet',
          'network_id': PRIVATE_NETWORK['id'], 'cidr': '10.0.0.0/24',
          'ip_version': 4, 'enable_dhcp': True, 'gateway_ip': '10.0.0.1',
          'allocation_pools': [{'start': '10.0.0.2', 'end': '10.0.0.254'}],
          'dns_nameservers': [], 'host_routes': []}

SERVICES = (('nova', 'compute', '/compute/v2.1'),
            ('glance', 'image', '/image'),
            ('neutron', 'network', '/network'))


def _flavor(flavor, base):
    return dict(flavor, **{
        'links': [{'rel': 'self', 'href': f"{base}/flavors/{flavor['id']}"}],
        'OS-FLV-EXT-DATA:ephemeral': 0, 'OS-FLV-DISABLED:disabled': False,
        'os-flavor-access:is_public': True, 'swap': '', 'rxtx_factor': 1.0,
        'description': None, 'extra_specs': {}})


def _network(network, project_id):
    subnets = [SUBNET['id']] if network is PRIVATE_NETWORK else []
    return dict(network, **{
        'status': 'ACTIVE', 'admin_state_up': True, 'subnets': subnets,
        'project_id': project_id, 'tenant_id': project_id, 'mtu': 1450,
        'availability_zones': [], 'tags': [], 'description': '',
        'port_security_enabled': True, 'is_default': False})


def _subnet(project_id):
    return dict(SUBNET, project_id=project_id, tenant_id=project_id)


def _matches(item, query):
    """Neutron's filters: every query key the item has must be equal
    (booleans compared as Neutron's ``True``/``true``)."""
    for key, values in query.items():
        if key not in item:
            continue
        have = item[key]
        have = str(have).lower() if isinstance(have, bool) else str(have)
        if not any(have == (v.lower() if v.lower() in ('true', 'false')
                            else v) for v in values):
            return False
    return True


class _Server(ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _Quiet(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class CloudStandIns(fixtures.Fixture):
    """The stand-in application served on ``url`` (``http://127.0.0.1:P``)
    for the life of the fixture; ``requests`` and ``unknown`` are the
    ``(method, path)`` it answered and those it did not know.

    ``project_id``: the project the private network and its subnet
    belong to (the network list shows it to that project only)."""

    IMAGE = IMAGE
    FLAVORS = FLAVORS
    KEYPAIR = KEYPAIR
    EXTERNAL_NETWORK = EXTERNAL_NETWORK
    PRIVATE_NETWORK = PRIVATE_NETWORK
    SUBNET = SUBNET

    def __init__(self, project_id):
        super().__init__()
        self.project_id = project_id
        self.requests = []
        self.unknown = []
        self._routes = [
            ('/compute/v2.1/?', self._nova_version),
            ('/compute/v2.1/flavors(/detail)?', self._flavors),
            ('/compute/v2.1/flavors/([^/]+)', self._flavor),
            ('/compute/v2.1/flavors/([^/]+)/os-extra_specs',
             lambda env, base, _: {'extra_specs': {}}),
            ('/compute/v2.1/os-keypairs',
             lambda env, base: {'keypairs': [{'keypair': KEYPAIR}]}),
            ('/compute/v2.1/os-keypairs/([^/]+)', self._keypair),
            ('/compute/v2.1/os-availability-zone(/detail)?',
             lambda env, base, _: {'availabilityZoneInfo': [{
                 'zoneName': 'nova', 'zoneState': {'available': True},
                 'hosts': None}]}),
            ('/compute/v2.1/servers(/detail)?',
             lambda env, base, _: {'servers': []}),
            ('/image/?', self._glance_versions),
            ('/image/v2/images', self._images),
            ('/image/v2/images/([^/]+)', self._image),
            ('/image/v2/schemas/image', self._image_schema),
            ('/network/?', self._neutron_versions),
            ('/network/v2.0/networks', self._networks),
            ('/network/v2.0/networks/([^/]+)', self._one_network),
            ('/network/v2.0/subnets', self._subnets),
            ('/network/v2.0/extensions',
             lambda env, base: {'extensions': []}),
        ]

    def _setUp(self):
        self._server = simple_server.make_server(
            '127.0.0.1', 0, self._app, server_class=_Server,
            handler_class=_Quiet)
        self.url = f'http://127.0.0.1:{self._server.server_port}'
        thread = threading.Thread(target=self._server.serve_forever,
                                  name='cloud-standins', daemon=True)
        thread.start()
        self.addCleanup(self._server.server_close)
        self.addCleanup(self._server.shutdown)

    def register(self, keystone):
        """Put the three services in ``keystone``'s catalog (a
        KeystoneHarness), public interface, its region."""
        for name, service_type, path in SERVICES:
            keystone.set_endpoint(name, service_type, self.url + path)

    # -- the WSGI application --------------------------------------------

    def _app(self, environ, start_response):
        method = environ['REQUEST_METHOD']
        path = environ.get('PATH_INFO', '')
        self.requests.append((method, path))
        body = None
        if method == 'GET':
            for pattern, handler in self._routes:
                found = re.fullmatch(pattern, path)
                if found:
                    body = handler(environ, self.url, *found.groups())
                    break
        if body is None:
            self.unknown.append((method, path))
            status, body = '404 Not Found', {'itemNotFound': {
                'code': 404, 'message': f'{path}: not in the stand-in'}}
        else:
            status = '200 OK'
        data = json.dumps(body).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(data)))])
        return [data]

    @staticmethod
    def _query(environ):
        return parse.parse_qs(environ.get('QUERY_STRING', ''))

    # Nova

    @staticmethod
    def _nova_version(environ, base):
        return {'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': '2.90',
            'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': base + '/compute/v2.1/'}]}}

    @staticmethod
    def _flavors(environ, base, detail):
        base += '/compute/v2.1'
        return {'flavors': [_flavor(f, base) for f in FLAVORS]}

    @staticmethod
    def _flavor(environ, base, ident):
        for flavor in FLAVORS:
            if ident in (flavor['id'], flavor['name']):
                return {'flavor': _flavor(flavor, base + '/compute/v2.1')}
        return None

    @staticmethod
    def _keypair(environ, base, name):
        if parse.unquote(name) == KEYPAIR['name']:
            return {'keypair': dict(KEYPAIR, user_id='', deleted=False)}
        return None

    # Glance

    @staticmethod
    def _glance_versions(environ, base):
        return {'versions': [{
            'id': 'v2.16', 'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': base + '/image/v2/'}]}]}

    def _images(self, environ, base):
        query = self._query(environ)
        images = [dict(IMAGE, self=f"/v2/images/{IMAGE['id']}")]
        if 'name' in query and IMAGE['name'] not in query['name']:
            images = []
        return {'images': images, 'first': '/v2/images',
                'schema': '/v2/schemas/images'}

    @staticmethod
    def _image(environ, base, ident):
        return dict(IMAGE) if ident == IMAGE['id'] else None

    @staticmethod
    def _image_schema(environ, base):
        return {'name': 'image', 'additionalProperties': {'type': 'string'},
                'properties': {key: {} for key in IMAGE}, 'links': []}

    # Neutron

    @staticmethod
    def _neutron_versions(environ, base):
        return {'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': base + '/network/v2.0/'}]}]}

    def _all_networks(self):
        return [_network(n, self.project_id)
                for n in (EXTERNAL_NETWORK, PRIVATE_NETWORK)]

    def _networks(self, environ, base):
        query = self._query(environ)
        query.pop('fields', None)
        return {'networks': [n for n in self._all_networks()
                             if _matches(n, query)]}

    def _one_network(self, environ, base, ident):
        for network in self._all_networks():
            if network['id'] == ident:
                return {'network': network}
        return None

    def _subnets(self, environ, base):
        query = self._query(environ)
        query.pop('fields', None)
        subnet = _subnet(self.project_id)
        return {'subnets': [subnet] if _matches(subnet, query) else []}
