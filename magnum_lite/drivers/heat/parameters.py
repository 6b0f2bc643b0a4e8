"""Every Heat parameter of heat-templates/kubernetes, declared once.

``PARAMETERS`` is the whole story of where a stack parameter comes from: one
row per parameter of an entry template (``cluster.yaml``, ``nodegroup.yaml``).
The member templates (``master.yaml``, ``worker.yaml``) only receive
properties from their parent and are not listed. A unit test holds the
table equal to the parameters the templates declare, with the same types,
defaults and ``hidden`` flags.

A row's ``sources`` are tried in order; the first one that gives a value
wins (``None`` and ``''`` give no value; ``False`` and ``0`` do). A source
is one of:

``cluster.<field>``, ``template.<field>``
    a column of the cluster or cluster template row;
``master_nodegroup.<field>``, ``worker_nodegroup.<field>``
    a column of the cluster's default master or worker nodegroup;
``nodegroup.<field>``
    a column of the nodegroup a nodegroup stack is for;
``outputs.<key>``
    an output of the cluster's stack (for nodegroup stacks);
``credentials.<key>``
    the cluster's cloud credentials (cluster/cluster_credentials.py
    ``heat_values``), secrets in clear: their rows are hidden;
``operation.<key>``
    an argument of the operation being carried out (``max_batch_size`` of
    an upgrade);
``generation.<key>``
    a node generation or the fingerprints behind them, which the driver
    sets after rendering (drivers/heat/generations.py ``assign``); the
    rendered value is the row's default;
``removals.<key>``
    server ids the caller wants removed (``master``, ``worker``,
    ``nodegroup``);
``bootstrap.<name>``
    a node bootstrap secret or fact (drivers/heat/bootstrap.py
    ``values``): CA certificates and keys, join token, certificate key;
``label:<name>``
    a cluster (or nodegroup) label, a string converted to the row's type;
``config:<group>.<option>``
    a configuration value, looked up in a flat ``{'group.option': value}``;
``derive:<name>``
    a named function of ``DERIVATIONS`` applied to all of the above.

When no source gives a value the row's ``default`` is sent; a ``default``
of ``None`` leaves the parameter out so the template's own default applies.

Everything here is pure: plain dicts in, a parameters dict out.
"""

import dataclasses

from magnum_lite.cluster import labels as label_table
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import versions

CLUSTER = 'cluster.yaml'
NODEGROUP = 'nodegroup.yaml'
BOTH = (CLUSTER, NODEGROUP)

STRING = 'string'
NUMBER = 'number'
BOOLEAN = 'boolean'
LIST = 'comma_delimited_list'

# What a missing or zero create_timeout means, as the driver's stack timeout.
DEFAULT_CREATE_TIMEOUT_MINUTES = 60


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One Heat parameter: where it is declared and where its value
    comes from."""

    name: str
    templates: tuple
    sources: tuple
    type: str = STRING
    default: object = None
    hidden: bool = False


def _wait_timeout(values):
    """Seconds a node may take to boot: the whole create timeout."""
    minutes = (values['cluster'].get('create_timeout')
               or DEFAULT_CREATE_TIMEOUT_MINUTES)
    return int(minutes) * 60


def _kube_tag(values):
    return (values['labels'].get('kube_tag')
            or label_table.BY_NAME['kube_tag'].default)


def _cni(values):
    """Label ``cni``, else the template's network_driver, else calico."""
    return versions.cni(values['labels'],
                        (values.get('template') or {}).get('network_driver'))


def _component_versions(values):
    """KEY=value lines of the versions module for the cluster's kube_tag
    and labels (written verbatim to /etc/magnum-lite/versions.env)."""
    template = values.get('template') or {}
    return versions.component_versions(
        _kube_tag(values), values['labels'], template.get('network_driver'))


def _labels_text(labels):
    """``{k: v}`` as ``k=v,k2=v2`` (sorted: the same labels always give
    the same user data)."""
    return ','.join(f'{k}={v}' for k, v in sorted((labels or {}).items()))


