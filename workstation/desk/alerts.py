"""Alerts: price crosses, fills, PnL and margin thresholds, disconnects, orders in doubt.

``AlertBook`` listens to the Desk's events (books, fills, orders) and, on ``poll()`` (the UI calls it
about once a second; a script may too), checks the account-wide thresholds. Every alert that fires is
journaled (``alert``) and handed to the listeners (the UI shows it as a notification and in the alerts
list, and rings the terminal bell if asked). Price alerts are set by the trader (``alert_set`` /
``alert_removed`` in the journal, replayed on start) and fire once, when the mid reaches the level from
the side it was on when it was set.

Thresholds fire on the edge (when the state is entered) and re-arm when it is left, so a PnL sitting
under its line is said once, not every second. No Textual.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from ..domain.orders import OrderStatus
from .account import venue_account
from .events import BookChanged, FillRecorded, OrderChanged, RiskAlert

log = logging.getLogger(__name__)

KINDS = ("price", "fill", "pnl", "margin", "disconnect", "in_doubt", "risk")


@dataclass(frozen=True)
class AlertSettings:
    fills: bool = True
    in_doubt: bool = True
    disconnects: bool = True
    pnl_loss: Decimal | None = Decimal("1000")  # day PnL at or below minus this (per venue, its currency)
    pnl_gain: Decimal | None = None  # day PnL at or above this
    margin_near_pct: Decimal | None = Decimal("80")  # margin ratio at this % of its cap (and again at the cap)
    keep: int = 500  # alerts kept in memory (the journal keeps them all)


@dataclass(frozen=True, slots=True)
class PriceRule:
    id: str
    venue: str
    symbol: str
    level: Decimal
    direction: str  # "above": fires when the mid rises to the level; "below": falls to it
    note: str = ""
    created_ms: int = 0

    def describe(self) -> str:
        arrow = "≥" if self.direction == "above" else "≤"
        return f"{self.symbol} mid {arrow} {self.level}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, slots=True)
class Alert:
    seq: int
    ts_ms: int
    kind: str  # one of KINDS
    level: str  # info | warning | error
    message: str
    venue: str | None = None
    symbol: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class AlertBook:
    def __init__(self, desk: Any, settings: AlertSettings | None = None):
        self.desk = desk
        self.settings = settings or AlertSettings()
        self.rules: dict[str, PriceRule] = {}
        self.fired: list[Alert] = []  # oldest first
        self._listeners: list[Callable[[Alert], None]] = []
        self._seq = itertools.count(1)
        self._rule_seq = 0
        self._state: dict[tuple[str, str], str] = {}  # (venue, threshold) -> state last seen
        self._replay()
        self._unsubscribe = desk.bus.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def subscribe(self, callback: Callable[[Alert], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def alerts(self) -> list[Alert]:
        """Newest first."""
        return list(reversed(self.fired))

    # -- price rules -----------------------------------------------------------------------------
    def _replay(self) -> None:
        for event in self.desk.journal.events(kinds=("alert_set", "alert_removed")):
            p = event.payload
            rid = p.get("id", "")
            if event.kind == "alert_set":
                try:
                    self.rules[rid] = PriceRule(rid, p["venue"], p["symbol"], Decimal(str(p["level"])),
                                                p["direction"], p.get("note", ""), event.ts_ms)
                except (KeyError, ArithmeticError):
                    log.warning("unreadable alert_set in the journal: %s", p)
            else:
                self.rules.pop(rid, None)
            if rid.startswith("a") and rid[1:].isdigit():
                self._rule_seq = max(self._rule_seq, int(rid[1:]))

    def add_price(self, venue: str, symbol: str, level: Decimal, note: str = "", actor: str = "human") -> PriceRule:
        """Alert when the mid reaches ``level`` (from the side it is on now). Raises ValueError without a mid."""
        level = Decimal(level)
        if not level.is_finite() or level <= 0:
            raise ValueError(f"alert level must be a positive price, got {level}")
        mark = self.desk.mark(venue, symbol)
        if mark is None:
            raise ValueError(f"no price for {symbol} on {venue} yet: wait for its book")
        if mark == level:
            raise ValueError(f"{symbol} is at {level} now: pick a level above or below the mid")
        self._rule_seq += 1
        rule = PriceRule(f"a{self._rule_seq}", venue, symbol, level, "above" if level > mark else "below", note,
                         self.desk.clock.wall_ms())
        self.rules[rule.id] = rule
        self.desk.journal.append("alert_set", actor=actor, venue=venue, ts_ms=rule.created_ms, payload={
            "id": rule.id, "venue": venue, "symbol": symbol, "level": level, "direction": rule.direction,
            "note": note, "mid": mark})
        return rule

    def remove(self, rule_id: str, actor: str = "human", why: str = "removed") -> PriceRule | None:
        rule = self.rules.pop(rule_id, None)
        if rule is not None:
            self.desk.journal.append("alert_removed", actor=actor, venue=rule.venue, payload={"id": rule_id,
                                                                                              "why": why})
        return rule

    # -- firing ------------------------------------------------------------------------------------
    def _fire(self, kind: str, level: str, message: str, venue: str | None = None, symbol: str | None = None,
              journal: bool = True, **details: Any) -> Alert:
        alert = Alert(next(self._seq), self.desk.clock.wall_ms(), kind, level, message, venue, symbol, details)
        if journal:
            self.desk.journal.append("alert", actor="desk", venue=venue, ts_ms=alert.ts_ms, payload={
                "kind": kind, "level": level, "message": message, "symbol": symbol, **details})
        self.fired.append(alert)
        if len(self.fired) > self.settings.keep:
            del self.fired[: len(self.fired) - self.settings.keep]
        for callback in list(self._listeners):
            try:
                callback(alert)
            except Exception:  # a broken listener must not stop the others
                log.exception("alert listener failed")
        return alert

    def _on_event(self, event: object) -> None:
        if isinstance(event, BookChanged):
            if self.rules:
                self._check_price(event.venue, event.symbol, event.book.mid)
        elif isinstance(event, FillRecorded):
            if self.settings.fills:
                f = event.fill
                self._fire("fill", "info", f"filled {f.side.value} {f.amount} {f.symbol} @ {f.price}"
                           + (f" ({f.client_order_id})" if f.client_order_id else ""), f.venue, f.symbol,
                           client_order_id=f.client_order_id, trade_id=f.trade_id)
        elif isinstance(event, OrderChanged):
            o = event.order
            if (self.settings.in_doubt and o.status is OrderStatus.IN_DOUBT
                    and event.previous_status not in (None, OrderStatus.IN_DOUBT.value)):
                self._fire("in_doubt", "error", f"{o.client_order_id} {o.side.value} {o.amount} {o.symbol} is IN "
                           f"DOUBT: its outcome is unknown; it is being looked up, never re-sent", o.venue, o.symbol,
                           client_order_id=o.client_order_id)
        elif isinstance(event, RiskAlert):
            # the Desk's own alerts (denials, trading state, kill switch) join the list; the Desk journals
            # what caused them, so they are not journaled twice
            self._fire("risk", event.level, event.message, event.details.get("venue"), journal=False)

    def _check_price(self, venue: str, symbol: str, mid: Decimal | None) -> None:
        if mid is None:
            return
        for rule in [r for r in self.rules.values() if r.venue == venue and r.symbol == symbol]:
            hit = mid >= rule.level if rule.direction == "above" else mid <= rule.level
            if hit:
                self.rules.pop(rule.id, None)
                self.desk.journal.append("alert_removed", actor="desk", venue=venue, payload={"id": rule.id,
                                                                                              "why": "fired"})
                self._fire("price", "warning", f"{symbol} mid {mid} reached {rule.level}"
                           + (f" ({rule.note})" if rule.note else ""), venue, symbol, rule=rule.id,
                           price_level=rule.level, mid=mid)

    def _edge(self, venue: str, name: str, state: str) -> bool:
        """True when (venue, name) moves to a worse state than it was in; back to "ok" re-arms."""
        rank = {"ok": 0, "near": 1, "over": 2}
        before = self._state.get((venue, name), "ok")
        self._state[(venue, name)] = state
        if state == "ok":
            return False
        if before == "ok":
            return True
        return state != before and rank.get(state, 1) > rank.get(before, 1)

    def poll(self) -> list[Alert]:
        """Account-wide thresholds and connections; returns what fired."""
        fired: list[Alert] = []
        s = self.settings
        for state in self.desk.venue_states():
            down = "down" if (not state.connected or not state.streams_ok) else "ok"
            if s.disconnects and self._edge(state.name, "connection", down):
                fired.append(self._fire("disconnect", "error", f"{state.name}: "
                                        + ("disconnected" if not state.connected else "streams down, polling")
                                        + (f" ({state.last_error})" if state.last_error else ""), state.name))
            try:
                acct = venue_account(self.desk, state.name)
            except Exception:  # noqa: BLE001 - a venue without markets yet
                continue
            if not acct.known:
                continue
            pnl = "ok"
            if s.pnl_loss is not None and acct.day_pnl <= -s.pnl_loss:
                pnl = "loss"
            elif s.pnl_gain is not None and acct.day_pnl >= s.pnl_gain:
                pnl = "gain"
            if self._edge(state.name, "pnl", pnl):
                line = f"-{s.pnl_loss}" if pnl == "loss" else f"+{s.pnl_gain}"
                fired.append(self._fire("pnl", "error" if pnl == "loss" else "info",
                                        f"{state.name}: day PnL {acct.day_pnl:+.2f} {acct.currency} passed {line}",
                                        state.name, day_pnl=acct.day_pnl))
            margin = "ok"
            if acct.margin_ratio_pct is not None and s.margin_near_pct is not None:
                if acct.margin_ratio_pct >= acct.margin_cap_pct:
                    margin = "over"
                elif acct.margin_ratio_pct >= acct.margin_cap_pct * s.margin_near_pct / 100:
                    margin = "near"
            if self._edge(state.name, "margin", margin):
                fired.append(self._fire("margin", "error" if margin == "over" else "warning",
                                        f"{state.name}: margin {acct.margin_ratio_pct:.1f}% of equity, cap "
                                        f"{acct.margin_cap_pct}%" + (": at the cap, only risk-reducing orders pass"
                                                                     if margin == "over" else ""),
                                        state.name, margin_pct=acct.margin_ratio_pct))
        return fired
