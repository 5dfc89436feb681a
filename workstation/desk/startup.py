"""What a start does before any order may be approved, in order.

1. Load every venue's markets; teach each adapter our client ids of orders it may report by venue id.
   Take a snapshot of every watched book (the trader sees the market while the rest is read).
2. Read the account settings that change what an order risks: leverage and position mode of every watched
   derivatives market (the gate measures margin at the venue's leverage from the very first order).
3. Reconcile every venue (fills, open orders, positions, balances).
4. Look up every intent a previous run journaled but never heard back about (never re-sent).
5. Summarize what recovery found, for the trader (shown once) and the journal.
"""

from __future__ import annotations

from typing import Any

from .errors import DeskError
from .events import RiskAlert
from .ports import DeskPort

RECOVERY_NEWS = ("orders_adopted", "fills_recovered", "orders_updated", "intents_found", "intents_not_found")


async def connect(desk: DeskPort) -> dict[str, Any]:
    """Run steps 1 to 5; returns the recovery summary."""
    for name, venue in desk.venues.items():
        markets = await venue.connect()
        for symbol, market in markets.items():
            desk.markets[(name, symbol)] = market
        for order in desk.ledger.orders.values():
            if order.venue == name and order.venue_order_id:
                venue.remember(order.venue_order_id, order.client_order_id)
        unknown = [s for s in desk.watch_symbols.get(name, []) if s not in markets]
        if unknown:
            raise DeskError(f"{name} has no market {', '.join(unknown)}: known symbols include "
                            f"{', '.join(list(markets)[:8])}")
        desk.watch_symbols[name] = desk.watch_symbols.get(name) or list(markets)[:4]
        desk.ledger.set_contract_sizes({(name, s): m.contract_size for s, m in markets.items()})
    await desk.sync_books()  # first: the trader sees the market while the account is read
    await read_account_settings(desk)
    await desk.refresh()
    found, missing = await desk.router.recover_unacked()
    first = {name: desk.reconciler.last.get(name) for name in desk.venues}
    summary = {
        "orders_adopted": [d.client_order_id for r in first.values() if r for d in r.differences
                           if d.kind == "unknown_order"],
        "fills_recovered": [t for r in first.values() if r for d in r.differences
                            if d.kind == "fill_mismatch" for t in d.trade_ids],
        "orders_updated": [d.client_order_id for r in first.values() if r for d in r.differences
                           if d.kind in ("status_mismatch", "missing_order", "in_doubt", "lost_order")],
        "intents_found": found, "intents_not_found": missing,
        "reconciled": all(r is not None and r.ok for r in first.values())}
    if any(summary[k] for k in RECOVERY_NEWS):
        desk.journal.append("recovery_summary", actor="desk", payload=summary)
    return summary


async def read_account_settings(desk: DeskPort) -> None:
    """Leverage and position mode of every watched derivatives market. What a venue cannot tell is said, and
    the gate then assumes conservatively; a hedge-mode account is named and its derivatives orders refused."""
    for name, venue in desk.venues.items():
        symbols = [s for s in desk.watch_symbols.get(name, []) if desk.markets[(name, s)].is_derivative]
        if not symbols:
            continue
        try:
            for symbol, leverage in (await venue.fetch_leverages(symbols)).items():
                desk.venue_leverage[(name, symbol)] = leverage
            modes = {await venue.fetch_position_mode(s) for s in symbols[:1]}
        except Exception as exc:  # noqa: BLE001 - unknown is shown, and the gate assumes conservatively
            desk.bus.publish(RiskAlert(f"{name}: could not read leverage or position mode ({exc}); margin is "
                                       f"measured at an assumed leverage until a position shows it", "warning"))
            continue
        if "hedged" in modes:
            desk.position_mode[name] = "hedged"
            desk.bus.publish(RiskAlert(f"{name} is in hedge mode (separate long and short positions); the "
                                       f"workstation keeps one net position per symbol: switch the account to "
                                       f"one-way mode. Derivatives orders are refused until then.", "error"))
        elif "one-way" in modes:
            desk.position_mode[name] = "one-way"
