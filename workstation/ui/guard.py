"""No Desk error, however unexpected, closes the TUI: it is shown, logged and journaled.

Two places catch what the screens do not:

- ``GuardedDesk`` is the Desk as the UI holds it. A Desk method that fails with anything but
  DeskError (a bug, a sqlite3 error, an ArithmeticError) is logged with its traceback, journaled
  as ``internal_error`` where the journal still takes writes, and re-raised as a DeskError with a
  one-line message: every UI path that calls a verb already shows a DeskError and goes on.
- ``survive`` is called from the app's exception hook. A DeskError (or one of the errors above)
  escaping a timer callback (the UI tick, the ticket's preview) is shown and the app keeps
  running; Textual keeps the timer going. Anything else keeps Textual's behaviour.
"""

from __future__ import annotations

import inspect
import logging
import sqlite3
from typing import Any

from ..desk.errors import DeskError
from ..redaction import redact

log = logging.getLogger(__name__)

UNEXPECTED = (sqlite3.Error, ArithmeticError, LookupError, ValueError, TypeError, AttributeError, OSError,
              RuntimeError, AssertionError)


def _line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(redact(str(exc)).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def report(desk: Any, where: str, exc: BaseException) -> DeskError:
    """Log and journal an unexpected error; the DeskError to show the trader in its place."""
    log.error("%s failed unexpectedly", where, exc_info=exc)
    journal = getattr(desk, "journal", None)
    if journal is not None:
        try:
            journal.append("internal_error", actor="ui", payload={"where": where, "error": type(exc).__name__,
                                                                   "message": _line(exc, 500)})
        except Exception:  # noqa: BLE001 - the journal may be the thing that failed (a full disk)
            log.warning("could not journal the error in %s", where)
    return DeskError(f"{where.replace('_', ' ')} failed unexpectedly ({type(exc).__name__}: {_line(exc)}); it was "
                     f"logged and journaled and the workstation keeps running")


class GuardedDesk:
    """A transparent proxy: attributes pass through; methods raise DeskError only."""

    __slots__ = ("_desk",)

    def __init__(self, desk: Any):
        object.__setattr__(self, "_desk", desk)

    @property
    def unguarded(self) -> Any:
        return self._desk

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._desk, name)
        if name.startswith("__") or not callable(value) or isinstance(value, type):
            return value
        desk = self._desk
        if inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(getattr(value, "__func__", None)):
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await value(*args, **kwargs)
                except DeskError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the point of the guard
                    raise report(desk, name, exc) from exc
            return guarded_async

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except DeskError:
                raise
            except Exception as exc:  # noqa: BLE001 - the point of the guard
                raise report(desk, name, exc) from exc
        return guarded

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._desk, name, value)


def _from_timer(error: BaseException) -> bool:
    """Textual goes on running a timer whose callback raised; a message handler's queue it does not."""
    tb = error.__traceback__
    return tb is not None and tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith("textual/timer.py")


def survive(app: Any, error: BaseException) -> bool:
    """True when the error was shown, logged and journaled and the app should keep running."""
    if not _from_timer(error) or not isinstance(error, (DeskError, *UNEXPECTED)):
        return False
    desk = getattr(app, "desk", None)
    desk = getattr(desk, "unguarded", desk)
    shown = error if isinstance(error, DeskError) else report(desk, "screen update", error)
    if isinstance(error, DeskError):
        log.warning("desk error in a timer: %s", error)
    key = str(shown)
    if getattr(app, "_guard_last", None) != key:  # a failing tick repeats ten times a second: say it once
        app._guard_last = key
        try:
            app.notify(str(shown), title="Desk error", severity="error", timeout=10, markup=False)
        except Exception:  # noqa: BLE001 - nothing more to do
            log.exception("could not show a desk error")
    return True
