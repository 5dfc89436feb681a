"""Sub-commands other than `run`, by module. Each module defines ``register(sub)``, which adds one
argparse sub-parser with ``set_defaults(func=...)``.

Kept in one list so `workstation --help` shows everything, while each command's code stays in its
own module. The list names modules instead of importing them, and no command module imports this
one: the registry and the commands never form a circle of imports.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Callable, Iterator

Registrar = Callable[[argparse._SubParsersAction], None]

COMMAND_MODULES: tuple[str, ...] = (
    "workstation.export",
    "workstation.keys_cmd",
    "workstation.paper_cmd",
    "workstation.soak",
    "workstation.ui.screenshots",
    "workstation.bench",
    "workstation.evaluation.command",
    "workstation.venues_cmd",
)


def registrars() -> Iterator[Registrar]:
    for name in COMMAND_MODULES:
        yield importlib.import_module(name).register
