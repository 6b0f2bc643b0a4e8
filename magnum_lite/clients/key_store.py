"""Where the private keys of cluster CAs live: one seam, two backends.

``[certificates] cert_manager_type`` chooses where :func:`store` puts a
new key: ``local`` encrypts it with ``[database] encryption_key`` (the
value kept in the certificate row is the Fernet token), ``barbican``
makes it a Barbican secret (the row keeps ``barbican:<secret href>``
only). :func:`load` and :func:`delete` go by the row's value, so keys
stored before a change of backend stay usable.

Barbican is reached with a keystoneauth session of the service user
configured in ``[certificates]``; the secrets belong to its project.
"""

import logging
import threading

from barbicanclient import client as barbican_client
from barbicanclient import exceptions as barbican_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading

from magnum_lite.common import exception
from magnum_lite.common import secrets
from magnum_lite.common import wire_log
from magnum_lite.conf import CONF

LOG = logging.getLogger(__name__)
# A secret's body is the key: never log Barbican's bodies.
_HTTP_LOG = wire_log.bodiless(__name__ + '.wire')
GROUP = 'certificates'
PREFIX = 'barbican:'

_LOCK = threading.Lock()
_CLIENT = {}


def store(cluster_uuid, kind, private_pem):
    """Keep ``private_pem`` (a key of ``kind`` of the cluster); returns
    the value to keep in the certificate row's ``private_key``."""
    if CONF.certificates.cert_manager_type != 'barbican':
        return secrets.encrypt(private_pem)
    # Bytes: Barbican keeps them as they are (a text payload loses its
    # trailing newline).
    secret = _barbican(lambda c: c.secrets.create(
        name=f'magnum-lite {cluster_uuid} {kind}',
        payload=private_pem.encode(),
        secret_type='private'))  # noqa: S106 - a type, not a secret
    return PREFIX + _barbican(lambda c: secret.store())


def load(value):
    """The private key PEM a value of :func:`store` stands for."""
    if not value.startswith(PREFIX):
        return secrets.decrypt(value)
    payload = _barbican(lambda c: c.secrets.get(value[len(PREFIX):]).payload)
    return payload.decode() if isinstance(payload, bytes) else payload


def delete(value):
    """Forget the key a value of :func:`store` stands for. Encrypted
    keys go with their row; a Barbican secret already gone is fine."""
    if not value or not value.startswith(PREFIX):
        return
    href = value[len(PREFIX):]
    try:
        _barbican(lambda c: c.secrets.delete(href))
    except _Gone:
        LOG.info('Barbican secret %s was already deleted', href)


def delete_all(values):
    """:func:`delete` each value, then raise the first failure if there
    was one: the caller retries later (deleting what is gone is fine)."""
    failure = None
    for value in values:
        try:
            delete(value)
        except exception.MagnumLiteError as err:
            failure = failure or err
    if failure is not None:
        raise failure


def delete_quietly(values):
    """:func:`delete` each value; a failure is logged, not raised (a
    left-over secret is only garbage)."""
    for value in values:
        try:
            delete(value)
        except exception.MagnumLiteError as err:
            LOG.warning('Could not delete Barbican secret %s: %s',
                        value[len(PREFIX):], err)


def reset():
    """Forget the Barbican client (tests, configuration changes)."""
    with _LOCK:
        _CLIENT.clear()


class _Gone(exception.ServiceUnavailable):
    message = 'Service unavailable: a Barbican secret does not exist'


def _client():
    with _LOCK:
        if 'client' not in _CLIENT:
            group = CONF.certificates
            auth = ks_loading.load_auth_from_conf_options(CONF, GROUP)
            if auth is None:
                raise exception.ServiceUnavailable(
                    reason='[certificates] auth_type is not set')
            session = ks_loading.load_session_from_conf_options(
                CONF, GROUP, auth=auth)
            _CLIENT['client'] = barbican_client.Client(
                session=session, endpoint=group.barbican_endpoint,
                interface=group.barbican_interface,
                region_name=group.region_name, logger=_HTTP_LOG)
        return _CLIENT['client']


def _barbican(call):
    """``call(client)``, Barbican's and keystoneauth's errors turned into
    ours (their messages carry no payload)."""
    try:
        return call(_client())
    except barbican_exc.HTTPClientError as err:
        if err.status_code == 404:
            raise _Gone() from err
        raise exception.ServiceUnavailable(
            reason=f'Barbican refused: {err}') from err
    except (barbican_exc.HTTPError, barbican_exc.BarbicanException,
            ks_exc.ClientException) as err:
        raise exception.ServiceUnavailable(
            reason=f'Barbican: {err}') from err
