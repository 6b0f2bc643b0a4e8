"""API microversions: the named versions and Magnum's negotiation rules."""

import dataclasses
import re

SERVICE = 'container-infrastructure-management'
SERVICE_ALIASES = frozenset({SERVICE, 'container-infrastructure',
                             'container-infra'})
HEADER = 'OpenStack-API-Version'
MIN_HEADER = 'OpenStack-API-Minimum-Version'
MAX_HEADER = 'OpenStack-API-Maximum-Version'


@dataclasses.dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    def __str__(self):
        return f'{self.major}.{self.minor}'

    @classmethod
    def parse(cls, text):
        major, minor = text.split('.')
        return cls(int(major), int(minor))


BASE = Version(1, 1)
ROLLBACK = Version(1, 3)          # PATCH /clusters?rollback=
STATS = Version(1, 4)
CA_ROTATE = Version(1, 5)
QUOTAS = Version(1, 6)
RESIZE = Version(1, 7)
UPGRADE = Version(1, 8)
NODEGROUPS = Version(1, 9)
ZERO_NODES = Version(1, 10)       # node_count 0; 404 for unknown templates
NO_BAYS = Version(1, 11)
CREDENTIALS = Version(1, 12)
CLUSTER_ID = Version(1, 13)       # cluster_id replaces stack_id
NODE_LABELS = Version(1, 14)      # nodegroup node_labels / node_taints

MIN = BASE
MAX = NODE_LABELS

_NUMBER = re.compile(r'^\d+\.\d+$')


class MalformedHeader(Exception):
    """The header cannot be read: answered 406, no version headers."""


class OutOfRange(Exception):
    """A well-formed version the service does not support."""

    def __init__(self, requested):
        self.requested = requested
        super().__init__(requested)


def negotiate(header_value):
    """Return the Version a request asks for (``None`` header: the minimum).

    Raises MalformedHeader or OutOfRange.
    """
    if header_value is None:
        return MIN
    parts = header_value.split()
    if len(parts) != 2:
        raise MalformedHeader('Invalid value for OpenStack-API-Version '
                              'header')
    service, text = parts
    if service not in SERVICE_ALIASES:
        raise MalformedHeader('Invalid service type for '
                              'OpenStack-API-Version header')
    if text.lower() == 'latest':
        return MAX
    if not _NUMBER.match(text):
        raise MalformedHeader('Invalid value for OpenStack-API-Version '
                              'header')
    version = Version.parse(text)
    if not MIN <= version <= MAX:
        raise OutOfRange(version)
    return version


def response_headers(version):
    """The headers every v1 controller response carries."""
    return {
        MIN_HEADER: f'{SERVICE} {MIN}',
        MAX_HEADER: f'{SERVICE} {MAX}',
        HEADER: f'{SERVICE} {version}',
        'Vary': HEADER,
    }


def out_of_range_body(version):
    """Magnum's special 406 body for an unsupported version."""
    return {'errors': [{
        'max_version': str(MAX),
        'min_version': str(MIN),
        'code': 'magnum.microversion-unsupported',
        'links': [{'rel': 'help',
                   'href': 'http://docs.openstack.org/api-guide/compute/'
                           'microversions.html'}],
        'title': 'Requested microversion is unsupported',
        'description': (
            f'Version {version} was requested but the minor version is not '
            f'supported by this service. The supported version range is: '
            f'[{SERVICE} {MIN}, {SERVICE} {MAX}].'),
    }]}
