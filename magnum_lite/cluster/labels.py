"""Every label magnum-lite reads, declared once.

``LABELS`` names each label with its kind of value, its default and what
it does. The Heat parameter table (``parameters.py``) reads labels with
``label:<name>`` sources, and a unit test holds every such source declared
here with the same default; the API checks label values against this
table (``check``) and the labels reference page is generated from it
(``rst_table``). Labels not declared here are accepted and passed through,
as Magnum does.
"""

import dataclasses
import ipaddress
import re
from urllib import parse

from magnum_lite.cluster import versions

STRING = 'string'
BOOLEAN = 'boolean'
INTEGER = 'integer'
PERCENT = 'percent'
CIDR = 'cidr'
POD_CIDR = 'pod_cidr'
SERVICE_CIDR = 'service_cidr'
URL = 'url'
KUBE_TAG = 'kube_tag'
REGISTRY_PREFIX = 'registry_prefix'

# What parameters._as_bool converts, so a value the API accepts renders.
_TRUE = ('true', '1', 'yes', 'on')
_FALSE = ('false', '0', 'no', 'off')
# host[:port][/path...]/ : Magnum prepends it to an image's basename:tag.
_PREFIX = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?'
                     r'(/[A-Za-z0-9._-]+)*/$')


@dataclasses.dataclass(frozen=True)
class Label:
    """One label: name, kind of value, default, and what it does."""

    name: str
    kind: str
    default: object
    description: str
    allowed: tuple = ()


L = Label
LABELS = (
    L('kube_tag', KUBE_TAG, versions.DEFAULT_KUBE_TAG,
      'Kubernetes version of the nodes, such as v1.36.4 (or v1.36 for the '
      'newest patch magnum-lite knows); one of the supported minors.'),
    L('cni', STRING, None,
      'Pod network: calico or cilium. Default: the template\'s '
      'network_driver.', ('calico', 'cilium')),
    L('container_infra_prefix', REGISTRY_PREFIX, '',
      'Registry prefix every image is pulled from, ending in "/" '
      '(registry.example.com:5000/k8s/): an image becomes prefix + its '
      'basename:tag. Empty: upstream registries.'),
    L('binary_mirror_url', URL, '',
      'http(s) base URL of the binary mirror (Kubernetes binaries, '
      'containerd, runc, CNI plugins, CNI manifests, each directory with a '
      'SHA256SUMS file). Empty: upstream download sites.'),
    L('metrics_server_enabled', BOOLEAN, True,
      'Deploy metrics-server.'),
    L('cloud_provider_enabled', BOOLEAN, True,
      'Deploy the OpenStack cloud controller manager (masters only, on the '
      'cluster\'s trust credentials).'),
    L('cinder_csi_enabled', BOOLEAN, True,
      'Deploy the Cinder CSI plugin (controller on masters; the node '
      'plugin needs no cloud credentials).'),
    L('fixed_subnet_cidr', CIDR, '10.0.0.0/24',
      'CIDR of the subnet created for the cluster when it has no '
      'fixed_subnet.'),
    L('calico_ipv4pool', POD_CIDR, '10.100.0.0/16',
      'IPv4 CIDR of the pods (kubeadm podSubnet; Magnum\'s name, used '
      'whatever the CNI), /8 to /22: each node gets a /24 of it. Must not '
      'overlap fixed_subnet_cidr or service_cluster_ip_range.'),
    L('service_cluster_ip_range', SERVICE_CIDR, '10.254.0.0/16',
      'IPv4 CIDR of the Services (kubeadm serviceSubnet), /12 to /24. '
      'Must not overlap fixed_subnet_cidr or calico_ipv4pool.'),
    L('server_group_policy', STRING, 'anti-affinity',
      'Nova server group policy of each nodegroup.',
      ('anti-affinity', 'soft-anti-affinity', 'affinity', 'soft-affinity')),
    L('min_node_count', INTEGER, 0,
      'min_node_count of the default worker nodegroup.'),
    L('auto_healing_enabled', BOOLEAN, False,
      'Auto-healing: the conductor replaces a node that stays unhealthy '
      '(a node condition not as a healthy node has it) for longer than '
      'auto_healing_unhealthy_timeout: it drains the node, then Heat '
      'replaces that server only. A circuit breaker holds it back (see '
      'the operator guide\'s health page).'),
    L('auto_healing_unhealthy_timeout', INTEGER, 600,
      'Seconds a node must stay unhealthy before auto-healing replaces '
      'it.'),
    L('auto_healing_max_unhealthy', PERCENT, None,
      'Auto-healing\'s circuit breaker: no node of a nodegroup is replaced '
      'while more than this percentage of its nodes is unhealthy. Default: '
      '[health] max_unhealthy (40).'),
)
del L

