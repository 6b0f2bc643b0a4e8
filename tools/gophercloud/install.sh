#!/usr/bin/env bash
# The Go toolchain and gophercloud the gophercloud test builds with
# (magnum_lite/tests/integration/test_gophercloud.py): Debian's golang-go
# (Go 1.19 on bookworm) and golang-github-gophercloud-gophercloud-dev
# (gophercloud 0.12, its source under /usr/share/gocode). The test builds
# in GOPATH mode from those files alone: no Go module is ever downloaded.
# Idempotent; a dpkg query when done.
set -euo pipefail
packages=(golang-go golang-github-gophercloud-gophercloud-dev)

installed() {
    dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null \
        | grep -c '^install ok installed$' || true
}

if [ "$(installed "${packages[@]}")" != "${#packages[@]}" ]; then
    # Another apt on the machine may hold the lock for a while.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
go version >/dev/null
