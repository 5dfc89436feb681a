"""Execution competence: grade any copilot on the whole chain from a trader's words to the account's state.

A *scenario* (a TOML file, ``scenario.py``) sets the paper market, the account, the faults and what the
trader says, turn by turn, and the checks that grade each step of the chain. The *harness*
(``harness.py``) builds a fresh paper Desk for each scenario (``world.py``), lets a copilot answer through
the ordinary tool interface (recorded by ``recorder.py``), plays the human (approve, reject, confirm), lets
the paper exchange fill, fault and move, and asks again. ``grading.py`` turns what the copilot did into
per-check, per-step and per-scenario grades; ``report.py`` prints them and writes the traces as training data.

    workstation eval --copilot rules --json
"""

from .scenario import STEPS, Scenario, ScenarioError, load_scenarios

__all__ = ["STEPS", "Scenario", "ScenarioError", "load_scenarios"]
