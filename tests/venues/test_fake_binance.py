"""The fake Binance is only useful if real ccxt classes cannot tell it apart
from Binance for the calls the workstation makes. These tests drive it with
unmodified ccxt.pro.binance / ccxt.pro.binanceusdm, no workstation code."""

import asyncio
import functools
import time
from decimal import Decimal

import ccxt
import pytest

from tests.fakes.binance import SPOT, USDM, binance_client_factory, fake_binance  # noqa: F401

pytestmark = pytest.mark.asyncio

PERP = 'BTC/USDT:USDT'


@pytest.fixture
def client(binance_client_factory):
    # These tests check venue fidelity, not pacing: skip ccxt's leaky-bucket delays.
    return functools.partial(binance_client_factory, enableRateLimit=False)


async def next_update(watch, trigger):
    """Start a watch before triggering the venue, so the update cannot slip past it."""
    task = asyncio.ensure_future(watch)
    await asyncio.sleep(0)
    await trigger
    return await asyncio.wait_for(task, 3)


# -- markets and books -----------------------------------------------------

async def test_load_markets_gives_binance_precision_and_limits(fake_binance, client):
    spot = await client('binance').load_markets()
    assert set(spot) == {'BTC/USDT', 'ETH/USDT'}
    btc = spot['BTC/USDT']
    assert btc['precision']['price'] == 0.01
    assert btc['precision']['amount'] == 0.00001
    assert btc['limits']['cost']['min'] == 5
    assert btc['limits']['amount']['min'] == 0.00001
    assert spot['ETH/USDT']['precision']['amount'] == 0.0001

    perp = (await client('binanceusdm').load_markets())[PERP]
    assert perp['swap'] and perp['linear'] and perp['settle'] == 'USDT'
    assert perp['precision'] == {**perp['precision'], 'price': 0.1, 'amount': 0.001}
    assert perp['limits']['cost']['min'] == 5
    # load_markets stayed on exchangeInfo: no sapi currency/margin calls
    assert fake_binance.count('GET /api/v3/exchangeInfo') == 1
    assert fake_binance.count('GET /fapi/v1/exchangeInfo') == 1
    assert not any(key.split(' ')[1].startswith('/sapi') for key in fake_binance.requests)


async def test_fetch_order_book_returns_snapshot_with_nonce(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 1], [24999.5, 2]], [[25000.5, 0.7]], last_update_id=42)
    fake_binance.set_book(PERP, [[25000, 3]], [[25000.1, 4]], last_update_id=7)
    book = await client('binance').fetch_order_book('BTC/USDT')
    assert book['bids'] == [[25000.0, 1.0], [24999.5, 2.0]]
    assert book['asks'] == [[25000.5, 0.7]]
    assert book['nonce'] == 42
    perp_book = await client('binanceusdm').fetch_order_book(PERP)
    assert perp_book['nonce'] == 7 and perp_book['asks'] == [[25000.1, 4.0]]


async def test_watch_order_book_applies_diffs_then_resyncs_after_gap(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 1], [24999, 2]], [[25001, 1]], last_update_id=100)
    ex = client('binance')

    book = await asyncio.wait_for(ex.watch_order_book('BTC/USDT'), 3)
    assert book['nonce'] == 100
    assert fake_binance.ws_streams(SPOT) == {'btcusdt@depth@100ms'}

    book = await next_update(ex.watch_order_book('BTC/USDT'),
                             fake_binance.push_depth_diff('BTC/USDT', bids=[[25000, 0.5]], asks=[[25001, 0]]))
    assert book['nonce'] == 102
    assert book['bids'][0] == [25000.0, 0.5] and book['asks'] == []

    with pytest.raises(ccxt.InvalidNonce) as raised:
        await next_update(ex.watch_order_book('BTC/USDT'),
                          fake_binance.push_depth_diff('BTC/USDT', bids=[[24998, 1]], gap=True))
    assert isinstance(raised.value, ccxt.ChecksumError)

    book = await asyncio.wait_for(ex.watch_order_book('BTC/USDT'), 3)  # resubscribes from scratch
    assert book['nonce'] == fake_binance.book('BTC/USDT').last_update_id == 104
    assert [24998.0, 1.0] in book['bids']
    assert fake_binance.count('GET /api/v3/depth') == 2
    assert fake_binance.requests['WS SUBSCRIBE'] == 2


