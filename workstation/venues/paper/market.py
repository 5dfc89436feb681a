"""The synthetic market behind one paper symbol.

Prices live as integer ticks and sizes as integer lots so the hot path (step) never
touches Decimal and never accumulates rounding; the ccxt surface converts at the edge.
Floats appear only as random draws that are immediately rounded to whole ticks/lots.

The market path (mid, regimes, new book levels, other traders' flow) is drawn from a
per-symbol RNG whose consumption never depends on what we trade, so our orders change
outcomes (what is left in the book) but never the sequence of random events.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

REGIMES = ("calm", "normal", "volatile")
VOL_MULT = {"calm": 0.4, "normal": 1.0, "volatile": 3.0}
FLOW_MULT = {"calm": 0.6, "normal": 1.0, "volatile": 2.5}
# Makers pull liquidity when it gets wild, and sit thicker when it is quiet.
DEPTH_MULT = {"calm": 1.3, "normal": 1.0, "volatile": 0.6}
REGIME_MEAN_MS = 90_000
REFILL_MS = 3_000  # a consumed level is back to its target in roughly this long
FLOW_MAX_LEVELS = 5  # other traders use marketable limits, not unbounded sweeps
HISTORY_MINUTES = 720
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class MarketSpec:
    symbol: str
    base: str
    quote: str
    kind: str  # 'spot' | 'swap'
    tick: Decimal
    lot: Decimal
    min_cost: Decimal
    maker: Decimal
    taker: Decimal
    start_mid: Decimal
    level_ticks: int  # grid spacing of the synthetic makers' levels
    level_lots: int  # typical size of the top level
    flow_per_s: float  # other traders' market orders per simulated second
    flow_lots: int  # median size of one of those orders
    max_amount: Decimal
    max_price: Decimal
    depth: int = 30
    settle: str | None = None
    contract_size: Decimal = Decimal(1)
    max_leverage: int = 1
    default_leverage: int = 1
    mmr: Decimal = Decimal(0)
    tracks: str | None = None  # symbol whose mid this one follows (perp -> spot)
    vol: float = 4e-5  # relative volatility per sqrt(second) in the normal regime
    basis_ticks: int = 0

    @property
    def is_swap(self) -> bool:
        return self.kind == "swap"


DEFAULT_SPECS: tuple[MarketSpec, ...] = (
    MarketSpec("BTC/USDT", "BTC", "USDT", "spot", Decimal("0.01"), Decimal("0.00001"),
               Decimal(5), Decimal("0.001"), Decimal("0.001"), Decimal("65000"),
               level_ticks=50, level_lots=40_000, flow_per_s=3.0, flow_lots=3_000,
               max_amount=Decimal(9000), max_price=Decimal(1_000_000)),
    MarketSpec("ETH/USDT", "ETH", "USDT", "spot", Decimal("0.01"), Decimal("0.0001"),
               Decimal(5), Decimal("0.001"), Decimal("0.001"), Decimal("3200"),
               level_ticks=5, level_lots=40_000, flow_per_s=2.5, flow_lots=3_000,
               max_amount=Decimal(90000), max_price=Decimal(100_000), vol=5e-5),
    MarketSpec("SOL/USDT", "SOL", "USDT", "spot", Decimal("0.01"), Decimal("0.001"),
               Decimal(5), Decimal("0.001"), Decimal("0.001"), Decimal("150"),
               level_ticks=1, level_lots=40_000, flow_per_s=2.0, flow_lots=3_000,
               max_amount=Decimal(900000), max_price=Decimal(10_000), vol=7e-5),
    MarketSpec("BTC/USDT:USDT", "BTC", "USDT", "swap", Decimal("0.1"), Decimal("0.001"),
               Decimal(5), Decimal("0.0002"), Decimal("0.0005"), Decimal("65005"),
               level_ticks=5, level_lots=1_500, flow_per_s=4.0, flow_lots=80,
               max_amount=Decimal(1000), max_price=Decimal(1_000_000), settle="USDT",
               max_leverage=100, default_leverage=5, mmr=Decimal("0.005"),
               tracks="BTC/USDT", basis_ticks=50),
)


class Level:
    """One synthetic maker level: what is displayed now and what it refills towards."""

    __slots__ = ("size", "target")

    def __init__(self, size: int) -> None:
        self.size = size
        self.target = size


@dataclass(slots=True)
class PublicTrade:
    id: str
    timestamp: int
    price: int  # ticks
    lots: int
    side: str  # taker side


class Candles:
    """1m candles in ticks/lots, built incrementally from trades; bigger frames aggregate."""

    def __init__(self, maxlen: int = 3 * 1440) -> None:
        self.rows: deque[list[int]] = deque(maxlen=maxlen)  # [ts, o, h, l, c, v]

    def add(self, ts: int, price: int, lots: int) -> None:
        minute = ts - ts % MINUTE_MS
        rows = self.rows
        if rows and rows[-1][0] == minute:
            row = rows[-1]
            row[2] = max(row[2], price)
            row[3] = min(row[3], price)
            row[4] = price
            row[5] += lots
            return
        if rows:  # flat candles over quiet minutes keep the chart continuous
            prev = rows[-1]
            t = prev[0] + MINUTE_MS
            while t < minute:
                rows.append([t, prev[4], prev[4], prev[4], prev[4], 0])
                t += MINUTE_MS
        rows.append([minute, price, price, price, price, lots])

    def series(self, frame_ms: int, now: int) -> list[list[int]]:
        out: list[list[int]] = []
        rows = list(self.rows)
        if rows:
            last = rows[-1]
            t = last[0] + MINUTE_MS
            while t <= now:
                rows.append([t, last[4], last[4], last[4], last[4], 0])
                t += MINUTE_MS
        for ts, o, h, lo, c, v in rows:
            bucket = ts - ts % frame_ms
            if out and out[-1][0] == bucket:
                cur = out[-1]
                cur[2] = max(cur[2], h)
                cur[3] = min(cur[3], lo)
                cur[4] = c
                cur[5] += v
            else:
                out.append([bucket, o, h, lo, c, v])
        return out


class SyntheticMarket:
    def __init__(self, spec: MarketSpec, seed: int, now_ms: int) -> None:
        self.spec = spec
        self.rng = random.Random(f"market:{seed}:{spec.symbol}")
        self.mid = int(spec.start_mid / spec.tick)
        self.basis = spec.basis_ticks
        self.regime = "normal"
        self.frozen = False
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_top = 0
        self.ask_top = 0
        self.version = 0  # bumps whenever the displayed book may have changed (cheap to test)
        self.last = self.mid
        self.trades: deque[PublicTrade] = deque(maxlen=2000)
        self.candles = Candles()
        self._last_move = 0
        self._reposition()
        if spec.tracks is None:
            self._backfill(seed, now_ms)

    # ---- book geometry -------------------------------------------------------------
    def _reposition(self) -> None:
        step = self.spec.level_ticks
        bid_top = ((self.mid - 1) // step) * step
        ask_top = (self.mid // step + 1) * step
        self._shift(self.bids, self.bid_top, bid_top, -step)
        self._shift(self.asks, self.ask_top, ask_top, step)
        self.bid_top, self.ask_top = bid_top, ask_top

    def _shift(self, book: dict[int, Level], old_top: int, new_top: int, step: int) -> None:
        if old_top == new_top and book:
            return
        depth = self.spec.depth
        far = new_top + step * (depth - 1)
        lo, hi = min(new_top, far), max(new_top, far)
        for price in [p for p in book if p < lo or p > hi]:
            del book[price]
        for i in range(depth):
            price = new_top + step * i
            if price not in book:
                book[price] = self._new_level(i)

    def _new_level(self, index: int) -> Level:
        base = self.spec.level_lots * (1 + index / 6) * DEPTH_MULT[self.regime]
        return Level(max(1, int(base * self.rng.uniform(0.4, 1.6))))

    def iter_side(self, side: str) -> Iterator[tuple[int, Level]]:
        """Grid levels from the top outward ('bids' or 'asks'), zero-size ones included."""
        if side == "bids":
            book, top, step = self.bids, self.bid_top, -self.spec.level_ticks
        else:
            book, top, step = self.asks, self.ask_top, self.spec.level_ticks
        for i in range(self.spec.depth):
            level = book.get(top + step * i)
            if level is not None:
                yield top + step * i, level

    def best(self, side: str) -> int | None:
        for price, level in self.iter_side(side):
            if level.size > 0:
                return price
        return None

    def size_at(self, side: str, price: int) -> int:
        level = (self.bids if side == "bids" else self.asks).get(price)
        return level.size if level is not None else 0

    # ---- time ----------------------------------------------------------------------
    def advance(self, dt_ms: int, anchor: int | None = None) -> list[tuple[str, int]]:
        """Move the market by dt_ms; returns other traders' market orders (side, lots)."""
        if self.frozen:
            if self._refill(dt_ms):
                self.version += 1
            return []
        self.version += 1
        rng = self.rng
        if rng.random() < dt_ms / REGIME_MEAN_MS:
            self.regime = rng.choice([r for r in REGIMES if r != self.regime])
        before = self.mid
        if anchor is None:
            sigma = self.mid * self.spec.vol * VOL_MULT[self.regime] * math.sqrt(dt_ms / 1000)
            move = rng.gauss(0.0, sigma)
            whole = math.floor(move)
            self.mid = max(self.spec.level_ticks * 2, self.mid + whole + (rng.random() < move - whole))
        else:
            revert = -(self.basis - self.spec.basis_ticks) * min(1.0, dt_ms / 60_000)
            self.basis += round(revert + rng.gauss(0.0, 0.7 * VOL_MULT[self.regime]))
            self.mid = max(self.spec.level_ticks * 2, anchor + self.basis)
        self._last_move = self.mid - before
        self._reposition()
        self._refill(dt_ms)
        self._noise()
        return self._flows(dt_ms)

    def _refill(self, dt_ms: int) -> bool:
        """Makers top their levels back up; whether any level changed."""
        changed = False
        for book in (self.bids, self.asks):
            for level in book.values():
                deficit = level.target - level.size
                if deficit > 0:
                    level.size += min(deficit, max(1, level.target * dt_ms // REFILL_MS))
                    changed = True
        return changed

    def _noise(self) -> None:
        # Makers re-quote: one level a step gets a new target; a smaller one is a cancel.
        rng = self.rng
        side = self.bids if rng.random() < 0.5 else self.asks
        index = rng.randrange(self.spec.depth)
        fresh = self._new_level(index).target
        top = self.bid_top - index * self.spec.level_ticks if side is self.bids \
            else self.ask_top + index * self.spec.level_ticks
        level = side.get(top)
        if level is not None:
            level.target = fresh
            if level.size > fresh:
                level.size = fresh

    def _flows(self, dt_ms: int) -> list[tuple[str, int]]:
        rng = self.rng
        mu = self.spec.flow_per_s * FLOW_MULT[self.regime] * dt_ms / 1000
        threshold, count, prod = math.exp(-mu), 0, rng.random()
        while prod > threshold and count < 50:
            count += 1
            prod *= rng.random()
        # Momentum: flow leans the way the price just went.
        p_buy = 0.5 + (0.15 if self._last_move > 0 else -0.15 if self._last_move < 0 else 0.0)
        flows = []
        for _ in range(count):
            side = "buy" if rng.random() < p_buy else "sell"
            flows.append((side, max(1, int(self.spec.flow_lots * rng.lognormvariate(0.0, 1.0)))))
        return flows

    # ---- hooks and records ---------------------------------------------------------
    def set_mid(self, ticks: int, anchor: int | None = None) -> None:
        self.mid = ticks
        if anchor is not None:
            self.basis = ticks - anchor
        self.bids.clear()
        self.asks.clear()
        self._reposition()
        self.last = ticks
        self.version += 1

    def record_trade(self, trade: PublicTrade) -> None:
        self.version += 1  # a trade took liquidity: the displayed book may have changed
        self.trades.append(trade)
        self.last = trade.price
        self.candles.add(trade.timestamp, trade.price, trade.lots)

    def _backfill(self, seed: int, now_ms: int) -> None:
        """Plausible history so charts and 24h stats are not empty at start."""
        rng = random.Random(f"history:{seed}:{self.spec.symbol}")
        spec = self.spec
        sigma = self.mid * spec.vol * math.sqrt(60)
        closes = [self.mid]
        for _ in range(HISTORY_MINUTES):
            closes.append(max(spec.level_ticks * 2, closes[-1] - round(rng.gauss(0.0, sigma))))
        closes.reverse()
        start = now_ms - now_ms % MINUTE_MS - HISTORY_MINUTES * MINUTE_MS
        volume = spec.flow_per_s * 60 * spec.flow_lots * 1.6
        for i in range(HISTORY_MINUTES):
            o, c = closes[i], closes[i + 1]
            wick = abs(round(rng.gauss(0.0, sigma / 2)))
            lots = int(volume * rng.uniform(0.5, 1.5))
            self.candles.rows.append([start + i * MINUTE_MS, o, max(o, c) + wick,
                                      min(o, c) - wick, c, lots])

    def backfill_from(self, other: SyntheticMarket) -> None:
        """A tracking market borrows its anchor's history (converted, plus basis)."""
        ratio = other.spec.tick / self.spec.tick
        for ts, o, h, lo, c, v in other.candles.rows:
            conv = [int(x * ratio) + self.basis for x in (o, h, lo, c)]
            lots = int(v * other.spec.lot / self.spec.lot / 10)
            self.candles.rows.append([ts, *conv, lots])
