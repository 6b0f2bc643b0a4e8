"""magnum-lite-all: API and conductor in one process, for one box.

Defaults suit a single machine: SQLite next to the working directory and
oslo.messaging's in-process transport. The schema is brought up to date
at start.
"""

import sys
import threading

from magnum_lite.cmd import api as api_cmd
from magnum_lite.common import service
from magnum_lite.conductor import service as conductor_service
from magnum_lite.conf import CONF
from magnum_lite.db import migration


def main():
    CONF.set_default('transport_url', 'fake://')
    CONF.set_default('auth_strategy', 'noauth', group='api')
    service.prepare(sys.argv[1:])
    migration.upgrade()
    conductor = conductor_service.ConductorService()
    conductor.start()
    from magnum_lite.api import app  # after the configuration is loaded
    server = threading.Thread(
        target=api_cmd.serve,
        args=(app.setup_app(), CONF.api.host_ip, CONF.api.port),
        daemon=True)
    server.start()
    try:
        conductor.wait_forever()
    except KeyboardInterrupt:
        conductor.stop()
