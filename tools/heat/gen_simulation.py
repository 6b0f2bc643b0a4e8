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
"""Generate heat-templates/simulation/ from the installed Heat's schemas.

Run inside the Heat virtualenv::

    .venvs/heat/bin/python tools/heat/gen_simulation.py [--out DIR]

For every simulated cloud resource type it writes one provider template
(``<service>_<type>.yaml``) whose parameters are the type's properties
(types as Heat's facade check wants them: List -> comma_delimited_list,
Map -> json, Integer/Number -> number) and whose outputs are every
attribute of the type (plus ``show`` and ``OS::stack_id``). The resource
itself is one OS::Heat::TestResource, which sleeps and fails on demand
(``simulation_delays`` / ``simulation_fail`` from ``parameter_defaults``).
Values are fake but consistent, computed with yaql from the nested
stack's uuid: see heat-templates/simulation/README.md.

Also writes ``environment.yaml`` (the resource_registry and the default
simulation parameters). The output is committed; rerun after a Heat
upgrade and review the diff.
"""

import argparse
import logging
import os
import re
import sys
import warnings

import yaml
from heat.engine import properties
from heat.engine import resources

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                           'heat-templates', 'simulation')
HOT_VERSION = '2021-04-16'
RESOURCE = 'simulated'

# --- yaql building blocks -------------------------------------------------
# Each returns a yaql expression. Arguments are yaql expressions too; they
# are bound with let() before any lambda rebinds "$", so an argument may
# itself use "$" (the current item). "$.data.X" is the template data.

HEXDIGITS = "'0123456789abcdef'"
# A reference id that carries an IPv4 address: 8 hex digits of the
# address, then "-0020" (a /32), then the rest of a uuid.
IP_REF_RE = '^[0-9a-f]{8}-0020-'


def hex2int(s):
    return ('((%s).toLower().toCharArray().aggregate('
            '$1 * 16 + %s.indexOf($2), 0))' % (s, HEXDIGITS))


def int2dotted(n):
    return ("(let(_n => (%s)) -> range(0, 4).select(str(bitwiseAnd("
            "shiftBitsRight($_n, 24 - 8 * $), 255))).join('.'))" % n)


def int2hex8(n):
    return ("(let(_h => (%s)) -> range(0, 8).select(%s.substring("
            "bitwiseAnd(shiftBitsRight($_h, 28 - 4 * $), 15), 1)).join(''))"
            % (n, HEXDIGITS))


def dotted2int(s):
    return "((%s).split('.').select(int($)).aggregate($1 * 256 + $2, 0))" % s


def uuid_byte(uuid, i):
    """Byte i (0..15) of a uuid string."""
    return hex2int("(%s).replace('-', '').substring(%d, 2)" % (uuid, 2 * i))


# Every simulated address that anything may connect to is a loopback
# address: Linux routes all of 127.0.0.0/8 to the loopback interface, so a
# client that follows one (a drain, a health check, a curious operator)
# reaches this machine and nothing else. Floating IPs keep a recognisable
# second octet of their own.
FLOATING_OCTET = 24


def ip_loopback(uuid, first=0):
    """127.x.y.z from three bytes of a uuid; z in 2..254."""
    return ("(let(_u => (%s)) -> '127.' + str(%s) + '.' + str(%s) + '.' + "
            "str(%s mod 253 + 2))" % (uuid, uuid_byte('$_u', first),
                                      uuid_byte('$_u', first + 1),
                                      uuid_byte('$_u', first + 2)))


def ip_floating(uuid):
    """127.24.x.y from two bytes of a uuid; y in 2..254."""
    return ("(let(_u => (%s)) -> '127.%d.' + str(%s) + '.' + "
            "str(%s mod 253 + 2))" % (uuid, FLOATING_OCTET,
                                      uuid_byte('$_u', 0),
                                      uuid_byte('$_u', 1)))


def ip_ref(ip, uuid):
    """A uuid-shaped reference id that carries an IPv4 address."""
    return ("(%s + '-0020' + (%s).substring(13))"
            % (int2hex8(dotted2int(ip)), uuid))


