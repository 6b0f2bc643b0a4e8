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
"""The configuration files of the one-box control plane (openstackctl.py).

One function per service returns ``{file name: {section: {key: value}}}``;
``write_all`` writes them into the state directory. ``ctx`` is the dict
``openstackctl.start`` builds: ports, database URLs, vhost URLs, service
passwords, directories. Every key beyond the defaults is there for a
reason measured in ../shared/notes/openstack-one-box.md.
"""

import os
import shutil

REGION = 'RegionOne'
HEAT_PLUGINS = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'heat', 'plugins')


def _authtoken(ctx, user):
    return {
        'auth_type': 'password',
        'auth_url': ctx['keystone_url'],
        'www_authenticate_uri': ctx['keystone_url'],
        'username': user,
        'password': ctx['passwords'][user],
        'user_domain_id': 'default',
        'project_name': 'service',
        'project_domain_id': 'default',
        'region_name': REGION,
        # Empty: keystonemiddleware's in-process token cache.
        'memcached_servers': '',
    }


def _service_creds(ctx, user):
    creds = _authtoken(ctx, user)
    del creds['www_authenticate_uri']
    del creds['memcached_servers']
    return creds


def _common(ctx, service, debug):
    return {
        'debug': str(bool(debug)).lower(),
        # The API's log; daemons and manage commands name theirs with
        # --log-file (openstackctl.py).
        'log_file': os.path.join(ctx['log_dir'], '%s-api.log' % service),
        'use_stderr': 'false',
        'state_path': os.path.join(ctx['state_dir'], service),
    }


def _db(url, pool=5, overflow=10):
    # Small pools: one MariaDB (max_connections 151) serves this control
    # plane and every other test process of the run.
    return {'connection': url, 'max_pool_size': str(pool),
            'max_overflow': str(overflow), 'pool_timeout': '60'}


def _locks(ctx, service):
    return {'lock_path': os.path.join(ctx['state_dir'], service, 'lock')}


def placement(ctx, debug):
    return {'placement.conf': {
        'DEFAULT': _common(ctx, 'placement', debug),
        'api': {'auth_strategy': 'keystone'},
        'placement_database': _db(ctx['db']['placement']),
        'keystone_authtoken': _authtoken(ctx, 'placement'),
        'oslo_policy': {'enforce_new_defaults': 'true',
                        'enforce_scope': 'true'},
    }}


def nova(ctx, debug):
    common = _common(ctx, 'nova', debug)
    common.update({
        'transport_url': ctx['vhost_url']['nova'],
        'compute_driver': 'fake.FakeDriver',
        'instances_path': os.path.join(ctx['state_dir'], 'nova',
                                       'instances'),
        'my_ip': '127.0.0.1',
        'enabled_apis': 'osapi_compute',
        'osapi_compute_workers': '1',
        'metadata_workers': '1',
    })
    files = {'nova.conf': {
        'DEFAULT': common,
        'api': {'auth_strategy': 'keystone'},
        'api_database': _db(ctx['db']['nova_api']),
        'database': _db(ctx['db']['nova']),
        'keystone_authtoken': _authtoken(ctx, 'nova'),
        # Nova (API and computes) acts as its own service user toward
        # Placement and Neutron.
        'placement': _service_creds(ctx, 'nova'),
        'neutron': _service_creds(ctx, 'nova'),
        'glance': {'region_name': REGION},
        'wsgi': {'api_paste_config': os.path.join(ctx['conf_dir']['nova'],
                                                  'api-paste.ini')},
        'vnc': {'enabled': 'false'},
        'scheduler': {'discover_hosts_in_cells_interval': '2',
                      'workers': '1'},
        'conductor': {'workers': '1'},
        'oslo_concurrency': _locks(ctx, 'nova'),
        'oslo_messaging_notifications': {'driver': 'noop'},
    }}
    for host in ctx['compute_hosts']:
        files['%s.conf' % host] = {'DEFAULT': {
            'host': host,
            'instances_path': os.path.join(ctx['state_dir'], 'nova', host),
        }}
    return files


