"""The app's Desk verbs, each in a worker that reports back with a message: approve, reject, cancel,
modify, refresh, the reconciliation verbs, and the fast actions' plans. Their errors become
notifications, never crashes. A mixin of WorkstationApp."""

from __future__ import annotations

import logging

from ..desk.errors import DeskError
from .messages import DeskActionDone, DeskActionFailed, LeverageSet, PlanDone

log = logging.getLogger(__name__)


class DeskVerbs:
    def approve(self, cid: str, edits: dict | None = None) -> None:
        async def call():
            order = await self.desk.approve(cid, edits=edits) if edits else await self.desk.approve(cid)
            self.record_copilot_decision(cid, "edited" if edits else "approved", edits=edits)
            return order

        self.run_worker(self._verb("approve", cid, call), group="verbs", exit_on_error=False,
                        description=f"approve {cid}")

    def reject(self, cid: str, reason: str) -> bool:
        try:
            self.desk.reject(cid, reason)
        except DeskError as exc:
            self.notify(str(exc), severity="error")
            return False
        self.record_copilot_decision(cid, "rejected", reason)
        self.dirty.orders = True
        self.notify(f"Rejected {cid}" + (f": {reason}" if reason else ""))
        return True

    def cancel(self, cid: str) -> None:
        self.run_worker(self._verb("cancel", cid, lambda: self.desk.cancel(cid)), group="verbs",
                        exit_on_error=False, description=f"cancel {cid}")

    def modify(self, cid: str, amount, price) -> None:
        self.run_worker(self._verb("modify", cid, lambda: self.desk.modify(cid, amount=amount, price=price)),
                        group="verbs", exit_on_error=False, description=f"modify {cid}")

    def refresh_desk(self) -> None:
        self.run_worker(self._verb("refresh", None, self.desk.refresh), group="refresh", exclusive=True,
                        exit_on_error=False, description="refresh")

    def reconcile_verb(self, verb: str, key: str) -> None:
        async def call():
            if verb == "adopt":
                return self.desk.adopt(key)
            if verb == "ignore":
                return self.desk.ignore_difference(key, note="ignored from the reconciliation screen")
            return await self.desk.cancel_difference(key)

        self.run_worker(self._verb(f"reconcile:{verb}", key, call), group="verbs", exit_on_error=False,
                        description=f"{verb} {key}")

    async def _verb(self, verb: str, cid: str | None, call) -> None:
        try:
            result = await call()
        except DeskError as exc:
            self.post_message(DeskActionFailed(verb, cid, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a verb must never take the screen down
            log.exception("%s %s failed", verb, cid)
            self.post_message(DeskActionFailed(verb, cid, f"{type(exc).__name__}: {exc}"))
            return
        status = getattr(result, "status", None)
        self.post_message(DeskActionDone(verb, cid, status.value if status is not None else None,
                                         getattr(result, "reason", "") or ""))

    def on_desk_action_done(self, message: DeskActionDone) -> None:
        self.dirty.orders = self.dirty.positions = self.dirty.executions = self.dirty.status = True
        if message.verb == "refresh":
            self.notify("Refreshed and reconciled", timeout=2)
            return
        if message.verb.startswith("reconcile:"):
            verb = message.verb.split(":", 1)[1]
            screen = self.screen
            if hasattr(screen, "update_view"):
                screen.update_view()
            self.notify(f"{verb}: {message.client_order_id}", title="Reconciliation", timeout=4)
            return
        status = (message.status or "").replace("_", " ")
        if message.status in ("denied", "rejected"):
            self.notify(f"{message.verb} {message.client_order_id}: {status}: {message.detail}",
                        severity="error", timeout=8)
            return
        done = {"approve": "Approved", "cancel": "Canceled", "modify": "Modified"}.get(message.verb, message.verb)
        self.notify(f"{done} {message.client_order_id}: {status}", timeout=4)
        if message.verb == "approve" and not self.desk.pending_approvals() and self.is_main_screen():
            self.main_screen.show_tab("orders", focus=False)

    def on_desk_action_failed(self, message: DeskActionFailed) -> None:
        self.dirty.orders = True
        self.notify(message.error, title=f"{message.verb.replace('reconcile:', '')} failed", severity="error",
                    timeout=8)

    # -- leverage ---------------------------------------------------------------------------------
    def open_leverage(self, venue: str, symbol: str) -> None:
        from .screens.leverage import LeverageScreen

        market = self.desk.markets.get((venue, symbol))
        if market is None or not market.is_derivative:
            self.notify(f"{symbol} on {venue} is not a contract: leverage does not apply", severity="warning")
            return
        screen = LeverageScreen(venue, symbol, now=self.desk.venue_leverage.get((venue, symbol)),
                                venue_max=market.max_leverage, gate_limit=self.desk.limits(venue, symbol).max_leverage)
        self.push_screen(screen, callback=lambda value: value is not None and self.set_leverage(venue, symbol, value))

    def set_leverage(self, venue: str, symbol: str, value) -> None:
        async def call() -> None:
            try:
                done = await self.desk.set_leverage(venue, symbol, value, actor="human", reason="set in the UI")
            except DeskError as exc:
                self.post_message(DeskActionFailed("leverage", None, str(exc)))
                return
            except Exception as exc:  # noqa: BLE001 - a verb must never take the screen down
                log.exception("set leverage %s %s failed", venue, symbol)
                self.post_message(DeskActionFailed("leverage", None, f"{type(exc).__name__}: {exc}"))
                return
            self.post_message(LeverageSet(venue, symbol, done))

        self.run_worker(call(), group="verbs", exit_on_error=False, description=f"leverage {symbol}")

    def on_leverage_set(self, message: LeverageSet) -> None:
        self.dirty.positions = self.dirty.status = True
        self.notify(f"{message.symbol} on {message.venue} is now at {message.leverage}x", title="Leverage", timeout=5)

    # -- fast actions ------------------------------------------------------------------------------
    def run_plan(self, plan) -> None:
        """Carry out a confirmed fast action (desk.actions) in a worker; the outcome comes back as a message."""
        async def call() -> None:
            try:
                outcome = await self.actions.execute(plan)
            except Exception as exc:  # noqa: BLE001 - execute reports; anything else is a bug, shown
                log.exception("%s failed", plan.title)
                self.post_message(DeskActionFailed(plan.kind, None, f"{plan.title}: {type(exc).__name__}: {exc}"))
                return
            self.post_message(PlanDone(outcome))

        self.run_worker(call(), group="actions", exit_on_error=False, description=plan.title)

    def on_plan_done(self, message: PlanDone) -> None:
        outcome = message.outcome
        self.dirty.orders = self.dirty.positions = self.dirty.executions = self.dirty.status = True
        self.notify(outcome.summary(), title=outcome.plan.title, severity="information" if outcome.ok else "error",
                    timeout=6 if outcome.ok else 12, markup=False)
