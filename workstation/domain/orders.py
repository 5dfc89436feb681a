"""Orders: what someone wants (OrderSpec), and its life (Order) under a strict state machine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum

from .money import ZERO, check_bounds, dec


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> "Side":
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(str, Enum):
    MARKET = "market"
    LIMIT = "limit"
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"
    TAKE_PROFIT_MARKET = "take_profit_market"
    TAKE_PROFIT_LIMIT = "take_profit_limit"
    TRAILING_STOP = "trailing_stop"

    @property
    def has_limit_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)

    @property
    def has_trigger(self) -> bool:
        return self not in (OrderType.MARKET, OrderType.LIMIT)


class TimeInForce(str, Enum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class TriggerSource(str, Enum):
    """Which price fires a trigger. Native orders use the venue's (usually last); emulated ones any of these."""

    LAST = "last"
    MARK = "mark"
    BID_ASK = "bid_ask"  # a sell watches the bid, a buy the ask: the side it would trade against
    MID = "mid"


class Origin(str, Enum):
    HUMAN = "human"
    COPILOT = "copilot"
    EMULATOR = "emulator"  # a locally held order released on its trigger
    EXTERNAL = "external"  # found at the venue, placed by something else


class OrderStatus(str, Enum):
    PENDING_APPROVAL = "pending_approval"  # staged, waiting for a human
    DENIED = "denied"  # the risk gate said no; nothing was sent
    DECLINED = "declined"  # a human said no; nothing was sent
    EMULATED = "emulated"  # approved, held locally until its trigger
    NEW = "new"  # approved, intent journaled, sent; no answer yet
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"  # the venue said no
    EXPIRED = "expired"
    IN_DOUBT = "in_doubt"  # a send or cancel whose outcome is unknown
    LOST = "lost"  # not found at the venue after the grace period; still takes late fills

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_working(self) -> bool:
        """At the venue, or possibly at the venue: counts against exposure and must be canceled on kill."""
        return self in WORKING


S = OrderStatus
TERMINAL = frozenset({S.DENIED, S.DECLINED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.LOST})
WORKING = frozenset({S.NEW, S.OPEN, S.PARTIALLY_FILLED, S.IN_DOUBT})

# The only legal moves. A fill after a cancel (or expiry, or being declared lost) is legal:
# real venues report fills that raced the cancel.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_APPROVAL: frozenset({S.NEW, S.EMULATED, S.DENIED, S.DECLINED, S.EXPIRED}),
    S.EMULATED: frozenset({S.NEW, S.CANCELED, S.DENIED}),
    S.NEW: frozenset({S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.IN_DOUBT}),
    S.OPEN: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.IN_DOUBT}),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.CANCELED, S.EXPIRED, S.IN_DOUBT}),
    S.IN_DOUBT: frozenset({S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.LOST}),
    S.CANCELED: frozenset({S.FILLED}),
    S.EXPIRED: frozenset({S.FILLED}),
    S.LOST: frozenset({S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED}),
    S.DENIED: frozenset(),
    S.DECLINED: frozenset(),
    S.FILLED: frozenset(),
    S.REJECTED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, client_order_id: str, old: OrderStatus, new: OrderStatus):
        super().__init__(f"order {client_order_id}: illegal transition {old.value} -> {new.value}")
        self.client_order_id, self.old, self.new = client_order_id, old, new


def can_transition(old: OrderStatus, new: OrderStatus) -> bool:
    return old == new or new in TRANSITIONS[old]


class InvalidSpec(ValueError):
    """An order that cannot exist, whatever the venue: the message names the field and what to do."""


MAX_TEXT = 64  # venue, symbol, link ids: longer is not a name any venue uses
MAX_RATIONALE = 20_000
MAX_EPOCH_MS = 10**14  # the year 5138: anything later is not a time


