"""Real venues through ccxt, offline: the full Desk over real ccxt.pro classes against the fake Binance.

Two accounts at once, built by the code a user's config takes (config.parse -> factory.build_venues ->
venues.connect -> ExchangeVenue), keys from an in-memory keyring, every URL pointed at 127.0.0.1 by the
config's own rest_url / ws_url overrides: Binance spot as ``binance_testnet`` (environment testnet) and
USD-M as ``binance_futures`` (environment demo; ccxt refuses the futures testnet). Real signing, real parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from decimal import Decimal as D

import keyring
import pytest

from tests.fakes.binance import SPOT, USDM, FakeBinance
from tests.fakes.keyring_backend import MemoryKeyring
from tests.venues.multi_desk import until
from workstation import credentials
from workstation.config import parse
from workstation.desk.events import BookChanged, RiskAlert
from workstation.desk.journal import Journal
from workstation.domain.orders import Order, OrderSpec, OrderStatus as S, OrderType, Side
from workstation.factory import build_desk, build_venues
from workstation.venues.errors import ErrorKind

API_KEY, SECRET = "AKfakeAPIKEY0123456789", "SKfakeSECRET0123456789abcdef"
SPOT_VENUE, PERP_VENUE, PERP = "binance_testnet", "binance_futures", "BTC/USDT:USDT"


def venue_config(server: FakeBinance, refresh_s: float = 60.0) -> dict:
    """The README's testnet section, plus the two lines that point it at the fake."""
    here = {"rest_url": server.base_url, "ws_url": server.ws_base + "/{host}"}
    return {
        "workstation": {"refresh_interval_s": refresh_s},
        "paper": {"enabled": False},
        "venues": {
            SPOT_VENUE: {"exchange": "binance", "environment": "testnet", "symbols": ["BTC/USDT"], **here},
            PERP_VENUE: {"exchange": "binanceusdm", "environment": "demo", "symbols": [PERP], **here},
        },
    }


@contextlib.contextmanager
def memory_keys(api_key: str = API_KEY, secret: str = SECRET):
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        for venue in (SPOT_VENUE, PERP_VENUE):
            credentials.store(venue, "main", {"api_key": api_key, "secret": secret})
        yield backend
    finally:
        keyring.set_keyring(previous)


@contextlib.asynccontextmanager
async def open_desk(tmp_path, *, secret: str = SECRET, start: bool = True, refresh_s: float = 60.0,
                    timeout_ms: int = 1000, ccxt_rate_limit: bool = False, **settings):
    """A fake Binance and a started two-venue Desk on it. Yields (server, desk)."""
    async with FakeBinance(API_KEY, SECRET, hang_seconds=5.0) as server:
        server.set_book("BTC/USDT", [[25000, 1], [24999, 2]], [[25001, 1], [25002, 2]], last_update_id=100)
        server.set_book(PERP, [[25000, 5]], [[25000.1, 5]], last_update_id=500)
        server.set_mark_price(PERP, 25000)
        with memory_keys(secret=secret):
            config = parse(venue_config(server, refresh_s))
            venues = build_venues(config)
        for venue in venues.values():
            venue.exchange.timeout = timeout_ms  # localhost answers in ms: a hang is a timeout quickly
            venue.exchange.timeout_on_exit = 0
            # ccxt's own leaky bucket prices Binance's weights in wall time (an unfiltered openOrders is
            # 1-2 s of waiting): real, but it would make these tests slow. Our budget and back-off stay on.
            venue.exchange.enableRateLimit = ccxt_rate_limit
        desk = build_desk(config, venues, Journal(tmp_path / "journal.sqlite3"))
        for name, value in {"in_doubt_grace_s": 10.0, "in_doubt_poll_s": 0.05, "stream_retry_s": 0.05,
                            **settings}.items():
            setattr(desk.settings, name, value)
        try:
            if start:
                await desk.start()
                if secret == SECRET:  # Binance starts an account at 20x: lowered within the 5x risk limit first
                    await desk.set_leverage(PERP_VENUE, PERP, 5)
            yield server, desk
        finally:
            await desk.stop()


def limit(symbol="BTC/USDT", side=Side.BUY, amount="0.002", price="24990", venue=SPOT_VENUE, **kw):
    return OrderSpec(venue=venue, symbol=symbol, side=side, type=OrderType.LIMIT, amount=D(amount),
                     price=D(price), **kw)


async def place(desk, spec):
    staged = desk.stage(spec)
    assert staged.status is S.PENDING_APPROVAL, staged.reason
    return await desk.approve(staged.client_order_id)


# -- markets, books, environments -------------------------------------------------------------------

