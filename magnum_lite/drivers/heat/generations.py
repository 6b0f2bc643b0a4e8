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
"""

import hashlib
import json

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


def _member_inputs(member):
    """Member-template parameters that reach a node's user data or image."""
    resources = member['resources']
    names = set()
    for entry in _MEMBER_INPUTS:
        if isinstance(entry, tuple):
            resource, prop = entry
            names |= _params_in(resources[resource]['properties'][prop])
        else:
            names |= _params_in(resources[entry])
    return names - {MEMBER_GENERATION}


def inputs(entry):
    """``{group: sorted stack parameter names}`` whose change replaces
    that group's nodes, for the entry template ``entry``."""
    template, files = templates.load(entry)
    found = {}
    for group in GROUPS[entry]:
        definition = template['resources'][group]['properties'][
            'resource_def']
        member = templates.load_member(definition['type'], files)
        wanted = _member_inputs(member)
        found[group] = sorted(set().union(*(
            _params_in(value)
            for name, value in definition['properties'].items()
            if name in wanted)))
    return found


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


def assign(entry, params, previous=None):
    """Add the generation parameters and ``node_fingerprints`` to
    ``params`` (a stack's new parameters); return the groups whose
    generation this raises, i.e. whose nodes the update replaces.

    :param previous: the stack's current parameters (Heat's view, values
        as strings); None for a stack not yet created.
    """
    previous = previous or {}
    last = _parse(previous.get(FINGERPRINTS))
    fingerprints, raised = {}, []
    for group, names in inputs(entry).items():
        generation_param = GROUPS[entry][group]
        fingerprint = _fingerprint(params, names)
        generation = int(previous.get(generation_param) or 1)
        if group in last and last[group] != fingerprint:
            generation += 1
            raised.append(group)
        params[generation_param] = generation
        fingerprints[group] = fingerprint
    params[FINGERPRINTS] = _format(fingerprints)
    return raised
