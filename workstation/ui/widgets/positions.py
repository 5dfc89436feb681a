"""Positions: size, entry, mark, value, PnL (coloured), attached stop-loss/take-profit, leverage, margin.

On spot, holdings are positions: every watched spot symbol whose base asset is held shows, sized by
the balance (what a flatten would sell). Entry and PnL there are those of what was traded here (from
our fills); coins held before have no known entry, so they add to value and equity, not to PnL.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...desk.account import holding
from ...domain.money import ZERO
from ...domain.orders import OrderStatus, OrderType
from .. import format as fmt
from .table import DiffTable, right, styled


@dataclass(frozen=True, slots=True)
class PositionRow:
    venue: str
    symbol: str
    size: Decimal
    entry: Decimal | None
    mark: Decimal | None
    upnl: Decimal
    rpnl: Decimal  # realized net of fees
    stop_loss: Decimal | None
    take_profit: Decimal | None
    leverage: Decimal | None
    margin: Decimal | None
    price_decimals: int
    amount_decimals: int
    spot: bool

    @property
    def key(self) -> str:
        return f"{self.venue}|{self.symbol}"


def position_rows(desk: Any) -> list[PositionRow]:
    """Every position a trader holds: derivatives from fills (with the venue's leverage and margin), and
    spot holdings from the balances; sorted by symbol so rows never jump."""
    working = desk.working_orders() + desk.orders({OrderStatus.EMULATED})  # bracket stops are held here
    traded = {(p.venue, p.symbol): p for p in desk.positions()}
    keys = set(traded)
    for (venue, symbol), market in desk.markets.items():
        if not market.is_derivative and symbol in desk.watch_symbols.get(venue, ()) and holding(desk, venue, symbol):
            keys.add((venue, symbol))
    rows = []
    for venue, symbol in sorted(keys, key=lambda k: (k[1], k[0])):
        market = desk.markets.get((venue, symbol))
        pos = traded.get((venue, symbol))
        spot = market is not None and not market.is_derivative
        size = holding(desk, venue, symbol) if spot else (pos.size if pos else ZERO)
        if not size and not (pos and pos.realized_pnl):
            continue
        mark = desk.mark(venue, symbol)
        sl = tp = None
        for o in working:  # attached protective orders: stops / take-profits on the closing side
            if o.symbol != symbol or o.venue != venue or o.spec.trigger_price is None:
                continue
            if (size > 0) != (o.side.sign < 0):
                continue
            if o.spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP):
                sl = sl or o.spec.trigger_price
            elif o.spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
                tp = tp or o.spec.trigger_price
        info = desk.venue_positions.get(venue, {}).get(symbol) or (pos.venue_info if pos else None)
        rows.append(PositionRow(
            venue, symbol, size, pos.average_entry if pos and pos.size else None, mark,
            pos.unrealized_pnl(mark) if pos else ZERO, (pos.realized_pnl - pos.fees) if pos else ZERO,
            (pos.stop_loss if pos else None) or sl, (pos.take_profit if pos else None) or tp,
            info.leverage if info else None, info.margin if info else None,
            market.price_decimals() if market else 2, market.amount_decimals() if market else 4, spot))
    return rows


class PositionsTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"positions--up", "positions--down", "positions--long",
                                                       "positions--short", "positions--dim"}
    COLUMNS = [
        ("symbol", "Symbol", 9), ("side", "Side", 5), ("size", "Size", 10), ("entry", "Entry", 9),
        ("mark", "Mark", 9), ("value", "Value", 10), ("upnl", "uPnL", 10), ("rpnl", "rPnL", 9), ("sl", "SL", 8),
        ("tp", "TP", 8), ("lev", "Lev", 4), ("margin", "Margin", 8),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes, follow_new=False)  # by symbol: the cursor stays put

    def show(self, positions: list[PositionRow]) -> None:
        st = {name: self.get_component_rich_style(f"positions--{name}", partial=True)
              for name in ("up", "down", "long", "short", "dim")}
        rows = {}
        for p in positions:
            pd, ad = p.price_decimals, p.amount_decimals
            side_style = st["long"] if p.size > 0 else st["short"] if p.size < 0 else None
            value = abs(p.size) * p.mark if p.mark is not None else None
            side = ("held" if p.size > 0 else "flat") if p.spot else ("long" if p.size > 0 else "short" if p.size < 0
                                                                      else "flat")
            rows[p.key] = (
                fmt.short_symbol(p.symbol),
                styled(side, side_style),
                right(fmt.amount(p.size, ad), side_style),
                right(fmt.price(p.entry, pd), None if p.entry is not None else st["dim"]),
                right(fmt.price(p.mark, pd)),
                right(fmt.money(value, 2)),
                right(fmt.money(p.upnl, 2, sign=True), st["up"] if p.upnl > 0 else st["down"] if p.upnl < 0 else None),
                right(fmt.money(p.rpnl, 2, sign=True), st["up"] if p.rpnl > 0 else st["down"] if p.rpnl < 0 else None),
                right(fmt.price(p.stop_loss, pd) if p.stop_loss else fmt.DASH),
                right(fmt.price(p.take_profit, pd) if p.take_profit else fmt.DASH),
                right(f"{p.leverage:.0f}x" if p.leverage else fmt.DASH),
                right(fmt.money(p.margin) if p.margin is not None else fmt.DASH),
            )
        self.sync(rows, order=list(rows))
