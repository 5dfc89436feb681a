"""The app's controls: the kill switch and re-arming, quitting with orders that need the app running,
start-up recovery, and alerts (set from the DOM or the palette, shown as notifications with the
terminal bell if asked). A mixin of WorkstationApp."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from textual import work

from ..desk.alerts import Alert
from ..desk.errors import DeskError
from .messages import KillDone, KillFailed

log = logging.getLogger(__name__)


class TradingControls:
    # -- kill switch and trading state ------------------------------------------------------------
    def action_kill(self) -> None:
        from .screens.kill import KillScreen

        if isinstance(self.screen, KillScreen):
            return
        p = self.desk.kill_preview()
        venues = ", ".join(p.venues) or "no venue"
        summary = (f"HALT trading on {venues}, then:\n"
                   f"  decline {p.pending} proposal(s) waiting for approval\n"
                   f"  disarm {p.emulated} emulated order(s) held here\n"
                   f"  cancel {p.working} working order(s) at the venues"
                   + (f" ({p.in_flight} still on their way: canceled as they land)" if p.in_flight else "") + "\n"
                   f"Nothing can be sent until you re-arm ({self.keymap.get('rearm', 'ctrl+r')}).")
        self.push_screen(KillScreen(summary), callback=self._kill_chosen)

    def _kill_chosen(self, choice: str | None) -> None:
        if choice in ("kill", "flatten"):
            self.kill(flatten=choice == "flatten")

    @work(group="kill", exclusive=True, exit_on_error=False)
    async def kill(self, flatten: bool = False) -> None:
        try:
            report = await self.desk.kill(flatten=flatten, actor="human", reason="kill switch (UI)")
        except Exception as exc:  # noqa: BLE001 - the kill switch must report, never crash
            log.exception("kill failed")
            self.post_message(KillFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(KillDone(report, flatten))

    def on_kill_done(self, message: KillDone) -> None:
        r = message.report
        self.dirty.everything = True
        zero = ", ".join(f"{v} {ms:.0f} ms" for v, ms in (getattr(r, "venue_zero_ms", {}) or {}).items())
        lines = [f"HALTED. Canceled {r.canceled}, disarmed {r.disarmed}, declined {r.declined}"
                 + (f", filled meanwhile {r.filled_meanwhile}" if r.filled_meanwhile else ""),
                 f"zero working orders after {r.elapsed_ms:.0f} ms" + (f" (venues: {zero})" if zero else "")]
        if r.flatten_orders:
            lines.append(f"flatten: {len(r.flatten_orders)} reduce-only market order(s)")
        if r.remaining:
            lines.append(f"STILL WORKING (in doubt, being looked up): {', '.join(r.remaining)}")
        if r.errors:
            lines.append("errors: " + "; ".join(r.errors)[:300])
        self.notify("\n".join(lines), title="Kill switch", severity="error" if (r.remaining or r.errors) else "warning",
                    timeout=15, markup=False)

    def on_kill_failed(self, message: KillFailed) -> None:
        self.dirty.everything = True
        self.notify(f"Kill switch failed: {message.error}. Check the venues directly.", title="Kill switch",
                    severity="error", timeout=30)

    def action_rearm(self) -> None:
        from .screens.kill import ConfirmScreen

        halted = [v for v, s in self.desk.trading_states().items() if s.value == "halted"]
        if not halted:
            self.notify("Trading is not halted: nothing to re-arm", timeout=3)
            return
        self.push_screen(ConfirmScreen(
            "Re-arm trading?", f"{', '.join(halted)} HALTED. Re-arming lets approved orders reach the venue again.\n"
            "Press y to go back to ACTIVE.", yes="re-arm"), callback=self._rearm_confirmed)

    def _rearm_confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        try:
            done = self.desk.rearm(actor="human", reason="re-armed from the UI")
        except DeskError as exc:
            self.notify(str(exc), title="Re-arm", severity="error")
            return
        self.dirty.everything = True
        self.notify(f"Re-armed: {', '.join(done) or 'nothing was halted'} ACTIVE", title="Trading", timeout=5)

    # -- start-up recovery ------------------------------------------------------------------------
    def show_recovery(self) -> None:
        """What start-up recovery found, once (the Desk keeps it for us until taken)."""
        take = getattr(self.desk, "take_recovery", None)
        rec = take() if take is not None else None
        if not rec:
            return
        parts = [f"{len(rec.get(k) or [])} {label}" for k, label in (
            ("orders_adopted", "external order(s) adopted"), ("fills_recovered", "fill(s) recovered"),
            ("orders_updated", "order(s) updated from the venue"), ("intents_found", "unacknowledged order(s) found"),
            ("intents_not_found", "not found yet (looked up, never re-sent)")) if rec.get(k)]
        state = "reconciled" if rec.get("reconciled") else "NOT yet reconciled: no approval until it is"
        self.notify("Start-up recovery: " + ("; ".join(parts) or "nothing to recover") + f". {state}. "
                    "Details: R (reconciliation) and A (audit).", title="Recovery",
                    severity="warning" if rec.get("reconciled") else "error", timeout=20)

    # -- quitting ---------------------------------------------------------------------------------
    def action_quit(self) -> None:
        """Quit; but orders held here (emulated: they trigger only while the app runs) and proposals
        waiting for approval are said first, and quitting then needs a y."""
        from .screens.kill import ConfirmScreen

        emulated = len(self.desk.emulated_orders())
        pending = len(self.desk.pending_approvals())
        if not emulated and not pending:
            self.exit()
            return
        lines = []
        if emulated:
            lines.append(f"{emulated} emulated order(s) are held here (stops, take-profits, OCO and bracket legs): "
                         "nothing watches their triggers while the workstation is closed")
        if pending:
            lines.append(f"{pending} order(s) wait for your approval: they stay unsent")
        self.push_screen(ConfirmScreen("Quit the workstation?", "\n".join(lines) + "\n\nPress y to quit anyway.",
                                       danger=bool(emulated), yes="quit"),
                         callback=lambda yes: yes and self.exit())

    # -- alerts -----------------------------------------------------------------------------------
    def add_price_alert(self, venue: str, symbol: str, level: Decimal, note: str = "") -> bool:
        try:
            rule = self.alert_book.add_price(venue, symbol, level, note)
        except ValueError as exc:
            self.notify(str(exc), title="Alert", severity="error", timeout=5)
            return False
        self.notify(f"Alert set: {rule.describe()}", title="Alert", timeout=3)
        self.dirty.alerts = True
        return True

    def _on_alert(self, alert: Alert) -> None:
        """Runs inline in the Desk (an AlertBook listener): queue it for the next tick."""
        self._alerts.append(alert)
        self.dirty.alerts = True
        if alert.kind == "risk":
            self.dirty.status = True  # trading state changes come as the Desk's risk alerts

    def _show_alerts(self) -> None:
        """Alerts as notifications, coalesced: the same message again within ``alert_repeat_s`` is counted,
        not shown; the count rides on the next one shown. At most a few per tick."""
        alerts, self._alerts = self._alerts, []
        if not alerts:
            return
        now = time.monotonic()
        shown = 0
        bell = False
        for alert in alerts:
            last, repeats = self._alert_seen.get(alert.message, (None, 0))
            if last is not None and now - last < self.alert_repeat_s:
                self._alert_seen[alert.message] = (last, repeats + 1)
                continue
            if shown >= 3:
                continue
            shown += 1
            self._alert_seen[alert.message] = (now, 0)
            severity = {"error": "error", "info": "information"}.get(alert.level, "warning")
            bell = bell or severity != "information"
            more = f" (and {repeats} more like it)" if repeats else ""
            title = {"risk": "Risk", "fill": "Fill"}.get(alert.kind, "Alert")
            self.notify(alert.message + more, title=title, severity=severity,
                        timeout=10 if severity == "error" else 5 if severity == "warning" else 3, markup=False)
        if bell and self.config.alerts.bell:
            self.bell()
        if len(self._alert_seen) > 500:
            self._alert_seen = dict(list(self._alert_seen.items())[-200:])
