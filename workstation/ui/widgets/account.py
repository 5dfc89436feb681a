"""The account strip, always on screen: per venue (and in total when there are several) equity, buying
power, margin against its cap, day PnL and uPnL; on a second line, balances free / in orders / total.

A Line-API widget fed an ``AccountSnapshot`` (desk.account) twice a second; it computes nothing itself.
The margin ratio is coloured as it nears its cap (80%) and at the cap.
"""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ...desk.account import AccountSnapshot, VenueAccount
from .. import format as fmt
from .lines import Part, strip


def _amount(value, currency: str) -> str:
    """Money in its currency's usual precision: 2 decimals for quote-like currencies, up to 8 otherwise."""
    if currency in ("USDT", "USDC", "USD", "BUSD", "FDUSD", "EUR", "DAI"):
        return fmt.money(value, 2)
    text = fmt.num(value, 8, group=True).rstrip("0").rstrip(".")
    return text or "0"


class AccountStrip(Widget):
    COMPONENT_CLASSES = {"account--venue", "account--label", "account--value", "account--up", "account--down",
                         "account--near", "account--over", "account--dim"}

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.snapshot: AccountSnapshot | None = None
        self.balances_line = True  # off on short terminals (CSS class -short on the screen sets it)
        self._lines: list[list[Part]] = []

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._lines))

    def show(self, snapshot: AccountSnapshot) -> None:
        if snapshot == self.snapshot:
            return
        self.snapshot = snapshot
        before = len(self._lines)
        self._lines = self._build(snapshot)
        if len(self._lines) != before:
            self.refresh(layout=True)
        else:
            self.refresh()

    def theme_changed(self) -> None:
        if self.snapshot is not None:
            self._lines = self._build(self.snapshot)
            self.refresh()

    def _build(self, snap: AccountSnapshot) -> list[list[Part]]:
        c = self.get_component_rich_style
        label, value, dim = c("account--label"), c("account--value"), c("account--dim")
        lines: list[list[Part]] = []
        for v in snap.venues:
            lines.append(self._summary(v))
            if self.balances_line and v.known:
                lines.append(self._balances(v))
        if len([v for v in snap.venues if v.known]) > 1:
            for t in snap.totals:
                up = c("account--up") if t.day_pnl > 0 else c("account--down") if t.day_pnl < 0 else value
                lines.append([(" total ", c("account--venue")), (" equity ", label),
                              (f"{fmt.money(t.equity)} {t.currency}", value), ("  BP ", label),
                              (fmt.money(t.buying_power), value), ("  day PnL ", label),
                              (fmt.money(t.day_pnl, 2, sign=True), up), ("  uPnL ", label),
                              (fmt.money(t.upnl, 2, sign=True), value), (f"  ({', '.join(t.venues)})", dim)])
        return lines or [[(" account: waiting for the first refresh…", dim)]]

    def _summary(self, v: VenueAccount) -> list[Part]:
        c = self.get_component_rich_style
        label, value, dim = c("account--label"), c("account--value"), c("account--dim")
        parts: list[Part] = [(f" {v.venue} ", c("account--venue"))]
        if not v.known:
            return parts + [(" balances: waiting for the first refresh…", dim)]

        def pnl(x) -> Style:
            return c("account--up") if x > 0 else c("account--down") if x < 0 else value

        # most important first: a narrow terminal cuts from the right
        parts += [(" equity ", label), (f"{fmt.money(v.equity)} {v.currency}", value)]
        if v.unpriced:
            parts.append((f" (+{', '.join(v.unpriced)} unpriced)", dim))
        parts += [("  day PnL ", label), (fmt.money(v.day_pnl, 2, sign=True), pnl(v.day_pnl))]
        if v.margin_ratio_pct is not None:
            state = {"near": c("account--near"), "over": c("account--over")}.get(v.margin_state, value)
            parts += [("  margin ", label), (f"{fmt.num(v.margin_ratio_pct, 1)}%", state),
                      (f"/{fmt.num(v.margin_cap_pct, 0)}% ", dim), (fmt.money(v.margin_used), value)]
        parts += [("  uPnL ", label), (fmt.money(v.upnl, 2, sign=True), pnl(v.upnl)),
                  ("  BP ", label), (fmt.money(v.buying_power), value)]
        if v.perp_buying_power is not None:
            parts += [("  perp BP ", label), (fmt.money(v.perp_buying_power), value)]
        return parts

    def _balances(self, v: VenueAccount) -> list[Part]:
        c = self.get_component_rich_style
        label, value, dim = c("account--label"), c("account--value"), c("account--dim")
        parts: list[Part] = [(" " * (len(v.venue) + 2), label)]
        for a in v.assets:
            parts += [(f" {a.currency} ", label), (_amount(a.free, a.currency), value)]
            if a.in_orders:
                parts += [(" +", dim), (_amount(a.in_orders, a.currency), value), (" in orders", dim)]
            if a.in_orders or a.free != a.total:
                parts += [(" =", dim), (_amount(a.total, a.currency), value)]
            parts.append((" ·", dim))
        if parts and parts[-1][0] == " ·":
            parts.pop()
        return parts

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return strip(self._lines[y], width, self.rich_style)
