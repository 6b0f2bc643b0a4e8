"""Sphinx configuration of the magnum-lite documentation.

Built by ``tox -e docs`` and by tools/docs/build (which tools/run-tests
calls), warnings as errors. Nothing here reaches the network.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
# The shared settings and the API reference extension live with the other
# project tools, where ruff checks them.
sys.path.insert(0, os.path.join(ROOT, 'tools', 'docs'))

import sphinx_common  # noqa: E402

globals().update(sphinx_common.settings(bug_tag='doc'))
project = 'magnum-lite'
extensions += [  # noqa: F821 (set by sphinx_common)
    'openapi_reference',
    'oslo_config.sphinxext',
    'oslo_policy.sphinxext',
]

# The OpenAPI document and the recorded samples the API reference renders.
openapi_document = os.path.join(ROOT, 'doc', 'api', 'openapi.yaml')
openapi_samples = os.path.join(ROOT, 'doc', 'api', 'samples')
