"""Nova, Glance and Neutron as the API's caller sees them.

The API looks up what a request names (image, flavors, keypair,
networks) with the caller's own token, so it sees exactly what the
caller may use: another user's keypair or another project's private
network is not there. keystonemiddleware validated that token and
left it with its service catalog (``context.access_info``); a
keystoneauth1 ``AccessInfoPlugin`` over it gives a session and the
endpoints without another Keystone call. Plain REST, no service client
libraries.

A service the catalog does not list is not looked at (:class:`Missing`);
one that does not answer, or answers 5xx, is a 503
(``exception.CloudUnavailable``).
"""

import logging
from urllib import parse

import requests
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1.identity import access as access_plugin

from magnum_lite.common import exception
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)

COMPUTE = 'compute'
IMAGE = 'image'
NETWORK = 'network'
_NAMES = {COMPUTE: 'Nova', IMAGE: 'Glance', NETWORK: 'Neutron'}
# Glance and Neutron are usually in the catalog without a version,
# Nova with one: the paths below carry the version those lack.
_VERSION = {IMAGE: '/v2', NETWORK: '/v2.0', COMPUTE: ''}
# Pages of a list followed at most (Nova pages flavors by 1000).
_MAX_PAGES = 20
# One connection pool for every request's session: a lookup reuses the
# connections of the one before instead of opening its own.
_CONNECTIONS = requests.Session()


class Missing(Exception):
    """The catalog lists no endpoint of that service."""


class NotFound(Exception):
    """The service answered 404."""


class Forbidden(Exception):
    """The service answered 403."""


class Cloud:
    """The services, for one request's caller (``context.access_info``)."""

    def __init__(self, access_info):
        self.session = ks_loading.load_session_from_conf_options(
            CONF, 'cloud', auth=access_plugin.AccessInfoPlugin(access_info),
            session=_CONNECTIONS)

    def endpoint(self, service_type):
        """The service's base URL (with its API version), or Missing."""
        try:
            url = self.session.get_endpoint(
                service_type=service_type, interface=CONF.cloud.interface,
                region_name=CONF.cloud.region_name)
        except ks_exc.EndpointNotFound:
            url = None
        if not url:
            raise Missing(service_type)
        url = url.rstrip('/')
        version = _VERSION[service_type]
        return url if url.endswith(version) else url + version

    def get(self, service_type, path, params=None):
        """GET ``path`` of the service; the JSON body. NotFound,
        Forbidden, Missing, or CloudUnavailable (no answer, 5xx, any
        other refusal)."""
        url = path if '://' in path else self.endpoint(service_type) + path
        name = _NAMES[service_type]
        try:
            response = self.session.get(url, params=params,
                                        raise_exc=False)
        except ks_exc.ConnectFailure as err:
            raise exception.CloudUnavailable(
                service=name, reason=f'cannot connect: {err}') from err
        except ks_exc.ConnectionError as err:
            # Timeouts, TLS failures, resets.
            raise exception.CloudUnavailable(
                service=name, reason=str(err)) from err
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code == 403:
            raise Forbidden(path)
        if response.status_code >= 300:
            raise exception.CloudUnavailable(
                service=name,
                reason=f'GET {path} answered {response.status_code}')
        return response.json()


def keypair_exists(cloud, name):
    """Whether the caller (user, not project) has keypair ``name``."""
    try:
        cloud.get(COMPUTE, '/os-keypairs/' + parse.quote(name, safe=''))
    except NotFound:
        return False
    return True


def flavors(cloud):
    """[{'id', 'name'}] of the flavors the caller's project may use."""
    found = []
    path, params = '/flavors', None
    for _ in range(_MAX_PAGES):
        body = cloud.get(COMPUTE, path, params)
        found.extend(body.get('flavors', []))
        following = [link['href'] for link in body.get('flavors_links', [])
                     if link.get('rel') == 'next']
        if not following:
            break
        path, params = following[0], None
    return found


def image(cloud, image_id):
    """The image of that id, or NotFound / Forbidden."""
    return cloud.get(IMAGE, '/images/' + parse.quote(image_id, safe=''))


def images_named(cloud, name):
    """The images the caller sees that are named ``name``."""
    return cloud.get(IMAGE, '/images', {'name': name}).get('images', [])


def networks(cloud, **filters):
    """The networks the caller sees that match Neutron ``filters``."""
    return cloud.get(NETWORK, '/networks', filters).get('networks', [])


def subnets(cloud, **filters):
    """The subnets the caller sees that match Neutron ``filters``."""
    return cloud.get(NETWORK, '/subnets', filters).get('subnets', [])
