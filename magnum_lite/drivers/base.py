"""The cluster driver interface.

A driver turns the desired state kept in the database into real
infrastructure. It never reads the database itself: the conductor loads
what a driver needs of a cluster (``ClusterRows``, built by
conductor/cluster_rows.py) and hands it over. Conductors call it under
the cluster lock; every method must be idempotent, because any message
may arrive twice.
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
    ``nodegroups`` mapping nodegroup uuids to their node addresses, and
    ``node_names`` mapping them to their servers' names, which are the
    names their Kubernetes nodes register with (a nodegroup missing from
    it: not known; health then matches nodes by name pattern).
    An IN_PROGRESS observation's ``reason``, if any, says what keeps the
    driver from seeing the deployment (e.g. Heat is unreachable); the
    conductor shows it on the cluster until the driver sees it again.
    """

    state: str
    reason: str = None
    outputs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ClusterRows:
    """What the database holds of one cluster that a driver may need.

    ``cluster`` is its row, ``nodegroups`` its nodegroup rows (in the
    order they were made), ``templates`` ``{uuid: cluster template row}``:
    the cluster's own template and, while an upgrade moves it to another
    (``operation_args['changes']``), that one too. ``certificates`` is
    ``{kind: certificate row}`` (its CAs and service-account key pair;
    private keys as stored, for ``clients.key_store.load``).
    ``credentials`` is the cloud credentials its stack gets
    (``cluster_credentials.heat_values``), secrets in clear; None when
    not loaded (the status sync does not). ``stack_trust`` is what the
    driver authenticates with to build and watch the cluster in its
    owner's project (``cluster_credentials.stack_values``: auth_url,
    user_id, password, trust_id), None if the cluster has none.
    """

    cluster: object
    nodegroups: tuple
    templates: dict
    certificates: dict
    credentials: dict = dataclasses.field(default=None, repr=False)
    stack_trust: dict = dataclasses.field(default=None, repr=False)

    @property
    def uuid(self):
        return self.cluster.uuid

    @property
    def template(self):
        """The cluster's own template row."""
        return self.templates[self.cluster.cluster_template_id]


class Driver(abc.ABC):
    """Builds, changes and removes the clusters of one kind."""

    def validate(self, template):
        """Cheap checks of a cluster template before the API stores it
        (create, and a PATCH changing more than its name, visibility or
        tags); raise ``exception.Invalid`` (400). ``template`` is the
        template's values as a dict of its columns. Optional."""
        return None

    @abc.abstractmethod
    def create_cluster(self, context, rows):
        """Start building the cluster of ``rows`` (a ``ClusterRows``);
        return its deployment handle (for Heat: the stack id). If a
        deployment for it exists already, return that one instead of
        making a second."""

    @abc.abstractmethod
    def update_cluster(self, context, rows, operation, args):
        """Start moving the deployment to the desired state in ``rows``.
        ``operation`` (a row of cluster/operations.py) and ``args`` say
        what the API asked for (e.g. ``CLUSTER_RESIZE`` with
        ``nodes_to_remove``)."""

    @abc.abstractmethod
    def delete_cluster(self, context, rows):
        """Start removing everything the cluster owns. Deleting what is
        already gone is not an error."""

    def tend(self, context, clusters):
        """Step in-progress operations along where the deployment waits
        for the conductor (for Heat: drain the nodes of paused servers,
        then let Heat on). ``clusters`` is a list of ``ClusterRows``. The
        conductor's status sync calls it on every cycle, before ``poll``.
        Never raises: trouble is logged and the next cycle tries again.
        Optional."""
        return None

    @abc.abstractmethod
    def poll(self, context, clusters, notified=False):
        """Observe several in-progress clusters (a list of
        ``ClusterRows``) at once; return {cluster uuid: Observation}.
        Observing only: no change to the deployment (that is ``tend``).
        Implementations should make one backend call for all of them,
        not one per cluster. ``notified``: the backend said these
        clusters' work finished, so they are few and likely done; an
        implementation may then read each directly, for latency."""
