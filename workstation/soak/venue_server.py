"""The venue's side of the wire: the paper exchange serves the Desk's process, and the soak's crashes happen here.

The PaperExchange (every fault on) lives in the soak's parent process and outlives every Desk process.
Each request from the child is applied to it with the same method and arguments the adapter used, and the
answer (or the ccxt exception) goes back. On the way the server:

- records which request created which venue order (the WireLog), whatever the venue's records say;
- kills the Desk's process with SIGKILL when a planned moment comes: as a create_order, cancel_order or
  edit_order arrives (before the venue applies it: between the journaled intent and the send), or after
  the venue applied it but before the answer leaves (between send and ack), or at the n-th request;
- holds a create_order for a while before applying it (a slow send, for the kill switch's race);
- now and then answers an open-orders request with a snapshot taken a few requests earlier (a late list);
- pushes each book at most once a second of venue time (as Binance's depth@1000ms stream does), so a
  soak's messages go to orders rather than to book updates;
- answers a list request that gives no limit with one page of 500 rows, as Binance's allOrders and
  myTrades do by default (the paper exchange would return the whole history: a real venue never does).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import random
from collections import Counter, deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..venues.paper.exchange import PaperExchange
from .wire import RowCache
from .wirelog import Created, WireLog

# Every fault of the paper exchange, on. A 503 on a send leaves an order in doubt that the Desk looks up
# for 30 s; at 1 % that is still a few hundred in a long soak.
DEFAULT_FAULTS = {"timeout_after_accept": 0.03, "rate_limit": 0.02, "server_error": 0.01,
                  "drop_fill_message": 0.2, "stream_disconnect": 0.02, "maintenance": 0.0005}
WRITES = ("create_order", "cancel_order", "edit_order")
RECONCILE_READS = frozenset({"fetch_open_orders", "fetch_balance", "fetch_my_trades"})
BOOK_PUSH_MS = 1000
PAGE = 500
PAGED = frozenset({"fetch_closed_orders", "fetch_orders", "fetch_my_trades"})  # (symbol, since, limit, params)
NOT_FORWARDED = frozenset({"start", "close"})  # the exchange's own clock and connections stay the parent's


class Killed(Exception):
    """The Desk's process was killed while this request was at the venue: no answer goes back."""


@dataclass
class KillPlan:
    """When to kill: ``method`` arriving ("any" request, any "write", or one method); ``after`` = once the
    venue applied it."""

    kind: str  # label for the counts: create_before_send, create_after_apply, cancel_..., modify_..., random
    method: str
    after: bool = False
    countdown: int = 0  # for "any": requests to let through first


@dataclass
class Hold:
    """Hold the next create_order ``ms`` (venue time) before applying it, or until released."""

    ms: int
    since_ms: int | None = None
    released: bool = False
    client_id: str | None = None