def _taints_text(taints):
    """``[{key, value, effect}]`` as ``k=v:Effect,k2:Effect``."""
    parts = []
    for taint in taints or []:
        pair = taint['key']
        if taint.get('value'):
            pair = f"{pair}={taint['value']}"
        parts.append(f"{pair}:{taint['effect']}")
    return ','.join(parts)


def _node_facts(kind, field, text):
    return lambda values: text((values.get(kind) or {}).get(field))


DERIVATIONS = {
    'wait_timeout': _wait_timeout,
    'master_node_labels': _node_facts('master_nodegroup', 'node_labels',
                                      _labels_text),
    'worker_node_labels': _node_facts('worker_nodegroup', 'node_labels',
                                      _labels_text),
    'node_labels': _node_facts('nodegroup', 'node_labels', _labels_text),
    'master_node_taints': _node_facts('master_nodegroup', 'node_taints',
                                      _taints_text),
    'worker_node_taints': _node_facts('worker_nodegroup', 'node_taints',
                                      _taints_text),
    'node_taints': _node_facts('nodegroup', 'node_taints', _taints_text),
    'cni': _cni,
    'component_versions': _component_versions,
}

P = Parameter
PARAMETERS = (
    P('cluster_uuid', BOTH, ('cluster.uuid',)),
    P('cluster_name', BOTH, ('cluster.name',)),
    P('image', BOTH, ('master_nodegroup.image_id', 'nodegroup.image_id',
                      'template.image_id')),
    P('master_flavor', (CLUSTER,), ('master_nodegroup.flavor_id',
                                    'cluster.master_flavor_id',
                                    'template.master_flavor_id')),
    P('worker_flavor', (CLUSTER,), ('worker_nodegroup.flavor_id',
                                    'cluster.flavor_id',
                                    'template.flavor_id')),
    P('flavor', (NODEGROUP,), ('nodegroup.flavor_id', 'cluster.flavor_id',
                               'template.flavor_id')),
    P('keypair', BOTH, ('cluster.keypair', 'template.keypair_id'),
      default=''),
    P('external_network', BOTH, ('template.external_network_id',)),
    # A cluster stack creates its network unless given one; a nodegroup
    # stack always joins the network of its cluster's stack.
    P('fixed_network', (CLUSTER,), ('cluster.fixed_network',
                                    'template.fixed_network'), default=''),
    P('fixed_subnet', (CLUSTER,), ('cluster.fixed_subnet',
                                   'template.fixed_subnet'), default=''),
    P('fixed_network', (NODEGROUP,), ('outputs.fixed_network',)),
    P('fixed_subnet', (NODEGROUP,), ('outputs.fixed_subnet',)),
    P('api_host', (NODEGROUP,), ('outputs.api_host',)),
    P('security_groups', (NODEGROUP,), ('outputs.worker_security_groups',),
      type=LIST),
    P('fixed_subnet_cidr', (CLUSTER,), ('label:fixed_subnet_cidr',),
      default='10.0.0.0/24'),
    P('dns_nameserver', (CLUSTER,), ('template.dns_nameserver',),
      default='8.8.8.8'),
    P('master_count', (CLUSTER,), ('master_nodegroup.node_count',),
      type=NUMBER, default=1),
    P('worker_count', (CLUSTER,), ('worker_nodegroup.node_count',),
      type=NUMBER, default=1),
    P('node_count', (NODEGROUP,), ('nodegroup.node_count',), type=NUMBER,
      default=1),
    P('master_nodegroup_name', (CLUSTER,), ('master_nodegroup.name',),
      default='default-master'),
    P('worker_nodegroup_name', (CLUSTER,), ('worker_nodegroup.name',),
      default='default-worker'),
    P('nodegroup_name', (NODEGROUP,), ('nodegroup.name',)),
    P('nodegroup_role', (NODEGROUP,), ('nodegroup.role',),
      default=nodegroup_facts.WORKER),
    P('master_lb_enabled', (CLUSTER,), ('cluster.master_lb_enabled',
                                        'template.master_lb_enabled'),
      type=BOOLEAN, default=False),
    P('floating_ip_enabled', BOTH, ('cluster.floating_ip_enabled',
                                    'template.floating_ip_enabled'),
      type=BOOLEAN, default=True),
    P('docker_volume_size', BOTH, ('nodegroup.docker_volume_size',
                                   'cluster.docker_volume_size',
                                   'template.docker_volume_size'),
      type=NUMBER, default=0),
    P('node_wait_timeout', BOTH, ('derive:wait_timeout',), type=NUMBER),
    P('kube_tag', BOTH, ('label:kube_tag',),
      default=versions.DEFAULT_KUBE_TAG),
    # Air-gap, versions and add-ons (issue 5): what the node bootstrap reads.
    P('container_infra_prefix', BOTH, ('label:container_infra_prefix',),
      default=''),
    P('binary_mirror_url', BOTH, ('label:binary_mirror_url',), default=''),
    # Which CNI ports the security groups open; the node learns the CNI
    # from component_versions (CNI=...).
    P('cni', (CLUSTER,), ('derive:cni',), default='calico'),
    P('component_versions', BOTH, ('derive:component_versions',)),
    P('metrics_server_enabled', (CLUSTER,),
      ('label:metrics_server_enabled',), type=BOOLEAN, default=True),
    # Node bootstrap (issue 5): nodegroup labels and taints applied at
    # kubelet registration, and the secrets; masters only where secret.
    P('master_node_labels', (CLUSTER,), ('derive:master_node_labels',),
      default=''),
    P('worker_node_labels', (CLUSTER,), ('derive:worker_node_labels',),
      default=''),
    P('node_labels', (NODEGROUP,), ('derive:node_labels',), default=''),
    P('master_node_taints', (CLUSTER,), ('derive:master_node_taints',),
      default=''),
    P('worker_node_taints', (CLUSTER,), ('derive:worker_node_taints',),
      default=''),
    P('node_taints', (NODEGROUP,), ('derive:node_taints',), default=''),
    P('ca_cert', (CLUSTER,), ('bootstrap.ca_cert',), default='',
      hidden=True),
    P('ca_key', (CLUSTER,), ('bootstrap.ca_key',), default='', hidden=True),
    P('etcd_ca_cert', (CLUSTER,), ('bootstrap.etcd_ca_cert',), default='',
      hidden=True),
    P('etcd_ca_key', (CLUSTER,), ('bootstrap.etcd_ca_key',), default='',
      hidden=True),
    P('front_proxy_ca_cert', (CLUSTER,), ('bootstrap.front_proxy_ca_cert',),
      default='', hidden=True),
    P('front_proxy_ca_key', (CLUSTER,), ('bootstrap.front_proxy_ca_key',),
      default='', hidden=True),
    P('service_account_key', (CLUSTER,), ('bootstrap.service_account_key',),
      default='', hidden=True),
    P('service_account_pub', (CLUSTER,), ('bootstrap.service_account_pub',),
      default='', hidden=True),
    P('certificate_key', (CLUSTER,), ('bootstrap.certificate_key',),
      default='', hidden=True),
    P('bootstrap_token', BOTH, ('bootstrap.bootstrap_token',), default='',
      hidden=True),
    P('ca_cert_hash', BOTH, ('bootstrap.ca_cert_hash',), default='',
      hidden=True),
    P('kube_api_port', BOTH, ('template.apiserver_port',),
      type=NUMBER, default=6443),
    P('pod_cidr', BOTH, ('label:calico_ipv4pool',), default='10.100.0.0/16'),
    P('service_cidr', BOTH, ('label:service_cluster_ip_range',),
      default='10.254.0.0/16'),
    P('server_group_policy', BOTH, ('label:server_group_policy',),
      default='anti-affinity'),
    P('master_removal_list', (CLUSTER,), ('removals.master',), type=LIST,
      default=()),
    P('worker_removal_list', (CLUSTER,), ('removals.worker',), type=LIST,
      default=()),
    P('removal_list', (NODEGROUP,), ('removals.nodegroup',), type=LIST,
      default=()),
    # The cluster's cloud credentials (issue 4), for the masters'
    # cloud.conf; '' when it has none.
    P('auth_url', (CLUSTER,), ('credentials.auth_url',), default=''),
    P('region_name', (CLUSTER,), ('credentials.region_name',), default=''),
    P('trustee_domain_id', (CLUSTER,), ('credentials.trustee_domain_id',),
      default=''),
    P('trustee_user_id', (CLUSTER,), ('credentials.trustee_user_id',),
      default=''),
    P('trustee_username', (CLUSTER,), ('credentials.trustee_username',),
      default=''),
    P('trustee_password', (CLUSTER,), ('credentials.trustee_password',),
      default='', hidden=True),
    P('trust_id', (CLUSTER,), ('credentials.trust_id',), default='',
      hidden=True),
    P('application_credential_id', (CLUSTER,),
      ('credentials.application_credential_id',), default='', hidden=True),
    P('application_credential_secret', (CLUSTER,),
      ('credentials.application_credential_secret',), default='',
      hidden=True),
    # Where and how often the masters report the cluster's health
    # (fragments/health-report.sh); set only for clusters with credentials.
    P('magnum_url', (CLUSTER,), ('config:health.report_url',), default=''),
    P('health_report_interval', (CLUSTER,),
      ('config:health.report_interval',), type=NUMBER, default=60),
    # Rolling replacement (upgrades): workers replaced per batch; the
    # masters' batch is fixed at 1 in cluster.yaml.
    P('worker_max_batch_size', (CLUSTER,), ('operation.max_batch_size',),
      type=NUMBER, default=1),
    P('max_batch_size', (NODEGROUP,), ('operation.max_batch_size',),
      type=NUMBER, default=1),
    # Node generations (drivers/heat/generations.py): raised when an
    # update replaces a group's nodes, so their wait conditions wait again.
    P('master_generation', (CLUSTER,), ('generation.master_generation',),
      type=NUMBER, default=1),
    P('worker_generation', (CLUSTER,), ('generation.worker_generation',),
      type=NUMBER, default=1),
    P('node_generation', (NODEGROUP,), ('generation.node_generation',),
      type=NUMBER, default=1),
    P('node_fingerprints', BOTH, ('generation.node_fingerprints',),
      default=''),
)
del P


