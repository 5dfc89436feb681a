"""The fuzz counts of issue 13: recorded by each fuzz test, printed at the end of the run."""

from __future__ import annotations

import os
from pathlib import Path


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
