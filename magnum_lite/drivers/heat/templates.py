"""Finding and loading the Heat templates and environments."""

import functools
import os
import sys

from heatclient.common import template_utils

from magnum_lite.conf import CONF

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


@functools.cache
def _load(path):
    files, template = template_utils.get_template_contents(
        template_file=path)
    return template, files


@functools.cache
def _environment(paths):
    files, environment = (
        template_utils.process_multiple_environments_and_files(
            env_paths=list(paths)))
    return environment, files


def stack_arguments(entry):
    """template, files and environment for a stack whose top-level
    template is ``entry`` (CLUSTER or NODEGROUP)."""
    template, files = _load(os.path.join(template_dir(), entry))
    environment, env_files = _environment(
        tuple(CONF.heat.environment_files))
    return {'template': template, 'files': dict(files, **env_files),
            'environment': environment}
