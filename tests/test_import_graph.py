"""The package's shape: no circle of imports anywhere in workstation/, and no module too long to read.

Every import counts, wherever it stands: at module level, inside a function (a "lazy" import is
still a dependency), and under ``if TYPE_CHECKING`` (a type-only import still ties two modules'
designs together). A circle makes a part impossible to understand, test or reuse without the rest.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "workstation"
MAX_LINES = 520  # "about 500": a module a newcomer reads in one sitting


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """Every module of the package that ``name`` imports, at any depth of its source."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
            else:
                base = []
            head = ".".join(base + ([node.module] if node.module else []))
            candidates = [head] + [f"{head}.{alias.name}" for alias in node.names]
        else:
            continue
        out.update(c for c in candidates if c in known and c != name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_the_circle_finder_finds_a_circle():
    # the check itself must be able to fail: a -> b -> c -> a is one circle, d stands alone
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_lazy_and_type_only_imports_count(tmp_path):
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\ndef f():\n    from . import c\n"
    path = tmp_path / "a.py"
    path.write_text(source)
    assert imports_of("pkg.a", path, {"pkg.b", "pkg.c", "pkg.b.B"}) == {"pkg.b", "pkg.b.B", "pkg.c"}


def test_no_circle_of_imports_in_the_package():
    assert circles(graph()) == []


def test_no_module_is_too_long_to_read():
    long = {name: n for name, path in modules().items()
            if (n := sum(1 for _ in path.open(encoding="utf-8"))) > MAX_LINES}
    assert long == {}
