"""The one-way flow of ``docs/architecture.md``, read from the import graph.

Every ``import`` and ``from ... import`` of every module of ``cea``, inside functions
too, is an edge; the test fails on an edge the dependency rule forbids and on any
cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

PACKAGE = ROOT / "cea"
#: What each stage may import, besides itself. ``cea`` (the package root, which holds only
#: the version) imports nothing and may be imported by every stage.
ALLOWED = {
    "model": set(),
    "workbook": {"model"},
    "engine": {"model"},
    "analyses": {"model", "engine"},
    "export": {"model", "engine", "analyses"},
}
TOP = {"api", "cli", "registry", "console", "__main__"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, package: Path = PACKAGE) -> list[tuple[str, int]]:
    """(module imported, line) for every import of ``cea`` in a file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path, package)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parent = me.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0)
                                      or None]
                base = ".".join([*parent, base] if base else parent)
            found.append((base, node.lineno))
            # "from cea.x import y" may import the module cea.x.y
            found += [(f"{base}.{a.name}", node.lineno) for a in node.names]
    root = package.name
    return [(m, line) for m, line in found if m == root or m.startswith(root + ".")]


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (those that exist)."""
    files = {module_name(p, package): p for p in package.rglob("*.py")}
    edges = {}
    for name, path in files.items():
        edges[name] = {m for m, _ in imports(path, package) if m in files and m != name}
    return edges


def stage(module: str) -> str:
    parts = module.split(".")
    return "cea" if len(parts) == 1 else parts[1]


def violations(package: Path = PACKAGE) -> list[str]:
    """Every import that the dependency rule forbids, as ``file:line: a imports b``."""
    found = []
    for path in package.rglob("*.py"):
        me = module_name(path, package)
        own = stage(me)
        if own in TOP or own == "cea":
            if own == "cea" and any(m != me for m, _ in imports(path, package)):
                found.append(f"{path.name}: the package root imports {imports(path, package)}")
            continue
        allowed = ALLOWED.get(own)
        seen = set()
        for target, line in imports(path, package):
            other = stage(target)
            if other in (own, "cea") or allowed is not None and other in allowed:
                continue
            if line not in seen:  # one line per import statement
                seen.add(line)
                found.append(f"{path.relative_to(package.parent)}:{line}: {me} imports "
                             f"{target}")
    return sorted(found)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_every_import_follows_the_dependency_rule():
    assert violations() == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_stages_are_packages():
    for name in ALLOWED:
        assert (PACKAGE / name / "__init__.py").is_file(), name
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in TOP | {"__init__"})
    assert loose == [], f"modules outside the stages: {loose}"


@pytest.mark.parametrize("forbidden, target", [
    ("model/spec.py", "from cea.engine import run"),
    ("engine/run.py", "import cea.analyses.psa"),
    ("analyses/psa.py", "from cea.export.excel import Block"),
    ("workbook/reader.py", "from cea.engine.plan import compile_plan"),
])
def test_a_forbidden_import_is_caught(tmp_path, forbidden, target):
    """The rule catches an added forbidden import, inside a function too."""
    import shutil

    copy = tmp_path / "cea"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / forbidden).open("a", encoding="utf-8") as f:
        f.write(f"\n\ndef _sneaky():\n    {target}\n")
    found = violations(copy)
    assert len(found) == 1 and forbidden.split("/")[1] in found[0], found


def test_a_cycle_is_caught():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
