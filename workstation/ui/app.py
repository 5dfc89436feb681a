"""The Workstation TUI. `run_app(config)` is what `workstation` / `workstation run` calls.

Data flow: the Desk publishes events on its bus; `_on_event` only marks what is dirty.
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
from ..desk.events import (BookChanged, ExecutionRecorded, FillRecorded, OrderChanged, PositionsChanged,
                           ProposalStaged, ReconcileReport, RiskAlert)
from ..paths import themes_dirs
from .commands import WorkstationCommands
from .keys import APP_BINDINGS, known_ids
from .messages import (CandlesFailed, CandlesLoaded, DeskActionDone, DeskActionFailed, DeskStarted,
                       DeskStartFailed)
from .screens.help import HelpScreen
from .screens.main import Dirty, MainScreen
from .widgets.chart import PriceChart
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
                 theme_dirs: list[Path] | None = None, approve_guard_s: float = 0.5):
        super().__init__()
        self.desk = desk
        self.config = config or Config()
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

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

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

    def tick(self) -> None:
        if not self.screen_stack or not isinstance(self.screen_stack[0], MainScreen):
            return
        main = self.main_screen
        if not main.is_mounted:
            return
        alerts, self._alerts = self._alerts[-3:], []
        for alert in alerts:
            severity = {"error": "error", "info": "information"}.get(alert.level, "warning")
            self.notify(alert.message, title="Risk", severity=severity)
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
    def approve(self, cid: str) -> None:
        self.run_worker(self._verb("approve", cid, lambda: self.desk.approve(cid)), group="verbs",
                        exit_on_error=False, description=f"approve {cid}")

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
        status = (message.status or "").replace("_", " ")
        if message.status in ("denied", "rejected"):
            self.notify(f"{message.verb} {message.client_order_id}: {status}: {message.detail}",
                        severity="error", timeout=8)
            return
        self.notify(f"{message.verb.capitalize()}d {message.client_order_id}: {status}"
                    if message.verb != "approve" else f"Approved {message.client_order_id}: {status}", timeout=4)
        if message.verb == "approve" and not self.desk.pending_approvals():
            self.main_screen.show_tab("orders", focus=False)

    def on_desk_action_failed(self, message: DeskActionFailed) -> None:
        self.dirty.orders = True
        self.notify(message.error, title=f"{message.verb} failed", severity="error", timeout=8)

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
            try:
                await asyncio.wait_for(desk.stop(), timeout=5)
            except Exception:  # noqa: BLE001 - leaving anyway
                log.exception("desk stop failed")

    asyncio.run(main())
    return int(app.return_code or 0)
