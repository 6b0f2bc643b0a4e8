"""Files the node templates read gzip-compressed and base64-encoded.

A master's user data carries the bootstrap scripts and the add-on
manifests; plain, they would take it past Nova's 64 KiB limit. So the
templates read ``<name>.gz.b64`` with get_file and cloud-init writes the
file with ``encoding: gz+b64``. These names exist only in a stack's
``files`` map: ``placeholders`` lets heatclient load a template that
reads them, ``entries`` gives their content.

The compression is deterministic (no timestamp in the gzip header): the
same file must always give the same user data, or every stack update
would replace every node.
"""

import base64
import glob
import gzip
import os

from heatclient.common import utils as heat_utils

from magnum_lite.cluster import versions
from magnum_lite.drivers.heat import addons

SUFFIX = '.gz.b64'


def encode(text):
    """base64 of the gzip of ``text``, with no timestamp."""
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


def _url(template_dir, name):
    return heat_utils.normalise_file_path_to_url(
        os.path.join(template_dir, name))


def sources(template_dir, manifests):
    """``{compressed name: source path}``, paths relative to the template
    directory: every fragments/*.sh, and for each fixed add-on name its
    versioned manifest (``manifests`` as addons.files gives it; every
    fixed name is mapped, to the newest release's file when not given)."""
    names = {}
    for path in sorted(glob.glob(os.path.join(template_dir, 'fragments',
                                              '*.sh'))):
        relative = os.path.relpath(path, template_dir)
        names[relative + SUFFIX] = relative
    mapping = addons.files(versions.DEFAULT_KUBE_TAG)
    mapping.update(manifests or {})
    for fixed, versioned in mapping.items():
        names[fixed + SUFFIX] = versioned
    return names


def placeholders(template_dir, marker):
    """Files map entries that stand for the compressed names while a
    template loads."""
    return {_url(template_dir, name): marker
            for name in sources(template_dir, None)}


def entries(template_dir, manifests=None):
    """Files map entries with the compressed content."""
    result = {}
    for name, source in sources(template_dir, manifests).items():
        with open(os.path.join(template_dir, source)) as f:
            result[_url(template_dir, name)] = encode(f.read())
    return result
