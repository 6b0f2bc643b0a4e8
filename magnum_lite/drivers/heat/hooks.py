"""Heat breakpoints (hooks) on nested resources: set, find paused, clear.

Heat pauses a resource at a hook named in the stack environment
(``resource_registry`` -> ``resources`` -> name pattern -> ``hooks``).
A pattern that names a nested-stack resource holds, instead of ``hooks``,
the same structure again for the resources of that nested stack: Heat hands
each child stack only the entries whose pattern matches the parent resource
(``heat.engine.environment.get_child_environment``), and patterns are
``fnmatch`` globs, so ``('kube_minions', '*', 'server')`` reaches the
resource ``server`` in every member of the ResourceGroup ``kube_minions``.

What Heat 27 (convergence engine) does with ``pre-delete``, measured with
tests/integration/test_heat_hooks.py:

- it pauses only when the resource's own stack is being deleted: a stack
  delete, or a member nested stack deleted by a ResourceGroup scale-down;
- it does NOT pause the old resource of a replacement (that delete runs
  under the stack's UPDATE action; see ``Resource.delete``).

``pre-update`` does pause a resource before Heat replaces it (before
``prepare_for_replace`` detaches a server's ports), but in every member of
a ResourceGroup in every batch of a rolling update, whether or not that
member changes: drains.py decides which pauses are real replacements.

A paused resource is visible only through its events: the resource keeps
its status and Heat records ``"<ACTION> paused until Hook <hook> is
cleared"``, then ``"Hook <hook> is cleared"`` (or ``"Failure occurred
while waiting."``) once it moves on.
"""

import dataclasses
import datetime

from heatclient import exc as heat_exc

PRE_UPDATE = 'pre-update'
PRE_DELETE = 'pre-delete'
HOOK_TYPES = ('pre-create', PRE_UPDATE, PRE_DELETE,
              'post-create', 'post-update', 'post-delete')

# Heat refuses stacks nested deeper than this by default
# (max_nested_stack_depth), so it is deep enough for any tree.
MAX_NESTED_DEPTH = 5

_PAUSED_SUFFIX = ' is cleared'
_PAUSED_MARK = ' paused until Hook '

# What Heat answers when a clear is late: the hook was already cleared
# (InvalidBreakPointHook, 400), the resource is being deleted (NotSupported
# "Signal resource during DELETE", 400), or the resource or its nested stack
# is gone (404).
_ALREADY_GONE_400 = ('InvalidBreakPointHook', 'NotSupported')


@dataclasses.dataclass(frozen=True)
class PausedHook:
    """A resource that Heat holds at a hook right now."""

    stack_identity: str        # "<stack name>/<stack id>" of its own stack
    resource_name: str
    physical_resource_id: str
    hook: str                  # e.g. 'pre-delete'
    paused_at: datetime.datetime  # naive UTC, the pause event's time

    @property
    def stack_id(self):
        return self.stack_identity.rsplit('/', 1)[-1]


def hooks_environment(paths, hook):
    """An environment fragment setting ``hook`` on the resources at ``paths``.

    Each path is a sequence of resource-name patterns, outermost first; the
    last names the resource to pause. Merge the result into the environment
    sent with stacks.create/update (see :func:`merge_environment`); Heat
    stores it with the stack, so later updates and the delete see it too.
    """
    if hook not in HOOK_TYPES:
        raise ValueError('unknown Heat hook %r' % (hook,))
    resources = {}
    for path in paths:
        if not path:
            raise ValueError('empty resource path')
        node = resources
        for name in path[:-1]:
            node = node.setdefault(name, {})
        leaf = node.setdefault(path[-1], {})
        hooks = leaf.setdefault('hooks', [])
        if hook not in hooks:
            hooks.append(hook)
    return {'resource_registry': {'resources': resources}}


