"""The package's shape, enforced (docs/architecture.md, "Rules").

Each rule is a function over a {module name: source} mapping, so the same function checks the
real package and, in the tests at the bottom, a small made-up package that breaks it: a rule
that cannot fail would prove nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "analysis"

#: The wings from bottom to top; a module may import its own wing or a lower one.
WING_RANK = {"data": 1, "measure": 2, "present": 3, "run": 4}
#: Modules at the package's top level: the base every wing may use (rank 0), and the entry
#: points above every wing.
BASE_MODULES = {"analysis", "analysis.config", "analysis.params", "analysis.reproducible",
                "analysis.textsafe", "analysis.atomic"}
ENTRY_MODULES = {"analysis.cli", "analysis.__main__"}
SECTIONS_PACKAGE = "analysis.present.report.sections"
#: Own modules that may be imported inside a function, because importing them imports a heavy
#: library at their top (the Dask runner imports dask; asked for with ``--scheduler`` only).
DEFERRED_OWN = {"analysis.run.distributed"}
#: Libraries that importing ``analysis`` must not pull in (seconds of import time, or a
#: display back end chosen too early).
HEAVY_LIBRARIES = ("matplotlib", "seaborn", "scipy", "weasyprint", "openpyxl", "papermill",
                   "nbconvert", "nbformat", "dask", "distributed", "jupyter_client", "pandas")


@dataclass(frozen=True)
class Import:
    """One ``import``/``from … import`` of a package module, as written in the source."""

    importer: str
    target: str  # the module imported (a submodule when ``from pkg import submodule``)
    names: tuple[str, ...]  # the names taken from ``target`` (empty for ``import x``)
    line: int
    in_function: bool
    type_only: bool = False  # under ``if TYPE_CHECKING:``: never executed


def package_sources(root: Path = ROOT) -> dict[str, str]:
    """{dotted module name: source} of every module of the package."""
    sources = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return sources


def _is_package(module: str, sources: Mapping[str, str]) -> bool:
    prefix = module + "."
    return any(name.startswith(prefix) for name in sources)


def _resolve(importer: str, node: ast.ImportFrom, sources: Mapping[str, str]) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer, sources):
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(sources: Mapping[str, str]) -> list[Import]:
    """Every import of a package module, module level or inside a function."""
    found: list[Import] = []
    for module, source in sources.items():
        tree = ast.parse(source)
        function_nodes = {
            id(inner)
            for outer in ast.walk(tree)
            if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(outer)
        }
        type_nodes = {
            id(inner)
            for outer in ast.walk(tree)
            if isinstance(outer, ast.If) and "TYPE_CHECKING" in ast.unparse(outer.test)
            for inner in ast.walk(outer)
        }
        for node in ast.walk(tree):
            in_function = id(node) in function_nodes
            type_only = id(node) in type_nodes
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        found.append(Import(module, alias.name, (), node.lineno, in_function,
                                            type_only))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, sources)
                if target.split(".")[0] != PACKAGE:
                    continue
                plain = []
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in sources:  # ``from pkg import submodule``
                        found.append(Import(module, submodule, (), node.lineno, in_function,
                                            type_only))
                    else:
                        plain.append(alias.name)
                if plain:
                    found.append(Import(module, target, tuple(plain), node.lineno, in_function,
                                        type_only))
    return found


def rank(module: str) -> int:
    """0 for the base, 1-4 for the wings from data to run, 5 for the entry points."""
    if module in ENTRY_MODULES:
        return 5
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in WING_RANK:
        return WING_RANK[parts[1]]
    return 0


def wing_violations(sources: Mapping[str, str]) -> list[str]:
    """Imports from a higher wing into a lower one (or from a wing into the base)."""
    return [
        f"{i.importer}:{i.line} imports {i.target}"
        for i in imports(sources)
        if rank(i.target) > rank(i.importer)
    ]


def cycles(sources: Mapping[str, str]) -> list[list[str]]:
    """Import circles between package modules (strongly connected components, Tarjan).

    ``from pkg import name`` counts as an edge to ``pkg`` (its ``__init__``); importing a
    submodule counts as an edge to the submodule only, as Python's import order makes it.
    Imports under ``if TYPE_CHECKING:`` are never executed and are left out.
    """
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for i in imports(sources):
        if i.target in graph and i.target != i.importer and not i.type_only:
            graph[i.importer].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_of(parent: str, module: str) -> bool:
    return module == parent or module.startswith(parent + ".")


def private_name_violations(sources: Mapping[str, str]) -> list[str]:
    """A module using another module's ``_private`` names (imported, or as ``module._name``)."""
    bad = [
        f"{i.importer}:{i.line} takes {name} from {i.target}"
        for i in imports(sources)
        for name in i.names
        if name.startswith("_") and not name.startswith("__") and i.target != i.importer
    ]
    for module, source in sources.items():
        tree = ast.parse(source)
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, sources)
                for alias in node.names:
                    if f"{target}.{alias.name}" in sources:
                        aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(PACKAGE + ".") and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return bad


