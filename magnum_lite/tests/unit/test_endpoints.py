"""Handlers declare their endpoints; the router and policy read them."""

from magnum_lite.api import endpoint
from magnum_lite.api import microversions as mv
from magnum_lite.api import routing
from magnum_lite.api.controllers import v1
from magnum_lite.common import policies
from magnum_lite.tests import base


def _handler(request, **args):
    return None


class DeclarationTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.endpoints = v1.build_router().endpoints

    def test_every_policy_is_a_registered_rule(self):
        rules = {rule.name for rule in policies.list_rules()}
        for e in self.endpoints:
            if e.policy is not None:
                self.assertIn(e.policy, rules, f'{e.method} {e.path}')

    def test_only_refusals_and_the_v1_document_have_no_policy(self):
        unguarded = {(e.method, e.path) for e in self.endpoints
                     if e.policy is None and e.status is not None}
        self.assertEqual({('GET', '/')}, unguarded)

    def test_each_method_and_path_is_declared_once(self):
        seen = [(e.method, e.segments) for e in self.endpoints]
        self.assertEqual(len(seen), len(set(seen)))

    def test_query_parameters_are_versioned(self):
        patch = next(e for e in self.endpoints
                     if (e.method, e.path) == ('PATCH', '/clusters/{ident}'))
        self.assertEqual(set(), patch.allowed_query(mv.Version(1, 2)))
        self.assertEqual({'rollback'}, patch.allowed_query(mv.ROLLBACK))

    def test_stacked_declarations(self):
        handler = endpoint.declare('PATCH', '/x')(
            endpoint.declare('DELETE', '/x')(_handler))
        self.assertEqual(['DELETE', 'PATCH'],
                         [e.method for e in handler.endpoints])


class RouterTest(base.TestCase):

    def test_literal_segments_win_whatever_the_order(self):
        by_ident = endpoint.Endpoint('GET', '/things/{ident}', _handler)
        detail = endpoint.Endpoint('GET', '/things/detail', _handler)
        for order in ([by_ident, detail], [detail, by_ident]):
            router = routing.Router(order)
            self.assertIs(detail, router.match('GET', ['things', 'detail'])[0])
            found, args = router.match('GET', ['things', 'x'])
            self.assertEqual((by_ident, {'ident': 'x'}), (found, args))

    def test_unknown_path_and_method(self):
        router = routing.Router([endpoint.Endpoint('GET', '/a', _handler)])
        err = self.assertRaises(routing.RoutingError, router.match, 'GET',
                                ['b'])
        self.assertEqual(404, err.status)
        err = self.assertRaises(routing.RoutingError, router.match, 'PUT',
                                ['a'])
        self.assertEqual((405, {'Allow': 'GET'}), (err.status, err.headers))
