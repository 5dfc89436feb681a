"""Instrument definitions and the exchangeInfo payloads built from them.

Payload shapes follow what Binance returned in 2025 (spot uses the NOTIONAL
filter, USD-M uses MIN_NOTIONAL with a `notional` key); ccxt's parse_market
reads precision and limits from exactly these filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

SPOT = 'spot'
USDM = 'usdm'


@dataclass(frozen=True)
class MarketSpec:
    venue: str  # SPOT or USDM
    id: str  # exchange id, e.g. BTCUSDT
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    min_price: Decimal = Decimal('0.01')
    max_price: Decimal = Decimal('1000000')

    @property
    def symbol(self) -> str:
        """ccxt's unified symbol, used by the test-control API to pick a venue unambiguously."""
        if self.venue == USDM:
            return f'{self.base}/{self.quote}:{self.quote}'
        return f'{self.base}/{self.quote}'


DEFAULT_MARKETS = (
    MarketSpec(SPOT, 'BTCUSDT', 'BTC', 'USDT', Decimal('0.01'), Decimal('0.00001'),
               Decimal('0.00001'), Decimal('9000'), Decimal('5')),
    # Real ETHUSDT trades in 0.0001 lots; keeping it different from BTC catches
    # code that assumes one step size for every market.
    MarketSpec(SPOT, 'ETHUSDT', 'ETH', 'USDT', Decimal('0.01'), Decimal('0.0001'),
               Decimal('0.0001'), Decimal('9000'), Decimal('5')),
    MarketSpec(USDM, 'BTCUSDT', 'BTC', 'USDT', Decimal('0.10'), Decimal('0.001'),
               Decimal('0.001'), Decimal('1000'), Decimal('5'),
               min_price=Decimal('556.80'), max_price=Decimal('4529764')),
)

SPOT_ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT',
                    'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']
USDM_ORDER_TYPES = ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT',
                    'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET']


def _s8(value: Decimal) -> str:
    return f'{value:.8f}'