def ip_from_ref(ref):
    """The address carried by ip_ref(), or '' for any other id."""
    return ("(let(_r => str(%s)) -> switch($_r.matches('%s') => %s, "
            "true => ''))" % (ref, IP_REF_RE,
                              int2dotted(hex2int("$_r.substring(0, 8)"))))


def mac(uuid):
    return ("(let(_u => (%s)) -> 'fa:16:3e:' + $_u.substring(0, 2) + ':' + "
            "$_u.substring(2, 2) + ':' + $_u.substring(4, 2))" % uuid)


def unflatten(lst):
    """Heat passes a list of maps to a provider flattened into strings
    ".member.<i>.<key>=<value>"; turn them back into a list of maps."""
    return ("(let(_l => (%s)) -> $_l.where($.startsWith('.member.'))"
            ".select($.substring(8).split('=', 1))"
            ".select([$[0].split('.', 1)[0], $[0].split('.', 1)[1], $[1]])"
            ".groupBy($[0], [$[1], $[2]]).orderBy(int($[0]))"
            ".select(dict($[1])).toList())" % lst)


def list_value(lst):
    """A List property's value: maps unflattened, strings as they are."""
    return ("(let(_v => (%s)) -> switch($_v.any($.startsWith('.member.')) "
            "=> %s, true => $_v))" % (lst, unflatten('$_v')))


def first_of(lst, key, default="''"):
    return "((%s).first({}).get('%s', %s))" % (unflatten(lst), key, default)


def ymap(pairs):
    return '{%s}' % ', '.join("'%s' => (%s)" % kv for kv in pairs)


class Const(str):
    """A plain string value (every other str in SPECS is yaql)."""


NAME = "($.data.name or $.data.stack_name)"
ID = '$.data.id'
TENANT = "'admin'"

# --- per-type simulation ---------------------------------------------------
# outputs: attribute -> yaql expression (str) or a literal (non-str);
# ref: the value of OS::stack_id (what get_resource returns);
# replaced_by: what, when it changes, replaces the resource (a new
#   TestResource, hence with SERVER_ID a new id), as an update of the real
#   type would; other property changes update it in place;
# data: extra yaql data bindings ($.data.<name>) beside the parameters;
# show: keys of the "show" attribute besides id and name.

PORT_IP = "(%s or %s)" % (first_of('$.data.fixed_ips', 'ip_address'),
                          ip_loopback(ID))
PORT_SUBNET = "(%s or %s)" % (first_of('$.data.fixed_ips', 'subnet'),
                              first_of('$.data.fixed_ips', 'subnet_id'))
NET_ID = "($.data.network or $.data.network_id)"
SERVER_NETS = unflatten('$.data.networks')
SERVER_IPS = ("(let(_id => $.data.id) -> let(_m => %s) -> "
              "switch($_m.len() = 0 => [%s], true => $_m.select("
              "$.get('fixed_ip', '') or %s or %s).toList()))"
              % (SERVER_NETS, ip_loopback('$_id'),
                 ip_from_ref("$.get('port', '')"), ip_loopback('$_id')))
SERVER_NET_KEYS = ("(%s.select($.get('network', '') or 'private')"
                   ".toList())"
                   % SERVER_NETS)


def server_networks(value):
    """Map network name -> list of value(ip, index) over the server's
    networks (a server with none gets one address on 'private')."""
    return ("(let(_ips => $server_ips) -> let(_keys => (%s + ['private']))"
            " -> dict(range(0, $_ips.len()).select([$_keys[$], %s])"
            ".groupBy($[0], $[1])))" % (SERVER_NET_KEYS,
                                        value('$_ips[$]')))


SUBNET_CIDR = ("($.data.cidr or ('10.' + str(%s) + '.' + str(%s) + '.0/24'))"
               % (uuid_byte(ID, 3), uuid_byte(ID, 4)))
SUBNET_NET = "(%s.split('/')[0])" % SUBNET_CIDR
SUBNET_SIZE = "pow(2, 32 - int(%s.split('/')[1]))" % SUBNET_CIDR
SUBNET_POOLS = ("(%s or [{'start' => %s, 'end' => %s}])"
                % (unflatten('$.data.allocation_pools'),
                   int2dotted('%s + 2' % dotted2int(SUBNET_NET)),
                   int2dotted('%s + %s - 2' % (dotted2int(SUBNET_NET),
                                               SUBNET_SIZE))))
