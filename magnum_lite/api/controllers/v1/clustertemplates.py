"""``/v1/clustertemplates``."""

from magnum_lite.api import collection
from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import jsonpatch
from magnum_lite.api import policy
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import validation
from magnum_lite.api.schemas import cluster_template as schema
from magnum_lite.cluster import cloud_checks
from magnum_lite.cluster import label_checks
from magnum_lite.common import exception
from magnum_lite.common import names
from magnum_lite.common.policies import cluster_template as rules
from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.drivers import registry

FIELDS = (
    'uuid', 'name', 'coe', 'image_id', 'flavor_id', 'master_flavor_id',
    'dns_nameserver', 'keypair_id', 'external_network_id', 'fixed_network',
    'fixed_subnet', 'network_driver', 'apiserver_port', 'docker_volume_size',
    'cluster_distro', 'links', 'http_proxy', 'https_proxy', 'no_proxy',
    'volume_driver', 'registry_enabled', 'labels', 'tls_disabled', 'public',
    'server_type', 'insecure_registry', 'docker_storage_driver',
    'master_lb_enabled', 'floating_ip_enabled', 'project_id', 'user_id',
    'hidden', 'tags', 'driver', 'created_at', 'updated_at')
TEMPLATE = documents.resource('ClusterTemplate', FIELDS, [schema.DOCUMENT])
TEMPLATES = documents.collection('ClusterTemplateCollection',
                                 'clustertemplates', TEMPLATE)
_CREATE = documents.request('ClusterTemplateCreate', schema.CREATE)
_STORED = tuple(f for f in FIELDS
                if f not in ('links', 'created_at', 'updated_at'))
# The columns a template's document is made of, in the document's order
# (FIELDS less the links, which are made).
_READ = tuple(f for f in FIELDS if f != 'links')
_LINKS_AT = FIELDS.index('links')


def serialize(request, template):
    """A template as the API shows it (list and detail alike)."""
    return _document(request,
                     list(collection.fields_of(template, _READ).values()))


def _document(request, values):
    """The template document of ``values`` (a list of its columns in
    ``_READ`` order, which it takes over): one dictionary built at once,
    as a list of 1,000 templates makes 1,000 of them."""
    values.insert(_LINKS_AT, collection.links(
        request, f'clustertemplates/{values[0]}'))
    body = dict(zip(FIELDS, values, strict=True))
    body['created_at'] = collection.timestamp(body['created_at'])
    body['updated_at'] = collection.timestamp(body['updated_at'])
    return body


def _list(request, all_projects_rule, url):
    request.authorize(scope.own_target(request))
    paging = collection.paging(request, models.ClusterTemplate)
    rows = db_api.template_list(
        visible_to=scope.project_filter(request, all_projects_rule),
        columns=_READ, **paging)
    return collection.collection(
        request, 'clustertemplates',
        [_document(request, list(row)) for row in rows],
        paging, url, lambda item: item['uuid'])


@endpoint.declare('GET', '/clustertemplates', policy=rules.GET_ALL,
                  query=endpoint.PAGING, reply=TEMPLATES)
def get_all(request):
    """List templates visible to the caller."""
    return _list(request, rules.GET_ALL_ALL_PROJECTS, 'clustertemplates')


@endpoint.declare('GET', '/clustertemplates/detail', policy=rules.DETAIL,
                  query=endpoint.PAGING, reply=TEMPLATES)
def detail(request):
    """List templates visible to the caller, with detail (same shape)."""
    return _list(request, rules.DETAIL_ALL_PROJECTS,
                 'clustertemplates/detail')


def load(request, ident, all_projects_rule):
    """Find a template the caller may see, by uuid or name."""
    return db_api.template_get(
        ident, visible_to=scope.project_filter(request, all_projects_rule))


@endpoint.declare('GET', '/clustertemplates/{ident}', policy=rules.GET,
                  reply=TEMPLATE)
def get_one(request, ident):
    """Show one template."""
    request.check_query()
    template = load(request, ident, rules.GET_ONE_ALL_PROJECTS)
    if not template.public:
        request.authorize(scope.target_of(template))
    return serialize(request, template)


def _authorize_publish(request):
    if not policy.check(rules.PUBLISH, request.context):
        raise exception.ClusterTemplatePublishDenied()


