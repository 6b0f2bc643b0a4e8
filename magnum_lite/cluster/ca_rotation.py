"""CA rotation in three stack updates, and the certificate rows behind it.

Replacing a cluster's CAs in one step cannot work with node replacement:
the first new node would trust only the new CA while every running node
serves and presents certificates of the old one. So a rotation
(``PATCH /v1/certificates/{cluster}``) is three phases, each one rolling
stack update that replaces every node:

``trust``
    a new CA is generated; nodes keep signing with the old CA and trust
    both (the old one first in their CA files);
``sign``
    the new CA signs and the old one is still trusted: certificates of
    old and new nodes verify everywhere while nodes are replaced;
``drop``
    the old CA is forgotten: nodes trust only the new one.

Each CA type (``x509.CA_TYPES``) has a *signing* row (``ca_type`` as is)
and, during a rotation, one *extra* trusted row: ``<ca_type>:next``
(the new CA, phase ``trust``) or ``<ca_type>:previous`` (the old CA,
phase ``sign``). The stack's parameters are always derived from these
rows (drivers/heat/bootstrap.py), so whatever runs on the rows (a retry,
an upgrade between two phases) gives nodes a consistent trust. The API
signs with the signing row and hands out the whole trusted bundle.
"""

from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.common import x509
from magnum_lite.db import api as db_api

PHASES = operations.CA_ROTATE.phases
TRUST, SIGN, DROP = PHASES
NEXT, PREVIOUS = 'next', 'previous'


def kind(ca_type, role=None):
    """The ``ca_type`` column of a CA row: the signing CA, or its
    ``next``/``previous`` companion."""
    return ca_type if role is None else f'{ca_type}:{role}'


# Every CA row a cluster can hold.
KINDS = tuple(kind(ca_type, role) for ca_type in x509.CA_TYPES
              for role in (None, NEXT, PREVIOUS))


def companion_kinds(ca_type):
    """The rows that may hold the CA trusted besides the signing one (at
    most one exists)."""
    return kind(ca_type, NEXT), kind(ca_type, PREVIOUS)


def _companion(cluster_uuid, ca_type):
    for row_kind in companion_kinds(ca_type):
        row = db_api.certificate_find(cluster_uuid, row_kind)
        if row is not None:
            return row
    return None


def bundle(*pems):
    """CA certificates as one PEM, in the order given: the signing one
    first (kubeadm signs with the first certificate of a bundle)."""
    return ''.join(p if p.endswith('\n') else p + '\n' for p in pems if p)


def trusted_pem(signing_row):
    """Every CA certificate of the signing row's type that the cluster's
    nodes trust, as one PEM: the signing CA, then the other during a
    rotation (nodes then present certificates of either)."""
    other = _companion(signing_row.cluster_id, signing_row.ca_type)
    return bundle(signing_row.certificate,
                  other.certificate if other else None)


def trusted_bundle(certificates, ca_type):
    """:func:`trusted_pem` from a cluster's certificate rows already
    loaded (``{kind: row}``, which must hold the signing row)."""
    other = next((certificates[k] for k in companion_kinds(ca_type)
                  if certificates.get(k) is not None), None)
    return bundle(certificates[ca_type].certificate,
                  other.certificate if other else None)


def phase_to_resume(cluster):
    """The phase a rotation request starts with: the failed phase of an
    unfinished rotation, the one its rows show, or a new rotation."""
    args = cluster.operation_args or {}
    if cluster.status == states.UPDATE_FAILED and \
            cluster.operation == operations.CA_ROTATE.name and \
            args.get('phase') in PHASES:
        return args['phase']
    if db_api.certificate_find(cluster.uuid,
                               kind(x509.CA_TYPES[0], NEXT)) is not None:
        return TRUST
    if db_api.certificate_find(cluster.uuid,
                               kind(x509.CA_TYPES[0], PREVIOUS)) is not None:
        return SIGN
    return TRUST


def following(phase):
    """The phase after ``phase``, or None after the last."""
    index = PHASES.index(phase) + 1
    return PHASES[index] if index < len(PHASES) else None


def row_changes(phase):
    """(renames, deletes) of CA rows that start ``phase`` after the one
    before it completed: ``sign`` promotes the new CA and keeps the old
    one as previous; ``drop`` forgets the previous."""
    renames, deletes = [], []
    for ca_type in x509.CA_TYPES:
        if phase == SIGN:
            renames += [(kind(ca_type), kind(ca_type, PREVIOUS)),
                        (kind(ca_type, NEXT), kind(ca_type))]
        elif phase == DROP:
            deletes.append(kind(ca_type, PREVIOUS))
    return renames, deletes
