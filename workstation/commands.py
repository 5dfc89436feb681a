"""Sub-commands other than `run`. Each entry registers one argparse sub-parser with `set_defaults(func=...)`.

Kept in one list so `workstation --help` shows everything, while each command's code stays in
its own module and is imported only when that command runs.
"""

from __future__ import annotations

import argparse
from typing import Callable

Registrar = Callable[[argparse._SubParsersAction], None]

REGISTRARS: list[Registrar] = []


def registrar(fn: Registrar) -> Registrar:
    REGISTRARS.append(fn)
    return fn
from . import export  # noqa: E402,F401  (registers `workstation export`)
from . import keys_cmd  # noqa: E402,F401

from . import soak as _soak  # noqa: E402,F401  (registers `workstation soak`)
from .ui import screenshots as _ui_screenshots  # noqa: E402,F401  (registers `workstation screenshots`)
from . import bench as _bench  # noqa: E402,F401  (registers `workstation bench`)