LB_VIP = "($.data.vip_address or %s)" % ip_loopback(ID)
FIP = "($.data.floating_ip_address or %s)" % ip_floating(ID)
KEY_PUBLIC = ("($.data.public_key or ('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB'"
              " + $.data.id.replace('-', '') + ' simulated'))")
WC_URL = "('http://127.0.0.1:8000/v1/signal/' + $.data.id)"

# A server Nova replaces gets a new id. The simulated server's id is the
# nested stack's uuid with its last 12 hex digits taken from the
# TestResource's physical name, whose random 12-character suffix (Heat's
# short id, letters a-z and digits 2-7) is new each time Heat replaces it.
SHORT_ID_ALPHABET = "'abcdefghijklmnopqrstuvwxyz234567'"
SERVER_ID = ("(let(_g => $.data.generation) -> $.data.id.substring(0, 24) + "
             "$_g.substring($_g.len() - 12).toCharArray().select(%s.substring("
             "%s.indexOf($) mod 16, 1)).join(''))"
             % (HEXDIGITS, SHORT_ID_ALPHABET))
# What makes Nova + Heat replace a server instead of updating it in place:
# a new image under image_update_policy REPLACE (REBUILD keeps the server),
# new user data under user_data_update_policy REPLACE (Heat's default).
SERVER_REPLACED_BY = (
    "'image=' + switch($.data.image_update_policy = 'REPLACE' => "
    "str($.data.image), true => '') + ' user_data=' + "
    "switch($.data.user_data_update_policy = 'REPLACE' => "
    "str($.data.user_data), true => '')")

