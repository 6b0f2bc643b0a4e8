#!/usr/bin/env bash
# Install the real OpenStack Heat in .venvs/heat: see tools/service-venv.
exec "$(dirname "$0")/../service-venv" heat "$@"
