"""Every key binding in one place. Each has an id; users remap by id in config `[keys]`.

`workstation.ui.app` applies the config with `App.set_keymap`, the help screen lists these
tables, and the command palette offers every action here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

# App-wide: work on every screen.
APP_BINDINGS: list[Binding] = [
    Binding("question_mark", "help", "Help", id="help", key_display="?"),
    Binding("q", "quit", "Quit", id="quit"),
    Binding("t", "cycle_theme", "Theme", id="cycle_theme", show=False),
    Binding("ctrl+p", "command_palette", "Palette", id="command_palette", show=False),
    Binding("ctrl+k", "kill", "KILL", id="kill"),
    Binding("ctrl+r", "rearm", "Re-arm", id="rearm", show=False),
]

# The main screen's trading actions (not active while a modal is open).
MAIN_BINDINGS: list[Binding] = [
    Binding("b", "buy", "Buy", id="buy"),
    Binding("s", "sell", "Sell", id="sell"),
    Binding("a", "approve", "Approve", id="approve"),
    Binding("x", "reject", "Reject", id="reject"),
    Binding("c", "cancel_order", "Cancel", id="cancel_order"),
    Binding("m", "modify_order", "Modify", id="modify_order"),
    Binding("g", "toggle_grid", "Grid", id="toggle_grid"),
    Binding("F", "flatten", "Flatten", id="flatten"),
    Binding("U", "reverse", "Reverse", id="reverse", show=False),
    Binding("ctrl+b", "join('buy')", "Buy at bid", id="join_bid", show=False),
    Binding("ctrl+s", "join('sell')", "Sell at ask", id="join_ask", show=False),
    Binding("k", "cancel_all(False)", "Cancel sym", id="cancel_symbol", show=False),
    Binding("K", "cancel_all(True)", "Cancel all", id="cancel_everywhere", show=False),
    Binding("M", "move_orders", "Move here", id="move_orders", show=False),
    Binding("exclamation_mark", "alert", "Alert", id="alert", show=False, key_display="!"),
    Binding("1", "preset(0)", "Qty 1", id="preset_1", show=False),
    Binding("2", "preset(1)", "Qty 2", id="preset_2", show=False),
    Binding("3", "preset(2)", "Qty 3", id="preset_3", show=False),
    Binding("4", "preset(3)", "Qty 4", id="preset_4", show=False),
    Binding("5", "preset(4)", "Qty 5", id="preset_5", show=False),
    Binding("d", "toggle_depth", "Depth", id="toggle_depth", show=False),
    Binding("f", "tape_filter", "Tape filter", id="tape_filter", show=False),
    Binding("dollar_sign", "account", "Account", id="account", show=False, key_display="$"),
    Binding("e", "execution_detail", "Exec detail", id="execution_detail", show=False),
    Binding("v", "proposal_detail", "Proposal", id="proposal_detail", show=False),
    Binding("r", "refresh", "Refresh", id="refresh", show=False),
    Binding("left_square_bracket", "symbol_step(-1)", "Prev symbol", id="symbol_prev", show=False, key_display="["),
    Binding("right_square_bracket", "symbol_step(1)", "Next symbol", id="symbol_next", show=False,
            key_display="]"),
    Binding("alt+1", "symbol_index(0)", "Symbol 1", id="symbol_1", show=False),
    Binding("alt+2", "symbol_index(1)", "Symbol 2", id="symbol_2", show=False),
    Binding("alt+3", "symbol_index(2)", "Symbol 3", id="symbol_3", show=False),
    Binding("alt+4", "symbol_index(3)", "Symbol 4", id="symbol_4", show=False),
    Binding("o", "show_panel('orders')", "Orders", id="show_orders", show=False),
    Binding("p", "show_panel('positions')", "Positions", id="show_positions", show=False),
    Binding("w", "show_panel('approvals')", "Approvals", id="show_approvals", show=False),
    Binding("l", "show_panel('executions')", "Exec log", id="show_executions", show=False),
    Binding("i", "show_panel('tape')", "Tape", id="show_tape", show=False),
    Binding("n", "show_panel('alerts')", "Alerts", id="show_alerts", show=False),
    Binding("j", "show_panel('copilot-log')", "Copilot log", id="show_copilot_log", show=False),
    Binding("slash", "copilot_ask", "Ask copilot", id="copilot_ask", key_display="/"),
    Binding("C", "copilot_toggle", "Copilot on/off", id="copilot_toggle", show=False),
    Binding("P", "copilot_auto", "Auto-propose", id="copilot_auto", show=False),
    Binding("R", "reconcile_screen", "Reconcile", id="reconcile_screen", show=False),
    Binding("A", "audit", "Audit", id="audit", show=False),
    Binding("T", "tca", "TCA", id="tca", show=False),
    Binding("V", "app.venue_profiles", "Venues", id="venue_profiles", show=False),
    Binding("B", "app.compare_venues", "Best venue", id="compare_venues", show=False),
]

# The tradeable ladder (DOM), when it has the focus: the cursor on a price.
DOM_BINDINGS: list[Binding] = [
    Binding("up", "cursor(1)", "Price up", id="dom_up", show=False),
    Binding("down", "cursor(-1)", "Price down", id="dom_down", show=False),
    Binding("pageup", "page(1)", "Page up", id="dom_page_up", show=False),
    Binding("pagedown", "page(-1)", "Page down", id="dom_page_down", show=False),
    Binding("home", "recentre", "Follow", id="dom_recentre", show=False),
    Binding("plus", "zoom(True)", "Group coarser", id="dom_coarser", show=False, key_display="+"),
    Binding("minus", "zoom(False)", "Group finer", id="dom_finer", show=False, key_display="-"),
    Binding("delete", "screen.cancel_level", "Cancel ours here", id="dom_cancel_level", show=False),
]

# The book grid, when it has the focus.
GRID_BINDINGS: list[Binding] = [
    Binding("left", "move(-1, 0)", "Left", id="grid_left", show=False),
    Binding("right", "move(1, 0)", "Right", id="grid_right", show=False),
    Binding("up", "move(0, -1)", "Up", id="grid_up", show=False),
    Binding("down", "move(0, 1)", "Down", id="grid_down", show=False),
    Binding("enter", "open", "Trade it", id="grid_open"),
]

# Inside the order ticket.
TICKET_BINDINGS: list[Binding] = [
    Binding("escape", "close", "Close", id="ticket_close"),
    Binding("ctrl+s", "stage", "Stage only", id="ticket_stage"),
    Binding("ctrl+t", "flip_side", "Buy/Sell", id="ticket_flip_side"),
    Binding("ctrl+o", "cycle_type", "Type", id="ticket_cycle_type"),
    Binding("ctrl+n", "cycle_unit", "Units", id="ticket_cycle_unit"),
    Binding("ctrl+b", "cycle_trigger_by", "Trigger by", id="ticket_cycle_trigger_by"),
]

# Inside the proposal detail.
PROPOSAL_BINDINGS: list[Binding] = [
    Binding("a", "decide('approve')", "Approve", id="proposal_approve"),
    Binding("x", "decide('reject')", "Reject", id="proposal_reject"),
    Binding("e", "decide('edit')", "Edit, then approve", id="proposal_edit"),
    Binding("escape", "decide('close')", "Close", id="proposal_close"),
]

# Inside a confirmation (kill switch, re-arm, confirming a copilot suggestion).
CONFIRM_BINDINGS: list[Binding] = [
    Binding("y", "confirm", "Yes", id="confirm_yes"),
    Binding("escape", "close", "No", id="confirm_no"),
]

# The kill switch's confirmation.
KILL_BINDINGS: list[Binding] = [
    Binding("y", "kill(False)", "Kill", id="kill_confirm"),
    Binding("F", "kill(True)", "Kill and flatten", id="kill_flatten"),
    Binding("escape", "close", "Keep trading", id="kill_close"),
]

# The reconciliation screen.
RECONCILE_BINDINGS: list[Binding] = [
    Binding("a", "verb('adopt')", "Adopt", id="reconcile_adopt"),
    Binding("c", "verb('cancel')", "Cancel it", id="reconcile_cancel"),
    Binding("i", "verb('ignore')", "Ignore", id="reconcile_ignore"),
    Binding("r", "refresh", "Refresh", id="reconcile_refresh"),
    Binding("escape", "close", "Close", id="reconcile_close"),
]

# The alerts screen.
ALERTS_BINDINGS: list[Binding] = [
    Binding("exclamation_mark", "add", "New price alert", id="alerts_add", key_display="!"),
    Binding("delete", "remove", "Remove alert", id="alerts_remove"),
    Binding("escape", "close", "Close", id="alerts_close"),
]

# The audit screen.
AUDIT_BINDINGS: list[Binding] = [
    Binding("r", "reload", "Reload", id="audit_reload"),
    Binding("escape", "close", "Close", id="audit_close"),
]

CLOSE_BINDINGS: list[Binding] = [
    Binding("escape", "close", "Close", id="close"),
]

DESCRIPTIONS: dict[str, str] = {
    "help": "this list of keys",
    "quit": "quit the workstation (the desk stops; resting orders stay at the venue)",
    "cycle_theme": "next theme",
    "command_palette": "every action, and go to a symbol",
    "buy": "buy ticket: a limit at the DOM's cursor, or at the bid when the DOM follows the market",
    "sell": "sell ticket: a limit at the DOM's cursor, or at the ask when the DOM follows the market",
    "approve": "approve the selected proposal in the queue (the ticket's enter sends your own orders)",
    "toggle_grid": "book grid (every watched book) / single book with the DOM",
    "flatten": "flatten the selected position: cancel its orders, then close it at market (asks once)",
    "reverse": "reverse the selected derivatives position at market (asks once)",
    "join_bid": "buy the preset size at the best bid (a limit; asks once)",
    "join_ask": "sell the preset size at the best ask (a limit; asks once)",
    "cancel_symbol": "cancel every working order on this symbol, without halting (asks once)",
    "cancel_everywhere": "cancel every working order everywhere, without halting (asks once)",
    "move_orders": "DOM: pick up our orders at the cursor, then M again on another price moves them there",
    "alert": "price alert at the DOM's cursor (or type a level)",
    "preset_1": "quantity preset 1", "preset_2": "quantity preset 2", "preset_3": "quantity preset 3",
    "preset_4": "quantity preset 4", "preset_5": "quantity preset 5",
    "toggle_depth": "price chart / depth chart",
    "tape_filter": "time and sales: hide prints smaller than the next preset size",
    "account": "balances per venue: free, in orders, total, value",
    "show_tape": "show time and sales",
    "show_alerts": "show the alerts list",
    "show_copilot_log": "show the copilot's log: each turn's calls, results and errors",
    "dom_up": "DOM: cursor one tick up", "dom_down": "DOM: cursor one tick down",
    "dom_page_up": "DOM: cursor a page up", "dom_page_down": "DOM: cursor a page down",
    "dom_recentre": "DOM: back to the market (follow)",
    "dom_coarser": "DOM: group rows coarser (twice the price step)", "dom_finer": "DOM: group rows finer", "dom_cancel_level": "DOM: cancel our orders at the cursor",
    "grid_left": "grid: book to the left", "grid_right": "grid: book to the right", "grid_up": "grid: book above",
    "grid_down": "grid: book below", "grid_open": "grid: trade the selected book in the single-book view",
    "alerts_add": "a new price alert", "alerts_remove": "remove the selected price alert",
    "alerts_close": "close",
    "reject": "reject the selected proposal, with an optional reason",
    "cancel_order": "cancel the selected open order",
    "modify_order": "change the amount or price of the selected open order",
    "execution_detail": "every leg's timestamp of the selected execution",
    "proposal_detail": "what the selected proposal would do",
    "refresh": "fetch and reconcile the account now",
    "symbol_prev": "previous symbol",
    "symbol_next": "next symbol",
    "symbol_1": "first watched symbol (alt+1; 1..5 are the quantity presets)",
    "symbol_2": "second watched symbol",
    "symbol_3": "third watched symbol",
    "symbol_4": "fourth watched symbol",
    "show_orders": "show open orders",
    "show_positions": "show positions",
    "show_approvals": "show the approval queue",
    "show_executions": "show the execution log",
    "copilot_ask": "ask the copilot (it can only propose: you approve)",
    "copilot_toggle": "turn the copilot on or off",
    "copilot_auto": "turn the copilot's auto-propose rounds on or off",
    "reconcile_screen": "every difference with the venue: adopt, cancel or ignore",
    "audit": "every decision: who and why",
    "tca": "execution quality: slippage, latency, fill probability, markouts",
    "kill": "KILL SWITCH: halt trading, cancel every working order (asks first)",
    "rearm": "re-arm trading after a kill (asks first)",
    "ticket_close": "close the ticket without staging",
    "ticket_stage": "stage only: into the approval queue, not sent (enter sends your own order at once)",
    "ticket_flip_side": "switch between buy and sell",
    "ticket_cycle_type": "next order type",
    "ticket_cycle_unit": "amount in base / quote notional / % of balance",
    "ticket_cycle_trigger_by": "which price fires a trigger: last, mark, bid/ask, mid",
    "proposal_approve": "approve this proposal",
    "proposal_reject": "reject this proposal",
    "proposal_edit": "change amount / price / trigger, then approve",
    "proposal_close": "close",
    "confirm_yes": "yes, do it",
    "confirm_no": "no, leave it",
    "kill_confirm": "kill: halt, decline proposals, disarm emulated, cancel every working order",
    "kill_flatten": "kill and also flatten derivatives positions (asks again)",
    "kill_close": "keep trading",
    "reconcile_adopt": "manage the external order here / accept the venue's figure",
    "reconcile_cancel": "cancel the order behind the difference at the venue",
    "reconcile_ignore": "leave it as it is",
    "reconcile_refresh": "fetch and reconcile now",
    "reconcile_close": "close",
    "audit_reload": "reload the audit trail",
    "audit_close": "close",
    "tca_group": "TCA: group by symbol, size, order type, origin, everything",
    "tca_window": "TCA: window all, 5 min, 1 h, 24 h, last 50",
    "close": "close this window",
    "venue_profiles": "venue profiles: fees you pay, depth within 10/50/100 bps, rules, status, rate budget",
    "compare_venues": "one symbol across venues: the all-in price of a size on each, stage the best",
    "profiles_refresh": "ask the venues for this account's fees and their status",
    "profiles_close": "close",
    "compare_flip_side": "cross-venue: switch buy and sell",
    "compare_stage": "cross-venue: stage the best (or selected) venue for approval",
    "compare_close": "close",
}


@dataclass(frozen=True)
class KeyRow:
    where: str
    id: str
    key: str
    action: str
    description: str


def _display(binding: Binding, keymap: dict[str, str]) -> str:
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key_display or binding.key


def all_keys(keymap: dict[str, str] | None = None) -> list[KeyRow]:
    keymap = keymap or {}
    from .screens.compare import CompareScreen
    from .screens.profiles import ProfilesScreen
    from .screens.tca import TcaScreen  # its own bindings, with ids: listed and remappable too

    rows = []
    seen: set[str] = set()
    for where, table in (("main", MAIN_BINDINGS), ("dom", DOM_BINDINGS), ("grid", GRID_BINDINGS),
                         ("app", APP_BINDINGS), ("ticket", TICKET_BINDINGS), ("alerts", ALERTS_BINDINGS),
                         ("proposal", PROPOSAL_BINDINGS), ("confirm", CONFIRM_BINDINGS),
                         ("kill", KILL_BINDINGS), ("reconcile", RECONCILE_BINDINGS), ("audit", AUDIT_BINDINGS),
                         ("detail", CLOSE_BINDINGS), ("tca", TcaScreen.BINDINGS),
                         ("venues", ProfilesScreen.BINDINGS), ("compare", CompareScreen.BINDINGS)):
        for b in table:
            if isinstance(b, tuple) or (b.id or b.action) in seen:
                continue
            seen.add(b.id or b.action)
            rows.append(KeyRow(where, b.id or b.action, _display(b, keymap), b.action,
                               DESCRIPTIONS.get(b.id or "", b.description)))
    return rows


def known_ids() -> set[str]:
    return {row.id for row in all_keys()}