def merge_environment(environment, fragment):
    """A new environment: ``environment`` with ``fragment`` merged in.

    Maps merge key by key; hook lists are united; other values of the
    fragment win.
    """
    merged = dict(environment or {})
    for key, value in fragment.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_environment(merged[key], value)
        elif key == 'hooks' and key in merged:
            old, new = _hook_list(merged[key]), _hook_list(value)
            merged[key] = old + [h for h in new if h not in old]
        else:
            merged[key] = value
    return merged


def pending(client, stack_id, resource_names=None,
            nested_depth=MAX_NESTED_DEPTH):
    """The hooks paused now anywhere in the stack tree of ``stack_id``.

    One API call: the root stack's events with ``nested_depth`` (Heat
    collects the nested stacks server-side), filtered server-side to
    ``resource_names`` when given (e.g. ``('server',)``; plain names, not
    patterns). Pass ``stack_id`` as ``"<name>/<id>"``: a bare id costs one
    more request (Heat answers it with a redirect). Events of nested stacks
    already deleted are not listed, so their pauses are never reported.
    """
    query = {'nested_depth': nested_depth, 'sort_dir': 'asc'}
    if resource_names:
        query['filters'] = {'resource_name': list(resource_names)}
    events = client.events.list(stack_id, **query)
    return paused_hooks(events)


def paused_hooks(events):
    """The pauses still open in ``events`` (oldest first, as Heat sorts).

    A resource is paused while its latest event is a pause: the clear
    event, a failure while waiting, or any later progress closes it. The
    key includes the physical id, as the old and new resource of a
    replacement share their name in one stack.
    """
    latest = {}
    for event in events:
        stack = stack_identity(event)
        if stack is None or not event.resource_name:
            continue
        key = (stack, event.resource_name, event.physical_resource_id or '')
        latest[key] = event
    found = []
    for (stack, name, physical_id), event in latest.items():
        hook = _paused_hook_type(event.resource_status_reason or '')
        if hook is None:
            continue
        found.append(PausedHook(
            stack_identity=stack, resource_name=name,
            physical_resource_id=physical_id, hook=hook,
            paused_at=naive_utc(event.event_time)))
    return sorted(found, key=lambda h: (h.paused_at, h.stack_identity))


def clear(client, hook):
    """Let Heat continue past ``hook`` (a :class:`PausedHook`).

    Idempotent: returns True if this call cleared it, False if Heat says it
    was no longer paused (already cleared, resource being deleted, or
    resource or stack gone). Other errors propagate.
    """
    try:
        client.resources.signal(stack_id=hook.stack_identity,
                                resource_name=hook.resource_name,
                                data={'unset_hook': hook.hook})
    except heat_exc.HTTPNotFound:
        return False
    except heat_exc.HTTPBadRequest as err:
        if _error_type(err) in _ALREADY_GONE_400:
            return False
        raise
    return True


def _hook_list(hooks):
    # Heat accepts one hook as a string or several as a list.
    return [hooks] if isinstance(hooks, str) else list(hooks)


def _paused_hook_type(reason):
    # "DELETE paused until Hook pre-delete is cleared"
    head, mark, tail = reason.partition(_PAUSED_MARK)
    if not mark or not head or not tail.endswith(_PAUSED_SUFFIX):
        return None
    hook = tail[:-len(_PAUSED_SUFFIX)]
    return hook if hook in HOOK_TYPES else None


def stack_identity(event):
    """``name/id`` of the stack an event of Heat's API belongs to; None
    when the event has no stack link."""
    for link in getattr(event, 'links', ()) or ():
        if link.get('rel') == 'stack':
            path = link['href'].split('/stacks/', 1)[-1]
            name, _, stack_id = path.partition('/')
            if name and stack_id:
                return '%s/%s' % (name, stack_id.split('/')[0])
    return None


def naive_utc(text):
    """A time stamp of Heat's API as a naive UTC datetime."""
    # Heat writes '2026-12-03T07:59:29Z' (sometimes with microseconds).
    value = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _error_type(err):
    error = getattr(err, 'error', None) or {}
    return (error.get('error') or {}).get('type')