async def test_watch_order_book_usdm_checks_previous_update_id(fake_binance, client):
    fake_binance.set_book(PERP, [[25000, 1]], [[25000.1, 1]], last_update_id=500)
    ex = client('binanceusdm')
    assert (await asyncio.wait_for(ex.watch_order_book(PERP), 3))['nonce'] == 500

    book = await next_update(ex.watch_order_book(PERP), fake_binance.push_depth_diff(PERP, bids=[[25000, 2]]))
    assert book['nonce'] == 501 and book['bids'][0] == [25000.0, 2.0]

    with pytest.raises(ccxt.ChecksumError):
        await next_update(ex.watch_order_book(PERP), fake_binance.push_depth_diff(PERP, asks=[[25000.2, 1]], gap=True))
    assert (await asyncio.wait_for(ex.watch_order_book(PERP), 3))['nonce'] == 503
    assert fake_binance.count('GET /fapi/v1/depth') == 2


async def test_server_side_disconnect_then_fresh_snapshot(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 1]], [[25001, 1]], last_update_id=9)
    ex = client('binance')
    await asyncio.wait_for(ex.watch_order_book('BTC/USDT'), 3)
    with pytest.raises(ccxt.NetworkError):
        await next_update(ex.watch_order_book('BTC/USDT'), fake_binance.drop_connections(SPOT))
    assert (await asyncio.wait_for(ex.watch_order_book('BTC/USDT'), 3))['nonce'] == 9
    assert fake_binance.count('GET /api/v3/depth') == 2


# -- spot orders -----------------------------------------------------------

async def test_limit_order_found_by_client_id_then_filled_in_two_parts(fake_binance, client):
    ex = client('binance')
    created = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.002, 25000, {'clientOrderId': 'ws-buy-1'})
    assert created['clientOrderId'] == 'ws-buy-1' and created['status'] == 'open'
    sent = fake_binance.request_log[-1]
    assert sent.params['newClientOrderId'] == 'ws-buy-1' and sent.params['timeInForce'] == 'GTC'
    assert fake_binance.balance('USDT') == (99950, 50)  # quote locked at the limit price

    by_cid = await ex.fetch_order(None, 'BTC/USDT', {'clientOrderId': 'ws-buy-1'})
    assert by_cid['id'] == created['id'] and by_cid['amount'] == 0.002
    assert fake_binance.request_log[-1].params['origClientOrderId'] == 'ws-buy-1'

    await fake_binance.fill('ws-buy-1', '0.0005')
    partial = await ex.fetch_order(created['id'], 'BTC/USDT')
    assert (partial['status'], partial['filled'], partial['remaining']) == ('open', 0.0005, 0.0015)

    await fake_binance.fill(created['id'], '0.0015', 24990)
    done = await ex.fetch_order(created['id'], 'BTC/USDT')
    assert (done['status'], done['filled']) == ('closed', 0.002)

    trades = await ex.fetch_my_trades('BTC/USDT')
    assert [(t['order'], t['amount'], t['price'], t['side'], t['takerOrMaker']) for t in trades] == [
        (created['id'], 0.0005, 25000.0, 'buy', 'maker'), (created['id'], 0.0015, 24990.0, 'buy', 'maker')]
    assert trades[0]['fee'] == {'cost': 0.0000005, 'currency': 'BTC'}
    closed = await ex.fetch_closed_orders('BTC/USDT')
    assert [o['clientOrderId'] for o in closed] == ['ws-buy-1']
    balance = await ex.fetch_balance()
    assert balance['BTC']['free'] == pytest.approx(1 + 0.002 * 0.999)
    assert balance['USDT']['used'] == 0 and balance['USDT']['free'] == pytest.approx(100000 - 12.5 - 37.485)


