# Horizon's local_settings for magnum-lite's browser test; tools/horizon/
# install.sh copies it into the Horizon virtualenv. One process serves
# Horizon on loopback (tools/horizon/serve.py); what changes per run comes
# from the environment that process is started with.
import os
import sys

DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
# A test installation: the key only signs this run's sessions.
SECRET_KEY = os.environ.get('MAGNUM_LITE_HORIZON_SECRET_KEY',
                            'magnum-lite-browser-test-only')
OPENSTACK_KEYSTONE_URL = os.environ.get('MAGNUM_LITE_HORIZON_KEYSTONE_URL',
                                        'http://127.0.0.1:5000/v3')
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
# Sessions in the process's memory: no memcached needed, one process.
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
SESSION_ENGINE = 'django.contrib.sessions.backends.cache'
# Stylesheets and scripts are compressed once, at install time
# (manage compress), into STATIC_ROOT inside the virtualenv.
COMPRESS_OFFLINE = True
STATIC_ROOT = os.path.join(sys.prefix, 'horizon-static')

# Land on the clusters panel: the project overview would ask Nova for
# usage figures the stand-ins do not keep.
LOGIN_REDIRECT_URL = '/project/clusters/'
# The stand-in Neutron has networks and subnets only.
OPENSTACK_NEUTRON_NETWORK = {
    'enable_router': False,
    'enable_quotas': False,
    'enable_ipv6': False,
    'enable_distributed_router': False,
    'enable_ha_router': False,
    'enable_fip_topology_check': False,
    'enable_rbac_policy': False,
}
OPENSTACK_HYPERVISOR_FEATURES = {'enable_quotas': False}
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'INFO'},
}