def neutron(ctx, debug):
    common = _common(ctx, 'neutron', debug)
    common.update({
        'transport_url': ctx['vhost_url']['neutron'],
        'core_plugin': 'ml2',
        'service_plugins': 'router',
        'auth_strategy': 'keystone',
        'api_paste_config': os.path.join(ctx['conf_dir']['neutron'],
                                         'api-paste.ini'),
        'allow_overlapping_ips': 'true',
        # No agents: nothing to notify, and no DHCP port to wait for.
        'dhcp_agent_notification': 'false',
        'notify_nova_on_port_status_changes': 'true',
        'notify_nova_on_port_data_changes': 'true',
        'api_workers': '1',
        'rpc_workers': '0',
    })
    return {
        'neutron.conf': {
            'DEFAULT': common,
            'database': _db(ctx['db']['neutron']),
            'keystone_authtoken': _authtoken(ctx, 'neutron'),
            # Port events (network-vif-plugged) to Nova.
            'nova': _service_creds(ctx, 'neutron'),
            'oslo_concurrency': _locks(ctx, 'neutron'),
            'oslo_messaging_notifications': {'driver': 'noop'},
            'agent': {'report_interval': '0'},
        },
        'ml2_conf.ini': {
            'ml2': {
                # The test double (ml2_test_double/): binds without agents.
                'mechanism_drivers': 'mlt_agentless_binding',
                'type_drivers': 'flat,vxlan',
                'tenant_network_types': 'vxlan',
                'extension_drivers': 'port_security',
            },
            'ml2_type_flat': {'flat_networks': 'public'},
            'ml2_type_vxlan': {'vni_ranges': '1:1000'},
        },
    }


