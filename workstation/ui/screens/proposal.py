"""A proposal's details and the human's decision: approve, reject with a reason, edit then approve.

For a human's order: what it would do now and every check. For a copilot proposal also: the
rationale, every order of the idea (a bracket's legs, a ladder's rungs) with its expected price,
slippage and fee, what changes (position, exposure, margin or cash) and what moved since the
copilot proposed it (``copilot.what_moved``). A cancel / modify *suggestion* (no Desk order) shows
the working order it is about and the change; confirming it makes the UI call the Desk's verb.

The screen decides nothing itself: it returns a ``Decision`` and the main screen acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...domain.orders import Order, OrderStatus
from .. import format as fmt
from ..keys import CLOSE_BINDINGS, PROPOSAL_BINDINGS
from ..preview import preview
from .ticket_view import words


@dataclass(frozen=True)
class Decision:
    what: str  # approve | reject | edit
    edits: dict[str, Any] = field(default_factory=dict)


def proposal_for(copilot, client_order_id: str):
    """The copilot proposal that staged this order, or None (a human's order)."""
    if copilot is None:
        return None
    for p in reversed(copilot.proposals()):
        if client_order_id in p.client_order_ids:
            return p
    return None


def proposal_table(desk, order: Order) -> Table:
    spec = order.spec
    market = desk.market(spec.venue, spec.symbol)
    pd, ad = market.price_decimals(), market.amount_decimals()
    p = preview(desk, spec, order=order)
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Order", f"{spec.side.value.upper()} {fmt.amount(spec.amount, ad)} {spec.symbol} "
                       f"{spec.type.value.replace('_', ' ')} · {spec.venue}")
    if spec.price is not None:
        t.add_row("Price", fmt.price(spec.price, pd))
    if spec.trigger_price is not None:
        t.add_row("Trigger", f"{fmt.price(spec.trigger_price, pd)} ({spec.trigger_by.value})")
    if spec.trailing_amount is not None or spec.trailing_percent is not None:
        t.add_row("Trailing", f"{spec.trailing_amount}" if spec.trailing_amount is not None
                  else f"{spec.trailing_percent}%")
    flags = [spec.time_in_force.value] + (["post-only"] if spec.post_only else []) + (["reduce-only"] if spec.reduce_only else [])
    t.add_row("Flags", " ".join(flags))
    t.add_row("Origin", Text(f"{spec.origin.value}" + (f" — {spec.rationale}" if spec.rationale else "")))
    t.add_row("Notional", f"{fmt.money(p.notional)} {market.quote}")
    t.add_row("Exp. avg", f"{fmt.price(p.expected_average, pd)}  ({fmt.bps(p.slippage_bps)} bp vs mid)")
    if p.walk is not None and spec.type.value == "market":
        t.add_row("Walk", f"{p.walk.levels} levels, worst {fmt.price(p.walk.worst_price, pd)}, "
                          f"{'complete' if p.walk.complete else 'book too thin'}")
    t.add_row("Position", f"{fmt.amount(p.position_before, ad)} → {fmt.amount(p.position_after, ad)} {market.base}")
    t.add_row("Decision", f"mid {fmt.price(spec.decision_mid, pd)} at {fmt.clock(spec.decided_at_ms)}")
    try:
        t.add_row("On approval", desk.explain(spec))
    except Exception:  # noqa: BLE001 - an explanation is a nicety
        pass
    group = desk.group(order.client_order_id) if hasattr(desk, "group") else None
    if group is not None:
        t.add_row("Group", f"{group.kind}: {len(group.members)} orders, decided as one")
    t.add_row("Checks", checks_text(p.problems))
    return t


def checks_text(problems) -> Text:
    checks = Text()
    if problems:
        for i, problem in enumerate(problems):
            checks.append(("\n" if i else "") + f"✗ {problem}", style="bold")
    else:
        checks.append("✓ every check passes")
    return checks


def _grid() -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    return t


