"""How a cluster create request becomes rows: the fields a cluster
inherits from its template, label merging and the default nodegroups."""

from magnum_lite.cluster import label_checks
from magnum_lite.cluster import nodegroup_checks
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.common import names
from magnum_lite.common import states

# Cluster fields that fall back to the template's when absent or empty.
_INHERITED = {'docker_volume_size': 'docker_volume_size',
              'master_flavor_id': 'master_flavor_id',
              'flavor_id': 'flavor_id',
              'fixed_network': 'fixed_network',
              'fixed_subnet': 'fixed_subnet',
              'floating_ip_enabled': 'floating_ip_enabled',
              'master_lb_enabled': 'master_lb_enabled',
              'keypair': 'keypair_id'}


def node_count(body):
    """The worker count a cluster or nodegroup create body asks for (1
    when it says nothing)."""
    count = body.get('node_count')
    return 1 if count is None else count


def merged_labels(base, given, merge):
    """Labels of a new cluster or nodegroup: ``given`` if any (overlaid on
    ``base`` when ``merge``), else a copy of ``base``."""
    if not given:
        return dict(base or {})
    if merge:
        return dict(base or {}, **given)
    return dict(given)


def apply(body, template, project_id, user_id):
    """Return (cluster values, [nodegroup values]) for a create body of
    ``project_id``'s ``user_id``, checked (400s)."""
    master_count = body.get('master_count') or 1
    values = {
        'name': body.get('name') or names.generate('cluster'),
        'cluster_template_id': template.uuid,
        'project_id': project_id,
        'user_id': user_id,
        'create_timeout': (60 if body.get('create_timeout') is None
                           else body['create_timeout']),
        'discovery_url': body.get('discovery_url'),
        'labels': merged_labels(template.labels, body.get('labels'),
                                body.get('merge_labels')),
        'status': states.CREATING,
        'operation': operations.CLUSTER_CREATE.name,
    }
    for field, source in _INHERITED.items():
        given = body.get(field)
        values[field] = (getattr(template, source)
                         if given is None or given == '' else given)
    nodegroup_checks.check_master_count(master_count,
                                        values['master_lb_enabled'])
    label_checks.check_labels(values['labels'])
    label_checks.check_cni(values['labels'], template.network_driver)
    return values, _default_nodegroups(values, template, master_count,
                                       node_count(body))


def _default_nodegroups(values, template, master_count, node_count):
    common = {'image_id': template.image_id,
              'docker_volume_size': values['docker_volume_size'],
              'labels': dict(values['labels']),
              'project_id': values['project_id'],
              'status': states.CREATING, 'is_default': True}
    min_nodes = values['labels'].get('min_node_count', '0')
    return [
        dict(common, name='default-master', role=nodegroup_facts.MASTER,
             node_count=master_count, min_node_count=0,
             flavor_id=values['master_flavor_id']),
        dict(common, name='default-worker', role=nodegroup_facts.WORKER,
             node_count=node_count,
             min_node_count=int(min_nodes) if str(min_nodes).isdigit() else 0,
             flavor_id=values['flavor_id']),
    ]
