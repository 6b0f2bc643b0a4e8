"""Which conductor looks after which cluster (rendezvous hashing).

Every live conductor computes the same owner for a cluster from the same
host list, and when a conductor joins or leaves only its share moves.
"""

import hashlib


def _score(host, key):
    return hashlib.sha256(f'{host}/{key}'.encode()).digest()


def owner(hosts, key):
    """The host that owns ``key`` among ``hosts`` (None if no host)."""
    if not hosts:
        return None
    return max(hosts, key=lambda host: _score(host, key))


def owned(hosts, me, keys):
    """The keys among ``keys`` that ``me`` owns."""
    return [key for key in keys if owner(hosts, key) == me]
