"""The status bar: environment banner(s), trading state, venue connection, reconcile state, copilot,
rate budget, clock.

With one venue the banner says PAPER / TESTNET / DEMO / LIVE; with several, each venue gets its own
banner (LIVE in the theme's live colour). A trading state other than ACTIVE (REDUCING, HALTED) shows
as a second banner right after the environment, in a colour no one can miss.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from .. import format as fmt

# Most dangerous first: the banner shows the most dangerous environment among the venues.
ENV_ORDER = ("live", "demo", "testnet", "paper")
STATE_ORDER = ("halted", "reducing", "active")


class StatusBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static("PAPER", id="env", classes="-paper")
        yield Static("", id="trading")
        yield Static("", id="venue")
        yield Static("", id="reconcile")
        yield Static("", id="copilot")
        yield Static("", id="rate")
        yield Static("", id="note")
        yield Static("", id="clock")

    def on_mount(self) -> None:
        self.query_one("#trading").display = False
        self._env_venues: tuple[str, ...] = ()

    def _set(self, widget_id: str, text: str, classes: dict[str, bool] | None = None) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        if getattr(widget, "_ws_text", None) != text:
            widget._ws_text = text  # type: ignore[attr-defined]
            widget.update(text)
        if classes is not None:
            wanted = " ".join(k for k, v in classes.items() if v) or ""
            if getattr(widget, "_ws_classes", None) != wanted:
                widget._ws_classes = wanted  # type: ignore[attr-defined]
                widget.set_classes(wanted)

    def _banners(self, states: list) -> None:
        """One banner per venue when there are several; the single #env banner otherwise."""
        names = tuple(s.name for s in states) if len(states) > 1 else ()
        if names != self._env_venues:
            for old in self.query(".env-venue"):
                old.remove()
            for i, _ in enumerate(names):
                self.mount(Static("", id=f"env-{i}", classes="env-venue"), before="#trading")
            self._env_venues = names
            self.query_one("#env").display = not names
        for i, s in enumerate(states if names else ()):
            self._set(f"env-{i}", f" {s.name} {s.environment.upper()} ", {"env-venue": True, f"-{s.environment}": True})

    def show(self, states: list, clock_text: str, note: str = "", connecting: bool = False, *,
             trading: dict[str, Any] | None = None, reconcile: list | None = None,
             copilot: str | None = None) -> None:
        envs = [s.environment for s in states] or ["paper"]
        env = next((e for e in ENV_ORDER if e in envs), envs[0])
        self._set("env", f" {env.upper()} ", {f"-{env}": True})
        self._banners(states)
        self._trading(trading or {})
        self._copilot(copilot)
        self._set("clock", clock_text)
        self._set("note", note, {"-bad": bool(note)})
        if not states:
            self._set("venue", "no venue", {"-bad": True})
            return
        parts, bad, warn = [], False, False
        for s in states:
            streams = getattr(s, "streams", "") or ("live" if s.streams_ok else "polling")
            if connecting and not s.connected:
                parts.append(f"{s.name} ◌ connecting…")
            elif "down" in streams:  # a stream the trader counts on is down: say so, and that we poll instead
                warn = True
                gone = [name for name in ("market stream", "user stream") if f"{name} down" in streams]
                parts.append(f"{s.name} ● {' + '.join(gone) or 'stream'} DOWN: polling")
            elif s.connected and not s.last_error:
                parts.append(f"{s.name} ● {streams}")
            else:
                bad = True
                parts.append(f"{s.name} ○ {s.last_error or 'disconnected'}"[:48])
        self._set("venue", "  ".join(parts), {"-bad": bad, "-warn": warn and not bad, "-ok": not bad and not warn})
        self._reconcile(states, reconcile or [])
        low = [s for s in states if s.rate_capacity and s.rate_remaining / s.rate_capacity < 0.2]
        rate = "  ".join(f"{s.name + ' ' if len(states) > 1 else ''}{s.rate_remaining}/{s.rate_capacity}"
                         + (" ↻" + s.refresh.removeprefix("every ").split(",")[0] if getattr(s, "refresh", "") else "")
                         for s in states)
        self._set("rate", f"rate {rate}", {"-bad": bool(low)})

    def _trading(self, trading: dict[str, Any]) -> None:
        widget = self.query_one("#trading", Static)
        values = {venue: getattr(state, "value", str(state)) for venue, state in trading.items()}
        worst = next((s for s in STATE_ORDER if s in values.values()), "active")
        widget.display = worst != "active"
        if worst == "active":
            return
        if len(values) > 1:
            text = "  ".join(f"{venue} {state.upper()}" for venue, state in values.items() if state != "active")
        else:
            text = worst.upper()
        self._set("trading", f" {text} ", {f"-{worst}": True})

    def _reconcile(self, states: list, statuses: list) -> None:
        if not statuses:  # an older Desk: the figures in the venue states
            rec = states[0]
            if rec.last_reconcile_ms is None:
                self._set("reconcile", "reconcile —", {"-dim": True})
                return
            result = "ok" if rec.reconcile_ok else f"{rec.differences} diff" if rec.reconcile_ok is not None else "failed"
            self._set("reconcile", f"rec {fmt.clock(rec.last_reconcile_ms)} {result}",
                      {"-ok": bool(rec.reconcile_ok), "-bad": rec.reconcile_ok is False})
            return
        order = {"failing": 0, "differences": 1, "pending": 2, "in_sync": 3}
        worst = min(statuses, key=lambda s: order.get(s.state, 9))
        if worst.state == "pending":
            self._set("reconcile", "reconcile —", {"-dim": True})
            return
        when = max((s.at_ms for s in statuses if s.at_ms is not None), default=None)
        if worst.state == "in_sync":
            in_doubt = sum(s.in_doubt for s in statuses)
            text = "in sync" + (f", {in_doubt} in doubt" if in_doubt else "")
        elif worst.state == "differences":
            n = sum(s.differences for s in statuses)
            text = f"{n} difference{'s' if n != 1 else ''} (R)"
        else:
            text = f"reconcile failing ({worst.failures}x)"
        self._set("reconcile", f"rec {fmt.clock(when)} {text}" if when is not None else f"rec {text}",
                  {"-ok": worst.state == "in_sync", "-warn": worst.state == "differences",
                   "-bad": worst.state == "failing"})

    def _copilot(self, status: str | None) -> None:
        widget = self.query_one("#copilot", Static)
        widget.display = status is not None
        if status is None:
            return
        label = {"thinking": "copilot thinking…"}.get(status, f"copilot {status}")
        self._set("copilot", label, {"-dim": status == "off", "-busy": status == "thinking",
                                     "-bad": status == "error", "-ok": status == "idle"})
