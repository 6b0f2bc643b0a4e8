#!/usr/bin/env bash
# Install the real OpenStack Barbican in .venvs/barbican: see tools/service-venv.
exec "$(dirname "$0")/../service-venv" barbican "$@"