SPECS = {
    'OS::Nova::Server': {
        'file': 'nova_server.yaml',
        'let': {'server_ips': SERVER_IPS},
        'ref': SERVER_ID,
        'replaced_by': SERVER_REPLACED_BY,
        'data': {'generation': {'get_resource': RESOURCE}},
        'outputs': {
            'first_address': '$server_ips[0]',
            'networks': server_networks(lambda ip: ip),
            'addresses': server_networks(lambda ip: (
                "{'addr' => %s, 'version' => 4, 'OS-EXT-IPS:type' => "
                "'fixed', 'OS-EXT-IPS-MAC:mac_addr' => %s}"
                % (ip, mac('$_id')))),
            'name': NAME,
            'instance_name': "'instance-' + $.data.id.substring(0, 8)",
            'accessIPv4': Const(''), 'accessIPv6': Const(''),
            'console_urls': ymap([(
                'novnc', "'http://127.0.0.1:6080/vnc_auto.html?path=' + "
                         "$.data.id")]),
            'os_collect_config': {},
        },
        'show': {'status': "'ACTIVE'", 'flavor': '$.data.flavor',
                 'image': '$.data.image', 'key_name': '$.data.key_name',
                 'metadata': '$.data.metadata'},
        'show_from': ['addresses'],
    },
    'OS::Nova::ServerGroup': {
        'file': 'nova_servergroup.yaml',
        'show': {'policies': '$.data.policies', 'members': '[]'},
    },
    'OS::Nova::KeyPair': {
        'file': 'nova_keypair.yaml',
        'ref': NAME,
        'outputs': {
            'public_key': KEY_PUBLIC,
            'private_key': ("switch($.data.save_private_key => "
                            "'-----BEGIN PRIVATE KEY-----\\nsimulated-' + "
                            "$.data.id + '\\n-----END PRIVATE KEY-----\\n',"
                            " true => '')"),
        },
        'show': {'type': "$.data.type or 'ssh'"},
        'show_from': ['public_key'],
    },
    'OS::Neutron::Net': {
        'file': 'neutron_net.yaml',
        'outputs': {'status': Const('ACTIVE'), 'mtu': 1450,
                    'l2_adjacency': True, 'segments': [], 'subnets': [],
                    'tenant_id': Const('admin'),
                    'qos_policy_id': '$.data.qos_policy'},
        'show_from': ['status', 'mtu', 'admin_state_up'],
    },
    'OS::Neutron::Subnet': {
        'file': 'neutron_subnet.yaml',
        'outputs': {
            'cidr': SUBNET_CIDR,
            'gateway_ip': "($.data.gateway_ip or %s)" % int2dotted(
                '%s + 1' % dotted2int(SUBNET_NET)),
            'allocation_pools': SUBNET_POOLS,
            'network_id': NET_ID,
            'ip_version': 'str($.data.ip_version)',
            'enable_dhcp': 'str($.data.enable_dhcp)',
            'tenant_id': Const('admin'),
        },
        'show_from': ['cidr', 'gateway_ip', 'allocation_pools',
                      'network_id', 'ip_version'],
    },
    'OS::Neutron::Router': {
        'file': 'neutron_router.yaml',
        'outputs': {'status': Const('ACTIVE'), 'tenant_id': Const('admin'),
                    'admin_state_up': 'str($.data.admin_state_up)'},
        'show_from': ['status', 'external_gateway_info'],
    },
    'OS::Neutron::RouterInterface': {
        'file': 'neutron_routerinterface.yaml',
        'show': {'router_id': '$.data.router or $.data.router_id',
                 'subnet_id': '$.data.subnet or $.data.subnet_id',
                 'port_id': '$.data.port or $.data.port_id'},
    },
    'OS::Neutron::Port': {
        'file': 'neutron_port.yaml',
        'let': {'port_ip': PORT_IP, 'port_subnet': PORT_SUBNET},
        'ref': ip_ref('$port_ip', ID),
        'outputs': {
            'fixed_ips': "[{'ip_address' => %s, 'subnet_id' => %s}]"
                         % ('$port_ip', '$port_subnet'),
            'mac_address': '($.data.mac_address or %s)' % mac(ID),
            'network_id': NET_ID,
            'network': ymap([('id', NET_ID), ('name', NET_ID)]),
            'status': Const('ACTIVE'),
            'subnets': "[{'id' => %s}]" % '$port_subnet',
            'dns_assignment': ymap([
                ('hostname', "'host-' + %s.replace('.', '-')" % '$port_ip'),
                ('ip_address', '$port_ip'),
                ('fqdn', "'host-' + %s.replace('.', '-') + '.openstacklocal.'"
                         % '$port_ip')]),
            'tenant_id': Const('admin'),
            'qos_policy_id': '$.data.qos_policy',
            'admin_state_up': 'str($.data.admin_state_up)',
        },
        'show_from': ['fixed_ips', 'mac_address', 'network_id', 'status',
                      'device_id', 'device_owner', 'security_groups'],
    },
    'OS::Neutron::FloatingIP': {
        'file': 'neutron_floatingip.yaml',
        'outputs': {
            'floating_ip_address': FIP,
            'fixed_ip_address': '($.data.fixed_ip_address or %s)'
                                % ip_from_ref('$.data.port_id'),
            'floating_network_id': ('($.data.floating_network or '
                                    '$.data.floating_network_id)'),
            'router_id': Const(''), 'tenant_id': Const('admin'),
        },
        'show_from': ['floating_ip_address', 'fixed_ip_address',
                      'floating_network_id', 'port_id'],
    },
    'OS::Neutron::FloatingIPAssociation': {
        'file': 'neutron_floatingipassociation.yaml',
        'show': {'floatingip_id': '$.data.floatingip_id',
                 'port_id': '$.data.port_id'},
    },
    'OS::Neutron::SecurityGroup': {
        'file': 'neutron_securitygroup.yaml',
        'show': {'description': '$.data.description',
                 'rules': list_value('$.data.rules')},
    },
    'OS::Neutron::SecurityGroupRule': {
        'file': 'neutron_securitygrouprule.yaml',
        'show': {'security_group_id': '$.data.security_group',
                 'direction': "$.data.direction or 'ingress'",
                 'protocol': '$.data.protocol'},
    },
    'OS::Octavia::LoadBalancer': {
        'file': 'octavia_loadbalancer.yaml',
        'outputs': {
            'vip_address': LB_VIP,
            'vip_port_id': ip_ref(LB_VIP, ID),
            'vip_subnet_id': '$.data.vip_subnet',
            'flavor_id': '$.data.flavor',
            'pools': [],
        },
        'show': {'provisioning_status': "'ACTIVE'",
                 'operating_status': "'ONLINE'"},
        'show_from': ['vip_address', 'vip_port_id', 'vip_subnet_id'],
    },
    'OS::Octavia::Listener': {
        'file': 'octavia_listener.yaml',
        'outputs': {
            'default_pool_id': '$.data.default_pool',
            'loadbalancers': "[{'id' => $.data.loadbalancer}]",
        },
        'show': {'protocol': '$.data.protocol',
                 'protocol_port': '$.data.protocol_port',
                 'provisioning_status': "'ACTIVE'"},
    },
    'OS::Octavia::Pool': {
        'file': 'octavia_pool.yaml',
        'outputs': {
            'listeners': "[{'id' => $.data.listener}]",
            'members': [], 'healthmonitor_id': Const(''),
        },
        'show': {'lb_algorithm': '$.data.lb_algorithm',
                 'protocol': '$.data.protocol',
                 'provisioning_status': "'ACTIVE'"},
    },
    'OS::Octavia::PoolMember': {
        'file': 'octavia_poolmember.yaml',
        'show': {'address': '$.data.address',
                 'protocol_port': '$.data.protocol_port',
                 'pool_id': '$.data.pool',
                 'provisioning_status': "'ACTIVE'",
                 'operating_status': "'ONLINE'"},
    },
    'OS::Octavia::HealthMonitor': {
        'file': 'octavia_healthmonitor.yaml',
        'outputs': {'pools': "[{'id' => $.data.pool}]"},
        'show': {'type': '$.data.type', 'delay': '$.data.delay'},
    },
    'OS::Cinder::Volume': {
        'file': 'cinder_volume.yaml',
        'outputs': {
            'size': 'str($.data.size)',
            'status': Const('in-use'),
            'display_name': NAME,
            'display_description': '$.data.description',
            'created_at': Const('2026-01-01T00:00:00.000000'),
            'bootable': "str(bool($.data.image or $.data.imageRef))",
            'attachments': Const('[]'), 'attachments_list': [],
            'metadata': 'str($.data.metadata)',
            'metadata_values': '$.data.metadata',
            'availability_zone': "$.data.availability_zone or 'nova'",
            'encrypted': Const('False'),
        },
        'show_from': ['size', 'status', 'volume_type', 'availability_zone'],
    },
    'OS::Cinder::VolumeAttachment': {
        'file': 'cinder_volumeattachment.yaml',
        'show': {'volume_id': '$.data.volume_id',
                 'server_id': '$.data.instance_uuid',
                 'device': "$.data.mountpoint or '/dev/vdb'"},
    },
    'OS::Heat::WaitConditionHandle': {
        'file': 'heat_waitconditionhandle.yaml',
        'outputs': {
            'endpoint': WC_URL,
            'curl_cli': ("'curl -i -X POST -H \"X-Auth-Token: simulated\" "
                         "-H \"Content-Type: application/json\" "
                         "-H \"Accept: application/json\" ' + %s" % WC_URL),
            'token': "'simulated-' + $.data.id",
            'signal': "{'alarm_url' => %s}" % WC_URL,
        },
    },
    'OS::Heat::WaitCondition': {
        'file': 'heat_waitcondition.yaml',
        'outputs': {'data': Const('{}')},
    },
    'OS::Heat::SoftwareDeployment': {
        'file': 'heat_softwaredeployment.yaml',
        'outputs': {'deploy_status_code': Const('0'),
                    'deploy_stdout': Const(''), 'deploy_stderr': Const('')},
        'show': {'status': "'COMPLETE'", 'server_id': '$.data.server',
                 'config_id': '$.data.config'},
    },
    'OS::Heat::StructuredDeployment': {
        'file': 'heat_structureddeployment.yaml',
        'outputs': {'deploy_status_code': Const('0'),
                    'deploy_stdout': Const(''), 'deploy_stderr': Const('')},
        'show': {'status': "'COMPLETE'", 'server_id': '$.data.server',
                 'config_id': '$.data.config'},
    },
}

