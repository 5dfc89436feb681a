"""Snapshot tests of the main screens (plain `def`: snap_compare runs its own event loop).

Deterministic: fixed seed, no real-time stepping, manual desk clock, frozen status clock, UTC.
The scenes are the ones `workstation screenshots` shoots (workstation/ui/screenshots.py).
Update after reviewing the report: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from workstation.ui import screenshots


@pytest.fixture
def demo(tmp_path):
    return screenshots.demo_desk(tmp_path)


def _run_before(demo, scene):
    async def run_before(pilot):
        await screenshots.prepare(pilot, pilot.app, demo, scene)

    return run_before


@pytest.mark.parametrize("scene,size", [
    ("main-80x24", (80, 24)),
    ("main", (120, 36)),
    ("ticket", (120, 36)),
    ("approvals", (120, 36)),
    ("execution-detail", (120, 36)),
    ("copilot-proposal", (120, 36)),
    ("kill", (120, 36)),
    ("reconcile", (120, 36)),
    ("dom-80x24", (80, 24)),
    ("grid-80x24", (80, 24)),
    ("ticket-bracket-80x24", (80, 24)),
])
def test_snapshot(snap_compare, demo, scene, size):
    app = screenshots.demo_app(demo)
    assert snap_compare(app, terminal_size=size, run_before=_run_before(demo, scene))
