"""The main screen's order path: the ticket, the approval queue, cancel and modify, the detail screens.

A mixin of MainScreen (it uses the screen's desk, selection, panes and the DOM). The ticket opens as a
limit at the DOM's cursor (or at the touch when the DOM follows the market), sized by the quantity
preset; ``enter`` there sends the trader's own order in one gesture (staged, then approved by the same
human: both journaled), ``ctrl+s`` only queues it. A copilot proposal always waits for its own ``a``.
"""

from __future__ import annotations

import time

from ...desk.errors import DeskError
from ...domain.orders import OrderStatus, OrderType, Side
from ..widgets.approvals import ApprovalsTable
from ..widgets.dom import Dom
from ..widgets.executions import ExecutionsTable
from ..widgets.orders import OrdersTable
from .copilot import PromptScreen
from .execution_detail import ExecutionDetailScreen
from .modify import ModifyScreen
from .proposal import Decision, ProposalScreen, ReasonScreen
from .ticket_view import words


class OrderPathActions:
    # -- the ticket -------------------------------------------------------------------------------
    def action_buy(self) -> None:
        self.open_ticket(Side.BUY)

    def action_sell(self) -> None:
        self.open_ticket(Side.SELL)

    def open_ticket(self, side: Side, venue: str | None = None, symbol: str | None = None, *,
                    order_type=OrderType.LIMIT) -> None:
        if venue is None or symbol is None:
            venue, symbol = self.selected
        if (venue, symbol) not in self.desk.markets:
            self.notify(f"{symbol} is not loaded yet: wait for the venue to connect", severity="warning")
            return
        dom = self.query_one(Dom)
        on_dom = dom.snapshot is not None and (dom.snapshot.venue, dom.snapshot.symbol) == (venue, symbol)
        price = dom.cursor if on_dom and not dom.follow and order_type is OrderType.LIMIT else None
        symbols = [s for v, s in self.symbols() if v == venue]
        cockpit = self.app.config.cockpit
        ticket = self.app.ticket_screen(symbols)
        ticket.one_gesture = cockpit.one_gesture
        ticket.prepare(venue, symbol, side, symbols, order_type=order_type, price=price,
                       amount=self.preset_amount(venue, symbol), follow_price=price is None)
        self.app.push_screen(ticket, callback=self._on_ticket)

    def _on_ticket(self, request) -> None:
        if request is None:
            return
        spec = request.spec
        try:
            if request.group == "bracket":
                orders = self.desk.stage_bracket(spec, **request.params)
            elif request.group == "oco":
                orders = self.desk.stage_oco(request.params["legs"])
            elif request.group == "scaled":
                orders = self.desk.stage_scaled(spec, **request.params)
            else:
                orders = [self.desk.stage(spec, confirm_duplicate=request.confirm_duplicate)]
        except DeskError as exc:
            self.notify(str(exc), title="Not staged", severity="error", timeout=8)
            return
        denied = [o for o in orders if o.status is OrderStatus.DENIED]
        if denied:
            self.notify(f"Denied: {denied[0].reason}", title="Not staged", severity="error", timeout=8)
            if len(denied) == len(orders):
                return
        order = orders[0]
        what = (f"{request.group} of {len(orders)} orders" if request.group else
                f"{spec.side.value.upper()} {spec.amount} {spec.symbol} {words(spec.type)}")
        self.app.dirty.orders = True
        if request.send:
            # one gesture: the same human who saw the preview and the checks approves it now
            self.app.approve(order.client_order_id)
            self.app.tick()
            self.show_tab("orders", focus=False)
            self.notify(f"{what}: sent", title="Approved by you", timeout=3)
            return
        self.app.tick()  # show it now, not on the next tick
        self.show_tab("approvals")
        self.query_one(ApprovalsTable).select_key(order.client_order_id)
        self.notify(f"{what} staged: press [b]a[/] to approve, [b]x[/] to reject", title="Waiting for approval")

    # -- the approval queue ------------------------------------------------------------------------
    def suggestions(self) -> list:
        """Copilot cancel / modify suggestions waiting for the human (no Desk order behind them)."""
        copilot = self.app.copilot
        if copilot is None:
            return []
        return [p for p in copilot.proposals("pending") if p.kind != "stage"]

    def selected_proposal(self) -> str | None:
        """The highlighted row of the approval queue: an order's client id, or "cp:<proposal id>"."""
        table = self.query_one(ApprovalsTable)
        key = table.selected_key
        if key is None:
            return None
        if key.startswith("cp:"):
            return key if any(p.id == key[3:] for p in self.suggestions()) else None
        order = self.desk.order(key)
        return key if order.status is OrderStatus.PENDING_APPROVAL else None

    def action_approve(self) -> None:
        if not self.visible_tab("approvals"):
            self.show_tab("approvals")
            self.notify("This is the approval queue: press a again to approve the highlighted proposal")
            return
        if time.monotonic() < self._approve_block_until:
            self.notify("Just approved one: press a again to approve the next proposal", severity="warning")
            self._approve_block_until = 0.0
            return
        cid = self.selected_proposal()
        if cid is None:
            self.notify("Nothing waiting for approval", severity="warning")
            return
        if cid.startswith("cp:"):
            self._confirm_suggestion(cid[3:])
            return
        self._approve_block_until = time.monotonic() + self.app.approve_guard_s
        self.app.approve(cid)

    def _confirm_suggestion(self, proposal_id: str) -> None:
        from .kill import ConfirmScreen

        p = self.app.copilot.proposal(proposal_id)
        self.app.push_screen(ConfirmScreen(
            f"Copilot suggests: {p.summary()}".replace("[", "(").replace("]", ")"),
            f"{p.rationale}\n\nPress y to {p.kind} order {p.target_order_id} now.", yes=p.kind),
            callback=lambda yes: yes and self.app.confirm_suggestion(proposal_id))

    def _summary(self, key: str) -> str:
        if key.startswith("cp:"):
            return self.app.copilot.proposal(key[3:]).summary()
        order = self.desk.order(key)
        return f"{order.side.value} {order.amount} {order.symbol} {words(order.spec.type)}"

    def action_reject(self) -> None:
        if not self.visible_tab("approvals"):
            self.show_tab("approvals")
            return
        cid = self.selected_proposal()
        if cid is None:
            self.notify("Nothing waiting for approval", severity="warning")
            return
        self.app.push_screen(ReasonScreen(self._summary(cid)), callback=lambda reason: self._reject(cid, reason))

    def _reject(self, cid: str, reason: str | None) -> None:
        if reason is None:
            return
        if cid.startswith("cp:"):
            self.app.reject_suggestion(cid[3:], reason)
            return
        self.app.reject(cid, reason)

    def action_proposal_detail(self) -> None:
        cid = self.selected_proposal()
        if cid is None:
            return
        copilot = self.app.copilot
        if cid.startswith("cp:"):
            screen = ProposalScreen(self.desk, copilot=copilot, proposal_id=cid[3:])
        else:
            screen = ProposalScreen(self.desk, cid, copilot=copilot)
        self.app.push_screen(screen, callback=lambda decision: self._decided(cid, decision))

    def _decided(self, cid: str, decision: Decision | None) -> None:
        if decision is None:
            return
        if decision.what == "approve":
            if cid.startswith("cp:"):
                self.app.confirm_suggestion(cid[3:])
            else:
                self.app.approve(cid)
        elif decision.what == "edit":
            self.app.approve(cid, edits=decision.edits)
        elif decision.what == "reject":
            self.app.push_screen(ReasonScreen(self._summary(cid)), callback=lambda reason: self._reject(cid, reason))

    # -- copilot and the other screens ---------------------------------------------------------------
    def action_copilot_ask(self) -> None:
        copilot = self.app.copilot
        if copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        last = copilot.last_reply.text if copilot.last_reply else None
        self.app.push_screen(PromptScreen(copilot.status, last),
                             callback=lambda prompt: prompt and self.app.ask_copilot(prompt))

    def action_copilot_toggle(self) -> None:
        self.app.toggle_copilot()

    def action_copilot_auto(self) -> None:
        self.app.toggle_auto_propose()

    def action_reconcile_screen(self) -> None:
        self.app.open_screen("reconcile")

    def action_audit(self) -> None:
        self.app.open_screen("audit")

    def action_tca(self) -> None:
        self.app.open_screen("tca")

    # -- open orders and executions ----------------------------------------------------------------
    def selected_order(self) -> str | None:
        return self.query_one(OrdersTable).selected_key

    def action_cancel_order(self) -> None:
        if not self.visible_tab("orders"):
            self.show_tab("orders")
            self.notify("Open orders: press c again to cancel the highlighted one")
            return
        cid = self.selected_order()
        if cid is None:
            self.notify("No open order selected", severity="warning")
            return
        self.app.cancel(cid)

    def action_modify_order(self) -> None:
        if not self.visible_tab("orders"):
            self.show_tab("orders")
            return
        cid = self.selected_order()
        if cid is None:
            return
        order = self.desk.order(cid)
        if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            self.notify(f"{cid} is {order.status.value.replace('_', ' ')}: only open orders can be modified",
                        severity="warning")
            return
        self.app.push_screen(ModifyScreen(order), callback=lambda change: change and self.app.modify(cid, *change))

    def action_execution_detail(self) -> None:
        executions = self.desk.executions()
        if not executions:
            self.notify("No executions yet", severity="warning")
            return
        table = self.query_one(ExecutionsTable)
        key = table.selected_key if self.visible_tab("executions") else None
        newest = table.row_keys()[0] if table.row_count else executions[0].client_order_id
        ex = next((e for e in executions if e.client_order_id == (key or newest)), executions[0])
        pd, ad = self.decimals().get((ex.venue, ex.symbol), (2, 4))
        self.app.push_screen(ExecutionDetailScreen(ex, pd, ad))
