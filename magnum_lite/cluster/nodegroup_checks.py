"""Checks on nodegroup sizes, node labels and node taints: 409s when a
nodegroup is created or changed, 400 when one is resized."""

import re

from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.common import exception

_RESERVED_SUFFIXES = ('kubernetes.io', 'k8s.io')
_ALLOWED_PREFIXES = ('kubelet.kubernetes.io', 'node.kubernetes.io')
_ALLOWED_KEYS = frozenset({
    'beta.kubernetes.io/arch', 'beta.kubernetes.io/instance-type',
    'beta.kubernetes.io/os', 'failure-domain.beta.kubernetes.io/region',
    'failure-domain.beta.kubernetes.io/zone', 'kubernetes.io/arch',
    'kubernetes.io/hostname', 'kubernetes.io/os',
    'node.kubernetes.io/instance-type', 'node.kubernetes.io/windows-build',
    'topology.kubernetes.io/region', 'topology.kubernetes.io/zone'})
_EFFECTS = ('NoSchedule', 'PreferNoSchedule', 'NoExecute')
_KEY = re.compile(r'^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?'
                  r'[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$')


def _invalid(attr, name, expl):
    return exception.NodeGroupInvalid(attr=attr, nodegroup=name, expl=expl)


def check_sizes(name, node_count, min_count, max_count):
    """min <= node_count <= max (when max is set)."""
    if min_count > node_count:
        raise _invalid('min_node_count', name,
                       f'min_node_count ({min_count}) should be less or '
                       f'equal to node_count ({node_count})')
    if max_count is not None:
        if max_count < min_count:
            raise _invalid('max_node_count', name,
                           f'max_node_count ({max_count}) should be '
                           f'greater or equal to min_node_count '
                           f'({min_count})')
        if max_count < node_count:
            raise _invalid('max_node_count', name,
                           f'max_node_count ({max_count}) should be '
                           f'greater or equal to node_count ({node_count})')


def check_range(nodegroup, node_count):
    """A worker nodegroup stays within its min/max node counts (400)."""
    low, high = nodegroup.min_node_count, nodegroup.max_node_count
    if node_count < low or (high is not None and node_count > high):
        raise exception.InvalidParameterValue(
            err=f'Resizing {nodegroup.name} outside the allowed range: '
                f'min_node_count = {low}, max_node_count = {high}')


def check_master_count(count, lb_enabled):
    """A master nodegroup's size (400 otherwise): at least one master, an
    odd number of them (stacked etcd has a member per master, and an even
    count tolerates no more failures than the odd count below it while a
    resize step through it could lose quorum), and more than one only
    behind the API load balancer (every master is a pool member)."""
    if count < 1:
        raise exception.InvalidParameterValue(
            err=f'master nodegroup size of {count} is invalid, a cluster '
                f'needs at least one master.')
    if count % 2 == 0:
        raise exception.InvalidParameterValue(
            err=f'master nodegroup size of {count} is invalid, size '
                f'cannot be an even number. Masters come in odd numbers '
                f'(1, 3, 5...) so that their etcd keeps its quorum.')
    if count > 1 and not lb_enabled:
        raise exception.InvalidParameterValue(
            err='master_count must be 1 when master_lb_enabled is False')


def _reserved(key):
    if '/' not in key:
        return False
    prefix = key.split('/', 1)[0]
    if key in _ALLOWED_KEYS or prefix in _ALLOWED_PREFIXES:
        return False
    return any(prefix == s or prefix.endswith('.' + s)
               for s in _RESERVED_SUFFIXES)


def check_node_labels(name, role, labels):
    """Kubernetes label keys a kubelet may set on itself."""
    if not labels:
        return
    if role == nodegroup_facts.MASTER:
        raise _invalid('node_labels', name,
                       'node labels are not supported on master nodegroups')
    for key in labels:
        if not _KEY.match(key):
            raise _invalid('node_labels', name,
                           f'{key} is not a valid label key')
        if _reserved(key):
            raise _invalid('node_labels', name,
                           f'{key} uses a reserved prefix')


def check_node_taints(name, role, taints):
    """Each taint: key, optional value, effect."""
    if not taints:
        return
    if role == nodegroup_facts.MASTER:
        raise _invalid('node_taints', name,
                       'node taints are not supported on master nodegroups')
    for taint in taints:
        if not isinstance(taint, dict) or set(taint) - {'key', 'value',
                                                        'effect'}:
            raise _invalid('node_taints', name,
                           'a taint has only key, value and effect')
        if not taint.get('key') or not isinstance(taint['key'], str) or \
                not _KEY.match(taint['key']):
            raise _invalid('node_taints', name, 'a taint needs a valid key')
        if not isinstance(taint.get('value', ''), (str, type(None))):
            raise _invalid('node_taints', name, 'a taint value is a string')
        if taint.get('effect') not in _EFFECTS:
            raise _invalid('node_taints', name,
                           'effect must be one of ' + ', '.join(_EFFECTS))