async def test_cancel_order_releases_funds_and_cannot_repeat(fake_binance, client):
    ex = client('binance')
    order = await ex.create_order('ETH/USDT', 'limit', 'sell', 1, 3000, {'clientOrderId': 'sell-eth'})
    assert fake_binance.balance('ETH') == (9, 1)
    canceled = await ex.cancel_order(order['id'], 'ETH/USDT')
    assert canceled['status'] == 'canceled' and canceled['id'] == order['id']
    assert canceled['info']['origClientOrderId'] == 'sell-eth'  # Binance echoes the cancel's own id as clientOrderId
    assert fake_binance.balance('ETH') == (10, 0)
    assert await ex.fetch_open_orders('ETH/USDT') == []
    with pytest.raises(ccxt.OrderNotFound):
        await ex.cancel_order(order['id'], 'ETH/USDT')
    with pytest.raises(ccxt.OrderNotFound):
        await ex.fetch_order('999', 'ETH/USDT')


async def test_duplicate_client_order_id_is_refused_while_open(fake_binance, client):
    ex = client('binance')
    first = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 20000, {'clientOrderId': 'dup'})
    with pytest.raises(ccxt.InvalidOrder, match='Duplicate order sent'):
        await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 20000, {'clientOrderId': 'dup'})
    assert len(fake_binance.orders('BTC/USDT')) == 1
    await ex.cancel_order(first['id'], 'BTC/USDT')
    again = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 20000, {'clientOrderId': 'dup'})
    assert again['id'] != first['id']  # Binance only checks ids of open orders

    perp = client('binanceusdm')
    await perp.create_order(PERP, 'limit', 'buy', 0.01, 20000, {'clientOrderId': 'dup'})
    with pytest.raises(ccxt.InvalidOrder, match='ClientOrderId is duplicated'):
        await perp.create_order(PERP, 'limit', 'buy', 0.01, 20000, {'clientOrderId': 'dup'})


async def test_market_order_takes_the_book_as_taker(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[24990, 1]], [[25000, 0.001], [25010, 1]])
    ex = client('binance')
    order = await ex.create_order('BTC/USDT', 'market', 'buy', 0.003)
    assert order['status'] == 'closed' and order['filled'] == 0.003
    assert order['average'] == pytest.approx((25000 * 0.001 + 25010 * 0.002) / 0.003)
    assert [t['price'] for t in order['trades']] == [25000.0, 25010.0]
    by_cost = await ex.create_order('BTC/USDT', 'market', 'buy', 0.001, 25000)  # ccxt sends quoteOrderQty=25
    assert fake_binance.request_log[-1].params['quoteOrderQty'] == '25'
    assert by_cost['filled'] == 0.001


async def test_venue_rejections_map_to_ccxt_errors(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 1]], [[25001, 1]])
    ex = client('binance')
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 25001, {'postOnly': True})
    with pytest.raises(ccxt.InsufficientFunds):
        await ex.create_order('BTC/USDT', 'limit', 'buy', 5, 25000)
    with pytest.raises(ccxt.BadRequest, match='NOTIONAL'):  # ccxt does not check limits, Binance does
        await ex.create_order('BTC/USDT', 'limit', 'buy', 0.0001, 25000)
    assert fake_binance.orders() == []


