"""Real faults for the journal: a small tmpfs (full, or remounted read-only) where the machine allows it, and a
journal that answers SQLITE_FULL exactly as a full disk does (the database may not grow)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from workstation.desk.journal import Journal, JournalError


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


def fill_journal(journal: Journal) -> None:
    """From now on SQLITE_FULL, as from a full disk: no page may be added, and none has room left."""
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count={pages}")
    for size in (4000, 1000, 100, 1):  # down to the last byte SQLite had room for
        for _ in range(100):
            try:
                journal.append("note", payload={"pad": "x" * size})
            except JournalError:
                break
        else:
            raise AssertionError("the journal did not fill up")


def space_returns(journal: Journal) -> None:
    journal._db.execute("PRAGMA max_page_count=1073741823")
