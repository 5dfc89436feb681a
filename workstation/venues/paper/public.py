"""The paper venue's public market data: markets, books (REST and stream), ticker, trades, candles.

The depth stream sends only on change, as Binance's does: `watch_order_book` returns when the
displayed book differs from what this watcher last got, and the book's `nonce` (Binance's
lastUpdateId) moves only when the displayed book changed. A calm or frozen market can send
nothing for seconds; a client must not take silence for a dead stream.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ccxt.base.errors import BadRequest, InvalidOrder, NetworkError

from .accounts import q8
from .market import MINUTE_MS
from .rules import to_decimal
from .structures import TIMEFRAME_MS, TIMEFRAMES, iso8601

if TYPE_CHECKING:
    from .market import MarketSpec
    from .simulator import Simulator

DAY_MS = 86_400_000


def filter_rows(rows: list[Any], since: int | None, limit: int | None) -> list[Any]:
    """ccxt convention: with since, the first `limit` from since; without, the latest."""
    if since is not None:
        rows = [r for r in rows if r["timestamp"] >= since]
        return rows[:limit] if limit is not None else rows
    return rows[-limit:] if limit else rows


class BookFeed:
    """One symbol's displayed book and its update id, which moves only when the book does."""

    __slots__ = ("checked_version", "sides", "nonce")

    def __init__(self) -> None:
        self.checked_version = -1
        self.sides: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = ((), ())
        self.nonce = 0


class PublicData:
    """Mixin of PaperExchange: what needs no account."""

    sim: Simulator
    markets: dict[str, dict[str, Any]]
    _book_feeds: dict[str, BookFeed]
    _book_seen: dict[str, int]
    _close_gen: int

    def _spec(self, symbol: str | None) -> MarketSpec:
        raise NotImplementedError

    async def _gate(self, weight: int, private: bool) -> None:
        raise NotImplementedError

    async def _gate_stream(self, private: bool) -> None:
        raise NotImplementedError

    def _disconnected(self) -> bool:
        raise NotImplementedError

    async def _wait(self, gen: int) -> None:
        raise NotImplementedError

    # ---- markets -------------------------------------------------------------------------
    async def load_markets(self, reload: bool = False, params: dict[str, Any] | None = None,
                           ) -> dict[str, dict[str, Any]]:
        return self.markets

    async def fetch_markets(self, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.markets.values())

    async def fetch_time(self, params: dict[str, Any] | None = None) -> int:
        await self._gate(1, private=False)
        return self.sim.now

    def market(self, symbol: str) -> dict[str, Any]:
        return self.markets[self._spec(symbol).symbol]

    # ---- books ---------------------------------------------------------------------------
    def _feed(self, symbol: str) -> BookFeed:
        """The displayed book (synthetic makers plus our resting orders), recomputed only when the
        simulator says something may have changed, and its nonce bumped only when it did."""
        feed = self._book_feeds.get(symbol)
        if feed is None:
            feed = self._book_feeds[symbol] = BookFeed()
        market = self.sim.markets[symbol]
        if feed.checked_version == market.version:
            return feed
        feed.checked_version = market.version
        sides = []
        for side in ("bids", "asks"):
            sizes: dict[int, int] = {p: lv.size for p, lv in market.iter_side(side) if lv.size}
            for price, queue in self.sim.engine.resting[symbol][side].items():
                sizes[price] = sizes.get(price, 0) + sum(o.remaining for o in queue)
            prices = sorted(sizes, reverse=(side == "bids"))
            sides.append(tuple((p, sizes[p]) for p in prices))
        shown = (sides[0], sides[1])
        if shown != feed.sides:
            feed.sides = shown
            feed.nonce += 1
        return feed

    def _book(self, symbol: str, limit: int | None) -> dict[str, Any]:
        spec = self._spec(symbol)
        feed = self._feed(symbol)
        tick, lot = spec.tick, spec.lot
        bids, asks = feed.sides
        now = self.sim.now
        return {"symbol": symbol,
                "bids": [[p * tick, q * lot] for p, q in bids[:limit]],
                "asks": [[p * tick, q * lot] for p, q in asks[:limit]],
                "timestamp": now, "datetime": iso8601(now), "nonce": feed.nonce}

    async def fetch_order_book(self, symbol: str, limit: int | None = None,
                               params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._gate(1 if limit is None or limit <= 100 else 5, private=False)
        return self._book(symbol, limit)

    async def watch_order_book(self, symbol: str, limit: int | None = None,
                               params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The first call answers at once (the snapshot); later calls only when the book changed."""
        self._spec(symbol)
        await self._gate_stream(private=False)
        if self._disconnected():
            self._book_seen.pop(symbol, None)
            raise NetworkError("paper websocket connection closed (1006)")
        gen = self._close_gen
        seen = self._book_seen.get(symbol)
        while seen is not None and self._feed(symbol).nonce == seen:
            await self._wait(gen)
        self._book_seen[symbol] = self._feed(symbol).nonce
        return self._book(symbol, limit)

    # ---- ticker, trades, candles ---------------------------------------------------------
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
        return filter_rows(rows, since, limit)

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
