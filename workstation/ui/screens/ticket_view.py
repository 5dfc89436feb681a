"""What the ticket says about a request: the expected fill, the notional and the position after, and
what will happen on approval (native at the venue, or held here), one line per order; a scaled order
names each child's own size. Pure reads of the Desk; the ticket screen only displays these lines."""

from __future__ import annotations

from typing import Any

from ...desk.contingent import GroupError, bracket_children, scaled_specs
from ...domain.orders import InvalidSpec, OrderSpec, OrderType, TriggerSource
from .. import format as fmt
from ..preview import Preview

# The types the ticket cycles through (limit first: the ticket opens as a limit at the cursor or touch).
TYPES: list[Any] = [OrderType.LIMIT, OrderType.MARKET, OrderType.STOP_MARKET, OrderType.STOP_LIMIT,
                    OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT, OrderType.TRAILING_STOP,
                    "bracket", "oco", "scaled"]
GROUPS = ("bracket", "oco", "scaled")
UNITS = ["base", "quote", "pct"]
TRIGGER_SOURCES = [TriggerSource.LAST, TriggerSource.MARK, TriggerSource.BID_ASK, TriggerSource.MID]
DISTRIBUTIONS = ["equal", "increasing", "decreasing"]

# The fields each type shows (besides side, symbol, amount, units, type, reduce-only).
FIELDS: dict[Any, set[str]] = {
    OrderType.MARKET: {"tif"},
    OrderType.LIMIT: {"tif", "price", "post_only"},
    OrderType.STOP_MARKET: {"trigger", "trigger_by"},
    OrderType.STOP_LIMIT: {"price", "trigger", "trigger_by"},
    OrderType.TAKE_PROFIT_MARKET: {"trigger", "trigger_by"},
    OrderType.TAKE_PROFIT_LIMIT: {"price", "trigger", "trigger_by"},
    OrderType.TRAILING_STOP: {"trail", "trigger", "trigger_by"},
    "bracket": {"price", "stop", "tp", "trail", "trigger_by"},
    "oco": {"price", "trigger", "trigger_by"},
    "scaled": {"tif", "start", "end", "count", "distribution", "post_only"},
}
OPTIONAL = ["tif", "price", "trigger", "trigger_by", "trail", "stop", "tp", "start", "end", "count", "distribution"]
EXTRA = {"trail", "stop", "tp", "start", "end", "count", "distribution"}  # built on first use (see the ticket)
LABELS: dict[Any, dict[str, str]] = {
    OrderType.TRAILING_STOP: {"trigger": "Activate"},
    "bracket": {"price": "Entry", "trail": "Trail SL"},
    "oco": {"price": "Limit", "trigger": "Stop"},
}
DEFAULT_LABELS = {"tif": "TIF", "price": "Price", "trigger": "Trigger", "trigger_by": "Fires on", "trail": "Trail",
                  "stop": "Stop-loss", "tp": "Take-prof", "start": "From", "end": "To", "count": "Orders",
                  "distribution": "Sizes"}
PLACEHOLDERS: dict[Any, dict[str, str]] = {
    OrderType.TRAILING_STOP: {"trigger": "optional activation price"},
    "bracket": {"price": "blank = market entry", "trail": "optional: 50 or 0.5%"},
    "oco": {"price": "limit leg", "trigger": "stop leg trigger"},
}
DEFAULT_PLACEHOLDERS = {"price": "limit price", "trigger": "trigger price", "trail": "amount, or 0.5%",
                        "stop": "stop trigger", "tp": "limit price", "start": "first price", "end": "last price",
                        "count": "2 to 50"}


def type_value(t: Any) -> str:
    return t.value if isinstance(t, OrderType) else t


TYPE_WORDS = {
    OrderType.MARKET: "market", OrderType.LIMIT: "limit", OrderType.STOP_MARKET: "stop",
    OrderType.STOP_LIMIT: "stop-limit", OrderType.TAKE_PROFIT_MARKET: "take-profit",
    OrderType.TAKE_PROFIT_LIMIT: "take-profit limit", OrderType.TRAILING_STOP: "trailing stop",
}


def words(order_type: Any) -> str:
    """An order type as a trader says it (never ``stop_market``)."""
    return TYPE_WORDS.get(order_type, str(getattr(order_type, "value", order_type)).replace("_", " "))


def leg(spec: OrderSpec) -> str:
    level = spec.price if spec.type is OrderType.LIMIT else spec.trigger_price
    if spec.type is OrderType.TRAILING_STOP:
        offset = spec.trailing_amount if spec.trailing_amount is not None else f"{spec.trailing_percent}%"
        return f"{spec.side.value} trailing {offset} on {spec.trigger_by.value.replace('_', '/')}"
    return f"{spec.side.value} {words(spec.type)} at {level}" + (
        f" (on {spec.trigger_by.value.replace('_', '/')})" if spec.type.has_trigger else "")


