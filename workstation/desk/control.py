"""The controls only a human holds: trading state per account, the kill switch, re-arming, risk limits.

Every one of these verbs requires ``actor == "human"`` and is journaled with who and why. The
copilot never holds the Desk (it gets a CopilotView with stage() and reads only), and even a
caller that did would be refused here. The trading state survives a restart: it is replayed from
the journal, so a HALTED account stays halted until a human re-arms it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Origin, Side
from ..venues.errors import ErrorKind, VenueError
from .errors import DeskError
from .events import RiskAlert
from .risk import RiskLimits, TradingState
from .ports import DeskPort

HUMAN = "human"
CANCEL_CONCURRENCY = 16

# What the audit screen lists: every decision, with who and why.
AUDIT_KINDS = (
    "staged", "group_staged", "denied", "edited", "approved", "declined", "expired", "intent", "rejected",
    "armed", "released", "release_denied", "oco_canceled", "resized", "cancel_request", "canceled",
    "cancel_denied", "modified", "cancel_replace", "kill", "kill_done", "rearm", "trading_state", "risk_change",
    "flatten", "leverage",
)


class ControlError(Exception):
    """Raised as DeskError by the Desk's verbs."""


def require_human(actor: str, what: str) -> None:
    if actor != HUMAN:
        raise ControlError(f"only a human may {what} (asked by {actor!r}); it is refused and journaled")


def approver_allowed(actor: str, environment: str) -> bool:
    """Only a human approves an order. The one exception is the evaluation harness (``eval:<run>``), and only
    on a paper venue: it plays the human in scenarios that can cost nothing."""
    if actor == "human" or actor.startswith("human:"):
        return True
    return actor.startswith("eval:") and environment == "paper"


@dataclass
class KillReport:
    started_ms: int
    halted: list[str]
    disarmed: int = 0  # emulated orders canceled locally
    declined: int = 0  # proposals waiting for approval, declined
    canceled: int = 0  # orders the venues confirmed canceled (ours, and any other open on the account)
    in_flight_at_kill: int = 0  # sends on their way when the account halted: canceled as they landed
    schedules_stopped: list[str] = field(default_factory=list)  # time-sliced schedules: no further slice
    filled_meanwhile: int = 0  # raced the cancel and filled
    remaining: list[str] = field(default_factory=list)  # still working (in doubt): the resolver keeps at them
    venue_open_after: dict[str, int] = field(default_factory=dict)  # open orders each venue reports afterwards
    elapsed_ms: float = 0.0  # from the call to zero working orders, at every venue and in the Desk's books
    venue_zero_ms: dict[str, float] = field(default_factory=dict)  # from the call to each venue confirming none open
    t0: float = 0.0
    flatten_orders: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KillPreview:
    """What the kill switch would do now: the confirmation dialog's numbers."""

    venues: tuple[str, ...]
    working: int  # at the venues (open, partly filled, new, in doubt): canceled
    emulated: int  # held here: disarmed
    pending: int  # waiting for approval: declined
    in_flight: int  # sends on their way: canceled as they land


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    ts_ms: int
    kind: str
    actor: str
    venue: str | None
    client_order_id: str | None
    what: str  # one line: the order or the change
    why: str  # the reason given, or the rule that hit


