"""The project's modules import each other without cycles.

The graph is read from the source with :mod:`ast`: an edge ``a → b`` for every import in module
``a`` of a module ``b`` of ``sim``, ``calibration`` or ``ui`` (and the Python-level imports of
``sim/_loops.pyx``). Two graphs are checked: the imports at module level, which run on import,
and every import including those inside functions and under ``TYPE_CHECKING`` — deferring an
import into a function hides a cycle from Python but not from the reader, so a cycle there is one
too: the shared part belongs in a module below both.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "calibration", "ui")
_PYX_IMPORT = re.compile(r"^(?:from\s+[\w.]+\s+import\s+(?:\([^)]*\)|[^\n]+)|import\s+[^\n]+)", re.MULTILINE)


@dataclass(frozen=True)
class Edge:
    """``module`` imports ``target`` at ``line`` of ``file``."""

    module: str
    target: str
    file: str
    line: int
    module_level: bool


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_edges(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Edge]:
    """Every import of a project module by a project module under ``root``."""
    sources = {module_name(root, p): p for package in packages for p in sorted((root / package).rglob("*.py"))}
    extensions = {module_name(root, p): p for package in packages for p in sorted((root / package).rglob("*.pyx"))}
    known = set(sources) | set(extensions)

    def resolve(name: str) -> str | None:
        # ``from sim import _loops`` names a module; ``from sim.population import HEAD`` a name in one.
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges: list[Edge] = []
    for module, path in [*sources.items(), *extensions.items()]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".pyx":
            # Cython's own syntax does not parse; its Python imports are lines of plain Python.
            statements = [(node, True) for m in _PYX_IMPORT.finditer(text) for node in ast.parse(m[0]).body]
        else:
            statements = list(_imports(ast.parse(text, filename=str(path))))
        package = module if path.stem == "__init__" else module.rpartition(".")[0]
        for node, module_level in statements:
            for name in _imported_names(node, package):
                target = resolve(name)
                if target is not None and target != module:
                    file = str(path.relative_to(root))
                    edges.append(Edge(module, target, file, node.lineno, module_level))
                    # Importing ``a.b.c`` runs the package ``a.b`` first: an edge to it too, unless
                    # the importing module is inside that package (which is already being imported).
                    for package_name in _packages_of(target):
                        if package_name in known and not (module + ".").startswith(package_name + "."):
                            edges.append(Edge(module, package_name, file, node.lineno, module_level))
    return edges


def _packages_of(module: str) -> list[str]:
    """The packages enclosing ``module``, innermost first (``a.b.c`` → ``a.b``, ``a``)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Import statements with whether each runs when the module is imported."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, module_level))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for statement in child.body:
                    visit(ast.Module(body=[statement], type_ignores=[]), False)
                for statement in child.orelse:
                    visit(ast.Module(body=[statement], type_ignores=[]), module_level)
            else:
                visit(child, module_level)

    visit(tree, True)
    return found


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names]


def find_cycle(edges: list[Edge]) -> list[Edge]:
    """One cycle of ``edges`` as the edges that close it, or ``[]`` when the graph is acyclic."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.module, []).append(edge)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[Edge] = []

    def visit(module: str) -> list[Edge]:
        state[module] = 1
        for edge in graph.get(module, []):
            if state.get(edge.target) == 1:
                start = next((i for i, e in enumerate(path) if e.module == edge.target), len(path))
                return [*path[start:], edge]
            if edge.target not in state:
                path.append(edge)
                cycle = visit(edge.target)
                if cycle:
                    return cycle
                path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return []


def describe(cycle: list[Edge]) -> str:
    lines = [f"  {e.module} → {e.target}  ({e.file}:{e.line})" for e in cycle]
    return "\n".join(["import cycle:", *lines, "Move what both sides need into a module below both."])


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(ROOT)


def test_the_graph_sees_module_level_and_cython_imports(edges):
    pairs = {(e.module, e.target, e.module_level) for e in edges}
    assert ("sim.rules.context", "sim.households", True) in pairs
    assert ("sim._loops", "sim.population", True) in pairs  # the Cython module's Python imports


def test_module_level_imports_have_no_cycle(edges):
    cycle = find_cycle([e for e in edges if e.module_level])
    assert not cycle, describe(cycle)


def test_imports_inside_functions_close_no_cycle(edges):
    cycle = find_cycle(edges)
    assert not cycle, describe(cycle)


def test_a_cycle_through_a_package_init_is_found(tmp_path):
    """``sim.rules.kinds`` imports ``sim.scenario.base``, which runs ``sim/scenario/__init__``, which imports it."""
    package = tmp_path / "sim"
    for sub in ("rules", "scenario"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "scenario" / "__init__.py").write_text("from sim.scenario.schema import Model\n")
    (package / "scenario" / "schema.py").write_text("from sim.rules.kinds import KINDS\n")
    (package / "scenario" / "base.py").write_text("BASE = 1\n")
    (package / "rules" / "kinds.py").write_text("from sim.scenario.base import BASE\n")
    cycle = find_cycle([e for e in import_edges(tmp_path, ("sim",)) if e.module_level])
    assert ("sim.rules.kinds", "sim.scenario") in {(e.module, e.target) for e in cycle}


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "sim"
    (package / "rules").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "rules" / "__init__.py").write_text("")
    (package / "phases.py").write_text("from sim.rules.context import Context\n")
    (package / "rules" / "context.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from . import nothing_here\n"
        "class Context:\n    def totals(self):\n        from ..phases import totals\n"
    )
    found = import_edges(tmp_path, ("sim",))
    assert find_cycle([e for e in found if e.module_level]) == []
    cycle = find_cycle(found)
    assert {(e.module, e.target) for e in cycle} == {
        ("sim.phases", "sim.rules.context"),
        ("sim.rules.context", "sim.phases"),
    }
    assert "sim/rules/context.py:6" in describe(cycle)
