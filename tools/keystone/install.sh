#!/usr/bin/env bash
# Install the real OpenStack Keystone in .venvs/keystone: see tools/service-venv.
exec "$(dirname "$0")/../service-venv" keystone "$@"
