# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""TEST DOUBLE: an ML2 mechanism driver that binds every port, no agents.

For the one-box control plane of magnum-lite's tests only (Nova's fake
virt driver boots nothing, so no L2 agent exists to report a host).
Without it every port Nova asks for ends ``binding_failed`` and Nova
refuses it (``PortBindingFailed``). It binds the first segment offered as
``ovs`` and marks the port ACTIVE at once; it keeps no state, so any number
of API workers and restarts see the same behaviour.

Loaded by Neutron through the entry point ``mlt_agentless_binding`` of
group ``neutron.ml2.mechanism_drivers``, declared in the ``.dist-info``
next to this file: the directory is put on the Neutron API's
``PYTHONPATH`` (tools/openstack/openstackctl.py), nothing is installed.
"""

from neutron_lib.plugins.ml2 import api


class AgentlessBindingTestDouble(api.MechanismDriver):
    """Binds every port to the first segment, as ``ovs``, ACTIVE."""

    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID], 'ovs',
                {'port_filter': True, 'ovs_hybrid_plug': False},
                status='ACTIVE')
            return
