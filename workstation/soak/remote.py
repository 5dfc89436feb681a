"""The Desk's process end of the wire: its link to the parent, and the exchange proxy the adapter drives.

``RemoteExchange`` offers the async ccxt-like surface the adapter calls (load_markets, create_order,
cancel_order, edit_order, fetch_*, watch_*, ...) plus the attributes it reads (id, has, features,
markets, precisionMode, modify_semantics, rate_budget()). The methods and the plain attributes are read
from the paper exchange at connect, so whatever the paper exchange gains is offered here too. Answers
come back with Decimals intact and errors as the same ccxt classes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable, Callable

from ccxt.base.errors import NetworkError

from .vclock import VirtualTime
from .wire import encode, error_payload, read_message, rebuild_error

log = logging.getLogger(__name__)

Command = Callable[..., Awaitable[Any]]


class ParentLink:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clock: VirtualTime):
        self.reader, self.writer, self.clock = reader, writer, clock
        self.commands: dict[str, Command] = {}
        self.seen = 0  # the last parent message dispatched
        self.rate_budget: tuple[int, int] = (0, 0)
        self._ids = itertools.count(1)
        self._calls: dict[int, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()
        self._last_idle: tuple[int, int | None] | None = None
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        if not self.closed:
            self.writer.write(encode(message))

    async def call(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.closed:
            raise NetworkError("soak: the venue connection is closed")
        call_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._calls[call_id] = future
        self.send({"k": "call", "id": call_id, "m": method, "a": args, "kw": kwargs})
        try:
            return await future
        finally:
            self._calls.pop(call_id, None)

    def on_idle(self, timeout: float | None) -> None:
        """Called by the event loop's selector just before it would block: tell the parent, once per change."""
        report = (self.seen, None if timeout is None else self.clock.due_ms(timeout))
        if report != self._last_idle and not self.closed:
            self._last_idle = report
            self.send({"k": "idle", "seen": report[0], "until": report[1]})

    async def serve(self) -> None:
        """Read the parent's messages until it goes away."""
        try:
            while True:
                message = await read_message(self.reader)
                self.clock.set(message.get("now", 0))
                self._dispatch(message)
                self.seen = message.get("seq", self.seen)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed = True
            for future in self._calls.values():
                if not future.done():
                    future.set_exception(NetworkError("soak: the venue connection closed"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["k"]
        if kind in ("ret", "err"):
            if "rb" in message:
                self.rate_budget = tuple(message["rb"])  # type: ignore[assignment]
            future = self._calls.get(message["id"])
            if future is not None and not future.done():
                if kind == "ret":
                    future.set_result(message.get("r"))
                else:
                    future.set_exception(rebuild_error(message["e"]))
        elif kind == "cmd":
            task = asyncio.ensure_future(self._command(message["id"], message["m"], message.get("a") or {}))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _command(self, command_id: int, name: str, args: dict[str, Any]) -> None:
        try:
            result = await self.commands[name](**args)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent, named
            if type(exc).__name__ not in ("DeskError",):
                log.exception("command %s failed", name)
            self.send({"k": "fail", "id": command_id, "e": error_payload(exc)})
            return
        self.send({"k": "done", "id": command_id, "r": result})


class RemoteExchange:
    """The paper exchange, as seen from the Desk's process."""

    def __init__(self, link: ParentLink):
        self._link = link
        self.id = "remote"
        self.has: dict[str, Any] = {}
        self.features: dict[str, Any] = {}
        self.markets: dict[str, Any] = {}

    async def connect(self) -> None:
        """Mirror the exchange's attributes and methods (no fault applies to this)."""
        described = await self._link.call("describe", [], {})
        for name, value in described["attributes"].items():
            setattr(self, name, value)
        self._link.rate_budget = tuple(described["rate_budget"])  # type: ignore[assignment]
        for method in described["methods"]:
            setattr(self, method, self._forward(method))

    def _forward(self, method: str) -> Callable[..., Awaitable[Any]]:
        link = self._link

        async def forward(*args: Any, **kwargs: Any) -> Any:
            return await link.call(method, list(args), kwargs)

        forward.__name__ = method
        return forward

    def rate_budget(self) -> tuple[int, int]:
        return self._link.rate_budget

    async def close(self) -> None:
        """The Desk closing its venue: the process's websockets go with the process, nothing to tell."""
