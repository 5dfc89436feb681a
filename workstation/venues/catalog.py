"""What the workstation does on each ccxt exchange, without keys or a connection: the sheet behind
`workstation venues`.

Per market kind (spot, linear perpetual): each order type and flag as native (the venue holds it), emulated
(held here until its trigger: needs the workstation running) or unsupported (refused before sending);
how a modify happens; the client-id field and format; testnet and demo trading; and which tests here prove
it. The answers come from the same code the adapter runs (ExchangeVenue.capabilities over ccxt's
``features`` narrowed by venue_rules), so the sheet cannot disagree with what an order would meet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..domain.orders import OrderType, TriggerSource
from .venue_rules import AMEND, CANCEL_REPLACE, REPLACE, RULES, rules_for

# The tests that prove a venue here, by exchange id (checked by tests/venues/test_catalog.py: each exists).
BREADTH = "tests/venues/breadth"
PROVEN: dict[str, tuple[str, ...]] = {
    "binance": (BREADTH, "tests/venues/test_ccxt_desk.py", "tests/venues/test_three_venues_desk.py"),
    "binanceusdm": (BREADTH, "tests/venues/test_ccxt_desk.py"),
    "bybit": (BREADTH, "tests/venues/test_bybit_desk.py", "tests/venues/test_three_venues_desk.py"),
    "okx": (BREADTH, "tests/venues/test_okx_desk.py", "tests/venues/test_three_venues_desk.py"),
    **{v: (BREADTH,) for v in ("kraken", "coinbase", "gate", "kucoin", "bitget", "mexc")},
}
PROVEN_HOW = {BREADTH: "every order type, flag and TIF as the signed request; answers and error codes parsed",
              "tests/venues/test_ccxt_desk.py": "full Desk against a fake venue (REST + websockets)",
              "tests/venues/test_bybit_desk.py": "full Desk against a fake venue (REST + websockets)",
              "tests/venues/test_okx_desk.py": "full Desk against a fake venue (REST + websockets)",
              "tests/venues/test_three_venues_desk.py": "Binance, Bybit and OKX in one Desk"}

KINDS = (("spot", "spot", True), ("swap", "linear perpetual", True))


@dataclass
class KindSheet:
    kind: str
    order_types: dict[str, str]  # order type -> native | emulated
    flags: dict[str, str]  # IOC, FOK, post_only, reduce_only, market_buy -> native | unsupported | ...
    trigger_sources: list[str]  # native price sources for triggers (the rest are watched here)
    held_because: str  # why trigger orders are held here, when they are


@dataclass
class ExchangeSheet:
    exchange: str
    kinds: list[KindSheet]
    modify: str  # amend | replace | cancel-replace, with how
    oco: str = "emulated: legs held here, the first to fire disarms the others"
    bracket: str = "emulated: the entry goes to the venue, stop-loss and take-profit are held here"
    client_id: str = ""
    testnet: str = ""
    demo: str = ""
    proven_by: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _modify(exchange: Any, exchange_id: str) -> str:
    if exchange_id in RULES:
        rules = rules_for(exchange_id)
        words = {AMEND: "amend in place", REPLACE: "replaced by the venue (new order id)",
                 CANCEL_REPLACE: "cancel-replace by the Desk (two calls)"}[rules.amend]
        return f"{words}: {rules.amend_via}" if rules.amend_via else words
    edit = (getattr(exchange, "has", {}) or {}).get("editOrder")
    if edit == "emulated":
        return "cancel-replace inside ccxt (not atomic; not verified here)"
    return "edit through ccxt (not verified here)" if edit else "cancel-replace by the Desk (two calls)"


def _environments(exchange: Any, exchange_id: str) -> tuple[str, str]:
    urls = getattr(exchange, "urls", {}) or {}
    rules = rules_for(exchange_id)
    testnet = "yes (ccxt sandbox URLs)" if urls.get("test") else "no"
    demo = "yes (demo-trading URLs)" if (urls.get("demo") or urls.get("demotrading")) and \
        hasattr(exchange, "enable_demo_trading") else "no"
    if rules.testnet:
        testnet = f"{testnet}; {rules.testnet}"
    return testnet, demo


def sheet(exchange_id: str) -> ExchangeSheet:
    from .ccxt_venue import ExchangeVenue
    from .connect import exchange_class

    exchange = exchange_class(exchange_id)({"enableRateLimit": False})
    venue = ExchangeVenue(exchange_id, exchange, environment="live")
    features = getattr(exchange, "features", None) or {}
    kinds = []
    for kind, label, linear in KINDS:
        section = features.get(kind)
        if kind == "swap" and isinstance(section, dict):
            section = section.get("linear")
        if not section:
            continue
        caps = venue.capabilities(kind, linear)
        rules = venue.rules.kind(kind)
        order_types = {t.value: "native" if (not t.has_trigger or t.value in caps) else "emulated" for t in OrderType}
        flags = {flag: "native" if flag in caps else "unsupported" for flag in ("IOC", "FOK", "post_only")}
        flags["reduce_only"] = ("native" if "reduce_only" in caps else "unsupported") if kind != "spot" else "n/a"
        flags["market_buy"] = "refused: sized in quote (use a limit IOC)" if "market_buy_requires_price" in caps \
            else "native"
        sources = [s.value for s in TriggerSource if f"trigger_by_{s.value}" in caps]
        held = rules.held_because if any(v == "emulated" for v in order_types.values()) else ""
        kinds.append(KindSheet(label, order_types, flags, sources, held))
    testnet, demo = _environments(exchange, exchange_id)
    rules = venue.rules
    notes = list(rules.notes)
    if rules.refused_tif:
        notes.append(f"refused before sending: {', '.join(sorted(rules.refused_tif))} ({rules.refused_tif_why})")
    if not rules.reduce_only:
        notes.append(f"reduce-only refused: {rules.reduce_only_why}")
    if exchange_id not in PROVEN:
        notes.append("not verified here: no tests drive this exchange" + (
            "" if exchange_id in RULES else "; capabilities are ccxt's features"))
    fmt = rules.client_id
    return ExchangeSheet(exchange_id, kinds, _modify(exchange, exchange_id), client_id=fmt.describe + (
        f" ({fmt.note})" if fmt.note else ""), testnet=testnet, demo=demo,
        proven_by=list(PROVEN.get(exchange_id, ())), notes=notes)


def exchange_ids(everything: bool = False, configured: tuple[str, ...] = ()) -> list[str]:
    """The exchanges to describe: the proven ones and any configured, or every ccxt exchange."""
    if everything:
        from .lazy_ccxt import exchange_ids as every_id  # the ids without importing every exchange

        return sorted(every_id())
    return list(dict.fromkeys([*PROVEN, *configured]))