@endpoint.declare('POST', '/clustertemplates', policy=rules.CREATE,
                  body=_CREATE, status=201, reply=TEMPLATE)
def create(request):
    """Create a template: 201 with the template and a Location."""
    request.authorize(scope.own_target(request))
    body = validation.validate(schema.CREATE,
                               request.json('clustertemplate'),
                               'clustertemplate')
    values = {k: v for k, v in body.items() if v is not None}
    if values.get('public') or values.get('hidden'):
        _authorize_publish(request)
    label_checks.check_labels(values.get('labels'))
    for key, default in schema.DEFAULTS.items():
        values.setdefault(key, default)
    if not values.get('name'):
        values['name'] = names.generate('template')
    values['project_id'] = request.context.project_id
    values['user_id'] = request.context.user_id
    registry.validate(values)
    _check_cloud(request, values, cloud_checks.TEMPLATE_FIELDS, values)
    template = db_api.template_create(values)
    body = serialize(request, template)
    return routing.Reply(body, 201, {'Location': body['links'][0]['href']})


# What a PATCH may change without the driver checking the template again:
# a template that predates a driver's check can still be renamed,
# published or tagged.
_METADATA = frozenset({'name', 'public', 'hidden', 'tags'})


def _allowed_in_use(changes):
    """Changes Magnum allows on a template that clusters use."""
    if set(changes) == {'name'} or set(changes) == {'hidden'}:
        return True
    if set(changes) == {'public'}:
        return changes['public'] is True
    if set(changes) == {'tags'}:
        return changes['tags'] is not None
    return False


@endpoint.declare('PATCH', '/clustertemplates/{ident}', policy=rules.UPDATE,
                  body=documents.JSON_PATCH, reply=TEMPLATE)
def patch(request, ident):
    """Apply a JSON patch to a template: 200 with the result."""
    request.check_query()
    ops = jsonpatch.validate_ops(request.json('patch'),
                                 mandatory=schema.NOT_REMOVABLE)
    template = load(request, ident, rules.UPDATE_ALL_PROJECTS)
    request.authorize(scope.target_of(template))
    current = {f: getattr(template, f) for f in _STORED}
    patched = jsonpatch.apply(current, ops, schema.DEFAULTS, ('labels',))
    patched = _coerce(patched)
    validation.check_document(schema.DOCUMENT, patched)
    changes = {k: v for k, v in patched.items() if v != current[k]}
    if 'labels' in changes:
        # Only what the patch changes: a template that predates a rule
        # can still be renamed or published.
        label_checks.check_labels(
            {k: v for k, v in (changes['labels'] or {}).items()
             if (current['labels'] or {}).get(k) != v})
    if 'public' in changes or 'hidden' in changes:
        _authorize_publish(request)
    if set(changes) - _METADATA:
        registry.validate(patched)
    _check_cloud(request, patched, set(changes) & set(
        cloud_checks.TEMPLATE_FIELDS), changes)
    if changes:
        template = db_api.template_update(template.uuid, changes,
                                          _allowed_in_use)
    return serialize(request, template)


def _check_cloud(request, document, fields, target):
    """Look up the cloud resources ``fields`` of a template ``document``
    name; like Magnum, the image's os_distro becomes ``cluster_distro``
    (set in ``target``)."""
    if not fields:
        return
    distro = cloud_checks.check_template(request.context, document, fields)
    if distro is not None and distro != document.get('cluster_distro'):
        target['cluster_distro'] = distro


def _coerce(document):
    props = schema.DOCUMENT['properties']
    coerced = validation.validate(
        {'properties': props, 'additionalProperties': True},
        {k: v for k, v in document.items() if k in props}, 'clustertemplate')
    return dict(document, **coerced)


@endpoint.declare('DELETE', '/clustertemplates/{ident}', policy=rules.DELETE,
                  status=204)
def delete(request, ident):
    """Delete a template no cluster uses: 204."""
    request.check_query()
    template = load(request, ident, rules.DELETE_ALL_PROJECTS)
    request.authorize(scope.target_of(template))
    db_api.template_delete(template.uuid)
    return routing.Reply(None, 204)


@endpoint.declare('PATCH', '/clustertemplates', status=None)
@endpoint.declare('DELETE', '/clustertemplates', status=None)
def _missing_ident(request):
    raise exception.MissingArgument(name='clustertemplate_ident')