def section_violations(sources: Mapping[str, str]) -> list[str]:
    """A section importing another section, or the run wing importing a section."""
    bad = []
    for i in imports(sources):
        if not _is_package_of(SECTIONS_PACKAGE, i.target) or i.target == SECTIONS_PACKAGE:
            continue
        if _is_package_of(SECTIONS_PACKAGE, i.importer) and i.importer != SECTIONS_PACKAGE:
            bad.append(f"{i.importer}:{i.line} imports the section {i.target}")
        if rank(i.importer) == WING_RANK["run"]:
            bad.append(f"{i.importer}:{i.line} (run wing) imports the section {i.target}")
    return bad


def deferred_own_imports(sources: Mapping[str, str]) -> list[str]:
    """Package modules imported inside a function (they hide the import graph).

    The entry points may be the exception (a ``--help`` that need not import pandas); today
    they import at the top too.
    """
    return [
        f"{i.importer}:{i.line} imports {i.target} inside a function"
        for i in imports(sources)
        if i.in_function and i.importer not in ENTRY_MODULES and i.target not in DEFERRED_OWN
    ]


# ------------------------------------------------------------------------------ the package


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return package_sources()


def test_wings_import_downward_only(sources):
    assert wing_violations(sources) == []


def test_no_import_circle(sources):
    assert cycles(sources) == []


def test_no_module_uses_another_modules_private_names(sources):
    assert private_name_violations(sources) == []


def test_sections_never_import_each_other_and_run_never_imports_a_section(sources):
    assert section_violations(sources) == []


def test_own_modules_are_imported_at_the_top(sources):
    assert deferred_own_imports(sources) == []


def test_importing_the_package_stays_light():
    code = (
        "import sys, analysis, analysis.config, analysis.params, analysis.atomic\n"
        f"heavy = {HEAVY_LIBRARIES!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------- the rules can fail: made-up trees


def _tree(**modules: str) -> dict[str, str]:
    return {name.replace("__", "."): source for name, source in modules.items()}


def test_a_lower_wing_importing_a_higher_one_is_caught():
    tree = _tree(analysis="", analysis__data="",
                 analysis__data__intake="from analysis.run import build\n",
                 analysis__run="", analysis__run__build="import analysis.data.intake\n")
    assert wing_violations(tree) == ["analysis.data.intake:1 imports analysis.run.build"]


def test_an_import_inside_a_function_is_seen_by_every_rule():
    tree = _tree(analysis="", analysis__measure="", analysis__measure__review=(
        "def f():\n    from analysis.present.tables import styled\n    return styled\n"),
        analysis__present="", analysis__present__tables="def styled():\n    pass\n")
    assert wing_violations(tree) == ["analysis.measure.review:2 imports analysis.present.tables"]
    assert deferred_own_imports(tree) == [
        "analysis.measure.review:2 imports analysis.present.tables inside a function"]
    # the entry point may defer (a fast --help), and so may anyone the Dask runner
    tree["analysis.cli"] = "def main():\n    from analysis.run import build\n"
    tree["analysis.run"] = "def select():\n    from analysis.run import distributed\n"
    tree["analysis.run.build"] = tree["analysis.run.distributed"] = ""
    assert len(deferred_own_imports(tree)) == 1


def test_a_circle_of_three_is_caught_and_a_chain_is_not():
    chain = _tree(analysis="", analysis__run="", analysis__run__a="from analysis.run import b\n",
                  analysis__run__b="from analysis.run.c import x\n", analysis__run__c="x = 1\n")
    assert cycles(chain) == []
    circle = dict(chain, **{"analysis.run.c": "def g():\n    from analysis.run.a import y\n"})
    assert cycles(circle) == [["analysis.run.a", "analysis.run.b", "analysis.run.c"]]
    for_types = dict(chain, **{"analysis.run.c": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from analysis.run.a import y\n")})
    assert cycles(for_types) == []


def test_private_names_taken_from_another_module_are_caught():
    tree = _tree(analysis="", analysis__data="",
                 analysis__data__template="def _save():\n    pass\n",
                 analysis__data__prefill=(
                     "from analysis.data import template as tpl\n"
                     "from analysis.data.template import _save\n"
                     "tpl._save()\n"))
    assert private_name_violations(tree) == [
        "analysis.data.prefill:2 takes _save from analysis.data.template",
        "analysis.data.prefill:3 uses analysis.data.template._save",
    ]


def test_a_section_importing_a_section_and_run_importing_a_section_are_caught():
    sections = "analysis.present.report.sections"
    tree = {
        "analysis": "", "analysis.present": "", "analysis.present.report": "",
        sections: "", f"{sections}.targets": "x = 1\n",
        f"{sections}.scorecard": "from analysis.present.report.sections.targets import x\n",
        "analysis.run": "", "analysis.run.build": f"from {sections} import targets\n",
    }
    assert section_violations(tree) == [
        f"{sections}.scorecard:1 imports the section {sections}.targets",
        f"analysis.run.build:1 (run wing) imports the section {sections}.targets",
    ]
