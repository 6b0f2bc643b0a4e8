"""Which release's node files a stack update sends.

The files a node's user data carries (the bootstrap fragments, the
add-on manifests; see generations.py ``files_read``) come with the
magnum-lite release. A stack update sends the templates and files of the
release running the conductor, and a node whose files changed is a node
Heat replaces. When should an existing cluster's nodes move to a new
release's files?

Only when the user asks to move them: an upgrade (``refreshes_nodes`` in
cluster/operations.py). A resize, the autoscaler's node count change, a
nodegroup update or a credential or CA rotation sends, for every file the
nodes read, the content the stack already holds (Heat gives a stack's
files back), so installing a new release of the service replaces no node
by itself, and nodes added by a resize boot as their peers did. That is
the service's promise to an operator who upgrades it: the control plane
moves, the clusters stay as they are until each is upgraded, as Nova
leaves running instances alone when it is upgraded. An upgrade (to the
same template, if nothing else is to change) then rolls the nodes whose
files changed, drained, waited for and masters one at a time, the way it
rolls them for a new kube_tag.

A file the stack lacks (a release added it) is sent as this release has
it. A node reads it only through a member template that changed too, and
that the stack's files cannot stand in for: generations.py sees the
group's content change, which an operation that drains carries out as an
upgrade does, and one that does not is refused (NodesNeedUpgrade, in the
driver) before Heat is asked anything, leaving every node as it is.
"""

from magnum_lite.drivers.heat import generations


def name(url):
    """A files map key without its template directory: ``fragments/
    bootstrap.sh.gz.b64``. The stack's keys hold the directory of the
    release that wrote them, which an install may have moved."""
    return '/'.join(url.rsplit('/', 2)[-2:])


def _as_bytes(text):
    # heatclient reads some files as bytes; Heat gives them back as text.
    return text.encode() if isinstance(text, str) else text


def pin(entry, arguments, held_files):
    """Replace, in ``arguments`` (templates.stack_arguments of the entry
    template ``entry``), the content of every file the nodes read by the
    content of the same file in ``held_files`` (the stack's files map as
    Heat holds it). Returns the names of the files whose content this
    changed (release changes the update does not carry)."""
    held = {name(url): text for url, text in (held_files or {}).items()}
    files = arguments['files']
    kept = []
    read = set().union(*generations.files_read(
        entry, arguments['template'], files).values())
    for url in sorted(read):
        old = held.get(name(url))
        if old is not None and url in files and \
                _as_bytes(files[url]) != _as_bytes(old):
            files[url] = old
            kept.append(name(url))
    return kept
