"""Per-venue rules that ccxt's ``features`` does not say (or says wrongly), kept in one table.

ccxt describes what an exchange's API *accepts*. The workstation also needs to know what it can
*follow*: an order whose triggered child carries a new id and none of ours, in a book the refresh does
not list, cannot be reconciled, so it is held here (emulated) instead, and the reason is shown. Each
row below was checked against ccxt 4.5.90's request builders and the venue's documentation; the tests
in tests/venues/breadth/ record the HTTP request the real ccxt class signs, and fail if a row is wrong.

Rows: the client-id field and format, how a modify happens (amend in place / the venue replaces the
order under a new id / the Desk cancels and sends a new one), which trigger orders are native per market
kind, how a trigger's direction and price source are written, time-in-force values ccxt claims but the
venue refuses, error codes ccxt classifies in a way that loses money, and how to reach a demo or testnet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ccxt

from .client_ids import ClientIdFormat

AMEND = "amend"  # in place: same venue id, the new amount is the order's total
REPLACE = "replace"  # one call, but the venue cancels and re-creates: a new venue id
CANCEL_REPLACE = "cancel-replace"  # no modify at the venue: the Desk cancels, then sends a new order

TRIGGER_TYPES = ("stop_market", "stop_limit", "take_profit_market", "take_profit_limit", "trailing_stop")


@dataclass(frozen=True)
class KindRules:
    """What one market kind (spot, swap) of a venue does with trigger orders."""

    triggers: tuple[str, ...] = ()  # trigger order types sent natively (the rest are held here)
    held_because: str = ""  # why the others are held here, in the trader's words
    trailing_activation: bool = False  # a native trailing stop can wait for an activation price
    # trigger source -> extra params that select it natively ({} = the venue's default is this source)
    sources: dict[str, dict[str, Any]] = field(default_factory=lambda: {"last": {}})
    direction: str | None = None  # how the trigger's direction is written: bybit | coinbase | None (implied)
    style: str = "trigger"  # trigger (triggerPrice / takeProfitPrice) | stop_loss (stopLossPrice / takeProfitPrice)


@dataclass(frozen=True)
class VenueRules:
    exchange_id: str
    client_id: ClientIdFormat
    amend: str = CANCEL_REPLACE
    amend_via: str = ""  # the endpoint ccxt uses
    spot: KindRules = field(default_factory=KindRules)
    swap: KindRules = field(default_factory=KindRules)
    refused_tif: frozenset[str] = frozenset()  # time-in-force values ccxt lists but the venue refuses
    refused_tif_why: str = ""
    reduce_only: bool = True  # False: refused before sending, with ``reduce_only_why``
    reduce_only_why: str = ""
    client_id_param: str | None = None  # a param ccxt needs besides clientOrderId to carry our id
    # calls where ccxt does not turn clientOrderId into the venue's field: operation -> the field, "@id" (ours
    # goes where the venue's order id would) or "" (the venue cannot do it by our id)
    by_client_id: dict[str, str] = field(default_factory=dict)
    # calls that, without a symbol, list one market kind only (Bybit's category, Gate's spot vs futures, OKX's
    # fills-history instType): the adapter asks once per kind this account trades
    list_per_kind: frozenset[str] = frozenset()
    watch_depths: tuple[int, ...] = ()  # the only depths watch_order_book accepts (ccxt refuses others)
    shared_ids: bool = False  # spot and perpetual share one market id: ccxt may file an answer under the
    #                           wrong one (Bybit's fee rates), so ask per symbol
    market_buy_in_base: bool = False  # ccxt's marketBuyRequiresPrice does not hold (a market buy is sized in base)
    error_codes: dict[str, type] = field(default_factory=dict)  # venue code -> ccxt class, over ccxt's table
    # failures reported inside a 200 answer's ``results`` list that ccxt turns into one generic error
    result_failures: dict[str, type] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # ccxt options the workstation needs (config wins)
    testnet: str = ""  # how to trade without money: empty = none
    notes: tuple[str, ...] = ()

    def kind(self, kind: str) -> KindRules:
        return self.spot if kind == "spot" else self.swap


_BOTH_LISTS = frozenset({"fetch_open_orders", "fetch_my_trades"})
_BINANCE_ID = ClientIdFormat("newClientOrderId", r"[.A-Z:/a-z0-9_-]", 36)
_ALGO_BOOK = ("conditional orders go to a separate algo-order book, and the order a trigger creates carries a new "
              "id and none of ours: the refresh could not follow it")

RULES: dict[str, VenueRules] = {
    "binance": VenueRules(
        "binance", _BINANCE_ID, REPLACE, "POST /api/v3/order/cancelReplace (new order id)",
        spot=KindRules(triggers=("stop_market", "stop_limit", "take_profit_market", "take_profit_limit"),
                       held_because="Binance spot trailing stops need a stop or take-profit price as well"),
        swap=KindRules(held_because=_ALGO_BOOK),
        testnet='environment = "testnet" (testnet.binance.vision, spot) or "demo" (demo.binance.com)'),
    "binanceusdm": VenueRules(
        "binanceusdm", _BINANCE_ID, AMEND, "PUT /fapi/v1/order",
        swap=KindRules(held_because=_ALGO_BOOK + " (Binance moved them to /fapi/v1/algoOrder in Dec 2025)"),
        error_codes={"-4116": ccxt.DuplicateOrderId},
        testnet='environment = "demo" (demo.binance.com; ccxt refuses the old futures testnet)'),
    "bybit": VenueRules(
        "bybit", ClientIdFormat("orderLinkId", r"[A-Za-z0-9_-]", 36), AMEND, "POST /v5/order/amend",
        spot=KindRules(held_because="spot conditional orders sit in a separate list (orderFilter=StopOrder) that "
                                    "the refresh does not read"),
        swap=KindRules(triggers=("stop_market", "stop_limit", "take_profit_market", "take_profit_limit"),
                       held_because="a trailing stop on Bybit is a setting of the whole position "
                                    "(/v5/position/trading-stop), not an order",
                       sources={"last": {"triggerBy": "LastPrice"}, "mark": {"triggerBy": "MarkPrice"}},
                       direction="bybit"),
        by_client_id={op: "orderLinkId" for op in ("cancel_order", "fetch_order", "fetch_open_order",
                                                   "fetch_closed_order")},
        list_per_kind=_BOTH_LISTS, watch_depths=(1, 50, 200, 1000), shared_ids=True,
        market_buy_in_base=True,  # the unified account takes marketUnit=baseCoin (ccxt sends it)
        error_codes={"10016": ccxt.ExchangeNotAvailable, "110072": ccxt.DuplicateOrderId},
        testnet='environment = "demo" (api-demo.bybit.com, keys from the demo account) or "testnet" '
                '(api-testnet.bybit.com)'),
    "okx": VenueRules(
        "okx", ClientIdFormat("clOrdId", r"[A-Za-z0-9]", 32), AMEND, "POST /api/v5/trade/amend-order",
        spot=KindRules(held_because="trigger orders go to OKX's algo book (/trade/order-algo, algoClOrdId), and "
                                    "the order a trigger creates has a new ordId: the refresh could not follow it"),
        swap=KindRules(held_because="trigger orders go to OKX's algo book (/trade/order-algo, algoClOrdId), and "
                                    "the order a trigger creates has a new ordId: the refresh could not follow it"),
        error_codes={"51016": ccxt.DuplicateOrderId},
        list_per_kind=frozenset({"fetch_my_trades"}),  # orders-pending lists every instType; fills-history one
        testnet='environment = "testnet" (demo trading: the x-simulated-trading header, keys from OKX demo '
                'trading, with their passphrase)'),
    "kraken": VenueRules(
        "kraken", ClientIdFormat("cl_ord_id", r"[A-Za-z0-9_-]", 18,
                                 note="free text of up to 18 characters, or a UUID",
                                 blank=("0",)),  # userref 0: an order placed without one
        AMEND, "POST /0/private/AmendOrder",
        spot=KindRules(triggers=TRIGGER_TYPES, style="stop_loss",
                       held_because="Kraken's trailing stops start trailing at once: no activation price"),
        refused_tif=frozenset({"FOK"}), refused_tif_why="Kraken spot takes GTC, IOC and GTD only",
        notes=("no testnet or demo in ccxt for Kraken spot: use small live orders, or paper",)),
    "coinbase": VenueRules(
        "coinbase", ClientIdFormat("client_order_id", r"[0-9a-f-]", 36, style="uuid"),
        AMEND, "POST /api/v3/brokerage/orders/edit", client_id_param="client_order_id",
        by_client_id={"cancel_order": "", "fetch_order": ""},
        spot=KindRules(triggers=("stop_limit", "take_profit_limit"), direction="coinbase",
                       held_because="Coinbase Advanced has stop-limit orders only: stop-market and trailing are "
                                    "held here"),
        swap=KindRules(triggers=("stop_limit", "take_profit_limit"), direction="coinbase",
                       held_because="Coinbase Advanced has stop-limit orders only"),
        reduce_only=False, reduce_only_why="ccxt turns reduce-only into close_position (a market close), not a "
                                           "reduce-only order",
        error_codes={"internal_server_error": ccxt.ExchangeNotAvailable},  # ccxt: ExchangeError, i.e. "rejected"
        result_failures={"UNKNOWN_CANCEL_ORDER": ccxt.OrderNotFound},
        options={"fetchBalance": "v3PrivateGetBrokerageAccounts"},  # Advanced Trade's accounts, not the v2 app's
        notes=("ccxt ignores clientOrderId on Coinbase and sends its own; the workstation sends client_order_id",
               "no sandbox for Advanced Trade in ccxt")),
    "gate": VenueRules(
        "gate", ClientIdFormat("text", r"[A-Za-z0-9_.-]", 28, style="prefix", prefix="t-"),
        AMEND, "PATCH /spot/orders/{id} (spot), PUT /futures/{settle}/orders/{id}",
        by_client_id={"cancel_order": "@id", "fetch_order": "@id"},  # Gate takes t-... where the order id goes
        list_per_kind=_BOTH_LISTS, shared_ids=True,
        spot=KindRules(held_because="price-triggered orders are a separate book (/spot/price_orders) whose "
                                    "triggered order has a new id"),
        swap=KindRules(held_because="price-triggered orders are a separate book (/futures/usdt/price_orders)"),
        testnet='environment = "testnet" (Gate futures testnet only)'),
    "kucoin": VenueRules(
        "kucoin", ClientIdFormat("clientOid", r"[A-Za-z0-9_-]", 40), REPLACE,
        "POST /api/v1/hf/orders/alter (cancels and re-creates: new orderId)",
        spot=KindRules(held_because="stop orders are a separate book (/api/v1/stop-order) the refresh does not read"),
        notes=("no sandbox in ccxt for KuCoin",)),
    "bitget": VenueRules(
        "bitget", ClientIdFormat("clientOid", r"[A-Za-z0-9_.:/-]", 50), REPLACE,
        "POST /api/v2/spot/trade/cancel-replace-order (new orderId)",
        spot=KindRules(held_because="trigger orders are plan orders in a separate book (place-plan-order)"),
        swap=KindRules(held_because="trigger orders are plan orders in a separate book (place-plan-order), "
                                    "triggered on the mark price unless told otherwise"),
        list_per_kind=_BOTH_LISTS, shared_ids=True,  # spot and each futures productType are listed separately
        error_codes={"40015": ccxt.ExchangeNotAvailable},  # "System is abnormal": a send may have gone through
        notes=("demo trading is a header (paptrading) in ccxt, not a separate URL: not offered here",)),
    "mexc": VenueRules(
        "mexc", ClientIdFormat("newClientOrderId", r"[A-Za-z0-9]", 32,
                               note="format not documented: ours (18 alphanumerics) is sent as is"),
        CANCEL_REPLACE, "none: the Desk cancels and sends a new order",
        spot=KindRules(held_because="MEXC spot has no trigger orders through the API"),
        # ccxt's table: -2011 (unknown order on cancel) is a BadRequest, 500 a rejection, bad keys a bad request
        error_codes={"-2011": ccxt.OrderNotFound, "500": ccxt.ExchangeNotAvailable,
                     "700001": ccxt.AuthenticationError, "700002": ccxt.AuthenticationError,
                     "10072": ccxt.AuthenticationError},
        notes=("no testnet in ccxt for MEXC",)),
}
RULES["binancecoinm"] = RULES["binanceusdm"]
RULES["myokx"] = RULES["okx"]

DEFAULT = VenueRules("*", ClientIdFormat("clientOrderId", r"[A-Za-z0-9]", 32), CANCEL_REPLACE,
                     spot=KindRules(triggers=TRIGGER_TYPES), swap=KindRules(triggers=TRIGGER_TYPES))
# Venues without a row: client ids we have checked, everything else as ccxt's ``features`` says.
_IDS = {"deribit": ClientIdFormat("label", r"[A-Za-z0-9_-]", 64),
        "hyperliquid": ClientIdFormat("cloid", r"[0-9a-fx]", 34)}


def rules_for(exchange_id: str) -> VenueRules:
    row = RULES.get(exchange_id)
    if row is not None:
        return row
    if exchange_id in _IDS:
        return VenueRules(exchange_id, _IDS[exchange_id], CANCEL_REPLACE, spot=DEFAULT.spot, swap=DEFAULT.swap)
    return DEFAULT


def apply_error_codes(exchange: Any, rules: VenueRules) -> None:
    """Put the rules' error codes into the instance's own copy of ccxt's table (``exceptions['exact']``), and
    read failures ccxt folds into one generic error (a cancel's ``results[].failure_reason``) first."""
    table = getattr(exchange, "exceptions", None)
    if rules.error_codes and isinstance(table, dict):
        sections = [table] + [v for v in table.values() if isinstance(v, dict) and "exact" in v]
        for section in sections:
            exact = section.get("exact")
            if isinstance(exact, dict):
                exact.update(rules.error_codes)
    if rules.result_failures and hasattr(exchange, "handle_errors"):
        ccxt_handle = exchange.handle_errors

        def handle_errors(code, reason, url, method, headers, body, response, *rest):
            results = response.get("results") if isinstance(response, dict) else None
            for item in results if isinstance(results, list) else ():
                failure = item.get("failure_reason") if isinstance(item, dict) and not item.get("success") else None
                if failure in rules.result_failures:
                    raise rules.result_failures[failure](f"{exchange.id} {failure}: {body}")
            return ccxt_handle(code, reason, url, method, headers, body, response, *rest)

        exchange.handle_errors = handle_errors


def apply_options(exchange: Any, rules: VenueRules) -> None:
    """The rules' ccxt options, where the value is still ccxt's own default (an option set in the config wins)."""
    options = getattr(exchange, "options", None)
    if not rules.options or not isinstance(options, dict) or not hasattr(exchange, "describe"):
        return
    defaults = exchange.describe().get("options") or {}
    for key, value in rules.options.items():
        if options.get(key) == defaults.get(key):
            options[key] = value
