"""The ten venues, each as a real ccxt.pro class behind a recording transport, through ExchangeVenue."""

from __future__ import annotations

import importlib
import importlib.util
from decimal import Decimal as D
from types import ModuleType

import pytest

from tests.venues.breadth.recorder import Recorder, exchange
from workstation.domain.orders import Order, OrderSpec, OrderType as T, Side, TimeInForce, TriggerSource
from workstation.venues.ccxt_venue import ExchangeVenue

TEN = ("binance", "binanceusdm", "bybit", "okx", "kraken", "coinbase", "gate", "kucoin", "bitget", "mexc")
VENUES = tuple(v for v in TEN if importlib.util.find_spec(f"tests.venues.breadth.answers.{v}") is not None)
CID = "ws0b1e2c3d00000042"  # an id in our journal's format


def answers(venue_id: str) -> ModuleType:
    return importlib.import_module(f"tests.venues.breadth.answers.{venue_id}")


async def connected(venue_id: str) -> tuple[ExchangeVenue, Recorder, ModuleType]:
    mod = answers(venue_id)
    credentials = mod.CREDENTIALS() if callable(mod.CREDENTIALS) else mod.CREDENTIALS
    ex = exchange(mod.EXCHANGE, credentials, getattr(mod, "OPTIONS", None), getattr(mod, "HAS", None))
    recorder = Recorder(ex, mod.routes())
    venue = ExchangeVenue(venue_id, ex, environment="live", rate_capacity=6000, read_retries=1)
    await venue.connect()
    recorder.clear()
    return venue, recorder, mod


@pytest.fixture
async def make_venue():
    made: list[ExchangeVenue] = []

    async def make(venue_id: str):
        venue, recorder, mod = await connected(venue_id)
        made.append(venue)
        return venue, recorder, mod

    yield make
    for venue in made:
        await venue.close()


def spec_for(case: str, mod: ModuleType, venue: str) -> OrderSpec | None:
    """The order each case stands for, sized for the venue's markets (None: no such market there)."""
    perp = case.startswith("perp_")
    symbol = mod.PERP if perp else mod.SPOT
    if symbol is None:
        return None
    amount = D(mod.PERP_AMOUNT if perp else mod.AMOUNT)
    base = dict(venue=venue, symbol=symbol, amount=amount)
    name = case.removeprefix("perp_")
    kinds = {
        "limit": dict(side=Side.BUY, type=T.LIMIT, price=D("24990")),
        "limit_gtc": dict(side=Side.BUY, type=T.LIMIT, price=D("24990")),
        "limit_ioc": dict(side=Side.BUY, type=T.LIMIT, price=D("24990"), time_in_force=TimeInForce.IOC),
        "limit_fok": dict(side=Side.BUY, type=T.LIMIT, price=D("24990"), time_in_force=TimeInForce.FOK),
        "post_only": dict(side=Side.BUY, type=T.LIMIT, price=D("24990"), post_only=True),
        "market_buy": dict(side=Side.BUY, type=T.MARKET),
        "market_sell": dict(side=Side.SELL, type=T.MARKET),
        "stop_market_sell": dict(side=Side.SELL, type=T.STOP_MARKET, trigger_price=D("24000")),
        "stop_limit_buy": dict(side=Side.BUY, type=T.STOP_LIMIT, trigger_price=D("26000"), price=D("26010")),
        "take_profit_limit_sell": dict(side=Side.SELL, type=T.TAKE_PROFIT_LIMIT, trigger_price=D("26000"),
                                       price=D("25990")),
        "take_profit_market_buy": dict(side=Side.BUY, type=T.TAKE_PROFIT_MARKET, trigger_price=D("24000")),
        "stop_mark": dict(side=Side.SELL, type=T.STOP_MARKET, trigger_price=D("24000"), trigger_by=TriggerSource.MARK),
        "stop_mid": dict(side=Side.SELL, type=T.STOP_MARKET, trigger_price=D("24000"),
                           trigger_by=TriggerSource.MID),
        "trailing_percent": dict(side=Side.SELL, type=T.TRAILING_STOP, trailing_percent=D("1.5")),
        "trailing_amount": dict(side=Side.SELL, type=T.TRAILING_STOP, trailing_amount=D("100")),
        "trailing_activation": dict(side=Side.SELL, type=T.TRAILING_STOP, trailing_amount=D("100"),
                                    trigger_price=D("26000")),
        "reduce_only": dict(side=Side.SELL, type=T.LIMIT, price=D("26000"), reduce_only=True),
    }
    return OrderSpec(**base, **kinds[name])


def order(spec: OrderSpec, cid: str = CID, venue_order_id: str | None = None) -> Order:
    return Order(spec=spec, client_order_id=cid, venue_order_id=venue_order_id)
