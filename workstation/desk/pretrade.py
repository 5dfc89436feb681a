"""Before anything is sent: what the risk gate sees, and the checks that need the Desk's state.

``PreTrade`` builds the gate's RiskContext from the Desk (book and its freshness, balances, position,
working orders, today's PnL, recent orders for the duplicate guard, the trading state) and adds the
two checks the gate cannot make alone: an order identical to one in doubt, and a copilot proposal
that went stale before the human approved it.
"""

from __future__ import annotations

import bisect
import itertools
from decimal import Decimal
from typing import Any

from ..domain.market import Problem
from ..domain.orders import Fill, Order, OrderSpec, OrderStatus, Origin
from ..domain.positions import Position
from .errors import DeskError
from .ports import DeskPort
from .risk import RiskContext


class PreTrade:
    def __init__(self, desk: DeskPort, book_seen_ms: dict[tuple[str, str], int]):
        self.desk = desk
        self.book_seen_ms = book_seen_ms
        self.confirmed_duplicates: set[str] = set()
        self._day_folds: dict[str, tuple[Any, int]] = {}  # venue -> (DayFold, fills folded so far)

    def context(self, spec: OrderSpec, order: Order | None = None, *, sending: bool = False,
                flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
                exclude: Any = ()) -> RiskContext:
        """What the gate sees. ``order`` is the order being checked (left out of working and of the
        duplicate guard's history); ``extra_working`` counts orders about to be sent (a scaled group)."""
        desk = self.desk
        key = (spec.venue, spec.symbol)
        market = desk.market(spec.venue, spec.symbol)
        now = desk.clock.wall_ms()
        skip = {o.client_order_id for o in exclude}
        if order is not None:
            skip.add(order.client_order_id)
        working = [o for o in desk.ledger.working(spec.venue) if o.client_order_id not in skip]
        working += [o for o in extra_working if o.client_order_id not in {w.client_order_id for w in working}]
        limits = desk.gate.limits_for(*key)
        horizon = now - round(limits.duplicate_window_s * 1000)
        mine = (order.wall_ms.get("staged", now), order.client_order_id) if order is not None else None
        recent = []
        for o in reversed(desk.ledger.orders.values()):  # newest first (orders are added as staged): stop at the horizon
            staged = o.wall_ms.get("staged")
            if staged is not None and staged < horizon - 5_000:
                break
            if (o.symbol == spec.symbol and o.venue == spec.venue and o.client_order_id not in skip
                    and o.status not in (OrderStatus.DENIED, OrderStatus.DECLINED, OrderStatus.EXPIRED)
                    and (staged or 0) >= horizon
                    and (mine is None or ((staged or 0), o.client_order_id) < mine)):
                recent.append(o)
        recent.reverse()
        marks = {s: b.mid for (v, s), b in desk.books.items() if v == spec.venue and b.mid is not None}
        info = desk.venue_positions.get(spec.venue, {}).get(spec.symbol)
        return RiskContext(
            market=market,
            book=desk.books.get(key),
            balances=desk.balances.get(spec.venue, {}),
            position=desk.ledger.positions.get(key),
            working=working,
            now_ms=now,
            book_received_ms=self.book_seen_ms.get(key),
            state=desk.trading_state(spec.venue),
            positions={s: p for (v, s), p in desk.ledger.positions.items() if v == spec.venue},
            marks=marks,
            daily_pnl=self.daily_pnl(spec.venue, marks),
            recent=recent,
            confirmed_duplicate=confirm_duplicate or (order is not None and
                                                      order.client_order_id in self.confirmed_duplicates),
            sends_last_s=desk.gate.sends_last_s(spec.venue, now) if sending else None,
            flattening=flattening,
            venue_leverage=desk.venue_leverage.get(key) or getattr(info, "leverage", None),
            position_mode=desk.position_mode.get(spec.venue),
            contract_sizes={s: m.contract_size for (v, s), m in desk.markets.items()
                            if v == spec.venue and m.contract_size != 1},
        )

    def daily_pnl(self, venue: str, marks: dict[str, Decimal] | None = None) -> Decimal:
        """Today's PnL on one account (UTC day): realized since 00:00 net of fees, plus unrealized at mid."""
        desk = self.desk
        now = desk.clock.wall_ms()
        day = now - now % 86_400_000
        # Incremental (was a full re-fold of every fill on every check: O(fills) per order, quadratic over a session).
        fold, seen = self._day_folds.get(venue, (None, 0))
        if fold is None or fold.day != day or seen > len(desk.ledger.fills):
            fold, seen = DayFold(day, desk.ledger.empty_position), 0
        received = desk.ledger.fill_received_ms
        for fill in itertools.islice(desk.ledger.fills.values(), seen, None):
            if fill.venue == venue:
                fold.add(fill, received.get(fill.key, fill.timestamp_ms))
        self._day_folds[venue] = (fold, len(desk.ledger.fills))
        if marks is None:
            marks = {s: b.mid for (v, s), b in desk.books.items() if v == venue and b.mid is not None}
        unrealized = sum((p.unrealized_pnl(marks.get(s)) for (v, s), p in desk.ledger.positions.items()
                          if v == venue and p.size), Decimal(0))
        return fold.realized() + unrealized

    def check(self, spec: OrderSpec, order: Order | None = None, *, static: bool = False, sending: bool = False,
              flattening: bool = False, extra_working: Any = (), confirm_duplicate: bool = False,
              exclude: Any = ()) -> list[Problem]:
        """Every rule the spec breaks right now: the ticket shows these live, before staging.

        The same gate for every origin; ``sending`` adds the order-rate throttle (an order about to go out),
        ``static`` checks a bracket child for what it is until its entry fills."""
        desk = self.desk
        if spec.venue not in desk.venues:
            return [Problem("unknown_venue", f"unknown venue {spec.venue!r}: configured venues are "
                            f"{', '.join(desk.venues)}")]
        try:
            ctx = self.context(spec, order, sending=sending, flattening=flattening, extra_working=extra_working,
                               confirm_duplicate=confirm_duplicate, exclude=exclude)
            return desk.gate.check(spec, ctx, static=static) + self.in_doubt_duplicates(spec)
        except DeskError as exc:
            return [Problem("unknown_symbol", str(exc))]

    def in_doubt_duplicates(self, spec: OrderSpec) -> list[Problem]:
        """While an order's outcome is unknown, the same order cannot be staged or sent again: it may be live."""
        same = [o.client_order_id for o in self.desk.ledger.working(spec.venue)
                if o.status is OrderStatus.IN_DOUBT and o.symbol == spec.symbol and o.side is spec.side
                and o.spec.type is spec.type and o.amount == spec.amount and o.spec.price == spec.price
                and o.spec.trigger_price == spec.trigger_price]
        if not same:
            return []
        return [Problem("in_doubt_duplicate", f"the same order ({same[0]}) is in doubt: it may be live at "
                        f"{spec.venue}; wait until it is found or declared lost")]

    def stale_proposal(self, order: Order) -> tuple[OrderStatus, str] | None:
        """A copilot proposal is approved as proposed or not at all: too old (EXPIRED), or the market
        moved past the tolerance (DENIED), means re-stage. A human's order left waiting past
        ``human_expiry_s`` expires too (its price is the human's own: no tolerance check)."""
        desk = self.desk
        settings = desk.settings
        if order.spec.origin is Origin.HUMAN and settings.human_expiry_s > 0:
            age_s = (desk.clock.wall_ms() - order.wall_ms.get("staged", desk.clock.wall_ms())) / 1000
            if age_s > settings.human_expiry_s:
                return OrderStatus.EXPIRED, (f"staged {age_s:.0f}s ago and left waiting (expiry "
                                             f"{settings.human_expiry_s:.0f}s): stage it again")
        if order.spec.origin is not Origin.COPILOT:
            return None
        age_s = (desk.clock.wall_ms() - order.wall_ms.get("staged", desk.clock.wall_ms())) / 1000
        if age_s > settings.proposal_expiry_s:
            return OrderStatus.EXPIRED, (f"proposal is {age_s:.0f}s old (expiry {settings.proposal_expiry_s:.0f}s): "
                                         f"ask the copilot again or stage it yourself")
        then, now = order.spec.decision_mid, desk.mark(order.venue, order.symbol)
        if then and now:
            moved = abs(now - then) / then * 10000
            if moved > settings.price_tolerance_bps:
                return OrderStatus.DENIED, (f"{order.symbol} moved {moved:.0f} bps since the proposal (tolerance "
                                            f"{settings.price_tolerance_bps} bps): re-stage at today's price")
        return None


    def expire_stale(self, actor: str) -> list[str]:
        """Expire what waited too long for approval (copilot proposals, and human orders when
        ``human_expiry_s`` is set); a group goes as one. Returns the expired client order ids."""
        desk = self.desk
        expired: list[str] = []
        for order in [o for o in desk.ledger.orders.values() if o.status is OrderStatus.PENDING_APPROVAL]:
            stale = self.stale_proposal(order) if order.status is OrderStatus.PENDING_APPROVAL else None
            if stale is None or stale[0] is not OrderStatus.EXPIRED:
                continue
            group = desk.contingent.group_of(order.client_order_id)
            for cid in group.members if group is not None else [order.client_order_id]:
                member = desk.ledger.orders.get(cid)
                if member is not None and member.status is OrderStatus.PENDING_APPROVAL:
                    desk.ledger.move(member, OrderStatus.EXPIRED, "expired", actor, stale[1], payload={"at": "queue"})
                    expired.append(cid)
        return expired


