"""Finding and loading the Heat templates and environments."""

import functools
import os
import sys

import yaml
from heatclient.common import template_utils
from heatclient.common import utils as heat_utils

from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import addons
from magnum_lite.drivers.heat import compressed

CLUSTER = 'cluster.yaml'
NODEGROUP = 'nodegroup.yaml'


def template_dir():
    """The directory of the kubernetes templates."""
    if CONF.heat.template_dir:
        return CONF.heat.template_dir
    source_tree = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                               'heat-templates', 'kubernetes')
    if os.path.isdir(source_tree):
        return os.path.abspath(source_tree)
    return os.path.join(sys.prefix, 'share', 'magnum-lite', 'heat-templates',
                        'kubernetes')


# Stands for an add-on's content while a template loads: the fixed names
# (addons/cloud-controller-manager.yaml...) exist only in a stack's files
# map, filled per cluster with the versioned manifest (addon_files).
_PENDING = object()


def _fixed_url(name):
    return heat_utils.normalise_file_path_to_url(
        os.path.join(template_dir(), name))


@functools.cache
def _load(path):
    pending = {_fixed_url(os.path.join('addons', name)): _PENDING
               for name in addons.ADDONS}
    pending.update(compressed.placeholders(template_dir(), _PENDING))
    files, template = template_utils.get_template_contents(
        template_file=path, files=pending)
    return template, files


def load(entry):
    """``(template, files)`` of the entry template ``entry`` as
    python-heatclient reads it: nested template types become file URLs,
    which ``files`` maps to their text. Do not modify them."""
    return _load(os.path.join(template_dir(), entry))


def load_member(url, files):
    """A nested template of ``files`` (by its URL) as a dict."""
    return yaml.safe_load(files[url])


@functools.cache
def _read(relative):
    with open(os.path.join(template_dir(), relative)) as f:
        return f.read()


def addon_files(manifests):
    """Files map entries for ``{fixed name: versioned path}`` (paths
    relative to the template directory, see addons.files)."""
    return {_fixed_url(fixed): _read(path)
            for fixed, path in manifests.items()}


@functools.cache
def _environment(paths):
    files, environment = (
        template_utils.process_multiple_environments_and_files(
            env_paths=list(paths)))
    return environment, files


def stack_arguments(entry, manifests=None):
    """template, files and environment for a stack whose top-level
    template is ``entry`` (CLUSTER or NODEGROUP); ``manifests`` maps the
    fixed add-on names to versioned manifests (addons.files)."""
    template, files = _load(os.path.join(template_dir(), entry))
    environment, env_files = _environment(
        tuple(CONF.heat.environment_files))
    files = {k: v for k, v in files.items() if v is not _PENDING}
    files.update(addon_files(manifests or {}))
    files.update(compressed.entries(template_dir(), manifests))
    return {'template': template, 'files': dict(files, **env_files),
            'environment': environment}
