"""Reconciliation: on every refresh, the Desk's view is compared with the venue's and brought in line.

Calls per refresh are constant per venue (per symbol only where the venue requires a symbol),
plus at most ``max_lookups`` targeted look-ups for local orders that vanished from the venue's
open orders. Never one call per open order.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.orders import Order, OrderSpec, OrderStatus, OrderType, Origin, Side
from ..domain.reports import OrderReport
from ..venues.errors import VenueError
from .events import ReconcileReport

if TYPE_CHECKING:
    from .desk import Desk

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str  # unknown_order | missing_order | status_mismatch | fill_mismatch | position_drift
    venue: str
    symbol: str
    client_order_id: str | None
    detail: str
    action: str  # what was done, or "needs a human"


class Reconciler:
    def __init__(self, desk: "Desk", max_lookups: int = 10, recent_grace_ms: int = 2000):
        self.desk = desk
        self.max_lookups = max_lookups
        self.recent_grace_ms = recent_grace_ms
        self.last_fill_ms: dict[tuple[str, str], int] = {}
        self.history: list[ReconcileReport] = []

    def _symbols_required(self, venue_name: str) -> bool:
        features = getattr(self.desk.venues[venue_name].exchange, "features", None) or {}
        spot = features.get("spot") or {}
        return bool((spot.get("fetchOpenOrders") or {}).get("symbolRequired"))

    async def reconcile(self, venue_name: str) -> ReconcileReport:
        desk, venue, ledger = self.desk, self.desk.venues[venue_name], self.desk.ledger
        calls = 0
        differences: list[Difference] = []
        now = desk.clock.wall_ms()
        try:
            symbols = sorted({*desk.watch_symbols.get(venue_name, []),
                              *(o.symbol for o in ledger.working(venue_name))})
            if self._symbols_required(venue_name):
                open_reports = []
                for symbol in symbols:
                    open_reports += await venue.fetch_open_orders(symbol)
                    calls += 1
            else:
                open_reports = await venue.fetch_open_orders()
                calls += 1
            balances = await venue.fetch_balance()
            positions = await venue.fetch_positions()
            calls += 2
            # Fills first: a status that says "filled" should find its trades already counted.
            for symbol in sorted({*symbols, *(s for v, s in ledger.fills_needed if v == venue_name)}):
                since = self.last_fill_ms.get((venue_name, symbol))
                for fill in await venue.fetch_my_trades(symbol, None if since is None else since - 60_000):
                    if ledger.record_fill(fill):
                        differences.append(Difference("fill_mismatch", venue_name, symbol, fill.client_order_id or None,
                                                      f"fill {fill.trade_id} {fill.amount} @ {fill.price} was missing",
                                                      "recorded"))
                    self.last_fill_ms[(venue_name, symbol)] = max(self.last_fill_ms.get((venue_name, symbol), 0),
                                                                  fill.timestamp_ms)
                calls += 1
            ledger.fills_needed = {k for k in ledger.fills_needed if k[0] != venue_name}
        except VenueError as err:
            report = ReconcileReport(venue_name, now, False, (), calls, err.message)
            self._publish(venue_name, report)
            return report

        desk.balances[venue_name] = balances
        desk.venue_positions[venue_name] = positions
        seen: set[str] = set()
        for rep in open_reports:
            order = ledger.find(venue_name, rep.client_order_id, rep.venue_order_id)
            if order is None:
                order = self._adopt(venue_name, rep)
                differences.append(Difference("unknown_order", venue_name, rep.symbol, order.client_order_id,
                                              f"{rep.side.value if rep.side else '?'} {rep.amount} @ {rep.price} "
                                              f"not placed by this workstation", "adopted as external"))
            seen.add(order.client_order_id)
            before = order.status
            ledger.apply_report(order, rep, "reconcile")
            if order.status is not before:
                differences.append(Difference("status_mismatch", venue_name, order.symbol, order.client_order_id,
                                              f"was {before.value}, venue says {rep.status.value}",
                                              f"now {order.status.value}"))
        lookups = 0
        for order in ledger.working(venue_name):
            if order.client_order_id in seen or order.status is OrderStatus.IN_DOUBT:
                continue  # in-doubt orders have their own resolver
            if now - order.wall_ms.get("sent", now) < self.recent_grace_ms:
                continue  # just sent: the venue's list may not show it yet
            if lookups >= self.max_lookups:
                break
            lookups += 1
            calls += 1
            before = order.status
            try:
                found = await venue.find_order(order.client_order_id, order.symbol, order.venue_order_id)
            except VenueError as err:
                log.info("lookup %s: %s", order.client_order_id, err)
                continue
            if found is None:
                differences.append(Difference("missing_order", venue_name, order.symbol, order.client_order_id,
                                              "open here, unknown at the venue", "looking it up"))
                ledger.move(order, OrderStatus.IN_DOUBT, "in_doubt", payload={"why": "missing at venue"})
                desk._resolve_later(order)
                continue
            ledger.apply_report(order, found, "reconcile")
            if order.status is not before:
                differences.append(Difference("status_mismatch", venue_name, order.symbol, order.client_order_id,
                                              f"was {before.value}, venue says {found.status.value}",
                                              f"now {order.status.value}"))
        for symbol, info in positions.items():
            ours = ledger.positions.get((venue_name, symbol))
            size = ours.size if ours else Decimal(0)
            if info.size != size:
                differences.append(Difference("position_drift", venue_name, symbol, None,
                                              f"venue {info.size}, fills here {size}: {info.size - size} unexplained",
                                              "needs a human"))
        report = ReconcileReport(venue_name, now, True, tuple(differences), calls)
        self._publish(venue_name, report)
        return report

    def _publish(self, venue_name: str, report: ReconcileReport) -> None:
        self.desk.reconcile_state[venue_name] = {"at_ms": report.at_ms, "ok": report.ok and not any(
            d.action == "needs a human" for d in report.differences), "differences": len(report.differences),
            "error": report.error}
        self.history.append(report)
        del self.history[:-50]
        if report.differences or not report.ok:
            self.desk.journal.append("reconcile", venue=report.venue, payload={
                "ok": report.ok, "error": report.error, "calls": report.calls,
                "differences": [asdict(d) for d in report.differences]})
        self.desk.bus.publish(report)

    def _adopt(self, venue_name: str, rep: OrderReport) -> Order:
        ledger = self.desk.ledger
        cid = rep.client_order_id or f"ext-{venue_name}-{rep.venue_order_id}"
        spec = OrderSpec(venue=venue_name, symbol=rep.symbol, side=rep.side or Side.BUY,
                         type=rep.type if rep.type in (OrderType.LIMIT, OrderType.MARKET) else OrderType.LIMIT,
                         amount=rep.amount or Decimal("0.00000001"), price=rep.price or rep.average or Decimal(1),
                         origin=Origin.EXTERNAL)
        order = Order(spec=spec, client_order_id=cid, status=OrderStatus.OPEN, external=True)
        ledger.set_venue_id(order, rep.venue_order_id)
        self.desk.venues[venue_name].remember(rep.venue_order_id or "", cid)
        ledger.add(order, "adopted", "reconciler", {"venue_status": rep.raw_status})
        ledger.adopt_unmatched(order)
        return order
