"""Every error magnum-lite raises on purpose.

The base classes carry the HTTP meaning; subclasses only set the message.
The API turns any ``MagnumLiteError`` into Magnum's error envelope with
``code = "client"`` (or ``"server"`` for 5xx).
"""


class MagnumLiteError(Exception):
    """Base of our errors. ``message`` is a format string over kwargs."""

    code = 500
    message = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.message % kwargs
        self.msg = message
        super().__init__(message)

    def __str__(self):
        return self.msg


class Invalid(MagnumLiteError):
    code = 400
    message = 'Invalid input: %(reason)s'


class NotAuthenticated(MagnumLiteError):
    code = 401
    message = 'Authentication required.'


class NotAuthorized(MagnumLiteError):
    code = 403
    message = 'Not authorized.'


class NotFound(MagnumLiteError):
    code = 404
    message = 'Resource could not be found.'


class Conflict(MagnumLiteError):
    code = 409
    message = 'Conflict.'


class UnsupportedMediaType(MagnumLiteError):
    code = 415
    message = 'Unknown mimetype: %(mimetype)s'


class ServiceUnavailable(MagnumLiteError):
    code = 503
    message = 'Service unavailable: %(reason)s'


# 400 -----------------------------------------------------------------------

class InvalidParameterValue(Invalid):
    message = '%(err)s'


class InvalidField(Invalid):
    message = ('Invalid input for field/attribute %(field)s. '
               'Value: \'%(value)s\'. %(reason)s')


class UnknownArgument(Invalid):
    message = 'Unknown argument: "%(name)s"'


class UnknownAttributes(Invalid):
    message = 'Unknown attributes for argument %(argument)s: %(names)s'


class MissingArgument(Invalid):
    message = 'Missing argument: "%(name)s"'


class MalformedJson(Invalid):
    message = 'Request is not in valid JSON format'


class PatchError(Invalid):
    message = "Couldn't apply patch '%(patch)s'. Reason: %(reason)s"


class ClusterTemplateReferenced(Invalid):
    message = ('ClusterTemplate %(clustertemplate)s is referenced by one or '
               'multiple clusters.')


class ClusterTemplateNotFoundBadRequest(Invalid):
    message = 'ClusterTemplate %(clustertemplate)s could not be found.'


class ClusterNotFoundBadRequest(Invalid):
    message = 'Cluster %(cluster)s could not be found.'


class ImageNotFound(Invalid):
    message = 'Image %(image_id)s could not be found.'


class ImageNotActive(Invalid):
    message = ('Image %(image_id)s is %(status)s, not active: no server '
               'can boot from it.')


class OSDistroFieldNotFound(Invalid):
    message = "Image %(image_id)s doesn't contain os_distro field."


class ClusterTypeNotSupported(Invalid):
    message = ('Cluster type (%(server_type)s, %(os)s, %(coe)s) not '
               'supported.')


class FlavorNotFound(Invalid):
    message = 'Unable to find flavor %(flavor)s.'


class ExternalNetworkNotFound(Invalid):
    message = 'Unable to find external network %(network)s.'


class FixedNetworkNotFound(Invalid):
    message = 'Unable to find fixed network %(network)s.'


class FixedSubnetNotFound(Invalid):
    message = 'Unable to find fixed subnet %(subnet)s.'


class InvalidState(Invalid):
    message = ('%(action)s a cluster when status is "%(status)s" is not '
               'supported.')


# 403 -----------------------------------------------------------------------

class PolicyNotAuthorized(NotAuthorized):
    message = "Policy doesn't allow %(action)s to be performed."


class ClusterTemplatePublishDenied(NotAuthorized):
    message = ('Not authorized to set public or hidden flag for cluster '
               'template.')


class ImageNotAuthorized(NotAuthorized):
    message = 'Not authorized for image %(image_id)s.'


class QuotaExceeded(NotAuthorized):
    message = ('Resource limit exceeded: You have reached the maximum '
               'clusters per project, %(limit)d. You may delete a cluster '
               'to make room for a new one.')


# 404 -----------------------------------------------------------------------

class ClusterTemplateNotFound(NotFound):
    message = 'ClusterTemplate %(clustertemplate)s could not be found.'


class ClusterNotFound(NotFound):
    message = 'Cluster %(cluster)s could not be found.'


class NodeGroupNotFound(NotFound):
    message = 'Nodegroup %(nodegroup)s could not be found.'


class NodeNotFound(NotFound):
    message = 'No server of cluster %(cluster)s is node %(node)s.'


class QuotaNotFound(NotFound):
    message = ('Quota could not be found: project_id %(project_id)s '
               'resource %(resource)s.')


class CertificateNotFound(NotFound):
    message = 'The CA of cluster %(cluster)s could not be found.'


class KeyPairNotFound(NotFound):
    # 404 as in Magnum (its other cloud resources answer 400).
    message = 'Unable to find keypair %(keypair)s.'


class FederationNotFound(NotFound):
    message = 'Federation %(federation)s could not be found.'


# 409 -----------------------------------------------------------------------

class AmbiguousName(Conflict):
    message = ('Multiple %(plural)s exist with same name. Please use the '
               '%(kind)s uuid instead.')


class AmbiguousCloudResource(Conflict):
    message = ("Multiple %(kind)s exist with same name '%(name)s'. Please "
               'use the %(use)s ID instead.')


class NodesNeedUpgrade(Conflict):
    """An operation that does not drain would replace nodes because this
    release changed their user data (drivers/heat/node_files.py)."""
    message = ('%(operation)s would replace the nodes of %(groups)s: this '
               'release of the service builds their user data differently '
               'from the release that built them. Upgrade the cluster '
               'first (to its own cluster template if nothing else is to '
               'change): an upgrade replaces them drained and waited for, '
               'masters one at a time. Then retry.')


class DuplicateUuid(Conflict):
    message = 'A %(kind)s with UUID %(uuid)s already exists.'


class QuotaAlreadyExists(Conflict):
    message = ('Quota for project %(project_id)s already exists for '
               'resource %(resource)s.')


class NodeGroupAlreadyExists(Conflict):
    message = ('A node group with name %(name)s already exists in the '
               'cluster %(cluster)s.')


class NodeGroupInvalid(Conflict):
    message = '%(attr)s for %(nodegroup)s is invalid (%(expl)s).'


class ClusterBusy(Conflict):
    message = ('Cluster %(cluster)s is busy (status %(status)s); try again '
               'when the current operation has finished.')


class ApiAddressNotReady(Conflict):
    message = 'Cluster API address is not available yet'


# Conductor-side -------------------------------------------------------------

class ClusterLocked(Conflict):
    message = 'Cluster %(cluster)s is locked by conductor %(host)s.'


class DriverNotFound(Invalid):
    message = 'Cluster driver %(name)s is not installed.'


class CloudUnavailable(ServiceUnavailable):
    message = '%(service)s is unavailable: %(reason)s'


class DatabaseUnavailable(ServiceUnavailable):
    message = ('The database is unavailable or takes no more connections; '
               'try again later.')


class KubernetesUnavailable(ServiceUnavailable):
    message = 'Kubernetes API %(server)s: %(reason)s'