PARAM_TYPES = {
    properties.Schema.STRING: ('string', ''),
    properties.Schema.NUMBER: ('number', 0),
    properties.Schema.INTEGER: ('number', 0),
    properties.Schema.LIST: ('comma_delimited_list', []),
    properties.Schema.MAP: ('json', {}),
    properties.Schema.BOOLEAN: ('boolean', False),
}
EMPTY_ATTR = {'string': '', 'map': {}, 'list': [], 'integer': 0,
              'boolean': False, 'number': 0}


def _param(schema):
    ptype, empty = PARAM_TYPES[schema.type]
    default = schema.default
    if schema.type == properties.Schema.LIST:
        # Only lists of plain strings survive as defaults.
        if not (isinstance(default, list) and
                all(isinstance(x, str) for x in default)):
            default = empty
    elif schema.type == properties.Schema.MAP:
        default = default if isinstance(default, dict) else empty
    elif schema.type == properties.Schema.BOOLEAN:
        default = default if isinstance(default, bool) else empty
    elif schema.type in (properties.Schema.NUMBER,
                         properties.Schema.INTEGER):
        default = default if isinstance(default, (int, float)) and \
            not isinstance(default, bool) else empty
    else:
        default = default if isinstance(default, str) else empty
    param = {'type': ptype, 'default': default}
    if schema.description:
        param['description'] = ' '.join(str(schema.description).split())
    return param


