"""magnum-lite: multi-master Kubernetes clusters on OpenStack."""

# oslo.messaging imports oslo.service, whose default backend is eventlet.
# magnum-lite uses plain threads: choose oslo.service's threading backend
# before anything imports oslo.messaging.
from oslo_service import backend as _oslo_service_backend

try:
    _oslo_service_backend.init_backend(
        _oslo_service_backend.BackendType.THREADING)
except _oslo_service_backend.exceptions.BackendAlreadySelected:
    pass
