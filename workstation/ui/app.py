"""The Workstation TUI. `run_app(config)` is what `workstation` / `workstation run` calls.

Data flow: the Desk publishes events on its bus; `_on_event` only marks what is dirty. A steady UI
tick (``[cockpit] ui_fps``, 25 a second by default) hands the dirty set to the main screen, which reads
snapshots from the Desk and applies them in one batch: however many book updates arrive between two
ticks, each widget draws once. Desk verbs that await (start, approve, cancel, modify, refresh, the fast
actions) and the venue reads (candles, the tape) run in workers that report back with messages; their
errors become notifications, never crashes.

The parts: this module (start-up, themes, the live-data tick, candles and the tape, the screens'
registry), ``app_verbs`` (the Desk's verbs), ``app_copilot`` (the copilot), ``app_controls`` (kill
switch, re-arm, quitting, alerts). Screens and panels are registered in ``registry``.
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
from ..desk.actions import Actions
from ..desk.alerts import AlertBook, AlertSettings
from ..desk.desk import Desk
from ..desk.events import BookChanged, ExecutionRecorded, FillRecorded, OrderChanged, PositionsChanged, \
    ProposalStaged, ReconcileReport
from ..desk.fallback import Fallback
from ..desk.tape import Tape
from ..gc_tuning import settle_for_a_session
from ..paths import themes_dirs
from .app_controls import TradingControls
from .app_copilot import CopilotGlue
from .app_verbs import DeskVerbs
from .commands import WorkstationCommands
from .guard import GuardedDesk, survive
from .keys import APP_BINDINGS, known_ids
from .messages import CandlesFailed, CandlesLoaded, CopilotEvent, DeskStarted, DeskStartFailed, TapeLoaded
from .registry import SCREENS, load
from .screens.help import HelpScreen
from .screens.main import Dirty, MainScreen
from .themes import DEFAULT_THEME, OUR_THEMES, defaults_for, load_themes
from .widgets.chart import PriceChart

log = logging.getLogger(__name__)


class WorkstationApp(DeskVerbs, CopilotGlue, TradingControls, App):
    CSS_PATH = "app.tcss"
    TITLE = "Workstation"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (220, "-ultrawide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, desk: Desk, config: Config | None = None, *, start_desk: bool | str = True,
                 now: Callable[[], datetime] | None = None, tick_s: float | None = None,
                 candles_every_s: float = 5.0, theme_dirs: list[Path] | None = None, approve_guard_s: float = 0.5,
                 copilot=None, alert_repeat_s: float = 30.0, tape_every_s: float = 1.0, tune_gc: bool = False):
        super().__init__()
        self.tune_gc = tune_gc  # `workstation run` only: a test process builds many apps and must not freeze them
        self.desk = GuardedDesk(desk)  # Desk methods raise DeskError only; see ui/guard.py
        self.config = config or Config()
        if copilot is None:
            from ..copilot.service import Copilot
            copilot = Copilot.from_desk(desk, self.config.copilot)
        self.copilot = copilot or None  # copilot=False: an app without one (bench, some tests)
        self._copilot_unsubscribe: Callable[[], None] | None = None
        self.copilot_log: list[str] = []  # the last replies and errors, newest last
        self.actions = Actions(self.desk)  # its refusals, whatever went wrong, are DeskErrors (the guard)
        self.tape = Tape(desk)
        a = self.config.alerts
        self.alert_book = AlertBook(desk, AlertSettings(a.fills, a.in_doubt, a.disconnects, a.pnl_loss, a.pnl_gain,
                                                        a.margin_near_pct))
        self._alerts: list = []  # fired, not yet shown
        self.alert_repeat_s = alert_repeat_s
        self._alert_seen: dict[str, tuple[float, int]] = {}  # message -> (last shown, repeats since)
        self.start_desk_on_mount = start_desk
        self.now = now or datetime.now
        self.tick_s = tick_s if tick_s is not None else 1 / self.config.cockpit.ui_fps
        self.candles_every_s = candles_every_s
        self.tape_every_s = tape_every_s
        self.approve_guard_s = approve_guard_s
        self.dirty = Dirty()
        self.status_note = ""
        self.connecting = bool(start_desk)
        self.started_at = time.perf_counter()
        self.ready_after_s: float | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._candle_key: tuple[str, str] | None = None
        self._ticket = None
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
        if self.is_main_screen():
            self.main_screen.theme_changed()
            self.dirty.everything = True

    # -- start-up -------------------------------------------------------------------------------
    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    @property
    def main_screen(self) -> MainScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def is_main_screen(self) -> bool:
        return bool(self.screen_stack) and isinstance(self.screen_stack[0], MainScreen)

    def on_mount(self) -> None:
        self._unsubscribe.append(self.desk.bus.subscribe(self._on_event))
        self._unsubscribe.append(self.alert_book.subscribe(self._on_alert))
        if self.copilot is not None:
            self._copilot_unsubscribe = self.copilot.subscribe(lambda event: self.post_message(CopilotEvent(event)))
            self.start_copilot()
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        unknown = sorted(set(self.keymap) - known_ids())
        if unknown:
            self.notify(f"\\[keys] in the config: unknown id(s) {', '.join(unknown)}; see ? for the ids",
                        severity="warning", timeout=10)
        if self.keymap:
            self.set_keymap({k: v for k, v in self.keymap.items() if k not in unknown})
        if self.theme_failures:
            lines = "\n".join(str(f) for f in self.theme_failures)
            self.notify(f"Skipped {len(self.theme_failures)} bad theme file(s):\n{lines}", title="Themes",
                        severity="warning", timeout=10, markup=False)
        if self.theme_problem:
            self.notify(self.theme_problem, title="Themes", severity="warning", timeout=10)
        self.set_interval(self.tick_s, self.tick)
        self.set_interval(1.0, self.every_second)
        self.set_interval(self.candles_every_s, self._reload_candles)
        self.set_interval(self.tape_every_s, self._reload_tape)
        if self.start_desk_on_mount:
            self.start_desk()
        else:
            self.ready_after_s = time.perf_counter() - self.started_at

    async def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.alert_book.close()
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
            self.notify(f"Key clash in \\[keys]: {keys}", severity="warning")

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
        if self.tune_gc:
            settle_for_a_session()
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
            self.notify(f"Could not connect: {message.error}. Retrying in the background.", severity="error",
                        markup=False)

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

    def tick(self) -> None:
        if not self.is_main_screen():
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

    def every_second(self) -> None:
        """What needs the clock, not an event: approvals waiting too long, account-wide alert thresholds."""
        try:
            if self.desk.pretrade.expire_stale("desk"):  # (desk.py is at its length limit: no delegate there)
                self.dirty.orders = True
        except Exception:  # noqa: BLE001 - a sweep must never stop the screen
            log.exception("expiring stale approvals failed")
        if not self.connecting:
            try:
                self.alert_book.poll()
            except Exception:  # noqa: BLE001 - the screen's own tick shows a failing Desk; say it once, there
                log.exception("alert thresholds could not be checked")

    # -- candles and the tape -------------------------------------------------------------------
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

    def poll_tape(self, venue: str, symbol: str) -> None:
        if venue in self.desk.venues and (self.desk.venues[venue].connected or not self.start_desk_on_mount):
            self._fetch_tape(venue, symbol)

    def _reload_tape(self) -> None:
        if self.is_main_screen() and self.main_screen.is_mounted and not self.main_screen.grid_mode:
            if self.main_screen.panes.side_visible or self.main_screen.visible_tab("tape"):
                self.poll_tape(*self.main_screen.selected)

    @work(group="tape", exclusive=True, exit_on_error=False)
    async def _fetch_tape(self, venue: str, symbol: str) -> None:
        try:
            new = await self.tape.poll(venue, symbol)
        except Exception as exc:  # noqa: BLE001 - the tape is a view; the next poll tries again
            log.info("tape %s %s: %s", venue, symbol, exc)
            return
        self.post_message(TapeLoaded(venue, symbol, new))

    def on_tape_loaded(self, message: TapeLoaded) -> None:
        if message.new:
            self.dirty.books.add((message.venue, message.symbol))

    # -- screens (registered in registry.SCREENS) -----------------------------------------------
    def open_screen(self, name: str) -> None:
        cls = load(SCREENS[name])
        if not isinstance(self.screen, cls):
            self.push_screen(cls(self.desk))

    def open_tca(self) -> None:
        self.open_screen("tca")

    def open_audit(self) -> None:
        self.open_screen("audit")

    def open_reconcile(self) -> None:
        self.open_screen("reconcile")

    def action_venue_profiles(self) -> None:
        self.open_screen("venue_profiles")

    def action_compare_venues(self) -> None:
        from .screens.compare import CompareScreen
        if not isinstance(self.screen, CompareScreen):
            self.push_screen(CompareScreen(self.desk, self.main_screen.selected[1]))

    def ticket_screen(self, symbols: list[str]):
        """The order ticket, built once and re-used: opening it again costs no widget building."""
        if self._ticket is None:
            from ..domain.orders import Side
            from .screens.ticket import TicketScreen

            venue, symbol = self.main_screen.selected
            self._ticket = TicketScreen(self.desk, venue, symbol, Side.BUY, symbols,
                                        one_gesture=self.config.cockpit.one_gesture)
            self.install_screen(self._ticket, "ticket")
        return self._ticket

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))


def run_app(config: Config) -> int:
    """Build the desk, run the TUI, stop the desk on the way out."""
    from ..factory import build_desk

    desk = build_desk(config)
    app = WorkstationApp(desk, config, tune_gc=True)

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
