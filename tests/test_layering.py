"""The engine is reachable without the TUI: domain/, desk/ and venues/ never import Textual."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "workstation"
CORE = ("domain", "desk", "venues", "copilot")


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_sources_do_not_import_textual():
    offenders = []
    for layer in CORE:
        for path in (ROOT / layer).rglob("*.py"):
            if any(name == "textual" or name.startswith("textual.") for name in imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_domain_does_not_import_ccxt_or_io_layers():
    offenders = []
    for path in (ROOT / "domain").rglob("*.py"):
        for name in imported_modules(path):
            if name.split(".")[0] in {"ccxt", "sqlite3", "aiohttp", "textual", "keyring"}:
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_desk_runs_without_textual_loaded():
    code = ("import sys, workstation.desk.desk, workstation.factory, workstation.desk.reconcile; "
            "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
