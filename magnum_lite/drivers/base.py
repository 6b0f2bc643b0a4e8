"""The cluster driver interface.

A driver turns the desired state kept in the database into real
infrastructure. Conductors call it under the cluster lock; every method
must be idempotent, because any message may arrive twice.
"""

import abc
import dataclasses

IN_PROGRESS = 'in_progress'
COMPLETE = 'complete'
FAILED = 'failed'
GONE = 'gone'


@dataclasses.dataclass
class Observation:
    """What a driver saw of one cluster's deployment.

    ``state`` is one of IN_PROGRESS, COMPLETE, FAILED, GONE (nothing is
    deployed any more). ``outputs`` is read only when the deployment
    finished: api_address, master_addresses, node_addresses, coe_version,
    and ``nodegroups`` mapping nodegroup uuids to their node addresses.
    """

    state: str
    reason: str = None
    outputs: dict = dataclasses.field(default_factory=dict)


class Driver(abc.ABC):
    """Builds, changes and removes the clusters of one kind."""

    def validate(self, template):
        """Cheap checks of a cluster template; raise Invalid. Optional."""
        return None

    @abc.abstractmethod
    def create_cluster(self, context, cluster, nodegroups):
        """Start building ``cluster``; return its deployment handle (for
        Heat: the stack id). If a deployment for it exists already,
        return that one instead of making a second."""

    @abc.abstractmethod
    def update_cluster(self, context, cluster, nodegroups, operation, args):
        """Start moving the deployment to the desired state in the rows.
        ``operation`` and ``args`` say what the API asked for (e.g.
        ``cluster_resize`` with ``nodes_to_remove``)."""

    @abc.abstractmethod
    def delete_cluster(self, context, cluster, nodegroups):
        """Start removing everything the cluster owns. Deleting what is
        already gone is not an error."""

    @abc.abstractmethod
    def poll(self, context, clusters):
        """Observe several in-progress clusters at once; return
        {cluster uuid: Observation}. Implementations should make one
        backend call for all of them, not one per cluster."""
