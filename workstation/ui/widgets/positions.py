"""Positions: size, entry, mark, PnL (coloured), attached stop-loss/take-profit, leverage and margin."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from ...domain.orders import Order, OrderType
from ...domain.positions import Position
from .. import format as fmt
from .table import DiffTable


def styled(text: str, style, justify: str = "left") -> Text:
    t = Text(text, justify=justify)
    if style:
        t.stylize(style)
    return t


def right(text: str, style=None) -> Text:
    return styled(text, style, "right")


class PositionsTable(DiffTable):
    COMPONENT_CLASSES = DiffTable.COMPONENT_CLASSES | {"positions--up", "positions--down", "positions--long",
                                                       "positions--short"}
    COLUMNS = [
        ("symbol", "Symbol", 10), ("side", "Side", 5), ("size", "Size", 10), ("entry", "Entry", 10),
        ("mark", "Mark", 10), ("upnl", "uPnL", 10), ("rpnl", "rPnL", 9), ("sl", "SL", 9), ("tp", "TP", 9),
        ("lev", "Lev", 4), ("margin", "Margin", 9),
    ]

    def show(self, positions: list[tuple[Position, Decimal | None, int, int]], working: list[Order]) -> None:
        """positions: (position, mark, price decimals, amount decimals)."""
        up, down = self.get_component_rich_style("positions--up", partial=True), self.get_component_rich_style("positions--down", partial=True)
        long_, short = self.get_component_rich_style("positions--long", partial=True), self.get_component_rich_style("positions--short", partial=True)
        rows = {}
        for pos, mark, pd, ad in positions:
            upnl = pos.unrealized_pnl(mark)
            sl, tp = pos.stop_loss, pos.take_profit
            for o in working:  # attached protective orders: stops/take-profits on the closing side
                if o.symbol != pos.symbol or o.venue != pos.venue or o.spec.trigger_price is None:
                    continue
                closing = (pos.size > 0) == (o.side.sign < 0)
                if not closing:
                    continue
                if o.spec.type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP):
                    sl = sl or o.spec.trigger_price
                elif o.spec.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT):
                    tp = tp or o.spec.trigger_price
            info = pos.venue_info
            side_style = long_ if pos.size > 0 else short if pos.size < 0 else None
            rows[f"{pos.venue}|{pos.symbol}"] = (
                fmt.short_symbol(pos.symbol),
                styled(pos.side, side_style),
                right(fmt.amount(pos.size, ad), side_style),
                right(fmt.price(pos.average_entry if pos.size else None, pd)),
                right(fmt.price(mark, pd)),
                right(fmt.money(upnl, 2, sign=True), up if upnl > 0 else down if upnl < 0 else None),
                right(fmt.money(pos.realized_pnl - pos.fees, 2, sign=True),
                      up if pos.realized_pnl - pos.fees > 0 else down if pos.realized_pnl - pos.fees < 0 else None),
                right(fmt.price(sl, pd) if sl else fmt.DASH),
                right(fmt.price(tp, pd) if tp else fmt.DASH),
                right(f"{info.leverage:.0f}x" if info and info.leverage else fmt.DASH),
                right(fmt.money(info.margin) if info and info.margin is not None else fmt.DASH),
            )
        self.sync(rows)
