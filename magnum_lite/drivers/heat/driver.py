"""The Heat driver: a cluster is one Heat stack (plus one per extra
nodegroup), built from heat-templates/kubernetes."""

import collections
import logging
import typing
from concurrent import futures

from oslo_utils import timeutils

from magnum_lite.clients import keystone
from magnum_lite.cluster import nodegroups as nodegroup_facts
from magnum_lite.cluster import operations
from magnum_lite.cluster import upgrades
from magnum_lite.common import exception
from magnum_lite.common import states
from magnum_lite.conf import CONF
from magnum_lite.drivers import base
from magnum_lite.drivers.heat import addons
from magnum_lite.drivers.heat import bootstrap
from magnum_lite.drivers.heat import client as heat
from magnum_lite.drivers.heat import departures
from magnum_lite.drivers.heat import drains
from magnum_lite.drivers.heat import generations
from magnum_lite.drivers.heat import hooks
from magnum_lite.drivers.heat import node_files
from magnum_lite.drivers.heat import parameters
from magnum_lite.drivers.heat import repairs
from magnum_lite.drivers.heat import replacements
from magnum_lite.drivers.heat import stacks as heat_stacks
from magnum_lite.drivers.heat import status
from magnum_lite.drivers.heat import templates

LOG = logging.getLogger(__name__)
TAG = 'magnum-lite'
# Heat clients kept (their sessions keep a token each): one per stack
# trust of a cluster the conductor worked on recently.
CLIENTS_KEPT = 512


def stack_name(cluster, nodegroup=None):
    """Stack names derive from uuids, so a repeated message finds the
    stack it made before instead of making a second one."""
    if nodegroup is None:
        return f'ml-{cluster.uuid}'
    return f'ml-{cluster.uuid}-ng-{nodegroup.uuid}'


def _tags(cluster):
    return f'{TAG},cluster-{cluster.uuid}'


def _changed_at(stack):
    """When Heat last started an operation on the stack (naive UTC)."""
    return hooks.naive_utc(getattr(stack, 'updated_time', None) or
                           stack.creation_time)


def _row(obj):
    return {c.name: getattr(obj, c.name) for c in obj.__table__.columns}


def _report_settings(credentials):
    """``config:`` values of the masters' health reports: only a cluster
    with credentials can report (fragments/health-report.sh)."""
    if not credentials:
        return {}
    return {'health.report_url': (CONF.health.report_url
                                  or keystone.cluster_magnum_url()),
            'health.report_interval': CONF.health.report_interval}


def _addons(entry, params):
    """The versioned add-on manifests of a cluster stack (the masters
    apply them); nodegroup stacks have none."""
    if entry != templates.CLUSTER:
        return None
    return addons.files(params['kube_tag'])


def _changes(args):
    """The row changes an upgrade claimed (cluster/upgrades.py); none for
    other operations."""
    changes = (args or {}).get('changes') or {}
    return {'cluster': changes.get('cluster') or {},
            'nodegroups': changes.get('nodegroups') or {}}


def _changed(obj, values):
    """A row as a dict, as it will be once ``values`` are written: an
    upgrade renders the stack from the upgraded rows."""
    return upgrades.apply(_row(obj), values)


def _waiting(error):
    """A cluster whose stacks cannot be seen while Heat is unavailable."""
    return base.Observation(base.IN_PROGRESS, str(error))


def _extra(nodegroups):
    return [ng for ng in nodegroups if not ng.is_default]


def _node_content(stacks, current, name, entry, params, operation):
    """``(stack arguments, groups whose content changes)`` of an update
    of the stack ``current`` (None if there is none) by ``operation``:
    the stack keeps the node files it holds unless the operation
    refreshes them (node_files.py). Refuses (NodesNeedUpgrade) an
    operation that does not drain, if it would still replace nodes."""
    arguments = templates.stack_arguments(entry, _addons(entry, params))
    held = stacks.held(current)
    if held is not None and not operation.refreshes_nodes:
        kept = node_files.pin(entry, arguments, held[1])
        if kept:
            LOG.info('Stack %s keeps its node files %s until an upgrade',
                     name, ', '.join(kept))
    changed = generations.content_changes(
        entry, (arguments['template'], arguments['files']), held)
    if changed and not operation.drains:
        # What pinning cannot keep (a member template's own text):
        # replaced now, the nodes would roll undrained.
        raise exception.NodesNeedUpgrade(
            operation=operation.name, groups=', '.join(sorted(changed)))
    return arguments, changed


