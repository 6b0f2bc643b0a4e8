"""A CA rotation's phases on the certificate rows (cluster/ca_rotation.py,
conductor/certificates.py) and the stack values they give
(drivers/heat/bootstrap.py), on every database backend."""

from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import serialization

from magnum_lite.cluster import ca_rotation
from magnum_lite.cluster import operations
from magnum_lite.common import states
from magnum_lite.common import x509
from magnum_lite.conductor import certificates
from magnum_lite.db import api as db_api
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.tests import base


def make_cluster():
    """A complete cluster with its CAs, as after a create."""
    template = db_api.template_create(
        {'name': 't', 'coe': 'kubernetes', 'image_id': 'img',
         'project_id': 'p1'})
    cluster = db_api.cluster_create(
        {'name': 'c', 'cluster_template_id': template.uuid,
         'project_id': 'p1', 'status': states.CREATED}, [])
    certificates.ensure_certificates(cluster)
    return cluster


def start_rotation(cluster_uuid):
    """What the API and the conductor do for PATCH /v1/certificates:
    claim the phase to resume, prepare its rows. Returns the cluster."""
    cluster = db_api.cluster_get(cluster_uuid)
    phase = ca_rotation.phase_to_resume(cluster)
    db_api.cluster_claim(cluster_uuid, states.UPDATE,
                         operations.CA_ROTATE.name, args={'phase': phase})
    certificates.prepare_rotation_phase(cluster, phase)
    return db_api.cluster_get(cluster_uuid)


def next_phase(cluster_uuid):
    """What the conductor does when a phase's stack update completed."""
    return certificates.start_next_phase(db_api.cluster_get(cluster_uuid))


def rotate_ca(cluster_uuid):
    """A whole rotation, every phase's stack update taken as done."""
    start_rotation(cluster_uuid)
    while next_phase(cluster_uuid) is not None:
        pass
    db_api.cluster_update(cluster_uuid, {'status': states.UPDATED})


def bootstrap_values(cluster_uuid):
    """The driver's bootstrap values from the certificate rows stored
    for a cluster now."""
    return bootstrap.values(certificates.stored(cluster_uuid))


def _certs(pem):
    return [c.public_bytes(serialization.Encoding.PEM).decode()
            for c in crypto_x509.load_pem_x509_certificates(pem.encode())]


class RotationPhasesTest(base.DbTestCase):

    def test_three_phases_trust_sign_drop(self):
        cluster = make_cluster()
        before = bootstrap_values(cluster.uuid)
        old_ca, old_key = before['ca_cert'], before['ca_key']
        self.assertEqual([old_ca], _certs(old_ca))
        self.assertEqual(bootstrap.ca_cert_hash(old_ca),
                         before['ca_cert_hash'])

        cluster = start_rotation(cluster.uuid)
        self.assertEqual({'phase': 'trust'}, cluster.operation_args)
        trust = bootstrap_values(cluster.uuid)
        old, new = _certs(trust['ca_cert'])
        self.assertEqual(old_ca, old)
        self.assertEqual(old_key, trust['ca_key'])
        self.assertEqual(f'{bootstrap.ca_cert_hash(old)},'
                         f'{bootstrap.ca_cert_hash(new)}',
                         trust['ca_cert_hash'])
        for prefix in ('etcd_ca', 'front_proxy_ca'):
            self.assertEqual(2, len(_certs(trust[f'{prefix}_cert'])))
            self.assertEqual(before[f'{prefix}_key'], trust[f'{prefix}_key'])
        # A retry of the phase keeps the new CAs it made.
        certificates.prepare_rotation_phase(cluster, 'trust')
        self.assertEqual(trust, bootstrap_values(cluster.uuid))

        started = db_api.cluster_get(cluster.uuid).operation_started_at
        self.assertEqual('sign', next_phase(cluster.uuid))
        cluster = db_api.cluster_get(cluster.uuid)
        self.assertEqual(({'phase': 'sign'}, None),
                         (cluster.operation_args,
                          cluster.operation_driven_at))
        self.assertGreaterEqual(cluster.operation_started_at, started)
        sign = bootstrap_values(cluster.uuid)
        self.assertEqual([new, old], _certs(sign['ca_cert']))
        self.assertNotEqual(old_key, sign['ca_key'])
        self.assertEqual(new, db_api.certificate_get(
            cluster.uuid, 'kubernetes').certificate)

        self.assertEqual('drop', next_phase(cluster.uuid))
        drop = bootstrap_values(cluster.uuid)
        self.assertEqual([new], _certs(drop['ca_cert']))
        self.assertEqual(sign['ca_key'], drop['ca_key'])
        self.assertEqual(bootstrap.ca_cert_hash(new), drop['ca_cert_hash'])
        self.assertIsNone(next_phase(cluster.uuid))
        # Only the three signing CAs and the service account are left;
        # the token and certificate key never changed.
        self.assertEqual(4, len(certificates.stored_keys(cluster.uuid)))
        self.assertEqual(
            (before['bootstrap_token'], before['certificate_key']),
            (drop['bootstrap_token'], drop['certificate_key']))

    def test_a_failed_phase_resumes(self):
        cluster = make_cluster()
        start_rotation(cluster.uuid)
        self.assertEqual('sign', next_phase(cluster.uuid))
        sign = bootstrap_values(cluster.uuid)
        db_api.cluster_update(cluster.uuid, {'status': states.UPDATE_FAILED})
        cluster = start_rotation(cluster.uuid)
        self.assertEqual({'phase': 'sign'}, cluster.operation_args)
        self.assertEqual(sign, bootstrap_values(cluster.uuid))
        # It fails again; after another operation, the rows tell:
        # previous CAs -> sign.
        db_api.cluster_update(cluster.uuid, {'status': states.UPDATE_FAILED})
        db_api.cluster_claim(cluster.uuid, states.UPDATE, 'cluster_resize')
        db_api.cluster_update(cluster.uuid, {'status': states.UPDATED})
        self.assertEqual('sign', ca_rotation.phase_to_resume(
            db_api.cluster_get(cluster.uuid)))

    def test_phase_to_resume(self):
        cluster = make_cluster()
        self.assertEqual('trust', ca_rotation.phase_to_resume(cluster))
        start_rotation(cluster.uuid)
        # A new CA waiting to sign: trust again.
        db_api.cluster_update(cluster.uuid, {'status': states.UPDATE_FAILED,
                                             'operation': 'other'})
        self.assertEqual('trust', ca_rotation.phase_to_resume(
            db_api.cluster_get(cluster.uuid)))
        rotate_ca(cluster.uuid)
        done = db_api.cluster_get(cluster.uuid)
        self.assertEqual(('ca_rotate', {'phase': 'drop'}),
                         (done.operation, done.operation_args))
        self.assertEqual('trust', ca_rotation.phase_to_resume(done))

    def test_a_superseded_rotation_changes_no_row(self):
        cluster = make_cluster()
        start_rotation(cluster.uuid)
        trust = bootstrap_values(cluster.uuid)
        # A delete replaced the rotation meanwhile.
        db_api.cluster_claim(cluster.uuid, states.DELETE, 'cluster_delete')
        self.assertIsNone(next_phase(cluster.uuid))
        self.assertEqual(trust, bootstrap_values(cluster.uuid))
        # Every row's key is found for the delete, the new CAs' too.
        self.assertEqual(len(x509.CA_TYPES) * 2 + 1,
                         len(certificates.stored_keys(cluster.uuid)))
