from __future__ import annotations

import pytest

from .demo import run


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """(desk, journal path) after the deterministic paper demo session; the desk is stopped, its memory intact."""
    path = tmp_path_factory.mktemp("demo") / "journal.sqlite3"
    desk = run(path)
    yield desk, path
    desk.journal.close()