async def test_time_in_force_and_stop_orders(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 0.3]], [[25001, 1]])
    ex = client('binance')
    ioc = await ex.create_order('BTC/USDT', 'limit', 'sell', 0.5, 24990, {'timeInForce': 'IOC'})
    assert (ioc['status'], ioc['filled']) == ('expired', 0.3)
    fok = await ex.create_order('BTC/USDT', 'limit', 'sell', 0.5, 24990, {'timeInForce': 'FOK'})
    assert (fok['status'], fok['filled']) == ('expired', 0)
    stop = await ex.create_order('BTC/USDT', 'limit', 'sell', 0.1, 23990, {'stopLossPrice': 24000})
    assert fake_binance.request_log[-1].params['type'] == 'STOP_LOSS_LIMIT'
    assert stop['status'] == 'open'  # the fake has no trigger engine: stops rest untriggered
    [listed] = await ex.fetch_open_orders('BTC/USDT')
    assert (listed['id'], listed['triggerPrice']) == (stop['id'], 24000)
    canceled = await ex.cancel_all_orders('BTC/USDT')
    assert [o['status'] for o in canceled] == ['canceled']
    assert fake_binance.balance('BTC') == (Decimal('0.7'), 0)


# -- auth and faults -------------------------------------------------------

async def test_wrong_secret_raises_authentication_error(fake_binance, client):
    ex = client('binance', secret='not-the-secret')
    await ex.load_markets()  # public endpoints don't care
    with pytest.raises(ccxt.AuthenticationError):
        await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 20000)
    assert fake_binance.request_log[-1].status == 400
    # The ws-api signature subscription is checked too. ccxt 4.5.90 bug: handle_ws_error
    # already dropped client.subscriptions['spot'], so ensure_user_data_stream_ws_subscribe_signature's
    # cleanup raises KeyError('spot') while handling the AuthenticationError.
    with pytest.raises(KeyError) as raised:
        await ex.watch_orders('BTC/USDT')
    assert isinstance(raised.value.__context__, ccxt.AuthenticationError)
    assert fake_binance.orders() == []


async def test_clock_skew_beyond_recv_window_raises_invalid_nonce(fake_binance, client):
    ex = client('binance')
    fake_binance.clock_skew_ms = -10_000  # our clock runs 10 s ahead of the venue's
    with pytest.raises(ccxt.InvalidNonce):
        await ex.fetch_balance()


async def test_rate_limit_then_success(fake_binance, client):
    ex = client('binance')
    fake_binance.fail_next('GET /api/v3/openOrders', 'rate_limit')
    with pytest.raises(ccxt.DDoSProtection):
        await ex.fetch_open_orders('BTC/USDT')
    assert await ex.fetch_open_orders('BTC/USDT') == []
    assert fake_binance.count('GET /api/v3/openOrders') == 2


async def test_server_error_raises_exchange_not_available(fake_binance, client):
    ex = client('binanceusdm')
    fake_binance.fail_next('/fapi/v3/account', 'server_error')
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await ex.fetch_balance()
    assert (await ex.fetch_balance())['USDT']['total'] == 10000


async def test_timeout_after_accept_leaves_exactly_one_order(fake_binance, client):
    ex = client('binance', timeout=1000)
    fake_binance.fail_next('POST /api/v3/order', 'timeout_after_accept')
    started = time.monotonic()
    with pytest.raises(ccxt.RequestTimeout):
        await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 20000, {'clientOrderId': 'maybe-placed'})
    assert time.monotonic() - started < 2.5
    found = await ex.fetch_order(None, 'BTC/USDT', {'clientOrderId': 'maybe-placed'})
    assert found['status'] == 'open'
    assert [o['clientOrderId'] for o in await ex.fetch_open_orders('BTC/USDT')] == ['maybe-placed']


async def test_unknown_execution_status_is_a_timeout_but_order_exists(fake_binance, client):
    ex = client('binanceusdm')
    fake_binance.fail_next('POST /fapi/v1/order', 'unknown_after_accept')
    with pytest.raises(ccxt.RequestTimeout):
        await ex.create_order(PERP, 'limit', 'buy', 0.01, 20000, {'clientOrderId': 'unknown-1'})
    assert fake_binance.order('unknown-1').status == 'NEW'


# -- USD-M -----------------------------------------------------------------

