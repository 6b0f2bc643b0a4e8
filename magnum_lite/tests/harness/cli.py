"""The real ``openstack`` command line, as a subprocess, for tests.

:class:`OpenStackCLI` runs ``openstack`` from the test virtualenv with
nothing of the caller's cloud configuration (no ``OS_*`` variables, an
empty HOME) and keeps a transcript of every command, attached to the test
as the ``openstack-transcript`` detail::

    cli = self.useFixture(cli.OpenStackCLI())
    result = cli.run(['--os-auth-type', 'none', ..., 'coe', 'cluster',
                      'list', '-f', 'json'])
"""

import os
import subprocess
import sys
import time

import fixtures
from testtools import content

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class OpenStackCLI(fixtures.Fixture):
    """A clean environment and a transcript for ``openstack`` runs."""

    def _setUp(self):
        home = self.useFixture(fixtures.TempDir()).path
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith('OS_')}
        # magnumclient's `coe cluster config` reads $SHELL to choose
        # between export and setenv; CI runs without one.
        self.env.update(HOME=home, XDG_CONFIG_HOME=home, SHELL='/bin/bash',
                        PYTHONWARNINGS='ignore')
        self.transcript = []
        self.addDetail('openstack-transcript', content.Content(
            content.UTF8_TEXT,
            lambda: ['\n'.join(self.transcript).encode()]))

    def run(self, args, env=None, shown=None):
        """``openstack <args>`` with ``env`` added to the clean
        environment; the CompletedProcess. ``shown``: how the transcript
        prints the command (default the arguments)."""
        started = time.monotonic()
        result = subprocess.run([OPENSTACK, *args],
                                env=dict(self.env, **(env or {})),
                                capture_output=True, text=True, timeout=120)
        self.transcript.append(
            f'$ {shown or " ".join(args)}   [rc={result.returncode}, '
            f'{time.monotonic() - started:.1f}s]\n'
            f'{result.stdout}{result.stderr}')
        return result
