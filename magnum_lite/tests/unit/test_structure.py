"""The floors of the house (doc/source/contributor/architecture.rst), as
a test: what each floor may import, and no cycle between packages.

Every import of a magnum_lite module counts, those inside functions too:
a lazy import is still a dependency.
"""

import ast
import pathlib

import testtools

PACKAGE = pathlib.Path(__file__).resolve().parents[2]
TOP = PACKAGE.name

# Floor -> the packages it may not import (top-level package names).
FORBIDDEN = {
    'common': {'db', 'drivers', 'api', 'conductor', 'cluster', 'clients',
               'cmd'},
    'db': {'drivers', 'api', 'conductor', 'cluster', 'clients', 'cmd'},
    'clients': {'drivers', 'api', 'conductor', 'cluster', 'cmd'},
    'cluster': {'drivers', 'api', 'conductor', 'cmd'},
    # A driver gets what it needs from the conductor (base.ClusterRows):
    # it never reads the database.
    'drivers': {'db', 'api', 'conductor', 'cmd'},
    'conductor': {'api', 'cmd'},
    'api': {'conductor', 'cmd'},
}
# Besides the floors: the API never reaches into a driver's insides.
FORBIDDEN_MODULES = {'api': ('drivers.heat',)}
# Across floors on purpose: the API casts to the conductors through the
# conductor's RPC client (as Ironic's API does), and only that.
ALLOWED = {('api', 'conductor.rpcapi')}
# The controllers: one module per resource, each declaring endpoints. Rules
# of clusters live in cluster/, helpers of the API in api/ itself.
CONTROLLERS = 'api.controllers.v1'


def modules():
    """{dotted name below the package: path} of the code (no tests)."""
    found = {}
    for path in PACKAGE.rglob('*.py'):
        rel = path.relative_to(PACKAGE).with_suffix('')
        if rel.parts[0] == 'tests':
            continue
        parts = rel.parts[:-1] if rel.name == '__init__' else rel.parts
        found['.'.join(parts)] = path
    return found


def imports(path):
    """The magnum_lite modules a file imports (dotted, below the
    package), wherever in the file the import stands."""
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.level == 0:
            names = [f'{node.module}.{alias.name}' for alias in node.names]
        else:
            continue
        found.update(name[len(TOP) + 1:] for name in names
                     if name.startswith(TOP + '.'))
    return found


def declares_endpoints(path):
    """Whether a top-level function of a file is decorated with
    ``endpoint.declare(...)``."""
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(d, ast.Call) and ast.unparse(d.func) ==
               'endpoint.declare'
               for node in tree.body if isinstance(node, ast.FunctionDef)
               for d in node.decorator_list)


def package_of(module):
    return module.split('.', 1)[0]


def cycles(graph):
    """The strongly connected components of more than one node."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


class StructureTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.graph = {name: imports(path)
                      for name, path in modules().items()}

    def test_each_floor_imports_only_below_it(self):
        wrong = []
        for module, targets in sorted(self.graph.items()):
            floor = package_of(module)
            for target in sorted(targets):
                if (floor, target) in ALLOWED:
                    continue
                if package_of(target) in FORBIDDEN.get(floor, ()) or any(
                        target == m or target.startswith(m + '.')
                        for m in FORBIDDEN_MODULES.get(floor, ())):
                    wrong.append(f'{module} imports {target}')
        self.assertEqual([], wrong)

    def test_no_cycle_between_packages(self):
        packages = {}
        for module, targets in self.graph.items():
            edges = packages.setdefault(package_of(module), set())
            edges.update(package_of(t) for t in targets)
            edges.discard(package_of(module))
        self.assertEqual([], cycles(packages))

    def test_controllers_are_resources(self):
        # A controller module without routes holds rules (or helpers)
        # that belong to cluster/ (or api/): cluster_defaults did.
        found = modules()
        controllers = [name for name in found
                       if name.startswith(CONTROLLERS + '.')]
        self.assertIn(CONTROLLERS + '.clusters', controllers)
        self.assertEqual([], [name for name in sorted(controllers)
                              if not declares_endpoints(found[name])])

    def test_the_checks_see_what_they_must(self):
        # The walk finds the floors and their imports at all...
        self.assertIn('cluster.operations', self.graph)
        self.assertIn('db.api', self.graph['conductor.provisioning'])
        self.assertIn('conductor.rpcapi', self.graph['api.work'])
        # ... and the cycle finder finds a cycle.
        self.assertEqual([['a', 'b', 'c']],
                         cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'},
                                 'd': {'a'}}))


