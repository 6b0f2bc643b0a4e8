#!/usr/bin/env python3
"""Regenerate the tables of doc/source that come from code.

doc/source/user/labels.rst holds labels.rst_table() and
doc/source/install/versions.rst holds versions.rst_table(), each between
the comment lines ``.. BEGIN GENERATED`` and ``.. END GENERATED``. Unit
tests fail when a table and its source differ; run this to fix them:

    .venv/bin/python tools/gen_reference_docs.py
"""

import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)

from magnum_lite.cluster import labels  # noqa: E402
from magnum_lite.cluster import versions  # noqa: E402

BEGIN = '.. BEGIN GENERATED\n'
END = '.. END GENERATED\n'
DOCS = {
    os.path.join('doc', 'source', 'user', 'labels.rst'): labels.rst_table,
    os.path.join('doc', 'source', 'install', 'versions.rst'):
        versions.rst_table,
}


def regenerate(path, table):
    """Replace the generated region of ``path``; True if it changed."""
    with open(path) as f:
        text = f.read()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = f'{head}{BEGIN}\n{table()}\n{END}{tail}'
    if new != text:
        with open(path, 'w') as f:
            f.write(new)
    return new != text


def main():
    for relative, table in DOCS.items():
        changed = regenerate(os.path.join(ROOT, relative), table)
        print(f"{relative}: {'updated' if changed else 'up to date'}")


if __name__ == '__main__':
    main()