def _check_text(name: str, value: object, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidSpec(f"{name.replace('_', ' ')} must be a name of 1 to {MAX_TEXT} characters, "
                          f"got {value!r:.40}")


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """What someone wants. Immutable; an edit makes a new spec."""

    venue: str
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    trailing_amount: Decimal | None = None
    trailing_percent: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    reduce_only: bool = False
    origin: Origin = Origin.HUMAN
    decision_mid: Decimal | None = None
    decided_at_ms: int | None = None
    rationale: str = ""
    # Links between orders: an OCO group id, or a bracket parent's client order id.
    oco_group: str | None = None
    parent_id: str | None = None
    # Triggers: which price fires them, and whether to hold the order locally even where the venue could.
    trigger_by: TriggerSource = TriggerSource.LAST
    emulate: bool = False

    def __post_init__(self) -> None:
        # Every field is checked here, so that no impossible order can exist anywhere: not in the ticket,
        # not from the copilot, not in the journal (one bad spec there would stop every later start).
        for name in ("venue", "symbol"):
            _check_text(name, getattr(self, name), required=True)
        for name in ("oco_group", "parent_id"):
            _check_text(name, getattr(self, name), required=False)
        if not isinstance(self.rationale, str) or len(self.rationale) > MAX_RATIONALE:
            raise InvalidSpec(f"rationale must be text of at most {MAX_RATIONALE} characters")
        for name, kind in (("side", Side), ("type", OrderType), ("time_in_force", TimeInForce), ("origin", Origin),
                           ("trigger_by", TriggerSource)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                try:
                    object.__setattr__(self, name, kind(value))
                except (ValueError, TypeError):
                    shown = repr(value)[:40]
                    raise InvalidSpec(f"{name.replace('_', ' ')} {shown} is not one of "
                                      f"{', '.join(k.value for k in kind)}") from None
        for name in ("amount", "price", "trigger_price", "trailing_amount", "trailing_percent", "decision_mid"):
            value = getattr(self, name)
            label = name.replace("_", " ")
            if value is None:
                if name == "amount":
                    raise InvalidSpec("amount is missing: enter a size above zero")
                continue
            try:
                value = check_bounds(dec(value), label, places=name != "decision_mid")
            except (TypeError, ValueError) as exc:
                raise InvalidSpec(f"{label}: {exc}" if not str(exc).startswith(label) else str(exc)) from None
            if value <= 0:
                raise InvalidSpec(f"{label} must be positive, got {value}: enter a number above zero")
            object.__setattr__(self, name, value)
        if self.trailing_percent is not None and self.trailing_percent >= 100:
            raise InvalidSpec(f"trailing percent must be below 100, got {self.trailing_percent}")
        for name in ("post_only", "reduce_only", "emulate"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidSpec(f"{name.replace('_', '-')} must be true or false, got {getattr(self, name)!r:.40}")
        if self.decided_at_ms is not None and (isinstance(self.decided_at_ms, bool)
                                               or not isinstance(self.decided_at_ms, int)
                                               or not 0 <= self.decided_at_ms < MAX_EPOCH_MS):
            raise InvalidSpec(f"decided at must be a time in epoch milliseconds, got {self.decided_at_ms!r:.40}")
        if self.type.has_limit_price and (self.price is None or self.price <= 0):
            raise InvalidSpec(f"a {self.type.value.replace('_', '-')} order needs a positive price")
        if self.type is OrderType.MARKET and self.price is not None:
            raise InvalidSpec("a market order takes no price: use a limit order to cap the price")
        if self.type.has_trigger and self.type is not OrderType.TRAILING_STOP:
            if self.trigger_price is None or self.trigger_price <= 0:
                raise InvalidSpec(f"a {self.type.value.replace('_', '-')} order needs a positive trigger price")
        if self.type is OrderType.TRAILING_STOP:
            if (self.trailing_amount is None) == (self.trailing_percent is None):
                raise InvalidSpec("a trailing stop needs exactly one of trailing amount or trailing percent")
            offset = self.trailing_amount if self.trailing_amount is not None else self.trailing_percent
            if offset is None or offset <= 0:
                raise InvalidSpec("the trailing offset must be positive")
        if self.post_only and self.type is not OrderType.LIMIT:
            raise InvalidSpec("post-only applies to limit orders only")
        if self.post_only and self.time_in_force is not TimeInForce.GTC:
            raise InvalidSpec("post-only cannot be combined with IOC or FOK: it must rest")
        if self.type is OrderType.MARKET and self.time_in_force is not TimeInForce.GTC:
            # a market order is immediate by nature; accept IOC as a synonym, refuse FOK confusion
            object.__setattr__(self, "time_in_force", TimeInForce.GTC)

    def with_changes(self, **changes) -> "OrderSpec":
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise InvalidSpec(f"an order has no field {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    @property
    def notional_price(self) -> Decimal | None:
        """The price that best describes the order's size in quote, for limits and checks."""
        return self.price or self.trigger_price or self.decision_mid


@dataclass(frozen=True, slots=True)
class Fill:
    venue: str
    trade_id: str
    client_order_id: str
    venue_order_id: str | None
    symbol: str
    side: Side
    price: Decimal
    amount: Decimal
    fee: Decimal = ZERO
    fee_currency: str = ""
    liquidity: str | None = None  # "maker" | "taker" | None when the venue does not say
    timestamp_ms: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.venue, self.trade_id)

    @property
    def notional(self) -> Decimal:
        return self.price * self.amount


LEGS = ("decided", "staged", "approved", "sent", "acked", "first_fill", "done")


@dataclass(slots=True)
class Order:
    """A spec plus its life. Mutated only by the Desk, through ``transition`` and ``apply_fill``."""

    spec: OrderSpec
    client_order_id: str
    status: OrderStatus = OrderStatus.PENDING_APPROVAL
    venue_order_id: str | None = None
    filled: Decimal = ZERO
    cost: Decimal = ZERO  # sum of price * amount over fills
    fee: Decimal = ZERO
    fee_currency: str = ""
    trade_ids: set[str] = field(default_factory=set)
    # Wall-clock ms for display and export; monotonic ns for latency that a clock jump cannot corrupt.
    wall_ms: dict[str, int] = field(default_factory=dict)
    mono_ns: dict[str, int] = field(default_factory=dict)
    approval_mid: Decimal | None = None
    arrival_mid: Decimal | None = None
    reason: str = ""  # why denied / declined / rejected
    errors: list[str] = field(default_factory=list)
    external: bool = False
    cancel_requested: bool = False
    # The level a stop, take-profit or trailing stop fired at, kept when it is released as a market order:
    # the price the trader meant, which the execution record measures slippage against.
    intended_price: Decimal | None = None

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def venue(self) -> str:
        return self.spec.venue

    @property
    def side(self) -> Side:
        return self.spec.side

    @property
    def amount(self) -> Decimal:
        return self.spec.amount

    @property
    def remaining(self) -> Decimal:
        return max(self.spec.amount - self.filled, ZERO)

    @property
    def average(self) -> Decimal | None:
        return self.cost / self.filled if self.filled else None

    def stamp(self, leg: str, wall_ms: int, mono_ns: int) -> None:
        if leg not in LEGS:
            raise ValueError(f"unknown leg {leg!r}; legs are {', '.join(LEGS)}")
        self.wall_ms.setdefault(leg, wall_ms)
        self.mono_ns.setdefault(leg, mono_ns)

    def transition(self, new: OrderStatus) -> bool:
        """Move to ``new``. Returns False for a no-op; raises IllegalTransition for an illegal move."""
        if new == self.status:
            return False
        if not can_transition(self.status, new):
            raise IllegalTransition(self.client_order_id, self.status, new)
        self.status = new
        return True

    def apply_fill(self, fill: Fill) -> bool:
        """Count a fill once. Returns False for a duplicate trade id. Status follows the filled amount."""
        if fill.trade_id in self.trade_ids:
            return False
        if self.filled + fill.amount > self.spec.amount:
            raise ValueError(
                f"order {self.client_order_id}: fill {fill.trade_id} of {fill.amount} would overfill "
                f"({self.filled} of {self.spec.amount} already filled)"
            )
        self.trade_ids.add(fill.trade_id)
        self.filled += fill.amount
        self.cost += fill.price * fill.amount
        self.fee += fill.fee
        self.fee_currency = self.fee_currency or fill.fee_currency
        if self.filled == self.spec.amount:
            self.transition(OrderStatus.FILLED)
        elif self.status in (S.NEW, S.OPEN, S.IN_DOUBT, S.LOST):
            self.transition(OrderStatus.PARTIALLY_FILLED)
        return True