def rows_for(template, table=PARAMETERS):
    """The rows of ``table`` declared by ``template`` (a file name)."""
    return tuple(row for row in table if template in row.templates)


def labels_read(table=PARAMETERS):
    """``{label: row default}`` for every label the table reads."""
    return {source.split(':', 1)[1]: row.default
            for row in table for source in row.sources
            if source.startswith('label:')}


def label_defaults():
    """``{label: default}`` of every label magnum-lite reads: the
    declarations of ``labels.LABELS``, which the API validates label
    values against (a test holds ``labels_read()`` declared there with
    the same defaults)."""
    return label_table.defaults()


def hidden_names(table=PARAMETERS):
    """Names of the parameters that must not be logged."""
    return frozenset(row.name for row in table if row.hidden)


def redacted(parameters, table=PARAMETERS):
    """A copy of ``parameters`` safe to log."""
    hidden = hidden_names(table)
    return {k: ('***' if k in hidden else v) for k, v in parameters.items()}


def _empty(value):
    return value is None or value == ''


def _lookup(source, values):
    if source.startswith('label:'):
        return values['labels'].get(source[len('label:'):])
    if source.startswith('config:'):
        return values['config'].get(source[len('config:'):])
    if source.startswith('derive:'):
        return DERIVATIONS[source[len('derive:'):]](values)
    kind, _, field = source.partition('.')
    return (values.get(kind) or {}).get(field)


