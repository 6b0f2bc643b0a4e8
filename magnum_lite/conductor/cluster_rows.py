"""What a driver gets of clusters (``drivers.base.ClusterRows``), loaded
by the conductor: drivers never read the database themselves."""

from magnum_lite.cluster import cluster_credentials
from magnum_lite.db import api as db_api
from magnum_lite.drivers import base


def _template_uuids(cluster):
    """The cluster's template and the one an upgrade under way moves it
    to (cluster/upgrades.py ``changes``)."""
    changes = (cluster.operation_args or {}).get('changes') or {}
    target = (changes.get('cluster') or {}).get('cluster_template_id')
    return {cluster.cluster_template_id, target} - {None}


def load(clusters, credentials=False):
    """``[ClusterRows]`` of cluster rows, in their order: templates,
    nodegroups and certificates of all of them in one transaction, a
    query each, however many clusters, stack trusts included.
    ``credentials``: also the credentials their stacks get (a query per
    cluster: for operations, not the status sync)."""
    wanted = [_template_uuids(c) for c in clusters]
    templates, nodegroups, certificates, stack_trusts = \
        db_api.cluster_rows([c.uuid for c in clusters], set().union(*wanted))
    return [base.ClusterRows(
        cluster=cluster, nodegroups=tuple(nodegroups[cluster.uuid]),
        templates={u: templates[u] for u in uuids if u in templates},
        certificates=certificates[cluster.uuid],
        credentials=(cluster_credentials.heat_values(cluster.uuid)
                     if credentials else None),
        stack_trust=_stack_trust(stack_trusts.get(cluster.uuid)))
        for cluster, uuids in zip(clusters, wanted, strict=True)]


def _stack_trust(row):
    return None if row is None else cluster_credentials.stack_values(row)


def load_one(cluster):
    """The ``ClusterRows`` of one cluster for an operation on it,
    credentials included."""
    return load([cluster], credentials=True)[0]
