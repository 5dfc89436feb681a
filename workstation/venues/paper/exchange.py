"""PaperExchange: the simulator behind ccxt's unified async surface.

Same method names, signatures, structures and exception classes as a ccxt.pro
exchange, so the adapter drives paper and real venues with the same code. Every number
in a returned structure is a Decimal (timestamps are ints, as in ccxt).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ccxt.base.errors import (
    BadRequest, BadSymbol, ExchangeClosedByUser, ExchangeNotAvailable, InvalidOrder, NetworkError,
    NotSupported, OnMaintenance, OrderNotFound, RateLimitExceeded, RequestTimeout,
)

from .accounts import q8
from .faults import FaultInjector
from .market import DEFAULT_SPECS, MINUTE_MS, MarketSpec
from .matching import Order
from .rules import parse_amount, parse_price, parse_tif, to_decimal
from .simulator import Simulator
from .streams import Notifier
from .structures import (
    FEATURES, HAS, TIMEFRAME_MS, TIMEFRAMES, iso8601, market_dict, order_dict, position_dict, trade_dict,
)
from .transport import LatencyModel, TokenBucket

DEFAULT_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: reproducible runs
DEFAULT_BALANCES = {"USDT": "100000", "BTC": "1", "ETH": "10", "SOL": "100"}
TICK_SIZE = 4  # ccxt precisionMode
MAX_CLIENT_ID = 64
DAY_MS = 86_400_000


def _filter(rows: list[Any], since: int | None, limit: int | None) -> list[Any]:
    """ccxt convention: with since, the first `limit` from since; without, the latest."""
    if since is not None:
        rows = [r for r in rows if r["timestamp"] >= since]
        return rows[:limit] if limit is not None else rows
    return rows[-limit:] if limit else rows


class PaperExchange:
    id = "paper"
    name = "Paper (simulated)"
    precisionMode = TICK_SIZE

    def __init__(self, seed: int = 1, *, latency: LatencyModel | None = None,
                 faults: dict[str, float] | None = None, balances: dict[str, str] | None = None,
                 start_ms: int | None = None, speed: float = 1.0, rate_limit: int = 1200,
                 rate_window_ms: int = 60_000, maintenance_ms: int = 30_000,
                 specs: tuple[MarketSpec, ...] = DEFAULT_SPECS) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.seed = seed
        self.latency = latency
        self.speed = speed
        self._faults = FaultInjector(seed, faults, maintenance_ms)
        start = DEFAULT_START_MS if start_ms is None else start_ms
        wallet = {k: to_decimal(v, f"balance {k}") for k, v in (balances or DEFAULT_BALANCES).items()}
        self.sim = Simulator(seed, specs, wallet, start,
                             drop_fill=lambda: self._faults.roll("drop_fill_message"))
        self._bucket = TokenBucket(rate_limit, rate_window_ms, start)
        self.has: dict[str, Any] = dict(HAS)
        self.features: dict[str, Any] = copy.deepcopy(FEATURES)
        self.timeframes = dict(TIMEFRAMES)
        self.markets: dict[str, dict[str, Any]] = {
            s: market_dict(spec) for s, spec in sorted(self.sim.specs.items())}
        self.markets_by_id = {m["id"]: [m] for m in self.markets.values()}
        self.symbols: list[str] = list(self.markets)
        self.currencies: dict[str, dict[str, Any]] = {
            c: {"id": c, "code": c, "precision": Decimal("0.00000001")}
            for c in sorted({*wallet, *(x for s in specs for x in (s.base, s.quote))})}
        self._notifier = Notifier()
        self._cursors: dict[tuple[str, str | None], int] = {}
        self._book_seen: dict[str, int] = {}
        self._close_gen = 0
        self._task: asyncio.Task[None] | None = None

    # ---- control surface ---------------------------------------------------------------
    def milliseconds(self) -> int:
        return self.sim.now

    def step(self, dt_ms: int = 100) -> None:
        self.sim.step(dt_ms)
        self._notifier.notify()

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="paper-exchange-clock")

    async def _run(self) -> None:
        dt = max(1, round(100 * self.speed))
        while True:
            await asyncio.sleep(0.1)
            self.step(dt)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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

    def market(self, symbol: str) -> dict[str, Any]:
        return self.markets[self._spec(symbol).symbol]

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

    def _order(self, order: Order) -> dict[str, Any]:
        return order_dict(self.sim.specs[order.symbol], order)

    # ---- markets and public data ---------------------------------------------------------
    async def load_markets(self, reload: bool = False, params: dict[str, Any] | None = None,
                           ) -> dict[str, dict[str, Any]]:
        return self.markets

    async def fetch_markets(self, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.markets.values())

    async def fetch_time(self, params: dict[str, Any] | None = None) -> int:
        await self._gate(1, private=False)
        return self.sim.now

    def _book(self, symbol: str, limit: int | None) -> dict[str, Any]:
        spec = self._spec(symbol)
        market = self.sim.markets[symbol]
        sides: dict[str, list[list[Decimal]]] = {}
        for side in ("bids", "asks"):
            sizes: dict[int, int] = {p: lv.size for p, lv in market.iter_side(side) if lv.size}
            for price, queue in self.sim.engine.resting[symbol][side].items():
                sizes[price] = sizes.get(price, 0) + sum(o.remaining for o in queue)
            prices = sorted(sizes, reverse=(side == "bids"))[:limit]
            sides[side] = [[p * spec.tick, sizes[p] * spec.lot] for p in prices]
        now = self.sim.now
        return {"symbol": symbol, "bids": sides["bids"], "asks": sides["asks"],
                "timestamp": now, "datetime": iso8601(now), "nonce": market.version}

    async def fetch_order_book(self, symbol: str, limit: int | None = None,
                               params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1 if limit is None or limit <= 100 else 5, private=False)
        return self._book(symbol, limit)

    async def watch_order_book(self, symbol: str, limit: int | None = None,
                               params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._spec(symbol)
        await self._gate_stream(private=False)
        if self._disconnected():
            self._book_seen.pop(symbol, None)
            raise NetworkError("paper websocket connection closed (1006)")
        market, gen = self.sim.markets[symbol], self._close_gen
        seen = self._book_seen.get(symbol)
        while seen is not None and market.version == seen:
            await self._wait(gen)
        self._book_seen[symbol] = market.version
        return self._book(symbol, limit)

    async def fetch_ticker(self, symbol: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1, private=False)
        spec = self._spec(symbol)
        market, now = self.sim.markets[symbol], self.sim.now
        book = self._book(symbol, 1)
        rows = [r for r in market.candles.series(MINUTE_MS, now) if r[0] > now - DAY_MS]
        last = market.last * spec.tick
        high = low = open_ = last
        base_volume = quote_volume = Decimal(0)
        if rows:
            open_ = rows[0][1] * spec.tick
            high = max(r[2] for r in rows) * spec.tick
            low = min(r[3] for r in rows) * spec.tick
            lots = sum(r[5] for r in rows)
            base_volume = lots * spec.lot
            quote_volume = sum(r[4] * r[5] for r in rows) * spec.tick * spec.lot
        change = last - open_
        top_bid = book["bids"][0] if book["bids"] else [None, None]
        top_ask = book["asks"][0] if book["asks"] else [None, None]
        mark = self.sim.mark(symbol) if spec.is_swap else None
        index = self.sim.mark(spec.tracks) if spec.tracks else None
        return {
            "symbol": symbol, "timestamp": now, "datetime": iso8601(now),
            "high": high, "low": low, "bid": top_bid[0], "bidVolume": top_bid[1],
            "ask": top_ask[0], "askVolume": top_ask[1],
            "vwap": q8(quote_volume / base_volume) if base_volume else None,
            "open": open_, "close": last, "last": last, "previousClose": None,
            "change": change, "percentage": q8(change / open_ * 100) if open_ else None,
            "average": q8((open_ + last) / 2), "baseVolume": base_volume,
            "quoteVolume": q8(quote_volume), "markPrice": mark, "indexPrice": index,
            "info": {"regime": market.regime, "markPrice": mark, "mid": self.sim.mark(symbol)},
        }

    async def fetch_trades(self, symbol: str, since: int | None = None, limit: int | None = None,
                           params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        await self._gate(1, private=False)
        spec = self._spec(symbol)
        rows = [{
            "id": t.id, "order": None, "symbol": symbol, "type": None, "side": t.side,
            "takerOrMaker": None, "price": t.price * spec.tick, "amount": t.lots * spec.lot,
            "cost": t.price * spec.tick * t.lots * spec.lot * spec.contract_size,
            "fee": None, "fees": [], "timestamp": t.timestamp, "datetime": iso8601(t.timestamp),
            "info": {},
        } for t in self.sim.markets[symbol].trades]
        return _filter(rows, since, limit)

    async def fetch_ohlcv(self, symbol: str, timeframe: str = "1m", since: int | None = None,
                          limit: int | None = None, params: dict[str, Any] | None = None,
                          ) -> list[list[Any]]:
        await self._gate(2, private=False)
        spec = self._spec(symbol)
        frame = TIMEFRAME_MS.get(timeframe)
        if frame is None:
            raise BadRequest(f"paper timeframe {timeframe!r} is not supported; "
                             f"use one of {', '.join(TIMEFRAMES)}")
        rows = self.sim.markets[symbol].candles.series(frame, self.sim.now)
        if since is not None:
            rows = [r for r in rows if r[0] >= since][:limit] if limit else \
                [r for r in rows if r[0] >= since]
        elif limit:
            rows = rows[-limit:]
        t, lot = spec.tick, spec.lot
        return [[r[0], r[1] * t, r[2] * t, r[3] * t, r[4] * t, r[5] * lot] for r in rows]

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
        if cid is not None:
            cid = str(cid)
            if not 0 < len(cid) <= MAX_CLIENT_ID:
                raise InvalidOrder(f"paper clientOrderId must be 1..{MAX_CLIENT_ID} characters")
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
        params = params or {}
        await self._gate(1, private=True)
        spec = self._spec(symbol)
        order = self._find(id, symbol, params)
        if str(type).lower() != order.type or str(side).lower() != order.side:
            raise InvalidOrder("paper editOrder() cannot change an order's type or side")
        lots = parse_amount(spec, amount) if amount is not None else None
        ticks = parse_price(spec, price) if price is not None else None
        raw_trigger = params.get("triggerPrice")
        trigger = parse_price(spec, raw_trigger, "triggerPrice") if raw_trigger is not None else None
        self.sim.amend(order, lots, ticks, trigger)
        result = self._order(order)
        self._accepted()
        return result

    async def fetch_order(self, id: str | None, symbol: str | None = None,
                          params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1, private=True)
        return self._order(self._find(id, symbol, params or {}))

    def _orders(self, source: Any, symbol: str | None, since: int | None,
                limit: int | None) -> list[dict[str, Any]]:
        if symbol is not None:
            self._spec(symbol)
        rows = [self._order(o) for o in source if symbol is None or o.symbol == symbol]
        return _filter(rows, since, limit)

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
        return _filter(rows, since, limit)

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

    # ---- private streams -----------------------------------------------------------------
    async def _watch(self, kind: str, symbol: str | None) -> list[dict[str, Any]]:
        if symbol is not None:
            self._spec(symbol)
        await self._gate_stream(private=True)
        key = (kind, symbol)
        if self._disconnected():
            self._cursors.pop(key, None)  # what was pushed meanwhile is lost
            raise NetworkError("paper websocket connection closed (1006)")
        log = self.sim.orders_log if kind == "orders" else self.sim.trades_log
        if kind == "orders":
            self.sim.stream_orders = True
        else:
            self.sim.stream_trades = True
        gen = self._close_gen
        cursor = self._cursors.setdefault(key, log.end)
        while True:
            items, cursor = log.read(cursor)
            self._cursors[key] = cursor
            items = [i for i in items if symbol is None or i["symbol"] == symbol]
            if items:
                return items
            await self._wait(gen)

    async def watch_orders(self, symbol: str | None = None, since: int | None = None,
                           limit: int | None = None, params: dict[str, Any] | None = None,
                           ) -> list[dict[str, Any]]:
        """Orders updated since this watcher's previous call (latest state of each)."""
        latest: dict[str, dict[str, Any]] = {}
        for snapshot in await self._watch("orders", symbol):
            latest.pop(snapshot["id"], None)
            latest[snapshot["id"]] = snapshot
        return list(latest.values())

    async def watch_my_trades(self, symbol: str | None = None, since: int | None = None,
                              limit: int | None = None, params: dict[str, Any] | None = None,
                              ) -> list[dict[str, Any]]:
        return await self._watch("trades", symbol)

    # ---- ccxt helpers ----------------------------------------------------------------------
    def amount_to_precision(self, symbol: str, amount: Any) -> str:
        lot = self._spec(symbol).lot
        value = (to_decimal(amount, "amount") / lot).to_integral_value(ROUND_DOWN) * lot
        if value == 0:
            raise InvalidOrder(f"paper amount of {symbol} must be greater than minimum amount "
                               f"precision of {lot}")
        return str(value)

    def price_to_precision(self, symbol: str, price: Any) -> str:
        tick = self._spec(symbol).tick
        return str((to_decimal(price, "price") / tick).to_integral_value(ROUND_HALF_UP) * tick)

    def iso8601(self, timestamp: int | None) -> str | None:
        return iso8601(timestamp)
