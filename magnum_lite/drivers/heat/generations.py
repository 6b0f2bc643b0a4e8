"""Node generations: which stack update replaces which nodes.

Heat replaces a server when its image or user data change. A node then
boots again and must be waited for again, but the member's ``booted``
WaitCondition completed long ago, and its handle still holds the old
node's SUCCESS signal. So every group of nodes (the cluster stack's
masters and workers, a nodegroup stack's nodes) has a *generation*, a
number the driver raises whenever the inputs of that group's user data or
image change. The member templates use it twice:

- as the WaitCondition's ``count``, which Heat lets an update raise and
  then waits again until that many distinct signals arrived;
- in the node's user data (``NODE_GENERATION``): the node signals SUCCESS
  under the ids ``1..N``, so a new member (no old signals) and a replaced
  one (old signals ``1..N-1``) both reach ``N`` only once this node booted,
  and a retried node overwrites a failed one's FAILURE.

The inputs are found in the templates themselves: the entry template's
group properties (``resource_def``) that the member template reads in its
``cloud_config`` resource or its server's ``image``, and the stack
parameters those properties read. A resize changes none of them; an
upgrade (kube_tag, image), a CA rotation or a credential rotation (masters
only) does. The last fingerprints travel in the stack as the
``node_fingerprints`` parameter, so the stack itself says which
generation it runs, across conductor restarts and retries: retrying a
failed upgrade sends the same inputs and keeps the generation.

Parameters are half of what reaches a node. The other half is template
text and files: the member template's ``cloud_config`` and image, the
group's properties that feed them, and every file they read with
get_file (the bootstrap fragments, the add-on manifests), all of which a
new magnum-lite release may change. A changed file changes the user data
of every node that reads it, and Heat replaces those servers as surely as
for a new kube_tag. So :func:`content` digests that half, each file by its
content (never by its URL: an install path is no input);
:func:`content_changes` names the groups whose content differs between
the update and the stack *as Heat holds it* (its template and files, read
back before the update), and :func:`assign` raises them too. That half
is compared with the truth rather than with a record: Heat gives files
back exactly, while hidden parameter values come back masked, which is
why only the parameters' digests travel in ``node_fingerprints``. Its
format is therefore the same as before content counted, and a stack made
by an earlier release is judged by what it runs, not by the release that
wrote its bookkeeping: a format change can never pass for an input
change.

Which release's files an update sends is the driver's choice
(node_files.py): outside an upgrade it sends the stack's own, so a resize
after a release change replaces nothing; an upgrade sends the new ones
and raises exactly the groups whose nodes read a changed file. What the
stack's files cannot stand in for (a release changed the member template
itself) still shows as a content change, and the driver refuses it to an
operation that does not drain (exception.NodesNeedUpgrade) rather than
roll nodes undrained.
"""

import hashlib
import json

import yaml

from magnum_lite.drivers.heat import templates

# Entry template -> {group resource: its generation parameter}.
GROUPS = {
    templates.CLUSTER: {'masters': 'master_generation',
                        'kube_minions': 'worker_generation'},
    templates.NODEGROUP: {'kube_minions': 'node_generation'},
}
FINGERPRINTS = 'node_fingerprints'
# What the member reads to build the node, besides the generation itself.
_MEMBER_INPUTS = ('cloud_config', ('server', 'image'))
MEMBER_GENERATION = 'generation'


def _params_in(node):
    """Names of the parameters a template snippet reads (get_param)."""
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == 'get_param':
                name = value[0] if isinstance(value, list) else value
                found.add(name)
            else:
                found |= _params_in(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_params_in, node)) if node else set()
    return set()


def _member_snippets(member):
    """The parts of a member template that make a node's user data and
    image."""
    resources = member['resources']
    snippets = []
    for entry in _MEMBER_INPUTS:
        if isinstance(entry, tuple):
            resource, prop = entry
            snippets.append(resources[resource]['properties'][prop])
        else:
            snippets.append(resources[entry])
    return snippets


def _member_inputs(member):
    """Member-template parameters that reach a node's user data or image."""
    return _params_in(_member_snippets(member)) - {MEMBER_GENERATION}


