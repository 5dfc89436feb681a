"""From a [venues.NAME] config table to a connected-ready ExchangeVenue over ccxt.pro.

Environments are explicit: testnet only where ccxt knows the exchange's test URL, demo only
where the exchange has a demo-trading mode, and anything else refused with the list of
exchanges that do have one. Keys come from the keyring (credentials.py), never from config.
"""

from __future__ import annotations

import difflib
import urllib.parse
from functools import lru_cache
from typing import Any

import ccxt

from .. import credentials
from ..config import VenueConfig
from . import lazy_ccxt
from .ccxt_venue import ExchangeVenue

DEMO_EXCHANGES = ("binance", "binanceusdm", "binancecoinm", "bybit")

# ccxt 4.5.90 refuses every private call against testnet.binancefuture.com ("testnet/sandbox mode is not
# supported for futures anymore ... consider using the demo trading instead"): refuse it at start, clearly.
FUTURES_TESTNET_GONE = ("binanceusdm", "binancecoinm")


class VenueSetupError(Exception):
    """A venue that cannot be set up as configured; the message says what to change."""


def exchange_class(exchange_id: str) -> type:
    """The exchange's ccxt.pro class (async where pro has none). Only that exchange's modules are imported."""
    cls = lazy_ccxt.exchange_class(exchange_id)
    if cls is None:
        close = difflib.get_close_matches(exchange_id, lazy_ccxt.exchange_ids(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see ccxt.exchanges for the ids"
        raise VenueSetupError(f"unknown exchange id {exchange_id!r}{hint}")
    return cls


@lru_cache(maxsize=1)
def exchanges_with_testnet() -> tuple[str, ...]:
    """Computed only on the error path: it instantiates every exchange class once."""
    out = []
    for exchange_id in ccxt.exchanges:
        try:
            urls = getattr(ccxt, exchange_id)().urls
        except Exception:  # noqa: BLE001 - an exchange that cannot be built has no testnet for us
            continue
        if urls.get("test"):
            out.append(exchange_id)
    return tuple(out)


def _rebase(urls: Any, base: str) -> Any:
    """Keep each URL's path, swap scheme and host: proxies and regional endpoints.

    ``{host}`` in the base is replaced by the original host (``wss://proxy/{host}`` for a proxy that
    routes by the first path segment, as a relay for several hosts must)."""
    if isinstance(urls, str):
        parts = urllib.parse.urlsplit(urls)
        target = urllib.parse.urlsplit(base.replace("{host}", parts.hostname or ""))
        return urllib.parse.urlunsplit((target.scheme, target.netloc, target.path.rstrip("/") + parts.path,
                                        parts.query, parts.fragment))
    if isinstance(urls, dict):
        return {k: _rebase(v, base) for k, v in urls.items()}
    return urls


def _is_ws(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("ws://", "wss://"))


WS_CLASSES = ("public", "private", "api")


def ws_class(path: tuple[str, ...]) -> str:
    """Which stream a websocket URL in ccxt's ``urls['api']`` serves, from its keys: the WebSocket API (Binance's
    ``ws-api``, Bybit's ``private.trade``), a private (user) stream, or market data."""
    keys = [k.lower() for k in path]
    if any("ws-api" in k or k == "trade" for k in keys):
        return "api"
    if any("private" in k for k in keys):
        return "private"
    return "public"


def ws_urls(api: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """Every websocket URL under ``api`` with its key path."""
    if isinstance(api, dict):
        return [item for k, v in api.items() for item in ws_urls(v, (*path, str(k)))]
    return [(path, api)] if _is_ws(api) else []


def apply_endpoint_overrides(exchange: Any, rest_url: str | None, ws_url: str | None,
                             ws_bases: dict[str, str | None] | None = None) -> None:
    """Rebase REST URLs on ``rest_url`` and websocket URLs on their class's base (``ws_bases``: public, private,
    api), else ``ws_url``. A venue whose streams all hang off one URL cannot be split: asked to, it is refused."""
    api = exchange.urls.get("api")
    bases = {c: (ws_bases or {}).get(c) or ws_url for c in WS_CLASSES}
    if not isinstance(api, dict) or not (rest_url or any(bases.values())):
        return
    split = {b for c, b in (ws_bases or {}).items() if b}
    if split and len(ws_urls(api)) == 1 and len({*split, ws_url} - {None}) > 1:
        raise VenueSetupError(f"{exchange.id} builds every stream from one websocket URL "
                              f"({ws_urls(api)[0][1]}): set ws_url only, not separate ws_*_url")
    original: dict[str, str] = {}  # new REST base -> the URL it replaced

    def walk(node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if _is_ws(node):
            base = bases[ws_class(path)]
            return _rebase(node, base) if base else node
        if isinstance(node, str) and rest_url:
            new = _rebase(node, rest_url)
            original.setdefault(new, node)
            return new
        return node

    exchange.urls["api"] = walk(api, ())
    _keep_error_mapping(exchange, original)


def _keep_error_mapping(exchange: Any, original: dict[str, str]) -> None:
    """Some exchanges (binance) pick their error table from the request URL's *host* (spot vs futures
    codes differ). Behind an override the host is the proxy's, so map the URL back before the lookup."""
    lookup = getattr(exchange, "get_exceptions_by_url", None)
    if lookup is None or not original:
        return
    prefixes = sorted(original, key=len, reverse=True)

    def get_exceptions_by_url(url: Any, exact_or_broad: str) -> Any:
        if isinstance(url, str):
            for prefix in prefixes:
                if url.startswith(prefix):
                    url = original[prefix] + url[len(prefix):]
                    break
        return lookup(url, exact_or_broad)

    exchange.get_exceptions_by_url = get_exceptions_by_url


def build_exchange(vc: VenueConfig, creds: credentials.Credentials | None = None) -> Any:
    cls = exchange_class(vc.exchange)
    creds = creds if creds is not None else credentials.load(vc.name, vc.account)
    options = dict(vc.options)
    if vc.environment == "testnet" and vc.exchange in FUTURES_TESTNET_GONE:
        raise VenueSetupError(f"{vc.exchange}: ccxt no longer supports Binance's futures testnet (private calls are "
                              f"refused); use environment = \"demo\" (keys from demo.binance.com)")
    if vc.environment == "testnet" and vc.exchange == "binance":
        # The spot testnet: futures markets would load from the futures testnet, where ccxt refuses to trade.
        options.setdefault("fetchMarkets", {"types": ["spot"]})
    exchange = cls({**creds.ccxt_config(), "enableRateLimit": True, "timeout": 10_000, "options": options})
    if vc.environment == "testnet":
        if not exchange.urls.get("test"):
            raise VenueSetupError(
                f"{vc.exchange} has no testnet in ccxt (sandbox mode needs one); exchanges that do: "
                f"{', '.join(exchanges_with_testnet())}; for binance or bybit you can also use environment = \"demo\"")
        exchange.set_sandbox_mode(True)  # before load_markets, or markets load from the live API
    elif vc.environment == "demo":
        urls = exchange.urls
        if not (hasattr(exchange, "enable_demo_trading") and (urls.get("demo") or urls.get("demotrading"))):
            raise VenueSetupError(f"{vc.exchange} has no demo-trading mode in ccxt; exchanges with one: "
                                  f"{', '.join(DEMO_EXCHANGES)}; use environment = \"testnet\" where there is a test URL")
        exchange.enable_demo_trading(True)
    apply_endpoint_overrides(exchange, vc.rest_url, vc.ws_url, {"public": vc.ws_public_url,
                                                                "private": vc.ws_private_url, "api": vc.ws_api_url})
    return exchange


def ccxt_venue(vc: VenueConfig, creds: credentials.Credentials | None = None) -> ExchangeVenue:
    exchange = build_exchange(vc, creds)
    per_minute = int(60_000 / max(float(getattr(exchange, "rateLimit", 50) or 50), 1.0))
    return ExchangeVenue(vc.name, exchange, environment=vc.environment, account=vc.account, rate_capacity=per_minute)
