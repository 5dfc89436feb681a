"""Offline fake of Binance spot + USD-M futures that real ccxt.pro classes talk to.

    async with FakeBinance() as venue:
        ex = make_client(venue, 'binance')          # or 'binanceusdm'
        await ex.load_markets()
        ...
        await ex.close()

Or use the pytest fixtures `fake_binance` and `binance_client_factory`
(import them into the test module or a conftest).

Test controls address markets by ccxt's unified symbol: 'BTC/USDT' is spot,
'BTC/USDT:USDT' the USD-M perpetual. Orders are addressed by order id or
client order id (ids of the two venues never collide).

Controls: set_book, await push_depth_diff(gap=...) (sends only on change), await fill, await expire,
set_balance / balance, set_wallet, set_mark_price, position, order(s).
Faults: fail_next('POST /api/v3/order' | '/api/v3/order', kind) with a kind
from FAULT_KINDS; clock_skew_ms; await drop_connections(). A wrong secret in
make_client gives Binance's -1022.
Observation: requests (Counter of 'METHOD /path' and 'WS ...'), count(),
request_log (params as sent, minus the signature), user_events, ws_streams(),
await wait_user_stream(SPOT | USDM).
"""

from __future__ import annotations

import urllib.parse
from decimal import Decimal

import ccxt.pro
import pytest_asyncio

from .binance_markets import DEFAULT_MARKETS, SPOT, USDM, MarketSpec
from .binance_spot import SpotVenue
from .binance_transport import FAULT_KINDS, Transport
from .binance_usdm import UsdmVenue
from .binance_venue import Order, Trade, Venue, now_ms, plain, s8

__all__ = ['FakeBinance', 'make_client', 'fake_binance', 'binance_client_factory', 'FAULT_KINDS',
           'SPOT', 'USDM']

TEST_API_KEY = 'test-key'
TEST_SECRET = 'test-secret'


