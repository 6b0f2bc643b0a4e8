"""Write tools/test-times/durations.txt as a subunit v2 stream, for
``stestr load``: seeds a new stestr repository with test durations.

Why: on a clean clone stestr knows no durations, so it deals test groups
to workers round robin, in an order that changes from run to run (it
comes from a set); the two big integration groups (.stestr.conf) then
share a worker in about half the runs. With durations it balances them.
The durations only steer scheduling; no result is taken from them.

Refresh after the suite changed much (from a stestr run's output):
  sed -nE 's/^\\{[0-9]+\\} ([^ ]+) \\[([0-9.]+)s\\] \\.\\.\\. ok$/\\1 \\2/p' \\
      OUTPUT | sort > tools/test-times/durations.txt
"""

import datetime
import os
import sys

from subunit import StreamResultToBytes

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def main():
    out = StreamResultToBytes(sys.stdout.buffer)
    with open(os.path.join(HERE, 'durations.txt')) as f:
        for line in f:
            test_id, seconds = line.split()
            out.status(test_id=test_id, test_status='inprogress',
                       timestamp=START)
            out.status(test_id=test_id, test_status='success',
                       timestamp=START + datetime.timedelta(
                           seconds=float(seconds)))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
