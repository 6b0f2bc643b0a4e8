"""Loggers for HTTP clients whose messages carry secrets.

keystoneauth logs every request at DEBUG as a curl command line with its
body, and JSON or text response bodies too. A Heat stack's body carries
its hidden parameters (CA keys, trust, passwords); a Barbican secret's
body is a private key. Clients of such services log through
:func:`bodiless` instead of keystoneauth's own logger: method, URL,
headers (keystoneauth already hashes tokens) and status stay, bodies never
reach a handler, whatever level an operator turns on.
"""

import logging
import re

_REQUEST_BODY = re.compile(r" -d '.*", re.DOTALL)


class _NoBodies(logging.Filter):
    """Cut bodies out of keystoneauth's request and response records."""

    def filter(self, record):
        message = record.getMessage()
        if message.startswith('REQ: curl') and " -d '" in message:
            record.msg = _REQUEST_BODY.sub(" -d '<not logged>'", message)
            record.args = None
        elif message.startswith('RESP BODY:'):
            record.msg = 'RESP BODY: <not logged>'
            record.args = None
        return True


def bodiless(name):
    """The logger ``name`` (``<module>.wire`` by convention), which never
    lets a request or response body through."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _NoBodies) for f in logger.filters):
        logger.addFilter(_NoBodies())
    return logger