def _passthrough(name, schema):
    if name == 'name':
        return NAME
    if schema.type == properties.Schema.LIST:
        return list_value('$.data.%s' % name)
    return '$.data.%s' % name


DATA_RE = re.compile(r'\$\.data\.([A-Za-z_][A-Za-z0-9_]*)')


def _yaql(expr, params, extra=None):
    used = sorted(set(DATA_RE.findall(expr)))
    data = {}
    for name in used:
        if extra and name in extra:
            data[name] = extra[name]
        elif name == 'id':
            data['id'] = {'get_param': 'OS::stack_id'}
        elif name == 'stack_name' or (name == 'name' and
                                      name not in params):
            data[name] = {'get_param': 'OS::stack_name'}
        elif name in params:
            data[name] = {'get_param': name}
        else:
            raise KeyError('expression uses unknown $.data.%s: %s'
                           % (name, expr))
    bare = re.fullmatch(r'\(*\$\.data\.(\w+)\)*', expr.strip())
    if bare and len(data) == 1:
        # A plain parameter: no yaql needed.
        return data[bare.group(1)]
    node = {'expression': ' '.join(expr.split())}
    if data:
        node['data'] = data
    return {'yaql': node}


def _value(v, params, lets=None, extra=None):
    if isinstance(v, str) and not isinstance(v, Const):
        return _yaql(_with_lets(v, lets or {}), params, extra)
    return str(v) if isinstance(v, Const) else v


FAIL_EXPR = (
    "let(f => $.data.simulation_fail, t => $.data.type, "
    "n => '-' + $.data.stack_name + '-') -> $f.any($ = $t or "
    "$ = $t + ':*' or ($.startsWith($t + ':') and "
    "$n.indexOf('-' + $.substring($t.len() + 1) + '-') >= 0))")
DELAY_EXPR = (
    "let(d => $.data.simulation_delays) -> "
    "float($d.get($.data.type, $d.get('*', 0)))")


def _with_lets(expr, lets):
    """Bind the spec's shared sub-expressions that expr uses, once."""
    used = [k for k in lets if re.search(r'\$%s\b' % k, expr)]
    if not used:
        return expr
    return 'let(%s) -> (%s)' % (
        ', '.join('%s => (%s)' % (k, lets[k]) for k in used), expr)