def glance(ctx, debug):
    images = os.path.join(ctx['state_dir'], 'glance')
    common = _common(ctx, 'glance', debug)
    common.update({'enabled_backends': 'fs:file', 'workers': '1'})
    return {'glance-api.conf': {
        'DEFAULT': common,
        'database': _db(ctx['db']['glance']),
        'keystone_authtoken': _authtoken(ctx, 'glance'),
        'paste_deploy': {'flavor': 'keystone'},
        'glance_store': {'default_backend': 'fs'},
        'fs': {'filesystem_store_datadir': os.path.join(images, 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': os.path.join(images, 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': os.path.join(images, 'tasks')},
        'oslo_concurrency': _locks(ctx, 'glance'),
        'oslo_messaging_notifications': {'driver': 'noop'},
    }}


def octavia(ctx, debug):
    certs = ctx['octavia_certs']
    common = _common(ctx, 'octavia', debug)
    common['transport_url'] = ctx['vhost_url']['octavia']
    return {'octavia.conf': {
        'DEFAULT': common,
        'api_settings': {
            'auth_strategy': 'keystone',
            'enabled_provider_drivers':
                'amphora:The Octavia Amphora driver (no-op drivers here)',
            'default_provider_driver': 'amphora',
        },
        'database': _db(ctx['db']['octavia']),
        'keystone_authtoken': _authtoken(ctx, 'octavia'),
        'service_auth': _service_creds(ctx, 'octavia'),
        'controller_worker': {
            'amphora_driver': 'amphora_noop_driver',
            'compute_driver': 'compute_noop_driver',
            'network_driver': 'network_noop_driver',
            'volume_driver': 'volume_noop_driver',
            'image_driver': 'image_noop_driver',
            'loadbalancer_topology': 'SINGLE',
            'workers': '1',
            # Read by the amphora flows even with no-op drivers.
            'amp_flavor_id': 'noop-flavor',
            'amp_boot_network_list': 'noop-network',
            'amp_secgroup_list': 'noop-secgroup',
            'amp_image_tag': 'amphora',
            # Read (and sent nowhere) when the amphora "boots".
            'client_ca': certs['ca_cert'],
        },
        # The create-amphora flow still signs a server certificate.
        'certificates': {
            'cert_generator': 'local_cert_generator',
            'ca_certificate': certs['ca_cert'],
            'ca_private_key': certs['ca_key'],
            'server_certs_key_passphrase': certs['passphrase'],
        },
        'haproxy_amphora': {'client_cert': certs['client_pem'],
                            'server_ca': certs['ca_cert']},
        'health_manager': {'heartbeat_key': certs['heartbeat_key']},
        # No Redis or ZooKeeper jobboard.
        'task_flow': {'jobboard_enabled': 'false'},
        'oslo_concurrency': _locks(ctx, 'octavia'),
        'oslo_messaging_notifications': {'driver': 'noop'},
    }}


def heat(ctx, debug):
    venv_etc = os.path.join(ctx['venv'], 'etc', 'heat')
    conf_dir = ctx['conf_dir']['heat']
    heat_url = 'http://127.0.0.1:%d' % ctx['ports']['heat']
    common = _common(ctx, 'heat', debug)
    common.update({
        'transport_url': ctx['vhost_url']['heat'],
        'host': 'heat-onebox',
        'num_engine_workers': '1',
        'deferred_auth_method': 'trusts',
        'stack_user_domain_name': 'heat',
        'stack_domain_admin': 'heat_domain_admin',
        'stack_domain_admin_password': ctx['passwords']['heat_domain_admin'],
        'region_name_for_services': REGION,
        'heat_metadata_server_url': heat_url,
        'heat_waitcondition_server_url': heat_url + '/v1/waitcondition',
        'environment_dir': os.path.join(conf_dir, 'environment.d'),
        'template_dir': os.path.join(venv_etc, 'templates'),
        # The Heat harness's plugins (tools/heat/plugins): heat 27 parses
        # yaql with one parser shared unsafely between engine threads.
        'plugin_dirs': HEAT_PLUGINS,
        'graceful_shutdown_timeout': '5',
    })
    trustee = _service_creds(ctx, 'heat')
    for key in ('project_name', 'project_domain_id', 'region_name'):
        del trustee[key]
    return {'heat.conf': {
        'DEFAULT': common,
        'database': _db(ctx['db']['heat'], pool=10, overflow=20),
        'keystone_authtoken': _authtoken(ctx, 'heat'),
        'trustee': trustee,
        'clients_keystone': {'auth_uri': ctx['keystone_url'].rsplit(
            '/v3', 1)[0]},
        'paste_deploy': {'api_paste_config': os.path.join(
            conf_dir, 'api-paste.ini')},
        'oslo_concurrency': _locks(ctx, 'heat'),
        'oslo_messaging_notifications': {'driver': 'noop'},
    }}


SERVICES = {'placement': placement, 'nova': nova, 'neutron': neutron,
            'glance': glance, 'octavia': octavia, 'heat': heat}

# Paste files shipped in the virtualenv, copied next to each config.
PASTE = {'nova': ['api-paste.ini'], 'neutron': ['api-paste.ini'],
         'glance': ['glance-api-paste.ini'], 'heat': ['api-paste.ini']}


def write_all(ctx, write_ini, debug=False):
    """Write every service's files into ``ctx['conf_dir'][service]`` with
    ``write_ini(path, sections)``; returns {service: {file name: path}}.
    """
    written = {}
    for service, make in SERVICES.items():
        conf_dir = ctx['conf_dir'][service]
        os.makedirs(conf_dir, exist_ok=True)
        os.makedirs(os.path.join(ctx['state_dir'], service, 'lock'),
                    exist_ok=True)
        for paste in PASTE.get(service, ()):
            shutil.copyfile(os.path.join(ctx['venv'], 'etc', service, paste),
                            os.path.join(conf_dir, paste))
        written[service] = {}
        for name, sections in make(ctx, debug).items():
            path = os.path.join(conf_dir, name)
            write_ini(path, sections)
            written[service][name] = path
    heat_dir = ctx['conf_dir']['heat']
    env_dir = os.path.join(heat_dir, 'environment.d')
    os.makedirs(env_dir, exist_ok=True)
    src = os.path.join(ctx['venv'], 'etc', 'heat', 'environment.d',
                       'default.yaml')
    if os.path.exists(src):
        with open(src) as f:
            text = f.read().replace(
                'file:///etc/heat/templates',
                'file://' + os.path.join(ctx['venv'], 'etc', 'heat',
                                         'templates'))
        with open(os.path.join(env_dir, 'default.yaml'), 'w') as f:
            f.write(text)
    return written
