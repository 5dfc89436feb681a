"""ccxt without its import cost: only the exchange classes a run names are imported.

``import ccxt`` runs ``ccxt/__init__.py``, which imports all 100-odd exchanges (about 0.45 s of
start-up on an idle 2-core machine, and ``ccxt.pro`` and ``ccxt.async_support`` do the same again).
The paper exchange needs ccxt's exception classes only, and a configured venue needs its own class.

``install()`` puts ccxt's packages (``ccxt``, ``ccxt.base``, ``ccxt.async_support``,
``ccxt.async_support.base``, ``ccxt.pro``) in ``sys.modules`` without running their ``__init__``:
their submodules import as usual (``ccxt.base.errors``, ``ccxt.pro.binance``), and the first time
anything asks a package for a name it does not have yet (``ccxt.binance``, ``ccxt.exchanges``), the
package's ``__init__`` runs then, once, and the answer is the real one. Code that uses ccxt the
ordinary way (tests, scripts) sees no difference, only a later cost.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
import types
from typing import Any

PACKAGES = ("ccxt", "ccxt.base", "ccxt.async_support", "ccxt.async_support.base", "ccxt.pro")


def install() -> None:
    """Idempotent; does nothing when ccxt was already imported the ordinary way."""
    for name in PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return  # not installed as expected: leave it to the ordinary import
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _LazyPackage
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


# Names ``ccxt/__init__.py`` re-exports from these light modules (errors, precision helpers, the base class).
_CCXT_LIGHT = ("ccxt.base.errors", "ccxt.base.decimal_to_precision", "ccxt.base.precise", "ccxt.base.exchange")


class _LazyPackage(types.ModuleType):
    """A ccxt package whose ``__init__`` has not run. An exchange submodule, once imported, is represented by
    its class (as the package's own ``__init__`` arranges with ``from ccxt.x import x``, and as ccxt's modules
    expect: ``import ccxt.async_support.binanceusdm as rest`` then ``rest()``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            cls = value.__dict__.get(name)  # (never getattr: a lazy subpackage would run its __init__)
            if isinstance(cls, type):
                value = cls
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        """A submodule is imported; a name ``ccxt`` re-exports is taken from the light module that defines
        it; anything else runs the package's ``__init__``, once."""
        if name.startswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        qualified = f"{self.__name__}.{name}"
        if qualified not in sys.modules and importlib.util.find_spec(qualified) is not None:
            importlib.import_module(qualified)  # (__setattr__ keeps the class, not the module)
            return self.__dict__[name]
        if self.__name__ == "ccxt":
            for light in _CCXT_LIGHT:
                value = getattr(importlib.import_module(light), name, None)
                if value is not None:
                    setattr(self, name, value)
                    return value
        if self.__dict__.get("_workstation_completed"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self.__dict__["_workstation_completed"] = True
        self.__spec__.loader.exec_module(self)  # the package's own __init__, now
        return getattr(self, name)


def exchange_ids() -> list[str]:
    """Every exchange id ccxt ships, read from its files (nothing imported)."""
    ccxt = sys.modules.get("ccxt") or importlib.import_module("ccxt")
    return sorted(m.name for m in pkgutil.iter_modules(ccxt.__path__)
                  if not m.ispkg and not m.name.startswith("_") and m.name not in ("static_dependencies",))


def exchange_class(exchange_id: str, *, pro: bool = True) -> type | None:
    """The ccxt.pro class for ``exchange_id`` (or the async one where pro has none); None if ccxt has neither.
    Imports that exchange's module only."""
    if not exchange_id.isidentifier() or exchange_id.startswith("_"):
        return None
    for package in (("ccxt.pro", "ccxt.async_support") if pro else ("ccxt.async_support",)):
        if importlib.util.find_spec(f"{package}.{exchange_id}") is None:
            continue
        cls = getattr(importlib.import_module(package), exchange_id, None)  # the package hands out the class
        if isinstance(cls, type):
            return cls
    return None