def _as_bool(value):
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ('true', '1', 'yes', 'on'):
            return True
        if lowered in ('false', '0', 'no', 'off'):
            return False
        raise ValueError(f'not a boolean: {value!r}')
    return bool(value)


def _convert(row, value):
    """The value as Heat expects it for the row's type; lists travel as
    comma-separated strings, which Heat always accepts."""
    if row.type == NUMBER:
        return int(value)
    if row.type == BOOLEAN:
        return _as_bool(value)
    if row.type == LIST:
        if isinstance(value, str):
            return value
        return ','.join(str(item) for item in value)
    return str(value)


def render(template, values, table=PARAMETERS):
    """The parameters of ``template`` from ``values``: a dict of the
    source kinds (``cluster``, ``template``, ``labels``, ``config``, ...)
    to plain dicts. Raises ValueError naming the parameter when a value
    cannot be derived or converted to its type (e.g. component_versions
    of an unsupported kube_tag)."""
    parameters = {}
    for row in rows_for(template, table):
        try:
            value = _value(row, values)
            if value is not None:
                parameters[row.name] = _convert(row, value)
        except (TypeError, ValueError) as err:
            raise ValueError(f'Heat parameter {row.name}: {err}') from err
    return parameters


def _value(row, values):
    """The first source's value, else the row's default."""
    for source in row.sources:
        value = _lookup(source, values)
        if not _empty(value):
            return value
    return row.default