class _Watched(typing.NamedTuple):
    """One stack of a cluster as the status sync sees it."""

    stack: object       # the heatclient stack, None if there is none
    entry: str          # its entry template
    deleting: bool      # the cluster or its nodegroup is being deleted
    targeted: bool      # the operation under way changes this stack


def _watched(rows, stacks):
    """The ``_Watched`` stacks of a cluster: its own first, then its
    extra nodegroups' (in the order of ``rows.nodegroups``)."""
    cluster, nodegroups = rows.cluster, rows.nodegroups
    deleting = cluster.status == states.DELETING
    target = (cluster.operation_args or {}).get('nodegroup')
    main_targeted = not any(ng.uuid == target and not ng.is_default
                            for ng in nodegroups)
    found = [_Watched(stacks.get(stack_name(cluster)), templates.CLUSTER,
                      deleting, main_targeted)]
    row = operations.get(cluster.operation)
    every = row is not None and row.every_stack
    for ng in _extra(nodegroups):
        found.append(_Watched(
            stacks.get(stack_name(cluster, ng)), templates.NODEGROUP,
            deleting or ng.status == states.DELETING,
            ng.uuid == target or (every and bool(ng.stack_id))))
    return found


def _outputs(stacks, stack):
    """{output key: value} of ``stack``: those a read of it brought, or
    a read (a listed stack carries none)."""
    found = getattr(stack, 'outputs', None)
    if not isinstance(found, list):
        return stacks.outputs(heat_stacks.identity(stack))
    return heat_stacks.output_values(found)


def _unanswered(cluster, watched):
    """Whether Heat has not started on our request to the stack yet:
    what it shows is the outcome of the previous operation."""
    stack = watched.stack
    return watched.targeted and not watched.deleting and \
        not status.answers(stack.stack_status, _changed_at(stack),
                           cluster.operation_started_at)


def _pauses(rows):
    """Whether Heat may hold servers of the cluster of ``rows`` at hooks
    the conductor set: an operation that drains or removes masters is
    under way, or the cluster is being deleted (a stack keeps the hooks
    of its last update)."""
    cluster = rows.cluster
    return drains.enabled(cluster.operation) or \
        cluster.status == states.DELETING or \
        departures.resizing_masters(rows, cluster.operation_args)


def _leaving_masters(rows, stack):
    """Whether the cluster stack ``stack`` may hold leaving masters: a
    master resize updates it, or a cluster delete deletes it."""
    cluster = rows.cluster
    if cluster.status == states.DELETING:
        return stack.stack_status == 'DELETE_IN_PROGRESS'
    return stack.stack_status == 'UPDATE_IN_PROGRESS' and \
        departures.resizing_masters(rows, cluster.operation_args)


class _StackIndex(dict):
    """The listed stacks by name. A name the list lacks is looked up
    directly before it counts as gone: a stack is never declared vanished
    because a page size or filter hid it."""

    def __init__(self, stacks, find):
        super().__init__((s.stack_name, s) for s in stacks)
        self._find = find

    def get(self, name, default=None):
        if name not in self:
            self[name] = self._find(name)
        return super().get(name, default)