class FakeBinance(Transport):
    def __init__(self, api_key: str = TEST_API_KEY, secret: str = TEST_SECRET, *,
                 markets=DEFAULT_MARKETS, spot_balances: dict | None = None,
                 usdm_wallet='10000', hang_seconds: float = 30.0):
        self.spot = SpotVenue([m for m in markets if m.venue == SPOT], spot_balances)
        self.usdm = UsdmVenue([m for m in markets if m.venue == USDM], usdm_wallet)
        super().__init__({SPOT: self.spot, USDM: self.usdm}, api_key, secret, hang_seconds)

    # -- addressing ------------------------------------------------------

    def _market(self, symbol: str) -> tuple[Venue, MarketSpec]:
        for venue in (self.spot, self.usdm):
            for market in venue.markets.values():
                if market.symbol == symbol:
                    return venue, market
        raise KeyError(f'no fake market {symbol!r}; use unified symbols like BTC/USDT or BTC/USDT:USDT')

    def _venue(self, name: str | None) -> list[Venue]:
        return [self.spot, self.usdm] if name is None else [self.venues[name]]

    def order(self, ref, venue: str | None = None) -> Order:
        """The venue-side order for an order id or client order id."""
        found = [(v, o) for v in self._venue(venue) if (o := v.find(ref)) is not None]
        if not found:
            raise KeyError(f'no order {ref!r} at the fake venue')
        if len(found) > 1:
            raise KeyError(f'{ref!r} exists on spot and USD-M; pass venue=SPOT or venue=USDM')
        return found[0][1]

    def orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is None:
            return [*self.spot.orders.values(), *self.usdm.orders.values()]
        venue, market = self._market(symbol)
        return [o for o in venue.orders.values() if o.market.id == market.id]

    # -- order-side controls ---------------------------------------------

    async def fill(self, ref, amount, price=None, venue: str | None = None) -> Trade:
        """Someone trades against a resting order: a maker fill of `amount` at `price`
        (default: the order's limit price). Balances/positions move and user-data events go out."""
        order = self.order(ref, venue)
        trade = self.venues[self._venue_of(order)].fill(order, amount, price)
        await self.flush_events()
        return trade

    async def expire(self, ref, venue: str | None = None) -> Order:
        """The venue ends an order on its own (e.g. STP or session end)."""
        order = self.order(ref, venue)
        if not order.is_open:
            raise ValueError(f'order {order.order_id} is already {order.status}')
        self.venues[self._venue_of(order)].finish(order, 'EXPIRED')
        await self.flush_events()
        return order

    def _venue_of(self, order: Order) -> str:
        return order.market.venue

    def set_balance(self, asset: str, free, locked=0):
        self.spot.set_balance(asset, free, locked)

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        free, locked = self.spot.balances.get(asset, (Decimal(0), Decimal(0)))
        return free, locked

    def set_wallet(self, usdt):
        self.usdm.wallet = Decimal(str(usdt))

    def set_mark_price(self, symbol: str, price):
        venue, market = self._market(symbol)
        self.usdm.mark_prices[market.id] = Decimal(str(price))

    def position(self, symbol: str):
        venue, market = self._market(symbol)
        return self.usdm.positions[market.id]

    # -- market data -----------------------------------------------------

    def set_book(self, symbol: str, bids, asks, last_update_id: int | None = None):
        """Replace the book that REST depth snapshots return; diffs continue from last_update_id."""
        venue, market = self._market(symbol)
        venue.books[market.id].replace(bids, asks, last_update_id)

    def book(self, symbol: str):
        venue, market = self._market(symbol)
        return venue.books[market.id]

    async def push_depth_diff(self, symbol: str, bids=(), asks=(), *, gap: bool = False,
                              first_update_id: int | None = None, final_update_id: int | None = None,
                              prev_final_update_id: int | None = None) -> dict | None:
        """Apply a diff to the book and stream it as a `depthUpdate`.

        As on Binance the stream sends only on change: levels whose quantity is
        already what the diff says are left out, and a diff that changes nothing
        sends nothing (returns None) and uses no update id.
        Ids continue from the book's lastUpdateId unless overridden; `gap=True`
        skips one update id (and, on USD-M, points `pu` at the skipped event),
        which ccxt must treat as a broken sequence.
        """
        venue, market = self._market(symbol)
        book = venue.books[market.id]

        def changes(levels, side: dict) -> list:
            return [(p, q) for p, q in levels if side.get(Decimal(str(p)), Decimal(0)) != Decimal(str(q))]

        bids, asks = changes(bids, book.bids), changes(asks, book.asks)
        if not bids and not asks and not gap and first_update_id is None:
            return None
        previous = book.last_update_id
        first = first_update_id if first_update_id is not None else previous + (2 if gap else 1)
        final = final_update_id if final_update_id is not None else first + max(len(bids) + len(asks) - 1, 0)
        book.apply(bids, asks)
        book.last_update_id = final
        fmt = s8 if venue.kind == SPOT else plain
        now = now_ms()
        event = {'e': 'depthUpdate', 'E': now, 's': market.id, 'U': first, 'u': final,
                 'b': [[fmt(Decimal(str(p))), fmt(Decimal(str(q)))] for p, q in bids],
                 'a': [[fmt(Decimal(str(p))), fmt(Decimal(str(q)))] for p, q in asks]}
        if venue.kind == USDM:
            event['T'] = now
            event['pu'] = prev_final_update_id if prev_final_update_id is not None else (
                previous + 1 if gap else previous)
        await self.broadcast(venue.kind, f'{market.id.lower()}@depth', event)
        return event

    def ws_streams(self, venue: str | None = None) -> set[str]:
        return {s for c in self.connections if venue in (None, c.venue) for s in c.streams}


# -- ccxt clients --------------------------------------------------------

_CONFIG_KEYS = {'timeout', 'enableRateLimit', 'rateLimit', 'verbose', 'newUpdates'}


def _fake_http(base: str, url: str) -> str:
    return base + urllib.parse.urlsplit(url).path


