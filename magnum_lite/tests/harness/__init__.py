"""Harnesses of the tests: real services (Heat, Keystone, Barbican, the
one-box OpenStack control plane), the API server, fake Kubernetes APIs."""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def load_tool(service, script):
    """``tools/<service>/<script>`` as a module: the tools are scripts
    (standard library only, runnable by any python3), not a package."""
    spec = importlib.util.spec_from_file_location(
        'magnum_lite_' + script.rsplit('.', 1)[0],
        os.path.join(REPO, 'tools', service, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
