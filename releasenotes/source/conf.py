"""Sphinx configuration of the magnum-lite release notes (reno).

Built by ``tox -e releasenotes`` and by tools/docs/build, warnings as
errors; reno reads the notes from the local git history only.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools', 'docs'))

import sphinx_common  # noqa: E402

globals().update(sphinx_common.settings(bug_tag='releasenotes'))
project = 'magnum-lite release notes'
extensions += ['reno.sphinxext']  # noqa: F821 (set by sphinx_common)