async def test_perp_fill_shows_position_with_entry_and_leverage(fake_binance, client):
    fake_binance.set_book(PERP, [[25000, 5]], [[25000.1, 5]])
    fake_binance.set_mark_price(PERP, 25100)
    ex = client('binanceusdm')
    await ex.set_leverage(10, PERP)
    order = await ex.create_order(PERP, 'limit', 'buy', 0.01, 24900, {'clientOrderId': 'perp-1'})
    assert order['status'] == 'open'
    assert await ex.fetch_positions() == []

    await fake_binance.fill('perp-1', '0.01')
    [position] = await ex.fetch_positions([PERP])
    assert (position['side'], position['contracts'], position['entryPrice']) == ('long', 0.01, 24900.0)
    assert position['unrealizedPnl'] == pytest.approx(2.0)
    assert position['initialMargin'] == pytest.approx(25.1)  # notional 251 at 10x
    [v2] = await ex.fetch_positions([PERP], {'useV2': True})  # only v2 still reports leverage
    assert v2['leverage'] == 10
    assert (await ex.fetch_leverage(PERP))['longLeverage'] == 10

    close = await ex.create_order(PERP, 'market', 'sell', 0.01, None, {'reduceOnly': True})
    assert close['status'] == 'closed' and close['average'] == 25000
    assert await ex.fetch_positions() == []
    trades = await ex.fetch_my_trades(PERP)
    assert [t['takerOrMaker'] for t in trades] == ['maker', 'taker']
    assert trades[1]['info']['realizedPnl'] == '1'
    with pytest.raises(ccxt.InvalidOrder):  # nothing left to reduce
        await ex.create_order(PERP, 'market', 'sell', 0.01, None, {'reduceOnly': True})


# -- user data streams -----------------------------------------------------

async def test_spot_watch_orders_and_my_trades_see_fills(fake_binance, client):
    ex = client('binance')
    await ex.load_markets()
    first_watch = asyncio.ensure_future(ex.watch_orders('BTC/USDT'))
    await fake_binance.wait_user_stream(SPOT)
    created = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 24000, {'clientOrderId': 'stream-1'})
    orders = await asyncio.wait_for(first_watch, 3)
    assert (orders[-1]['id'], orders[-1]['clientOrderId'], orders[-1]['status']) == (created['id'], 'stream-1', 'open')

    trades_watch = asyncio.ensure_future(ex.watch_my_trades('BTC/USDT'))
    balance_watch = asyncio.ensure_future(ex.watch_balance())
    orders = await next_update(ex.watch_orders('BTC/USDT'), fake_binance.fill('stream-1', '0.001'))
    trades = await asyncio.wait_for(trades_watch, 3)
    balance = await asyncio.wait_for(balance_watch, 3)  # outboundAccountPosition
    assert balance['BTC']['free'] == pytest.approx(1 + 0.001 * 0.999)
    assert (orders[-1]['status'], orders[-1]['filled']) == ('closed', 0.001)
    assert (trades[-1]['order'], trades[-1]['amount'], trades[-1]['price']) == (created['id'], 0.001, 24000.0)
    assert trades[-1]['fee']['currency'] == 'BTC'

    await ex.create_order('BTC/USDT', 'limit', 'sell', 0.001, 26000, {'clientOrderId': 'stream-2'})
    orders = await next_update(ex.watch_orders('BTC/USDT'), ex.cancel_order(None, 'BTC/USDT', {'clientOrderId': 'stream-2'}))
    assert (orders[-1]['clientOrderId'], orders[-1]['status']) == ('stream-2', 'canceled')
    assert fake_binance.requests['WS userDataStream.subscribe.signature'] == 1


