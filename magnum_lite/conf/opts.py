"""Option listing for oslo-config-generator."""

from oslo_middleware import cors

from magnum_lite.conf import api
from magnum_lite.conf import certificates
from magnum_lite.conf import cloud
from magnum_lite.conf import conductor
from magnum_lite.conf import database
from magnum_lite.conf import health
from magnum_lite.conf import heat
from magnum_lite.conf import kubernetes
from magnum_lite.conf import noauth
from magnum_lite.conf import quotas
from magnum_lite.conf import trust

_MODULES = (api, certificates, cloud, conductor, database, health,
            heat, kubernetes, noauth, quotas, trust)


def list_opts():
    """Return [(group, options)] for every group this project owns."""
    merged = {}
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            merged.setdefault(group, []).extend(opts)
    return list(merged.items())


def set_defaults():
    """Defaults for options of libraries that we override."""
    cors.set_defaults(
        allow_headers=['X-Auth-Token', 'X-OpenStack-Request-ID',
                       'OpenStack-API-Version', 'Content-Type'],
        expose_headers=['X-Auth-Token', 'X-OpenStack-Request-ID',
                        'OpenStack-API-Version',
                        'OpenStack-API-Minimum-Version',
                        'OpenStack-API-Maximum-Version'],
        allow_methods=['GET', 'PUT', 'POST', 'DELETE', 'PATCH'])
