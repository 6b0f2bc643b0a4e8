"""The cloud resources a request names exist, as its caller sees them.

Before the API accepts a cluster template, a cluster or a nodegroup, it
looks up the image, flavors, keypair, external network and fixed
network/subnet in Glance, Nova and Neutron with the caller's token
(clients/cloud.py): what is missing or not the caller's is a 400 (404
for a keypair, as in Magnum) that names it, and no row is written,
instead of a CREATE_FAILED minutes later. What will boot now (a
cluster's or a new nodegroup's image) must be active; a template may
name an image whose data is still to come, as Magnum allows. Only with Keystone
(``[api] auth_strategy = keystone``) and ``[api] check_cloud_resources``.

The lookups of one request run concurrently; when several fail, the
first in Magnum's order (image, flavors, external network, fixed
network, fixed subnet, keypair) is the answer.
"""

import logging
import threading
from concurrent import futures

from oslo_utils import uuidutils

from magnum_lite.clients import cloud as cloud_api
from magnum_lite.common import exception
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)
# Template fields looked up at template create and PATCH; Magnum does
# not look up a template's keypair (tempest creates templates with
# random ones).
TEMPLATE_FIELDS = ('image_id', 'flavor_id', 'master_flavor_id',
                   'external_network_id', 'fixed_network', 'fixed_subnet')
_POOL = futures.ThreadPoolExecutor(max_workers=8,
                                   thread_name_prefix='cloud-checks')
_SAID = set()
_SAID_LOCK = threading.Lock()


def enabled(context):
    """Whether the requests of ``context`` are checked."""
    return (CONF.api.auth_strategy == 'keystone'
            and CONF.api.check_cloud_resources
            and getattr(context, 'access_info', None) is not None)


def check_template(context, values, fields=TEMPLATE_FIELDS):
    """Look up a template's ``fields`` (those set in ``values``). Returns
    the image's ``os_distro`` when the image was looked up, else None."""
    wanted = {f: values[f] for f in fields if values.get(f)}
    flavors = [wanted[f] for f in ('master_flavor_id', 'flavor_id')
               if f in wanted]
    return _run(context, image=wanted.get('image_id'), flavors=flavors,
                external=wanted.get('external_network_id'),
                network=wanted.get('fixed_network'),
                subnet=wanted.get('fixed_subnet'),
                server_type=values.get('server_type'))


def check_cluster(context, template, values):
    """Look up what a new cluster (``values``, template defaults applied)
    will be built from: its template's image and external network, its
    flavors, fixed network/subnet and keypair."""
    _run(context, image=template.image_id, boots=True,
         flavors=[values.get('master_flavor_id'), values.get('flavor_id')],
         external=template.external_network_id,
         network=values.get('fixed_network'),
         subnet=values.get('fixed_subnet'), keypair=values.get('keypair'),
         server_type=template.server_type)


def check_nodegroup(context, values):
    """Look up the image and flavor a new nodegroup will boot."""
    _run(context, image=values.get('image_id'), boots=True,
         flavors=[values.get('flavor_id')])


def _run(context, image=None, flavors=(), external=None, network=None,
         subnet=None, keypair=None, server_type=None, boots=False):
    if not enabled(context):
        return None
    cloud = cloud_api.Cloud(context.access_info)
    flavors = [f for f in flavors if f]
    planned = [(_image, image, server_type, boots), (_flavors, flavors),
               (_external_network, external), (_fixed_network, network),
               (_fixed_subnet, subnet), (_keypair, keypair)]
    running = [_POOL.submit(_skip_missing, check, cloud, *args)
               for check, *args in planned if args[0]]
    results = [f.result() for f in running]
    return results[0] if image else None


def _skip_missing(check, cloud, *args):
    try:
        return check(cloud, *args)
    except cloud_api.Missing as missing:
        _say_once(f'The service catalog has no {missing} endpoint '
                  f'(interface {CONF.cloud.interface}, region '
                  f'{CONF.cloud.region_name or "any"}): what requests name '
                  f'of it is not checked')
        return None


def _say_once(message):
    with _SAID_LOCK:
        if message in _SAID:
            return
        _SAID.add(message)
    LOG.warning(message)


def _image(cloud, ident, server_type, boots):
    if uuidutils.is_uuid_like(ident):
        try:
            found = cloud_api.image(cloud, ident)
        except cloud_api.NotFound:
            raise exception.ImageNotFound(image_id=ident)
        except cloud_api.Forbidden:
            raise exception.ImageNotAuthorized(image_id=ident)
    else:
        found = _one(cloud_api.images_named(cloud, ident), ident,
                     "'images'", 'resource',
                     exception.ImageNotFound(image_id=ident))
    if boots and found.get('status', 'active') != 'active':
        # Nova refuses to boot it: the stack would fail minutes later.
        raise exception.ImageNotActive(image_id=ident,
                                       status=found.get('status'))
    distro = found.get('os_distro')
    if not distro:
        raise exception.OSDistroFieldNotFound(image_id=ident)
    if distro not in CONF.api.node_image_distros:
        raise exception.ClusterTypeNotSupported(
            server_type=server_type or 'vm', os=distro, coe='kubernetes')
    return distro


def _flavors(cloud, wanted):
    known = {key for flavor in cloud_api.flavors(cloud)
             for key in (flavor.get('id'), flavor.get('name'))}
    for flavor in wanted:
        if flavor not in known:
            raise exception.FlavorNotFound(flavor=flavor)


def _external_network(cloud, ident):
    _one(_by_name_or_id(cloud_api.networks, cloud, ident,
                        **{'router:external': 'True'}),
         ident, 'external networks', 'external network',
         exception.ExternalNetworkNotFound(network=ident))


def _fixed_network(cloud, ident):
    _one(_by_name_or_id(cloud_api.networks, cloud, ident), ident,
         'networks', 'network', exception.FixedNetworkNotFound(network=ident))


def _fixed_subnet(cloud, ident):
    _one(_by_name_or_id(cloud_api.subnets, cloud, ident), ident,
         'subnets', 'subnet', exception.FixedSubnetNotFound(subnet=ident))


def _keypair(cloud, name):
    if not cloud_api.keypair_exists(cloud, name):
        raise exception.KeyPairNotFound(keypair=name)


def _by_name_or_id(lookup, cloud, ident, **filters):
    """What Neutron has with id ``ident`` (when it looks like one), else
    what it has named ``ident``."""
    if uuidutils.is_uuid_like(ident):
        found = lookup(cloud, id=ident, **filters)
        if found:
            return found
    return lookup(cloud, name=ident, **filters)


def _one(matches, ident, kind, use, missing):
    if not matches:
        raise missing
    if len(matches) > 1:
        raise exception.AmbiguousCloudResource(kind=kind, name=ident,
                                               use=use)
    return matches[0]