def _fake_ws(ws_base: str, url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f'{ws_base}/{parts.hostname}{parts.path}'


def point_at(ex, server: Transport):
    """Rewrite every url ccxt could use (live, test, demo) to the fake; keep the
    real url for each fake prefix so error mapping can still recognise the market."""
    real_by_fake: dict[str, str] = {}

    def rewrite(node):
        for key, value in node.items():
            if isinstance(value, dict):
                rewrite(value)
            elif isinstance(value, str) and value.startswith(('http://', 'https://')):
                node[key] = _fake_http(server.base_url, value)
                real_by_fake.setdefault(node[key], value)
            elif isinstance(value, str) and value.startswith(('ws://', 'wss://')):
                node[key] = _fake_ws(server.ws_base, value)

    for section in ('api', 'test', 'demo', 'apiBackup'):
        if isinstance(ex.urls.get(section), dict):
            rewrite(ex.urls[section])
    prefixes = sorted(real_by_fake, key=len, reverse=True)

    # ccxt picks the spot/linear error table from the *hostname* of the url
    # (get_exceptions_by_url); map the fake url back so e.g. -4116 still
    # becomes InvalidOrder on USD-M as it would against fapi.binance.com.
    original_exceptions_by_url = ex.get_exceptions_by_url

    def get_exceptions_by_url(url, exact_or_broad):
        for prefix in prefixes:
            if url and url.startswith(prefix):
                url = real_by_fake[prefix] + url[len(prefix):]
                break
        return original_exceptions_by_url(url, exact_or_broad)

    ex.get_exceptions_by_url = get_exceptions_by_url

    # Belt and braces: nothing may leave 127.0.0.1, whatever option a test flips.
    original_fetch, original_client = ex.fetch, ex.client

    async def guarded_fetch(url, method='GET', headers=None, body=None):
        if not url.startswith(server.base_url + '/'):
            raise AssertionError(f'offline test tried to reach {url}')
        return await original_fetch(url, method, headers, body)

    def guarded_client(url):
        # ccxt also keys never-dialed bookkeeping clients by plain names ('authenticationFlights')
        if '://' in url and not url.startswith(server.ws_base + '/'):
            raise AssertionError(f'offline test tried to open a websocket to {url}')
        return original_client(url)

    ex.fetch, ex.client = guarded_fetch, guarded_client
    return ex


def make_client(server: FakeBinance, exchange_id: str = 'binance', api_key: str | None = TEST_API_KEY,
                secret: str | None = TEST_SECRET, **options) -> ccxt.pro.Exchange:
    """A real ccxt.pro exchange wired to the fake.

    Keys in `options` named like exchange settings (timeout, enableRateLimit,
    rateLimit, verbose, newUpdates) go to the constructor, the rest into
    `exchange.options`. load_markets stays on exchangeInfo only: no sapi
    currency or margin-pair calls.
    """
    config = {k: options.pop(k) for k in list(options) if k in _CONFIG_KEYS}
    config.setdefault('timeout', 3000)  # localhost answers in ms; fail fast when a test hangs
    defaults = {
        'fetchCurrencies': False,
        'fetchMargins': False,
        'fetchMarkets': {'types': ['linear'] if exchange_id == 'binanceusdm' else ['spot']},
    }
    ex_class = getattr(ccxt.pro, exchange_id)
    credentials = {}
    if api_key is not None:
        credentials['apiKey'] = api_key
    if secret is not None:
        credentials['secret'] = secret
    ex = ex_class({**credentials, **config, 'options': {**defaults, **options}})
    ex.timeout_on_exit = 0  # ccxt waits 250 ms on close() for TLS teardown; plain localhost has none
    return point_at(ex, server)


# -- pytest fixtures -----------------------------------------------------

@pytest_asyncio.fixture
async def fake_binance():
    async with FakeBinance() as server:
        yield server
    assert not server.errors, 'the fake Binance itself crashed:\n' + '\n'.join(server.errors)


@pytest_asyncio.fixture
async def binance_client_factory(fake_binance):
    """`factory(exchange_id='binance', **options)` -> client; all are closed at teardown."""
    clients = []

    def factory(exchange_id: str = 'binance', **kwargs):
        client = make_client(fake_binance, exchange_id, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()
