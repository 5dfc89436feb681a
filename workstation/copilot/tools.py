"""The copilot's tool catalogue: read tools over snapshots, act tools that can only *stage*.

Every call goes through one path, ``ToolSession.call``: the tool must exist, its arguments
must satisfy the tool's JSON schema, the resulting orders must pass the market's rules and
the risk gate (a dry run through ``CopilotView.check``) and a few checks of our own (a stop
on the right side of the market, a type the venue supports). Anything wrong comes back as
a list of errors naming the field and what would pass, and is journaled as an error
scenario ('copilot_error'). A good act call stages orders at the Desk (PENDING_APPROVAL,
origin copilot) or records a cancel/modify suggestion, and becomes a ``Proposal``.

There is no tool that approves, sends, cancels or modifies: the catalogue is fixed here,
and nothing a model or market data says can add to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Awaitable, Callable

from ..domain.market import Market, Problem
from ..domain.money import ZERO
from ..domain.orders import InvalidSpec, OrderSpec, OrderStatus, OrderType, Origin, Side, TimeInForce
from ..domain.reports import Balance
from .proposals import Proposal, expected_cost, impact, new_proposal_id, take_snapshot
from .schema import ArgumentsError, FieldError, parse_arguments, validate
from .view import CopilotView, ViewError

# -- schema building blocks -------------------------------------------------------------------


def _dec(description: str, example: str = "0.5") -> dict[str, Any]:
    return {"type": ["string", "number"], "format": "decimal", "exclusiveMinimum": 0,
            "description": f"{description} (a decimal, preferably as a string like \"{example}\")",
            "examples": [example]}


_SYMBOL = {"type": "string", "maxLength": 40, "description": "market symbol, e.g. \"ETH/USDT\" (spot) or "
           "\"BTC/USDT:USDT\" (perpetual)"}
_VENUE = {"type": "string", "maxLength": 40, "description": "venue name, e.g. \"paper\"; optional when only one "
          "venue lists the symbol"}
_SIDE = {"type": "string", "enum": ["buy", "sell"], "description": "buy or sell"}
_RATIONALE = {"type": "string", "minLength": 3, "maxLength": 2000,
              "description": "why, in plain words the trader can check: the setup, the numbers, the risk"}
_CID = {"type": "string", "maxLength": 64, "description": "the client order id of a working order (see get_orders)"}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


ORDER_TYPES = [t.value for t in OrderType]

SCHEMAS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # name: (kind, description, parameters)
    "list_markets": ("read", "List venues and markets with their tick, lot, minimums and fees, and venue status.",
                     _obj({}, [])),
    "get_market": ("read", "One market's rules (tick, lot, minimums, fees), the order types the venue supports, "
                   "and the risk limits that apply.", _obj({"symbol": _SYMBOL, "venue": _VENUE}, ["symbol"])),
    "get_book": ("read", "The order book now: best levels each side, mid, spread, age.",
                 _obj({"symbol": _SYMBOL, "venue": _VENUE,
                       "depth": {"type": "integer", "minimum": 1, "maximum": 50, "description": "levels per side"}},
                      ["symbol"])),
    "get_trades": ("read", "Recent public trades.",
                   _obj({"symbol": _SYMBOL, "venue": _VENUE,
                         "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "how many"}},
                        ["symbol"])),
    "get_candles": ("read", "Recent OHLCV candles, oldest first.",
                    _obj({"symbol": _SYMBOL, "venue": _VENUE,
                          "timeframe": {"type": "string", "enum": ["1m", "5m", "15m", "1h"], "description": "bar size"},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 500, "description": "how many bars"}},
                         ["symbol"])),
    "get_positions": ("read", "Open positions with size, average entry and PnL.", _obj({}, [])),
    "get_orders": ("read", "Working orders and orders waiting for approval.", _obj({}, [])),
    "get_balances": ("read", "Free, used and total balance per currency.", _obj({"venue": _VENUE}, [])),
    "get_executions": ("read", "Recent executions with slippage (bps) and latency (ms).",
                       _obj({"limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "how many"}},
                            [])),
    "get_risk_limits": ("read", "The risk limits for a market: max order notional and amount, price collar, "
                        "max open orders.", _obj({"symbol": _SYMBOL, "venue": _VENUE}, ["symbol"])),
    "stage_order": ("act", "Propose one order. It waits for the trader's approval; nothing is sent by this call.",
                    _obj({"symbol": _SYMBOL, "venue": _VENUE, "side": _SIDE,
                          "type": {"type": "string", "enum": ORDER_TYPES, "description": "order type"},
                          "amount": _dec("size in base units", "0.5"),
                          "price": _dec("limit price, for limit, stop_limit and take_profit_limit", "3000.50"),
                          "trigger_price": _dec("trigger price for stop and take-profit types", "2950.00"),
                          "trailing_amount": _dec("trailing offset in quote, for trailing_stop", "25"),
                          "trailing_percent": _dec("trailing offset in percent, for trailing_stop", "1.5"),
                          "time_in_force": {"type": "string", "enum": ["GTC", "IOC", "FOK"],
                                            "description": "time in force for limit orders"},
                          "post_only": {"type": "boolean", "description": "limit orders only: rest, never take"},
                          "reduce_only": {"type": "boolean", "description": "derivatives only: only reduce a position"},
                          "rationale": _RATIONALE},
                         ["symbol", "side", "type", "amount", "rationale"])),
    "stage_bracket": ("act", "Propose an entry with a protective stop-loss and a take-profit (the exits are "
                      "linked as one-cancels-other). Waits for approval.",
                      _obj({"symbol": _SYMBOL, "venue": _VENUE, "side": _SIDE,
                            "amount": _dec("size in base units", "0.5"),
                            "entry_type": {"type": "string", "enum": ["limit", "market"], "description": "entry order type"},
                            "price": _dec("entry limit price (limit entries)", "3000.50"),
                            "stop_loss": _dec("stop-loss trigger price: below entry for a buy, above for a sell", "2950"),
                            "take_profit": _dec("take-profit price: above entry for a buy, below for a sell", "3100"),
                            "rationale": _RATIONALE},
                           ["symbol", "side", "amount", "entry_type", "stop_loss", "take_profit", "rationale"])),
    "stage_scaled": ("act", "Propose a ladder of limit orders spreading a total amount evenly between two prices "
                     "(scaling into or out of a position). Waits for approval.",
                     _obj({"symbol": _SYMBOL, "venue": _VENUE, "side": _SIDE,
                           "total_amount": _dec("total size in base units across all orders", "0.5"),
                           "from_price": _dec("first (nearest) limit price", "3000"),
                           "to_price": _dec("last (furthest) limit price", "2950"),
                           "orders": {"type": "integer", "minimum": 2, "maximum": 20, "description": "number of orders"},
                           "rationale": _RATIONALE},
                          ["symbol", "side", "total_amount", "from_price", "to_price", "orders", "rationale"])),
    "propose_cancel": ("act", "Suggest canceling a working order. The trader confirms; nothing is canceled by "
                       "this call.", _obj({"client_order_id": _CID, "rationale": _RATIONALE},
                                          ["client_order_id", "rationale"])),
    "propose_modify": ("act", "Suggest a new amount and/or price for a working order. The trader confirms.",
                       _obj({"client_order_id": _CID, "amount": _dec("new total amount", "0.5"),
                             "price": _dec("new limit price", "3000.50"), "rationale": _RATIONALE},
                            ["client_order_id", "rationale"])),
}

READ_TOOLS = tuple(n for n, (k, _, _) in SCHEMAS.items() if k == "read")
ACT_TOOLS = tuple(n for n, (k, _, _) in SCHEMAS.items() if k == "act")


def openai_tools() -> list[dict[str, Any]]:
    """The catalogue in the chat-completions ``tools`` format. Fixed: built from this module only."""
    return [{"type": "function", "function": {"name": name, "description": desc, "parameters": params}}
            for name, (_, desc, params) in SCHEMAS.items()]


# -- results ------------------------------------------------------------------------------------


@dataclass(slots=True)
class ToolResult:
    tool: str
    ok: bool
    data: Any = None
    errors: list[FieldError] = field(default_factory=list)
    proposal: Proposal | None = None

    @property
    def scenario(self) -> str | None:
        return self.errors[0].scenario if self.errors else None

    def message(self) -> str:
        if self.ok:
            return "ok"
        return f"{self.tool}: " + "; ".join(map(str, self.errors))

    def for_model(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "result": self.data}
        return {"ok": False, "error": self.message(), "errors": [e.as_dict() for e in self.errors],
                "hint": "fix the fields named above and call again"}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value: Any, limit: int = 300) -> str | None:
    """Venue text for a model: control characters removed and bounded. Still data, never instructions."""
    if value is None:
        return None
    out = _CONTROL.sub(" ", str(value))
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step if step > 0 else value


def _ceil(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step if step > 0 else value


# -- the session --------------------------------------------------------------------------------

Handler = Callable[["ToolSession", dict[str, Any]], Awaitable[ToolResult]]


class ToolSession:
    """One copilot's access to the tools, for one turn or many. Holds no Desk, only a view."""

    def __init__(self, view: CopilotView, origin: str, *, expiry_s: float = 120.0, prompt: str | None = None,
                 on_proposal: Callable[[Proposal], None] | None = None,
                 on_error: Callable[[ToolResult, Any], None] | None = None):
        self.view = view
        self.origin = origin  # e.g. "copilot:rules"; the actor on every journal row
        self.expiry_s = expiry_s
        self.prompt = prompt
        self.on_proposal = on_proposal
        self.on_error = on_error
        self.proposals: list[Proposal] = []
        self.failures: list[ToolResult] = []

    @staticmethod
    def tool_names() -> tuple[str, ...]:
        return tuple(SCHEMAS)

    async def call(self, name: str, raw_arguments: Any) -> ToolResult:
        """Validate and run one tool call. Never raises for a bad call: the error is the result."""
        result = await self._call(name, raw_arguments)
        if not result.ok:
            self.failures.append(result)
            self._record_error(result, raw_arguments)
        return result

    async def _call(self, name: str, raw_arguments: Any) -> ToolResult:
        if not isinstance(name, str) or name not in SCHEMAS:
            available = ", ".join(SCHEMAS)
            return ToolResult(str(name), False, errors=[FieldError(
                None, f"unknown tool {text(name, 60)!r}", f"use one of: {available}", "unknown_tool")])
        try:
            args = parse_arguments(raw_arguments)
        except ArgumentsError as exc:
            return ToolResult(name, False, errors=exc.errors)
        _, _, schema = SCHEMAS[name]
        args, errors = validate(name, schema, args)
        if errors:
            return ToolResult(name, False, errors=errors)
        handler: Handler = getattr(self, "_t_" + name)
        try:
            return await handler(args)
        except ViewError as exc:
            return ToolResult(name, False, errors=[FieldError("symbol", str(exc), "use a symbol from list_markets",
                                                              "unknown_market")])
        except Exception as exc:  # a venue read failing must come back as an error, not kill the turn
            return ToolResult(name, False, errors=[FieldError(None, f"could not run: {text(exc, 200)}",
                                                              "try again shortly", "tool_failed")])

    def _record_error(self, result: ToolResult, raw_arguments: Any) -> None:
        shown = raw_arguments if isinstance(raw_arguments, str) else repr(raw_arguments)
        payload = {"tool": result.tool, "scenario": result.scenario, "arguments": text(shown, 2000),
                   "errors": [e.as_dict() | {"scenario": e.scenario} for e in result.errors],
                   "message": result.message(), "prompt": self.prompt}
        try:
            self.view.record("copilot_error", payload, actor=self.origin)
        finally:
            if self.on_error is not None:
                self.on_error(result, raw_arguments)

    # -- helpers ------------------------------------------------------------------------------
    def _resolve(self, venue: str | None, symbol: str) -> Market:
        if venue:
            return self.view.market(venue, symbol)
        matches = [(v, s) for v, s in self.view.markets() if s == symbol]
        if len(matches) == 1:
            return self.view.market(*matches[0])
        if not matches:
            known = ", ".join(sorted({s for _, s in self.view.markets()}))
            raise ViewError(f"unknown symbol {symbol!r}; known symbols are {known}")
        raise ViewError(f"{symbol} is listed on {', '.join(v for v, _ in matches)}: add venue")

    # -- read tools ---------------------------------------------------------------------------
    async def _t_list_markets(self, args: dict[str, Any]) -> ToolResult:
        watched = set(self.view.watched())
        markets = []
        for venue, symbol in self.view.markets():
            m = self.view.market(venue, symbol)
            markets.append({"venue": venue, "symbol": symbol, "kind": m.kind, "base": m.base, "quote": m.quote,
                            "tick": m.tick, "lot": m.lot, "min_amount": m.min_amount, "min_cost": m.min_cost,
                            "taker_fee": m.taker_fee, "maker_fee": m.maker_fee, "mid": self.view.mark(venue, symbol),
                            "live": (venue, symbol) in watched})
        venues = [{"name": v.name, "environment": v.environment, "connected": v.connected,
                   "last_error": text(v.last_error)} for v in self.view.venue_status()]
        return ToolResult("list_markets", True, {"venues": venues, "markets": markets})

    async def _t_get_market(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        limits = self.view.limits(m.venue, m.symbol)
        return ToolResult("get_market", True, {
            "venue": m.venue, "symbol": m.symbol, "kind": m.kind, "base": m.base, "quote": m.quote,
            "settle": m.settle, "tick": m.tick, "lot": m.lot, "min_amount": m.min_amount, "max_amount": m.max_amount,
            "min_cost": m.min_cost, "contract_size": m.contract_size, "maker_fee": m.maker_fee,
            "taker_fee": m.taker_fee, "max_leverage": m.max_leverage, "active": m.active,
            "supported": sorted(m.capabilities), "risk_limits": _limits_dict(limits)})

    async def _t_get_book(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        book = self.view.book(m.venue, m.symbol)
        if book is None:
            return ToolResult("get_book", False, errors=[FieldError("symbol", f"no book for {m.symbol} yet",
                                                                    "pick a symbol marked live in list_markets",
                                                                    "no_book")])
        depth = args.get("depth", 10)
        return ToolResult("get_book", True, {
            "venue": m.venue, "symbol": m.symbol, "mid": book.mid, "spread": book.spread,
            "spread_bps": None if book.spread_bps is None else book.spread_bps.quantize(Decimal("0.01")),
            "age_ms": self.view.book_age_ms(m.venue, m.symbol),
            "bids": [[p, a] for p, a in book.bids[:depth]], "asks": [[p, a] for p, a in book.asks[:depth]]})

    async def _t_get_trades(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        rows = await self.view.trades(m.venue, m.symbol, args.get("limit", 30))
        return ToolResult("get_trades", True, [{"time_ms": r.get("time_ms"), "side": text(r.get("side"), 8),
                                                "price": r.get("price"), "amount": r.get("amount")} for r in rows])

    async def _t_get_candles(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        rows = await self.view.candles(m.venue, m.symbol, args.get("timeframe", "1m"), args.get("limit", 60))
        return ToolResult("get_candles", True, {"columns": ["time_ms", "open", "high", "low", "close", "volume"],
                                                "rows": [list(r) for r in rows]})

    async def _t_get_positions(self, args: dict[str, Any]) -> ToolResult:
        out = []
        for p in self.view.positions():
            mark = self.view.mark(p.venue, p.symbol)
            out.append({"venue": p.venue, "symbol": p.symbol, "size": p.size, "side": p.side,
                        "average_entry": p.average_entry, "mark": mark, "unrealized_pnl": p.unrealized_pnl(mark),
                        "realized_pnl": p.realized_pnl})
        return ToolResult("get_positions", True, out)

    async def _t_get_orders(self, args: dict[str, Any]) -> ToolResult:
        out = []
        for o in self.view.orders():
            if not (o.status.is_working or o.status in (OrderStatus.PENDING_APPROVAL, OrderStatus.EMULATED)):
                continue
            out.append({"client_order_id": o.client_order_id, "venue": o.venue, "symbol": o.symbol,
                        "side": o.side.value, "type": o.spec.type.value, "amount": o.amount, "filled": o.filled,
                        "price": o.spec.price, "trigger_price": o.spec.trigger_price, "status": o.status.value,
                        "origin": o.spec.origin.value})
        return ToolResult("get_orders", True, out)

    async def _t_get_balances(self, args: dict[str, Any]) -> ToolResult:
        venues = [args["venue"]] if args.get("venue") else sorted({v for v, _ in self.view.markets()})
        out = {}
        for venue in venues:
            out[venue] = {c: {"free": b.free, "used": b.used, "total": b.total}
                          for c, b in sorted(self.view.balances(venue).items())}
        return ToolResult("get_balances", True, out)

    async def _t_get_executions(self, args: dict[str, Any]) -> ToolResult:
        out = []
        for e in self.view.executions()[: args.get("limit", 10)]:
            out.append({"client_order_id": e.client_order_id, "symbol": e.symbol, "side": e.side.value,
                        "type": e.order_type.value, "origin": e.origin, "status": e.status, "amount": e.amount,
                        "filled": e.filled, "average_price": e.average_price, "slippage_bps": e.slippage_bps,
                        "slippage_decision_bps": e.slippage_decision_bps, "latency_ms": e.latency_ms,
                        "fees": e.fees, "errors": [text(x) for x in e.errors]})
        return ToolResult("get_executions", True, out)

    async def _t_get_risk_limits(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        return ToolResult("get_risk_limits", True, _limits_dict(self.view.limits(m.venue, m.symbol)))

    # -- act tools ------------------------------------------------------------------------------
    def _spec(self, m: Market, args: dict[str, Any], errors: list[FieldError], label: str = "",
              **fields: Any) -> OrderSpec | None:
        try:
            return OrderSpec(venue=m.venue, symbol=m.symbol, origin=Origin.COPILOT,
                             decision_mid=self.view.mark(m.venue, m.symbol), decided_at_ms=self.view.now_ms(),
                             rationale=args.get("rationale", ""), **fields)
        except InvalidSpec as exc:
            errors.append(FieldError(_field_of_invalid(str(exc)), label + str(exc), "", "invalid_order"))
            return None

    async def _t_stage_order(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        errors: list[FieldError] = []
        fields = {k: args[k] for k in ("amount", "price", "trigger_price", "trailing_amount", "trailing_percent",
                                       "post_only", "reduce_only") if k in args}
        spec = self._spec(m, args, errors, side=Side(args["side"]), type=OrderType(args["type"]),
                          time_in_force=TimeInForce(args.get("time_in_force", "GTC")), **fields)
        if spec is None:
            return ToolResult("stage_order", False, errors=errors)
        return await self._propose("stage_order", m, [("", spec)], args["rationale"])

    async def _t_stage_bracket(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        side = Side(args["side"])
        errors: list[FieldError] = []
        entry_type = OrderType(args["entry_type"])
        if entry_type is OrderType.LIMIT and "price" not in args:
            errors.append(FieldError("price", "is required for a limit entry", 'add price, e.g. "3000.50", or use '
                                     'entry_type "market"', "missing_field"))
        if entry_type is OrderType.MARKET and "price" in args:
            errors.append(FieldError("price", "a market entry takes no price", 'remove price or use entry_type '
                                     '"limit"', "extra_field"))
        if errors:
            return ToolResult("stage_bracket", False, errors=errors)
        entry_ref = args.get("price") or self.view.mark(m.venue, m.symbol)
        stop, take = args["stop_loss"], args["take_profit"]
        if entry_ref is not None:
            if side is Side.BUY and not stop < entry_ref < take:
                errors.append(FieldError("stop_loss" if stop >= entry_ref else "take_profit",
                                         f"a buy bracket needs stop_loss < entry ({entry_ref}) < take_profit; got "
                                         f"stop_loss {stop}, take_profit {take}",
                                         "put the stop below the entry and the take-profit above it", "wrong_side"))
            if side is Side.SELL and not take < entry_ref < stop:
                errors.append(FieldError("stop_loss" if stop <= entry_ref else "take_profit",
                                         f"a sell bracket needs take_profit < entry ({entry_ref}) < stop_loss; got "
                                         f"stop_loss {stop}, take_profit {take}",
                                         "put the stop above the entry and the take-profit below it", "wrong_side"))
        if errors:
            return ToolResult("stage_bracket", False, errors=errors)
        exit_side = side.opposite
        reduce = m.is_derivative
        oco = f"oco{new_proposal_id()}"
        entry = self._spec(m, args, errors, "entry: ", side=side, type=entry_type, amount=args["amount"],
                           price=args.get("price"))
        stop_leg = self._spec(m, args, errors, "stop_loss: ", side=exit_side, type=OrderType.STOP_MARKET,
                              amount=args["amount"], trigger_price=stop, reduce_only=reduce, oco_group=oco)
        tp_leg = self._spec(m, args, errors, "take_profit: ", side=exit_side, type=OrderType.LIMIT,
                            amount=args["amount"], price=take, reduce_only=reduce, oco_group=oco)
        if errors or entry is None or stop_leg is None or tp_leg is None:
            return ToolResult("stage_bracket", False, errors=errors)
        return await self._propose("stage_bracket", m, [("entry", entry), ("stop_loss", stop_leg),
                                                        ("take_profit", tp_leg)], args["rationale"], bracket=True)

    async def _t_stage_scaled(self, args: dict[str, Any]) -> ToolResult:
        m = self._resolve(args.get("venue"), args["symbol"])
        side, count = Side(args["side"]), args["orders"]
        total, first, last = args["total_amount"], args["from_price"], args["to_price"]
        errors: list[FieldError] = []
        each = _floor(total / count, m.lot)
        if each <= 0 or (m.min_amount is not None and each < m.min_amount):
            smallest = max(m.min_amount or m.lot, m.lot) * count
            errors.append(FieldError("total_amount", f"{total} split over {count} orders is {total / count} each, "
                                     f"below the minimum {m.min_amount or m.lot} {m.base}",
                                     f"use total_amount of at least {smallest} or fewer orders", "amount_min"))
            return ToolResult("stage_scaled", False, errors=errors)
        step = (last - first) / (count - 1)
        legs = []
        allocated = ZERO
        for i in range(count):
            amount = each if i < count - 1 else total - allocated
            allocated += amount
            raw = first + step * i
            price = m.round_price(raw, side)
            spec = self._spec(m, args, errors, f"order {i + 1} of {count}: ", side=side, type=OrderType.LIMIT,
                              amount=amount, price=price)
            if spec is not None:
                legs.append((f"order {i + 1} of {count}", spec))
        if errors:
            return ToolResult("stage_scaled", False, errors=errors)
        return await self._propose("stage_scaled", m, legs, args["rationale"])

    async def _t_propose_cancel(self, args: dict[str, Any]) -> ToolResult:
        order, error = self._working(args["client_order_id"])
        if error:
            return ToolResult("propose_cancel", False, errors=[error])
        return self._action("propose_cancel", "cancel", order, args["rationale"])

    async def _t_propose_modify(self, args: dict[str, Any]) -> ToolResult:
        order, error = self._working(args["client_order_id"], modify=True)
        if error:
            return ToolResult("propose_modify", False, errors=[error])
        if "amount" not in args and "price" not in args:
            return ToolResult("propose_modify", False, errors=[FieldError(
                "amount", "nothing to change", "give a new amount, a new price, or both", "missing_field")])
        errors: list[FieldError] = []
        m = self.view.market(order.venue, order.symbol)
        new_amount, new_price = args.get("amount"), args.get("price")
        if new_amount is not None and new_amount <= order.filled:
            errors.append(FieldError("amount", f"{new_amount} is not above the {order.filled} already filled",
                                     f"use more than {order.filled}", "impossible_value"))
        if new_price is not None and not order.spec.type.has_limit_price:
            errors.append(FieldError("price", f"a {order.spec.type.value} order has no limit price to change",
                                     "change the amount, or propose a cancel and a new order", "invalid_value"))
        if errors:
            return ToolResult("propose_modify", False, errors=errors)
        new_spec = order.spec.with_changes(amount=new_amount or order.spec.amount, price=new_price or order.spec.price)
        # the order's own reservation is already counted: skip balance and open-order count, as the Desk does
        problems = [p for p in self.view.check(new_spec) if p.rule not in ("max_open_orders", "insufficient_balance")]
        errors = [self._problem_error(p, new_spec, m) for p in problems]
        if errors:
            return ToolResult("propose_modify", False, errors=errors)
        return self._action("propose_modify", "modify", order, args["rationale"], new_amount, new_price, new_spec)

    def _working(self, cid: str, modify: bool = False):
        order = self.view.order(cid)
        if order is None:
            return None, FieldError("client_order_id", f"no order {text(cid, 64)!r}",
                                    "use a client_order_id from get_orders", "unknown_order")
        allowed = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED) if modify else (
            OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.NEW, OrderStatus.EMULATED)
        if order.status not in allowed:
            return None, FieldError("client_order_id", f"order {cid} is {order.status.value}",
                                    "only open orders can be " + ("modified" if modify else "canceled") +
                                    ("; an order waiting for approval is simply rejected by the trader"
                                     if order.status is OrderStatus.PENDING_APPROVAL else ""), "invalid_state")
        return order, None

    def _action(self, tool: str, kind: str, order, rationale: str, new_amount=None, new_price=None,
                new_spec: OrderSpec | None = None) -> ToolResult:
        m = self.view.market(order.venue, order.symbol)
        book = self.view.book(order.venue, order.symbol)
        now = self.view.now_ms()
        p = Proposal(id=new_proposal_id(), kind=kind, origin=self.origin, venue=order.venue, symbol=order.symbol,
                     rationale=rationale, decision_mid=book.mid if book else None, decided_at_ms=now,
                     expires_at_ms=now + int(self.expiry_s * 1000), specs=[new_spec or order.spec],
                     target_order_id=order.client_order_id, new_amount=new_amount, new_price=new_price,
                     prompt=self.prompt)
        if new_spec is not None:
            p.costs["target"] = expected_cost(new_spec, book, m)
        p.snapshot = take_snapshot(now, book, self.view.balances(m.venue), _currencies(m))
        return self._publish(tool, p)

    async def _propose(self, tool: str, m: Market, legs: list[tuple[str, OrderSpec]], rationale: str,
                       bracket: bool = False) -> ToolResult:
        book = self.view.book(m.venue, m.symbol)
        mid = book.mid if book else None
        errors: list[FieldError] = []
        for label, spec in legs:
            prefix = f"{label}: " if label else ""
            for e in self._order_errors(spec, m, mid, contingent=bracket and spec.oco_group is not None):
                errors.append(FieldError(e.field, prefix + e.problem, e.fix, e.scenario))
        if errors:
            return ToolResult(tool, False, errors=errors)
        now = self.view.now_ms()
        balances = self.view.balances(m.venue)
        p = Proposal(id=new_proposal_id(), kind="stage", origin=self.origin, venue=m.venue, symbol=m.symbol,
                     rationale=rationale, decision_mid=mid, decided_at_ms=now,
                     expires_at_ms=now + int(self.expiry_s * 1000), prompt=self.prompt)
        p.snapshot = take_snapshot(now, book, balances, _currencies(m))
        p.impact = impact([s for _, s in legs], m, self.view.position(m.venue, m.symbol), balances, mid)
        parent: str | None = None
        denied: list[str] = []
        for label, spec in legs:
            cost = expected_cost(spec, book, m)
            spec = spec.with_changes(rationale=_with_cost(rationale, label, cost, m),
                                     parent_id=parent if bracket and spec.oco_group else None)
            order = self.view.stage(spec, self.origin)
            if bracket and parent is None:
                parent = order.client_order_id
            p.specs.append(order.spec)
            p.client_order_ids.append(order.client_order_id)
            p.costs[order.client_order_id] = cost | {"leg": label or "order"}
            if order.status is OrderStatus.DENIED:
                denied.append(f"{label or 'order'} ({order.client_order_id}) denied at staging: {order.reason}")
        if denied:  # the market moved between the dry run and staging
            self._publish(tool, p)
            return ToolResult(tool, False, {"proposal_id": p.id}, errors=[
                FieldError(None, d, "call get_book and propose again", "denied_at_staging") for d in denied],
                proposal=p)
        return self._publish(tool, p)

    def _publish(self, tool: str, p: Proposal) -> ToolResult:
        self.proposals.append(p)
        self.view.record("proposal", p.as_dict(), actor=self.origin)
        if self.on_proposal is not None:
            self.on_proposal(p)
        return ToolResult(tool, True, {"proposal_id": p.id, "kind": p.kind, "orders": p.client_order_ids,
                                       "status": "waiting for the trader's approval", "summary": p.summary(),
                                       "expected_cost": p.costs}, proposal=p)

    # -- checks -----------------------------------------------------------------------------------
    def _order_errors(self, spec: OrderSpec, m: Market, mid: Decimal | None, contingent: bool) -> list[FieldError]:
        errors: list[FieldError] = []
        if spec.type.value not in m.capabilities and spec.type is not OrderType.LIMIT:
            errors.append(FieldError("type", f"{m.venue} does not support {spec.type.value} orders on {m.symbol}",
                                     "use one of " + ", ".join(sorted(c for c in m.capabilities if c in ORDER_TYPES)),
                                     "unsupported_type"))
        if spec.reduce_only and not m.is_derivative:
            errors.append(FieldError("reduce_only", "applies to derivatives only",
                                     "remove it; on spot just sell what you hold", "invalid_value"))
        side_error = _trigger_side_error(spec, mid)
        if side_error is not None:
            errors.append(side_error)
        for problem in self.view.check(spec):
            if problem.rule == "reduce_only_spot":
                continue  # reported above
            if contingent and problem.rule in ("insufficient_balance", "insufficient_margin", "max_open_orders",
                                               "reduce_only_adds"):
                continue  # an exit leg uses (and closes) what its entry buys; the Desk decides when it may rest
            errors.append(self._problem_error(problem, spec, m))
        return errors

    def _most_that_passes(self, spec: OrderSpec, m: Market, price: Decimal) -> Decimal:
        """The largest amount (in lots) that no size rule refuses now, found with the gate itself."""
        limits = self.view.limits(m.venue, m.symbol)
        high = min(spec.amount, _max_affordable(spec, m, self.view.balances(m.venue), price),
                   _floor(limits.max_order_notional / (price * m.contract_size), m.lot))
        if limits.max_order_amount is not None:
            high = min(high, limits.max_order_amount)

        def passes(amount: Decimal) -> bool:
            return not any(p.rule in SIZE_RULES for p in self.view.check(spec.with_changes(amount=amount)))

        lo, hi = 0, int(high / m.lot) if m.lot > 0 else 0  # in lots: the answer is a multiple of the lot
        if hi > 0 and passes(hi * m.lot):
            return hi * m.lot
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if passes(mid * m.lot):
                lo = mid
            else:
                hi = mid
        return lo * m.lot

    def _problem_error(self, p: Problem, spec: OrderSpec, m: Market) -> FieldError:
        """A gate or market Problem as a FieldError naming the field and what would pass."""
        rule, msg = p.rule, p.message
        price = spec.price or spec.trigger_price or self.view.mark(m.venue, m.symbol)
        field_name: str | None = None
        fix = ""
        if rule in ("price_tick", "price_min", "price_max", "price_collar"):
            field_name = "trigger_price" if msg.startswith("trigger price") else "price"
            if rule == "price_collar":
                mid = self.view.mark(m.venue, m.symbol)
                pct = self.view.limits(m.venue, m.symbol).price_collar_pct
                if mid:
                    lo, hi = m.round_price(mid * (1 - pct / 100), Side.SELL), m.round_price(mid * (1 + pct / 100), Side.BUY)
                    fix = f"keep {field_name} between {lo} and {hi}"
        elif rule in ("amount_step", "amount_min", "amount_max", "cost_min", "cost_max", "max_order_amount",
                      "max_order_notional", "insufficient_balance", "insufficient_margin", "max_exposure",
                      "max_margin", "max_leverage"):
            field_name = "amount"
            limits = self.view.limits(m.venue, m.symbol)
            if rule == "amount_min" and m.min_amount is not None:
                fix = f"use at least {m.min_amount} {m.base}"
            elif rule == "cost_min" and price and m.min_cost is not None:
                fix = f"use at least {_ceil(m.min_cost / (price * m.contract_size), m.lot)} {m.base} at {price}"
            elif rule in SIZE_RULES and price:
                # one answer for every size rule: the largest amount that passes all of them now
                most = self._most_that_passes(spec, m, price)
                fix = f"the most that passes every check now is {most} {m.base}" if most > 0 else \
                    f"there is no free {m.base if spec.side is Side.SELL and not m.is_derivative else m.quote} for this" \
                    if rule in ("insufficient_balance", "insufficient_margin") else "no size passes now"
        elif rule == "duplicate_order":
            fix = "an identical order was just proposed or sent: do not repeat it"
        elif rule in ("halted", "reducing_only"):
            fix = "the trader has stopped new risk: propose nothing that adds to a position"
        elif rule in ("unknown_symbol", "market_inactive"):
            field_name = "symbol"
        elif rule == "unknown_venue":
            field_name = "venue"
        return FieldError(field_name, f"{rule}: {msg}", fix, rule)


def _with_cost(rationale: str, label: str, cost: dict[str, Any], m: Market) -> str:
    if cost.get("expected_price") is None:
        return rationale
    parts = [f"expected ~{cost['expected_price']}"]
    if cost.get("slippage_bps") is not None:
        parts.append(f"{cost['slippage_bps']} bps vs mid" if "trigger" not in cost["basis"]
                     else f"{cost['slippage_bps']} bps vs trigger")
    if cost.get("fee") is not None:
        parts.append(f"fee {cost['fee']} {cost['fee_currency']}")
    leg = f"[{label}] " if label else ""
    return f"{rationale} {leg}(cost: {', '.join(parts)})"


def _currencies(m: Market) -> list[str]:
    return sorted({m.base, m.quote} if not m.is_derivative else {m.settle or m.quote})


def _limits_dict(limits: Any) -> dict[str, Any]:
    return {"max_order_notional": limits.max_order_notional, "max_order_amount": limits.max_order_amount,
            "max_open_orders": limits.max_open_orders, "price_collar_pct": limits.price_collar_pct,
            "stale_book_ms": limits.stale_book_ms}


SIZE_RULES = ("max_order_notional", "max_order_amount", "insufficient_balance", "insufficient_margin", "max_exposure",
              "max_margin", "max_leverage", "amount_max", "cost_max")


def _max_affordable(spec: OrderSpec, m: Market, balances: dict[str, Balance], price: Decimal) -> Decimal:
    if m.is_derivative:
        free = balances.get(m.settle or m.quote, Balance(m.quote)).free
        return _floor(free * 10 / (price * m.contract_size), m.lot)  # the gate assumes 10x without a position
    if spec.side is Side.BUY:
        free = balances.get(m.quote, Balance(m.quote)).free
        return _floor(free / (price * (1 + m.taker_fee)), m.lot)
    return _floor(balances.get(m.base, Balance(m.base)).free, m.lot)


def _field_of_invalid(message: str) -> str | None:
    for name in ("trigger price", "trailing", "post-only", "amount", "price"):
        if name in message:
            return {"trigger price": "trigger_price", "trailing": "trailing_amount", "post-only": "post_only"}.get(
                name, name)
    return None


def _trigger_side_error(spec: OrderSpec, mid: Decimal | None) -> FieldError | None:
    """A stop must be beyond the market in the direction it protects; a take-profit the other way."""
    if spec.trigger_price is None or mid is None or spec.type is OrderType.TRAILING_STOP:
        return None
    trigger = spec.trigger_price
    stop = spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
    must_be_above = (spec.side is Side.BUY) == stop
    if must_be_above and trigger <= mid:
        what = "a buy stop triggers as the price rises" if stop else "a sell take-profit triggers as the price rises"
        return FieldError("trigger_price", f"{trigger} is at or below the market (mid {mid}); {what}, so it must "
                          f"be above the market", f"use a trigger_price above {mid}" + (
                              ", or a limit order to buy below the market" if stop else ""), "stop_wrong_side")
    if not must_be_above and trigger >= mid:
        what = "a sell stop triggers as the price falls" if stop else "a buy take-profit triggers as the price falls"
        return FieldError("trigger_price", f"{trigger} is at or above the market (mid {mid}); {what}, so it must "
                          f"be below the market", f"use a trigger_price below {mid}" + (
                              ", or a limit order to sell above the market" if stop else ""), "stop_wrong_side")
    return None
