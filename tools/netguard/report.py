"""What the network guard of one run recorded (see sitecustomize.py).

    python3 tools/netguard/report.py RECORD_DIR

Prints how many interpreters were guarded, the name look-ups of names
that are not loopback and the source-address probes (for information:
see sitecustomize.py), and every refused connection
with the process that tried it. Exits 1 when anything was refused, or
when no process was guarded at all (the guard was not on), else 0.
Standard library only.
"""

import collections
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_guard():
    # By path: the name sitecustomize may already be Debian's or ours.
    spec = importlib.util.spec_from_file_location(
        'magnum_lite_netguard', os.path.join(HERE, 'sitecustomize.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)     # defines; installs nothing
    return module


guard = _load_guard()


def read(record, name):
    """The JSON lines of ``<record>/<name>`` ([] when there is none)."""
    try:
        with open(os.path.join(record, name)) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def summary(record):
    """(lines to print, exit status) for a record folder."""
    processes = read(record, guard.PROCESSES)
    refused = read(record, guard.REFUSED)
    lookups = collections.Counter(
        e['name'] for e in read(record, guard.LOOKUPS))
    lines = [f'netguard: {len(processes)} guarded processes, '
             f'{len(refused)} connections outside loopback refused']
    probes = collections.Counter(
        e['address'] for e in read(record, guard.PROBES))
    if probes:
        lines.append('netguard: source-address probes refused (UDP connect '
                     'to a documentation address, nothing sent): ' +
                     ', '.join(f'{address} ({n})'
                               for address, n in sorted(probes.items())))
    if lookups:
        lines.append('netguard: names looked up (not refused): ' + ', '.join(
            f'{name} ({n})' for name, n in sorted(lookups.items())))
    for entry in refused:
        lines.append(f"netguard: REFUSED {entry['event']} to "
                     f"{entry['address']} by pid {entry['pid']}: "
                     f"{entry['process']}")
    if not processes:
        lines.append('netguard: no process was guarded: is PYTHONPATH '
                     'missing tools/netguard?')
    return lines, int(bool(refused) or not processes)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit(__doc__)
    lines, status = summary(argv[0])
    print('\n'.join(lines))
    return status


if __name__ == '__main__':
    sys.exit(main())
