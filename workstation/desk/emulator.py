"""Orders held locally (EMULATED) until their trigger, then released through the normal send path.

What is emulated: any trigger type the venue's ``features`` do not offer natively (trailing stops
on the paper exchange), a trigger on a price the venue cannot watch (mark, bid/ask, mid), an order
the trader asked to hold locally (``spec.emulate``), and every leg of an OCO group and every child
of a bracket (no venue has a unified OCO; ccxt has none).

The trigger is watched on the chosen price: bid/ask and mid from every book update (``BookChanged``),
last and mark from tickers (``poll``). When it fires, the order is released as a MARKET or LIMIT order
with origin EMULATOR: the risk gate runs again on fresh data, the intent is journaled, and it goes
out like any other order. An emulated order needs the workstation running; it survives a restart
because its state is in the journal (the order itself, and the trailing stop's high-water mark).

OCO: triggers are evaluated synchronously, one order at a time, and a leg's siblings are disarmed
before anything is awaited, so when two legs' triggers are hit by the same update exactly one is
released.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from decimal import Decimal

from ..domain.money import ZERO
from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Origin, Side, TimeInForce, TriggerSource
from .errors import DeskError
from .events import BookChanged, OrderChanged, RiskAlert
from .ports import DeskPort

log = logging.getLogger(__name__)

TRAIL_JOURNAL_EVERY_MS = 1000
RATE_WAIT_S = 2.0


@dataclass(slots=True)
class TrailState:
    active: bool = False
    extreme: Decimal | None = None  # the best price since activation: a high for a sell, a low for a buy
    journaled_ms: int = 0


@dataclass(frozen=True, slots=True)
class EmulatedView:
    """What the UI shows for one locally held order."""

    order: Order
    trigger_by: TriggerSource
    trigger_level: Decimal | None  # the price that fires it now (moves for a trailing stop)
    watching: Decimal | None  # the current value of the price it watches
    waiting_for: str | None  # e.g. "entry ws..01 to fill" for a bracket child; None = armed
    note: str = "emulated locally: needs the workstation running"


def releases_as(spec: OrderSpec) -> OrderType:
    return OrderType.LIMIT if spec.type in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT) \
        else OrderType.MARKET


class Emulator:
    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.armed: dict[tuple[str, str], set[str]] = {}
        self.trails: dict[str, TrailState] = {}
        self.releasing: set[str] = set()
        self.prices: dict[tuple[str, str], dict[str, Decimal]] = {}
        self.released = 0
        for order in desk.ledger.orders.values():
            if order.status is OrderStatus.EMULATED:
                self._index(order)
        self._load_trails()
        desk.bus.subscribe(self._on_event)

    # -- bookkeeping -----------------------------------------------------------------------------
    def _index(self, order: Order) -> None:
        key = (order.venue, order.symbol)
        if order.status is OrderStatus.EMULATED:
            self.armed.setdefault(key, set()).add(order.client_order_id)
        else:
            self.armed.get(key, set()).discard(order.client_order_id)
            if order.status.is_terminal:
                self.trails.pop(order.client_order_id, None)

    def _load_trails(self) -> None:
        for event in self.desk.journal.events(kinds=("emulator_trail",)):
            cid = event.client_order_id
            if cid and any(cid in s for s in self.armed.values()):
                extreme = event.payload.get("extreme")
                self.trails[cid] = TrailState(bool(event.payload.get("active")),
                                              Decimal(extreme) if extreme is not None else None, event.ts_ms)

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderChanged):
            self._index(event.order)
        elif isinstance(event, BookChanged):
            book = event.book
            prices = self.prices.setdefault((event.venue, event.symbol), {})
            for name, value in (("bid", book.best_bid), ("ask", book.best_ask), ("mid", book.mid)):
                if value is not None:
                    prices[name] = value
            if self.armed.get((event.venue, event.symbol)):  # thousands of books a second, mostly with none armed
                self.evaluate(event.venue, event.symbol)

    def set_price(self, venue: str, symbol: str, **prices: Decimal) -> None:
        """Feed prices (last=, mark=, bid=, ask=, mid=) and evaluate: tests and the ticker poll."""
        self.prices.setdefault((venue, symbol), {}).update({k: v for k, v in prices.items() if v is not None})
        self.evaluate(venue, symbol)

    async def poll(self) -> None:
        """Fetch last and mark for every symbol with an order that watches them, then evaluate."""
        wanted = {(o.venue, o.symbol) for o in self._armed_orders()
                  if o.spec.trigger_by in (TriggerSource.LAST, TriggerSource.MARK)}
        for venue, symbol in sorted(wanted):
            try:
                ticker = await self.desk.venues[venue].fetch_ticker(symbol)
            except Exception as exc:  # a failed poll leaves the order armed; the next one tries again
                log.info("emulator ticker %s %s: %s", venue, symbol, exc)
                continue
            self.set_price(venue, symbol, last=ticker.get("last"), mark=ticker.get("mark"))

    async def run(self, interval_s: float = 0.5) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("emulator poll failed")

    def _armed_orders(self) -> list[Order]:
        out = []
        for cids in self.armed.values():
            out.extend(self.desk.ledger.orders[c] for c in cids if c in self.desk.ledger.orders)
        return out

    # -- the trigger -------------------------------------------------------------------------------
    def watched_price(self, order: Order) -> Decimal | None:
        prices = self.prices.get((order.venue, order.symbol), {})
        source = order.spec.trigger_by
        if source is TriggerSource.LAST:
            return prices.get("last")
        if source is TriggerSource.MARK:
            return prices.get("mark") or (prices.get("mid") if not self.desk.market(order.venue, order.symbol).is_derivative else None)
        if source is TriggerSource.MID:
            return prices.get("mid")
        return prices.get("bid") if order.side is Side.SELL else prices.get("ask")

    def waiting_for(self, order: Order) -> str | None:
        parent_id = order.spec.parent_id
        if not parent_id:
            return None
        parent = self.desk.ledger.orders.get(parent_id)
        if parent is None:
            return f"entry {parent_id} (unknown)"
        if parent.filled > 0:
            return None
        return f"entry {parent_id} to fill"

    def trigger_level(self, order: Order) -> Decimal | None:
        spec = order.spec
        if spec.type is OrderType.LIMIT:
            return spec.price
        if spec.type is not OrderType.TRAILING_STOP:
            return spec.trigger_price
        trail = self.trails.get(order.client_order_id)
        if trail is None or not trail.active or trail.extreme is None:
            return None
        offset = spec.trailing_amount if spec.trailing_amount is not None else \
            trail.extreme * (spec.trailing_percent or ZERO) / 100
        return trail.extreme - offset if order.side is Side.SELL else trail.extreme + offset

    def _fires(self, order: Order, price: Decimal) -> bool:
        spec, sell = order.spec, order.side is Side.SELL
        if spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
            return price <= spec.trigger_price if sell else price >= spec.trigger_price  # type: ignore[operator]
        if spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
            return price >= spec.trigger_price if sell else price <= spec.trigger_price  # type: ignore[operator]
        if spec.type is OrderType.LIMIT:  # a limit held locally (an OCO leg, a take-profit child): on touch
            return price >= spec.price if sell else price <= spec.price  # type: ignore[operator]
        if spec.type is OrderType.TRAILING_STOP:
            return self._trail(order, price)
        return True  # a market order held locally (a parent's fill released it): go

    def _trail(self, order: Order, price: Decimal) -> bool:
        spec, sell = order.spec, order.side is Side.SELL
        trail = self.trails.setdefault(order.client_order_id, TrailState())
        changed = False
        if not trail.active:
            activation = spec.trigger_price
            if activation is None or (price >= activation if sell else price <= activation):
                trail.active, trail.extreme, changed = True, price, True
        elif trail.extreme is None or (price > trail.extreme if sell else price < trail.extreme):
            trail.extreme, changed = price, True
        now = self.desk.clock.wall_ms()
        if changed and now - trail.journaled_ms >= TRAIL_JOURNAL_EVERY_MS:
            trail.journaled_ms = now
            self._journal_trail(order, trail)
        level = self.trigger_level(order)
        if level is None:
            return False
        return price <= level if sell else price >= level

    def _journal_trail(self, order: Order, trail: TrailState) -> None:
        self.desk.journal.append("emulator_trail", actor="emulator", order=order,
                                 payload={"active": trail.active, "extreme": trail.extreme})

    def evaluate(self, venue: str, symbol: str) -> list[str]:
        """Check every armed order on one market. Synchronous: OCO siblings are disarmed before any await."""
        fired: list[str] = []
        for cid in sorted(self.armed.get((venue, symbol), ())):
            order = self.desk.ledger.orders.get(cid)
            if order is None or order.status is not OrderStatus.EMULATED or cid in self.releasing:
                continue
            if self.waiting_for(order) is not None:
                continue
            price = self.watched_price(order)
            if price is None or not self._fires(order, price):
                continue
            self.releasing.add(cid)
            self._disarm_siblings(order)
            fired.append(cid)
            self.desk.router.spawn(self._release(order, price))
        return fired

    def _disarm_siblings(self, order: Order) -> None:
        group = order.spec.oco_group
        if not group:
            return
        for other in list(self.desk.ledger.orders.values()):
            if other is order or other.spec.oco_group != group:
                continue
            if other.status is OrderStatus.EMULATED:
                self.desk.ledger.move(other, OrderStatus.CANCELED, "oco_canceled", "emulator",
                                      f"OCO: {order.client_order_id} triggered first",
                                      payload={"winner": order.client_order_id})
            elif other.status.is_working:
                # a leg at the venue: cancel it; the release waits for the answer (see _release)
                other.cancel_requested = True

    # -- release -------------------------------------------------------------------------------------
    async def _release(self, order: Order, price: Decimal) -> None:
        desk = self.desk
        try:
            spec = order.spec
            amount = spec.amount
            parent = desk.ledger.orders.get(spec.parent_id) if spec.parent_id else None
            if parent is not None:
                if parent.status.is_working:
                    # protect what filled: stop the rest of the entry first, then size to what filled
                    try:
                        await desk.router.cancel(parent, "emulator")
                    except Exception as exc:  # noqa: BLE001 - reported, the child still goes for what filled
                        desk.bus.publish(RiskAlert(f"could not cancel the rest of entry {parent.client_order_id} "
                                                   f"before releasing {order.client_order_id}: {exc}", "error",
                                                   order.client_order_id))
                amount = desk.market(order.venue, order.symbol).round_amount(parent.filled)
                if amount <= 0:
                    desk.ledger.move(order, OrderStatus.CANCELED, "canceled", "emulator", "the entry never filled")
                    return
            # a sibling leg working at the venue must be gone before this one goes: exactly one may stand
            for other in [o for o in desk.ledger.orders.values() if spec.oco_group and o is not order
                          and o.spec.oco_group == spec.oco_group and o.status.is_working]:
                try:
                    await desk.router.cancel(other, "emulator")
                except Exception:  # noqa: BLE001
                    pass
                if other.filled > 0:
                    desk.ledger.move(order, OrderStatus.CANCELED, "oco_canceled", "emulator",
                                     f"OCO: {other.client_order_id} filled first",
                                     payload={"winner": other.client_order_id})
                    return
            kind = releases_as(spec)
            released = spec.with_changes(
                type=kind, amount=amount, price=spec.price if kind is OrderType.LIMIT else None,
                trigger_price=None, trailing_amount=None, trailing_percent=None, emulate=False,
                time_in_force=TimeInForce.GTC if kind is OrderType.MARKET else spec.time_in_force,
                origin=Origin.EMULATOR, decision_mid=desk.mark(order.venue, order.symbol) or price,
                decided_at_ms=desk.clock.wall_ms())
            problems = desk.check(released, order=order, sending=True)
            waited = 0.0
            while problems and all(p.rule == "order_rate" for p in problems) and waited < RATE_WAIT_S:
                await asyncio.sleep(0.05)
                waited += 0.05
                problems = desk.check(released, order=order, sending=True)
            if order.status is not OrderStatus.EMULATED:
                return  # disarmed (kill switch, cancel) while we waited
            info = {"trigger_by": spec.trigger_by.value, "watched": price, "from_type": spec.type.value,
                    "trigger_price": spec.trigger_price, "trailing_amount": spec.trailing_amount,
                    "trailing_percent": spec.trailing_percent, "original_origin": spec.origin.value,
                    "amount": amount,
                    "reason": f"{spec.type.value.replace('_', '-')} triggered: {spec.trigger_by.value} price {price}"}
            if problems:
                reason = "; ".join(map(str, problems))
                desk.ledger.move(order, OrderStatus.DENIED, "release_denied", "emulator", reason,
                                 payload={**info, "problems": [p.rule for p in problems]})
                desk.bus.publish(RiskAlert(f"emulated {spec.type.value.replace('_', '-')} {order.client_order_id} triggered at "
                                           f"{price} but the gate refused it: {reason}", "error",
                                           order.client_order_id))
                return
            if kind is OrderType.MARKET:
                order.intended_price = self.trigger_level(order) or price  # before the spec loses its trigger
            order.spec = released
            desk.journal.append("released", actor="emulator", order=order, payload=info)
            self.released += 1
            await desk.router.send(order, "emulator")
        except Exception as exc:  # noqa: BLE001 - a release must never die silently
            log.exception("release of %s failed", order.client_order_id)
            desk.bus.publish(RiskAlert(f"release of emulated order {order.client_order_id} failed: {exc}",
                                       "error", order.client_order_id))
        finally:
            self.releasing.discard(order.client_order_id)

    def amend(self, order: Order, new_spec: OrderSpec, changes: dict, actor: str) -> Order:
        """Change a locally held order's terms (the gate checks them first); nothing is sent."""
        desk = self.desk
        problems = desk.check(new_spec, order=order, static=bool(order.spec.parent_id))
        if problems:
            desk.ledger.touch(order, "modify_denied", actor, {"problems": [p.rule for p in problems],
                                                              "reason": "; ".join(map(str, problems))})
            raise DeskError("modify denied: " + "; ".join(map(str, problems)))
        before = {k: getattr(order.spec, k) for k in changes}
        order.spec = new_spec
        desk.ledger.touch(order, "modified", actor, {"before": before, "after": changes, "where": "held locally"})
        self.evaluate(order.venue, order.symbol)
        return copy.copy(order)

    # -- views -----------------------------------------------------------------------------------------
    def views(self) -> list[EmulatedView]:
        out = []
        for order in sorted(self._armed_orders(), key=lambda o: o.client_order_id):
            out.append(EmulatedView(order, order.spec.trigger_by, self.trigger_level(order),
                                    self.watched_price(order), self.waiting_for(order)))
        return out
