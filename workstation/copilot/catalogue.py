"""The copilot's tool catalogue: every tool's name, kind, description, arguments and handler, in one list.

To add a tool: write its arguments as an ``Arguments`` model here (the JSON schema the model is
shown is generated from it), write ``async def handler(session, args) -> ToolResult`` (reads.py
for read tools, acts.py for staging ones, or a module of its own), and add one ``Tool(...)`` line
to ``CATALOGUE``. Nothing else registers tools: a model, market data or venue text cannot add one.

There is no tool that approves, sends, cancels or modifies: act tools can only stage an order
(PENDING_APPROVAL) or record a cancel / modify suggestion for the trader to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Awaitable, Callable, Literal

from pydantic import Field

from ..domain.orders import OrderType
from .acts import propose_cancel, propose_modify, stage_bracket, stage_order, stage_scaled
from .reads import (get_balances, get_book, get_candles, get_executions, get_market, get_orders, get_positions,
                    get_risk_limits, get_trades, list_markets)
from .schedule_tool import SCHEDULE_DESCRIPTION, stage_schedule
from .schema import Arguments, Dec, Flag, Text, Whole, parameters_schema
from .venue_tools import DESCRIPTION as VENUE_PROFILES, VenueProfilesArguments, get_venue_profiles

Handler = Callable[[Any, dict[str, Any]], Awaitable[Any]]

# -- shared fields -----------------------------------------------------------------------------------------------
Symbol = Text('market symbol, e.g. "ETH/USDT" (spot) or "BTC/USDT:USDT" (perpetual)', 40, 1)
Venue = Text('venue name, e.g. "paper"; optional when only one venue lists the symbol', 40, 1)
SideArg = Annotated[Literal["buy", "sell"], Field(description="buy or sell")]
Rationale = Text("why, in plain words the trader can check: the setup, the numbers, the risk", 2000, 3)
ClientOrderId = Text("the client order id of a working order (see get_orders)", 64, 1)
OrderTypeArg = Annotated[Literal[tuple(t.value for t in OrderType)], Field(description="order type")]  # type: ignore[valid-type]


# -- read tools --------------------------------------------------------------------------------------------------
class NoArguments(Arguments):
    pass


class MarketArguments(Arguments):
    symbol: Symbol
    venue: Venue | None = None


class BookArguments(MarketArguments):
    depth: Whole(1, 50, "levels per side") | None = None


class TradesArguments(MarketArguments):
    limit: Whole(1, 200, "how many") | None = None


class CandlesArguments(MarketArguments):
    timeframe: Annotated[Literal["1m", "5m", "15m", "1h"], Field(description="bar size")] | None = None
    limit: Whole(1, 500, "how many bars") | None = None


class VenueArguments(Arguments):
    venue: Venue | None = None


class ExecutionsArguments(Arguments):
    limit: Whole(1, 100, "how many") | None = None


# -- act tools ---------------------------------------------------------------------------------------------------
class StageOrderArguments(Arguments):
    symbol: Symbol
    venue: Venue | None = None
    side: SideArg
    type: OrderTypeArg
    amount: Dec("size in base units", "0.5")
    price: Dec("limit price, for limit, stop_limit and take_profit_limit", "3000.50") | None = None
    trigger_price: Dec("trigger price for stop and take-profit types", "2950.00") | None = None
    trailing_amount: Dec("trailing offset in quote, for trailing_stop", "25") | None = None
    trailing_percent: Dec("trailing offset in percent, for trailing_stop", "1.5", maximum=100) | None = None
    time_in_force: Annotated[Literal["GTC", "IOC", "FOK"], Field(description="time in force for limit orders")] | \
        None = None
    post_only: Flag("limit orders only: rest, never take") | None = None
    reduce_only: Flag("derivatives only: only reduce a position") | None = None
    rationale: Rationale


class StageBracketArguments(Arguments):
    symbol: Symbol
    venue: Venue | None = None
    side: SideArg
    amount: Dec("size in base units", "0.5")
    entry_type: Annotated[Literal["limit", "market"], Field(description="entry order type")]
    price: Dec("entry limit price (limit entries)", "3000.50") | None = None
    stop_loss: Dec("stop-loss trigger price: below entry for a buy, above for a sell", "2950")
    take_profit: Dec("take-profit price: above entry for a buy, below for a sell", "3100")
    rationale: Rationale


class StageScaledArguments(Arguments):
    symbol: Symbol
    venue: Venue | None = None
    side: SideArg
    total_amount: Dec("total size in base units across all orders", "0.5")
    from_price: Dec("first (nearest) limit price", "3000")
    to_price: Dec("last (furthest) limit price", "2950")
    orders: Whole(2, 20, "number of orders")
    rationale: Rationale


class ProposeCancelArguments(Arguments):
    client_order_id: ClientOrderId
    rationale: Rationale


class ProposeModifyArguments(Arguments):
    client_order_id: ClientOrderId
    amount: Dec("new total amount", "0.5") | None = None
    price: Dec("new limit price", "3000.50") | None = None
    rationale: Rationale


class StageScheduleArguments(Arguments):
    symbol: Symbol
    venue: Venue | None = None
    side: SideArg
    total_amount: Dec("total size in base units over the whole schedule", "0.5")
    price_limit: Dec("the worst price any slice may trade at: the most a buy pays, the least a sell gets", "3000")
    duration_minutes: Whole(1, 1440, "how long the schedule runs, from approval")
    slices: Whole(1, 120, "how many slices (default: one every 5 minutes)") | None = None
    rationale: Rationale


# -- the catalogue -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tool:
    name: str
    kind: Literal["read", "act"]
    description: str
    arguments: type[Arguments]
    handler: Handler

    def openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": parameters_schema(self.arguments)}}


CATALOGUE: tuple[Tool, ...] = (
    Tool("list_markets", "read", "List venues and markets with their tick, lot, minimums and fees, and venue status.",
         NoArguments, list_markets),
    Tool("get_market", "read", "One market's rules (tick, lot, minimums, fees), the order types the venue supports, "
         "and the risk limits that apply.", MarketArguments, get_market),
    Tool("get_book", "read", "The order book now: best levels each side, mid, spread, age.", BookArguments,
         get_book),
    Tool("get_trades", "read", "Recent public trades.", TradesArguments, get_trades),
    Tool("get_candles", "read", "Recent OHLCV candles, oldest first.", CandlesArguments, get_candles),
    Tool("get_positions", "read", "Open positions with size, average entry and PnL.", NoArguments, get_positions),
    Tool("get_orders", "read", "Working orders and orders waiting for approval.", NoArguments, get_orders),
    Tool("get_balances", "read", "Free, used and total balance per currency.", VenueArguments, get_balances),
    Tool("get_executions", "read", "Recent executions with slippage (bps) and latency (ms).", ExecutionsArguments,
         get_executions),
    Tool("get_risk_limits", "read", "The risk limits for a market: max order notional and amount, price collar, "
         "max open orders.", MarketArguments, get_risk_limits),
    Tool("get_venue_profiles", "read", VENUE_PROFILES, VenueProfilesArguments, get_venue_profiles),
    Tool("stage_order", "act", "Propose one order. It waits for the trader's approval; nothing is sent by this call.",
         StageOrderArguments, stage_order),
    Tool("stage_bracket", "act", "Propose an entry with a protective stop-loss and a take-profit (the exits are "
         "linked as one-cancels-other). Waits for approval.", StageBracketArguments, stage_bracket),
    Tool("stage_scaled", "act", "Propose a ladder of limit orders spreading a total amount evenly between two prices "
         "(scaling into or out of a position). Waits for approval.", StageScaledArguments, stage_scaled),
    Tool("stage_schedule", "act", SCHEDULE_DESCRIPTION, StageScheduleArguments, stage_schedule),
    Tool("propose_cancel", "act", "Suggest canceling a working order. The trader confirms; nothing is canceled by "
         "this call.", ProposeCancelArguments, propose_cancel),
    Tool("propose_modify", "act", "Suggest a new amount and/or price for a working order. The trader confirms.",
         ProposeModifyArguments, propose_modify),
)
TOOLS: dict[str, Tool] = {tool.name: tool for tool in CATALOGUE}
READ_TOOLS = tuple(t.name for t in CATALOGUE if t.kind == "read")
ACT_TOOLS = tuple(t.name for t in CATALOGUE if t.kind == "act")
ORDER_TYPES = [t.value for t in OrderType]


def openai_tools() -> list[dict[str, Any]]:
    """The catalogue in the chat-completions ``tools`` format. Fixed: built from this module only."""
    return [tool.openai() for tool in CATALOGUE]
