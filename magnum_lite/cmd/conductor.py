"""magnum-lite-conductor: one conductor service."""

import signal
import sys

from magnum_lite.common import service
from magnum_lite.conductor import service as conductor_service


def main():
    service.prepare(sys.argv[1:])
    conductor = conductor_service.ConductorService()
    conductor.start()
    signal.signal(signal.SIGTERM, lambda *_: conductor.stop())
    try:
        conductor.wait_forever()
    except KeyboardInterrupt:
        conductor.stop()
