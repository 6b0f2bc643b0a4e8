"""Pecan reads each controller's signature once, not on every request."""

import inspect
from unittest import mock

import pecan.util

from magnum_lite.api import app
from magnum_lite.api.controllers import root
from magnum_lite.api.controllers import v1
from magnum_lite.tests import base


class TestSignaturesRemembered(base.TestCase):

    def test_signature_read_once(self):
        app._remember_signatures()
        app._remember_signatures()  # twice: still one memory
        controller = root.RootController(v1.build_router(), None)
        with mock.patch.object(inspect, 'getfullargspec',
                               wraps=inspect.getfullargspec) as spy:
            for _ in range(5):
                # A bound method is a new object on every lookup, as
                # Pecan's own lookups of ``_route``.
                spec = pecan.util.getargspec(controller._route)
        self.assertEqual(['self', 'args', 'request'], spec.args)
        self.assertLessEqual(spy.call_count, 1)
