"""What a cluster or nodegroup request may name or ask at its
microversion: the template it names (by uuid, name or id, as the caller
may see it) and zero-node counts (1.10)."""

from magnum_lite.api import microversions as mv
from magnum_lite.api.schemas import types
from magnum_lite.common import exception
from magnum_lite.db import api as db_api


def find_template(request, ident, create=True):
    """The template a cluster create (or, ``create`` False, an upgrade)
    names: uuid, name or integer id. Only cluster create answers 400 for
    a missing template below 1.10; an upgrade always answers 404."""
    visible_to = (None if request.context.is_admin
                  else request.context.project_id)
    try:
        if isinstance(ident, int) or str(ident).isdigit():
            if not 0 < int(ident) <= types.INT_MAX:
                # No row has such an id; the database would fail on it.
                raise exception.ClusterTemplateNotFound(
                    clustertemplate=ident)
            template = db_api.template_get_by_id(int(ident), visible_to)
        else:
            template = db_api.template_get(ident, visible_to)
    except exception.ClusterTemplateNotFound:
        if request.at_least(mv.ZERO_NODES) or not create:
            raise
        raise exception.ClusterTemplateNotFoundBadRequest(
            clustertemplate=ident)
    if template.hidden and not request.context.is_admin:
        raise exception.NotAuthorized()
    return template


def check_zero_nodes(request, node_count):
    """Zero-node nodegroups exist from microversion 1.10."""
    if node_count == 0 and not request.at_least(mv.ZERO_NODES):
        raise exception.InvalidParameterValue(
            err='Resizing a nodegroup to zero is not supported in the '
                'provided microversion.')