async def test_two_venues_load_markets_with_rules_and_capabilities(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        states = {s.name: s for s in desk.venue_states()}
        assert (states[SPOT_VENUE].environment, states[PERP_VENUE].environment) == ("testnet", "demo")
        assert all(s.connected and s.rate_capacity > 0 for s in states.values())
        spot = desk.market(SPOT_VENUE, "BTC/USDT")
        assert (spot.tick, spot.lot, spot.min_cost, spot.kind) == (D("0.01"), D("0.00001"), D("5"), "spot")
        assert {"limit", "market", "IOC", "FOK", "post_only", "stop_limit"} <= spot.capabilities
        assert "reduce_only" not in spot.capabilities and "trailing_stop" not in spot.capabilities
        perp = desk.market(PERP_VENUE, PERP)
        assert (perp.tick, perp.lot, perp.kind, perp.settle) == (D("0.1"), D("0.001"), "swap", "USDT")
        assert {"reduce_only", "post_only", "trigger_by_last"} <= spot.capabilities | perp.capabilities
        # USD-M conditional orders live in Binance's separate algo book (ccxt sends them to /fapi/v1/algoOrder)
        # and the order a trigger creates carries none of our ids: held here, and the ticket says why
        assert not {"stop_market", "trailing_stop"} & perp.capabilities
        # the spot testnet loads spot only (ccxt refuses to trade the futures testnet)
        assert not any(s.endswith(":USDT") for (v, s) in desk.markets if v == SPOT_VENUE)
        assert not desk.venues[SPOT_VENUE].has("fetchPositions")
        assert desk.order_types(SPOT_VENUE, "BTC/USDT")["reduce_only"] == "unsupported"
        assert desk.order_types(PERP_VENUE, PERP)["trailing_stop"] == "emulated"
        assert "algo-order book" in desk.emulation_reason(OrderSpec(
            venue=PERP_VENUE, symbol=PERP, side=Side.SELL, type=OrderType.STOP_MARKET, amount=D("0.01"),
            trigger_price=D("24000")))
        assert desk.ready, desk.reconcile_status()


async def test_book_streams_and_resubscribes_after_a_sequence_gap(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        changed: list[BookChanged] = []
        desk.bus.subscribe(lambda e: changed.append(e) if isinstance(e, BookChanged) else None)
        await until(lambda: "btcusdt@depth@100ms" in server.ws_streams(SPOT), what="spot depth subscription")
        await server.push_depth_diff("BTC/USDT", bids=[[25000, 0.5]])
        await until(lambda: desk.book(SPOT_VENUE, "BTC/USDT").bids[0] == (D("25000"), D("0.5")), what="diff")
        assert any(e.venue == SPOT_VENUE for e in changed)

        depth_before, subs_before = server.count("GET /api/v3/depth"), server.requests["WS SUBSCRIBE"]
        await server.push_depth_diff("BTC/USDT", bids=[[24998, 3]], gap=True)  # a lost update: ccxt ChecksumError
        await until(lambda: (D("24998"), D("3")) in desk.book(SPOT_VENUE, "BTC/USDT").bids, what="fresh book")
        await until(lambda: server.requests["WS SUBSCRIBE"] > subs_before, what="resubscription")
        assert server.count("GET /api/v3/depth") > depth_before  # a REST snapshot bridged the gap
        # ... and the stream is live again: the next diff arrives without another snapshot
        await server.push_depth_diff("BTC/USDT", asks=[[25001, 0.25]])
        await until(lambda: desk.book(SPOT_VENUE, "BTC/USDT").asks[0] == (D("25001"), D("0.25")), what="live again")

        await server.push_depth_diff(PERP, bids=[[25000, 7]], gap=True)  # USD-M checks pu as well
        await until(lambda: desk.book(PERP_VENUE, PERP).bids[0] == (D("25000"), D("7")), what="perp fresh")


# -- the order path -------------------------------------------------------------------------------

async def test_spot_limit_buy_partial_fill_then_cancel(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        usdt_before = desk.balances[SPOT_VENUE]["USDT"].total
        order = await place(desk, limit(amount="0.002", price="24990"))
        assert order.status is S.OPEN and order.venue_order_id
        sent = [r for r in server.request_log if (r.method, r.path) == ("POST", "/api/v3/order")][-1]
        assert sent.params["newClientOrderId"] == order.client_order_id  # ours, not ccxt's broker id
        assert re.fullmatch(r"[A-Za-z0-9]{1,36}", order.client_order_id)
        assert (sent.params["price"], sent.params["quantity"]) == ("24990", "0.002")

        await server.wait_user_stream(SPOT)
        await server.fill(order.client_order_id, "0.0005")
        await until(lambda: desk.order(order.client_order_id).filled == D("0.0005"), what="the fill")
        assert desk.order(order.client_order_id).status is S.PARTIALLY_FILLED
        assert desk.position(SPOT_VENUE, "BTC/USDT").size == D("0.0005")

        canceled = await desk.cancel(order.client_order_id)
        assert canceled.status is S.CANCELED and canceled.filled == D("0.0005")
        assert server.order(order.client_order_id).status == "CANCELED"
        await desk.refresh()
        done = desk.order(order.client_order_id)
        assert done.status is S.CANCELED and done.filled == D("0.0005") and len(done.trade_ids) == 1
        assert desk.balances[SPOT_VENUE]["USDT"].total == usdt_before - D("0.0005") * D("24990")
        assert desk.balances[SPOT_VENUE]["BTC"].total > D("1")
        report = desk.reconciler.last[SPOT_VENUE]
        assert report.ok and not [d for d in report.differences if d.needs_human]


async def test_a_ccxt_call_leaves_the_process_decimal_rounding_alone(tmp_path):
    """ccxt's decimal_to_precision sets the current decimal context to half-up and leaves it so; a
    copilot size or a slippage figure rounded afterwards would then round 0.125 to 0.13, not 0.12."""
    import decimal

    async with open_desk(tmp_path) as (server, desk):
        with decimal.localcontext(decimal.Context()):  # Python's default, whatever ran in this process before
            order = await place(desk, limit(amount="0.002", price="24990"))
            assert order.status is S.OPEN  # ccxt formatted its price and amount on this task
            assert decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN
            assert D("0.125").quantize(D("0.01")) == D("0.12")


async def test_fill_by_polling_when_the_streams_miss_it(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        for task in list(desk.router.tasks):  # no streams: REST polling alone must find the fill
            task.cancel()
        order = await place(desk, limit(amount="0.001", price="24990"))
        await server.fill(order.client_order_id, "0.001")
        await desk.refresh()
        done = desk.order(order.client_order_id)
        assert done.status is S.FILLED and done.filled == D("0.001") and done.average == D("24990")


async def test_usdm_fill_shows_the_position_the_venue_reports(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        order = await place(desk, limit(PERP, amount="0.01", price="24900", venue=PERP_VENUE))
        assert order.status is S.OPEN
        assert server.order(order.client_order_id, USDM).client_order_id == order.client_order_id
        await server.wait_user_stream(USDM)
        await server.fill(order.client_order_id, "0.01")
        await until(lambda: desk.order(order.client_order_id).status is S.FILLED, what="perp fill")
        await desk.refresh()
        mine = desk.position(PERP_VENUE, PERP)
        theirs = desk.venue_positions[PERP_VENUE][PERP]
        assert mine.size == theirs.size == D("0.01")
        assert mine.average_entry == theirs.entry_price == D("24900")
        assert not [d for d in desk.reconciler.last[PERP_VENUE].differences if d.kind == "position_drift"]

        close = await place(desk, OrderSpec(venue=PERP_VENUE, symbol=PERP, side=Side.SELL, type=OrderType.MARKET,
                                            amount=D("0.01"), reduce_only=True))
        await until(lambda: desk.order(close.client_order_id).status is S.FILLED, what="the close")
        await desk.refresh()
        assert desk.position(PERP_VENUE, PERP).size == 0 and PERP not in desk.venue_positions[PERP_VENUE]


async def test_what_the_venue_cannot_do_is_refused_before_sending(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        venue = desk.venues[SPOT_VENUE]
        posted = server.count("POST /api/v3/order")
        for spec, why in ((limit(amount="0.0001", price="24990"), "cost_min"),  # ccxt does not check limits
                          (limit(price="24990.005"), "price_tick"),
                          (limit(amount="0.0000001"), "amount_step")):
            with pytest.raises(Exception) as raised:
                await venue.create_order(Order(spec=spec, client_order_id="wsabc000000000001"))
            assert raised.value.kind is ErrorKind.PARAMETER and why in raised.value.message
        assert server.count("POST /api/v3/order") == posted
        # side-aware rounding: a buy never rounds up past the trader's price, a sell never down
        market = desk.market(SPOT_VENUE, "BTC/USDT")
        assert market.round_price(D("24990.009"), Side.BUY) == D("24990.00")
        assert market.round_price(D("24990.001"), Side.SELL) == D("24990.01")


# -- faults ----------------------------------------------------------------------------------------

async def test_timeout_after_the_venue_accepted_is_in_doubt_then_found_never_duplicated(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        server.fail_next("POST /api/v3/order", "timeout_after_accept")
        order = await place(desk, limit(amount="0.001", price="24990"))
        assert order.status is S.IN_DOUBT
        await until(lambda: desk.order(order.client_order_id).status is S.OPEN, what="resolution by client id")
        assert desk.order(order.client_order_id).venue_order_id == str(server.order(order.client_order_id).order_id)
        assert server.count("POST /api/v3/order") == 1  # looked up, never re-sent
        looked_up = [r for r in server.request_log if r.path == "/api/v3/order" and r.method == "GET"]
        assert looked_up and looked_up[0].params.get("origClientOrderId") == order.client_order_id, looked_up
        await desk.refresh()
        assert len(server.orders("BTC/USDT")) == 1


async def test_429_on_a_read_backs_off_then_succeeds_without_hammering(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        venue = desk.venues[SPOT_VENUE]
        before = server.count("GET /api/v3/openOrders")
        server.fail_next("GET /api/v3/openOrders", "rate_limit")
        started = time.monotonic()
        assert await venue.fetch_open_orders("BTC/USDT") == []
        assert time.monotonic() - started >= 0.5  # waited out a cool-off before the second try
        assert server.count("GET /api/v3/openOrders") == before + 2
        assert venue.rate_budget()[0] < venue.rate_budget()[1] * 0.2  # the budget shows it: polling slows
        assert desk.feeds.poll_interval(venue, 1.0) >= 3.0
        assert not any(r.status == 418 for r in server.request_log)  # no ban


async def test_429_on_create_is_a_refusal_retried_with_the_same_client_id(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        server.fail_next("POST /api/v3/order", "rate_limit", times=1)
        order = await place(desk, limit(amount="0.001", price="24990"))
        assert order.status is S.OPEN
        posts = [r for r in server.request_log if (r.method, r.path) == ("POST", "/api/v3/order")]
        assert len(posts) == 2 and {p.params["newClientOrderId"] for p in posts} == {order.client_order_id}

        server.fail_next("POST /api/v3/order", "rate_limit", times=10)
        refused = await place(desk, limit(amount="0.001", price="24980"))
        assert refused.status is S.REJECTED and "DDoSProtection" in refused.reason
        posts = [r for r in server.request_log if (r.method, r.path) == ("POST", "/api/v3/order")]
        assert len(posts) == 2 + 1 + desk.settings.send_retries  # bounded: no hammering
        assert len(server.orders("BTC/USDT")) == 1


async def test_bad_secret_is_one_clear_authentication_error_and_no_retry_loop(tmp_path):
    async with open_desk(tmp_path, secret="SKwrongSECRET0000000000000", refresh_s=0.2) as (server, desk):
        alerts: list[RiskAlert] = []
        desk.bus.subscribe(lambda e: alerts.append(e) if isinstance(e, RiskAlert) else None)
        await until(lambda: any(s.last_error for s in desk.venue_states()), what="the error")
        await asyncio.sleep(1.0)  # five refresh periods
        for state in desk.venue_states():
            assert state.last_error and "AuthenticationError" in state.last_error, state
            assert "Signature for this request is not valid" in state.last_error
            assert desk.venues[state.name].status == "auth_failed"
        assert not desk.ready  # nothing may be approved on an account that was never reconciled
        # the order stream failed inside ccxt with KeyError('spot'); the trader still sees the auth error
        assert all("KeyError" not in (s.last_error or "") for s in desk.venue_states())
        private = sum(n for key, n in server.requests.items()
                      if not key.startswith("WS") and not any(p in key for p in ("exchangeInfo", "depth")))
        await asyncio.sleep(1.0)
        again = sum(n for key, n in server.requests.items()
                    if not key.startswith("WS") and not any(p in key for p in ("exchangeInfo", "depth")))
        assert again == private and private <= 6  # refused once per call kind, then not asked again
        auth_alerts = [a for a in alerts if "refused the API keys" in a.message]
        assert len(auth_alerts) <= 2  # at most once per venue
        assert "Signature for this request is not valid" in auth_alerts[0].message


async def test_reconcile_cost_does_not_grow_with_open_orders(tmp_path):
    async with open_desk(tmp_path) as (server, desk):
        for task in list(desk.router.tasks):
            task.cancel()
        desk.set_risk_limits(max_open_orders=100, orders_per_s=1000, duplicate_window_s=0.0,
                             max_position_notional=D("5000000"), reason="the test opens many orders")

        async def refresh_cost() -> int:
            before = sum(n for k, n in server.requests.items() if not k.startswith("WS"))
            await desk.refresh()
            return sum(n for k, n in server.requests.items() if not k.startswith("WS")) - before

        async def open_until(n: int):
            while len(desk.working_orders()) < n:
                i = len(desk.working_orders())
                await place(desk, limit(amount="0.001", price=str(24000 + i)))

        await open_until(10)
        await desk.refresh()
        ten = await refresh_cost()
        await open_until(50)
        await desk.refresh()
        fifty = await refresh_cost()
        assert ten == fifty, (ten, fifty)
        assert ten <= 7  # spot: open orders, balance, trades; USD-M: the same plus positions
