"""Binance USD-M futures (`/fapi/...`): one-way (BOTH) cross-margin positions,
a USDT wallet, per-symbol leverage, ORDER_TRADE_UPDATE / ACCOUNT_UPDATE events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .binance_markets import LEVERAGE_BRACKETS, USDM, exchange_info
from .binance_venue import (ZERO, BinanceError, Order, Trade, Venue, mandatory, now_ms, plain,
                            to_dec, to_int)

PLAIN_TYPES = ('LIMIT', 'MARKET')
# Since the Dec 2025 migration Binance only accepts conditional futures orders on
# /fapi/v1/algoOrder, which is where ccxt 4.5.90 sends them; this fake has no algo service.
CONDITIONAL_TYPES = ('STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET')


@dataclass
class Position:
    amount: Decimal = ZERO  # signed: >0 long, <0 short
    entry: Decimal = ZERO
    leverage: int = 20
    update_time: int = 0


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


class UsdmVenue(Venue):
    kind = USDM
    id_start = 80_000_001
    duplicate_error = (-4116, 'ClientOrderId is duplicated.')
    maker_fee = Decimal('0.0002')
    taker_fee = Decimal('0.0005')

    def __init__(self, markets, wallet='10000'):
        super().__init__(markets)
        self.wallet = Decimal(str(wallet))
        self.positions = {m.id: Position() for m in markets}
        self.mark_prices: dict[str, Decimal] = {}
        self.listen_keys: set[str] = set()

    # -- prices and margin -----------------------------------------------

    def mark(self, symbol_id: str) -> Decimal:
        if symbol_id in self.mark_prices:
            return self.mark_prices[symbol_id]
        mid = self.books[symbol_id].mid()
        if mid is not None:
            return mid
        trades = [t for t in self.trades if self.orders[t.order_id].market.id == symbol_id]
        return trades[-1].price if trades else self.positions[symbol_id].entry

    def unrealized(self, symbol_id: str) -> Decimal:
        pos = self.positions[symbol_id]
        return (self.mark(symbol_id) - pos.entry) * pos.amount if pos.amount else ZERO

    def position_margin(self, symbol_id: str) -> Decimal:
        pos = self.positions[symbol_id]
        return abs(pos.amount) * self.mark(symbol_id) / pos.leverage

    def order_margin(self) -> Decimal:
        return sum((o.remaining * o.price / self.positions[o.market.id].leverage
                    for o in self.open_orders() if not o.reduce_only), ZERO)

    def total_unrealized(self) -> Decimal:
        return sum((self.unrealized(s) for s in self.positions), ZERO)

    def available(self) -> Decimal:
        used = sum((self.position_margin(s) for s in self.positions), ZERO) + self.order_margin()
        return self.wallet + self.total_unrealized() - used

    # -- order construction ----------------------------------------------

    def build_order(self, market, side, order_type, cid, params) -> Order:
        if order_type in CONDITIONAL_TYPES:
            raise BinanceError(-4120, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.')
        if order_type not in PLAIN_TYPES:
            raise BinanceError(-1116, 'Invalid orderType.')
        price = ZERO
        tif = params.get('timeInForce')
        if order_type == 'LIMIT':
            price = to_dec(mandatory(params, 'price'), 'price')
            tif = mandatory(params, 'timeInForce')
            if tif not in ('GTC', 'IOC', 'FOK', 'GTX', 'GTD'):
                raise BinanceError(-1115, 'Invalid timeInForce.')
            if price < market.min_price or price > market.max_price:
                raise BinanceError(-4016, f'Limit price can\'t be higher than {market.max_price}.')
            if not self.is_multiple(price, market.tick_size):
                raise BinanceError(-4014, 'Price not increased by tick size.')
        qty = to_dec(mandatory(params, 'quantity'), 'quantity')
        if not self.is_multiple(qty, market.step_size):
            raise BinanceError(-1111, 'Precision is over the maximum defined for this asset.')
        if qty < market.min_qty or qty > market.max_qty:
            raise BinanceError(-4005, 'Quantity greater than max quantity.' if qty > market.max_qty
                               else 'Quantity less than or equal to zero.')
        reduce_only = str(params.get('reduceOnly', 'false')).lower() == 'true'
        notional = qty * (price or self.mark(market.id))
        if not reduce_only and notional < market.min_notional:
            raise BinanceError(-4164, f"Order's notional must be no smaller than {plain(market.min_notional)} (unless you choose reduce only).")
        if params.get('positionSide', 'BOTH') != 'BOTH':
            raise BinanceError(-4061, "Order's position side does not match user's setting.")
        now = now_ms()
        return Order(market, next(self._order_ids), cid, side, order_type, tif or 'GTC', qty, price,
                     ZERO, now, reduce_only=reduce_only, update_time=now)

    def is_post_only(self, order: Order) -> bool:
        return order.time_in_force == 'GTX'

    def reject_post_only(self):
        raise BinanceError(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history')

    def reserve(self, order: Order, planned):
        pos = self.positions[order.market.id]
        if order.reduce_only:
            direction = 1 if order.side == 'BUY' else -1
            if pos.amount == 0 or _sign(pos.amount) == direction or order.qty > abs(pos.amount):
                raise BinanceError(-2022, 'ReduceOnly Order is rejected.')
            return
        price = order.price or (planned[0][0] if planned else self.mark(order.market.id))
        if order.qty * price / pos.leverage > self.available():
            raise BinanceError(-2019, 'Margin is insufficient.')

    def settle(self, order: Order, trade: Trade, fee_rate: Decimal):
        pos = self.positions[order.market.id]
        signed = trade.qty if order.side == 'BUY' else -trade.qty
        if pos.amount == 0 or _sign(pos.amount) == _sign(signed):
            new_amount = pos.amount + signed
            pos.entry = (pos.entry * abs(pos.amount) + trade.price * trade.qty) / abs(new_amount)
        else:
            closing = min(trade.qty, abs(pos.amount))
            trade.realized_pnl = (trade.price - pos.entry) * closing * _sign(pos.amount)
            new_amount = pos.amount + signed
            if new_amount == 0:
                pos.entry = ZERO
            elif _sign(new_amount) != _sign(pos.amount):
                pos.entry = trade.price  # flipped: the remainder opened at this fill
        pos.amount = new_amount
        pos.update_time = trade.time
        trade.commission = (trade.quote_qty * fee_rate).quantize(Decimal('1e-8'))
        trade.commission_asset = order.market.quote
        self.wallet += trade.realized_pnl - trade.commission

    # -- user-data events ------------------------------------------------

    def emit_order(self, order: Order, exec_type: str, trade: Trade | None = None):
        now = now_ms()
        o = {
            's': order.market.id, 'c': order.client_order_id, 'S': order.side, 'o': order.type,
            'f': order.time_in_force, 'q': plain(order.qty), 'p': plain(order.price),
            'ap': plain(order.avg_price), 'sp': '0', 'x': exec_type, 'X': order.status,
            'i': order.order_id, 'l': plain(trade.qty if trade else ZERO), 'z': plain(order.executed),
            'L': plain(trade.price if trade else ZERO), 'T': trade.time if trade else now,
            't': trade.id if trade else 0, 'b': '0', 'a': '0', 'm': trade.is_maker if trade else False,
            'R': order.reduce_only, 'wt': 'CONTRACT_PRICE', 'ot': order.type, 'ps': 'BOTH',
            'cp': False, 'rp': plain(trade.realized_pnl if trade else ZERO), 'pP': False,
            'si': 0, 'ss': 0, 'V': 'EXPIRE_MAKER', 'pm': 'NONE', 'gtd': 0,
        }
        if trade:
            o['N'], o['n'] = trade.commission_asset, plain(trade.commission)
        self.events.append({'e': 'ORDER_TRADE_UPDATE', 'T': now, 'E': now, 'o': o})

    def emit_account(self, order: Order, trade: Trade | None = None):
        if trade is None:
            return  # Binance sends ACCOUNT_UPDATE only when wallet or position moved
        sid, now = order.market.id, now_ms()
        pos = self.positions[sid]
        self.events.append({'e': 'ACCOUNT_UPDATE', 'T': now, 'E': now, 'a': {
            'm': 'ORDER',
            'B': [{'a': 'USDT', 'wb': plain(self.wallet), 'cw': plain(self.wallet), 'bc': '0'}],
            'P': [{'s': sid, 'pa': plain(pos.amount), 'ep': plain(pos.entry), 'bep': plain(pos.entry),
                   'cr': '0', 'up': plain(self.unrealized(sid)), 'mt': 'cross', 'iw': '0', 'ps': 'BOTH',
                   'ma': 'USDT'}],
        }})

    # -- REST rendering --------------------------------------------------

    def render_order(self, order: Order, with_time=True) -> dict:
        data = {
            'orderId': order.order_id, 'symbol': order.market.id, 'status': order.status,
            'clientOrderId': order.client_order_id, 'price': plain(order.price),
            'avgPrice': plain(order.avg_price), 'origQty': plain(order.qty),
            'executedQty': plain(order.executed), 'cumQty': plain(order.executed),
            'cumQuote': plain(order.cum_quote), 'timeInForce': order.time_in_force,
            'type': order.type, 'reduceOnly': order.reduce_only, 'closePosition': False,
            'side': order.side, 'positionSide': 'BOTH', 'stopPrice': '0', 'workingType': 'CONTRACT_PRICE',
            'priceProtect': False, 'origType': order.type, 'priceMatch': 'NONE',
            'selfTradePreventionMode': 'EXPIRE_MAKER', 'goodTillDate': 0, 'updateTime': order.update_time,
        }
        if with_time:
            data['time'] = order.time
        return data

    def render_trade(self, trade: Trade) -> dict:
        order = self.orders[trade.order_id]
        return {'buyer': trade.side == 'BUY', 'commission': plain(trade.commission),
                'commissionAsset': trade.commission_asset, 'id': trade.id, 'maker': trade.is_maker,
                'orderId': trade.order_id, 'price': plain(trade.price), 'qty': plain(trade.qty),
                'quoteQty': plain(trade.quote_qty), 'realizedPnl': plain(trade.realized_pnl),
                'side': trade.side, 'positionSide': 'BOTH', 'symbol': order.market.id, 'time': trade.time}

    def render_position(self, sid: str, version: int) -> dict:
        pos, mark = self.positions[sid], self.mark(sid)
        notional = pos.amount * mark
        margin = self.position_margin(sid)
        data = {'symbol': sid, 'positionSide': 'BOTH', 'positionAmt': plain(pos.amount),
                'entryPrice': plain(pos.entry), 'breakEvenPrice': plain(pos.entry),
                'markPrice': plain(mark), 'unRealizedProfit': plain(self.unrealized(sid)),
                'liquidationPrice': '0', 'isolatedMargin': '0', 'notional': plain(notional),
                'isolatedWallet': '0', 'updateTime': pos.update_time}
        if version == 2:  # v2 still carries leverage and margin type, v3 dropped them
            data.update({'leverage': str(pos.leverage), 'maxNotionalValue': '1000000',
                         'marginType': 'cross', 'isAutoAddMargin': 'false', 'adlQuantile': 0})
        else:
            data.update({'marginAsset': 'USDT', 'initialMargin': plain(margin),
                         'maintMargin': plain(abs(notional) * Decimal('0.004')),
                         'positionInitialMargin': plain(margin), 'openOrderInitialMargin': '0',
                         'adl': 0, 'bidNotional': '0', 'askNotional': '0'})
        return data

    # -- REST endpoints --------------------------------------------------

    def routes(self) -> dict:
        return {
            ('GET', '/fapi/v1/ping'): ('public', lambda p: {}),
            ('GET', '/fapi/v1/time'): ('public', lambda p: {'serverTime': now_ms()}),
            ('GET', '/fapi/v1/exchangeInfo'): ('public', lambda p: exchange_info(USDM, self.markets.values(), now_ms())),
            ('GET', '/fapi/v1/depth'): ('public', self.get_depth),
            ('GET', '/fapi/v1/ticker/24hr'): ('public', self.get_ticker),
            ('GET', '/fapi/v2/account'): ('signed', self.get_account),
            ('GET', '/fapi/v3/account'): ('signed', self.get_account),
            ('GET', '/fapi/v2/balance'): ('signed', self.get_balance),
            ('GET', '/fapi/v3/balance'): ('signed', self.get_balance),
            ('POST', '/fapi/v1/order'): ('signed', lambda p: self.render_order(self.place(p), with_time=False)),
            ('GET', '/fapi/v1/order'): ('signed', lambda p: self.render_order(self.query(p))),
            ('DELETE', '/fapi/v1/order'): ('signed', lambda p: self.render_order(self.cancel(p), with_time=False)),
            ('PUT', '/fapi/v1/order'): ('signed', lambda p: self.render_order(self.modify(p), with_time=False)),
            ('GET', '/fapi/v1/openOrders'): ('signed', lambda p: [self.render_order(o) for o in self.open_orders(p.get('symbol'))]),
            ('DELETE', '/fapi/v1/allOpenOrders'): ('signed', self.delete_all_open_orders),
            ('GET', '/fapi/v1/allOrders'): ('signed', self.get_all_orders),
            ('GET', '/fapi/v1/userTrades'): ('signed', self.get_user_trades),
            ('GET', '/fapi/v2/positionRisk'): ('signed', lambda p: self.get_position_risk(p, 2)),
            ('GET', '/fapi/v3/positionRisk'): ('signed', lambda p: self.get_position_risk(p, 3)),
            ('GET', '/fapi/v1/leverageBracket'): ('signed', self.get_leverage_bracket),
            ('POST', '/fapi/v1/leverage'): ('signed', self.post_leverage),
            ('GET', '/fapi/v1/symbolConfig'): ('signed', self.get_symbol_config),
            ('GET', '/fapi/v1/positionSide/dual'): ('signed', lambda p: {'dualSidePosition': False}),
        }

    def get_depth(self, params):
        market = self.market(params.get('symbol'))
        limit = min(to_int(params, 'limit', 500), 1000)
        now = now_ms()
        return dict(self.books[market.id].snapshot(plain, limit), E=now, T=now)

    def get_ticker(self, params):
        market = self.market(params.get('symbol'))
        last = self.mark(market.id)
        now = now_ms()
        return {'symbol': market.id, 'priceChange': '0', 'priceChangePercent': '0',
                'weightedAvgPrice': plain(last), 'lastPrice': plain(last), 'lastQty': '0',
                'openPrice': plain(last), 'highPrice': plain(last), 'lowPrice': plain(last),
                'volume': '0', 'quoteVolume': '0', 'openTime': now - 86_400_000, 'closeTime': now,
                'firstId': 0, 'lastId': 0, 'count': 0}

    def _asset(self) -> dict:
        upnl, wallet = self.total_unrealized(), self.wallet
        position_margin = sum((self.position_margin(s) for s in self.positions), ZERO)
        order_margin = self.order_margin()
        return {'asset': 'USDT', 'walletBalance': plain(wallet), 'unrealizedProfit': plain(upnl),
                'marginBalance': plain(wallet + upnl), 'maintMargin': '0',
                'initialMargin': plain(position_margin + order_margin),
                'positionInitialMargin': plain(position_margin),
                'openOrderInitialMargin': plain(order_margin), 'crossWalletBalance': plain(wallet),
                'crossUnPnl': plain(upnl), 'availableBalance': plain(self.available()),
                'maxWithdrawAmount': plain(self.available()), 'updateTime': now_ms()}

    def get_account(self, params):
        asset = self._asset()
        positions = [{'symbol': sid, 'positionSide': 'BOTH', 'positionAmt': plain(p.amount),
                      'unrealizedProfit': plain(self.unrealized(sid)), 'isolatedMargin': '0',
                      'notional': plain(p.amount * self.mark(sid)), 'isolatedWallet': '0',
                      'initialMargin': plain(self.position_margin(sid)), 'maintMargin': '0',
                      'updateTime': p.update_time}
                     for sid, p in self.positions.items() if p.amount]
        return {'totalInitialMargin': asset['initialMargin'], 'totalMaintMargin': '0',
                'totalWalletBalance': asset['walletBalance'],
                'totalUnrealizedProfit': asset['unrealizedProfit'],
                'totalMarginBalance': asset['marginBalance'],
                'totalPositionInitialMargin': asset['positionInitialMargin'],
                'totalOpenOrderInitialMargin': asset['openOrderInitialMargin'],
                'totalCrossWalletBalance': asset['crossWalletBalance'],
                'totalCrossUnPnl': asset['crossUnPnl'], 'availableBalance': asset['availableBalance'],
                'maxWithdrawAmount': asset['maxWithdrawAmount'], 'assets': [asset], 'positions': positions}

    def get_balance(self, params):
        asset = self._asset()
        return [{'accountAlias': 'SgsR', 'asset': 'USDT', 'balance': asset['walletBalance'],
                 'crossWalletBalance': asset['crossWalletBalance'], 'crossUnPnl': asset['crossUnPnl'],
                 'availableBalance': asset['availableBalance'],
                 'maxWithdrawAmount': asset['maxWithdrawAmount'], 'marginAvailable': True,
                 'updateTime': asset['updateTime']}]

    def modify(self, params) -> Order:
        """PUT /fapi/v1/order: amend a LIMIT order in place. Same orderId and clientOrderId; `quantity` is
        the order's new total; an ORDER_TRADE_UPDATE with execution type AMENDMENT goes out. A quantity
        not above what already filled cancels the order, as Binance does."""
        order = self.query(params)
        if not order.is_open:
            raise BinanceError(-2013, 'Order does not exist.')
        if mandatory(params, 'side') != order.side:
            raise BinanceError(-1117, 'Invalid side.')
        if order.type != 'LIMIT':
            raise BinanceError(-4153, 'Only limit order is supported for this endpoint.')
        market = order.market
        qty = to_dec(mandatory(params, 'quantity'), 'quantity')
        price = to_dec(mandatory(params, 'price'), 'price')
        if not self.is_multiple(qty, market.step_size) or qty < market.min_qty or qty > market.max_qty:
            raise BinanceError(-1111, 'Precision is over the maximum defined for this asset.')
        if not self.is_multiple(price, market.tick_size):
            raise BinanceError(-4014, 'Price not increased by tick size.')
        if qty == order.qty and price == order.price:
            raise BinanceError(-5027, 'No need to modify the order.')
        if qty <= order.executed:
            self.finish(order, 'CANCELED')
            return order
        order.qty, order.price, order.update_time = qty, price, now_ms()
        self.emit_order(order, 'AMENDMENT')
        return order

    def delete_all_open_orders(self, params):
        market = self.market(params.get('symbol'))
        for order in self.open_orders(market.id):
            self.finish(order, 'CANCELED')
        return {'code': 200, 'msg': 'The operation of cancel all open order is done.'}

    def get_all_orders(self, params):
        market = self.market(params.get('symbol'))
        orders = [o for o in self.orders.values() if o.market.id == market.id]
        return [self.render_order(o) for o in self.filter_orders(params, orders)]

    def get_user_trades(self, params):
        market = self.market(params.get('symbol'))
        trades = [t for t in self.trades if self.orders[t.order_id].market.id == market.id]
        return [self.render_trade(t) for t in self.filter_trades(params, trades)]

    def get_position_risk(self, params, version):
        symbols = [self.market(params['symbol']).id] if params.get('symbol') else list(self.positions)
        return [self.render_position(s, version) for s in symbols]

    def get_leverage_bracket(self, params):
        symbols = [self.market(params['symbol']).id] if params.get('symbol') else list(self.markets)
        return [{'symbol': s, 'notionalCoef': 1.0, 'brackets': LEVERAGE_BRACKETS} for s in symbols]

    def post_leverage(self, params):
        market = self.market(params.get('symbol'))
        leverage = int(mandatory(params, 'leverage'))
        if not 1 <= leverage <= 125:
            raise BinanceError(-4028, f'Leverage {leverage} is not valid')
        self.positions[market.id].leverage = leverage
        return {'leverage': leverage, 'maxNotionalValue': '1000000', 'symbol': market.id}

    def get_symbol_config(self, params):
        symbols = [self.market(params['symbol']).id] if params.get('symbol') else list(self.positions)
        return [{'symbol': s, 'marginType': 'CROSSED', 'isAutoAddMargin': False,
                 'leverage': self.positions[s].leverage, 'maxNotionalValue': '1000000'} for s in symbols]
