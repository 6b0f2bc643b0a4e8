"""A bounded fuzz run: requests generated from the OpenAPI document
against the API in a subprocess (``harness.api_server``: noauth, fake
driver, PostgreSQL, RabbitMQ). ``tools/fuzz/run.py`` is the long run.
"""

from testtools import content

from magnum_lite.tests import base
from magnum_lite.tests import services
from magnum_lite.tests.harness import api_server
from magnum_lite.tests.harness import fuzz

# About 300 requests take 15-30 s on a loaded 2-core machine.
_REQUESTS = 300


class FuzzTest(api_server.ServerPerClass, base.DbTestCase):

    scenarios = [('postgresql', {'backend': 'postgresql'})]
    backend = 'postgresql'

    def setUp(self):
        super().setUp()
        self.fuzzer = fuzz.Fuzzer(self.server.endpoint,
                                  services.database_url(self.backend),
                                  seed=2)
        self.addCleanup(self.fuzzer.close)

    def test_generated_requests(self):
        figures = self.fuzzer.run(_REQUESTS)
        report = '\n'.join(figures.report())
        self.addDetail('fuzz-figures', content.text_content(report))
        self.assertEqual([], figures.server_errors, report)
        self.assertEqual([], figures.written_by_rejected, report)
        self.assertEqual([], figures.nonconforming, report)
        # It did reach the handlers: refused writes and accepted ones.
        self.assertGreater(figures.requests, _REQUESTS * 0.8, report)
        self.assertGreater(figures.rejected_writes, 50, report)
        self.assertGreater(figures.by_class['2xx'], 20, report)

    def test_snapshot_sees_a_write(self):
        # The "wrote nothing" check compares snapshots: one write of a
        # single column must change it.
        code, _ = self.server.request('POST', '/v1/quotas', {
            'project_id': 'fuzz-project', 'resource': 'Cluster',
            'hard_limit': 3})
        self.assertEqual(201, code)
        before = self.fuzzer.db.snapshot()
        code, _ = self.server.request(
            'PATCH', '/v1/quotas/fuzz-project/Cluster', {'hard_limit': 7})
        self.assertEqual(202, code)
        after = self.fuzzer.db.snapshot()
        self.assertEqual(before['quotas'], after['quotas'])
        self.assertNotEqual(before['quotas content'],
                            after['quotas content'])

    def test_nul_characters_are_refused(self):
        # Found by the fuzzer: PostgreSQL refuses NUL in a string, so a
        # NUL anywhere in the input was a 500 before it reached a 400.
        for path in ('/v1/clusters/%00', '/v1/clustertemplates/a%00',
                     '/v1/quotas/%00/Cluster', '/v1/stats?project_id=%00',
                     '/v1/clusters/x/nodegroups/%00'):
            code, body = self.server.request('GET', path)
            self.assertEqual(400, code, path)
            self.assertIn('NUL', body['errors'][0]['detail'])
        code, body = self.server.request('POST', '/v1/clustertemplates', {
            'coe': 'kubernetes', 'image_id': 'fedora\x00',
            'labels': {'a\x00': 'b'}})
        self.assertEqual(400, code, body)
        self.assertIn('image_id', body['errors'][0]['detail'])
        code, body = self.server.request('GET', '/v1/clustertemplates')
        self.assertEqual([], body['clustertemplates'])
