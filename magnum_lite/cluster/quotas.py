"""The cluster quota of a project: its limit and the check a create
must pass. ``db.api.cluster_create`` runs the check (``check_create``)
under the project's lock, in the transaction that inserts the cluster."""

from magnum_lite.common import exception
from magnum_lite.conf import CONF
from magnum_lite.db import api as db_api

# The one resource a quota row may name (Magnum's).
RESOURCE = 'Cluster'
# A quota row created or updated without a hard_limit gets this one
# (Magnum's), not the configured default.
NEW_HARD_LIMIT = 1


def hard_limit(given):
    """The hard_limit a quota create or update body sets."""
    return NEW_HARD_LIMIT if given is None else given


def default_limit():
    """The cluster limit of a project without a quota row."""
    return CONF.quotas.max_clusters_per_project


def limit(quota):
    """The project's cluster limit: its quota row's (``quota``), else
    the default."""
    return quota.hard_limit if quota is not None else default_limit()


def check(quota, count):
    """403 (QuotaExceeded) when a project owning ``count`` clusters, with
    quota row ``quota`` (or None), may not have one more."""
    allowed = limit(quota)
    if count >= allowed:
        raise exception.QuotaExceeded(limit=allowed)


def check_create(rows, count):
    """``check`` as ``db.api.cluster_create`` calls it, with the project's
    quota rows by resource."""
    check(rows.get(RESOURCE), count)


def check_project(project_id):
    """``check`` outside any transaction, so that a create over quota is
    refused before it makes credentials in Keystone. Not enough by
    itself: two creates may both pass it; ``check_create`` decides."""
    check(db_api.quota_get(project_id, RESOURCE),
          db_api.cluster_count(project_id))
