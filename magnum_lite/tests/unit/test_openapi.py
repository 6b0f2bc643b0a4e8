"""The committed OpenAPI document is the generator's output, and valid."""

import os

import openapi_spec_validator
import yaml

from magnum_lite.api import openapi
from magnum_lite.api.controllers import v1
from magnum_lite.api.schemas import cluster as cluster_schema
from magnum_lite.tests import base

_COMMITTED = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                          openapi.DEFAULT_OUTPUT)


class OpenAPIDocumentTest(base.TestCase):

    def test_committed_file_is_current(self):
        with open(_COMMITTED) as f:
            committed = f.read()
        self.assertEqual(
            openapi.render(), committed,
            'doc/api/openapi.yaml is out of date: run tox -e openapi')

    def test_document_validates(self):
        # Raises OpenAPIValidationError (with the offending path) if not.
        openapi_spec_validator.validate(yaml.safe_load(openapi.render()))

    def test_every_route_is_described(self):
        paths = openapi.document()['paths']
        for route in v1.build_router().endpoints:
            path = ('/v1/' + '/'.join(route.segments)).rstrip('/')
            self.assertIn(route.method.lower(), paths.get(path, {}),
                          f'{route.method} {path}')

    def test_request_bodies_are_the_validated_schemas(self):
        doc = openapi.document()
        body = doc['paths']['/v1/clusters']['post']['requestBody']
        self.assertEqual({'$ref': '#/components/schemas/ClusterCreate'},
                         body['content']['application/json']['schema'])
        create = doc['components']['schemas']['ClusterCreate']
        self.assertEqual(cluster_schema.CREATE['properties']['node_count'],
                         create['properties']['node_count'])
        self.assertEqual(['cluster_template_id'], create['required'])
        self.assertIs(False, create['additionalProperties'])

    def test_resources_show_no_undeclared_field(self):
        # A field the document does not declare (a leaked secret column,
        # say) fails response conformance in the fuzz run.
        schemas = openapi.document()['components']['schemas']
        for name in ('Cluster', 'ClusterTemplate', 'NodeGroup', 'Quota',
                     'Error'):
            self.assertIs(False, schemas[name]['additionalProperties'],
                          name)
        self.assertNotIn('trustee_password',
                         schemas['Cluster']['properties'])