def _definitions(entry, template, files):
    """``{group: (its member's snippets, the group properties that feed
    them)}`` of a stack of ``template`` and ``files``."""
    found = {}
    for group in GROUPS[entry]:
        definition = template['resources'][group]['properties'][
            'resource_def']
        member = templates.load_member(definition['type'], files)
        wanted = _member_inputs(member)
        found[group] = (_member_snippets(member),
                        {name: value for name, value in
                         definition['properties'].items() if name in wanted})
    return found


def inputs(entry):
    """``{group: sorted stack parameter names}`` whose change replaces
    that group's nodes, for the entry template ``entry``."""
    template, files = templates.load(entry)
    return {group: sorted(_params_in(list(properties.values())))
            for group, (_, properties) in
            _definitions(entry, template, files).items()}


def _files_read(node):
    """The get_file references of a template snippet."""
    if isinstance(node, dict):
        if set(node) == {'get_file'}:
            return {node['get_file']}
        return set().union(set(), *map(_files_read, node.values()))
    if isinstance(node, (list, tuple)):
        return set().union(set(), *map(_files_read, node))
    return set()


def files_read(entry, template, files):
    """``{group: the files map keys its nodes' user data reads}``."""
    return {group: _files_read(parts) for group, parts in
            _definitions(entry, template, files).items()}


def _resolved(node, files):
    """``node`` with each get_file replaced by the digest of the file's
    content: the content reaches the node, the URL does not."""
    if isinstance(node, dict):
        if set(node) == {'get_file'}:
            text = files.get(node['get_file'])
            if isinstance(text, str):
                text = text.encode()  # Heat gives back as text what
                # heatclient read as bytes
            return {'get_file': None if text is None else
                    hashlib.sha256(text).hexdigest()}
        return {key: _resolved(value, files) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(value, files) for value in node]
    return node


def content(entry, template, files):
    """``{group: digest}`` of what, besides parameter values, makes the
    user data and image of the group's nodes in a stack of ``template``
    and ``files`` (as sent to Heat, or as Heat gives them back): the
    member template's definitions, the group properties feeding them and
    the content of every file they read."""
    return {group: hashlib.sha256(json.dumps(
        _resolved(list(parts), files), sort_keys=True,
        default=str).encode()).hexdigest()
        for group, parts in _definitions(entry, template, files).items()}


def content_changes(entry, sent, held):
    """Groups whose content differs between the update (``sent``) and
    the stack (``held``), both ``(template, files)``; none unless both
    are known. A stack whose definitions cannot be read (not made from
    these templates) counts as changed: waiting for and draining nodes
    needlessly is safe, replacing them unseen is not."""
    if sent is None or held is None:
        return set()
    new = content(entry, *sent)
    try:
        old = content(entry, *held)
    except (KeyError, TypeError, ValueError, yaml.YAMLError):
        return set(new)
    return {group for group in new if old.get(group) != new[group]}


def _fingerprint(params, names):
    """A digest of the values of ``names``; secrets enter it only hashed."""
    data = json.dumps([[n, params.get(n)] for n in names], sort_keys=True,
                      default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def _parse(text):
    pairs = (item.split('=', 1) for item in (text or '').split(',') if item)
    return dict(pairs)


def _format(fingerprints):
    return ','.join(f'{g}={d}' for g, d in sorted(fingerprints.items()))


def assign(entry, params, previous=None, changed=()):
    """Add the generation parameters and ``node_fingerprints`` to
    ``params`` (a stack's new parameters); return the groups whose
    generation this raises, i.e. whose nodes the update replaces.

    :param previous: the stack's current parameters (Heat's view, values
        as strings); None for a stack not yet created.
    :param changed: groups whose content (:func:`content_changes`)
        the update changes; they are raised too.
    """
    previous = previous or {}
    last = _parse(previous.get(FINGERPRINTS))
    fingerprints, raised = {}, []
    for group, names in inputs(entry).items():
        generation_param = GROUPS[entry][group]
        fingerprint = _fingerprint(params, names)
        generation = int(previous.get(generation_param) or 1)
        if group in changed or (group in last and
                                last[group] != fingerprint):
            generation += 1
            raised.append(group)
        params[generation_param] = generation
        fingerprints[group] = fingerprint
    params[FINGERPRINTS] = _format(fingerprints)
    return raised
