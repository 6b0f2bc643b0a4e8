"""magnum-lite conductors as processes of their own, for the tests and
tools that kill or restart them (the in-process ``base.Conductor``
shares the test's configuration and cannot be SIGKILLed)."""

import os
import subprocess
import sys

BINARY = os.path.join(os.path.dirname(sys.executable),
                      'magnum-lite-conductor')


def write_config(path, *, transport_url, database, encryption_key, host,
                 heat_endpoint, environment_files, log_file=None,
                 **conductor):
    """Write a conductor's configuration file at ``path``: its broker,
    database, ``[conductor]`` host and options (``conductor``), and the
    real Heat (noauth) with ``environment_files``."""
    log = f'log_file = {log_file}\n' if log_file else ''
    options = ''.join(f'{key} = {value}\n'
                      for key, value in sorted(conductor.items()))
    with open(path, 'w') as f:
        f.write(f"""[DEFAULT]
transport_url = {transport_url}
{log}[database]
connection = {database}
encryption_key = {encryption_key}
[conductor]
host = {host}
{options}[heat]
auth_mode = noauth
endpoint = {heat_endpoint}
environment_files = {','.join(environment_files)}
""")
    return path


def spawn(config, output=subprocess.DEVNULL):
    """Start a conductor on ``config``; returns its Popen."""
    return subprocess.Popen([BINARY, '--config-file', config],
                            stdout=output, stderr=output)
