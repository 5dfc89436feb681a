"""Venue profiles: for every watched venue and symbol, the fee this account pays, depth within 10, 50 and 100
bps of the mid (bid | ask notional), the spread, the venue's status and the rate budget left; the selected
row's rules (tick, lot, minimum notional, leverage, instrument) underneath.

Reads ``Profiles`` (desk/profiles.py) snapshots on a 1 Hz tick; ``r`` asks the venues for the account's fees
and their status in a worker. No I/O in the screen itself.
"""

from __future__ import annotations

from decimal import Decimal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ...desk.profiles import Profiles, VenueProfile
from .. import format as fmt
from ..widgets.positions import styled
from ..widgets.table import DiffTable


def compact(value: Decimal | None) -> str:
    """Three significant digits: 12345 -> 12.3k, 456400 -> 456k, 2500000 -> 2.50M (depth in a tight column)."""
    if value is None:
        return fmt.DASH
    for scale, suffix in ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if abs(value) >= scale:
            scaled = value / scale
            return f"{fmt.num(scaled, 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0)}{suffix}"
    return fmt.num(value, 0)


def pct(value: Decimal) -> str:
    return f"{fmt.num(value * 100, 3)}"


class ProfilesTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"profiles--bad"}
    COLUMNS = [("venue", "Venue", 10), ("symbol", "Symbol", 13), ("kind", "Kind", 4), ("fees", "Fee % m/t", 13),
               ("spread", "Spr bp", 6), ("d10", "±10bp bid|ask", 14), ("d50", "±50bp bid|ask", 14),
               ("d100", "±100bp bid|ask", 14), ("status", "Status", 9), ("rate", "Rate", 9)]
    DEFAULT_CSS = """
    ProfilesTable > .profiles--bad { color: $error; text-style: bold; }
    """

    def show(self, profiles: list[VenueProfile]) -> None:
        bad = self.get_component_rich_style("profiles--bad", partial=True)
        rows = {}
        for p in profiles:
            def band(bps: int) -> str:
                b = p.band(bps)
                if b is None:
                    return fmt.DASH
                return (f"{'' if b.bid_complete else '≥'}{compact(b.bid_notional)}|"
                        f"{'' if b.ask_complete else '≥'}{compact(b.ask_notional)}")
            status = "maint." if p.status == "maintenance" else "down" if p.streams == "down" else \
                p.streams if p.status != "ok" else f"ok {p.streams}"
            fee = f"{pct(p.maker_fee)}/{pct(p.taker_fee)}" + ("" if p.fee_source == "account" else "*")
            rows[f"{p.venue}|{p.symbol}"] = (
                p.venue, fmt.short_symbol(p.symbol), p.kind, fee,
                fmt.num(p.spread_bps, 1), band(10), band(50), band(100),
                styled(status, bad if p.status == "maintenance" or p.streams == "down" or not p.active else None),
                styled(f"{p.rate_remaining}/{p.rate_capacity}",
                       bad if p.rate_capacity and p.rate_remaining < p.rate_capacity * 0.2 else None))
        self.sync(rows, order=list(rows))


class ProfilesScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "refresh_profiles", "Ask the venues", id="profiles_refresh"),
        Binding("escape", "close", "Close", id="profiles_close"),
    ]
    DEFAULT_CSS = """
    ProfilesScreen { layout: vertical; background: $background; }
    ProfilesScreen #profiles-table { height: 1fr; background: $surface; }
    ProfilesScreen #profiles-detail { height: 1; padding: 0 1; color: $text; }
    """

    def __init__(self, desk, profiles: Profiles | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.profiles = profiles or Profiles.of(desk)
        self.rows: list[VenueProfile] = []

    def compose(self) -> ComposeResult:
        yield Static("Venue profiles", id="profiles-head", classes="screen-head")
        yield ProfilesTable(id="profiles-table")
        yield Static("", id="profiles-detail")
        yield Static("[b]r[/] ask the venues   [b]esc[/] close   * published fee (not this account's)   "
                     "depth in quote; ≥ the book ends inside the band", classes="screen-hint")

    def on_mount(self) -> None:
        self.query_one(ProfilesTable).focus()
        self.update_view()
        self.set_interval(1.0, self.update_view)
        self.action_refresh_profiles()

    def update_view(self) -> None:
        try:
            self.rows = self.profiles.profiles()
        except Exception as exc:  # noqa: BLE001 - a profile that cannot be built is shown, never a crash
            self.query_one("#profiles-head", Static).update(f"Venue profiles · {exc}")
            return
        table = self.query_one(ProfilesTable)
        table.show(self.rows)
        self.query_one("#profiles-head", Static).update(
            f"Venue profiles · {len(self.rows)} markets on {len({p.venue for p in self.rows})} venue(s)")
        self._detail(table.selected_key)

    def on_data_table_row_highlighted(self, _event) -> None:
        self._detail(self.query_one(ProfilesTable).selected_key)

    def _detail(self, key: str | None) -> None:
        p = next((r for r in self.rows if f"{r.venue}|{r.symbol}" == key), None)
        if p is None:
            return
        lev = fmt.num(p.max_leverage, 0) + "x" if p.max_leverage else fmt.DASH
        eta = f" · maintenance {fmt.clock(p.maintenance_eta_ms)}" if p.maintenance_eta_ms else ""
        contract = f" · {p.contract_size} {p.symbol.split('/')[0]} a contract" if p.kind != "spot" else ""
        self.query_one("#profiles-detail", Static).update(
            f" {p.symbol} on {p.venue} ({p.environment}): {p.kind}{contract} · tick {p.tick} · lot {p.lot} · "
            f"min notional {p.min_notional if p.min_notional is not None else fmt.DASH} · leverage up to {lev} · "
            f"book age {fmt.ms(p.book_age_ms)} ms{eta}" + (f" · {p.last_error}" if p.last_error else ""))

    @work(group="profiles", exclusive=True, exit_on_error=False)
    async def action_refresh_profiles(self) -> None:
        errors = await self.profiles.refresh()
        failed = {v: e for v, e in errors.items() if e}
        if failed:
            self.notify("; ".join(f"{v}: {e}" for v, e in failed.items())[:300], title="Venue profiles",
                        severity="warning")
        self.update_view()

    def action_close(self) -> None:
        self.dismiss(None)
