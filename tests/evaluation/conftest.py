from __future__ import annotations

import pytest

from workstation.evaluation.harness import run
from workstation.evaluation.scenario import load_scenarios, select


@pytest.fixture(scope="session")
def builtin():
    return load_scenarios()


@pytest.fixture
def run_ids(builtin, tmp_path):
    """Run some built-in scenarios (by id) with a copilot factory; returns the Run."""
    async def go(ids, factory):
        return await run(select(builtin, ids), factory, run_id="test", workdir=tmp_path)
    return go
