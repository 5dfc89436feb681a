"""Markouts: where the mid went 1 s, 5 s, 60 s and 300 s after each of our fills.

A bus subscriber, no venue calls: on FillRecorded it schedules one sample per horizon; on each
BookChanged for that symbol it takes the mid of the first book seen at or after the due time (by
the desk clock) and journals a 'markout' row. On ExecutionRecorded it notes the mid at the end
of the order ('end_mid' row), the P_end of the implementation shortfall's opportunity cost.

It also keeps, in memory, what the TCA screen needs (markouts and end mids per order, fills per
order), loaded from the journal at start so the screen and `workstation export` agree.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from decimal import Decimal
from typing import Any

from ..domain.orders import Fill
from ..tca import HORIZONS_S, MarkoutSample, markout_bps
from .events import BookChanged, ExecutionRecorded, FillRecorded
from .ports import DeskPort

log = logging.getLogger(__name__)

MARKOUT_KIND = "markout"
END_MID_KIND = "end_mid"


class MarkoutRecorder:
    def __init__(self, desk: DeskPort, horizons_s: tuple[int, ...] = HORIZONS_S):
        self.desk = desk
        self.horizons_s = horizons_s
        self.markouts: dict[str, list[MarkoutSample]] = {}  # client order id -> samples
        self.end_mids: dict[str, Decimal] = {}
        self.fills: dict[str, list[Fill]] = {}  # client order id -> its fills
        self.version = 0  # bumps on every change: a cheap "redraw needed?" for the UI
        # (venue, symbol) -> heap of (due wall ms, tie-break, fill, horizon, fill wall ms)
        self._pending: dict[tuple[str, str], list[tuple[int, int, Fill, int, int]]] = {}
        self._tie = itertools.count()
        self._load()
        self._unsubscribe = desk.bus.subscribe(self._on_event)

    def _load(self) -> None:
        for fill in self.desk.ledger.fills.values():
            if fill.client_order_id:
                self.fills.setdefault(fill.client_order_id, []).append(fill)
        try:
            for event in self.desk.journal.events(kinds=(MARKOUT_KIND, END_MID_KIND)):
                if event.kind == MARKOUT_KIND:
                    sample = MarkoutSample.from_record(event.payload)
                    self._keep(sample)
                elif event.payload.get("mid") is not None and event.payload.get("client_order_id"):
                    self.end_mids[event.payload["client_order_id"]] = Decimal(event.payload["mid"])
        except Exception:  # a damaged row must not stop the desk from starting
            log.exception("could not load markouts from the journal")

    def close(self) -> None:
        self._unsubscribe()

    # -- views -------------------------------------------------------------------------------
    def for_order(self, client_order_id: str) -> list[MarkoutSample]:
        return list(self.markouts.get(client_order_id, ()))

    def pending(self) -> int:
        return sum(len(h) for h in self._pending.values())

    # -- events ------------------------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        if isinstance(event, BookChanged):
            heap = self._pending.get((event.venue, event.symbol))
            if heap:
                self._sample(heap, event)
        elif isinstance(event, FillRecorded):
            self._on_fill(event.fill)
        elif isinstance(event, ExecutionRecorded):
            self._on_execution(event.execution)

    def _on_fill(self, fill: Fill) -> None:
        now = self.desk.clock.wall_ms()
        if fill.client_order_id:
            self.fills.setdefault(fill.client_order_id, []).append(fill)
            self.version += 1
        heap = self._pending.setdefault((fill.venue, fill.symbol), [])
        for h in self.horizons_s:
            heapq.heappush(heap, (now + h * 1000, next(self._tie), fill, h, now))

    def _sample(self, heap: list, event: BookChanged) -> None:
        now = self.desk.clock.wall_ms()
        if heap[0][0] > now:
            return
        mid = event.book.mid
        if mid is None:
            return  # a one-sided book: wait for the next one
        while heap and heap[0][0] <= now:
            _, _, fill, horizon, fill_ms = heapq.heappop(heap)
            value = markout_bps(fill.side.value, fill.price, mid)
            if value is None:
                continue
            sample = MarkoutSample(
                venue=fill.venue, symbol=fill.symbol, trade_id=fill.trade_id,
                client_order_id=fill.client_order_id, side=fill.side.value, fill_price=fill.price,
                fill_amount=fill.amount, fill_ms=fill_ms, horizon_s=horizon, mid=mid, mid_ms=now,
                markout_bps=value,
            )
            self._journal(MARKOUT_KIND, fill.venue, fill.client_order_id, sample.as_record())
            self._keep(sample)

    def _on_execution(self, execution: Any) -> None:
        mid = self.desk.mark(execution.venue, execution.symbol)
        if mid is None:
            return
        self.end_mids[execution.client_order_id] = mid
        self.version += 1
        self._journal(END_MID_KIND, execution.venue, execution.client_order_id,
                      {"client_order_id": execution.client_order_id, "symbol": execution.symbol,
                       "mid": str(mid), "at_ms": self.desk.clock.wall_ms()})

    def _keep(self, sample: MarkoutSample) -> None:
        samples = self.markouts.setdefault(sample.client_order_id, [])
        # one sample per (trade, horizon): the first one wins, as in the journal
        if not any(s.trade_id == sample.trade_id and s.horizon_s == sample.horizon_s for s in samples):
            samples.append(sample)
            self.version += 1

    def _journal(self, kind: str, venue: str, client_order_id: str, payload: dict[str, Any]) -> None:
        try:
            self.desk.journal.append(kind, actor="desk", venue=venue, payload=payload)
        except Exception:  # a markout is analysis, never worth stopping the engine for
            log.exception("could not journal %s for %s", kind, client_order_id)
