"""The run wing's import rules (issue 11): its modules form a DAG, import the package's own
modules at their top (the Dask runner is the one own module imported where it is used: it
imports dask), and never import another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

from analysis import config

RUN = config.PACKAGE_DIR / "run"
#: Own modules a run module may import inside a function: importing them imports a heavy
#: library (``analysis.run.distributed`` imports dask at its top).
DEFERRED_OWN = {"analysis.run.distributed"}


def _module_name(path: Path) -> str:
    return "analysis.run." + path.stem if path.stem != "__init__" else "analysis.run"


def _imports(path: Path) -> tuple[set[str], set[str], list[str]]:
    """(own modules imported at the top, own modules imported in a function or class,
    private names imported from another own module) of one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    inner: set[str] = set()
    private: list[str] = []

    def visit(node: ast.AST, nested: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            only_types = type_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("analysis"):
                names = {child.module}
                for alias in child.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{child.module}.{alias.name}")
                    if (RUN / f"{alias.name}.py").is_file() and child.module == "analysis.run":
                        names = {f"analysis.run.{alias.name}"}
                if not only_types:
                    (inner if nested else top).update(names)
            elif isinstance(child, ast.Import):
                names = {a.name for a in child.names if a.name.startswith("analysis")}
                if not only_types:
                    (inner if nested else top).update(names)
            deeper = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            visit(child, nested or deeper, only_types)

    visit(tree, False, False)
    return top, inner, private


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(RUN.glob("*.py")):
        top, inner, _ = _imports(path)
        graph[_module_name(path)] = {m for m in top | inner if m.startswith("analysis.run.")}
    return graph


def test_the_run_modules_import_each_other_without_a_circle():
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path[path.index(name):], name))
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            visit(target, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_own_modules_are_imported_at_the_top():
    late = {
        _module_name(path): sorted(inner - DEFERRED_OWN)
        for path in sorted([*RUN.glob("*.py"), config.PACKAGE_DIR / "cli.py"])
        for inner in [_imports(path)[1]]
        if inner - DEFERRED_OWN
    }
    assert late == {}


def test_no_private_name_of_another_module_is_imported():
    private = {
        _module_name(path): found
        for path in sorted(RUN.glob("*.py"))
        if (found := _imports(path)[2])
    }
    assert private == {}