def spot_symbol_info(m: MarketSpec) -> dict:
    return {
        'symbol': m.id,
        'status': 'TRADING',
        'baseAsset': m.base,
        'baseAssetPrecision': 8,
        'quoteAsset': m.quote,
        'quotePrecision': 8,
        'quoteAssetPrecision': 8,
        'baseCommissionPrecision': 8,
        'quoteCommissionPrecision': 8,
        'orderTypes': SPOT_ORDER_TYPES,
        'icebergAllowed': True,
        'ocoAllowed': True,
        'otoAllowed': True,
        'quoteOrderQtyMarketAllowed': True,
        'allowTrailingStop': True,
        'cancelReplaceAllowed': True,
        'amendAllowed': True,
        'isSpotTradingAllowed': True,
        'isMarginTradingAllowed': False,
        'filters': [
            {'filterType': 'PRICE_FILTER', 'minPrice': _s8(m.min_price),
             'maxPrice': _s8(m.max_price), 'tickSize': _s8(m.tick_size)},
            {'filterType': 'LOT_SIZE', 'minQty': _s8(m.min_qty), 'maxQty': _s8(m.max_qty),
             'stepSize': _s8(m.step_size)},
            {'filterType': 'ICEBERG_PARTS', 'limit': 10},
            {'filterType': 'MARKET_LOT_SIZE', 'minQty': '0.00000000', 'maxQty': '100.00000000',
             'stepSize': '0.00000000'},
            {'filterType': 'TRAILING_DELTA', 'minTrailingAboveDelta': 10,
             'maxTrailingAboveDelta': 2000, 'minTrailingBelowDelta': 10,
             'maxTrailingBelowDelta': 2000},
            {'filterType': 'PERCENT_PRICE_BY_SIDE', 'bidMultiplierUp': '5',
             'bidMultiplierDown': '0.2', 'askMultiplierUp': '5', 'askMultiplierDown': '0.2',
             'avgPriceMins': 5},
            {'filterType': 'NOTIONAL', 'minNotional': _s8(m.min_notional), 'applyMinToMarket': True,
             'maxNotional': '9000000.00000000', 'applyMaxToMarket': False, 'avgPriceMins': 5},
            {'filterType': 'MAX_NUM_ORDERS', 'maxNumOrders': 200},
            {'filterType': 'MAX_NUM_ALGO_ORDERS', 'maxNumAlgoOrders': 5},
        ],
        'permissions': [],
        'permissionSets': [['SPOT']],
        'defaultSelfTradePreventionMode': 'EXPIRE_MAKER',
        'allowedSelfTradePreventionModes': ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT'],
    }


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def usdm_symbol_info(m: MarketSpec) -> dict:
    return {
        'symbol': m.id,
        'pair': m.id,
        'contractType': 'PERPETUAL',
        'deliveryDate': 4133404800000,
        'onboardDate': 1569398400000,
        'status': 'TRADING',
        'maintMarginPercent': '2.5000',
        'requiredMarginPercent': '5.0000',
        'baseAsset': m.base,
        'quoteAsset': m.quote,
        'marginAsset': m.quote,
        'pricePrecision': _places(m.tick_size),
        'quantityPrecision': _places(m.step_size),
        'baseAssetPrecision': 8,
        'quotePrecision': 8,
        'underlyingType': 'COIN',
        'underlyingSubType': ['PoW'],
        'triggerProtect': '0.0500',
        'liquidationFee': '0.012500',
        'marketTakeBound': '0.05',
        'maxMoveOrderLimit': 10000,
        'filters': [
            {'filterType': 'PRICE_FILTER', 'minPrice': str(m.min_price), 'maxPrice': str(m.max_price),
             'tickSize': str(m.tick_size)},
            {'filterType': 'LOT_SIZE', 'stepSize': str(m.step_size), 'maxQty': str(m.max_qty),
             'minQty': str(m.min_qty)},
            {'filterType': 'MARKET_LOT_SIZE', 'stepSize': str(m.step_size), 'maxQty': '120',
             'minQty': str(m.min_qty)},
            {'filterType': 'MAX_NUM_ORDERS', 'limit': 200},
            {'filterType': 'MAX_NUM_ALGO_ORDERS', 'limit': 10},
            {'filterType': 'MIN_NOTIONAL', 'notional': str(m.min_notional)},
            {'filterType': 'PERCENT_PRICE', 'multiplierUp': '1.0500', 'multiplierDown': '0.9500',
             'multiplierDecimal': '4'},
        ],
        'orderTypes': USDM_ORDER_TYPES,
        'timeInForce': ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
        'permissionSets': ['GRID', 'COPY'],
    }


def exchange_info(venue: str, markets, server_time: int) -> dict:
    rate_limits = [
        {'rateLimitType': 'REQUEST_WEIGHT', 'interval': 'MINUTE', 'intervalNum': 1, 'limit': 6000},
        {'rateLimitType': 'ORDERS', 'interval': 'SECOND', 'intervalNum': 10, 'limit': 100},
    ]
    if venue == SPOT:
        return {'timezone': 'UTC', 'serverTime': server_time, 'rateLimits': rate_limits,
                'exchangeFilters': [], 'symbols': [spot_symbol_info(m) for m in markets]}
    return {'timezone': 'UTC', 'serverTime': server_time, 'futuresType': 'U_MARGINED',
            'rateLimits': rate_limits, 'exchangeFilters': [],
            'assets': [{'asset': 'USDT', 'marginAvailable': True, 'autoAssetExchange': '-10000'}],
            'symbols': [usdm_symbol_info(m) for m in markets]}


# Binance's real BTCUSDT tiers (abridged); ccxt needs them for maintenance
# margin in parse_position_risk and calls /fapi/v1/leverageBracket first.
LEVERAGE_BRACKETS = [
    {'bracket': 1, 'initialLeverage': 125, 'notionalCap': 50000, 'notionalFloor': 0,
     'maintMarginRatio': 0.004, 'cum': 0.0},
    {'bracket': 2, 'initialLeverage': 100, 'notionalCap': 600000, 'notionalFloor': 50000,
     'maintMarginRatio': 0.005, 'cum': 50.0},
    {'bracket': 3, 'initialLeverage': 75, 'notionalCap': 3000000, 'notionalFloor': 600000,
     'maintMarginRatio': 0.0065, 'cum': 950.0},
    {'bracket': 4, 'initialLeverage': 50, 'notionalCap': 12000000, 'notionalFloor': 3000000,
     'maintMarginRatio': 0.01, 'cum': 11450.0},
]
