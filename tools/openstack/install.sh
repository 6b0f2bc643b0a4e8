#!/usr/bin/env bash
# Install the OpenStack control plane (Keystone, Placement, Nova, Neutron,
# Glance, Octavia, Heat) in one virtualenv, .venvs/openstack: see
# tools/service-venv.
exec "$(dirname "$0")/../service-venv" openstack "$@"
