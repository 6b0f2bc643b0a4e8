"""The request context: who is calling, and in which project."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """oslo.context's context; ``is_admin`` comes from policy."""

    @classmethod
    def admin(cls):
        """A context for the service itself (conductor, periodic work)."""
        return cls(is_admin=True, project_id=None, overwrite=False)


def from_environ(environ, **kwargs):
    """Build a context from a WSGI environ (identity headers)."""
    return RequestContext.from_environ(environ, **kwargs)