BY_NAME = {label.name: label for label in LABELS}


class InvalidLabel(ValueError):
    """A label value that does not fit its declaration."""

    def __init__(self, name, value, reason):
        self.name = name
        super().__init__(f'Invalid value {value!r} for label {name}: '
                         f'{reason}')


def defaults():
    """``{name: default}`` of every declared label."""
    return {label.name: label.default for label in LABELS}


def read(given, name):
    """Label ``name`` of ``given`` (a cluster's labels) as its kind says
    (a bool, an int, else the text), or its default when it is not given
    (the API checked given values)."""
    label = BY_NAME[name]
    value = (given or {}).get(name)
    if value is None:
        return label.default
    text = str(value).strip()
    if label.kind == BOOLEAN:
        return text.lower() in _TRUE
    if label.kind in (INTEGER, PERCENT):
        return int(text)
    return text


def _check_value(label, value):
    """Why ``value`` does not fit ``label``, or None."""
    text = str(value).strip()
    if label.allowed and text not in label.allowed:
        return 'allowed values are ' + ', '.join(label.allowed)
    return _CHECKS.get(label.kind, lambda text: None)(text)


def _boolean(text):
    if text.lower() not in _TRUE + _FALSE:
        return 'not a boolean (true or false)'
    return None


def _integer(text):
    if not text.isascii() or not text.isdigit():
        return 'not a non-negative integer'
    return None


def _percent(text):
    if _integer(text) or int(text) > 100:
        return 'not a percentage from 0 to 100'
    return None


def _cidr(text):
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return 'not a CIDR such as 10.0.0.0/24'
    return None


def _ipv4_network(text, shortest, longest):
    """Why ``text`` is not an IPv4 network with a prefix of ``/shortest``
    to ``/longest``, or None."""
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError:
        return 'not an IPv4 network such as 10.100.0.0/16'
    if not shortest <= network.prefixlen <= longest:
        return f'the prefix must be /{shortest} to /{longest}'
    return None


def _pod_cidr(text):
    return _ipv4_network(text, 8, 22)


def _service_cidr(text):
    return _ipv4_network(text, 12, 24)


def _url(text):
    if text == '':
        return None
    parts = parse.urlsplit(text)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        return 'not an http(s) URL'
    return None


def _kube_tag(text):
    try:
        versions.check(text)
    except versions.UnsupportedVersion as err:
        return str(err)
    return None


def _registry_prefix(text):
    if text == '' or _PREFIX.match(text):
        return None
    return 'not a registry prefix such as registry.example.com:5000/k8s/'


_CHECKS = {BOOLEAN: _boolean, INTEGER: _integer, PERCENT: _percent,
           CIDR: _cidr, URL: _url,
           KUBE_TAG: _kube_tag, REGISTRY_PREFIX: _registry_prefix,
           POD_CIDR: _pod_cidr, SERVICE_CIDR: _service_cidr}
# Address ranges that must stay apart (each with its default when unset).
_DISJOINT = ('fixed_subnet_cidr', 'calico_ipv4pool',
             'service_cluster_ip_range')


def check(labels):
    """Raise InvalidLabel for the first declared label (in name order)
    whose value does not fit; unknown labels pass."""
    for name in sorted(labels or {}):
        label = BY_NAME.get(name)
        if label is None:
            continue
        reason = _check_value(label, labels[name])
        if reason:
            raise InvalidLabel(name, labels[name], reason)
    _check_disjoint(labels or {})


def _check_disjoint(labels):
    """Raise InvalidLabel for a given range that overlaps another one
    (given or default): nodes, pods and Services need their own."""
    ranges = {name: ipaddress.ip_network(
        str(labels.get(name) or BY_NAME[name].default).strip(),
        strict=False) for name in _DISJOINT}
    for name in _DISJOINT:
        if name not in labels:
            continue
        for other in _DISJOINT:
            if other != name and ranges[name].overlaps(ranges[other]):
                raise InvalidLabel(name, labels[name],
                                   f'overlaps {other} ({ranges[other]})')


def rst_table():
    """The labels reference table of the docs, as reStructuredText."""
    lines = ['.. list-table::', '   :header-rows: 1',
             '   :widths: 20 15 15 50', '', '   * - Label', '     - Value',
             '     - Default', '     - What it does']
    for label in sorted(LABELS, key=lambda item: item.name):
        kind = (' | '.join(label.allowed) if label.allowed else label.kind)
        default = '(none)' if label.default is None else repr(label.default)
        lines += [f'   * - ``{label.name}``', f'     - {kind}',
                  f'     - ``{default}``', f'     - {label.description}']
    return '\n'.join(lines) + '\n'
