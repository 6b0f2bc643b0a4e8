"""magnum-lite: multi-master Kubernetes clusters on OpenStack."""

import warnings

# futurist imports eventlet when it is installed (python-magnumclient
# pulls it in); we never use it, so its deprecation notice is noise.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

# oslo.messaging imports oslo.service, whose default backend is eventlet.
# magnum-lite uses plain threads: choose oslo.service's threading backend
# before anything imports oslo.messaging.
from oslo_service import backend as _oslo_service_backend  # noqa: E402

try:
    _oslo_service_backend.init_backend(
        _oslo_service_backend.BackendType.THREADING)
except _oslo_service_backend.exceptions.BackendAlreadySelected:
    pass
