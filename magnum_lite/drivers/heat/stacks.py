"""The Heat calls of the driver, through one client: one identity, so
one project's stacks (the owner's, through a cluster's stack trust; or
the service's)."""

import logging

from magnum_lite.conf import CONF
from magnum_lite.drivers.heat import client as heat
from magnum_lite.drivers.heat import status

LOG = logging.getLogger(__name__)


def identity(stack):
    """``name/id`` of a heatclient stack: Heat answers it without the
    redirect a bare id or name costs."""
    return f'{stack.stack_name}/{stack.id}'


def output_values(outputs):
    """{output key: value} of a stack's ``outputs`` list (None: {})."""
    return {o['output_key']: o.get('output_value') for o in outputs or []}


class Stacks:
    """Stack calls with heatclient's errors as ours (``HeatRefused``,
    ``HeatUnavailable``).
    ``client`` is the python-heatclient client, for the modules that
    work on resources and hooks (drains, repairs)."""

    def __init__(self, client):
        self.client = client

    def call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except heat.ERRORS as err:
            raise heat.translate(err) from err

    def find(self, name):
        """The stack called ``name`` (or of that id), None if there is
        none."""
        try:
            return self.client.stacks.get(name)
        except heat.NOT_FOUND:
            return None
        except heat.ERRORS as err:
            raise heat.translate(err) from err

    def create(self, **arguments):
        """Create a stack; returns its id. A stack of that name that
        Heat says exists already is this create's, repeated after its
        answer was lost (Heat stored it after our call timed out)."""
        try:
            return self.client.stacks.create(**arguments)['stack']['id']
        except heat.CONFLICT as err:
            existing = self.find(arguments['stack_name'])
            if existing is None:
                raise heat.translate(err) from err
            LOG.info('Stack %s exists already; taking it', existing.id)
            return existing.id
        except heat.ERRORS as err:
            raise heat.translate(err) from err

    def update(self, name, **arguments):
        self.call(self.client.stacks.update, name, **arguments)

    def held(self, stack):
        """``(template, files)`` of ``stack`` (a heatclient stack) as
        Heat holds them: what its resources were made from. Two calls;
        None for no stack."""
        if stack is None:
            return None
        name = identity(stack)
        return (self.call(self.client.stacks.template, name),
                self.call(self.client.stacks.files, name))

    def delete(self, name):
        """Delete a stack; one already gone is fine, and one Heat is
        deleting is left to it: a second delete would cancel the first
        (DELETE_FAILED, "Stack DELETE cancelled")."""
        current = self.find(name)
        if current is None or current.stack_status == 'DELETE_IN_PROGRESS':
            return
        try:
            self.client.stacks.delete(name)
        except heat.NOT_FOUND:
            pass
        except heat.ERRORS as err:
            raise heat.translate(err) from err

    def tagged(self, tag):
        """Every stack with ``tag``: one call per page of Heat's default
        page size (max_stacks_per_page, 100), so one call below 100
        stacks. No ``limit``: with one, python-heatclient fetches until a
        page comes back empty, which costs a call more every cycle."""
        found, marker = [], None
        while True:
            page = self.call(self._page, tag, marker)
            found.extend(page)
            if len(page) < CONF.heat.stacks_per_page:
                return found
            marker = page[-1].id

    def _page(self, tag, marker):
        return list(self.client.stacks.list(tags=tag, marker=marker))

    def failure(self, stack):
        """Heat's reasons for the failed resources of ``stack``, deepest
        first; None if they cannot be listed."""
        try:
            resources = self.client.resources.list(
                stack.id, nested_depth=5, filters={'status': 'FAILED'})
        except heat.ERRORS:
            LOG.exception('Could not list failed resources of %s', stack.id)
            return None
        return status.failure_reason(
            (r.resource_name, r.resource_status, r.resource_status_reason)
            for r in resources)

    def outputs(self, stack_id):
        """{output key: value} of a stack (a call: listed stacks carry no
        outputs); {} if there is no such stack."""
        stack = self.find(stack_id) if stack_id else None
        if stack is None:
            return {}
        return output_values(getattr(stack, 'outputs', None))
