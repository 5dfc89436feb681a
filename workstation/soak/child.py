"""The Desk's process: a real Desk, started from its journal, driven by the soak's commands, killed with SIGKILL.

It runs exactly what the workstation runs (``Desk.start()``: book, order and fill streams, the refresh
loop, the emulator) with the default risk limits and settings, against the paper exchange in the parent
through ``RemoteExchange``. Time is the venue's (vclock). The parent sends the trader's commands (stage,
approve, cancel, modify, kill, re-arm, refresh) and asks for snapshots of what the Desk holds; it never
reads the Desk's memory any other way.
"""

from __future__ import annotations

import asyncio
import faulthandler
import itertools
import logging
import os
import signal
import sqlite3
from typing import Any

from ..desk.desk import Desk, DeskError
from ..desk.events import FillRecorded, OrderChanged
from ..desk.journal import Journal, spec_from_dict
from ..venues.ccxt_venue import ExchangeVenue
from ..venues.errors import VenueError
from .remote import ParentLink, RemoteExchange
from .vclock import IdleSelector, VirtualTime, install
from .views import brief, fill_view, order_view

VENUE = "paper"
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT")
HUMAN = "human"

log = logging.getLogger(__name__)


class DeskHost:
    """The Desk and the commands the parent may give it."""

    def __init__(self, link: ParentLink, config: dict[str, Any]):
        self.link = link
        self.journal_path = config["journal"]
        self.instance = config["instance"]
        self.desk: Desk | None = None
        self._dirty: set[str] = set()
        self._fills_sent = 0
        self._db: sqlite3.Connection | None = None

    def commands(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "start", "ready", "stage", "stage_group", "approve", "cancel", "modify", "kill", "rearm", "refresh",
            "set_leverage", "working", "snapshot", "status")}

    @property
    def _desk(self) -> Desk:
        if self.desk is None:
            raise DeskError("the Desk has not started")
        return self.desk

    # -- life ------------------------------------------------------------------------------------
    async def start(self) -> dict[str, Any]:
        """Start from the journal as a supervisor would: keep trying while the venue refuses."""
        attempts = 0
        while True:
            attempts += 1
            exchange = RemoteExchange(self.link)
            await exchange.connect()
            journal = Journal(self.journal_path, instance=self.instance)
            desk = Desk({VENUE: ExchangeVenue(VENUE, exchange, "paper")}, journal, symbols={VENUE: list(SYMBOLS)})
            try:
                await desk.start()
            except (VenueError, DeskError) as exc:
                log.warning("start attempt %d failed: %s", attempts, exc)
                await desk.stop()
                journal.close()
                await asyncio.sleep(0.5)
                continue
            self.desk = desk
            self._db = sqlite3.connect(self.journal_path)
            desk.bus.subscribe(self._on_event)
            return {"attempts": attempts, "ready": desk.ready}

    async def ready(self) -> dict[str, Any]:
        """Wait for the first reconcile (the Desk refuses approvals until then); what recovery found."""
        desk = self._desk
        while not desk.ready:
            await asyncio.sleep(0.25)
        return {"recovery": desk.take_recovery()}

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderChanged):
            self._dirty.add(event.order.client_order_id)
        elif isinstance(event, FillRecorded) and event.fill.client_order_id:
            self._dirty.add(event.fill.client_order_id)

    # -- the trader's verbs ------------------------------------------------------------------------
    async def stage(self, spec: dict[str, Any]) -> dict[str, Any]:
        return brief(self._desk.stage(spec_from_dict(spec), actor=HUMAN))

    async def stage_group(self, kind: str, specs: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
        desk = self._desk
        members = [spec_from_dict(s) for s in specs]
        if kind == "oco":
            orders = desk.stage_oco(members, actor=HUMAN)
        elif kind == "bracket":
            orders = desk.stage_bracket(members[0], actor=HUMAN, **options)
        elif kind == "scaled":
            orders = desk.stage_scaled(members[0], actor=HUMAN, **options)
        else:
            raise DeskError(f"unknown group kind {kind!r}")
        return [brief(o) for o in orders]

    async def approve(self, cid: str) -> list[dict[str, Any]]:
        desk = self._desk
        await desk.approve(cid, actor=HUMAN)
        group = desk.group(cid)
        return [brief(desk.order(c)) for c in (group.members if group is not None else (cid,))]

    async def cancel(self, cid: str) -> dict[str, Any]:
        return brief(await self._desk.cancel(cid, actor=HUMAN))

    async def modify(self, cid: str, amount: Any = None, price: Any = None) -> dict[str, Any]:
        return brief(await self._desk.modify(cid, amount=amount, price=price, actor=HUMAN))

    async def kill(self) -> dict[str, Any]:
        report = await self._desk.kill(actor=HUMAN, reason="soak: kill switch")
        return {"canceled": report.canceled, "disarmed": report.disarmed, "declined": report.declined,
                "remaining": report.remaining, "venue_open_after": report.venue_open_after,
                "errors": report.errors[:5]}

    async def rearm(self) -> list[str]:
        return self._desk.rearm(actor=HUMAN, reason="soak: re-arm after the kill switch")

    async def set_leverage(self, symbol: str, leverage: Any) -> str:
        return str(await self._desk.set_leverage(VENUE, symbol, leverage, actor=HUMAN, reason="soak: within the limit"))

    async def refresh(self) -> dict[str, Any]:
        desk = self._desk
        await desk.refresh()
        return self._status(desk)

    async def working(self) -> list[dict[str, Any]]:
        desk = self._desk
        return [brief(o) for o in desk.working_orders()] + [brief(v.order) for v in desk.emulated_orders()]

    async def status(self) -> dict[str, Any]:
        return self._status(self._desk)

    def _status(self, desk: Desk) -> dict[str, Any]:
        status = desk.reconcile_status(VENUE)[0]
        return {"ready": desk.ready, "state": desk.trading_state(VENUE).value, "reconcile": status.state,
                "text": status.text, "in_doubt": status.in_doubt}

    # -- what the referee reads --------------------------------------------------------------------
    async def snapshot(self, full: bool = False, also: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        """The Desk's state at one instant, with the journal's last event at that instant (the parent replays
        the journal up to exactly there). Orders: those changed since the last snapshot, the working ones and
        ``also`` (or every order when ``full``); fills: those recorded since the last snapshot (or all)."""
        desk = self._desk
        ledger = desk.ledger
        assert self._db is not None
        seq = self._db.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        if full:
            cids: Any = list(ledger.orders)
            self._fills_sent = 0
        else:
            cids = (self._dirty | {o.client_order_id for o in ledger.working()} | set(also)) & ledger.orders.keys()
        orders = {cid: order_view(ledger.orders[cid]) for cid in cids}
        fills = [fill_view(f) for f in itertools.islice(ledger.fills.values(), self._fills_sent, None)]
        self._fills_sent = len(ledger.fills)
        self._dirty.clear()
        return {"seq": seq, "full": full, "orders": orders, "fills": fills,
                "unmatched": sorted(tid for _, tid in ledger.unmatched_fills),
                "positions": {symbol: pos.size for (_, symbol), pos in ledger.positions.items()},
                "balances": {ccy: b.total for ccy, b in desk.balances.get(VENUE, {}).items()},
                "illegal": ledger.illegal_transitions} | self._status(desk)


async def _serve(config: dict[str, Any], clock: VirtualTime, selector: IdleSelector) -> None:
    reader, writer = await asyncio.open_unix_connection(config["socket"])
    link = ParentLink(reader, writer, clock)
    host = DeskHost(link, config)
    link.commands = host.commands()
    selector.on_idle = link.on_idle
    link.send({"k": "hello", "pid": os.getpid()})
    await link.serve()


def main(config: dict[str, Any]) -> None:
    """The child process's entry point (started by the soak's supervisor; never returns)."""
    os.dup2(2, 1)  # nothing of this process may land on the soak's stdout (its last line is the JSON)
    clock = VirtualTime(config["now_ms"], config["epoch_ms"])
    install(clock)
    logging.basicConfig(filename=config["log"], level=logging.WARNING,
                        format=f"%(asctime)s desk#{config['process']} %(name)s %(levelname)s %(message)s")
    stacks = open(config["log"] + ".stacks", "a")  # noqa: SIM115 - open for the life of the process
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)  # a hung Desk's stack, on demand
    selector = IdleSelector()
    loop = asyncio.SelectorEventLoop(selector)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_serve(config, clock, selector))
    finally:
        logging.shutdown()
        os._exit(0)
