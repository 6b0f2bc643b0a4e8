"""The global configuration object, with every option group registered."""

from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

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

CONF = cfg.CONF

api.register_opts(CONF)
certificates.register_opts(CONF)
cloud.register_opts(CONF)
conductor.register_opts(CONF)
database.register_opts(CONF)
health.register_opts(CONF)
heat.register_opts(CONF)
kubernetes.register_opts(CONF)
noauth.register_opts(CONF)
quotas.register_opts(CONF)
trust.register_opts(CONF)

# oslo.messaging registers its options only when a transport is made;
# registering them now lets commands set their defaults (magnum-lite-all).
for _group, _opts in messaging_opts.list_opts():
    CONF.register_opts(_opts, group=_group)
# Likewise keystonemiddleware's [keystone_authtoken].
for _group, _opts in auth_token.list_opts():
    CONF.register_opts(_opts, group=_group)
