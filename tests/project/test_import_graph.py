"""The add-on's code reads top-down: no module of core/, operators/ or panels/ imports, directly or through others,
a module that imports it back.

Every import statement counts, the ones inside functions and under ``TYPE_CHECKING`` too: a late import that only
breaks a cycle at run time still ties the two files together for a reader (the package ``__init__`` included).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx  # a dependency of torch
from repo import REPO_ROOT


def module_name(path: Path, root: Path) -> str:
    """``core/world/place.py`` → ``core.world.place``; a package's ``__init__.py`` → the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the file at ``path`` names in any import statement (relative ones resolved;
    ``from package import name`` is the submodule where one of that name exists, else the package)."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {name for name in found if name in known and name != here}


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of ``packages`` under ``root`` → the modules of those packages it imports."""
    files = sorted(f for package in packages for f in (root / package).rglob("*.py"))
    known = {module_name(f, root) for f in files}
    return {module_name(f, root): imported_modules(f, root, known) for f in files}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, each sorted, in sorted order."""
    digraph = networkx.DiGraph()
    digraph.add_nodes_from(graph)
    digraph.add_edges_from((a, b) for a, targets in graph.items() for b in targets)
    return sorted(sorted(c) for c in networkx.strongly_connected_components(digraph) if len(c) > 1)


def test_the_addon_has_no_import_cycles() -> None:
    graph = import_graph(REPO_ROOT, ("core", "operators", "panels"))
    assert len(graph) > 100 and graph["core.world.place"], "the graph was not read"
    assert "core.retarget.target" in graph["operators.retarget"], "imports from operators/ into core/ were not read"
    assert cycles(graph) == []


def test_cycles_are_found_through_late_relative_and_package_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from . import g  # late, and through the package\n")
    (pkg / "b.py").write_text("import pkg.sub.c\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..b import x\n")
    (pkg / "d.py").write_text("from .sub import c\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg"} and graph["pkg.d"] == {"pkg.sub.c"} and graph["pkg.sub.c"] == {"pkg.b"}
    assert cycles(graph) == [["pkg", "pkg.a"], ["pkg.b", "pkg.sub.c"]]
