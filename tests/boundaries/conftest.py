"""Real file-system faults where the machine allows them: a small tmpfs (full, or remounted read-only)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(path: Path, size_kb: int = 512):
    """A tmpfs of ``size_kb`` at ``path``; skips the test (with the reason) where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("a real full or read-only file system needs a tmpfs mount, which needs root here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs on this machine: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_read_only(path: Path) -> None:
    done = subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {done.stderr.strip()}")


def fill_up(path: Path) -> None:
    """Fill the file system holding ``path`` to the last byte."""
    with open(path / "ballast", "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                continue


# -- fuzz counts ---------------------------------------------------------------------------------------------------
# Each fuzz test records what got through. Printed at the end of the run (and written to
# $WORKSTATION_FUZZ_REPORT as JSON when set), so the numbers can be quoted.
FUZZ_COUNTS: dict[str, dict[str, int]] = {}
FIELDS = ("cases", "clear_errors", "correct_results", "tracebacks", "silent_acceptances", "sends_without_approval",
          "secrets_in_files")


def fuzz_counts(name: str) -> dict[str, int]:
    return FUZZ_COUNTS.setdefault(name, dict.fromkeys(FIELDS, 0))


def pytest_terminal_summary(terminalreporter):
    if not FUZZ_COUNTS:
        return
    import json

    terminalreporter.section("fuzz counts (issue 13)")
    terminalreporter.write_line(f"{'boundary':16}" + "".join(f"{f:>24}" for f in FIELDS))
    for name, counts in FUZZ_COUNTS.items():
        terminalreporter.write_line(f"{name:16}" + "".join(f"{counts[f]:>24}" for f in FIELDS))
    target = os.environ.get("WORKSTATION_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps(FUZZ_COUNTS, indent=2))
