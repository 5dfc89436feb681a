"""The status bar: environment banner, venue connection, last reconcile, rate budget, clock."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from .. import format as fmt

# Most dangerous first: the banner shows the most dangerous environment among the venues.
ENV_ORDER = ("live", "demo", "testnet", "paper")


class StatusBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static("PAPER", id="env", classes="-paper")
        yield Static("", id="venue")
        yield Static("", id="reconcile")
        yield Static("", id="rate")
        yield Static("", id="note")
        yield Static("", id="clock")

    def _set(self, widget_id: str, text: str, classes: dict[str, bool] | None = None) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        if getattr(widget, "_ws_text", None) != text:
            widget._ws_text = text  # type: ignore[attr-defined]
            widget.update(text)
        if classes:
            widget.set_classes(" ".join(k for k, v in classes.items() if v) or "")

    def show(self, states: list, clock_text: str, note: str = "", connecting: bool = False) -> None:
        envs = [s.environment for s in states] or ["paper"]
        env = next((e for e in ENV_ORDER if e in envs), envs[0])
        self._set("env", f" {env.upper()} ", {f"-{env}": True})
        if not states:
            self._set("venue", "no venue", {"-bad": True})
            return
        parts, bad = [], False
        for s in states:
            if connecting and not s.connected:
                parts.append(f"{s.name} ◌ connecting…")
            elif s.connected and not s.last_error:
                parts.append(f"{s.name} ● {'live' if s.streams_ok else 'polling'}")
            else:
                bad = True
                parts.append(f"{s.name} ○ {s.last_error or 'disconnected'}"[:48])
        self._set("venue", "  ".join(parts), {"-bad": bad, "-ok": not bad})
        rec = states[0]
        if rec.last_reconcile_ms is None:
            self._set("reconcile", "reconcile —", {"-dim": True})
        else:
            result = "ok" if rec.reconcile_ok else f"{rec.differences} diff" if rec.reconcile_ok is not None else "failed"
            self._set("reconcile", f"rec {fmt.clock(rec.last_reconcile_ms)} {result}",
                      {"-ok": bool(rec.reconcile_ok), "-bad": rec.reconcile_ok is False})
        low = rec.rate_capacity and rec.rate_remaining / rec.rate_capacity < 0.2
        self._set("rate", f"rate {rec.rate_remaining}/{rec.rate_capacity}", {"-bad": bool(low)})
        self._set("note", note, {"-bad": bool(note)})
        self._set("clock", clock_text)
