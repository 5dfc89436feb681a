"""The main screen's cockpit actions: quantity presets, the book grid, depth and tape views, the fast
actions (flatten, reverse, join, cancel all: each planned by ``desk.actions``, shown once, then done
through the risk gate) and the DOM's level actions (cancel ours there, move orders there, an alert
there). A mixin of MainScreen."""

from __future__ import annotations

from decimal import Decimal

from ...desk.actions import Plan, amount_for_notional
from ...domain.orders import OrderStatus, Side
from ..widgets.dom import Dom
from ..widgets.orders import OrdersTable
from ..widgets.positions import PositionsTable
from .cockpit import AccountScreen, AlertsScreen, PlanScreen


class CockpitActions:
    # -- quantity presets --------------------------------------------------------------------------
    def presets(self, venue: str, symbol: str) -> list[Decimal]:
        """The sizes keys 1..5 pick on this symbol, in base units (contracts): the symbol's own, or the
        notional presets converted at the mid and rounded down to the lot."""
        cockpit = self.app.config.cockpit
        if symbol in cockpit.presets:
            return list(cockpit.presets[symbol])
        out = []
        for notional in cockpit.presets_notional:
            try:
                amount = amount_for_notional(self.desk, venue, symbol, notional)
            except Exception:  # noqa: BLE001 - no market yet
                amount = None
            if amount:
                out.append(amount)
        return out

    def preset_amount(self, venue: str, symbol: str) -> Decimal | None:
        sizes = self.presets(venue, symbol)
        return sizes[min(self.preset_index, len(sizes) - 1)] if sizes else None

    def preset_label(self, venue: str, symbol: str) -> str:
        amount = self.preset_amount(venue, symbol)
        return f"qty {amount} [{self.preset_index + 1}]" if amount is not None else ""

    def action_preset(self, index: int) -> None:
        venue, symbol = self.selected
        sizes = self.presets(venue, symbol)
        if index >= len(sizes):
            self.notify(f"no preset {index + 1} for {symbol}: set [cockpit.presets] in the config", severity="warning")
            return
        self.preset_index = index
        self.app.dirty.books.add((venue, symbol))
        self.notify(f"Quantity {sizes[index]} ({index + 1})", timeout=2)

    # -- views -----------------------------------------------------------------------------------
    def action_toggle_grid(self) -> None:
        self.grid_mode = not self.grid_mode
        self.query_one("#body").display = not self.grid_mode
        grid = self.query_one("#grid")
        grid.display = self.grid_mode
        if self.grid_mode:
            grid.set_keys(self.symbols())
            grid.select(self.selected)
            grid.focus()
        else:
            self.query_one(Dom).focus()
        self._relayout()

    def action_toggle_depth(self) -> None:
        self.depth_mode = not self.depth_mode
        self.query_one("#chart").display = not self.depth_mode
        self.query_one("#depth").display = self.depth_mode
        self.app.dirty.everything = True

    def tape_floor(self, venue: str, symbol: str) -> Decimal | None:
        sizes = self.presets(venue, symbol)
        if self.tape_filter_index < 0 or not sizes:
            return None
        return sizes[min(self.tape_filter_index, len(sizes) - 1)]

    def action_tape_filter(self) -> None:
        venue, symbol = self.selected
        sizes = self.presets(venue, symbol)
        self.tape_filter_index = self.tape_filter_index + 1 if self.tape_filter_index + 1 < len(sizes) else -1
        floor = self.tape_floor(venue, symbol)
        self.notify(f"Tape: prints of at least {floor}" if floor else "Tape: every print", timeout=2)
        self.app.dirty.everything = True

    def action_account(self) -> None:
        self.app.push_screen(AccountScreen(self.desk))

    # -- fast actions ------------------------------------------------------------------------------
    def _position_target(self) -> tuple[str, str]:
        """The highlighted position when the positions table has the focus, else the symbol on screen."""
        table = self.query_one(PositionsTable)
        if table.has_focus and table.selected_key:
            venue, symbol = table.selected_key.split("|", 1)
            return venue, symbol
        return self.selected

    def _confirm(self, plan: Plan) -> None:
        if plan.refused and not plan.cancels and not plan.specs and not plan.moves:
            self.notify(plan.refused, title=plan.title, severity="warning", timeout=6)
            return
        self.app.push_screen(PlanScreen(plan), callback=lambda yes: yes and self.app.run_plan(plan))

    def _plan(self, make) -> None:
        try:
            plan = make()
        except Exception as exc:  # noqa: BLE001 - an unknown symbol, no market yet: say so
            self.notify(str(exc), severity="error", timeout=6)
            return
        self._confirm(plan)

    def action_flatten(self) -> None:
        venue, symbol = self._position_target()
        self._plan(lambda: self.app.actions.plan_flatten(venue, symbol))

    def action_reverse(self) -> None:
        venue, symbol = self._position_target()
        self._plan(lambda: self.app.actions.plan_reverse(venue, symbol))

    def action_join(self, side: str) -> None:
        venue, symbol = self.selected
        amount = self.preset_amount(venue, symbol)
        if amount is None:
            self.notify("no quantity preset for this symbol yet: wait for its book", severity="warning")
            return
        self._plan(lambda: self.app.actions.plan_join(venue, symbol, Side(side), amount))

    def action_cancel_all(self, everywhere: bool) -> None:
        venue, symbol = self.selected
        self._plan(lambda: self.app.actions.plan_cancel_all() if everywhere else
                   self.app.actions.plan_cancel_all(venue, symbol))

    # -- the DOM's level actions -------------------------------------------------------------------
    def _cursor(self, what: str) -> Decimal | None:
        dom = self.query_one(Dom)
        if dom.cursor is None or self.grid_mode:
            self.notify(f"Move the DOM's cursor to a price (↑/↓) to {what} there", severity="warning", timeout=4)
            return None
        return dom.cursor

    def action_cancel_level(self) -> None:
        price = self._cursor("cancel ours")
        if price is not None:
            venue, symbol = self.selected
            plan = self.app.actions.plan_cancel_level(venue, symbol, price)
            if plan.refused:
                self.notify(plan.refused, severity="warning", timeout=3)
            else:
                self.app.run_plan(plan)  # one level, ours, no new risk: the DOM's delete does not ask

    def action_move_orders(self) -> None:
        dom = self.query_one(Dom)
        price = self._cursor("move orders")
        if price is None:
            return
        venue, symbol = self.selected
        if dom.picked:
            picked, dom_from = dom.picked, dom.picked_price
            dom.pick((), None)
            if price == dom_from:
                self.notify("Put back where it was", timeout=2)
                return
            self._plan(lambda: self.app.actions.plan_move(list(picked), price))
            return
        here = [o.client_order_id for o in self.app.actions.orders_at(venue, symbol, price)
                if o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.EMULATED)]
        if here:
            dom.pick(tuple(here), price)
            self.notify(f"Picked {len(here)} order(s) at {price}: move the cursor, then M to drop them there "
                        f"(M here again puts them back)", timeout=6)
            return
        selected = self.query_one(OrdersTable).selected_key
        if selected:
            self._plan(lambda: self.app.actions.plan_move([selected], price))
        else:
            self.notify("No order of ours at the cursor, and none selected in Orders", severity="warning")

    def action_alert(self) -> None:
        venue, symbol = self.selected
        dom = self.query_one(Dom)
        if dom.cursor is not None and not self.grid_mode:
            self.app.add_price_alert(venue, symbol, dom.cursor)
        else:
            self.app.push_screen(AlertsScreen(self.app, venue, symbol, ask=True))
