"""``/v1/mservices`` over HTTP (contract §5.9)."""

from magnum_lite.db import api as db_api
from magnum_lite.db import models
from magnum_lite.tests import base

load_tests = base.load_tests


class TestServices(base.FunctionalTestCase):

    def test_admin_sees_the_running_conductor(self):
        response = self.call('GET', '/v1/mservices', version=None,
                             roles='admin,member,reader')
        self.assertEqual(200, response.status_int)
        services = response.json['mservices']
        self.assertEqual(1, len(services))
        service = services[0]
        self.assertEqual(
            ['host', 'binary', 'state', 'id', 'report_count', 'disabled',
             'disabled_reason', 'created_at', 'updated_at'], list(service))
        self.assertEqual('magnum-conductor', service['binary'])
        self.assertEqual('up', service['state'])
        self.assertGreater(service['report_count'], 0)
        self.assertFalse(service['disabled'])
        self.assertIsNone(service['disabled_reason'])
        self.assertRegex(service['created_at'], r'\+00:00$')

    def test_dead_conductor_is_down(self):
        db_api.service_heartbeat('old-host', 'magnum-lite-conductor')
        table = models.ConductorService.__table__
        with db_api.get_engine().begin() as connection:
            connection.execute(table.update().where(
                table.c.host == 'old-host').values(
                    last_seen_up=db_api.age(3600),
                    updated_at=db_api.age(3600)))
        services = {s['host']: s for s in self.call(
            'GET', '/v1/mservices', roles='admin').json['mservices']}
        self.assertEqual('down', services['old-host']['state'])

    def test_refusals(self):
        for roles in ('member,reader', 'reader'):
            response = self.call('GET', '/v1/mservices', roles=roles,
                                 status=403)
            self.assert_error(response, 403, "Policy doesn't allow "
                                             "magnum-service:get_all to be "
                                             "performed.")
        response = self.app.get('/v1/mservices?limit=1', headers=self.headers(
            roles='admin'), expect_errors=True)
        self.assert_error(response, 400, 'Unknown argument: "limit"')