def copilot_table(desk, copilot, proposal, order: Order | None) -> Table:
    """Rationale, orders with their costs, what changes, what moved: one grid for the detail view."""
    market = desk.market(proposal.venue, proposal.symbol)
    pd, ad = market.price_decimals(), market.amount_decimals()
    t = _grid()
    t.add_row("Copilot", Text(f"{proposal.origin} · {proposal.kind} · {proposal.symbol} on {proposal.venue}"
                              + (f" · asked: {proposal.prompt!r}" if proposal.prompt else " · auto-propose")))
    t.add_row("Rationale", Text(proposal.rationale or fmt.DASH))
    if proposal.kind == "stage":
        orders = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for name, justify in (("Order", "left"), ("Status", "left"), ("Price", "right"), ("Exp. price", "right"),
                              ("Slip bp", "right"), ("Fee", "right")):
            orders.add_column(name, justify=justify, no_wrap=True)
        for cid, spec in zip(proposal.client_order_ids, proposal.specs):
            cost = proposal.costs.get(cid, {})
            try:
                status = desk.order(cid).status.value.replace("pending_approval", "pending").replace("_", " ")
            except Exception:  # noqa: BLE001
                status = fmt.DASH
            what = f"{spec.side.value} {fmt.amount(spec.amount, ad)} {spec.type.value.replace('_', ' ')}"
            level = spec.price if spec.price is not None else spec.trigger_price
            marker = "▸ " if order is not None and cid == order.client_order_id else "  "
            orders.add_row(marker + what, status, fmt.price(level, pd) if level is not None else "market",
                           fmt.price(cost.get("expected_price"), pd), fmt.bps(cost.get("slippage_bps")),
                           fmt.money(cost.get("fee"), 4))
        t.add_row("Orders", orders)
        bases = {c.get("basis") for c in proposal.costs.values() if c.get("basis")}
        if bases:
            t.add_row("Slippage", "; ".join(sorted(bases)))
        t.add_row("Changes", impact_text(proposal.impact, market, ad))
    else:
        try:
            target = desk.order(proposal.target_order_id)
            about = (f"{target.side.value} {fmt.amount(target.amount, ad)} {target.symbol} "
                     f"{words(target.spec.type)} @ {fmt.price(target.spec.price, pd)} · {target.status.value.replace('_', ' ')}")
        except Exception:  # noqa: BLE001
            about = f"{proposal.target_order_id} (no longer known)"
        t.add_row("Order", f"{proposal.target_order_id}: {about}")
        if proposal.kind == "cancel":
            t.add_row("Suggests", "cancel it")
        else:
            parts = [f"amount → {fmt.amount(proposal.new_amount, ad)}" if proposal.new_amount is not None else "",
                     f"price → {fmt.price(proposal.new_price, pd)}" if proposal.new_price is not None else ""]
            t.add_row("Suggests", ", ".join(x for x in parts if x))
    try:
        moved = copilot.what_moved(proposal.id)
    except Exception as exc:  # noqa: BLE001 - the detail view must open even so
        moved = None
        t.add_row("Since", f"what moved is unavailable: {exc}")
    if moved is not None:
        t.add_row("Since", moved_text(moved, pd))
    if order is not None:
        problems = preview(desk, order.spec, order=order).problems
        t.add_row("Checks", checks_text(problems))
    return t


def impact_text(impact: dict[str, Any], market, ad: int) -> Text:
    out = Text()
    if not impact:
        return Text(fmt.DASH)
    out.append(f"position {fmt.amount(impact.get('position_before'), ad)} → "
               f"{fmt.amount(impact.get('position_after'), ad)} {market.base}")
    out.append(f"   exposure {fmt.money(impact.get('exposure_before'))} → {fmt.money(impact.get('exposure_after'))} "
               f"{impact.get('currency', market.quote)}")
    if "margin_needed" in impact:
        out.append(f"\nmargin needed {fmt.money(impact.get('margin_needed'))} of {fmt.money(impact.get('margin_free'))} "
                   f"free at {impact.get('leverage')}x")
    else:
        if impact.get("quote_used"):
            out.append(f"\n{market.quote} used {fmt.money(impact.get('quote_used'))} of "
                       f"{fmt.money(impact.get('quote_free'))} free")
        if impact.get("base_used"):
            out.append(f"\n{market.base} sold {fmt.amount(impact.get('base_used'), ad)} of "
                       f"{fmt.amount(impact.get('base_free'), ad)} free")
    return out


def moved_text(moved: dict[str, Any], pd: int) -> Text:
    out = Text()
    out.append(f"{moved['age_s']:.0f}s ago · mid {fmt.price(moved.get('mid_then'), pd)} → "
               f"{fmt.price(moved.get('mid_now'), pd)} ({fmt.bps(moved.get('mid_move_bps'))} bp)")
    out.append(f" · spread {fmt.num(moved.get('spread_bps_then'), 2)} → {fmt.num(moved.get('spread_bps_now'), 2)} bp")
    out.append(f"\nbid {fmt.price(moved.get('best_bid_then'), pd)} → {fmt.price(moved.get('best_bid_now'), pd)}"
               f"  ask {fmt.price(moved.get('best_ask_then'), pd)} → {fmt.price(moved.get('best_ask_now'), pd)}")
    then, now = moved.get("balances_then", {}), moved.get("balances_now", {})
    changed = [c for c in sorted(set(then) | set(now)) if then.get(c) != now.get(c)]
    out.append("\nbalances " + (", ".join(f"{c} {then.get(c)} → {now.get(c)}" for c in changed) if changed
                                else "unchanged"))
    if moved.get("reasons"):
        for reason in moved["reasons"]:
            out.append(f"\n✗ {reason}", style="bold")
    else:
        out.append("\n✓ still as proposed: approvable")
    return out


