"""The command palette: every action (fast actions included), the alerts, plus "go to", "buy" and "sell"
for every watched symbol."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..domain.orders import Side
from .keys import APP_BINDINGS, DESCRIPTIONS, MAIN_BINDINGS


class WorkstationCommands(Provider):
    def commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        main = app.main_screen
        out: list[tuple[str, object, str]] = []
        keymap = getattr(app, "keymap", {})
        for binding in MAIN_BINDINGS:
            key = keymap.get(binding.id or "", binding.key_display or binding.key)
            out.append((binding.description, partial(main.run_action, binding.action),
                        f"{DESCRIPTIONS.get(binding.id or '', '')}  · key {key}"))
        for binding in APP_BINDINGS:
            if binding.action == "command_palette":
                continue
            key = keymap.get(binding.id or "", binding.key_display or binding.key)
            out.append((binding.description, partial(app.run_action, binding.action),
                        f"{DESCRIPTIONS.get(binding.id or '', '')}  · key {key}"))
        out.append(("Kill switch", partial(app.run_action, "kill"),
                    f"{DESCRIPTIONS['kill']}  · key {keymap.get('kill', 'ctrl+k')}"))
        out.append(("Re-arm trading", partial(app.run_action, "rearm"),
                    f"{DESCRIPTIONS['rearm']}  · key {keymap.get('rearm', 'ctrl+r')}"))
        out.append(("Execution quality (TCA)", partial(main.run_action, "tca"), DESCRIPTIONS["tca"]))
        out.append(("Reconciliation", partial(main.run_action, "reconcile_screen"), DESCRIPTIONS["reconcile_screen"]))
        out.append(("Audit trail", partial(main.run_action, "audit"), DESCRIPTIONS["audit"]))
        out.append(("Alerts: set a price alert, see what fired", partial(self._alerts, main),
                    "price alerts by level, and every alert that fired"))
        out.append(("Account: balances", partial(main.run_action, "account"), DESCRIPTIONS["account"]))
        for venue, symbol in main.symbols():
            out.append((f"Go to symbol {symbol}", partial(main.select_symbol, venue, symbol), f"show {symbol} on {venue}"))
            out.append((f"Buy {symbol}", partial(main.open_ticket, Side.BUY, venue, symbol), f"buy ticket for {symbol}"))
            out.append((f"Sell {symbol}", partial(main.open_ticket, Side.SELL, venue, symbol), f"sell ticket for {symbol}"))
            market = app.desk.markets.get((venue, symbol))
            if market is not None and market.is_derivative:
                out.append((f"Set leverage for {symbol}", partial(app.open_leverage, venue, symbol),
                            f"the account's leverage for {symbol} on {venue}, within the venue's and the gate's limits"))
        return out

    def _alerts(self, main) -> None:
        from .screens.cockpit import AlertsScreen

        venue, symbol = main.selected
        self.app.push_screen(AlertsScreen(self.app, venue, symbol, ask=True))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)

    async def discover(self) -> Hits:
        for title, callback, help_text in self.commands():
            yield DiscoveryHit(title, callback, text=title, help=help_text)
