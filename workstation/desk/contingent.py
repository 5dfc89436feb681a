"""Orders that belong together: OCO, bracket, scaled. Staged as one group, approved with one decision.

- OCO: two (or more) legs, all held locally (no venue has a unified OCO); the first to trigger is
  released and its siblings are disarmed in the same synchronous step, so exactly one stands.
- Bracket: an entry (sent like any order, or held locally if it is a stop) plus a stop-loss and a
  take-profit that form an OCO pair. The children wait until the entry fills; they are sized to what
  filled (partial fills included) and resized on every fill; if the entry ends with nothing filled
  they are canceled. When a child triggers while the entry is still working, the rest of the entry is
  canceled first so the child closes exactly what filled.
- Scaled: N limit orders spread over a price range with equal, increasing or decreasing sizes, each
  rounded to the venue's tick and lot and checked against its minimums before anything is staged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.market import Market, Problem
from ..domain.money import ZERO
from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side
from .events import FillRecorded, OrderChanged, ProposalStaged, RiskAlert
from .ports import DeskPort

KINDS = ("oco", "bracket", "scaled")
DISTRIBUTIONS = ("equal", "increasing", "decreasing")
STOP_LOSS_TYPES = (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)
TAKE_PROFIT_TYPES = (OrderType.LIMIT, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT)
MAX_SCALED = 50


class GroupError(ValueError):
    """A group that cannot exist: the message says which member and what to change."""


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    kind: str  # oco | bracket | scaled
    members: tuple[str, ...]  # client order ids; a bracket's are (entry, stop_loss, take_profit)
    roles: tuple[str, ...]  # entry | stop_loss | take_profit | leg | slice


# -- building groups ---------------------------------------------------------------------------------
def scaled_specs(market: Market, base: OrderSpec, total: Decimal, start: Decimal, end: Decimal, count: int,
                 distribution: str = "equal") -> list[OrderSpec]:
    """``count`` limit orders from ``start`` to ``end`` (inclusive) adding up to ``total``.

    Sizes are equal, or grow (``increasing``) or shrink (``decreasing``) linearly from ``start`` to
    ``end``; each is floored to the lot, with the rounding residue on the largest slice; prices are
    rounded to the tick on the trader's side. Raises GroupError naming the slice that breaks a
    venue minimum, and the largest count that would pass."""
    if distribution not in DISTRIBUTIONS:
        raise GroupError(f"distribution {distribution!r} is not one of {', '.join(DISTRIBUTIONS)}")
    if not 2 <= count <= MAX_SCALED:
        raise GroupError(f"a scaled order has 2 to {MAX_SCALED} slices, not {count}")
    if start <= 0 or end <= 0 or start == end:
        raise GroupError("a scaled order needs two different positive prices")
    total = market.round_amount(total)
    if total <= 0:
        raise GroupError(f"total {total} rounds to nothing at the lot size {market.lot}")
    weights = [Decimal(1)] * count if distribution == "equal" else [Decimal(i + 1) for i in range(count)]
    if distribution == "decreasing":
        weights.reverse()
    step = (end - start) / (count - 1)
    prices = [market.round_price(start + step * i, base.side) for i in range(count)]
    if len(set(prices)) != count:
        raise GroupError(f"{count} slices between {start} and {end} do not fit on the tick {market.tick}: "
                         f"widen the range or use fewer slices")
    weight_sum = sum(weights)
    amounts = [market.round_amount(total * w / weight_sum) for w in weights]
    largest = max(range(count), key=lambda i: (weights[i], i))
    amounts[largest] += total - sum(amounts)
    specs = []
    for i, (price, amount) in enumerate(zip(prices, amounts), start=1):
        spec_i = base.with_changes(type=OrderType.LIMIT, price=price, amount=amount if amount > 0 else market.lot,
                                   trigger_price=None, trailing_amount=None, trailing_percent=None)
        problems = [p for p in market.check(spec_i) if p.rule in ("amount_min", "cost_min")]
        if amount <= 0 or problems:
            why = "; ".join(p.message for p in problems) or f"amount rounds to 0 at the lot {market.lot}"
            raise GroupError(f"slice {i} of {count} ({amount} @ {price}) is too small: {why}; "
                             f"use at most {_max_slices(market, total, min(start, end))} slices or a larger total")
        specs.append(spec_i)
    return specs


def _max_slices(market: Market, total: Decimal, low_price: Decimal) -> int:
    smallest = market.min_amount or market.lot
    if market.min_cost:
        smallest = max(smallest, market.min_cost / (low_price * market.contract_size))
    return max(1, int(total / smallest)) if smallest else MAX_SCALED


def bracket_children(entry: OrderSpec, *, stop_price: Decimal | None = None, stop_limit_price: Decimal | None = None,
                     trailing_amount: Decimal | None = None, trailing_percent: Decimal | None = None,
                     take_profit_price: Decimal | None = None, take_profit_trigger: Decimal | None = None,
                     derivative: bool = False) -> list[tuple[str, OrderSpec]]:
    """The stop-loss and take-profit specs for an entry (either may be left out, not both).

    Stop-loss: stop-market at ``stop_price``, stop-limit with ``stop_limit_price``, or a trailing
    stop (``trailing_amount``/``trailing_percent``, ``stop_price`` as its activation price).
    Take-profit: a limit at ``take_profit_price``, or with ``take_profit_trigger`` a take-profit
    order (limit at ``take_profit_price`` if given, else market)."""
    side = entry.side.opposite
    common = dict(venue=entry.venue, symbol=entry.symbol, side=side, amount=entry.amount, origin=entry.origin,
                  reduce_only=derivative, rationale=entry.rationale, trigger_by=entry.trigger_by)
    out = []
    if trailing_amount is not None or trailing_percent is not None:
        out.append(("stop_loss", OrderSpec(type=OrderType.TRAILING_STOP, trailing_amount=trailing_amount,
                                           trailing_percent=trailing_percent, trigger_price=stop_price, **common)))
    elif stop_price is not None:
        kind = OrderType.STOP_LIMIT if stop_limit_price is not None else OrderType.STOP_MARKET
        out.append(("stop_loss", OrderSpec(type=kind, trigger_price=stop_price, price=stop_limit_price, **common)))
    if take_profit_trigger is not None:
        kind = OrderType.TAKE_PROFIT_LIMIT if take_profit_price is not None else OrderType.TAKE_PROFIT_MARKET
        out.append(("take_profit", OrderSpec(type=kind, trigger_price=take_profit_trigger, price=take_profit_price,
                                             **common)))
    elif take_profit_price is not None:
        out.append(("take_profit", OrderSpec(type=OrderType.LIMIT, price=take_profit_price, **common)))
    if not out:
        raise GroupError("a bracket needs a stop-loss, a take-profit, or both")
    return out


def validate(kind: str, members: list[tuple[str, OrderSpec]]) -> None:
    if kind not in KINDS:
        raise GroupError(f"group kind {kind!r} is not one of {', '.join(KINDS)}")
    specs = [s for _, s in members]
    if len({(s.venue, s.symbol) for s in specs}) != 1:
        raise GroupError("every order of a group must be on one venue and symbol")
    if kind == "oco":
        if len(specs) < 2:
            raise GroupError("an OCO needs at least two legs")
        for i, s in enumerate(specs, 1):
            if s.type is OrderType.MARKET:
                raise GroupError(f"OCO leg {i} is a market order: a leg must wait for a price (limit, stop, "
                                 f"take-profit or trailing)")
    elif kind == "bracket":
        roles = [r for r, _ in members]
        if roles[0] != "entry" or not set(roles[1:]) <= {"stop_loss", "take_profit"} or len(roles) < 2:
            raise GroupError("a bracket is an entry followed by a stop-loss and/or a take-profit")
        entry = specs[0]
        for role, s in members[1:]:
            if s.side is entry.side:
                raise GroupError(f"the {role.replace('_', '-')} must be on the other side of the entry")
            allowed = STOP_LOSS_TYPES if role == "stop_loss" else TAKE_PROFIT_TYPES
            if s.type not in allowed:
                raise GroupError(f"a {role.replace('_', '-')} is one of "
                                 f"{', '.join(t.value for t in allowed)}, not {s.type.value}")
        sl = next((s for r, s in members if r == "stop_loss"), None)
        tp = next((s for r, s in members if r == "take_profit"), None)
        ref = entry.price or entry.trigger_price
        if ref is not None:
            buy = entry.side is Side.BUY
            if sl is not None and sl.trigger_price is not None and sl.type is not OrderType.TRAILING_STOP and \
                    (sl.trigger_price >= ref if buy else sl.trigger_price <= ref):
                raise GroupError(f"the stop-loss {sl.trigger_price} must be {'below' if buy else 'above'} "
                                 f"the entry {ref}")
            tp_price = tp.trigger_price or tp.price if tp is not None else None
            if tp_price is not None and (tp_price <= ref if buy else tp_price >= ref):
                raise GroupError(f"the take-profit {tp_price} must be {'above' if buy else 'below'} the entry {ref}")
    else:
        if len(specs) < 2 or any(s.type is not OrderType.LIMIT for s in specs):
            raise GroupError("a scaled order is two or more limit orders")


# -- the manager -------------------------------------------------------------------------------------
class Contingent:
    """Keeps groups (rebuilt from the journal), stages and approves them, and follows parents' fills."""

    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.groups: dict[str, Group] = {}
        self.by_member: dict[str, str] = {}
        self.by_parent: dict[str, set[str]] = {}  # parent client order id -> children staged outside a group
        for order in desk.ledger.orders.values():
            self._index_child(order)
        for event in desk.journal.events(kinds=("group_staged",)):
            p = event.payload
            self._add(Group(p["group_id"], p["kind"], tuple(p["members"]), tuple(p["roles"])))
        desk.bus.subscribe(self._on_event)

    def _add(self, group: Group) -> None:
        self.groups[group.id] = group
        for cid in group.members:
            self.by_member[cid] = group.id

    def group_of(self, client_order_id: str) -> Group | None:
        gid = self.by_member.get(client_order_id)
        return self.groups.get(gid) if gid else None

    def children(self, parent_id: str) -> list[Order]:
        """A bracket's stop-loss and take-profit: the group's, or orders staged one by one with ``parent_id``
        (a copilot's bracket proposal)."""
        orders = self.desk.ledger.orders
        group = self.group_of(parent_id)
        if group is not None and group.kind == "bracket" and group.members[0] == parent_id:
            return [orders[c] for c in group.members[1:] if c in orders]
        return [orders[c] for c in self.by_parent.get(parent_id, ()) if c in orders]

    # -- staging -----------------------------------------------------------------------------------------
    def stage(self, kind: str, members: list[tuple[str, OrderSpec]], actor: str,
              confirm_duplicate: bool = False) -> list[Order]:
        desk = self.desk
        validate(kind, members)
        now_wall, now_mono = desk.clock.wall_ms(), desk.clock.mono_ns()
        cids = [desk.journal.next_client_order_id() for _ in members]
        gid = "g" + cids[0]
        mid = desk.mark(members[0][1].venue, members[0][1].symbol)
        orders: list[Order] = []
        for (role, spec), cid in zip(members, cids):
            links: dict[str, Any] = {}
            if kind == "oco" or (kind == "bracket" and role != "entry"):
                links["oco_group"] = gid
            if kind == "bracket" and role != "entry":
                links["parent_id"] = cids[0]
            if spec.decision_mid is None:
                links.update(decision_mid=mid, decided_at_ms=spec.decided_at_ms or now_wall)
            order = Order(spec=spec.with_changes(**links), client_order_id=cid)
            order.stamp("decided", order.spec.decided_at_ms or now_wall, now_mono)
            order.stamp("staged", now_wall, now_mono)
            orders.append(order)
        problems = self._check(kind, members, orders, confirm_duplicate=confirm_duplicate)
        group = Group(gid, kind, tuple(cids), tuple(r for r, _ in members))
        self._add(group)
        desk.journal.append("group_staged", actor=actor, venue=orders[0].venue, payload={
            "group_id": gid, "kind": kind, "members": list(cids), "roles": list(group.roles)})
        if problems:
            reason = "; ".join(problems)
            for order in orders:
                order.status = OrderStatus.DENIED
                order.reason = reason
                desk.ledger.add(order, "denied", actor, {"group_id": gid, "problems": problems})
            desk.bus.publish(RiskAlert(f"denied {kind} group {gid}: {reason}", "warning", cids[0]))
        else:
            for order, role in zip(orders, group.roles):
                desk.ledger.add(order, "staged", actor, {"group_id": gid, "role": role,
                                                         "rationale": order.spec.rationale})
                desk.bus.publish(ProposalStaged(copy.copy(order)))
        return [copy.copy(o) for o in orders]

    def _check(self, kind: str, members: list[tuple[str, OrderSpec]], orders: list[Order], *,
               confirm_duplicate: bool = False) -> list[str]:
        """Every member through the gate. Scaled slices count the earlier slices as working (they will be);
        bracket children are checked for what they are (the full gate runs again at their release)."""
        desk = self.desk
        problems: list[str] = []
        earlier: list[Order] = []
        for i, ((role, _), order) in enumerate(zip(members, orders), 1):
            static = kind == "bracket" and role != "entry"
            found = desk.check(order.spec, order=order, static=static, extra_working=earlier,
                               confirm_duplicate=confirm_duplicate, exclude=orders)
            problems.extend(f"{role} {i}: {p}" for p in found)
            if kind == "scaled":
                earlier.append(order)
        return problems

    # -- decisions --------------------------------------------------------------------------------------
    async def approve(self, group: Group, actor: str) -> list[Order]:
        desk = self.desk
        orders = [desk.ledger.orders[c] for c in group.members]
        pending = [o for o in orders if o.status is OrderStatus.PENDING_APPROVAL]
        if len(pending) != len(orders):
            states = ", ".join(f"{o.client_order_id} {o.status.value}" for o in orders)
            raise GroupError(f"group {group.id} is not waiting for approval as a whole ({states})")
        for order in orders:
            stale = desk.stale_proposal(order)
            if stale is not None:
                status, why = stale
                for o in orders:
                    desk.ledger.move(o, status, status.value, actor, why, payload={"at": "approval", "group_id": group.id})
                raise GroupError(why)
        members = list(zip(group.roles, (o.spec for o in orders)))
        # No order-rate check here: an approved group's sends are paced under the limit instead.
        problems = self._check(group.kind, members, orders, confirm_duplicate=True)
        if problems:
            reason = "; ".join(problems)
            for order in orders:
                desk.ledger.move(order, OrderStatus.DENIED, "denied", actor, reason,
                                 payload={"at": "approval", "group_id": group.id, "problems": problems})
            return [copy.copy(o) for o in orders]
        for order in orders:
            order.approval_mid = desk.mark(order.venue, order.symbol)
            order.stamp("approved", desk.clock.wall_ms(), desk.clock.mono_ns())
            desk.journal.append("approved", actor=actor, order=order, payload={"group_id": group.id})
        # Held-locally members first: a bracket's children must be waiting before the entry can fill.
        native = []
        for order, role in zip(orders, group.roles):
            if group.kind == "oco" or role in ("stop_loss", "take_profit") or desk.emulation_reason(order.spec):
                desk.ledger.move(order, OrderStatus.EMULATED, "armed", actor,
                                 payload={"group_id": group.id, "role": role,
                                          "why": desk.emulation_reason(order.spec) or f"{group.kind} {role}",
                                          "trigger_by": order.spec.trigger_by.value})
            else:
                native.append(order)
        for order in native:
            await desk.router.await_send_slot(order.venue, order.symbol)
            await desk.router.send(order, actor)
        for order in orders:  # a market entry may have filled already: size the children now
            self._follow(order)
        desk.emulator.evaluate(orders[0].venue, orders[0].symbol)  # a leg may be through its trigger already
        return [copy.copy(o) for o in orders]

    def reject(self, group: Group, reason: str, actor: str) -> None:
        for cid in group.members:
            order = self.desk.ledger.orders.get(cid)
            if order is not None and order.status is OrderStatus.PENDING_APPROVAL:
                self.desk.ledger.move(order, OrderStatus.DECLINED, "declined", actor, reason or "rejected by the trader",
                                      payload={"reason": reason, "group_id": group.id})

    # -- following the parent ---------------------------------------------------------------------------
    def _index_child(self, order: Order) -> None:
        parent = order.spec.parent_id
        if parent and order.client_order_id not in self.by_member:
            self.by_parent.setdefault(parent, set()).add(order.client_order_id)

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderChanged):
            self._index_child(event.order)
            self._follow(event.order)
        elif isinstance(event, FillRecorded) and event.fill.client_order_id:
            order = self.desk.ledger.orders.get(event.fill.client_order_id)
            if order is not None:
                self._follow(order)

    def _follow(self, parent: Order) -> None:
        children = self.children(parent.client_order_id)
        if not children:
            return
        desk = self.desk
        if parent.filled > 0:
            size = desk.markets[(parent.venue, parent.symbol)].round_amount(parent.filled) \
                if (parent.venue, parent.symbol) in desk.markets else parent.filled
            for child in children:
                if child.status is OrderStatus.EMULATED and size > 0 and child.spec.amount != size:
                    before = child.spec.amount
                    child.spec = child.spec.with_changes(amount=size)
                    desk.ledger.touch(child, "resized", "desk", {"from": before, "to": size,
                                                                 "entry_filled": parent.filled})
        elif parent.status.is_terminal and parent.status is not OrderStatus.PENDING_APPROVAL:
            for child in children:
                if child.status is OrderStatus.EMULATED:
                    desk.ledger.move(child, OrderStatus.CANCELED, "canceled", "desk",
                                     f"entry {parent.client_order_id} ended {parent.status.value} with nothing filled")
                elif child.status is OrderStatus.PENDING_APPROVAL and parent.status in (
                        OrderStatus.DENIED, OrderStatus.DECLINED, OrderStatus.EXPIRED):
                    pass  # the group decision moves them together

    def sized_to_fill(self, child: Order) -> Decimal:
        """What a bracket child would close right now: what its entry has filled."""
        parent = self.desk.ledger.orders.get(child.spec.parent_id or "")
        return parent.filled if parent is not None else ZERO


__all__ = ["Contingent", "Group", "GroupError", "Problem", "bracket_children", "scaled_specs", "validate"]