async def test_usdm_watch_orders_uses_listen_key_stream(fake_binance, client):
    ex = client('binanceusdm')
    await ex.load_markets()
    watch = asyncio.ensure_future(ex.watch_orders(PERP))
    await fake_binance.wait_user_stream(USDM)
    assert fake_binance.count('POST /fapi/v1/listenKey') == 1
    await ex.create_order(PERP, 'limit', 'sell', 0.01, 26000, {'clientOrderId': 'perp-stream'})
    assert (await asyncio.wait_for(watch, 3))[-1]['status'] == 'open'

    positions_watch = asyncio.ensure_future(ex.watch_positions([PERP]))
    trades = await next_update(ex.watch_my_trades(PERP), fake_binance.fill('perp-stream', '0.004', 26000))
    assert (trades[-1]['amount'], trades[-1]['side']) == (0.004, 'sell')
    [position] = await asyncio.wait_for(positions_watch, 3)
    assert (position['side'], position['contracts'], position['entryPrice']) == ('short', 0.004, 26000.0)


# -- as unfriendly as Binance: what a real answer omits, the fake omits (issue 12) --------------------------

def _mentions(value, needle: str) -> bool:
    if isinstance(value, dict):
        return any(_mentions(k, needle) or _mentions(v, needle) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_mentions(v, needle) for v in value)
    return value == needle


async def test_rest_trades_carry_no_client_id_on_spot_or_usdm(fake_binance, client):
    fake_binance.set_book(PERP, [[25000, 5]], [[25000.1, 5]])
    spot, perp = client('binance'), client('binanceusdm')
    await spot.create_order('BTC/USDT', 'limit', 'buy', 0.002, 25000, {'clientOrderId': 'cid-spot'})
    await fake_binance.fill('cid-spot', '0.001')
    await perp.create_order(PERP, 'market', 'buy', 0.01, None, {'clientOrderId': 'cid-perp'})
    spot_trades, perp_trades = await spot.fetch_my_trades('BTC/USDT'), await perp.fetch_my_trades(PERP)
    assert spot_trades and perp_trades
    assert not _mentions(spot_trades, 'cid-spot') and not _mentions(perp_trades, 'cid-perp')
    assert all(t['order'] for t in spot_trades + perp_trades)  # only the venue's order id ties them


async def test_spot_cancel_replace_reports_the_original_canceled_and_a_new_order(fake_binance, client):
    ex = client('binance')
    await ex.load_markets()
    original = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.002, 24000, {'clientOrderId': 'orig-1'})
    await fake_binance.fill('orig-1', '0.0005')
    watch = asyncio.ensure_future(ex.watch_orders('BTC/USDT'))
    await fake_binance.wait_user_stream(SPOT)
    new = await ex.edit_order(original['id'], 'BTC/USDT', 'limit', 'buy', 0.002, 23900, {'clientOrderId': 'repl-1'})
    assert new['id'] != original['id'] and new['clientOrderId'] == 'repl-1'
    assert (new['amount'], new['status']) == (0.002, 'open')  # the new order's own quantity: 0.0025 in all
    sent = fake_binance.request_log[-1]
    assert (sent.path, sent.params['cancelOrderId'], sent.params['newClientOrderId']) == (
        '/api/v3/order/cancelReplace', original['id'], 'repl-1')

    [first] = await asyncio.wait_for(watch, 3)  # ccxt reads the CANCELED report under the original's id
    assert (first['id'], first['status'], first['clientOrderId'], first['filled']) == (
        original['id'], 'canceled', 'orig-1', 0.0005)
    assert [(o['id'], o['clientOrderId']) for o in await ex.fetch_open_orders('BTC/USDT')] == [(new['id'], 'repl-1')]
    reports = [e for _, e in fake_binance.user_events if e['e'] == 'executionReport']
    assert [(e['x'], e['i'], e['C'] or e['c']) for e in reports[-2:]] == [
        ('CANCELED', int(original['id']), 'orig-1'), ('NEW', int(new['id']), 'repl-1')]
    assert fake_binance.balance('USDT')[1] == Decimal('47.8')  # only the new order's funds are locked