class ProposalScreen(ModalScreen[Decision | None]):
    """Approve, reject (the main screen asks for a reason) or edit-then-approve; None = keep it waiting.

    ``client_order_id`` for a staged order (human or copilot); ``proposal_id`` for a copilot cancel /
    modify suggestion."""

    BINDINGS = PROPOSAL_BINDINGS

    def __init__(self, desk, client_order_id: str | None = None, *, copilot=None, proposal_id: str | None = None):
        super().__init__()
        self.desk, self.cid, self.copilot = desk, client_order_id, copilot
        self.proposal = copilot.proposal(proposal_id) if (copilot is not None and proposal_id) else \
            proposal_for(copilot, client_order_id) if client_order_id else None

    def compose(self) -> ComposeResult:
        if self.proposal is not None and self.cid is None:
            title = f" Copilot suggests: {self.proposal.kind} {self.proposal.target_order_id}"
            hint = "[b]a[/] confirm   [b]x[/] reject   [b]esc[/] close"
        elif self.proposal is not None:
            title = f" Copilot proposal · order {self.cid}"
            hint = "[b]a[/] approve and send   [b]x[/] reject   [b]e[/] edit, then approve   [b]esc[/] close"
        else:
            title = f" Proposal {self.cid}"
            hint = "[b]a[/] approve and send   [b]x[/] reject   [b]e[/] edit, then approve   [b]esc[/] close"
        with Vertical(id="proposal", classes="dialog"):
            yield Static(title, classes="dialog-title")
            with VerticalScroll(id="proposal-scroll"):
                yield Static(self.body(), id="proposal-body")
            yield Static(hint, classes="dialog-hint")

    def body(self) -> Table:
        order = self.desk.order(self.cid) if self.cid else None
        if self.proposal is not None:
            return copilot_table(self.desk, self.copilot, self.proposal, order)
        assert order is not None
        return proposal_table(self.desk, order)

    def on_mount(self) -> None:
        self.set_interval(0.5, self._refresh)

    def still_open(self) -> bool:
        if self.cid is not None:
            return self.desk.order(self.cid).status is OrderStatus.PENDING_APPROVAL
        return self.proposal is not None and self.proposal.decision is None

    def _refresh(self) -> None:
        if not self.still_open():
            self.dismiss(None)
            return
        self.query_one("#proposal-body", Static).update(self.body())

    def action_decide(self, what: str) -> None:
        if what == "close":
            self.dismiss(None)
        elif what == "edit":
            if self.cid is None:
                self.notify("A suggestion cannot be edited: reject it and modify the order yourself", severity="warning")
                return
            order = self.desk.order(self.cid)
            if self.desk.group(self.cid) is not None:
                self.notify("Part of a group: reject it and stage the group again to change it", severity="warning")
                return
            self.app.push_screen(EditScreen(order), callback=self._edited)
        else:
            self.dismiss(Decision(what))

    def _edited(self, edits: dict[str, Any] | None) -> None:
        if edits:
            self.dismiss(Decision("edit", edits))


class EditScreen(ModalScreen[dict[str, Any] | None]):
    """Edit-then-approve: amount, limit price, trigger price. Returns only what changed."""

    BINDINGS = CLOSE_BINDINGS
    AUTO_FOCUS = "#edit-amount"

    def __init__(self, order: Order):
        super().__init__()
        self.order = order

    def compose(self) -> ComposeResult:
        o, spec = self.order, self.order.spec
        with Vertical(id="edit-box", classes="dialog"):
            yield Static(f" Edit, then approve: {o.side.value} {o.symbol} {words(spec.type)}", classes="dialog-title")
            with Grid(id="edit-form"):
                yield Label("Amount")
                yield Input(str(spec.amount), id="edit-amount", compact=True)
                yield Label("Price")
                yield Input("" if spec.price is None else str(spec.price), id="edit-price", compact=True,
                            disabled=spec.price is None)
                yield Label("Trigger")
                yield Input("" if spec.trigger_price is None else str(spec.trigger_price), id="edit-trigger",
                            compact=True, disabled=spec.trigger_price is None)
            yield Static("", id="edit-error")
            yield Static("[b]enter[/] approve with these values   [b]esc[/] back", classes="dialog-hint")

    def _value(self, widget_id: str) -> Decimal | None:
        widget = self.query_one(widget_id, Input)
        return None if widget.disabled else fmt.parse_decimal(widget.value, positive=True,
                                                              what=widget_id.removeprefix("#edit-"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        spec = self.order.spec
        try:
            values = {"amount": self._value("#edit-amount"), "price": self._value("#edit-price"),
                      "trigger_price": self._value("#edit-trigger")}
        except ValueError as exc:
            self.query_one("#edit-error", Static).update(str(exc))
            return
        edits = {k: v for k, v in values.items() if v is not None and v != getattr(spec, k)}
        if not edits:
            self.query_one("#edit-error", Static).update("nothing changed: esc, then a to approve as it is")
            return
        self.dismiss(edits)

    def action_close(self) -> None:
        self.dismiss(None)


class ReasonScreen(ModalScreen[str | None]):
    """An optional reason for a rejection. Enter confirms (empty is fine); escape keeps the proposal."""

    BINDINGS = CLOSE_BINDINGS
    AUTO_FOCUS = "#reason"

    def __init__(self, summary: str):
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box", classes="dialog"):
            yield Static(f" Reject {self.summary}", classes="dialog-title")
            yield Input(placeholder="reason (optional)", id="reason")
            yield Static("[b]enter[/] reject   [b]esc[/] keep it", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_close(self) -> None:
        self.dismiss(None)
