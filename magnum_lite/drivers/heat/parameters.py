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
``removals.<key>``
    server ids the caller wants removed (``master``, ``worker``,
    ``nodegroup``);
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


DERIVATIONS = {
    'wait_timeout': _wait_timeout,
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
    P('nodegroup_role', (NODEGROUP,), ('nodegroup.role',), default='worker'),
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
    P('kube_tag', BOTH, ('label:kube_tag',), default='v1.31.4'),
    P('network_driver', (CLUSTER,), ('template.network_driver',),
      default='flannel'),
    P('kube_api_port', (CLUSTER,), ('template.apiserver_port',),
      type=NUMBER, default=6443),
    P('server_group_policy', BOTH, ('label:server_group_policy',),
      default='anti-affinity'),
    P('master_removal_list', (CLUSTER,), ('removals.master',), type=LIST,
      default=()),
    P('worker_removal_list', (CLUSTER,), ('removals.worker',), type=LIST,
      default=()),
    P('removal_list', (NODEGROUP,), ('removals.nodegroup',), type=LIST,
      default=()),
)
del P


def rows_for(template, table=PARAMETERS):
    """The rows of ``table`` declared by ``template`` (a file name)."""
    return tuple(row for row in table if template in row.templates)


def label_defaults(table=PARAMETERS):
    """``{label: default}`` for every label the table reads; the list the
    API validates labels against."""
    return {source.split(':', 1)[1]: row.default
            for row in table for source in row.sources
            if source.startswith('label:')}


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
    cannot be converted to its type."""
    parameters = {}
    for row in rows_for(template, table):
        value = None
        for source in row.sources:
            value = _lookup(source, values)
            if not _empty(value):
                break
        if _empty(value):
            value = row.default
        if value is None:
            continue
        try:
            parameters[row.name] = _convert(row, value)
        except (TypeError, ValueError) as err:
            raise ValueError(f'Heat parameter {row.name}: {err}') from err
    return parameters


def cluster_parameters(cluster, template, master_nodegroup,
                       worker_nodegroup, removals=None, labels=None,
                       conf_values=None):
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
    """
    removals = removals or {}
    values = {
        'cluster': cluster, 'template': template,
        'master_nodegroup': master_nodegroup,
        'worker_nodegroup': worker_nodegroup,
        'removals': {'master': removals.get('master'),
                     'worker': removals.get('worker')},
        'labels': ((cluster.get('labels') or {}) if labels is None
                   else labels),
        'config': conf_values or {},
    }
    return render(CLUSTER, values)


def nodegroup_parameters(cluster, template, nodegroup, cluster_outputs,
                         removal_list=None, labels=None, conf_values=None):
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
    """
    if labels is None:
        labels = dict(cluster.get('labels') or {},
                      **(nodegroup.get('labels') or {}))
    values = {
        'cluster': cluster, 'template': template, 'nodegroup': nodegroup,
        'outputs': cluster_outputs or {},
        'removals': {'nodegroup': removal_list},
        'labels': labels, 'config': conf_values or {},
    }
    return render(NODEGROUP, values)