def explain(desk: Any, request: Any) -> list[str]:
    """What will happen on approval, one line per order (``desk.explain``); groups say how they tie."""
    spec = request.spec
    if request.group == "bracket":
        market = desk.market(spec.venue, spec.symbol)
        lines = [f"entry: {desk.explain(spec)}"]
        for role, child in bracket_children(spec, derivative=market.is_derivative, **request.params):
            lines.append(f"{role.replace('_', '-')}: emulated locally: needs the workstation running. "
                         f"{leg(child)}, armed when the entry fills and sized to the fill")
        lines.append("stop-loss and take-profit are an OCO pair: the first to trigger goes, the other is canceled")
        return lines
    if request.group == "oco":
        legs = request.params["legs"]
        return ["emulated locally: needs the workstation running. Both legs are held here (ccxt has no unified OCO): "
                + " / ".join(leg(x) for x in legs) + "; the first to trigger goes through the risk gate, the other "
                "is canceled"]
    if request.group == "scaled":
        p = request.params
        market = desk.market(spec.venue, spec.symbol)
        try:
            children = scaled_specs(market, spec, p["total"], p["start"], p["end"], p["count"], p["distribution"])
        except (GroupError, InvalidSpec) as exc:
            return [f"✗ {exc}"]
        ad, pd = market.amount_decimals(), market.price_decimals()
        sizes = sorted({c.amount for c in children})
        each = (f"each {fmt.amount(sizes[0], ad)} {market.base}" if len(sizes) == 1 else
                f"from {fmt.amount(children[0].amount, ad)} to {fmt.amount(children[-1].amount, ad)} {market.base}")
        first = desk.explain(children[0]).replace(f" {children[0].amount} ", " ")
        return [f"{len(children)} limit orders from {fmt.price(children[0].price, pd)} to "
                f"{fmt.price(children[-1].price, pd)}, {each} ({p['distribution']} sizes), "
                f"{fmt.amount(sum(c.amount for c in children), ad)} {market.base} in all; each {first}"]
    return [desk.explain(spec)]


def preview_lines(desk: Any, request: Any, p: Preview) -> list[str]:
    spec = request.spec
    market = desk.market(spec.venue, spec.symbol)
    pd, ad = market.price_decimals(), market.amount_decimals()
    lines = []
    if request.group:
        lines.append(f"{request.group.upper():9} {group_line(request, pd, ad)}")
    if spec.type is OrderType.MARKET and p.walk is not None:
        complete = "complete" if p.walk.complete else f"only {fmt.amount(p.walk.filled, ad)} in the book"
        lines.append(f"Expected  avg {fmt.price(p.expected_average, pd)}  worst {fmt.price(p.walk.worst_price, pd)}"
                     f"  slippage {fmt.bps(p.slippage_bps)} bp  {p.walk.levels} levels  {complete}")
    elif spec.type is OrderType.LIMIT and request.group != "scaled":
        if p.marketable:
            lines.append(f"Crosses   {fmt.amount(p.marketable, ad)} fills now (avg {fmt.price(p.expected_average, pd)},"
                         f" slippage {fmt.bps(p.slippage_bps)} bp), {fmt.amount(p.rests, ad)} rests")
        else:
            lines.append(f"Rests     {fmt.amount(spec.amount, ad)} at {fmt.price(spec.price, pd)}"
                         f"  ({fmt.bps(p.slippage_bps)} bp from the mid)")
    elif spec.type is OrderType.TRAILING_STOP:
        offset = f"{spec.trailing_amount}" if spec.trailing_amount is not None else f"{spec.trailing_percent}%"
        lines.append(f"Trails    {offset} behind the best {spec.trigger_by.value.replace('_', '/')} price"
                     + (f", active from {fmt.price(spec.trigger_price, pd)}" if spec.trigger_price else "")
                     + ", then market")
    elif spec.type.has_trigger:
        lines.append(f"Triggers  at {fmt.price(spec.trigger_price, pd)} (on {spec.trigger_by.value.replace('_', '/')}),"
                     f" then {'limit' if spec.type.has_limit_price else 'market'}")
    if request.group != "scaled":
        lines.append(f"Notional  {fmt.num(p.notional, 2)} {market.quote}   amount {fmt.amount(spec.amount, ad)} "
                     f"{market.base}   position {fmt.amount(p.position_before, ad)} → {fmt.amount(p.position_after, ad)}")
    return lines


def group_line(request: Any, pd: int, ad: int) -> str:
    p = request.params
    if request.group == "bracket":
        parts = [f"entry {fmt.price(request.spec.price, pd) if request.spec.price else 'market'}"]
        if "trailing_amount" in p or "trailing_percent" in p:
            parts.append(f"trailing SL {p.get('trailing_amount') or str(p.get('trailing_percent')) + '%'}")
        elif "stop_price" in p:
            parts.append(f"SL {fmt.price(p['stop_price'], pd)}")
        if "take_profit_price" in p:
            parts.append(f"TP {fmt.price(p['take_profit_price'], pd)}")
        return "  ".join(parts)
    if request.group == "oco":
        a, b = p["legs"]
        return f"limit {fmt.price(a.price, pd)}  or  stop {fmt.price(b.trigger_price, pd)}"
    return f"{p['count']} × limit {fmt.price(p['start'], pd)} → {fmt.price(p['end'], pd)}, " \
           f"{fmt.amount(p['total'], ad)} total"
