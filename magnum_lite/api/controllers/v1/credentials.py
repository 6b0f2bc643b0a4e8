"""``/v1/credentials/{cluster}`` (1.12): rotate a cluster's credentials."""

from magnum_lite.api import documents
from magnum_lite.api import endpoint
from magnum_lite.api import microversions as mv
from magnum_lite.api import routing
from magnum_lite.api import scope
from magnum_lite.api import work
from magnum_lite.api.controllers.v1 import clusters
from magnum_lite.cluster import cluster_credentials
from magnum_lite.cluster import operations
from magnum_lite.common.policies import misc as rules


@endpoint.declare('PATCH', '/credentials/{cluster_ident}',
                  policy=rules.CREDENTIAL_ROTATE, min_version=mv.CREDENTIALS,
                  status=202, reply=documents.ACCEPTED)
def rotate(request, cluster_ident):
    """Replace the credentials the cluster's services use: 202."""
    request.check_query()
    request.authorize(scope.own_target(request))
    request.json('credential')  # a body, if any, must at least be JSON
    cluster = clusters.load(request, cluster_ident)
    # Magnum's resize set: settled, or updating (which the claim below
    # then refuses as busy).
    work.check_state(operations.CREDENTIALS_ROTATE, cluster)
    # The new credentials are made with the caller's token and stored with
    # the claim; the conductor gives them to the stack and removes the old
    # ones once the update completed.
    credentials = cluster_credentials.create(request.context, cluster.uuid,
                                             rotation=True)
    try:
        work.claim(cluster.uuid, operations.CREDENTIALS_ROTATE,
                   new_credentials=[c.row() for c in credentials])
    except Exception:
        cluster_credentials.discard(credentials)
        raise
    work.start(request, operations.CREDENTIALS_ROTATE, cluster.uuid)
    return routing.Reply({'uuid': cluster.uuid}, 202)

