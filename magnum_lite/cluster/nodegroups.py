"""Facts about a cluster's nodegroups shared by the API and drivers."""

# Node roles (the ``role`` column; Magnum's values).
MASTER = 'master'
WORKER = 'worker'


def default_nodegroup(nodegroups, role):
    """The default nodegroup of a role (``WORKER``: any non-master)."""
    for ng in nodegroups:
        if ng.is_default and (ng.role == role or (
                role == WORKER and ng.role != MASTER)):
            return ng
    return None
