"""The venue's own records, read in the parent: what the referee holds the Desk to.

Built from the paper exchange's state (its orders, its trades, its balances; read only, never through a
faulty call) and from the WireLog (which request created which venue order). Orders are grouped by
*owner*: the client order id whose create_order started the chain (a cancel-replace continues it), or
``ext:<venue id>`` for an order someone else placed, or ``liq:<venue id>`` for the venue's liquidations.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..venues.paper.exchange import PaperExchange
from .wirelog import WireLog

ZERO = Decimal(0)
STATUS = {"closed": "filled", "canceled": "canceled", "expired": "expired", "rejected": "rejected"}


@dataclass(frozen=True, slots=True)
class VenueOrder:
    venue_order_id: str
    owner: str
    symbol: str
    status: str  # in the Desk's words: open | partially_filled | filled | canceled | expired | rejected
    amount: Decimal
    filled: Decimal
    cost: Decimal  # sum of price x amount over its trades
    is_open: bool


@dataclass(frozen=True, slots=True)
class VenueTrade:
    trade_id: str
    venue_order_id: str
    owner: str
    symbol: str
    side: str
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_currency: str
    realized: Decimal | None


class VenueFacts:
    def __init__(self, exchange: PaperExchange, log: WireLog):
        sim = exchange.sim
        self.specs = sim.specs
        owner_of: dict[str, str] = {}
        self.orders: dict[str, VenueOrder] = {}
        self.chains: dict[str, list[str]] = {}  # owner -> its venue orders, oldest first
        for vid, order in sim.orders.items():
            owner = self._owner(log, vid, order.client_id)
            owner_of[vid] = owner
            spec = sim.specs[order.symbol]
            cost = sum((t.price * spec.tick * t.lots * spec.lot for t in order.trades), ZERO)
            status = STATUS.get(order.status, "partially_filled" if order.filled else "open")
            self.orders[vid] = VenueOrder(vid, owner, order.symbol, status, order.amount * spec.lot,
                                          order.filled * spec.lot, cost, order.is_open)
            self.chains.setdefault(owner, []).append(vid)
        self.trades: dict[str, VenueTrade] = {}
        for t in sim.trades:
            spec = sim.specs[t.symbol]
            self.trades[t.id] = VenueTrade(t.id, t.order_id, owner_of.get(t.order_id, f"unknown:{t.order_id}"),
                                           t.symbol, t.side, t.price * spec.tick, t.lots * spec.lot, t.fee,
                                           t.fee_currency, t.realized_pnl)
        self.balances: dict[str, Decimal] = dict(sim.accounts.total)
        self.open_ids = list(sim.open)

    @staticmethod
    def _owner(log: WireLog, vid: str, client_id: str) -> str:
        root = log.root(vid)
        entry = log.created.get(root)
        if entry is None:
            return f"liq:{vid}" if client_id.startswith("liquidation-") else f"unknown:{vid}"
        if entry.via == "external" or entry.client_id is None:
            return f"ext:{root}"
        return entry.client_id

    def chain(self, owner: str) -> list[VenueOrder]:
        return [self.orders[v] for v in self.chains.get(owner, ())]

    def chain_totals(self, owner: str) -> tuple[Decimal, Decimal]:
        """Filled and cost over the whole chain (a replaced order's fills count for the order)."""
        chain = self.chain(owner)
        return sum((o.filled for o in chain), ZERO), sum((o.cost for o in chain), ZERO)

    def position(self, symbol: str) -> Decimal:
        return sum((t.amount if t.side == "buy" else -t.amount for t in self.trades.values() if t.symbol == symbol),
                   ZERO)

    def balance_moves(self, fill: dict[str, Any]) -> dict[str, Decimal]:
        """What one fill (as the Desk holds it) moves on the account, by the venue's rules: spot moves base
        and quote, a perpetual moves its settle currency by the trade's realized PnL; fees in their currency."""
        spec = self.specs[fill["symbol"]]
        sign = 1 if fill["side"] == "buy" else -1
        moves: dict[str, Decimal] = {}
        if spec.is_swap:
            trade = self.trades.get(fill["trade_id"])
            realized = trade.realized if trade is not None and trade.realized is not None else ZERO
            settle = spec.settle or spec.quote
            moves[settle] = realized
        else:
            moves[spec.base] = sign * fill["amount"]
            moves[spec.quote] = -sign * fill["price"] * fill["amount"]
        currency = fill["fee_currency"] or spec.quote
        moves[currency] = moves.get(currency, ZERO) - fill["fee"]
        return moves
