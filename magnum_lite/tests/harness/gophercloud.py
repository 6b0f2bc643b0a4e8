"""The gophercloud lifecycle program (``tools/gophercloud/lifecycle``),
built with Debian's Go and gophercloud (``tools/gophercloud/install.sh``).

:func:`build` compiles it in GOPATH mode (``GO111MODULE=off``, GOPATH
``/usr/share/gocode`` where golang-github-gophercloud-gophercloud-dev
puts its source, ``GOPROXY=off``: nothing is downloaded) and keeps the
binary under ``.state/gophercloud/<digest>/``, the digest covering the
source, the Go version and gophercloud's version, so a second run costs
a hash, not a build (about 4 s).
"""

import hashlib
import os
import shutil
import subprocess
import tempfile

from magnum_lite.tests import harness

SOURCE = os.path.join(harness.REPO, 'tools', 'gophercloud', 'lifecycle')
GOPATH = '/usr/share/gocode'
GOPHERCLOUD = os.path.join(GOPATH, 'src', 'github.com', 'gophercloud',
                           'gophercloud')
STATE = os.path.join(harness.REPO, '.state', 'gophercloud')
INSTALL = os.path.join(harness.REPO, 'tools', 'gophercloud', 'install.sh')


class GoMissing(Exception):
    """Go or gophercloud is not installed."""


def environment():
    """The build's environment: GOPATH mode, Debian's packages only."""
    env = dict(os.environ)
    env.update(GO111MODULE='off', GOPATH=GOPATH, GOPROXY='off',
               GOFLAGS='', GOCACHE=os.path.join(STATE, 'cache'),
               CGO_ENABLED='0')
    return env


def versions():
    """``(go version, gophercloud package version)``."""
    go = shutil.which('go')
    if go is None or not os.path.isdir(GOPHERCLOUD):
        raise GoMissing(f'Go or gophercloud is missing: run {INSTALL}')
    go_version = subprocess.run([go, 'version'], capture_output=True,
                                text=True, check=True).stdout.strip()
    package = subprocess.run(
        ['dpkg-query', '-W', '-f=${Version}',
         'golang-github-gophercloud-gophercloud-dev'],
        capture_output=True, text=True).stdout.strip()
    return go_version, package or 'unknown'


def _digest(go_version, package):
    digest = hashlib.sha256(f'{go_version}\n{package}\n'.encode())
    for name in sorted(os.listdir(SOURCE)):
        if name.endswith('.go'):
            with open(os.path.join(SOURCE, name), 'rb') as f:
                digest.update(name.encode() + b'\0' + f.read())
    return digest.hexdigest()[:16]


def build():
    """The path of the built program (built now if not cached)."""
    go_version, package = versions()
    binary = os.path.join(STATE, _digest(go_version, package), 'lifecycle')
    if os.path.exists(binary):
        return binary
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    # Built beside, then renamed: a concurrent run never runs half a file.
    partial = tempfile.mkdtemp(dir=os.path.dirname(binary))
    try:
        subprocess.run(['go', 'build', '-o', os.path.join(partial, 'out'),
                        '.'], cwd=SOURCE, env=environment(), check=True,
                       capture_output=True, text=True)
        os.replace(os.path.join(partial, 'out'), binary)
    except subprocess.CalledProcessError as err:
        raise RuntimeError(f'go build failed:\n{err.stderr}') from err
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return binary