def cluster_parameters(cluster, template, master_nodegroup,
                       worker_nodegroup, removals=None, labels=None,
                       conf_values=None, operation=None, bootstrap=None,
                       credentials=None):
    """Parameters of a cluster's stack (``cluster.yaml``).

    :param cluster: the cluster row as a dict.
    :param template: its cluster template row as a dict.
    :param master_nodegroup: the default master nodegroup row as a dict.
    :param worker_nodegroup: the default worker nodegroup row as a dict.
    :param removals: ``{'master': [server ids], 'worker': [server ids]}``
        to remove on this update.
    :param labels: labels to read; default the cluster's labels (the API
        has already merged the template's into them).
    :param conf_values: ``{'group.option': value}`` for ``config:`` rows.
    :param operation: the arguments of the operation carried out, for
        ``operation.`` rows (``max_batch_size`` of an upgrade).
    :param bootstrap: ``bootstrap.values()`` of the cluster.
    :param credentials: the cluster's cloud credentials
        (``cluster_credentials.heat_values``), for ``credentials.`` rows.
    """
    removals = removals or {}
    values = {
        'cluster': cluster, 'template': template,
        'master_nodegroup': master_nodegroup,
        'worker_nodegroup': worker_nodegroup,
        'removals': {role: removals.get(role) for role in
                     (nodegroup_facts.MASTER, nodegroup_facts.WORKER)},
        'labels': ((cluster.get('labels') or {}) if labels is None
                   else labels),
        'config': conf_values or {}, 'operation': operation or {},
        'bootstrap': bootstrap or {}, 'credentials': credentials or {},
    }
    return render(CLUSTER, values)


def nodegroup_parameters(cluster, template, nodegroup, cluster_outputs,
                         removal_list=None, labels=None, conf_values=None,
                         operation=None, bootstrap=None):
    """Parameters of an extra nodegroup's stack (``nodegroup.yaml``).

    :param cluster: the cluster row as a dict.
    :param template: its cluster template row as a dict.
    :param nodegroup: the nodegroup row as a dict.
    :param cluster_outputs: outputs of the cluster's stack as a dict; the
        nodegroup joins its network, subnet and worker security groups.
    :param removal_list: server ids to remove on this update.
    :param labels: labels to read; default the cluster's labels overlaid
        with the nodegroup's.
    :param conf_values: ``{'group.option': value}`` for ``config:`` rows.
    :param operation: the arguments of the operation carried out, for
        ``operation.`` rows (``max_batch_size`` of an upgrade).
    :param bootstrap: ``bootstrap.values()`` of the cluster.
    """
    if labels is None:
        labels = dict(cluster.get('labels') or {},
                      **(nodegroup.get('labels') or {}))
    values = {
        'cluster': cluster, 'template': template, 'nodegroup': nodegroup,
        'outputs': cluster_outputs or {},
        'removals': {'nodegroup': removal_list},
        'labels': labels, 'config': conf_values or {},
        'operation': operation or {}, 'bootstrap': bootstrap or {},
    }
    return render(NODEGROUP, values)
