"""The Workstation TUI. `run_app(config)` is what `workstation` / `workstation run` calls.

Data flow: the Desk publishes events on its bus; `_on_event` only marks what is dirty.
The copilot (built here from the config: rules by default, off = disabled) publishes its own
events; they are moved onto the UI's message queue and shown as notifications and in the status
bar. It can only stage: whatever it proposes waits in the approval queue for a human.
A steady UI tick (`tick_s`, 10 Hz by default) hands the dirty set to the main screen,
which reads snapshots from the Desk and applies them in one batch. Desk verbs that await
(start, approve, cancel, modify, refresh) and candle fetches run in workers that report
back with messages; their errors become notifications, never crashes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches

from ..config import Config
from ..desk.desk import Desk, DeskError
from ..desk.fallback import Fallback
from ..desk.events import (BookChanged, ExecutionRecorded, FillRecorded, OrderChanged, PositionsChanged,
                           ProposalStaged, ReconcileReport, RiskAlert)
from ..paths import themes_dirs
from .commands import WorkstationCommands
from .guard import GuardedDesk, survive
from .keys import APP_BINDINGS, known_ids
from .messages import (CandlesFailed, CandlesLoaded, CopilotEvent, DeskActionDone, DeskActionFailed, DeskStarted,
                       DeskStartFailed, KillDone, KillFailed)
from .screens.help import HelpScreen
from .screens.main import Dirty, MainScreen
from .widgets.chart import PriceChart
from .widgets.copilot_log import CopilotLog
from .themes import DEFAULT_THEME, OUR_THEMES, defaults_for, load_themes

log = logging.getLogger(__name__)


class WorkstationApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "Workstation"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (220, "-ultrawide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, desk: Desk, config: Config | None = None, *, start_desk: bool | str = True,
                 now: Callable[[], datetime] | None = None, tick_s: float = 0.1, candles_every_s: float = 5.0,
                 theme_dirs: list[Path] | None = None, approve_guard_s: float = 0.5, copilot=None,
                 alert_repeat_s: float = 30.0):
        super().__init__()
        self.desk = GuardedDesk(desk)  # Desk methods raise DeskError only; see ui/guard.py
        self.config = config or Config()
        if copilot is None:
            from ..copilot.service import Copilot
            copilot = Copilot.from_desk(desk, self.config.copilot)
        self.copilot = copilot or None  # copilot=False: an app without one (bench, some tests)
        self._copilot_unsubscribe: Callable[[], None] | None = None
        self.copilot_log: list[str] = []  # the last replies and errors, newest last
        self.alert_repeat_s = alert_repeat_s
        self._alert_seen: dict[str, tuple[float, int]] = {}  # message -> (last shown, repeats since)
        self.start_desk_on_mount = start_desk
        self.now = now or datetime.now
        self.tick_s = tick_s
        self.candles_every_s = candles_every_s
        self.approve_guard_s = approve_guard_s
        self.dirty = Dirty()
        self.status_note = ""
        self.connecting = bool(start_desk)
        self.started_at = time.perf_counter()
        self.ready_after_s: float | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._alerts: list[RiskAlert] = []
        self._candle_key: tuple[str, str] | None = None
        self.fallback = Fallback.attach(desk)  # a refused order's alternative, staged for approval (never sent)
        self.keymap = dict(self.config.keys)
        # Themes: ours from files, Textual's built-ins untouched.
        themes, self.theme_failures = load_themes(theme_dirs if theme_dirs is not None else themes_dirs())
        for theme in themes:
            self.register_theme(theme)
        self.theme_problem: str | None = None
        wanted = self.config.theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme_problem = f"theme {wanted!r} not found: using {DEFAULT_THEME}"
            self.theme = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"

    def _handle_exception(self, error: Exception) -> None:
        if not survive(self, error):  # a Desk error in a timer is shown, not fatal (ui/guard.py)
            super()._handle_exception(error)

    # -- themes ---------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return defaults_for(self.current_theme)

    def action_cycle_theme(self) -> None:
        names = [n for n in OUR_THEMES if n in self.available_themes]
        names += sorted(n for n in self.available_themes if n not in names and n != "textual-ansi")
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def _theme_changed(self, _theme) -> None:
        if isinstance(self.screen_stack[0] if self.screen_stack else None, MainScreen):
            self.main_screen.theme_changed()
            self.dirty.everything = True

    # -- start-up -------------------------------------------------------------------------------
    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    @property
    def main_screen(self) -> MainScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def on_mount(self) -> None:
        self._unsubscribe = self.desk.bus.subscribe(self._on_event)
        if self.copilot is not None:
            self._copilot_unsubscribe = self.copilot.subscribe(lambda event: self.post_message(CopilotEvent(event)))
            self.start_copilot()
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        unknown = sorted(set(self.keymap) - known_ids())
        if unknown:
            self.notify(f"[keys] in the config: unknown id(s) {', '.join(unknown)}; see ? for the ids",
                        severity="warning", timeout=10)
        if self.keymap:
            self.set_keymap({k: v for k, v in self.keymap.items() if k not in unknown})
        if self.theme_failures:
            lines = "\n".join(str(f) for f in self.theme_failures)
            self.notify(f"Skipped {len(self.theme_failures)} bad theme file(s):\n{lines}", title="Themes",
                        severity="warning", timeout=10)
        if self.theme_problem:
            self.notify(self.theme_problem, title="Themes", severity="warning", timeout=10)
        self.set_interval(self.tick_s, self.tick)
        self.set_interval(self.candles_every_s, self._reload_candles)
        if self.start_desk_on_mount:
            self.start_desk()
        else:
            self.ready_after_s = time.perf_counter() - self.started_at

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._copilot_unsubscribe is not None:
            self._copilot_unsubscribe()
        if self.copilot is not None:
            try:
                await asyncio.wait_for(self.copilot.stop(), timeout=3)
            except Exception:  # noqa: BLE001 - leaving anyway
                log.exception("copilot stop failed")

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node) -> None:
        keys = ", ".join(sorted(f"{b.id}={b.key}" for b in clashed_bindings))
        if getattr(self, "_clash_reported", None) != keys:
            self._clash_reported = keys
            self.notify(f"Key clash in [keys]: {keys}", severity="warning")

    @work(group="desk-start", exclusive=True, exit_on_error=False)
    async def start_desk(self) -> None:
        """Connect (and, unless start_desk == "connect", keep the desk live) without blocking the screen."""
        attempt = 0
        while True:
            attempt += 1
            try:
                if self.start_desk_on_mount == "connect":
                    await self.desk.connect()
                else:
                    await self.desk.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - shown in the status bar, retried
                log.warning("desk start failed: %s", exc)
                self.post_message(DeskStartFailed(str(exc), attempt))
                await asyncio.sleep(min(2 ** attempt, 30))
                continue
            self.post_message(DeskStarted(time.perf_counter() - self.started_at))
            return

    def on_desk_started(self, message: DeskStarted) -> None:
        self.show_recovery()
        self.connecting = False
        self.status_note = ""
        self.ready_after_s = message.elapsed_s
        self.dirty.everything = True
        main = self.main_screen
        if main.is_mounted and main.query(PriceChart):
            main._select_current()
        else:
            self.call_after_refresh(self._select_when_ready)

    def _select_when_ready(self) -> None:
        main = self.main_screen
        if main.query(PriceChart):
            main._select_current()

    def on_desk_start_failed(self, message: DeskStartFailed) -> None:
        self.status_note = f"connect failed ({message.attempt}x): {message.error}"[:60]
        self.dirty.status = True
        if message.attempt == 1:
            self.notify(f"Could not connect: {message.error}. Retrying in the background.", severity="error")

    # -- live data ------------------------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        """Runs inline in the Desk: only mark what changed."""
        dirty = self.dirty
        if isinstance(event, BookChanged):
            dirty.books.add((event.venue, event.symbol))
        elif isinstance(event, (OrderChanged, ProposalStaged)):
            dirty.orders = True
        elif isinstance(event, (FillRecorded, PositionsChanged)):
            dirty.positions = True
        elif isinstance(event, ExecutionRecorded):
            dirty.executions = True
            dirty.orders = True
        elif isinstance(event, ReconcileReport):
            dirty.status = True
            dirty.positions = True
            if event.error:
                self.status_note = f"reconcile: {event.error}"[:60]
            elif self.status_note.startswith("reconcile"):
                self.status_note = ""
        elif isinstance(event, RiskAlert):
            self._alerts.append(event)
            dirty.status = True  # trading state changes come as alerts

    def _show_alerts(self) -> None:
        """RiskAlerts as notifications, coalesced: the same message again within ``alert_repeat_s`` is
        counted, not shown; the count rides on the next one shown. At most a few per tick."""
        alerts, self._alerts = self._alerts, []
        if not alerts:
            return
        now = time.monotonic()
        shown = 0
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
            more = f" (and {repeats} more like it)" if repeats else ""
            self.notify(alert.message + more, title="Risk", severity=severity, timeout=10 if severity == "error" else 5)
        if len(self._alert_seen) > 500:
            self._alert_seen = dict(list(self._alert_seen.items())[-200:])

    def tick(self) -> None:
        if not self.screen_stack or not isinstance(self.screen_stack[0], MainScreen):
            return
        main = self.main_screen
        if not main.is_mounted:
            return
        self._show_alerts()
        try:
            main.apply(self.dirty, self.now().strftime("%H:%M:%S"))
        except NoMatches:  # the screen is being built or torn down: nothing to show into
            return
        self.dirty.clear()

    # -- candles --------------------------------------------------------------------------------
    def load_candles(self, venue: str, symbol: str) -> None:
        self._candle_key = (venue, symbol)
        connected = venue in self.desk.venues and self.desk.venues[venue].connected
        if connected or not self.start_desk_on_mount:
            self._fetch_candles(venue, symbol)

    def _reload_candles(self) -> None:
        if self._candle_key is not None:
            self.load_candles(*self._candle_key)

    @work(group="candles", exclusive=True, exit_on_error=False)
    async def _fetch_candles(self, venue: str, symbol: str) -> None:
        try:
            candles = await self.desk.venues[venue].fetch_candles(symbol, "1m", 120)
        except Exception as exc:  # noqa: BLE001
            self.post_message(CandlesFailed(venue, symbol, str(exc)))
            return
        self.post_message(CandlesLoaded(venue, symbol, candles))

    def on_candles_loaded(self, message: CandlesLoaded) -> None:
        self.main_screen.query_one(PriceChart).set_candles(message.symbol, message.candles)

    def on_candles_failed(self, message: CandlesFailed) -> None:
        log.info("candles %s %s: %s", message.venue, message.symbol, message.error)

    # -- desk verbs, in workers -----------------------------------------------------------------
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

    # -- the copilot ----------------------------------------------------------------------------
    def copilot_proposal_of(self, cid: str):
        if self.copilot is None:
            return None
        from .screens.proposal import proposal_for
        return proposal_for(self.copilot, cid)

    def record_copilot_decision(self, cid: str | None, decision: str, reason: str = "", edits: dict | None = None,
                                proposal_id: str | None = None) -> None:
        """After a human decided on a copilot proposal: journal it with the copilot (never fatal)."""
        if self.copilot is None:
            return
        proposal = self.copilot.proposal(proposal_id) if proposal_id else self.copilot_proposal_of(cid or "")
        if proposal is None or proposal.decision is not None:
            return
        try:
            self.copilot.record_decision(proposal.id, decision, reason,
                                         {k: str(v) for k, v in (edits or {}).items()} or None)
        except Exception:  # noqa: BLE001
            log.exception("recording the decision on %s failed", proposal.id)

    @work(group="copilot-start", exclusive=True, exit_on_error=False)
    async def start_copilot(self) -> None:
        try:
            await self.copilot.start()
        except Exception as exc:  # noqa: BLE001
            self.notify(f"The copilot did not start: {exc}", title="Copilot", severity="error")

    def ask_copilot(self, prompt: str) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        if not self.copilot.enabled:
            self.notify("The copilot is off: press C to turn it on", title="Copilot", severity="warning")
            return
        self.copilot.ask(prompt)  # returns at once; the answer comes back as events
        self.copilot_log.append(f"you: {prompt}")

    def toggle_copilot(self) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        on = self.copilot.toggle()
        self.dirty.status = True
        self.notify(f"Copilot {'on' if on else 'off'}", title="Copilot", timeout=3)

    def toggle_auto_propose(self) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        if self.copilot.auto_propose_s > 0:
            self.copilot.set_auto_propose(0)
            self.notify("Auto-propose off", title="Copilot", timeout=3)
        else:
            seconds = float(self.config.copilot.auto_propose_s) or 30.0
            self.copilot.set_auto_propose(seconds)
            note = "" if self.copilot.enabled else " (the copilot is off: C turns it on)"
            self.notify(f"Auto-propose every {seconds:g}s: proposals wait for your approval{note}",
                        title="Copilot", timeout=4)
        self.dirty.status = True

    def copilot_status(self) -> str | None:
        if self.copilot is None:
            return None
        status = self.copilot.status
        if self.copilot.enabled and self.copilot.auto_propose_s > 0 and status == "idle":
            return f"auto {self.copilot.auto_propose_s:g}s"
        return status

    def on_copilot_event(self, message: CopilotEvent) -> None:
        from ..copilot.service import CopilotError, CopilotReply, ProposalMade, StatusChanged

        event = message.event
        for panel in self.main_screen.query(CopilotLog):  # the copilot log panel (main screen, Copilot tab)
            panel.add(event)
        if isinstance(event, StatusChanged):
            self.dirty.status = True
            if event.detail and event.status == "idle" and "paused" in event.detail:
                self.notify(event.detail, title="Copilot", severity="warning", timeout=5)
        elif isinstance(event, ProposalMade):
            self.dirty.orders = True
        elif isinstance(event, CopilotReply):
            self.copilot_log.append(f"copilot: {event.text}")
            if event.prompt is None and not event.proposals:
                return  # an auto-propose round that found nothing: no need to say so every time
            self.notify(event.text[:400], title="Copilot" + (" · proposes" if event.proposals else ""),
                        severity="warning" if event.refused else "information",
                        timeout=8 if event.proposals else 6, markup=False)
            if event.proposals and isinstance(self.screen, MainScreen):
                self.main_screen.show_tab("approvals", focus=False)
        elif isinstance(event, CopilotError):
            self.copilot_log.append(f"error ({event.scenario}): {event.message}")
            self.notify(event.message[:400], title=f"Copilot error: {event.scenario}", severity="error", timeout=8,
                        markup=False)
        self.copilot_log = self.copilot_log[-50:]

    def confirm_suggestion(self, proposal_id: str) -> None:
        """A copilot cancel / modify suggestion the human confirmed: the UI calls the Desk's verb."""
        proposal = self.copilot.proposal(proposal_id)
        cid = proposal.target_order_id

        async def call():
            if proposal.kind == "schedule":  # one approval for every slice within its bounds (desk/schedule.py)
                self.desk.schedules.approve(proposal.schedule_id, actor="human")
                result = None
            elif proposal.kind == "cancel":
                result = await self.desk.cancel(cid)
            else:
                result = await self.desk.modify(cid, amount=proposal.new_amount, price=proposal.new_price)
            self.record_copilot_decision(None, "approved", proposal_id=proposal_id)
            return result

        self.run_worker(self._verb(proposal.kind, cid, call), group="verbs", exit_on_error=False,
                        description=f"{proposal.kind} {cid} (copilot)")

    def reject_suggestion(self, proposal_id: str, reason: str) -> None:
        self.record_copilot_decision(None, "rejected", reason, proposal_id=proposal_id)
        self.dirty.orders = True
        self.notify("Suggestion rejected" + (f": {reason}" if reason else ""))

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

    # -- reconciliation -------------------------------------------------------------------------
    def reconcile_verb(self, verb: str, key: str) -> None:
        async def call():
            if verb == "adopt":
                return self.desk.adopt(key)
            if verb == "ignore":
                return self.desk.ignore_difference(key, note="ignored from the reconciliation screen")
            return await self.desk.cancel_difference(key)

        self.run_worker(self._verb(f"reconcile:{verb}", key, call), group="verbs", exit_on_error=False,
                        description=f"{verb} {key}")

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

    # -- screens --------------------------------------------------------------------------------
    def open_tca(self) -> None:
        from .screens.tca import TcaScreen
        if not isinstance(self.screen, TcaScreen):
            self.push_screen(TcaScreen(self.desk))

    def open_audit(self) -> None:
        from .screens.audit import AuditScreen
        if not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen(self.desk))

    def action_venue_profiles(self) -> None:
        from .screens.profiles import ProfilesScreen
        if not isinstance(self.screen, ProfilesScreen):
            self.push_screen(ProfilesScreen(self.desk))

    def action_compare_venues(self) -> None:
        from .screens.compare import CompareScreen
        if not isinstance(self.screen, CompareScreen):
            self.push_screen(CompareScreen(self.desk, self.main_screen.selected[1]))

    def open_reconcile(self) -> None:
        from .screens.reconcile import ReconcileScreen
        if not isinstance(self.screen, ReconcileScreen):
            self.push_screen(ReconcileScreen(self.desk))

    def cancel(self, cid: str) -> None:
        self.run_worker(self._verb("cancel", cid, lambda: self.desk.cancel(cid)), group="verbs",
                        exit_on_error=False, description=f"cancel {cid}")

    def modify(self, cid: str, amount, price) -> None:
        self.run_worker(self._verb("modify", cid, lambda: self.desk.modify(cid, amount=amount, price=price)),
                        group="verbs", exit_on_error=False, description=f"modify {cid}")

    def refresh_desk(self) -> None:
        self.run_worker(self._verb("refresh", None, self.desk.refresh), group="refresh", exclusive=True,
                        exit_on_error=False, description="refresh")

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
        if message.verb == "approve" and not self.desk.pending_approvals():
            self.main_screen.show_tab("orders", focus=False)

    def on_desk_action_failed(self, message: DeskActionFailed) -> None:
        self.dirty.orders = True
        self.notify(message.error, title=f"{message.verb.replace('reconcile:', '')} failed", severity="error",
                    timeout=8)

    # -- app actions ----------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))


def run_app(config: Config) -> int:
    """Build the desk, run the TUI, stop the desk on the way out."""
    from ..factory import build_desk

    desk = build_desk(config)
    app = WorkstationApp(desk, config)

    async def main() -> None:
        try:
            await app.run_async()
        finally:
            if app.copilot is not None:
                try:
                    await asyncio.wait_for(app.copilot.stop(), timeout=3)
                except Exception:  # noqa: BLE001
                    log.exception("copilot stop failed")
            try:
                await asyncio.wait_for(desk.stop(), timeout=5)
            except Exception:  # noqa: BLE001 - leaving anyway
                log.exception("desk stop failed")

    asyncio.run(main())
    return int(app.return_code or 0)
