"""Generated names for resources created without one."""

import random

_GREEK = ('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta',
          'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'omicron',
          'pi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'chi', 'psi',
          'omega')


def generate(suffix):
    """A Magnum-style name: ``<greek letter>-<1..24>-<suffix>``."""
    return f'{random.choice(_GREEK)}-{random.randint(1, 24)}-{suffix}'
