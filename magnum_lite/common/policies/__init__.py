"""Every policy rule, in code, with Magnum's rule names."""

import itertools

from magnum_lite.common.policies import base
from magnum_lite.common.policies import cluster
from magnum_lite.common.policies import cluster_template
from magnum_lite.common.policies import misc
from magnum_lite.common.policies import nodegroup


def list_rules():
    """All rule defaults, for the enforcer and the sample generator."""
    return list(itertools.chain(
        base.list_rules(), cluster.list_rules(),
        cluster_template.list_rules(), nodegroup.list_rules(),
        misc.list_rules()))
