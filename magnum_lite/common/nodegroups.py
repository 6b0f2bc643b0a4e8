"""Facts about a cluster's nodegroups shared by the API and drivers."""


def default_nodegroup(nodegroups, role):
    """The default nodegroup of a role (``worker``: any non-master)."""
    for ng in nodegroups:
        if ng.is_default and (ng.role == role or (
                role == 'worker' and ng.role != 'master')):
            return ng
    return None
