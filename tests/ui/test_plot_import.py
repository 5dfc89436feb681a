"""plotext without its documentation module (0.1 s of its import), and the real one if a plotext needs it.
Each case in a fresh interpreter: what is imported is the point."""

from __future__ import annotations

import subprocess
import sys

DRAW = ("fig = plt.figure; fig.clear(); fig.plot_size(30, 8); fig.draw(fig.hist([1, 2, 2, 3], bins=3)); "
        "assert fig.build().string().strip()")  # as the TCA charts draw


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_charts_get_plotext_without_building_its_documentation():
    out = run("import sys; from workstation.ui.widgets.plot import plotext, _UnreadDocs; plt = plotext(); "
              f"{DRAW}; print(isinstance(sys.modules['plotext._doc.doc'], _UnreadDocs))")
    assert out == "True"


def test_a_plotext_that_wants_more_from_that_module_gets_the_real_one():
    out = run("import sys, types; from workstation.ui.widgets import plot; "
              "plot._UnreadDocs = type('Bare', (types.ModuleType,), {}); plt = plot.plotext(); "
              f"{DRAW}; print(type(sys.modules['plotext._doc.doc']).__name__)")
    assert out == "module"