class HeatDriver(base.Driver):
    """Clusters as Heat stacks, driven through python-heatclient."""

    def __init__(self):
        self._clients = collections.OrderedDict()

    def _stacks(self, rows):
        """The Heat calls for a cluster: through its stack trust, in its
        owner's project, if it has one (see cluster_credentials)."""
        trust = rows.stack_trust
        key = trust and trust['trust_id']
        found = self._clients.get(key)
        if found is None:
            found = heat_stacks.Stacks(heat.make_client(trust))
            self._clients[key] = found
            while len(self._clients) > CLIENTS_KEPT:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return found

    # Parameters -------------------------------------------------------------

    @staticmethod
    def _template(rows, cluster):
        """The template of ``cluster`` (a dict with an upgrade's changes
        applied: then the template it moves to), as a dict."""
        return _row(rows.templates[cluster['cluster_template_id']])

    def _cluster_parameters(self, rows, removals=None, args=None):
        nodegroups = rows.nodegroups
        master = nodegroup_facts.default_nodegroup(nodegroups,
                                                   nodegroup_facts.MASTER)
        worker = nodegroup_facts.default_nodegroup(nodegroups,
                                                   nodegroup_facts.WORKER)
        changes = _changes(args)
        cluster = _changed(rows.cluster, changes['cluster'])
        return parameters.cluster_parameters(
            cluster, self._template(rows, cluster),
            _changed(master, changes['nodegroups'].get(master.uuid)),
            _changed(worker, changes['nodegroups'].get(worker.uuid)),
            removals or {}, operation=args,
            bootstrap=bootstrap.values(rows.certificates),
            credentials=rows.credentials,
            conf_values=_report_settings(rows.credentials))

    def _nodegroup_parameters(self, stacks, rows, nodegroup, args):
        outputs = stacks.outputs(stack_name(rows.cluster))
        changes = _changes(args)
        cluster = _changed(rows.cluster, changes['cluster'])
        return parameters.nodegroup_parameters(
            cluster, self._template(rows, cluster),
            _changed(nodegroup, changes['nodegroups'].get(nodegroup.uuid)),
            outputs, args.get('nodes_to_remove') or [], operation=args,
            bootstrap=bootstrap.values(rows.certificates))

    # Heat calls -------------------------------------------------------

    @staticmethod
    def _create(stacks, name, entry, params, timeout, cluster):
        existing = stacks.find(name)
        if existing is not None:
            return existing.id
        generations.assign(entry, params)
        return stacks.create(
            stack_name=name, parameters=params, timeout_mins=timeout or 60,
            tags=_tags(cluster),
            **templates.stack_arguments(entry, _addons(entry, params)))

    @staticmethod
    def _update(stacks, name, entry, params, cluster, operation, args,
                masters_leave=False):
        current = stacks.find(name)
        if current is not None and current.stack_status.endswith(
                '_IN_PROGRESS'):
            # A retry whose first attempt reached Heat (its answer was
            # lost): Heat is doing it; a second update would cancel it.
            LOG.info('Stack %s is %s already; not updating it again',
                     name, current.stack_status)
            return
        arguments, changed = _node_content(stacks, current, name, entry,
                                           params, operation)
        # A retry after a failed update: rebuild the nodes that failed to
        # boot (same parameters would leave them as they are).
        repairs.mark_failed_boots(stacks.client, current, entry)
        replaced = generations.assign(
            entry, params, getattr(current, 'parameters', None), changed)
        # Auto-healing: this one member is replaced, drained first.
        repaired = [replacements.mark(stacks.client, current, entry,
                                      cluster.uuid, args)] \
            if operation.replaces_node else []
        if drains.enabled(operation.name):
            behind = drains.behind(stacks.client, current, entry, params)
            if replaced or behind or repaired:
                arguments['environment'] = hooks.merge_environment(
                    arguments['environment'],
                    drains.environment(replaced, behind + repaired))
        if masters_leave:
            arguments['environment'] = hooks.merge_environment(
                arguments['environment'], departures.environment())
        # A stack update replaces the tags too: send them again, or the
        # stack drops out of the tag-filtered list the sync reads.
        stacks.update(name, parameters=params,
                      timeout_mins=cluster.create_timeout or 60,
                      tags=_tags(cluster), **arguments)

    # Driver interface -------------------------------------------------

    def create_cluster(self, context, rows):
        cluster = rows.cluster
        return self._create(self._stacks(rows), stack_name(cluster),
                            templates.CLUSTER,
                            self._cluster_parameters(rows),
                            cluster.create_timeout, cluster)

    def update_cluster(self, context, rows, operation, args):
        cluster = rows.cluster
        target = next((ng for ng in rows.nodegroups
                       if ng.uuid == args.get('nodegroup')), None)
        stacks = self._stacks(rows)
        if target is not None and not target.is_default:
            self.NODEGROUP_STEPS[operation.nodegroup_event](
                self, stacks, rows, target, operation, args)
            return
        removals = {}
        if operation.removes_nodes and target is not None:
            removals[target.role] = args.get('nodes_to_remove') or []
        self._update(stacks, stack_name(cluster), templates.CLUSTER,
                     self._cluster_parameters(rows, removals, args),
                     cluster, operation, args,
                     departures.resizing_masters(rows, args))
        if operation.every_stack:
            for nodegroup in _extra(rows.nodegroups):
                if nodegroup.stack_id:
                    self._update_nodegroup(stacks, rows, nodegroup,
                                           operation, args)

    def _create_nodegroup(self, stacks, rows, nodegroup, operation, args):
        cluster = rows.cluster
        self._create(stacks, stack_name(cluster, nodegroup),
                     templates.NODEGROUP,
                     self._nodegroup_parameters(stacks, rows, nodegroup,
                                                args),
                     cluster.create_timeout, cluster)

    def _update_nodegroup(self, stacks, rows, nodegroup, operation, args):
        cluster = rows.cluster
        self._update(stacks, stack_name(cluster, nodegroup),
                     templates.NODEGROUP,
                     self._nodegroup_parameters(stacks, rows, nodegroup,
                                                args),
                     cluster, operation, args)

    def _delete_nodegroup(self, stacks, rows, nodegroup, operation, args):
        stacks.delete(stack_name(rows.cluster, nodegroup))

    # What update_cluster does to the stack of the (non-default) nodegroup
    # an operation targets, by the row's ``nodegroup_event``.
    NODEGROUP_STEPS = {states.CREATE: _create_nodegroup,
                       states.UPDATE: _update_nodegroup,
                       states.DELETE: _delete_nodegroup}

    def delete_cluster(self, context, rows):
        cluster, stacks = rows.cluster, self._stacks(rows)
        for nodegroup in _extra(rows.nodegroups):
            stacks.delete(stack_name(cluster, nodegroup))
        stacks.delete(stack_name(cluster))

    def _indexes(self, clusters):
        """``[(StackIndex or None, [rows], error)]``: the clusters grouped
        by the project their stacks live in (the owner's with a stack
        trust, else the service's), each group's stacks listed once. A
        trust that fails (e.g. its owner was deleted) is skipped for the
        next cluster's of that project; a project none of whose trusts
        lists has no index, and ``error`` is the HeatUnavailable met
        (None if Heat answered but refused): the next sync tries again.
        Heat unavailable is Heat's state, not a project's: once met, the
        other projects wait without a call (each could cost
        ``[heat] api_timeout`` on an overloaded Heat)."""
        groups = {}
        for rows in clusters:
            key = rows.cluster.project_id if rows.stack_trust else None
            groups.setdefault(key, []).append(rows)
        found, outage = [], None
        for key, group in groups.items():
            if outage is not None:
                found.append((None, group, outage))
                continue
            index, error = self._index(group)
            outage = error
            if index is None:
                LOG.warning('Could not list the stacks of project %s; the '
                            'next status sync tries again', key or
                            '(service)')
            found.append((index, group, error))
        return found

    def _index(self, group):
        for rows in group:
            try:
                stacks = self._stacks(rows)
                return _StackIndex(stacks.tagged(TAG), stacks.find), None
            except heat.HeatUnavailable as err:
                # Heat's own outage or overload: another cluster's
                # credentials would meet it too, each after a timeout.
                LOG.warning('Listing stacks as cluster %s failed: %s',
                            rows.uuid, err)
                return None, err
            except (heat.HeatRefused, heat.HeatMisconfigured) as err:
                LOG.warning('Listing stacks as cluster %s failed: %s',
                            rows.uuid, err)
            except Exception:
                LOG.exception('Listing stacks as cluster %s failed',
                              rows.uuid)
        return None, None

    def tend(self, context, clusters):
        """Drain the nodes of the servers Heat paused for (drains.py), or
        see their masters out of etcd (departures.py), and let Heat on,
        in the stacks an operation that drains or removes masters is
        updating or a cluster delete is deleting. One stack list, only
        when such an operation is under way."""
        paused = [rows for rows in clusters if _pauses(rows)]
        for index, group, _ in self._indexes(paused):
            if index is None:
                continue
            for rows in group:
                try:
                    self._tend(rows, index)
                except Exception:
                    LOG.exception('Tending the stacks of cluster %s '
                                  'failed; the next status sync tries '
                                  'again', rows.uuid)

    def _tend(self, rows, index):
        client = self._stacks(rows).client
        for watched in _watched(rows, index):
            stack = watched.stack
            if stack is not None and watched.entry == templates.CLUSTER and \
                    _leaving_masters(rows, stack):
                departures.tend(client, rows, heat_stacks.identity(stack))
                continue
            if stack is None or watched.deleting or \
                    stack.stack_status != 'UPDATE_IN_PROGRESS' or \
                    _unanswered(rows.cluster, watched):
                continue
            drains.tend(client, rows, heat_stacks.identity(stack),
                        watched.entry)

    def poll(self, context, clusters, notified=False):
        """One stack list per project (see ``_indexes``); outputs and
        failure details only for stacks that finished. Clusters Heat
        notified about are read stack by stack instead (one call each,
        outputs included), [heat] parallel_reads at a time: no list of
        the project's stacks first. A cluster whose stacks Heat's API
        cannot show now is in progress, its reason saying so: an outage
        is never the operation's outcome."""
        observations, reads = {}, []
        indexes = (self._direct(clusters) if notified
                   else self._indexes(clusters))
        for index, group, error in indexes:
            for rows in group:
                if index is None:
                    if error is not None:
                        observations[rows.uuid] = _waiting(error)
                    continue
                reads.append((self._stacks(rows), rows, index))
        with futures.ThreadPoolExecutor(
                min(CONF.heat.parallel_reads, len(reads) or 1)) as pool:
            found = pool.map(lambda read: self._observe_one(*read), reads)
            for (_, rows, _), observation in zip(reads, found, strict=True):
                observations[rows.uuid] = observation
        return observations

    def _direct(self, clusters):
        """``_indexes`` without a list: each cluster's stacks looked up
        when read (``_find_known``)."""
        return [(_StackIndex((), self._find_known(rows)), [rows], None)
                for rows in clusters]

    def _find_known(self, rows):
        """A stack lookup for the cluster of ``rows`` that reads a stack
        whose id the rows hold by ``name/id``, in one call: a bare name
        costs Heat's redirect to it first. A stored id Heat no longer
        knows (the stack was deleted, or made again after a lost answer)
        falls back to the name."""
        stacks = self._stacks(rows)
        known = {stack_name(rows.cluster): rows.cluster.stack_id}
        known.update((stack_name(rows.cluster, ng), ng.stack_id)
                     for ng in rows.nodegroups if not ng.is_default)

        def find(name):
            stack_id = known.get(name)
            found = stack_id and stacks.find(f'{name}/{stack_id}')
            return found or stacks.find(name)
        return find

    def _observe_one(self, stacks, rows, index):
        try:
            return self._observe(stacks, rows, index)
        except heat.HeatUnavailable as err:
            # Heat went away between the list and a stack's outputs:
            # this cluster waits, the others settle.
            return _waiting(err)
        except (heat.HeatRefused, heat.HeatMisconfigured) as err:
            # A stack read as the cluster (not listed) refused, e.g. its
            # trust: the next full sync looks at it the listing way.
            LOG.warning('Reading the stacks of cluster %s failed: %s',
                        rows.uuid, err)
            return None

    def _observe(self, stacks, rows, index):
        observations = []
        for watched in _watched(rows, index):
            observation = self._stack_observation(stacks, rows.cluster,
                                                  watched)
            # An extra nodegroup's stack deleted with it is no news.
            if watched.entry == templates.NODEGROUP and watched.deleting \
                    and observation.state == base.GONE:
                continue
            observations.append(observation)
        combined = status.combine(observations)
        if combined.state == base.COMPLETE:
            combined.outputs = self._cluster_outputs(
                stacks, rows.cluster, rows.nodegroups, index)
        return combined

    @staticmethod
    def _stack_observation(stacks, cluster, watched):
        stack = watched.stack
        if stack is None:
            return status.observe(None, None, watched.deleting)
        if _unanswered(cluster, watched):
            return base.Observation(base.IN_PROGRESS)
        if watched.deleting and status.cancelled_for_delete(
                stack.stack_status, cluster.operation_started_at,
                timeutils.utcnow()):
            return base.Observation(base.IN_PROGRESS)
        observation = status.observe(stack.stack_status,
                                     stack.stack_status_reason,
                                     watched.deleting)
        if observation.state == base.FAILED:
            observation.reason = stacks.failure(stack) or observation.reason
        return observation

    @staticmethod
    def _cluster_outputs(stacks, cluster, nodegroups, index):
        main = index[stack_name(cluster)]
        outputs = _outputs(stacks, main)
        addresses, stack_ids, names = {}, {}, {}
        for ng in nodegroups:
            if ng.is_default:
                master = ng.role == nodegroup_facts.MASTER
                key = 'master_addresses' if master else 'node_addresses'
                addresses[ng.uuid] = outputs.get(key) or []
                names[ng.uuid] = outputs.get(
                    'master_node_names' if master else 'worker_node_names')
                stack_ids[ng.uuid] = main.id
                continue
            stack = index.get(stack_name(cluster, ng))
            if stack is not None:
                ng_outputs = _outputs(stacks, stack)
                addresses[ng.uuid] = ng_outputs.get('node_addresses') or []
                names[ng.uuid] = ng_outputs.get('node_names')
                stack_ids[ng.uuid] = stack.id
        # A stack built from older templates has no names: None, unknown.
        return {'api_address': outputs.get('api_address'),
                'coe_version': outputs.get('kube_version'),
                'nodegroups': addresses, 'stack_ids': stack_ids,
                'node_names': {uuid: list(found) for uuid, found
                               in names.items() if found is not None}}