class DayFold:
    """Realized PnL net of fees since the Desk's UTC day began, kept up to date fill by fill.

    The day is the Desk's, not the venue's: a fill belongs to the day the Desk recorded it (a venue's
    timestamps can be skewed, or a simulated venue's clock can sit on another date). Each symbol's fills
    are folded in the order they were recorded; the state after the last fill recorded before the day is
    the baseline. A new fill only re-folds its symbol from where it sorts in, so a check stays cheap.
    """

    def __init__(self, day_start_ms: int, empty_position: Any = Position):
        self.day = day_start_ms
        self.empty_position = empty_position  # (venue, symbol) -> a flat position with the market's contract size
        self._keys: dict[str, list[tuple[int, int, str]]] = {}
        self._fills: dict[str, list[tuple[int, Fill]]] = {}
        self._states: dict[str, list[Position]] = {}
        self._seen: set[tuple[str, str]] = set()

    def add(self, fill: Fill, received_ms: int) -> None:
        if fill.key in self._seen:
            return
        self._seen.add(fill.key)
        keys = self._keys.setdefault(fill.symbol, [])
        fills = self._fills.setdefault(fill.symbol, [])
        states = self._states.setdefault(fill.symbol, [])
        key = (received_ms, fill.timestamp_ms, fill.trade_id)
        at = bisect.bisect(keys, key)
        keys.insert(at, key)
        fills.insert(at, (received_ms, fill))
        del states[at:]
        pos = states[-1] if states else self.empty_position(fill.venue, fill.symbol)
        for _, f in fills[at:]:
            pos = pos.apply(f)
            states.append(pos)

    def realized(self) -> Decimal:
        total = Decimal(0)
        for symbol, states in self._states.items():
            if not states:
                continue
            now = states[-1]
            start = self.empty_position(now.venue, symbol)
            for (received, _), state in zip(self._fills[symbol], states):
                if received >= self.day:
                    break
                start = state
            total += (now.realized_pnl - start.realized_pnl) - (now.fees - start.fees)
        return total