async def test_spot_cancel_replace_without_client_id_gets_ccxts_and_failures_are_binances(fake_binance, client):
    ex = client('binance')
    original = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 24000, {'clientOrderId': 'orig-2'})
    new = await ex.edit_order(original['id'], 'BTC/USDT', 'limit', 'buy', 0.001, 23900)
    assert new['clientOrderId'].startswith('x-') and new['clientOrderId'] != 'orig-2'

    with pytest.raises(ccxt.BadResponse):  # -2022: the cancel failed, nothing new was placed
        await ex.edit_order(original['id'], 'BTC/USDT', 'limit', 'buy', 0.001, 23800, {'clientOrderId': 'never'})
    assert fake_binance.request_log[-1].status == 400
    with pytest.raises(KeyError):
        fake_binance.order('never')

    with pytest.raises(ccxt.BadResponse):  # -2021: canceled, then the new order was refused for funds
        await ex.edit_order(new['id'], 'BTC/USDT', 'limit', 'buy', 5, 23800, {'clientOrderId': 'too-big'})
    assert fake_binance.request_log[-1].status == 409
    assert fake_binance.order(new['id']).status == 'CANCELED' and await ex.fetch_open_orders('BTC/USDT') == []

    kept = await ex.create_order('BTC/USDT', 'limit', 'buy', 0.001, 24000, {'clientOrderId': 'orig-3'})
    with pytest.raises(ccxt.BadRequest, match='NOTIONAL'):  # filters are checked first: nothing is canceled
        await ex.edit_order(kept['id'], 'BTC/USDT', 'limit', 'buy', 0.0001, 24000, {'clientOrderId': 'tiny'})
    assert fake_binance.order('orig-3').status == 'NEW'


async def test_usdm_modify_amends_in_place(fake_binance, client):
    ex = client('binanceusdm')
    await ex.load_markets()
    order = await ex.create_order(PERP, 'limit', 'buy', 0.01, 24000, {'clientOrderId': 'perp-am'})
    await fake_binance.fill('perp-am', '0.004')
    watch = asyncio.ensure_future(ex.watch_orders(PERP))
    await fake_binance.wait_user_stream(USDM)
    amended = await ex.edit_order(order['id'], PERP, 'limit', 'buy', 0.02, 23900)
    assert fake_binance.request_log[-1].method == 'PUT'
    assert (amended['id'], amended['clientOrderId'], amended['amount'], amended['price'], amended['filled']) == (
        order['id'], 'perp-am', 0.02, 23900.0, 0.004)  # the new total, filled kept
    pushed = await asyncio.wait_for(watch, 3)
    assert (pushed[-1]['id'], pushed[-1]['amount'], pushed[-1]['info']['x']) == (order['id'], 0.02, 'AMENDMENT')
    assert [o['id'] for o in await ex.fetch_open_orders(PERP)] == [order['id']]
    gone = await ex.edit_order(order['id'], PERP, 'limit', 'buy', 0.004, 23900)  # not above what filled
    assert gone['status'] == 'canceled' and gone['id'] == order['id']


async def test_depth_stream_sends_only_on_change(fake_binance, client):
    fake_binance.set_book('BTC/USDT', [[25000, 1]], [[25001, 1]], last_update_id=7)
    ex = client('binance')
    await asyncio.wait_for(ex.watch_order_book('BTC/USDT'), 3)
    waiting = asyncio.ensure_future(ex.watch_order_book('BTC/USDT'))
    assert await fake_binance.push_depth_diff('BTC/USDT', bids=[[25000, 1]], asks=[[25002, 0]]) is None
    await asyncio.sleep(0.3)
    assert not waiting.done() and fake_binance.book('BTC/USDT').last_update_id == 7
    event = await fake_binance.push_depth_diff('BTC/USDT', bids=[[25000, 1], [24999, 2]])
    assert event['b'] == [['24999.00000000', '2.00000000']] and (event['U'], event['u']) == (8, 8)
    book = await asyncio.wait_for(waiting, 3)
    assert book['nonce'] == 8 and book['bids'] == [[25000.0, 1.0], [24999.0, 2.0]]
