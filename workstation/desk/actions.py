"""Fast actions: flatten, reverse, join the bid or the ask, cancel all (on a symbol or everywhere, without
halting), cancel ours at a price, move orders to a price.

Each action is planned first (``Plan``: what will happen, in words, and what the risk gate says now),
shown to the trader once, then executed through the Desk's public verbs only: every order is staged
and approved by the human who confirmed (journaled as such) and passes the risk gate twice, like any
other. Nothing here bypasses the gate, and no action halts trading (that is the kill switch's job).

- flatten: cancel what works on the symbol (so nothing reopens it and, on spot, the held coins are
  free), then a market order for the whole position: reduce-only on a derivative; on spot, holdings
  are the position, so it sells what is held. Larger than the per-order caps, it goes in several orders
  each within them (at most ``MAX_SLICES``), never one order past a limit.
- reverse (derivatives): a reduce-only close, then the same size the other way; both are checked before
  either goes, so a reverse the gate would stop half-way is refused up front.
- join: a limit at our side's touch (buy at the bid, sell at the ask), post-only where the venue has it.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.money import ZERO, floor_to_step
from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Origin, Side
from .account import holding
from .errors import DeskError

MAX_SLICES = 10  # a flatten needing more orders than this under the caps is refused: raise the limit


@dataclass(frozen=True)
class Plan:
    kind: str  # flatten | reverse | join | cancel_all | cancel_level | move
    title: str
    lines: tuple[str, ...] = ()  # what will happen, for the confirmation
    venue: str | None = None
    symbol: str | None = None
    specs: tuple[OrderSpec, ...] = ()  # sent in order, each staged and approved
    cancels: tuple[str, ...] = ()  # client order ids canceled first
    moves: tuple[tuple[str, Decimal], ...] = ()  # (client order id, new price)
    problems: tuple[str, ...] = ()  # the gate's objections right now: the confirmation shows them
    refused: str | None = None  # nothing can be done (nothing to flatten, a spot reverse...)

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.problems


@dataclass
class Outcome:
    plan: Plan
    sent: list[str] = field(default_factory=list)  # approved and sent (or armed)
    canceled: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)  # the gate's or the venue's refusals
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.denied and not self.errors

    def summary(self) -> str:
        parts = [f"{self.plan.title}:"]
        if self.canceled:
            parts.append(f"{len(self.canceled)} canceled")
        if self.moved:
            parts.append(f"{len(self.moved)} moved")
        if self.sent:
            parts.append(f"{len(self.sent)} order(s) sent")
        if self.denied:
            parts.append("denied: " + "; ".join(self.denied))
        if self.errors:
            parts.append("errors: " + "; ".join(self.errors))
        if len(parts) == 1:
            parts.append("nothing to do")
        return " ".join(parts)


def _num(value: Decimal, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def amount_for_notional(desk: Any, venue: str, symbol: str, notional: Decimal) -> Decimal | None:
    """Base units (contracts) worth ``notional`` in quote at the mid, rounded down to the lot."""
    market = desk.market(venue, symbol)
    mark = desk.mark(venue, symbol)
    if not mark:
        return None
    return market.round_amount(notional / (mark * market.contract_size))


class Actions:
    def __init__(self, desk: Any):
        self.desk = desk

    # -- planning --------------------------------------------------------------------------------
    def _working_on(self, venue: str | None, symbol: str | None) -> list[Order]:
        desk = self.desk
        orders = desk.working_orders() + desk.orders({OrderStatus.EMULATED})
        return sorted((o for o in orders if (venue is None or o.venue == venue) and (symbol is None or o.symbol == symbol)),
                      key=lambda o: o.client_order_id)

    def _slices(self, venue: str, symbol: str, amount: Decimal) -> list[Decimal]:
        """``amount`` in as few orders as the per-order caps allow (notional at mid, and amount)."""
        desk = self.desk
        market = desk.market(venue, symbol)
        limits = desk.limits(venue, symbol)
        mark = desk.mark(venue, symbol)
        count = 1
        if mark and limits.max_order_notional:
            count = max(count, math.ceil(amount * mark * market.contract_size / limits.max_order_notional))
        if limits.max_order_amount:
            count = max(count, math.ceil(amount / limits.max_order_amount))
        if market.max_amount:
            count = max(count, math.ceil(amount / market.max_amount))
        # round each slice down to the lot; the last takes the remainder. Slices just under the cap.
        each = floor_to_step(amount / count, market.lot)
        if each <= 0:
            return [amount]
        slices = [each] * (count - 1)
        slices.append(amount - each * (count - 1))
        return [s for s in slices if s > 0]

    def _checked(self, specs: list[OrderSpec], ignore: set[str] = frozenset()) -> tuple[str, ...]:
        problems = []
        for i, spec in enumerate(specs):
            for p in self.desk.check(spec, confirm_duplicate=True):
                if p.rule not in ignore:
                    where = f"order {i + 1}: " if len(specs) > 1 else ""
                    problems.append(f"{where}{p.message}")
        return tuple(dict.fromkeys(problems))

    def _close_specs(self, venue: str, symbol: str, size: Decimal, why: str) -> tuple[list[OrderSpec], str | None]:
        market = self.desk.market(venue, symbol)
        amount = market.round_amount(abs(size))
        if amount <= 0 or (market.min_amount is not None and amount < market.min_amount):
            return [], f"{abs(size)} {market.base} is below what {venue} accepts in one order: nothing to do"
        slices = self._slices(venue, symbol, amount)
        if len(slices) > MAX_SLICES:
            limits = self.desk.limits(venue, symbol)
            return [], (f"needs {len(slices)} orders under the per-order cap of {limits.max_order_notional} "
                        f"{market.quote}: raise max_order_notional or close part of it from the ticket")
        side = Side.SELL if size > 0 else Side.BUY
        return [OrderSpec(venue, symbol, side, OrderType.MARKET, s, reduce_only=market.is_derivative,
                          origin=Origin.HUMAN, rationale=why) for s in slices], None

    def _cancel_lines(self, working: list[Order], where: str) -> list[str]:
        if not working:
            return []
        held = sum(1 for o in working if o.status is OrderStatus.EMULATED)
        doubt = [o.client_order_id for o in working if o.status is OrderStatus.IN_DOUBT]
        line = f"cancel {len(working) - len(doubt)} working order(s) {where}"
        if held:
            line += f" ({held} held here)"
        lines = [line]
        if doubt:
            lines.append(f"{len(doubt)} in doubt cannot be canceled until found: {', '.join(doubt)}")
        return lines

    def plan_flatten(self, venue: str, symbol: str) -> Plan:
        desk = self.desk
        market = desk.market(venue, symbol)
        size = holding(desk, venue, symbol)
        working = self._working_on(venue, symbol)
        title = f"Flatten {symbol} on {venue}"
        lines = self._cancel_lines(working, f"on {symbol} first")
        cancels = tuple(o.client_order_id for o in working if o.status is not OrderStatus.IN_DOUBT)
        if not market.is_derivative and size < 0:
            size = ZERO
        if not size:
            return Plan("flatten", title, tuple(lines), venue, symbol, cancels=cancels,
                        refused=None if cancels else f"no position in {symbol} on {venue}")
        specs, refused = self._close_specs(venue, symbol, size, "fast action: flatten")
        if refused:
            return Plan("flatten", title, tuple(lines), venue, symbol, cancels=cancels,
                        refused=None if cancels else refused, problems=(refused,) if cancels else ())
        lines.append(self._market_line(specs, market, market.is_derivative, after=bool(cancels)))
        if not market.is_derivative:
            lines.append(f"on spot the position is what you hold: {size} {market.base}")
        # Selling held coins that working sells reserve: the balance is free once they are canceled.
        ignore = {"insufficient_balance"} if cancels else set()
        return Plan("flatten", title, tuple(lines), venue, symbol, tuple(specs), cancels,
                    problems=self._checked(specs, ignore))

    def _market_line(self, specs: list[OrderSpec], market: Any, reduce_only: bool, after: bool) -> str:
        total = sum((s.amount for s in specs), ZERO)
        mark = self.desk.mark(market.venue, market.symbol)
        words = [f"{'then ' if after else ''}{specs[0].side.value.upper()} {total} {market.base} at market"]
        if reduce_only:
            words.append("reduce-only")
        if mark:
            words.append(f"about {_num(total * mark * market.contract_size, 2)} {market.quote} at mid")
        if len(specs) > 1:
            words.append(f"in {len(specs)} orders within the per-order caps")
        return ", ".join(words)

    def plan_reverse(self, venue: str, symbol: str) -> Plan:
        desk = self.desk
        market = desk.market(venue, symbol)
        title = f"Reverse {symbol} on {venue}"
        if not market.is_derivative:
            return Plan("reverse", title, venue=venue, symbol=symbol,
                        refused="spot cannot go short: flatten sells what you hold (F)")
        size = holding(desk, venue, symbol)
        if not size:
            return Plan("reverse", title, venue=venue, symbol=symbol, refused=f"no position in {symbol} to reverse")
        close, refused = self._close_specs(venue, symbol, size, "fast action: reverse (close)")
        if refused:
            return Plan("reverse", title, venue=venue, symbol=symbol, refused=refused)
        opening = [s.with_changes(reduce_only=False, rationale="fast action: reverse (open)") for s in close]
        side = close[0].side
        lines = (f"{side.value.upper()} {market.round_amount(abs(size))} {market.base} reduce-only at market "
                 f"(closes the {'long' if size > 0 else 'short'})",
                 f"then {side.value.upper()} the same again at market: {'short' if size > 0 else 'long'} "
                 f"{market.round_amount(abs(size))} {market.base}",
                 "checked by the risk gate before either is sent (the second as if it came on top)")
        # The opening leg is judged as the one order of twice the size it amounts to with the close.
        double = close[0].with_changes(amount=sum((s.amount for s in close), ZERO) * 2, reduce_only=False)
        problems = self._checked(close) + self._checked([double], {"max_order_notional", "max_order_amount"})
        return Plan("reverse", title, lines, venue, symbol, tuple(close + opening), problems=problems)

    def plan_join(self, venue: str, symbol: str, side: Side, amount: Decimal) -> Plan:
        desk = self.desk
        market = desk.market(venue, symbol)
        book = desk.book(venue, symbol)
        touch = None if book is None else (book.best_bid if side is Side.BUY else book.best_ask)
        where = "bid" if side is Side.BUY else "ask"
        title = f"{'Buy at the bid' if side is Side.BUY else 'Sell at the ask'}: {symbol}"
        if touch is None:
            return Plan("join", title, venue=venue, symbol=symbol, refused=f"no {where} in the {symbol} book yet")
        post_only = desk.order_types(venue, symbol).get("post_only") == "native"
        spec = OrderSpec(venue, symbol, side, OrderType.LIMIT, amount, price=touch, post_only=post_only,
                         origin=Origin.HUMAN, rationale=f"fast action: join the {where}")
        lines = (f"{side.value.upper()} {amount} {market.base} limit at {touch}, the best {where}"
                 + (" (post-only: it rests or is refused, never takes)" if post_only else ""),)
        return Plan("join", title, lines, venue, symbol, (spec,), problems=self._checked([spec]))

    def plan_cancel_all(self, venue: str | None = None, symbol: str | None = None) -> Plan:
        working = self._working_on(venue, symbol)
        where = f"on {symbol}" if symbol else "on every symbol" + (f" on {venue}" if venue else ", every venue")
        title = f"Cancel all {where}"
        if not working:
            return Plan("cancel_all", title, venue=venue, symbol=symbol, refused=f"no working orders {where}")
        lines = self._cancel_lines(working, where)
        pending = [o for o in self.desk.pending_approvals()
                   if (venue is None or o.venue == venue) and (symbol is None or o.symbol == symbol)]
        if pending:
            lines.append(f"{len(pending)} order(s) waiting for approval stay in the queue (x rejects them)")
        lines.append("trading stays ACTIVE: this is not the kill switch")
        cancels = tuple(o.client_order_id for o in working if o.status is not OrderStatus.IN_DOUBT)
        return Plan("cancel_all", title, tuple(lines), venue, symbol, cancels=cancels)

    def orders_at(self, venue: str, symbol: str, price: Decimal) -> list[Order]:
        """Our working orders resting at ``price`` (limit price), or triggering there (stops, take-profits)."""
        return [o for o in self._working_on(venue, symbol)
                if (o.spec.type.has_limit_price and o.spec.price == price)
                or (o.spec.type.has_trigger and not o.spec.type.has_limit_price and o.spec.trigger_price == price)]

    def plan_cancel_level(self, venue: str, symbol: str, price: Decimal) -> Plan:
        orders = self.orders_at(venue, symbol, price)
        title = f"Cancel ours at {price}"
        if not orders:
            return Plan("cancel_level", title, venue=venue, symbol=symbol, refused=f"no order of ours at {price}")
        return Plan("cancel_level", title, tuple(self._cancel_lines(orders, f"at {price}")), venue, symbol,
                    cancels=tuple(o.client_order_id for o in orders if o.status is not OrderStatus.IN_DOUBT))

    def plan_move(self, client_order_ids: list[str], price: Decimal) -> Plan:
        desk = self.desk
        moves, lines, problems = [], [], []
        for cid in client_order_ids:
            order = desk.order(cid)
            field_name = "price" if order.spec.type.has_limit_price else "trigger_price"
            old = getattr(order.spec, field_name)
            if old == price:
                continue
            moves.append((cid, price))
            how = desk.order_types(order.venue, order.symbol).get("modify", "in place")
            lines.append(f"{order.side.value} {order.remaining} {order.symbol} from {old} to {price} ({how})")
            try:
                probe = order.spec.with_changes(**{field_name: price})
            except Exception as exc:  # noqa: BLE001 - an impossible price: say so
                problems.append(str(exc))
                continue
            problems += [p.message for p in desk.check(probe, order=order)
                         if p.rule not in ("insufficient_balance", "insufficient_margin")]
        title = f"Move {len(moves)} order(s) to {price}"
        if not moves:
            return Plan("move", title, refused=f"already at {price}")
        return Plan("move", title, tuple(lines), moves=tuple(moves), problems=tuple(dict.fromkeys(problems)))

    # -- execution -------------------------------------------------------------------------------
    async def execute(self, plan: Plan, actor: str = "human") -> Outcome:
        """Carry a confirmed plan out through the Desk's verbs. Never raises: refusals are in the Outcome."""
        out = Outcome(plan)
        if plan.refused:
            out.errors.append(plan.refused)
            return out
        await self._cancel(plan.cancels, actor, out)
        for cid, price in plan.moves:
            try:
                order = self.desk.order(cid)
                field_name = "price" if order.spec.type.has_limit_price else "trigger_price"
                await self.desk.modify(cid, actor=actor, **{field_name: price})
                out.moved.append(cid)
            except DeskError as exc:
                out.denied.append(str(exc))
        specs = list(plan.specs)
        if plan.kind == "flatten" and plan.cancels:
            # the canceled orders' reservations are free at the venue now: take fresh balances and size
            # the close to what is held after any fill that raced the cancels
            try:
                await self.desk.refresh()
            except Exception as exc:  # noqa: BLE001 - the gate will judge on what it has
                out.errors.append(f"refresh before flatten: {exc}")
            fresh = self.plan_flatten(plan.venue, plan.symbol)
            specs = list(fresh.specs)
        for spec in specs:
            if not await self._send(spec, actor, out):
                break
        return out

    async def _cancel(self, cids: tuple[str, ...], actor: str, out: Outcome) -> None:
        """Cancel in batches within the account's cancel rate; the kill switch is the only exempt path."""
        if not cids:
            return
        first = self.desk.order(cids[0])
        per_second = max(1, self.desk.limits(first.venue, first.symbol).cancels_per_s)
        for start in range(0, len(cids), per_second):
            if start:
                await asyncio.sleep(1.05)
            batch = cids[start:start + per_second]
            results = await asyncio.gather(*(self.desk.cancel(cid, actor=actor) for cid in batch),
                                           return_exceptions=True)
            for cid, result in zip(batch, results):
                if isinstance(result, BaseException):
                    out.errors.append(f"{cid}: {result}")
                elif result.status in (OrderStatus.CANCELED, OrderStatus.DECLINED):
                    out.canceled.append(cid)
                elif result.status is OrderStatus.FILLED:
                    out.errors.append(f"{cid} filled before its cancel")
                else:
                    out.errors.append(f"{cid} is {result.status.value.replace('_', ' ')} after its cancel")

    async def _send(self, spec: OrderSpec, actor: str, out: Outcome) -> bool:
        desk = self.desk
        spec = spec.with_changes(decision_mid=None, decided_at_ms=None)
        try:
            order = desk.stage(spec, actor, confirm_duplicate=True)
        except DeskError as exc:
            out.denied.append(str(exc))
            return False
        if order.status is OrderStatus.DENIED:
            out.denied.append(order.reason)
            return False
        try:
            order = await desk.approve(order.client_order_id, actor)
        except DeskError as exc:
            out.denied.append(str(exc))
            return False
        if order.status in (OrderStatus.DENIED, OrderStatus.REJECTED):
            out.denied.append(order.reason or order.status.value)
            return False
        out.sent.append(order.client_order_id)
        return True
