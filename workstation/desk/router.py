"""The life of an order at the venue: the one part that sends, cancels, modifies and looks up.

Everything that reaches a venue about an order goes through the OrderRouter: a human's approved
order, an emulated order released on its trigger, a bracket's child, the kill switch's cancels and
its flatten, the reconciler's look-ups. It owns the state those steps share: the tasks it runs, the
orders whose outcome is being looked up, and the send slot (the order-rate throttle's pacing).

The rules it keeps:
- The intent is journaled (fsync'd) before the venue can see the order.
- A send or cancel whose outcome is unknown puts the order IN_DOUBT; it is looked up by client order
  id, never re-sent. Only a definite refusal (a 429, maintenance) is retried with the same id.
- A look-up that fails proves nothing; only one that proves the order absent, after the grace
  period, declares it LOST (and a LOST order still takes late fills).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from decimal import Decimal
from typing import Any

from ..domain.orders import Order, OrderSpec, OrderStatus
from ..venues.errors import ErrorKind, VenueError
from .errors import DeskError
from .events import RiskAlert
from .ports import DeskPort
from .risk import TradingState

log = logging.getLogger(__name__)


class OrderRouter:
    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.tasks: set[asyncio.Task] = set()
        self.resolving: set[str] = set()
        self.lookup_outcome: dict[str, str] = {}  # client order id -> found | absent | error (last look-up)
        self.in_flight: dict[str, Order] = {}  # sends between the journaled intent and the venue's answer
        self._sent_mono_ns: dict[str, int] = {}  # when this process last sent or heard an ack, per order
        self.flatten_orders: set[str] = set()  # the kill switch's own orders: never chased as "landed after a kill"

    # -- tasks -------------------------------------------------------------------------------------
    def spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- sending ---------------------------------------------------------------------------------
    async def await_send_slot(self, venue: str, symbol: str, max_wait_s: float = 5.0) -> None:
        """Pace an approved group's sends under the order-rate limit instead of denying half of it."""
        desk = self.desk
        limit = desk.gate.limits_for(venue, symbol).orders_per_s
        waited = 0.0
        while desk.gate.sends_last_s(venue, desk.clock.wall_ms()) >= limit and waited < max_wait_s:
            await asyncio.sleep(0.05)
            waited += 0.05

    def halted(self, venue: str) -> bool:
        return self.desk.trading_state(venue) is TradingState.HALTED

    async def send(self, order: Order, actor: str, *, flatten: bool = False) -> None:
        """Journal the intent, send, and follow the answer. ``flatten`` marks the kill switch's own reduce-only
        orders, the only ones that may go out, and stay out, while the account is HALTED."""
        desk = self.desk
        if order.status not in (OrderStatus.PENDING_APPROVAL, OrderStatus.EMULATED):
            return  # decided meanwhile (the kill switch declined it while a group was being paced)
        if self.halted(order.venue) and not flatten:
            desk.ledger.move(order, OrderStatus.DENIED, "denied", actor, f"{order.venue} is HALTED: not sent",
                             payload={"problems": ["halted"], "at": "send"})
            return
        venue = desk.venues[order.venue]
        # The intent is on disk before the venue can see the order: a crash from here on leaves an order we
        # know about and look up, never one we send twice. An intent the journal refuses sends nothing and
        # leaves the order as it was (waiting for approval), to be approved again once the journal can write.
        with desk.ledger.restored_on_failure(order):
            order.arrival_mid = desk.mark(order.venue, order.symbol)
            order.stamp("sent", desk.clock.wall_ms(), desk.clock.mono_ns())
            desk.ledger.move(order, OrderStatus.NEW, "intent", actor,
                             payload={"params": repr(venue.order_params(order)[:5])})
        desk.gate.record_send(order.venue, desk.clock.wall_ms())  # the order-rate throttle counts every send
        self.in_flight[order.client_order_id] = order
        if flatten:
            self.flatten_orders.add(order.client_order_id)
        self._sent_mono_ns[order.client_order_id] = desk.clock.mono_ns()
        try:
            await self._send_with_retries(order, actor, venue)
        finally:
            self.in_flight.pop(order.client_order_id, None)
        await self.chase_if_halted(order)

    async def send_approved(self, order: Order, approver: str, payload: dict[str, Any]) -> None:
        """Send an order a standing decision approved (a schedule's slice, under its one approval): stamped and
        journaled as approved by that approver, as any approval is, before its intent."""
        desk = self.desk
        with desk.ledger.restored_on_failure(order):
            order.approval_mid = desk.mark(order.venue, order.symbol)
            order.stamp("approved", desk.clock.wall_ms(), desk.clock.mono_ns())
            desk.journal.append("approved", actor=approver, order=order, payload=payload)
        await self.send(order, approver)

    async def _send_with_retries(self, order: Order, actor: str, venue: Any) -> None:
        desk = self.desk
        for attempt in range(desk.settings.send_retries + 1):
            try:
                report = await venue.create_order(order)
            except VenueError as err:
                order.errors.append(err.message)
                if err.kind in (ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT) and attempt < desk.settings.send_retries:
                    # a definite refusal: nothing was placed, so the same client order id may go again
                    desk.ledger.touch(order, "send_retry", payload={"error": err.message, "kind": err.kind.value})
                    await asyncio.sleep(0.25 * (2 ** attempt))
                    continue
                if err.kind is ErrorKind.UNKNOWN_OUTCOME:
                    self._unknown_outcome(order, err)
                elif order.status is OrderStatus.NEW:
                    desk.ledger.move(order, OrderStatus.REJECTED, "rejected", reason=err.message,
                                     payload={"error": err.message, "kind": err.kind.value})
                else:  # the stream says the venue has it: the error was about the answer, not the order
                    desk.ledger.touch(order, "send_error_after_answer", payload={"error": err.message,
                                                                                 "kind": err.kind.value})
                return
            now_wall, now_mono = desk.clock.wall_ms(), desk.clock.mono_ns()
            order.stamp("acked", now_wall, now_mono)
            self._sent_mono_ns[order.client_order_id] = now_mono
            desk.ledger.apply_report(order, report, "ack")  # the venue id, journaled with the order
            if order.status is OrderStatus.NEW:
                desk.ledger.move(order, OrderStatus.OPEN, "ack")
            if report.filled and report.filled > order.filled:
                await self.fetch_fills(order.venue, order.symbol)  # after the wire: not on the send path
            return

    def _unknown_outcome(self, order: Order, err: VenueError, actor: str = "desk") -> None:
        """A timeout or disconnect: the venue may or may not have the order. Only an order nobody has
        answered for yet goes IN_DOUBT; if the stream already answered (open, filled), that answer stands."""
        if order.status is OrderStatus.NEW:
            self.desk.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
            self.resolve_later(order)
        elif order.status.is_working and not order.venue_order_id:
            self.spawn(self.resolve_now(order))  # the stream knew it; learn its venue id by a look-up

    def recently_sent(self, client_order_id: str, within_ms: int) -> bool:
        """Sent or acknowledged by this process within ``within_ms`` (a previous process's times do not count:
        after a restart every missing order is looked up at once)."""
        at = self._sent_mono_ns.get(client_order_id)
        return at is not None and self.desk.clock.mono_ns() - at < within_ms * 1_000_000

    async def chase_if_halted(self, order: Order) -> None:
        """An order that lands at the venue after a kill (sent before it, answered after) is canceled at once."""
        if (not order.status.is_working or order.status is OrderStatus.IN_DOUBT or not self.halted(order.venue)
                or order.client_order_id in self.flatten_orders):
            return
        self.desk.bus.publish(RiskAlert(f"{order.client_order_id} reached {order.venue} after the kill switch: "
                                        f"canceling it", "error", order.client_order_id))
        try:
            await self.cancel(order, "kill")
        except DeskError as exc:
            self.desk.bus.publish(RiskAlert(f"could not cancel {order.client_order_id} after the kill: {exc}; the "
                                            f"next refresh tries again", "error", order.client_order_id))

    async def wait_in_flight(self, venue: str, timeout_s: float) -> list[str]:
        """Wait (at most ``timeout_s``) for every send to ``venue`` to get its answer. Returns those still out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            out = [cid for cid, o in self.in_flight.items() if o.venue == venue]
            if not out or loop.time() >= deadline:
                return out
            await asyncio.sleep(0.01)

    # -- cancelling --------------------------------------------------------------------------------
    async def cancel(self, order: Order, actor: str) -> Order:
        """Cancel a working order at its venue. The cancel throttle applies to the trader's cancels, not to the
        Desk's own (emulator, kill switch)."""
        desk = self.desk
        cid = order.client_order_id
        if actor not in ("emulator", "desk", "kill"):
            throttled = desk.gate.check_cancel(order.venue, order.symbol, desk.clock.wall_ms())
            if throttled:
                desk.ledger.touch(order, "cancel_denied", actor, {"problems": [p.rule for p in throttled],
                                                                  "reason": str(throttled[0])})
                raise DeskError(f"cancel of {cid} denied: {throttled[0]}")
        desk.gate.record_cancel(order.venue, desk.clock.wall_ms())
        order.cancel_requested = True
        reason_before = order.reason  # the execution record says who canceled (restored if the venue refuses)
        order.reason = order.reason or {"human": "canceled by the trader", "kill": "canceled by the kill switch",
                                        "emulator": "canceled by its OCO / bracket"}.get(actor, f"canceled by {actor}")
        desk.ledger.touch(order, "cancel_request", actor)
        venue = desk.venues[order.venue]
        for attempt in range(desk.settings.send_retries + 1):
            try:
                report = await venue.cancel_order(order)
                break
            except VenueError as err:
                order.errors.append(err.message)
                if err.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED):
                    # A definite refusal (429, maintenance): the order is still working, exactly as before.
                    if attempt < desk.settings.send_retries:
                        await asyncio.sleep(0.25 * (2 ** attempt))
                        continue
                    order.cancel_requested = False
                    order.reason = reason_before
                    desk.ledger.touch(order, "cancel_failed", actor, {"error": err.message, "kind": err.kind.value})
                    raise DeskError(f"cancel of {cid} refused ({err.kind.value}): the order is still "
                                    f"working; try again in a moment") from err
                if err.kind is ErrorKind.NOT_FOUND:
                    # Gone already: filled or canceled in the meantime. Find out which.
                    await self.resolve_now(order)
                elif err.kind is ErrorKind.UNKNOWN_OUTCOME:
                    if order.status.is_working and order.status is not OrderStatus.IN_DOUBT:
                        desk.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message})
                        self.resolve_later(order)
                else:
                    order.reason = reason_before
                    desk.ledger.touch(order, "cancel_failed", actor, {"error": err.message})
                    raise DeskError(f"cancel of {cid} refused: {err.message}") from err
                return copy.copy(order)
        if report is not None:
            desk.ledger.apply_report(order, report, "canceled")
            if report.filled and report.filled > order.filled:
                self.spawn(self.fetch_fills(order.venue, order.symbol))
        else:
            await self.resolve_now(order)
        return copy.copy(order)

    async def cancel_lost(self, order: Order, actor: str) -> str:
        """A cancel by client order id for an order declared LOST, in case the venue has it after all.
        Returns what happened, in words."""
        desk = self.desk
        desk.ledger.touch(order, "cancel_request", actor, {"lost": True})
        try:
            report = await desk.venues[order.venue].cancel_order(order)
        except VenueError as err:
            if err.kind is not ErrorKind.NOT_FOUND:
                raise DeskError(f"cancel of {order.client_order_id} failed: {err.message}") from err
            return "the venue does not have it: nothing to cancel"
        if report is not None:
            desk.ledger.apply_report(order, report, "canceled")
        return "canceled at the venue after all"

    # -- modifying ---------------------------------------------------------------------------------
    async def modify(self, order: Order, new_spec: OrderSpec, changes: dict[str, Any], actor: str) -> Order:
        """Change a working order's terms at the venue; the gate already ran on them. Where the venue amends in
        place, one call. Elsewhere a cancel-replace, shown as such: returns the replacement."""
        desk = self.desk
        venue = desk.venues[order.venue]
        if not venue.modifies_in_place(order.symbol):
            return await self._cancel_replace(order, new_spec, changes, actor)
        probe = copy.copy(order)
        probe.spec = new_spec  # the venue's params (trigger price included) from the new terms
        desk.ledger.touch(order, "modify_request", actor, {"after": changes})
        try:
            report = await venue.edit_order(probe, new_spec.amount, new_spec.price)
        except VenueError as err:
            order.errors.append(err.message)
            if err.kind is ErrorKind.UNKNOWN_OUTCOME:
                # Applied or not: the look-up (by our client id, which an amend keeps) brings the venue's terms.
                if order.status.is_working:
                    desk.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", actor, payload={"error": err.message,
                                                                                             "during": "modify"})
                    self.resolve_later(order)
                else:  # settled while the amend hung (a refresh declared it lost): never a step back
                    self.spawn(self.resolve_now(order))
                return copy.copy(order)
            desk.ledger.touch(order, "modify_failed", actor, {"error": err.message})
            raise DeskError(f"modify of {order.client_order_id} refused: {err.message}") from err
        before = {k: getattr(order.spec, k) for k in changes}
        order.spec = new_spec
        desk.ledger.set_venue_id(order, report.venue_order_id, journal=False)  # journaled just below
        desk.ledger.touch(order, "modified", actor, {"amount": new_spec.amount, "price": new_spec.price,
                                                     "before": before, "after": changes, "where": "in place"})
        desk.ledger.apply_report(order, report, "modified")
        return copy.copy(order)

    async def _cancel_replace(self, order: Order, new_spec: OrderSpec, changes: dict[str, Any], actor: str) -> Order:
        """Cancel, learn from the venue how much the original filled in the end, then a new order for exactly
        the rest (never the whole amount again: that would overfill), under an id of ours derived from the
        original's so that a lost answer is found by look-up. Journaled as ``cancel_replace``."""
        desk = self.desk
        cid = order.client_order_id
        desk.journal.append("cancel_replace", actor=actor, order=order, payload={"step": "cancel", "after": changes})
        await self.cancel(order, actor)
        if order.status is not OrderStatus.CANCELED:
            raise DeskError(f"cancel-replace of {cid} stopped after the cancel: the original is "
                            f"{order.status.value} (filled {order.filled}); nothing new was sent")
        final = await self._final_filled(order)
        if final is None:
            raise DeskError(f"{cid} is canceled, but {order.venue} did not say how much of it filled: nothing new "
                            f"was sent; refresh, then place the rest yourself")
        rest = new_spec.amount - final
        if rest <= 0:
            raise DeskError(f"{cid} filled {final} before its cancel: nothing left to replace")
        now_wall, now_mono = desk.clock.wall_ms(), desk.clock.mono_ns()
        spec = new_spec.with_changes(amount=rest, decision_mid=desk.mark(order.venue, order.symbol),
                                     decided_at_ms=now_wall)
        new = Order(spec=spec, client_order_id=self.replacement_id(cid))
        for leg in ("decided", "staged", "approved"):
            new.stamp(leg, now_wall, now_mono)
        problems = desk.check(spec, order=new, sending=True, confirm_duplicate=True)
        if problems:
            new.status = OrderStatus.DENIED
            new.reason = "; ".join(map(str, problems))
            desk.ledger.add(new, "denied", actor, {"problems": [p.rule for p in problems], "replaces": cid,
                                                   "at": "cancel_replace"})
            desk.bus.publish(RiskAlert(f"cancel-replace: {cid} was canceled but its replacement "
                                       f"was denied: {new.reason}", "error", new.client_order_id))
            return copy.copy(new)
        desk.ledger.add(new, "staged", actor, {"replaces": cid, "original_filled": final})
        desk.journal.append("approved", actor=actor, order=new, payload={"via": "cancel_replace", "replaces": cid})
        desk.journal.append("cancel_replace", actor=actor, order=new, payload={
            "step": "replace", "replaces": cid, "after": changes, "original_filled": final})
        await self.send(new, actor)
        return copy.copy(new)

    async def _final_filled(self, order: Order) -> Decimal | None:
        """How much a canceled order filled, by the venue's word (our own fills may still be on their way);
        the missing fills are fetched so the position follows. None when the venue cannot say."""
        desk = self.desk
        try:
            report = await desk.venues[order.venue].find_order(order.client_order_id, order.symbol,
                                                               order.venue_order_id)
        except VenueError as err:
            log.info("look-up of %s after its cancel failed: %s", order.client_order_id, err)
            report = None
        if report is None or report.filled is None:
            return None
        if report.filled > order.filled:
            await self.fetch_fills(order.venue, order.symbol)
        return max(report.filled, order.filled)

    def replacement_id(self, client_order_id: str) -> str:
        """The replacement's client order id: ours, unique, and traceable to the original (``...m1``, ``...m2``):
        an order of ours is "ws" + 16 alphanumerics; anything else (an adopted order) gets a fresh id."""
        root = client_order_id[:18]
        if not (root.startswith("ws") and root.isalnum() and len(root) == 18):
            return self.desk.journal.next_client_order_id()
        n = 1
        while f"{root}m{n}" in self.desk.ledger.orders:
            n += 1
        return f"{root}m{n}"

    # -- unknown outcomes ----------------------------------------------------------------------
    async def recover_unacked(self) -> tuple[list[str], list[str]]:
        """Intents from a previous run that never got an answer: look each up by client order id.

        Found ones take the venue's state; the rest go IN_DOUBT and are resolved (or declared lost)
        within the grace period. None is ever sent again.
        """
        desk = self.desk
        found, missing = [], []
        for order in list(desk.ledger.orders.values()):
            if order.status not in (OrderStatus.NEW, OrderStatus.IN_DOUBT) or order.client_order_id in self.resolving:
                continue
            if await self.resolve_now(order):
                found.append(order.client_order_id)
                continue
            missing.append(order.client_order_id)
            if order.status is OrderStatus.NEW:
                desk.ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", payload={"why": "no answer before restart"})
            self.resolve_later(order)
        if found or missing:
            desk.journal.append("recovery", actor="desk", payload={"found": found, "not_found_yet": missing})
            desk.bus.publish(RiskAlert(f"recovered {len(found)} unacknowledged order(s) from the venue; "
                                       f"{len(missing)} not found yet (looking up, never re-sent)", "warning"))
        return found, missing

    def resolve_later(self, order: Order) -> None:
        if order.client_order_id not in self.resolving:
            self.resolving.add(order.client_order_id)
            self.spawn(self._resolve_loop(order))

    async def _resolve_loop(self, order: Order) -> None:
        """Look an IN_DOUBT order up by client order id until the venue answers or the grace ends."""
        desk = self.desk
        try:
            deadline = desk.clock.mono_ns() + int(desk.settings.in_doubt_grace_s * 1e9)
            delay = desk.settings.in_doubt_poll_s
            while order.status is OrderStatus.IN_DOUBT:
                await asyncio.sleep(delay)
                if await self.resolve_now(order):
                    return
                # Lost only when a look-up *proved* it absent after the grace: a failing look-up proves nothing.
                if desk.clock.mono_ns() > deadline and self.lookup_outcome.get(order.client_order_id) == "absent" \
                        and order.status is OrderStatus.IN_DOUBT:
                    desk.ledger.move(order, OrderStatus.LOST, "lost",
                                     reason=f"not found at {order.venue} within {desk.settings.in_doubt_grace_s:.0f}s")
                    return
                delay = min(delay * 1.5, 5.0)
        finally:
            self.resolving.discard(order.client_order_id)

    async def resolve_now(self, order: Order) -> bool:
        desk = self.desk
        venue = desk.venues[order.venue]
        try:
            report = await venue.find_order(order.client_order_id, order.symbol, order.venue_order_id)
        except VenueError as err:
            log.info("lookup of %s failed: %s", order.client_order_id, err)
            self.lookup_outcome[order.client_order_id] = "error"
            return False
        if report is None:
            self.lookup_outcome[order.client_order_id] = "absent"
            return False
        self.lookup_outcome[order.client_order_id] = "found"
        desk.ledger.apply_report(order, report, "resolved")
        if report.filled and report.filled > order.filled:
            await self.fetch_fills(order.venue, order.symbol)
        await self.chase_if_halted(order)
        return True

    async def fetch_fills(self, venue_name: str, symbol: str) -> int:
        desk = self.desk
        venue = desk.venues[venue_name]
        new = 0
        # From just before the newest fill already fetched (not the whole history: that is O(every trade)).
        since = desk.fill_since(venue_name, symbol)
        try:
            for fill in await venue.fetch_my_trades(symbol, since):
                new += desk.ledger.record_fill(fill)
        except VenueError as err:
            log.info("fetch fills %s %s: %s", venue_name, symbol, err)
        return new


__all__ = ["OrderRouter"]
