"""The pre-trade gate: one for every origin (human, copilot, emulated releases), run at staging
and again at approval (and at release) on fresh data.

It fails closed: a symbol with no configured limit gets the conservative defaults, never
"unlimited"; missing data (no book, no balance to measure margin against) is a denial, not a
pass. Each check is a plain function returning Problems that name the rule and the limit it hit.

Nothing outside the Desk can change it: limits are frozen values, replaced only through
``Desk.set_risk_limits`` (actor "human", journaled as ``risk_change``); the trading state per
account (ACTIVE, REDUCING, HALTED) changes only through the Desk's kill / re-arm verbs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import Enum
from typing import Callable, Iterable

from ..domain.book import Book
from ..domain.market import Market, Problem
from ..domain.money import ZERO
from ..domain.orders import Fill, Order, OrderSpec, OrderType, Origin, Side
from ..domain.positions import Position
from ..domain.reports import Balance

ASSUMED_VENUE_LEVERAGE = Decimal(10)  # when the venue does not say: margin is measured at 10x


class TradingState(str, Enum):
    """Per account. ACTIVE: anything the other rules allow. REDUCING: only orders that reduce risk.
    HALTED: nothing (the kill switch's own reduce-only flatten excepted). Leaving HALTED is a human act."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Every limit, with the conservative default that applies when nothing is configured."""

    max_order_notional: Decimal = Decimal("25000")  # per order, in quote currency
    max_order_amount: Decimal | None = None  # per order, in base units; None = only the notional cap applies
    max_open_orders: int = 50  # working at the venue, per account
    price_collar_pct: Decimal = Decimal("5")  # a limit price further than this from a fresh mid is refused
    trigger_collar_pct: Decimal = Decimal("25")  # a trigger price further than this from mid is refused
    stale_book_ms: int = 5000
    max_spread_bps: Decimal = Decimal("500")  # a wider spread than this looks like broken data
    max_position_notional: Decimal = Decimal("50000")  # exposure: position + working + this order, per symbol
    daily_loss_limit: Decimal = Decimal("2500")  # per account: realized today net of fees + unrealized
    max_margin_pct: Decimal = Decimal("30")  # derivatives: margin in use (incl. working + this) vs equity
    max_leverage: Decimal = Decimal("5")  # derivatives: gross notional (incl. working + this) / equity
    duplicate_window_s: float = 5.0  # same symbol, side, amount and price within this needs a confirmation
    orders_per_s: int = 10  # order sends per second per account
    cancels_per_s: int = 20  # cancels per second per account (the kill switch is exempt)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(slots=True)
class RiskContext:
    market: Market
    book: Book | None
    balances: dict[str, Balance]
    position: Position | None
    working: list[Order]  # this venue's working orders (all symbols), excluding the order being checked
    now_ms: int
    book_received_ms: int | None = None  # our clock, not the venue's: venue timestamps can be skewed
    state: TradingState = TradingState.ACTIVE
    positions: dict[str, Position] = field(default_factory=dict)  # this venue's positions, by symbol
    marks: dict[str, Decimal] = field(default_factory=dict)  # this venue's mids, by symbol
    daily_pnl: Decimal | None = None  # this account's PnL today (negative = loss); None = unknown
    recent: list[Order] = field(default_factory=list)  # orders staged just before this one (duplicate guard)
    confirmed_duplicate: bool = False  # the human confirmed a second identical order
    sends_last_s: int | None = None  # order sends on this account in the last second; None = not sending now
    flattening: bool = False  # the kill switch's own reduce-only flatten
    venue_leverage: Decimal | None = None  # the account's leverage setting for this symbol, if known
    position_mode: str | None = None  # "one-way" | "hedged" | None (the venue does not say)
    # base units per contract, by symbol, for this venue's contract markets (sizes are in contracts: OKX 0.01 BTC)
    contract_sizes: dict[str, Decimal] = field(default_factory=dict)


ONE = Decimal(1)
Check = Callable[[OrderSpec, RiskContext, RiskLimits], list[Problem]]


# -- helpers -------------------------------------------------------------------------------------
def _reference_price(spec: OrderSpec, ctx: RiskContext) -> Decimal | None:
    if spec.type is OrderType.MARKET or (spec.type is OrderType.TRAILING_STOP and spec.trigger_price is None):
        if ctx.book is not None:
            walk = ctx.book.walk(spec.side, spec.amount)
            if walk.average is not None:
                return walk.worst_price or walk.average
        return spec.decision_mid
    return spec.price or spec.trigger_price


def _mid(ctx: RiskContext) -> Decimal | None:
    return ctx.book.mid if ctx.book else None


def _same_symbol_working(spec: OrderSpec, ctx: RiskContext, side: Side) -> Decimal:
    return sum((o.remaining for o in ctx.working
                if o.symbol == spec.symbol and o.side is side and not o.spec.reduce_only), ZERO)


def reduces_risk(spec: OrderSpec, ctx: RiskContext) -> bool:
    """An order that can only shrink the position. A reduce-only order on a derivative, against the position
    (the venue caps it at what is held). Any other order: the opposite side of the position, for no more than
    what is left after the other working orders on that side (reduce-only ones included) have closed their
    part. A reduce-only flag alone proves nothing: a reduce-only buy on a long, or on no position, would add."""
    size = ctx.position.size if ctx.position else ZERO
    if size == 0 or (size > 0) == (spec.side is Side.BUY):
        return False
    if spec.reduce_only and ctx.market.is_derivative:
        return True
    closing = sum((o.remaining for o in ctx.working if o.symbol == spec.symbol and o.side is spec.side), ZERO)
    return spec.amount + closing <= abs(size)


# -- the checks ------------------------------------------------------------------------------------
def check_trading_state(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if ctx.state is TradingState.HALTED:
        if ctx.flattening and spec.reduce_only:
            return []
        return [Problem("halted", f"trading on {ctx.market.venue} is HALTED (kill switch): "
                        f"a human must re-arm before any order is sent")]
    if ctx.state is TradingState.REDUCING and not reduces_risk(spec, ctx):
        return [Problem("reducing_only", f"{ctx.market.venue} is in REDUCING: only orders that reduce the "
                        f"{spec.symbol} position are allowed")]
    return []


def check_market_rules(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    return ctx.market.check(spec, reference_price=_mid(ctx))


def check_venue_support(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """Flags that cannot be emulated must be native: time in force, post-only, reduce-only."""
    caps = ctx.market.capabilities
    if not caps:
        return []  # a market built without capabilities (tests, adopted orders): the venue decides
    problems = []
    if spec.type is OrderType.LIMIT and spec.time_in_force.value in ("IOC", "FOK") and spec.time_in_force.value not in caps:
        problems.append(Problem("tif_unsupported", f"{ctx.market.venue} has no {spec.time_in_force.value} for "
                                f"{spec.symbol}: use GTC, or IOC where offered"))
    if spec.post_only and "post_only" not in caps:
        problems.append(Problem("post_only_unsupported", f"{ctx.market.venue} has no post-only for {spec.symbol}"))
    if spec.reduce_only and ctx.market.is_derivative and "reduce_only" not in caps:
        problems.append(Problem("reduce_only_unsupported", f"{ctx.market.venue} has no reduce-only for {spec.symbol}"))
    return problems


def check_reduce_only(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """A reduce-only order must be able to reduce: against a position that exists."""
    if not (spec.reduce_only and ctx.market.is_derivative) or reduces_risk(spec, ctx):
        return []
    size = ctx.position.size if ctx.position else ZERO
    where = "there is no position" if size == 0 else f"the position is {size}: this would add to it"
    return [Problem("reduce_only_adds", f"reduce-only {spec.side.value} {spec.amount} {spec.symbol} cannot "
                    f"reduce: {where}")]


def check_trigger_side(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """A stop buys above the market and sells below it; a take-profit the other way round. On the wrong
    side it fires the moment it arrives: a market order the trader did not mean to send."""
    mid = _mid(ctx)
    if mid is None or spec.trigger_price is None or spec.type is OrderType.TRAILING_STOP:
        return []
    buy = spec.side is Side.BUY
    if spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
        wrong, must = (spec.trigger_price <= mid, "above") if buy else (spec.trigger_price >= mid, "below")
        kind = "stop"
    elif spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
        wrong, must = (spec.trigger_price >= mid, "below") if buy else (spec.trigger_price <= mid, "above")
        kind = "take-profit"
    else:
        return []
    if not wrong:
        return []
    return [Problem("trigger_side", f"a {spec.side.value} {kind} triggers {must} the market: "
                    f"{spec.trigger_price} is on the wrong side of mid {mid} and would fire at once")]


def check_book_fresh(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if ctx.book is None or ctx.book.mid is None:
        return [Problem("no_book", f"no order book for {spec.symbol} yet: wait for market data")]
    age = ctx.now_ms - (ctx.book_received_ms if ctx.book_received_ms is not None else ctx.now_ms)
    if age > limits.stale_book_ms:
        return [Problem("stale_book", f"the {spec.symbol} book is {age / 1000:.1f}s old (limit "
                        f"{limits.stale_book_ms / 1000:.1f}s): wait for fresh data")]
    if ctx.book.crossed:
        return [Problem("crossed_book", f"the {spec.symbol} book is crossed: data looks wrong, wait")]
    spread = ctx.book.spread_bps
    if spread is not None and spread > limits.max_spread_bps:
        return [Problem("wide_spread", f"the {spec.symbol} spread is {spread:.0f} bps (limit "
                        f"{limits.max_spread_bps} bps): data looks abnormal, wait")]
    return []


def check_size(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    problems = []
    if limits.max_order_amount is not None and spec.amount > limits.max_order_amount:
        problems.append(Problem("max_order_amount", f"amount {spec.amount:f} exceeds the limit "
                                f"{limits.max_order_amount} {ctx.market.base}"))
    price = _reference_price(spec, ctx)
    if price is None:
        return problems + [Problem("no_price", f"cannot price this {spec.symbol} order to check its size: "
                                   f"wait for market data")]
    notional = spec.amount * price * ctx.market.contract_size
    if notional > limits.max_order_notional:
        problems.append(Problem("max_order_notional", f"notional {notional:.2f} {ctx.market.quote} exceeds "
                                f"the limit {limits.max_order_notional} {ctx.market.quote}"))
    return problems


def check_collar(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    mid = _mid(ctx)
    problems = []
    for name, price, collar in (("price", spec.price, limits.price_collar_pct),
                                ("trigger price", spec.trigger_price, limits.trigger_collar_pct)):
        if price is None or not mid:
            continue
        away = abs(price - mid) / mid * 100
        if away > collar:
            problems.append(Problem("price_collar", f"{name} {price} is {away:.2f}% from mid {mid} (collar "
                                    f"{collar}%): check for a typo"))
    return problems


def check_open_orders(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if len(ctx.working) >= limits.max_open_orders:
        return [Problem("max_open_orders", f"{len(ctx.working)} orders already working (limit {limits.max_open_orders})")]
    return []


def check_exposure(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """Position + every working order on the same side + this order, within the limit, in quote."""
    if reduces_risk(spec, ctx):
        return []
    price = _reference_price(spec, ctx) or _mid(ctx)
    if price is None:
        return []  # check_size already refused an order it cannot price
    size = ctx.position.size if ctx.position else ZERO
    if spec.side is Side.BUY:
        worst = size + _same_symbol_working(spec, ctx, Side.BUY) + spec.amount
    else:
        worst = size - _same_symbol_working(spec, ctx, Side.SELL) - spec.amount
        if not ctx.market.is_derivative:
            return []  # spot cannot go short: sells are bounded by the balance check
    if (worst > 0) != (spec.side is Side.BUY) or worst == 0:
        return []  # even in the worst case this leaves the position smaller on the order's side
    exposure = abs(worst) * price * ctx.market.contract_size
    if exposure > limits.max_position_notional:
        return [Problem("max_exposure", f"{spec.symbol} exposure would reach {exposure:.2f} {ctx.market.quote} "
                        f"(position {size} + working + this order; limit {limits.max_position_notional} "
                        f"{ctx.market.quote})")]
    return []


def check_daily_loss(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if reduces_risk(spec, ctx):
        return []
    if ctx.daily_pnl is not None and ctx.daily_pnl <= -limits.daily_loss_limit:
        return [Problem("daily_loss_limit", f"today's PnL on {ctx.market.venue} is {ctx.daily_pnl:.2f} "
                        f"{ctx.market.quote} (limit -{limits.daily_loss_limit}): only risk-reducing orders "
                        f"until tomorrow or a human raises the limit")]
    return []


def _position_price(symbol: str, pos: Position, ctx: RiskContext) -> Decimal:
    return ctx.marks.get(symbol) or pos.average_entry


def check_margin(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """Derivatives: margin in use and account leverage, counting positions, working orders and this one."""
    market = ctx.market
    if market.is_derivative and ctx.position_mode == "hedged":
        return [Problem("hedge_mode", f"{market.venue} is in hedge mode; positions here are net (one-way): "
                        f"switch the account to one-way mode first")]
    if not market.is_derivative or reduces_risk(spec, ctx):
        return []
    settle = market.settle or market.quote
    balance = ctx.balances.get(settle)
    price = _reference_price(spec, ctx)
    if balance is None or balance.total <= 0 or price is None:
        return [Problem("no_equity", f"no {settle} balance known on {market.venue} to measure margin against: "
                        f"wait for the first refresh")]
    size_of = ctx.contract_sizes.get  # sizes here are contracts: in quote they are x the contract size
    unrealized = sum((p.unrealized_pnl(ctx.marks.get(s)) for s, p in ctx.positions.items()), ZERO)  # (x contract size)
    equity = balance.total + unrealized
    if equity <= 0:
        return [Problem("max_margin", f"equity on {market.venue} is {equity:.2f} {settle}: no room for margin")]
    leverage = ctx.venue_leverage or ASSUMED_VENUE_LEVERAGE
    gross = spec.amount * price * market.contract_size
    for symbol, pos in ctx.positions.items():
        if pos.size and _is_derivative_symbol(symbol):
            gross += abs(pos.size) * _position_price(symbol, pos, ctx) * size_of(symbol, ONE)
    for o in ctx.working:
        if not o.spec.reduce_only and _is_derivative_symbol(o.symbol):
            gross += o.remaining * (o.spec.notional_price or ctx.marks.get(o.symbol) or ZERO) * size_of(o.symbol, ONE)
    margin = gross / leverage
    problems = []
    margin_pct = margin / equity * 100
    if margin_pct > limits.max_margin_pct:
        problems.append(Problem("max_margin", f"margin in use would be {margin_pct:.1f}% of equity "
                                f"{equity:.2f} {settle} at {leverage}x (limit {limits.max_margin_pct}%)"))
    effective = gross / equity
    if effective > limits.max_leverage:
        problems.append(Problem("max_leverage", f"gross exposure would be {effective:.2f}x equity "
                                f"(limit {limits.max_leverage}x)"))
    elif ctx.venue_leverage is not None and ctx.venue_leverage > limits.max_leverage:
        problems.append(Problem("max_leverage", f"{spec.symbol} is set to {ctx.venue_leverage}x at the venue "
                                f"(limit {limits.max_leverage}x): lower it first (the command palette's "
                                f"Set leverage)"))
    return problems


def _is_derivative_symbol(symbol: str) -> bool:
    return ":" in symbol  # ccxt's unified symbols: BASE/QUOTE:SETTLE for contracts


def check_duplicate(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if spec.origin is Origin.EMULATOR or ctx.confirmed_duplicate or ctx.flattening:
        return []
    horizon = ctx.now_ms - round(limits.duplicate_window_s * 1000)
    for other in ctx.recent:
        staged = other.wall_ms.get("staged", 0)
        if staged < horizon:
            continue
        o = other.spec
        if (o.venue, o.symbol, o.side, o.amount, o.price, o.trigger_price) == (
                spec.venue, spec.symbol, spec.side, spec.amount, spec.price, spec.trigger_price):
            ago = (ctx.now_ms - staged) / 1000
            return [Problem("duplicate_order", f"same {spec.side.value} {spec.amount} {spec.symbol} "
                            f"@ {spec.price or 'market'} as {other.client_order_id} {ago:.1f}s ago (window "
                            f"{limits.duplicate_window_s:g}s): confirm to place it a second time")]
    return []


def check_order_rate(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    if ctx.sends_last_s is not None and ctx.sends_last_s >= limits.orders_per_s and not ctx.flattening:
        return [Problem("order_rate", f"{ctx.sends_last_s} orders sent on {ctx.market.venue} in the last second "
                        f"(limit {limits.orders_per_s}/s): slow down")]
    return []


def check_balance(spec: OrderSpec, ctx: RiskContext, limits: RiskLimits) -> list[Problem]:
    """Enough free balance for this order on top of what working orders already reserve at the venue."""
    market = ctx.market
    price = _reference_price(spec, ctx)
    if price is None:
        return []
    if market.is_derivative:
        if spec.reduce_only:
            return []
        free = ctx.balances.get(market.settle or market.quote, Balance(market.quote)).free
        leverage = ctx.venue_leverage or (ctx.position.venue_info.leverage if ctx.position and ctx.position.venue_info
                                          else None) or ASSUMED_VENUE_LEVERAGE
        needed = spec.amount * price * market.contract_size / leverage
        if needed > free:
            return [Problem("insufficient_margin", f"needs {needed:.2f} {market.quote} margin at {leverage}x, "
                            f"{free:.2f} free")]
        return []
    if spec.side is Side.BUY:
        free = ctx.balances.get(market.quote, Balance(market.quote)).free
        needed = spec.amount * price * (1 + market.taker_fee)
        if needed > free:
            return [Problem("insufficient_balance", f"needs {needed:.2f} {market.quote}, {free:.2f} free")]
    else:
        free = ctx.balances.get(market.base, Balance(market.base)).free
        if spec.amount > free:
            return [Problem("insufficient_balance", f"sells {spec.amount:f} {market.base}, {free:f} free")]
    return []


DEFAULT_CHECKS: tuple[Check, ...] = (
    check_trading_state, check_market_rules, check_venue_support, check_reduce_only, check_book_fresh, check_size,
    check_collar, check_trigger_side, check_open_orders, check_exposure, check_daily_loss, check_margin,
    check_duplicate, check_order_rate, check_balance,
)

# An order held locally for a parent that has not filled yet (a bracket's stop-loss and take-profit):
# checked for what it is now; the full gate runs again when it is released.
STATIC_CHECKS: tuple[Check, ...] = (
    check_trading_state, check_market_rules, check_venue_support, check_book_fresh, check_size, check_collar,
)


# The kill switch's own reduce-only flatten: it must get out (a deliberate, twice-confirmed human act),
# so only the trading state (which lets reduce-only through while HALTED) and the venue's rules apply.
FLATTEN_CHECKS: tuple[Check, ...] = (check_trading_state, check_market_rules)


class _Window:
    """Timestamps (ms) of events in the last second."""

    __slots__ = ("times",)

    def __init__(self) -> None:
        self.times: deque[int] = deque()

    def count(self, now_ms: int) -> int:
        while self.times and self.times[0] <= now_ms - 1000:
            self.times.popleft()
        return len(self.times)

    def add(self, now_ms: int) -> None:
        self.times.append(now_ms)


@dataclass
class RiskGate:
    default_limits: RiskLimits = field(default_factory=RiskLimits)
    per_symbol: dict[tuple[str, str], RiskLimits] = field(default_factory=dict)  # (venue, symbol|"*") -> limits
    checks: tuple[Check, ...] = DEFAULT_CHECKS
    _sends: dict[str, _Window] = field(default_factory=dict, repr=False)
    _cancels: dict[str, _Window] = field(default_factory=dict, repr=False)

    def limits_for(self, venue: str, symbol: str) -> RiskLimits:
        return self.per_symbol.get((venue, symbol)) or self.per_symbol.get((venue, "*")) or self.default_limits

    def check(self, spec: OrderSpec, ctx: RiskContext, *, static: bool = False) -> list[Problem]:
        limits = self.limits_for(spec.venue, spec.symbol)
        problems: list[Problem] = []
        checks = FLATTEN_CHECKS if ctx.flattening else STATIC_CHECKS if static else self.checks
        for check in checks:
            problems.extend(check(spec, ctx, limits))
        return problems

    # -- throttles -----------------------------------------------------------------------------
    def sends_last_s(self, venue: str, now_ms: int) -> int:
        return self._sends.setdefault(venue, _Window()).count(now_ms)

    def record_send(self, venue: str, now_ms: int) -> None:
        self._sends.setdefault(venue, _Window()).add(now_ms)

    def check_cancel(self, venue: str, symbol: str, now_ms: int) -> list[Problem]:
        limit = self.limits_for(venue, symbol).cancels_per_s
        count = self._cancels.setdefault(venue, _Window()).count(now_ms)
        if count >= limit:
            return [Problem("cancel_rate", f"{count} cancels on {venue} in the last second (limit {limit}/s): "
                            f"slow down, or use the kill switch to cancel everything")]
        return []

    def record_cancel(self, venue: str, now_ms: int) -> None:
        self._cancels.setdefault(venue, _Window()).add(now_ms)

    # -- changes (only through Desk.set_risk_limits) -------------------------------------------
    def with_limits(self, venue: str | None, symbol: str | None, changes: dict) -> tuple[RiskLimits, RiskLimits]:
        """Replace one entry's limits; returns (before, after). venue None = the defaults."""
        unknown = set(changes) - set(RiskLimits.field_names())
        if unknown:
            raise ValueError(f"unknown risk limit {', '.join(sorted(unknown))}: limits are "
                             f"{', '.join(RiskLimits.field_names())}")
        before = self.default_limits if venue is None else self.limits_for(venue, symbol or "*")
        after = replace(before, **changes)
        if venue is None:
            self.default_limits = after
        else:
            self.per_symbol[(venue, symbol or "*")] = after
        return before, after


def working_notional(orders: list[Order]) -> Decimal:
    return sum(((o.remaining * (o.spec.notional_price or ZERO)) for o in orders), ZERO)


def _fold(fills: Iterable[Fill], day_start_ms: int) -> tuple[dict[str, Position], dict[str, Position]]:
    before: dict[str, Position] = {}
    now: dict[str, Position] = {}
    for fill in sorted(fills, key=lambda f: (f.timestamp_ms, f.trade_id)):
        pos = now.get(fill.symbol) or Position(fill.venue, fill.symbol)
        now[fill.symbol] = pos.apply(fill)
        if fill.timestamp_ms and fill.timestamp_ms < day_start_ms:
            before[fill.symbol] = now[fill.symbol]
    return before, now


def realized_today(fills: Iterable[Fill], day_start_ms: int) -> Decimal:
    """Realized PnL net of fees from fills since ``day_start_ms``. Positions are folded from every fill
    (a close today realizes against yesterday's entry); a fill with no venue timestamp counts as today's."""
    before, now = _fold(fills, day_start_ms)
    total = ZERO
    for symbol, pos in now.items():
        start = before.get(symbol) or Position(pos.venue, symbol)
        total += (pos.realized_pnl - start.realized_pnl) - (pos.fees - start.fees)
    return total


def daily_pnl(fills: Iterable[Fill], day_start_ms: int, marks: dict[str, Decimal]) -> Decimal:
    """Realized today net of fees, plus unrealized PnL at ``marks`` on what is held now."""
    fills = list(fills)
    _, now = _fold(fills, day_start_ms)
    return realized_today(fills, day_start_ms) + sum(
        (pos.unrealized_pnl(marks.get(symbol)) for symbol, pos in now.items()), ZERO)
