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
"""A small OpenStack REST client (standard library only) for
``openstackctl.py``: a Keystone admin token and its catalog, JSON calls,
and the idempotent Keystone writes that seeding needs.

Only loopback URLs: every service of the one-box control plane listens on
127.0.0.1, and a caller that got another URL has a bug.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request


class RestError(Exception):
    def __init__(self, method, url, status, body):
        super().__init__('%s %s -> %s: %s' % (method, url, status,
                                               body[:2000]))
        self.status = status
        self.body = body


def _check_loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    if host not in ('127.0.0.1', 'localhost', '::1'):
        raise ValueError('not a loopback URL: %s' % url)


def request(method, url, body=None, token=None, headers=None, timeout=60,
            raw=False):
    """One HTTP call; returns (status, headers, parsed JSON or bytes)."""
    _check_loopback(url)
    hdrs = {'Accept': 'application/json'}
    data = None
    if body is not None and not raw:
        data = json.dumps(body).encode()
        hdrs['Content-Type'] = 'application/json'
    elif body is not None:
        data = body
        hdrs['Content-Type'] = 'application/octet-stream'
    if token:
        hdrs['X-Auth-Token'] = token
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs,  # noqa: S310
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            payload = resp.read()
            status, rhdrs = resp.status, resp.headers
    except urllib.error.HTTPError as e:
        raise RestError(method, url, e.code,
                        e.read().decode(errors='replace')) from None
    if payload and 'json' in (rhdrs.get('Content-Type') or ''):
        return status, rhdrs, json.loads(payload)
    return status, rhdrs, payload


class Cloud:
    """Admin access to the control plane through Keystone's catalog."""

    def __init__(self, auth_url, username, password, project='admin',
                 region='RegionOne'):
        _check_loopback(auth_url)
        self.auth_url = auth_url.rstrip('/')
        self.username = username
        self.password = password
        self.project = project
        self.region = region
        self._token = None
        self._expires = 0
        self.catalog = []

    def token(self):
        if self._token and time.monotonic() < self._expires:
            return self._token
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.username, 'domain': {'id': 'default'},
                'password': self.password}}},
            'scope': {'project': {'name': self.project,
                                  'domain': {'id': 'default'}}}}}
        _, hdrs, data = request('POST', self.auth_url + '/auth/tokens', body)
        self._token = hdrs['X-Subject-Token']
        self._expires = time.monotonic() + 1800
        self.catalog = data['token'].get('catalog', [])
        return self._token

    def refresh(self):
        self._token = None
        return self.token()

    def endpoint(self, service_type):
        self.token()
        for service in self.catalog:
            if service['type'] != service_type:
                continue
            for ep in service['endpoints']:
                if ep['interface'] == 'public':
                    return ep['url'].rstrip('/')
        raise KeyError('no %s endpoint in the catalog' % service_type)

    def call(self, method, url, body=None, **kwargs):
        if not url.startswith('http'):
            url = self.auth_url + url
        return request(method, url, body, token=self.token(), **kwargs)[2]

    # -- Keystone writes, each idempotent -------------------------------

    def _find(self, collection, **filters):
        query = urllib.parse.urlencode(filters)
        found = self.call('GET', '/%s?%s' % (collection, query))[collection]
        return found[0] if found else None

    def ensure_role(self, name):
        role = self._find('roles', name=name)
        if role is None:
            role = self.call('POST', '/roles', {'role': {'name': name}})[
                'role']
        return role['id']

    def ensure_domain(self, name):
        domain = self._find('domains', name=name)
        if domain is None:
            domain = self.call('POST', '/domains', {'domain': {
                'name': name, 'enabled': True}})['domain']
        return domain['id']

    def ensure_project(self, name, domain_id='default'):
        project = self._find('projects', name=name, domain_id=domain_id)
        if project is None:
            project = self.call('POST', '/projects', {'project': {
                'name': name, 'domain_id': domain_id}})['project']
        return project['id']

    def ensure_user(self, name, password, domain_id='default'):
        user = self._find('users', name=name, domain_id=domain_id)
        if user is None:
            user = self.call('POST', '/users', {'user': {
                'name': name, 'domain_id': domain_id, 'password': password,
                'enabled': True}})['user']
        else:
            self.call('PATCH', '/users/%s' % user['id'], {'user': {
                'password': password}})
        return user['id']

    def grant(self, role_id, user_id, project_id=None, domain_id=None):
        target = ('projects/%s' % project_id if project_id
                  else 'domains/%s' % domain_id)
        self.call('PUT', '/%s/users/%s/roles/%s' % (target, user_id,
                                                    role_id))

    def ensure_service(self, name, service_type, url):
        """The service and its public and internal endpoints at ``url``."""
        service = self._find('services', type=service_type)
        if service is None:
            service = self.call('POST', '/services', {'service': {
                'name': name, 'type': service_type, 'enabled': True}})[
                'service']
        for ep in self.call('GET', '/endpoints?service_id=%s'
                            % service['id'])['endpoints']:
            self.call('DELETE', '/endpoints/%s' % ep['id'])
        for interface in ('public', 'internal'):
            self.call('POST', '/endpoints', {'endpoint': {
                'service_id': service['id'], 'interface': interface,
                'url': url, 'region_id': self.region, 'enabled': True}})
        return service['id']
