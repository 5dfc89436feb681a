"""The read tools: snapshots of markets, books, the account and executions, for a model to reason on.

Each is ``async def name(session, args) -> ToolResult``, registered in catalogue.py. They read through
the session's CopilotView; venue text goes through ``text`` (bounded, control characters removed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.orders import OrderStatus
from .results import ToolResult, text
from .schema import FieldError


async def list_markets(session: Any, args: dict[str, Any]) -> ToolResult:
    watched = set(session.view.watched())
    markets = []
    for venue, symbol in session.view.markets():
        m = session.view.market(venue, symbol)
        markets.append({"venue": venue, "symbol": symbol, "kind": m.kind, "base": m.base, "quote": m.quote,
                        "tick": m.tick, "lot": m.lot, "min_amount": m.min_amount, "min_cost": m.min_cost,
                        "taker_fee": m.taker_fee, "maker_fee": m.maker_fee, "mid": session.view.mark(venue, symbol),
                        "live": (venue, symbol) in watched})
    venues = [{"name": v.name, "environment": v.environment, "connected": v.connected,
               "last_error": text(v.last_error)} for v in session.view.venue_status()]
    return ToolResult("list_markets", True, {"venues": venues, "markets": markets})


async def get_market(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    limits = session.view.limits(m.venue, m.symbol)
    return ToolResult("get_market", True, {
        "venue": m.venue, "symbol": m.symbol, "kind": m.kind, "base": m.base, "quote": m.quote,
        "settle": m.settle, "tick": m.tick, "lot": m.lot, "min_amount": m.min_amount, "max_amount": m.max_amount,
        "min_cost": m.min_cost, "contract_size": m.contract_size, "maker_fee": m.maker_fee,
        "taker_fee": m.taker_fee, "max_leverage": m.max_leverage, "active": m.active,
        "supported": sorted(m.capabilities), "risk_limits": _limits_dict(limits)})


async def get_book(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    book = session.view.book(m.venue, m.symbol)
    if book is None:
        return ToolResult("get_book", False, errors=[FieldError("symbol", f"no book for {m.symbol} yet",
                                                                "pick a symbol marked live in list_markets",
                                                                "no_book")])
    depth = args.get("depth", 10)
    return ToolResult("get_book", True, {
        "venue": m.venue, "symbol": m.symbol, "mid": book.mid, "spread": book.spread,
        "spread_bps": None if book.spread_bps is None else book.spread_bps.quantize(Decimal("0.01")),
        "age_ms": session.view.book_age_ms(m.venue, m.symbol),
        "bids": [[p, a] for p, a in book.bids[:depth]], "asks": [[p, a] for p, a in book.asks[:depth]]})


async def get_trades(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    rows = await session.view.trades(m.venue, m.symbol, args.get("limit", 30))
    return ToolResult("get_trades", True, [{"time_ms": r.get("time_ms"), "side": text(r.get("side"), 8),
                                            "price": r.get("price"), "amount": r.get("amount")} for r in rows])


async def get_candles(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    rows = await session.view.candles(m.venue, m.symbol, args.get("timeframe", "1m"), args.get("limit", 60))
    return ToolResult("get_candles", True, {"columns": ["time_ms", "open", "high", "low", "close", "volume"],
                                            "rows": [list(r) for r in rows]})


async def get_positions(session: Any, args: dict[str, Any]) -> ToolResult:
    out = []
    for p in session.view.positions():
        mark = session.view.mark(p.venue, p.symbol)
        out.append({"venue": p.venue, "symbol": p.symbol, "size": p.size, "side": p.side,
                    "average_entry": p.average_entry, "mark": mark, "unrealized_pnl": p.unrealized_pnl(mark),
                    "realized_pnl": p.realized_pnl})
    return ToolResult("get_positions", True, out)


async def get_orders(session: Any, args: dict[str, Any]) -> ToolResult:
    out = []
    for o in session.view.orders():
        if not (o.status.is_working or o.status in (OrderStatus.PENDING_APPROVAL, OrderStatus.EMULATED)):
            continue
        out.append({"client_order_id": o.client_order_id, "venue": o.venue, "symbol": o.symbol,
                    "side": o.side.value, "type": o.spec.type.value, "amount": o.amount, "filled": o.filled,
                    "price": o.spec.price, "trigger_price": o.spec.trigger_price, "status": o.status.value,
                    "origin": o.spec.origin.value})
    return ToolResult("get_orders", True, out)


async def get_balances(session: Any, args: dict[str, Any]) -> ToolResult:
    venues = [args["venue"]] if args.get("venue") else sorted({v for v, _ in session.view.markets()})
    out = {}
    for venue in venues:
        out[venue] = {c: {"free": b.free, "used": b.used, "total": b.total}
                      for c, b in sorted(session.view.balances(venue).items())}
    return ToolResult("get_balances", True, out)


async def get_executions(session: Any, args: dict[str, Any]) -> ToolResult:
    out = []
    for e in session.view.executions()[: args.get("limit", 10)]:
        out.append({"client_order_id": e.client_order_id, "symbol": e.symbol, "side": e.side.value,
                    "type": e.order_type.value, "origin": e.origin, "status": e.status, "amount": e.amount,
                    "filled": e.filled, "average_price": e.average_price, "slippage_bps": e.slippage_bps,
                    "slippage_decision_bps": e.slippage_decision_bps, "latency_ms": e.latency_ms,
                    "fees": e.fees, "errors": [text(x) for x in e.errors]})
    return ToolResult("get_executions", True, out)


async def get_risk_limits(session: Any, args: dict[str, Any]) -> ToolResult:
    m = session.resolve(args.get("venue"), args["symbol"])
    return ToolResult("get_risk_limits", True, _limits_dict(session.view.limits(m.venue, m.symbol)))


def _limits_dict(limits: Any) -> dict[str, Any]:
    return {"max_order_notional": limits.max_order_notional, "max_order_amount": limits.max_order_amount,
            "max_open_orders": limits.max_open_orders, "price_collar_pct": limits.price_collar_pct,
            "stale_book_ms": limits.stale_book_ms}