class Controls:
    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.states: dict[str, TradingState] = {}
        for event in desk.journal.events(kinds=("trading_state",)):
            venue, state = event.payload.get("venue"), event.payload.get("state")
            if venue and state in TradingState._value2member_map_:
                self.states[venue] = TradingState(state)
        self.killing = False

    # -- trading state ---------------------------------------------------------------------------
    def state(self, venue: str) -> TradingState:
        return self.states.get(venue, TradingState.ACTIVE)

    def _set(self, venue: str, state: TradingState, actor: str, reason: str, via: str) -> None:
        before = self.state(venue)
        self.states[venue] = state
        self.desk.journal.append("trading_state", actor=actor, venue=venue, payload={
            "venue": venue, "state": state.value, "before": before.value, "reason": reason, "via": via})
        if before is not state:
            level = "error" if state is TradingState.HALTED else "warning" if state is TradingState.REDUCING else "info"
            self.desk.bus.publish(RiskAlert(f"{venue}: trading {before.value.upper()} -> {state.value.upper()}"
                                            f" ({reason or via})", level, details={"venue": venue, "state": state.value}))

    def set_state(self, venue: str, state: TradingState, actor: str, reason: str) -> None:
        self._check_venue(venue)
        try:
            require_human(actor, f"change the trading state of {venue}")
        except ControlError:
            self.desk.journal.append("trading_state_refused", actor=actor, venue=venue,
                                     payload={"wanted": TradingState(state).value, "reason": reason})
            raise
        state = TradingState(state)
        if self.state(venue) is TradingState.HALTED and state is not TradingState.HALTED:
            self.desk.journal.append("rearm", actor=actor, venue=venue, payload={"to": state.value, "reason": reason})
        self._set(venue, state, actor, reason, "set")

    def rearm(self, actor: str, venue: str | None, reason: str, to: TradingState) -> list[str]:
        try:
            require_human(actor, "re-arm trading")
        except ControlError:
            self.desk.journal.append("rearm_refused", actor=actor, venue=venue, payload={"reason": reason})
            raise
        venues = [venue] if venue else list(self.desk.venues)
        for v in venues:
            self._check_venue(v)
        done = []
        for v in venues:
            if self.state(v) is TradingState.HALTED:
                self.desk.journal.append("rearm", actor=actor, venue=v, payload={"to": to.value, "reason": reason})
                self._set(v, to, actor, reason, "rearm")
                done.append(v)
        return done

    def _check_venue(self, venue: str) -> None:
        if venue not in self.desk.venues:
            raise ControlError(f"unknown venue {venue!r}: configured venues are {', '.join(self.desk.venues)}")

    # -- risk limits ------------------------------------------------------------------------------
    def set_limits(self, actor: str, venue: str | None, symbol: str | None, changes: dict[str, Any],
                   reason: str) -> RiskLimits:
        try:
            require_human(actor, "change risk limits")
        except ControlError:
            self.desk.journal.append("risk_change_refused", actor=actor, venue=venue,
                                     payload={"symbol": symbol, "changes": {k: str(v) for k, v in changes.items()}})
            raise
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in RiskLimits.field_names():
                raise ControlError(f"unknown risk limit {name!r}: limits are {', '.join(RiskLimits.field_names())}")
            if name in ("max_open_orders", "stale_book_ms", "orders_per_s", "cancels_per_s"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ControlError(f"{name} must be a whole number >= 1, not {value!r}")
            elif name == "duplicate_window_s":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ControlError(f"{name} must be a number of seconds >= 0, not {value!r}")
                value = float(value)
            elif value is None and name == "max_order_amount":
                pass
            else:
                if isinstance(value, float) or isinstance(value, bool):
                    raise ControlError(f"{name} must be a Decimal or a string like \"25000\", not a float")
                try:
                    value = Decimal(str(value))
                except Exception:
                    raise ControlError(f"{name} must be a number, not {value!r}") from None
                if not value.is_finite() or value < 0:
                    raise ControlError(f"{name} must be a number >= 0, not {value}")
            clean[name] = value
        before, after = self.desk.gate.with_limits(venue, symbol, clean)
        self.desk.journal.append("risk_change", actor=actor, venue=venue, payload={
            "symbol": symbol, "reason": reason,
            "before": {k: getattr(before, k) for k in clean}, "after": {k: getattr(after, k) for k in clean}})
        self.desk.bus.publish(RiskAlert(f"risk limits changed for {venue or 'all venues'} {symbol or ''}: "
                                        + ", ".join(f"{k} {getattr(before, k)} -> {v}" for k, v in clean.items()),
                                        "warning"))
        return after

    async def set_leverage(self, actor: str, venue: str, symbol: str, leverage: Any, reason: str) -> Decimal:
        try:
            require_human(actor, "change leverage")
        except ControlError:
            self.desk.journal.append("leverage_refused", actor=actor, venue=venue, payload={"symbol": symbol})
            raise
        self._check_venue(venue)
        market = self.desk.markets.get((venue, symbol))
        if market is None or not market.is_derivative:
            raise ControlError(f"{symbol} is not a derivatives market on {venue}: leverage applies to contracts")
        try:
            value = Decimal(str(leverage))
        except Exception:
            raise ControlError(f"leverage must be a whole number, not {leverage!r}") from None
        if not value.is_finite() or value != value.to_integral_value() or value < 1 or (
                market.max_leverage is not None and value > market.max_leverage):
            top = f" to {market.max_leverage}" if market.max_leverage is not None else ""
            raise ControlError(f"leverage must be a whole number from 1{top}, not {leverage!r}")
        before = self.desk.venue_leverage.get((venue, symbol))
        try:
            await self.desk.venues[venue].set_leverage(symbol, value)
        except VenueError as err:
            raise ControlError(f"{venue} refused leverage {value}x for {symbol}: {err.message}") from err
        self.desk.venue_leverage[(venue, symbol)] = value
        self.desk.journal.append("leverage", actor=actor, venue=venue, payload={
            "symbol": symbol, "before": before, "after": value, "reason": reason})
        return value

    # -- the kill switch --------------------------------------------------------------------------
    def preview(self) -> KillPreview:
        ledger = self.desk.ledger
        statuses = [o.status for o in ledger.orders.values()]
        return KillPreview(tuple(self.desk.venues), len(ledger.working()),
                           statuses.count(OrderStatus.EMULATED), statuses.count(OrderStatus.PENDING_APPROVAL),
                           len(self.desk.router.in_flight))

    async def kill(self, actor: str, reason: str, flatten: bool) -> KillReport:
        require_human(actor, "use the kill switch")
        desk = self.desk
        t0 = time.perf_counter()
        report = KillReport(desk.clock.wall_ms(), list(desk.venues), t0=t0)
        self.killing = True
        try:
            # 1. Nothing new gets out: every account HALTED before the first await.
            desk.journal.append("kill", actor=actor, payload={"reason": reason, "flatten": flatten,
                                                              "venues": list(desk.venues)})
            for venue in desk.venues:
                self._set(venue, TradingState.HALTED, actor, reason or "kill switch", "kill")
            # 2. Emulated orders disarmed, proposals declined: local, immediate.
            for order in list(desk.ledger.orders.values()):
                if order.status is OrderStatus.EMULATED:
                    desk.ledger.move(order, OrderStatus.CANCELED, "canceled", actor, "disarmed by the kill switch")
                    report.disarmed += 1
                elif order.status is OrderStatus.PENDING_APPROVAL:
                    desk.ledger.move(order, OrderStatus.DECLINED, "declined", actor, "kill switch",
                                     payload={"reason": "kill switch"})
                    report.declined += 1
            report.schedules_stopped = desk.schedules.stop_all(actor, "kill switch")
            # 3. Every working order canceled on every venue, venues in parallel.
            results = await asyncio.gather(*(self._cancel_everything(v, report) for v in desk.venues),
                                           return_exceptions=True)
            for venue, result in zip(desk.venues, results):
                if isinstance(result, BaseException):
                    report.errors.append(f"{venue}: {result}")
            report.elapsed_ms = (time.perf_counter() - t0) * 1000
            report.remaining = [o.client_order_id for o in desk.ledger.working()]
            # 4. Optionally flatten with reduce-only market orders (the UI asked the second confirmation).
            if flatten:
                report.flatten_orders = await self._flatten(actor, report)
        finally:
            self.killing = False
        desk.journal.append("kill_done", actor=actor, payload={
            "elapsed_ms": round(report.elapsed_ms, 3),
            "venue_zero_ms": {k: round(v, 3) for k, v in report.venue_zero_ms.items()}, "canceled": report.canceled, "disarmed": report.disarmed,
            "declined": report.declined, "remaining": report.remaining, "venue_open_after": report.venue_open_after,
            "flatten_orders": report.flatten_orders, "errors": report.errors})
        level = "error" if report.remaining or report.errors else "warning"
        desk.bus.publish(RiskAlert(
            f"KILL SWITCH: all accounts HALTED; {report.canceled} orders canceled, {report.disarmed} emulated "
            f"disarmed in {report.elapsed_ms:.0f} ms" + (f"; {len(report.remaining)} still in doubt"
                                                          if report.remaining else ""), level))
        return report

    async def _cancel_everything(self, venue_name: str, report: KillReport) -> None:
        """Cancel every working order on one venue; wait for sends still on their way (each is canceled as it
        lands: the router chases it); then ask the venue what is still open and cancel that too.

        ``report.canceled`` counts what the venue confirmed canceled, whatever raced it to our books (the
        stream's report often arrives before the cancel's own answer)."""
        desk = self.desk
        venue = desk.venues[venue_name]
        ledger = desk.ledger
        working = ledger.working(venue_name)
        for order in working:
            order.cancel_requested = True
            order.reason = order.reason or "canceled by the kill switch"
        symbols = sorted({o.symbol for o in working} | set(desk.watch_symbols.get(venue_name, [])))
        confirmed: set[str] = set()  # venue order ids (or our ids) the venue confirmed canceled
        if venue.has("cancelAllOrders"):
            answered: list[Any] = []
            calls = [venue.cancel_all_orders(s) for s in symbols]
            for result in await asyncio.gather(*calls, return_exceptions=True):
                if isinstance(result, BaseException):
                    report.errors.append(f"{venue_name} cancel all: {result}")
                else:
                    answered.extend(result)
            # The venue first (what the market sees), our books second.
            try:
                if not await venue.fetch_open_orders():
                    report.venue_zero_ms[venue_name] = (time.perf_counter() - report.t0) * 1000
            except VenueError as err:
                report.errors.append(f"{venue_name} open orders after cancel all: {err.message}")
            for rep in answered:
                if rep.status is OrderStatus.CANCELED:
                    confirmed.add(rep.venue_order_id or rep.client_order_id or "")
                order = ledger.find(venue_name, rep.client_order_id, rep.venue_order_id)
                if order is not None:
                    self._apply(order, rep, report)
        # Whatever is still working here: one by one, a few at a time.
        gate = asyncio.Semaphore(CANCEL_CONCURRENCY)

        async def one(order: Order) -> None:
            async with gate:
                try:
                    rep = await venue.cancel_order(order)
                except VenueError as err:
                    if err.kind is ErrorKind.NOT_FOUND:
                        await desk.router.resolve_now(order)
                    elif order.status.is_working:
                        ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", "kill", payload={"error": err.message})
                        desk.router.resolve_later(order)
                    return
                if rep is None:
                    await desk.router.resolve_now(order)
                    if order.status is OrderStatus.CANCELED:
                        confirmed.add(order.venue_order_id or order.client_order_id)
                    return
                if rep.status is OrderStatus.CANCELED:
                    confirmed.add(rep.venue_order_id or order.venue_order_id or order.client_order_id)
                self._apply(order, rep, report)

        in_flight = set(desk.router.in_flight)
        await asyncio.gather(*(one(o) for o in ledger.working(venue_name)
                               if o.status is not OrderStatus.IN_DOUBT and o.client_order_id not in in_flight))
        # Sends that were on their way when the account halted: each is canceled as it lands (router).
        chased = [c for c in in_flight if desk.ledger.orders[c].venue == venue_name]
        report.in_flight_at_kill += len(chased)
        left_in_flight = await desk.router.wait_in_flight(venue_name, desk.settings.kill_wait_s)
        confirmed.update(c for c in chased if desk.ledger.orders[c].status is OrderStatus.CANCELED)
        report.errors += [f"{venue_name} {cid}: still no answer to its send after {desk.settings.kill_wait_s:.0f}s; "
                          f"it is canceled when it lands" for cid in left_in_flight]
        # Confirm at the venue: anything still open there (ours or not) is canceled too.
        try:
            still = await venue.fetch_open_orders()
        except VenueError as err:
            report.errors.append(f"{venue_name} open orders after kill: {err.message}")
            report.canceled += len(confirmed)
            return
        for rep in still:
            order = ledger.find(venue_name, rep.client_order_id, rep.venue_order_id)
            try:
                if order is not None:
                    await one(order)
                else:
                    await venue.cancel_unknown(rep)
                    confirmed.add(rep.venue_order_id or "")
            except Exception as exc:  # noqa: BLE001
                report.errors.append(f"{venue_name} {rep.venue_order_id}: {exc}")
        report.canceled += len(confirmed)
        try:
            left = len(await venue.fetch_open_orders()) if still else 0
        except VenueError as err:
            report.errors.append(f"{venue_name} open orders after kill: {err.message}")
            left = len(still)
        report.venue_open_after[venue_name] = left
        if not left and venue_name not in report.venue_zero_ms:
            report.venue_zero_ms[venue_name] = (time.perf_counter() - report.t0) * 1000

    def _apply(self, order: Order, rep: Any, report: KillReport) -> None:
        self.desk.ledger.apply_report(order, rep, "canceled")
        if rep.filled and rep.filled > order.filled:
            report.filled_meanwhile += 1
            self.desk.router.spawn(self.desk.router.fetch_fills(order.venue, order.symbol))

    async def _flatten(self, actor: str, report: KillReport) -> list[str]:
        desk = self.desk
        sent = []
        for venue_name in desk.venues:
            sizes: dict[str, Decimal] = {}
            for symbol, info in desk.venue_positions.get(venue_name, {}).items():
                sizes[symbol] = info.size
            for (v, symbol), pos in desk.ledger.positions.items():
                if v == venue_name and symbol not in sizes and pos.size:
                    sizes[symbol] = pos.size
            for symbol, size in sorted(sizes.items()):
                market = desk.markets.get((venue_name, symbol))
                if market is None or not size:
                    continue
                if not market.is_derivative:
                    report.errors.append(f"{venue_name} {symbol}: spot holdings are not flattened; sell them yourself")
                    continue
                amount = market.round_amount(abs(size))
                if amount <= 0:
                    continue
                spec = OrderSpec(venue_name, symbol, Side.SELL if size > 0 else Side.BUY, OrderType.MARKET, amount,
                                 reduce_only=True, origin=Origin.HUMAN, rationale="kill switch: flatten",
                                 decision_mid=desk.mark(venue_name, symbol), decided_at_ms=desk.clock.wall_ms())
                order = Order(spec=spec, client_order_id=desk.journal.next_client_order_id())
                now_wall, now_mono = desk.clock.wall_ms(), desk.clock.mono_ns()
                for leg in ("decided", "staged", "approved"):
                    order.stamp(leg, now_wall, now_mono)
                problems = desk.check(spec, order=order, flattening=True)
                if problems:
                    order.status = OrderStatus.DENIED
                    order.reason = "; ".join(map(str, problems))
                    desk.ledger.add(order, "denied", actor, {"problems": [p.rule for p in problems], "at": "flatten"})
                    report.errors.append(f"flatten {symbol} denied: {order.reason}")
                    continue
                desk.ledger.add(order, "flatten", actor, {"size": size})
                desk.journal.append("approved", actor=actor, order=order, payload={"via": "kill switch flatten"})
                await desk.router.send(order, actor, flatten=True)
                sent.append(order.client_order_id)
        return sent

    def check_approver(self, actor: str, order: Order) -> None:
        """Only a human approves (see ``approver_allowed``); anyone else's attempt is journaled and refused."""
        if approver_allowed(actor, self.desk.venues[order.venue].environment):
            return
        self.desk.journal.append("approve_refused", actor=actor, order=order,
                                 payload={"reason": "only a human may approve"})
        raise DeskError(f"only a human may approve an order (asked by {actor!r}); refused and journaled")

    # -- audit ------------------------------------------------------------------------------------
    def audit(self, since_ms: int | None, limit: int) -> list[AuditEntry]:
        kinds = AUDIT_KINDS + ("trading_state_refused", "rearm_refused", "risk_change_refused", "approve_refused")
        rows = list(self.desk.journal.events(kinds=kinds, since_ms=since_ms))[-limit:]
        out = []
        for ev in rows:
            state = ev.order_state or {}
            spec = state.get("spec") or {}
            what = ""
            if spec:
                price = spec.get("price") or spec.get("trigger_price") or "market"
                what = f"{spec.get('side')} {spec.get('amount')} {spec.get('symbol')} {spec.get('type')} @ {price}"
            p = ev.payload
            if ev.kind == "risk_change":
                what = f"{p.get('symbol') or '*'}: " + ", ".join(f"{k} {p['before'].get(k)} -> {v}"
                                                               for k, v in (p.get("after") or {}).items())
            elif ev.kind in ("trading_state", "rearm"):
                what = f"{p.get('before', '')} -> {p.get('state') or p.get('to')}"
            elif ev.kind in ("kill", "kill_done"):
                what = ", ".join(f"{k}={p[k]}" for k in ("flatten", "elapsed_ms", "canceled", "disarmed") if k in p)
            why = p.get("reason") or state.get("reason") or ""
            if not why and p.get("problems"):
                why = "; ".join(map(str, p["problems"]))
            if not why and p.get("why"):
                why = str(p["why"])
            out.append(AuditEntry(ev.seq, ev.ts_ms, ev.kind, ev.actor, ev.venue, ev.client_order_id, what, why))
        return out
