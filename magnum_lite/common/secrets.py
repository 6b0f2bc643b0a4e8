"""Encryption at rest of private keys kept in the database."""

from cryptography import fernet

from magnum_lite.common import exception
from magnum_lite.conf import CONF


def _fernet():
    key = CONF.database.encryption_key
    if not key:
        raise exception.ServiceUnavailable(
            reason='[database] encryption_key is not set')
    return fernet.Fernet(key.encode())


def encrypt(plaintext):
    """Encrypt a string with ``[database] encryption_key``."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token):
    """Decrypt what :func:`encrypt` made."""
    return _fernet().decrypt(token.encode()).decode()
