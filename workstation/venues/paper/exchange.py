"""PaperExchange: the simulator behind ccxt's unified async surface.

Same method names, signatures, structures and exception classes as a ccxt.pro
exchange, so the adapter drives paper and real venues with the same code. Every number
in a returned structure is a Decimal (timestamps are ints, as in ccxt).

With a `state_path` the venue keeps its own state in that file (see state.py): saved every
`save_every_s` of wall time while the clock runs and on close, and resumed when built again.
A venue resumed with a later `start_ms` (the factory passes the wall clock) catches up to it
as clock.py describes: it kept running while we were away.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ccxt.base.errors import (
    BadRequest, BadSymbol, ExchangeClosedByUser, ExchangeNotAvailable, InvalidOrder,
    NotSupported, OnMaintenance, OrderNotFound, RateLimitExceeded, RequestTimeout,
)

from .clock import TICK_S, Pacer, catch_up
from .faults import FaultInjector
from .market import DEFAULT_SPECS, MarketSpec
from .matching import Order
from .public import BookFeed, PublicData, filter_rows
from .state import (
    RESET_HINT, PaperStateError, dump as dump_state, read as read_state, restore as restore_state, rng_list,
    rng_tuple, write as write_state,
)
from .rules import parse_amount, parse_price, parse_tif, to_decimal
from .simulator import Simulator
from .private import PrivateStreams
from .streams import Notifier
from .structures import FEATURES, HAS, TIMEFRAMES, edit_order_features, iso8601, market_dict, \
    order_dict, position_dict, trade_dict
from .transport import LatencyModel, TokenBucket

DEFAULT_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: reproducible runs
DEFAULT_BALANCES = {"USDT": "100000", "BTC": "1", "ETH": "10", "SOL": "100"}
TICK_SIZE = 4  # ccxt precisionMode
MAX_CLIENT_ID = 64

log = logging.getLogger(__name__)


class PaperExchange(PublicData, PrivateStreams):
    id = "paper"
    name = "Paper (simulated)"
    precisionMode = TICK_SIZE

    def __init__(self, seed: int = 1, *, latency: LatencyModel | None = None,
                 faults: dict[str, float] | None = None, balances: dict[str, str] | None = None,
                 start_ms: int | None = None, speed: float = 1.0, rate_limit: int = 1200,
                 rate_window_ms: int = 60_000, maintenance_ms: int = 30_000,
                 specs: tuple[MarketSpec, ...] = DEFAULT_SPECS, modify: str = "cancel_replace",
                 state_path: str | Path | None = None, save_every_s: float = 1.0) -> None:
        self.seed = seed
        self.latency = latency
        self._pacer = Pacer(speed)
        self._faults = FaultInjector(seed, faults, maintenance_ms)
        self._client_ids = random.Random(f"client-ids:{seed}")
        self.state_path = Path(state_path) if state_path is not None else None
        self.save_every_s = save_every_s
        saved = read_state(self.state_path) if self.state_path is not None else None
        self._file_known = saved is not None  # the file exists, as far as this venue knows
        start = DEFAULT_START_MS if start_ms is None else start_ms
        wallet = {k: to_decimal(v, f"balance {k}") for k, v in (balances or DEFAULT_BALANCES).items()}
        self.sim = Simulator(seed, specs, wallet, start,
                             drop_fill=lambda: self._faults.roll("drop_fill_message"))
        self.resumed_from_ms: int | None = None  # the saved clock this venue resumed from
        self.skipped_ms = 0  # time away that was skipped rather than simulated (clock.py)
        self._book_feeds: dict[str, BookFeed] = {}
        if saved is not None:
            self._resume(saved, start_ms)
        self._bucket = TokenBucket(rate_limit, rate_window_ms, self.sim.now)
        self.has: dict[str, Any] = dict(HAS)
        self.features: dict[str, Any] = copy.deepcopy(FEATURES)
        self.set_modify(modify)
        self.timeframes = dict(TIMEFRAMES)
        self.markets: dict[str, dict[str, Any]] = {
            s: market_dict(spec) for s, spec in sorted(self.sim.specs.items())}
        self.markets_by_id = {m["id"]: [m] for m in self.markets.values()}
        self.symbols: list[str] = list(self.markets)
        self.currencies: dict[str, dict[str, Any]] = {
            c: {"id": c, "code": c, "precision": Decimal("0.00000001")}
            for c in sorted({*wallet, *self.sim.accounts.total,
                             *(x for s in specs for x in (s.base, s.quote))})}
        self._notifier = Notifier()
        self._cursors: dict[tuple[str, str | None], int] = {}
        self._book_seen: dict[str, int] = {}
        self._close_gen = 0
        self._task: asyncio.Task[None] | None = None

    # ---- its own state -------------------------------------------------------------------
    def _resume(self, saved: dict[str, Any], start_ms: int | None) -> None:
        path = self.state_path
        try:
            restore_state(self.sim, saved)
            self._client_ids.setstate(rng_tuple(saved["client_id_rng"]))
            for symbol, nonce in saved["book_nonces"].items():  # update ids never go back
                self._feed(symbol).nonce = nonce
        except PaperStateError as exc:
            raise PaperStateError(f"{path}: {exc}; {RESET_HINT}") from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise PaperStateError(f"{path}: damaged paper state ({type(exc).__name__}: {exc}); "
                                  f"{RESET_HINT}") from None
        self.resumed_from_ms = self.sim.now
        if start_ms is not None:  # the venue kept running while we were away
            self.skipped_ms = catch_up(self.sim.now, start_ms, self.sim.step, self.sim.skip)

    def save(self) -> None:
        """Write the venue's state to its file now (atomically). No-op without a state_path.

        A file that vanished after this venue read or wrote it was reset on purpose (`workstation paper
        reset` while we ran): the reset wins, and this venue stops saving rather than bring the old back."""
        path = self.state_path
        if path is None:
            return
        if self._file_known and not path.exists():
            log.warning("paper venue state %s was removed (reset) while this venue ran: no longer saved", path)
            self.state_path = None
            return
        write_state(path, dump_state(self.sim, {
            "seed": self.seed, "client_id_rng": rng_list(self._client_ids),
            "book_nonces": {s: self._feed(s).nonce for s in self.sim.markets}}))
        self._file_known = True

    def _save_logged(self) -> None:
        """Save; a full or read-only disk is logged (and tried again), never the end of the clock."""
        try:
            self.save()
        except OSError as exc:
            log.error("paper venue state not saved to %s: %s", self.state_path, exc)

    # ---- control surface ---------------------------------------------------------------
    def set_modify(self, mode: str) -> None:
        """How editOrder behaves: "cancel_replace" (Binance spot) or "amend" (in place). Shown as
        `modify_semantics` and in features[...]["editOrder"] for the adapter."""
        edit_features = edit_order_features(mode)  # refuses an unknown mode
        self.modify_semantics = mode
        self.features["spot"]["editOrder"] = dict(edit_features)
        self.features["swap"]["linear"]["editOrder"] = dict(edit_features)

    @property
    def speed(self) -> float:
        return self._pacer.speed

    def milliseconds(self) -> int:
        return self.sim.now

    def step(self, dt_ms: int = 100) -> None:
        self.sim.step(dt_ms)
        self._notifier.notify()

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._pacer.anchor(self.sim.now)
            self._task = asyncio.create_task(self._run(), name="paper-exchange-clock")

    async def _run(self) -> None:
        """Simulated time follows monotonic time x speed, whatever the loop's load (clock.py)."""
        next_save = time.monotonic() + self.save_every_s
        while True:
            await asyncio.sleep(TICK_S)
            target = self._pacer.target()
            if target > self.sim.now:
                self.skipped_ms += catch_up(self.sim.now, target, self.sim.step, self.sim.skip)
                self._notifier.notify()
            if self.state_path is not None and time.monotonic() >= next_save:
                began = time.monotonic()
                self._save_logged()
                # a big history makes a save slow: space them so saving stays under ~5% of the time
                next_save = time.monotonic() + max(self.save_every_s, 20 * (time.monotonic() - began))

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._save_logged()
        self._close_gen += 1
        self._cursors.clear()  # a new connection subscribes afresh: what was pushed meanwhile is not replayed
        self._book_seen.clear()
        self._notifier.notify()

    @property
    def faults(self) -> dict[str, float]:
        return self._faults.probabilities

    @property
    def fault_counts(self) -> dict[str, int]:
        return dict(self._faults.counts)

    def set_fault(self, name: str, probability: float) -> None:
        self._faults.set(name, probability)

    def start_maintenance(self, duration_ms: int | None = None) -> None:
        self._faults.start_maintenance(self.sim.now, duration_ms)

    def rate_budget(self) -> tuple[int, int]:
        return self._bucket.remaining(self.sim.now), self._bucket.capacity

    def set_mid(self, symbol: str, price: Any) -> None:
        spec = self._spec(symbol)
        self.sim.set_mid(symbol, parse_price(spec, price, "mid"))
        self._notifier.notify()

    def inject_flow(self, symbol: str, side: str, amount: Any) -> Decimal:
        """Another trader sends a market order now; returns how much of it traded."""
        spec = self._spec(symbol)
        if side not in ("buy", "sell"):
            raise ValueError("side must be 'buy' or 'sell'")
        traded = self.sim.inject_flow(symbol, side, parse_amount(spec, amount))
        self._notifier.notify()
        return traded * spec.lot

    def freeze(self, symbol: str | None = None, frozen: bool = True) -> None:
        """Stop (or resume) a market's random walk and random flow; books still refill."""
        for s in [self._spec(symbol).symbol] if symbol else list(self.sim.markets):
            self.sim.markets[s].frozen = frozen

    def regime(self, symbol: str) -> str:
        return self.sim.markets[self._spec(symbol).symbol].regime

    # ---- plumbing ------------------------------------------------------------------------
    def _spec(self, symbol: str | None) -> MarketSpec:
        spec = self.sim.specs.get(symbol or "")
        if spec is None:
            raise BadSymbol(f"paper does not have market symbol {symbol}")
        return spec

    async def _gate(self, weight: int, private: bool) -> None:
        if self.latency is not None:
            await asyncio.sleep(self.latency.sample_ms() / 1000)
        now = self.sim.now
        if private and self._faults.in_maintenance(now):
            raise OnMaintenance(f"paper 503 Service Unavailable: system maintenance until "
                                f"{iso8601(self._faults.maintenance_until)}")
        if self._faults.roll("rate_limit"):
            raise RateLimitExceeded("paper 429 Too Many Requests")
        if self._faults.roll("server_error"):
            raise ExchangeNotAvailable("paper 503 Service Unavailable")
        if not self._bucket.take(weight, now):
            raise RateLimitExceeded(f"paper 429 Too Many Requests: request weight used up "
                                    f"({self._bucket.capacity} per {self._bucket.window_ms} ms)")

    def _accepted(self) -> None:
        self._notifier.notify()
        if self._faults.roll("timeout_after_accept"):
            raise RequestTimeout("paper request timed out (the request may have been applied)")

    async def _gate_stream(self, private: bool) -> None:
        if self.latency is not None:
            await asyncio.sleep(self.latency.sample_ms() / 1000)
        if private and self._faults.in_maintenance(self.sim.now):
            raise OnMaintenance("paper 503 Service Unavailable: system maintenance")

    def _disconnected(self) -> bool:
        return self._faults.roll("stream_disconnect")

    async def _wait(self, gen: int) -> None:
        await self._notifier.wait()
        if gen != self._close_gen:
            raise ExchangeClosedByUser("paper connection closed by the user")

    def _find(self, order_id: str | None, symbol: str | None, params: dict[str, Any]) -> Order:
        cid = params.get("clientOrderId") or params.get("origClientOrderId")
        order = self.sim.orders.get(str(order_id)) if order_id is not None else (
            self.sim.by_client_id.get(str(cid)) if cid is not None else None)
        if order is None or (symbol is not None and order.symbol != symbol):
            raise OrderNotFound(f"paper order {order_id if order_id is not None else cid} not found")
        return order

    def _client_id(self, cid: Any) -> str:
        cid = str(cid)
        if not 0 < len(cid) <= MAX_CLIENT_ID:
            raise InvalidOrder(f"paper clientOrderId must be 1..{MAX_CLIENT_ID} characters")
        return cid

    def _order(self, order: Order) -> dict[str, Any]:
        return order_dict(self.sim.specs[order.symbol], order)

    # ---- trading -------------------------------------------------------------------------
    async def create_order(self, symbol: str, type: str, side: str, amount: Any,
                           price: Any = None, params: dict[str, Any] | None = None,
                           ) -> dict[str, Any]:
        params = params or {}
        await self._gate(1, private=True)
        spec = self._spec(symbol)
        type, side = str(type).lower(), str(side).lower()
        if type not in ("market", "limit"):
            raise InvalidOrder(f"paper order type {type!r} is not supported (market, limit)")
        if side not in ("buy", "sell"):
            raise InvalidOrder(f"paper order side {side!r} must be 'buy' or 'sell'")
        for unsupported in ("stopLossPrice", "takeProfitPrice", "stopLoss", "takeProfit",
                            "trailingPercent", "trailingAmount"):
            if params.get(unsupported) is not None:
                raise NotSupported(f"paper does not support {unsupported}; use triggerPrice")
        lots = parse_amount(spec, amount)
        tif, post_only = parse_tif(type, params)
        if type == "limit":
            if price is None:
                raise InvalidOrder("paper createOrder() requires a price argument for a limit order")
            ticks: int | None = parse_price(spec, price)
        else:
            ticks = None
        raw_trigger = params.get("triggerPrice", params.get("stopPrice"))
        trigger = parse_price(spec, raw_trigger, "triggerPrice") if raw_trigger is not None else None
        cid = params.get("clientOrderId")
        cid = self._client_id(cid) if cid is not None else None
        order = self.sim.place(spec, type=type, side=side, lots=lots, price=ticks, trigger=trigger,
                               tif=tif, post_only=post_only,
                               reduce_only=bool(params.get("reduceOnly")), client_id=cid)
        result = self._order(order)
        self._accepted()
        return result

    async def cancel_order(self, id: str | None, symbol: str | None = None,
                           params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1, private=True)
        order = self._find(id, symbol, params or {})
        self.sim.cancel(order)
        result = self._order(order)
        self._accepted()
        return result

    async def cancel_all_orders(self, symbol: str | None = None,
                                params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        await self._gate(1, private=True)
        if symbol is not None:
            self._spec(symbol)
        out = []
        for order in [o for o in self.sim.open.values() if symbol is None or o.symbol == symbol]:
            self.sim.cancel(order)
            out.append(self._order(order))
        self._accepted()
        return out

    async def edit_order(self, id: str | None, symbol: str, type: str, side: str,
                         amount: Any = None, price: Any = None,
                         params: dict[str, Any] | None = None) -> dict[str, Any]:
        """As the venue's `modify` mode says (features[...]["editOrder"]["mode"]):

        - "cancel_replace" (default; Binance spot order/cancelReplace): the original (by `id`, or
          params cancelOrigClientOrderId) is canceled and reported CANCELED with its own client id; a new
          order with a new venue id is placed for `amount` (the new order's own quantity: re-sending the
          full amount after a partial fill buys more than first ordered, as on Binance), with the client id
          in params newClientOrderId/clientOrderId, or a random one (as ccxt makes up). Returns the new order.
        - "amend" (binanceusdm, bybit, okx): changed in place, same venue id and client id; `amount` is the
          order's new total. The place in the queue is kept only for a smaller amount at the same price.
        """
        params = params or {}
        await self._gate(1, private=True)
        spec = self._spec(symbol)
        if self.modify_semantics == "cancel_replace":
            orig = params.get("cancelOrigClientOrderId")
            order = self._find(id, symbol, {"clientOrderId": orig} if id is None and orig else {})
        else:
            order = self._find(id, symbol, params)
        if str(type).lower() != order.type or str(side).lower() != order.side:
            raise InvalidOrder("paper editOrder() cannot change an order's type or side")
        lots = parse_amount(spec, amount) if amount is not None else None
        ticks = parse_price(spec, price) if price is not None else None
        raw_trigger = params.get("triggerPrice", params.get("stopPrice"))
        trigger = parse_price(spec, raw_trigger, "triggerPrice") if raw_trigger is not None else None
        if self.modify_semantics == "amend":
            self.sim.amend(order, lots, ticks, trigger)
            result = self._order(order)
        else:
            if lots is None:
                raise InvalidOrder("paper editOrder() (cancel-replace) needs the new order's amount")
            if ticks is None and order.type == "limit":
                raise InvalidOrder("paper editOrder() requires a price argument for a limit order")
            cid = params.get("newClientOrderId") or params.get("clientOrderId") or self._random_client_id()
            new = self.sim.cancel_replace(order, lots=lots, price=ticks, trigger=trigger,
                                          client_id=self._client_id(cid))
            result = self._order(new)
        self._accepted()
        return result

    def _random_client_id(self) -> str:
        """What ccxt sends when the caller gives no client id (binance: a broker prefix and 22 more)."""
        return f"x-PAPER{self._client_ids.getrandbits(88):022x}"

    async def fetch_order(self, id: str | None, symbol: str | None = None,
                          params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1, private=True)
        return self._order(self._find(id, symbol, params or {}))

    def _orders(self, source: Any, symbol: str | None, since: int | None,
                limit: int | None) -> list[dict[str, Any]]:
        if symbol is not None:
            self._spec(symbol)
        rows = [self._order(o) for o in source if symbol is None or o.symbol == symbol]
        return filter_rows(rows, since, limit)

    async def fetch_open_orders(self, symbol: str | None = None, since: int | None = None,
                                limit: int | None = None, params: dict[str, Any] | None = None,
                                ) -> list[dict[str, Any]]:
        await self._gate(1 if symbol else 4, private=True)
        return self._orders(list(self.sim.open.values()), symbol, since, limit)

    async def fetch_closed_orders(self, symbol: str | None = None, since: int | None = None,
                                  limit: int | None = None, params: dict[str, Any] | None = None,
                                  ) -> list[dict[str, Any]]:
        """Every order no longer open: closed, canceled, expired (like most venues)."""
        await self._gate(4, private=True)
        done = [o for o in self.sim.orders.values() if not o.is_open]
        return self._orders(done, symbol, since, limit)

    async def fetch_orders(self, symbol: str | None = None, since: int | None = None,
                           limit: int | None = None, params: dict[str, Any] | None = None,
                           ) -> list[dict[str, Any]]:
        await self._gate(4, private=True)
        return self._orders(list(self.sim.orders.values()), symbol, since, limit)

    async def fetch_my_trades(self, symbol: str | None = None, since: int | None = None,
                              limit: int | None = None, params: dict[str, Any] | None = None,
                              ) -> list[dict[str, Any]]:
        await self._gate(4, private=True)
        if symbol is not None:
            self._spec(symbol)
        # filter before building dicts: a poll with `since` must not cost O(every trade ever) dicts
        rows = [trade_dict(self.sim.specs[t.symbol], t) for t in self.sim.trades
                if (symbol is None or t.symbol == symbol) and (since is None or t.timestamp >= since)]
        return filter_rows(rows, since, limit)

    async def fetch_balance(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(2, private=True)
        acc = self.sim.accounts
        out: dict[str, Any] = {"info": {}, "timestamp": self.sim.now,
                               "datetime": iso8601(self.sim.now),
                               "free": {}, "used": {}, "total": {}}
        for ccy in sorted(acc.total):
            total, used = acc.total[ccy], acc.used.get(ccy, Decimal(0))
            out[ccy] = {"free": total - used, "used": used, "total": total}
            out["free"][ccy], out["used"][ccy], out["total"][ccy] = total - used, used, total
        return out

    async def fetch_positions(self, symbols: list[str] | None = None,
                              params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        await self._gate(2, private=True)
        for s in symbols or ():
            self._spec(s)
        now = self.sim.now
        return [position_dict(self.sim.specs[s], pos, self.sim.mark(s), now)
                for s, pos in sorted(self.sim.accounts.positions.items())
                if not symbols or s in symbols]

    async def fetch_leverage(self, symbol: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The account's setting for one contract, as Binance's USD-M answers it (one value, both sides)."""
        await self._gate(1, private=True)
        spec = self._spec(symbol)
        if not spec.is_swap:
            raise BadRequest(f"paper fetchLeverage() supports contract markets only, not {symbol}")
        lev = self.sim.accounts.leverage_for(spec)
        return {"info": {"symbol": spec.symbol, "leverage": str(lev)}, "symbol": spec.symbol,
                "marginMode": "isolated", "longLeverage": lev, "shortLeverage": lev}

    async def set_leverage(self, leverage: Any, symbol: str | None = None,
                           params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1, private=True)
        spec = self._spec(symbol)
        if not spec.is_swap:
            raise BadRequest(f"paper setLeverage() supports contract markets only, not {symbol}")
        lev = to_decimal(leverage, "leverage")
        if lev != lev.to_integral_value() or not 1 <= lev <= spec.max_leverage:
            raise BadRequest(f"paper leverage must be an integer within 1..{spec.max_leverage}")
        self.sim.accounts.leverage[spec.symbol] = int(lev)
        return {"info": {"symbol": spec.symbol, "leverage": lev}, "symbol": spec.symbol,
                "leverage": lev, "marginMode": "isolated"}
