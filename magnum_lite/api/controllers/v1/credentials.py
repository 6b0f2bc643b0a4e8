"""``/v1/credentials/{cluster}`` (1.12): rotate a cluster's credentials."""

from magnum_lite.api import collection
from magnum_lite.api import microversions as mv
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import work
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.common import cluster_credentials
from magnum_lite.common import exception
from magnum_lite.common import policy
from magnum_lite.common import states
from magnum_lite.common.policies import misc as rules
from magnum_lite.db import api as db_api


def rotate(request, cluster_ident):
    """Replace the credentials the cluster's services use: 202."""
    collection.check_params(request.params, ())
    policy.authorize(rules.CREDENTIAL_ROTATE, request.context,
                     scope.own_target(request))
    request.json('credential')  # a body, if any, must at least be JSON
    cluster = clusters.load(request, cluster_ident)
    # Magnum's resize set: settled, or updating (which the claim below
    # then refuses as busy).
    if cluster.status not in states.STABLE | {states.UPDATING,
                                              states.UPDATE_FAILED}:
        raise exception.InvalidState(
            action='Updating', status=states.magnum_status(cluster.status))
    # The new credentials are made with the caller's token and stored with
    # the claim; the conductor gives them to the stack and removes the old
    # ones once the update completed.
    credentials = cluster_credentials.create(request.context, cluster.uuid,
                                             rotation=True)
    try:
        db_api.cluster_claim(cluster.uuid, states.UPDATE,
                             'credentials_rotate',
                             new_credentials=[c.row() for c in credentials])
    except Exception:
        cluster_credentials.discard(credentials)
        raise
    work.start(request, 'credentials_rotate', cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)


ROUTES = [('PATCH', '/credentials/{cluster_ident}', rotate, mv.CREDENTIALS)]
