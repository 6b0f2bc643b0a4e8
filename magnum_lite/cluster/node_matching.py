"""Which Kubernetes node is which server of which nodegroup: pure
functions.

Our servers register as Kubernetes nodes under their own names (the
bootstrap's kubeadm configuration sets the node name to the server's,
``<cluster>-<nodegroup>-<index>``, and labels the node
``magnum.openstack.org/nodegroup=<nodegroup>``). A nodegroup row knows
its servers' names (``node_names``) from its stack's outputs, written
when the stack last finished: matching is by name against that list,
with no call to Heat. A nodegroup whose stack has not said (one built
before the templates gave the names) falls back to the name pattern and
its ``node_count``: nodes are still matched, but a missing server cannot
be named.

A node that is no server of any nodegroup (joined by hand, or left
behind by a server that is gone) is *unmanaged*: its conditions are
still reported and still count for the cluster's health, since
workloads may run on it, but auto-healing never replaces it (there is
no server of ours to replace), and the reason names it so an operator
sees why.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Shortfall:
    """A nodegroup with fewer nodes registered than servers: ``name``,
    ``registered`` and ``expected`` counts, and the ``missing`` servers'
    names (empty when they are not known)."""

    name: str
    registered: int
    expected: int
    missing: tuple = ()


@dataclasses.dataclass(frozen=True)
class Match:
    """Nodes matched to nodegroups.

    ``owners``: ``{node name: nodegroup uuid}`` of every node registered
    or expected (a missing server's name included). ``short``:
    ``{nodegroup uuid: Shortfall}`` of the nodegroups short of nodes.
    ``unmanaged``: names of registered nodes that are no server of ours.
    """

    owners: dict
    short: dict
    unmanaged: tuple

    def missing(self):
        """``{server name: nodegroup uuid}`` of the servers whose nodes
        are not registered (those whose names are known)."""
        return {name: uuid for uuid, gap in self.short.items()
                for name in gap.missing}


def by_name_pattern(cluster_name, nodegroups, node):
    """The nodegroup row whose server ``node`` is by the name pattern
    ``<cluster>-<nodegroup>-<index>``, or None."""
    for ng in nodegroups:
        rest = node.removeprefix(f'{cluster_name}-{ng.name}-')
        if rest != node and rest.isdigit():
            return ng
    return None


def match(cluster_name, nodegroups, registered):
    """The :class:`Match` of the node names ``registered`` against
    ``nodegroups`` (rows with ``uuid``, ``name``, ``node_count`` and
    ``node_names``, None when not known) of cluster ``cluster_name``."""
    seen = set(registered)
    owners, short = {}, {}
    known = [ng for ng in nodegroups if ng.node_names is not None]
    for ng in known:
        owners.update((name, ng.uuid) for name in ng.node_names)
    for ng in known:
        missing = tuple(n for n in ng.node_names if n not in seen)
        if missing:
            short[ng.uuid] = Shortfall(
                ng.name, len(ng.node_names) - len(missing),
                len(ng.node_names), missing)
    guessed = [ng for ng in nodegroups if ng.node_names is None]
    counts = dict.fromkeys((ng.uuid for ng in guessed), 0)
    for name in sorted(seen - set(owners)):
        ng = by_name_pattern(cluster_name, guessed, name)
        if ng is not None:
            owners[name] = ng.uuid
            counts[ng.uuid] += 1
    for ng in guessed:
        if counts[ng.uuid] < (ng.node_count or 0):
            short[ng.uuid] = Shortfall(ng.name, counts[ng.uuid],
                                       ng.node_count)
    return Match(owners, short,
                 tuple(sorted(seen - set(owners))))