class VenueServer:
    def __init__(self, exchange: PaperExchange, log: WireLog, seed: int, late_snapshot_p: float = 0.05):
        self.exchange = exchange
        self.log = log
        self.rng = random.Random(f"soak-venue:{seed}")
        self.late_snapshot_p = late_snapshot_p
        self.plan: KillPlan | None = None
        self.hold: Hold | None = None
        self.kill_now: Callable[[str], None] = lambda reason: None  # the supervisor's SIGKILL
        self.on_change: Callable[[], None] = lambda: None  # wakes the supervisor: a request was parked
        self.process = 0  # the Desk process now connected (1, 2, ...)
        self.rows = RowCache()  # answers' rows that cannot change, encoded once
        self.counts: Counter = Counter()  # faults added here: late_snapshot, held_send
        self.fired: Counter = Counter()  # kills, by kind
        self.sent_before_reconcile: list[str] = []
        self._open_lists: deque[Any] = deque(maxlen=5)
        self._released: asyncio.Event | None = None
        self._book_pushed: dict[str, int] = {}  # symbol -> venue ms of its last push
        self._clock_moved = asyncio.Event()

    def new_process(self) -> int:
        """A new Desk process connects: its subscriptions start afresh."""
        self.process += 1
        self._book_pushed.clear()
        return self.process

    # -- what the child may call ---------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The exchange's plain attributes (id, has, features, markets, precisionMode, modify_semantics, ...)
        and the names of its async methods: the child's proxy mirrors both, whatever the exchange gains."""
        ex = self.exchange
        attributes = {}
        for name in sorted({*vars(type(ex)), *vars(ex)}):
            if name.startswith("_") or name in NOT_FORWARDED:
                continue
            value = inspect.getattr_static(ex, name)
            if _plain(value):
                attributes[name] = value
        methods = sorted(name for name in dir(type(ex)) if not name.startswith("_") and name not in NOT_FORWARDED
                         and _is_coroutine(getattr(type(ex), name)))
        return {"attributes": attributes, "methods": methods, "rate_budget": list(ex.rate_budget())}

    async def handle(self, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Apply one request. Raises what the venue raised, or Killed when the process died over it."""
        if method == "describe":
            return self.describe()
        if method in NOT_FORWARDED or method.startswith("_") or \
                not _is_coroutine(getattr(type(self.exchange), method, None)):
            raise AttributeError(f"the paper exchange has no async method {method!r}")
        self.log.calls[method] += 1
        if method == "create_order" and not RECONCILE_READS <= self.log.reconciled.get(self.process, set()):
            self.sent_before_reconcile.append(str((kwargs.get("params") or _arg(args, 5) or {}).get("clientOrderId")))
        self._maybe_kill(method, after=False)
        if method == "watch_order_book":
            await self._book_pace(str(_arg(args, 0) or kwargs.get("symbol")))
        if method in PAGED and _arg(args, 2) is None and kwargs.get("limit") is None:
            args = list(args) + [None] * (3 - len(args))
            args[2] = PAGE
        if method == "create_order" and self.hold is not None and self.hold.since_ms is None:
            await self._held(args, kwargs)
        before = len(self.exchange.sim.orders)
        try:
            result = await getattr(self.exchange, method)(*args, **kwargs)
        except Exception:
            self._record(method, args, kwargs, before)
            if method in WRITES:
                self._maybe_kill(method, after=True)
            raise
        self._record(method, args, kwargs, before)
        if method in WRITES:
            self._maybe_kill(method, after=True)
        if method in RECONCILE_READS:
            self.log.read_answered(self.process, method)
        if method == "fetch_open_orders":
            result = self._maybe_late(result)
        return result

    # -- crashes -------------------------------------------------------------------------------
    def _maybe_kill(self, method: str, after: bool) -> None:
        plan = self.plan
        if plan is None or plan.after != after:
            return
        if plan.method == "any":
            if plan.countdown > 0:
                plan.countdown -= 1
                return
        elif plan.method == "write":  # the first write of a modify: an edit, or the cancel of a cancel-replace
            if method not in WRITES:
                return
        elif plan.method != method:
            return
        self.plan = None
        self.fired[plan.kind] += 1
        self.kill_now(f"{plan.kind} ({method})")
        raise Killed(plan.kind)

    # -- a slow send ---------------------------------------------------------------------------
    async def _held(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        hold = self.hold
        assert hold is not None
        hold.since_ms = self.exchange.milliseconds()
        hold.client_id = str((kwargs.get("params") or _arg(args, 5) or {}).get("clientOrderId"))
        self.counts["held_send"] += 1
        self._released = asyncio.Event()
        self.on_change()
        await self._released.wait()

    async def _book_pace(self, symbol: str) -> None:
        last = self._book_pushed.get(symbol)
        while last is not None and self.exchange.milliseconds() - last < BOOK_PUSH_MS:
            await self._clock_moved.wait()
        self._book_pushed[symbol] = self.exchange.milliseconds()

    def tick(self) -> None:
        """Venue time moved: book pushes may be due; a held send goes once its time is up."""
        self._clock_moved.set()
        self._clock_moved = asyncio.Event()
        hold = self.hold
        if hold is not None and hold.since_ms is not None and not hold.released \
                and self.exchange.milliseconds() - hold.since_ms >= hold.ms:
            self.release()

    def release(self) -> None:
        if self.hold is not None:
            self.hold.released = True
        if self._released is not None:
            self._released.set()

    @property
    def holding(self) -> bool:
        return self.hold is not None and self.hold.since_ms is not None and not self.hold.released

    # -- records ---------------------------------------------------------------------------------
    def _record(self, method: str, args: list[Any], kwargs: dict[str, Any], before: int) -> None:
        sim = self.exchange.sim
        if len(sim.orders) == before or method not in ("create_order", "edit_order"):
            return
        self.log.applied[method] += 1
        now = self.exchange.milliseconds()
        for order in itertools.islice(sim.orders.values(), before, None):
            if order.client_id.startswith("liquidation-"):
                continue  # the venue's risk engine, not this request
            if method == "create_order":
                params = kwargs.get("params") or _arg(args, 5) or {}
                self.log.record(Created(order.id, params.get("clientOrderId"), "create",
                                        amount=_arg(args, 3), at_ms=now, process=self.process))
            else:
                self.log.record(Created(order.id, order.client_id, "edit", replaces=str(_arg(args, 0)),
                                        amount=_arg(args, 4), at_ms=now, process=self.process))

    async def place_external(self, symbol: str, type: str, side: str, amount: Any, price: Any = None) -> bool:
        """Someone else's order on the same account (it meets the venue's faults like any request)."""
        sim = self.exchange.sim
        before = len(sim.orders)
        try:
            await self.exchange.create_order(symbol, type, side, amount, price, {})
        except Exception:  # noqa: BLE001 - the other app's problem; what it placed still counts
            pass
        placed = [o for o in itertools.islice(sim.orders.values(), before, None)
                  if not o.client_id.startswith("liquidation-")]
        for order in placed:
            self.log.record(Created(order.id, None, "external", at_ms=self.exchange.milliseconds()))
        return bool(placed)

    def _maybe_late(self, result: Any) -> Any:
        self._open_lists.append(result)
        if self.late_snapshot_p and len(self._open_lists) >= 4 and self.rng.random() < self.late_snapshot_p:
            self.counts["late_snapshot"] += 1
            return self._open_lists[0]
        return result


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if len(args) > index else None


def _plain(value: Any, depth: int = 0) -> bool:
    """Data that crosses the wire as it is (no objects, no callables)."""
    if value is None or isinstance(value, (str, int, float, bool, Decimal)):
        return True
    if depth > 8:
        return False
    if isinstance(value, (list, tuple)):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _is_coroutine(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn)
