import testtools

from magnum_lite.api import jsonpatch
from magnum_lite.common import exception


class TestJsonPatch(testtools.TestCase):

    doc = {'name': 'a', 'labels': {'x': '1'}, 'tags': None, 'public': True}

    def test_replace_and_literal_labels(self):
        ops = jsonpatch.validate_ops([
            {'op': 'replace', 'path': '/labels', 'value': "{'k': 'v'}"},
            {'op': 'replace', 'path': '/name', 'value': 'b'}])
        out = jsonpatch.apply(self.doc, ops, structured=('labels',))
        self.assertEqual({'k': 'v'}, out['labels'])
        self.assertEqual('b', out['name'])
        self.assertEqual('a', self.doc['name'])

    def test_add_only_fills_null(self):
        ops = [{'op': 'add', 'path': '/tags', 'value': 't'}]
        self.assertEqual('t', jsonpatch.apply(self.doc, ops)['tags'])
        ops = [{'op': 'add', 'path': '/name', 'value': 't'}]
        self.assertRaises(exception.InvalidParameterValue,
                          jsonpatch.apply, self.doc, ops)

    def test_remove_resets_to_default(self):
        ops = [{'op': 'remove', 'path': '/public'}]
        out = jsonpatch.apply(self.doc, ops, defaults={'public': False})
        self.assertFalse(out['public'])

    def test_nested_paths(self):
        ops = [{'op': 'add', 'path': '/labels/y', 'value': '2'},
               {'op': 'remove', 'path': '/labels/x'}]
        self.assertEqual({'y': '2'}, jsonpatch.apply(self.doc, ops)['labels'])

    def test_unknown_attribute(self):
        ops = [{'op': 'replace', 'path': '/nope', 'value': 1}]
        self.assertRaises(exception.InvalidParameterValue,
                          jsonpatch.apply, self.doc, ops)

    def test_shape_errors(self):
        bad = [
            {'op': 'replace', 'path': '/name', 'value': 'x'},  # not a list
            [{'op': 'move', 'path': '/name', 'value': 'x'}],
            [{'op': 'replace', 'path': 'name', 'value': 'x'}],
            [{'op': 'replace', 'path': '/name'}],
            [{'op': 'replace', 'path': '/name', 'value': {'a': 1}}],
            [{'op': 'replace', 'path': '/uuid', 'value': 'x'}],
            [{'op': 'replace', 'path': '/name', 'value': 'x', 'from': 1}],
        ]
        for ops in bad:
            self.assertRaises(exception.Invalid, jsonpatch.validate_ops, ops)

    def test_mandatory(self):
        self.assertRaises(exception.InvalidParameterValue,
                          jsonpatch.validate_ops,
                          [{'op': 'remove', 'path': '/coe'}],
                          mandatory=('/coe',))