def build(type_name, cls, spec):
    lets = spec.get('let', {})
    extra = spec.get('data')
    schemata = properties.schemata(cls.properties_schema)
    params = {}
    for name, schema in sorted(schemata.items()):
        params[name] = _param(schema)
    params['simulation_fail'] = {
        'type': 'comma_delimited_list', 'default': [],
        'description': 'Simulation: "TYPE:NAME" entries to fail on create '
                       '(NAME: the resource name or an ancestor\'s; * for '
                       'all). Set it in parameter_defaults.'}
    params['simulation_delays'] = {
        'type': 'json', 'default': {},
        'description': 'Simulation: map TYPE (or *) -> seconds each '
                       'action of that type takes. Set it in '
                       'parameter_defaults.'}
    pnames = set(params)

    attrs = dict(cls.attributes_schema)
    attrs.update(cls.base_attributes_schema)
    outputs = {}
    given = spec.get('outputs', {})
    exprs = {}
    for attr, aschema in sorted(attrs.items()):
        if attr == 'show':
            continue
        if attr in given:
            v = given[attr]
        elif attr in schemata:
            v = _passthrough(attr, schemata[attr])
        else:
            atype = getattr(aschema, 'type', None)
            v = EMPTY_ATTR.get((atype or 'string').lower(), '')
            v = Const(v) if isinstance(v, str) else v
        exprs[attr] = v
        outputs[attr] = {'value': _value(v, pnames, lets, extra)}
        desc = getattr(aschema, 'description', None)
        if desc:
            outputs[attr]['description'] = ' '.join(str(desc).split())

    # "show": what the API would return for the resource.
    ref = spec.get('ref', ID)
    show = [('id', ref), ('name', NAME)]
    for key in spec.get('show_from', []):
        v = exprs[key] if key in exprs else _passthrough(key, schemata[key])
        if isinstance(v, Const) or not isinstance(v, str):
            v = _literal_yaql(v)
        show.append((key, v))
    for key, v in spec.get('show', {}).items():
        show.append((key, v))
    outputs['show'] = {'value': _yaql(_with_lets(ymap(show), lets), pnames,
                                      extra),
                       'description': 'Simulated API representation.'}
    outputs['OS::stack_id'] = {'value': _yaql(_with_lets(ref, lets),
                                              pnames, extra)}

    fail = _yaql(FAIL_EXPR, pnames, {'type': type_name})
    delay = _yaql(DELAY_EXPR, pnames, {'type': type_name})
    # The value is the reference, unless the reference is made from the
    # resource itself (a replaced server's new id).
    value = ID if extra else ref
    test_properties = {
        'value': _yaql(_with_lets(value, lets), pnames),
        'fail': fail,
        'wait_secs': delay,
    }
    if 'replaced_by' in spec:
        # update_replace_value cannot be updated in place: a change of it
        # makes Heat create a new TestResource, then delete the old one.
        test_properties['update_replace_value'] = _yaql(
            spec['replaced_by'], pnames)
    return {
        'heat_template_version': HOT_VERSION,
        'description': 'Simulated %s: generated by tools/heat/'
                       'gen_simulation.py from Heat %s; do not edit.'
                       % (type_name, _heat_version()),
        'parameters': params,
        'resources': {
            RESOURCE: {
                'type': 'OS::Heat::TestResource',
                'properties': test_properties,
            },
        },
        'outputs': outputs,
    }


def _literal_yaql(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return "'%s'" % v.replace("'", "\\'")
    if isinstance(v, list) and not v:
        return '[]'
    if isinstance(v, dict) and not v:
        return '{}'
    raise ValueError('cannot express %r in yaql' % (v,))


def _heat_version():
    from heat import version
    return version.version_info.version_string()


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _str_repr(dumper, data):
    style = '|' if '\n' in data else None
    return dumper.represent_scalar('tag:yaml.org,2002:str', str(data),
                                   style=style)


_Dumper.add_representer(Const, _str_repr)
_Dumper.add_representer(str, _str_repr)


def dump(doc):
    return yaml.dump(doc, Dumper=_Dumper, default_flow_style=False,
                     sort_keys=False, width=79)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter('ignore')
    env = resources.global_env()
    os.makedirs(args.out, exist_ok=True)
    registry = {}
    for type_name, spec in SPECS.items():
        cls = env.get_class(type_name)
        doc = build(type_name, cls, spec)
        with open(os.path.join(args.out, spec['file']), 'w') as f:
            f.write('# Generated by tools/heat/gen_simulation.py; '
                    'do not edit.\n')
            f.write(dump(doc))
        registry[type_name] = spec['file']
    environment = {
        'parameter_defaults': {'simulation_fail': [],
                               'simulation_delays': {}},
        'resource_registry': registry,
    }
    with open(os.path.join(args.out, 'environment.yaml'), 'w') as f:
        f.write('# Generated by tools/heat/gen_simulation.py; do not edit.\n'
                '# Maps cloud resource types to simulated ones; see '
                'README.md.\n')
        f.write(dump(environment))
    print('wrote %d simulated types to %s' % (len(registry), args.out),
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
