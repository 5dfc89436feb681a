"""Binance spot (`/api/v3/...`): balances with free/locked funds, order and
trade JSON shaped like the 2025 API, and executionReport user-data events."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from .binance_markets import SPOT, SPOT_ORDER_TYPES, exchange_info
from .binance_venue import (ZERO, BinanceError, Order, Trade, Venue, mandatory, now_ms,
                            random_client_id, s8, to_dec, to_int)

DEFAULT_SPOT_BALANCES = {'USDT': '100000', 'BTC': '1', 'ETH': '10', 'BNB': '0'}

PRICED_TYPES = ('LIMIT', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT')
TIF_TYPES = ('LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT')
STOP_TYPES = ('STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT')
INSUFFICIENT = (-2010, 'Account has insufficient balance for requested action.')


class SpotVenue(Venue):
    kind = SPOT
    id_start = 10_000_001  # disjoint from USD-M ids so `fill(order_id)` is unambiguous
    limit_types = ('LIMIT', 'LIMIT_MAKER')

    def __init__(self, markets, balances=None):
        super().__init__(markets)
        self.balances: dict[str, list[Decimal]] = {}
        for asset, free in (balances or DEFAULT_SPOT_BALANCES).items():
            self.set_balance(asset, free)

    def set_balance(self, asset: str, free, locked=0):
        self.balances[asset] = [Decimal(str(free)), Decimal(str(locked))]

    def _bal(self, asset: str) -> list[Decimal]:
        return self.balances.setdefault(asset, [ZERO, ZERO])

    # -- order construction ----------------------------------------------

    def build_order(self, market, side, order_type, cid, params) -> Order:
        if order_type not in SPOT_ORDER_TYPES:
            raise BinanceError(-1116, 'Invalid orderType.')
        price = stop = quote_qty = qty = ZERO
        tif = params.get('timeInForce')
        if order_type in PRICED_TYPES:
            price = to_dec(mandatory(params, 'price'), 'price')
            if price < market.min_price or price > market.max_price or not self.is_multiple(price, market.tick_size):
                raise BinanceError(-1013, 'Filter failure: PRICE_FILTER')
        if order_type in TIF_TYPES:
            tif = mandatory(params, 'timeInForce')
            if tif not in ('GTC', 'IOC', 'FOK'):
                raise BinanceError(-1115, 'Invalid timeInForce.')
        elif tif:
            raise BinanceError(-1106, "Parameter 'timeInForce' sent when not required.")
        if order_type in STOP_TYPES:
            stop = to_dec(mandatory(params, 'stopPrice'), 'stopPrice')
        if order_type == 'MARKET' and params.get('quoteOrderQty'):
            quote_qty = to_dec(params['quoteOrderQty'], 'quoteOrderQty')
        else:
            qty = to_dec(mandatory(params, 'quantity'), 'quantity')
            if qty < market.min_qty or qty > market.max_qty or not self.is_multiple(qty, market.step_size):
                raise BinanceError(-1013, 'Filter failure: LOT_SIZE')
        if price and qty and price * qty < market.min_notional:
            raise BinanceError(-1013, 'Filter failure: NOTIONAL')
        now = now_ms()
        return Order(market, next(self._order_ids), cid, side, order_type, tif or 'GTC', qty, price,
                     stop, now, quote_order_qty=quote_qty, update_time=now)

    def is_post_only(self, order: Order) -> bool:
        return order.type == 'LIMIT_MAKER'

    def reject_post_only(self):
        raise BinanceError(-2010, 'Order would immediately match and take.')

    def plan_fills(self, order: Order, levels):
        if not order.quote_order_qty:
            return super().plan_fills(order, levels)
        # quoteOrderQty: spend (or raise) a quote amount, quantity rounded down to the lot step
        planned, budget, step = [], order.quote_order_qty, order.market.step_size
        for price, available in levels:
            qty = min(available, (budget / price).quantize(step, rounding=ROUND_DOWN))
            if qty <= 0:
                break
            planned.append((price, qty))
            budget -= qty * price
        order.qty = sum((q for _, q in planned), ZERO)
        return planned

    # -- money -----------------------------------------------------------

    def _lock_asset(self, order: Order) -> str:
        return order.market.quote if order.side == 'BUY' else order.market.base

    def reserve(self, order: Order, planned):
        if order.side == 'BUY':
            amount = order.qty * order.price if order.price else sum((p * q for p, q in planned), ZERO)
        else:
            amount = order.qty
        balance = self._bal(self._lock_asset(order))
        if balance[0] < amount:
            raise BinanceError(*INSUFFICIENT)
        balance[0] -= amount
        balance[1] += amount
        order.locked = amount

    def settle(self, order: Order, trade: Trade, fee_rate: Decimal):
        base, quote = self._bal(order.market.base), self._bal(order.market.quote)
        cost = trade.qty * trade.price
        if order.side == 'BUY':
            consumed = min(order.locked, trade.qty * (order.price or trade.price))
            order.locked -= consumed
            quote[1] -= consumed
            quote[0] += consumed - cost  # price improvement returns to free funds
            trade.commission = (trade.qty * fee_rate).quantize(Decimal('1e-8'))
            trade.commission_asset = order.market.base
            base[0] += trade.qty - trade.commission
        else:
            consumed = min(order.locked, trade.qty)
            order.locked -= consumed
            base[1] -= consumed
            trade.commission = (cost * fee_rate).quantize(Decimal('1e-8'))
            trade.commission_asset = order.market.quote
            quote[0] += cost - trade.commission

    def release(self, order: Order):
        if order.locked:
            balance = self._bal(self._lock_asset(order))
            balance[0] += order.locked
            balance[1] -= order.locked
            order.locked = ZERO

    # -- user-data events ------------------------------------------------

    def emit_order(self, order: Order, exec_type: str, trade: Trade | None = None):
        canceled = exec_type == 'CANCELED'
        self.events.append({
            'e': 'executionReport', 'E': now_ms(), 's': order.market.id,
            'c': order.cancel_client_order_id if canceled else order.client_order_id,
            'S': order.side, 'o': order.type, 'f': order.time_in_force,
            'q': s8(order.qty), 'p': s8(order.price), 'P': s8(order.stop_price), 'F': s8(ZERO),
            'g': -1, 'C': order.client_order_id if canceled else '',
            'x': exec_type, 'X': order.status, 'r': 'NONE', 'i': order.order_id,
            'l': s8(trade.qty if trade else ZERO), 'z': s8(order.executed),
            'L': s8(trade.price if trade else ZERO),
            'n': s8(trade.commission) if trade else '0', 'N': trade.commission_asset if trade else None,
            'T': trade.time if trade else order.update_time, 't': trade.id if trade else -1,
            'I': order.order_id * 2, 'w': order.is_open, 'm': trade.is_maker if trade else False,
            'M': False, 'O': order.time, 'Z': s8(order.cum_quote),
            'Y': s8(trade.quote_qty if trade else ZERO), 'Q': s8(order.quote_order_qty),
            'W': order.time, 'V': 'EXPIRE_MAKER',
        })

    def emit_account(self, order: Order, trade: Trade | None = None):
        assets = [order.market.base, order.market.quote]
        self.events.append({
            'e': 'outboundAccountPosition', 'E': now_ms(), 'u': now_ms(),
            'B': [{'a': a, 'f': s8(self._bal(a)[0]), 'l': s8(self._bal(a)[1])} for a in assets],
        })

    # -- REST rendering --------------------------------------------------

    def render_order(self, order: Order) -> dict:
        data = {
            'symbol': order.market.id, 'orderId': order.order_id, 'orderListId': -1,
            'clientOrderId': order.client_order_id, 'price': s8(order.price),
            'origQty': s8(order.qty), 'executedQty': s8(order.executed),
            'cummulativeQuoteQty': s8(order.cum_quote), 'status': order.status,
            'timeInForce': order.time_in_force, 'type': order.type, 'side': order.side,
            'stopPrice': s8(order.stop_price), 'icebergQty': s8(ZERO), 'time': order.time,
            'updateTime': order.update_time, 'isWorking': order.type not in STOP_TYPES,
            'workingTime': order.time, 'origQuoteOrderQty': s8(order.quote_order_qty),
            'selfTradePreventionMode': 'EXPIRE_MAKER',
        }
        return data

    def render_new_order(self, order: Order, resp_type: str) -> dict:
        ack = {'symbol': order.market.id, 'orderId': order.order_id, 'orderListId': -1,
               'clientOrderId': order.client_order_id, 'transactTime': order.time}
        if resp_type == 'ACK':
            return ack
        full = self.render_order(order)
        result = dict(ack, **{k: full[k] for k in (
            'price', 'origQty', 'executedQty', 'origQuoteOrderQty', 'cummulativeQuoteQty', 'status',
            'timeInForce', 'type', 'side', 'workingTime', 'selfTradePreventionMode')})
        if order.stop_price:
            result['stopPrice'] = s8(order.stop_price)
        if resp_type == 'FULL':
            result['fills'] = [{'price': s8(t.price), 'qty': s8(t.qty), 'commission': s8(t.commission),
                                'commissionAsset': t.commission_asset, 'tradeId': t.id}
                               for t in order.trades]
        return result

    def render_trade(self, trade: Trade) -> dict:
        order = self.orders[trade.order_id]
        return {'symbol': order.market.id, 'id': trade.id, 'orderId': trade.order_id,
                'orderListId': -1, 'price': s8(trade.price), 'qty': s8(trade.qty),
                'quoteQty': s8(trade.quote_qty), 'commission': s8(trade.commission),
                'commissionAsset': trade.commission_asset, 'time': trade.time,
                'isBuyer': trade.side == 'BUY', 'isMaker': trade.is_maker, 'isBestMatch': True}

    # -- REST endpoints --------------------------------------------------

    def routes(self) -> dict:
        return {
            ('GET', '/api/v3/ping'): ('public', lambda p: {}),
            ('GET', '/api/v3/time'): ('public', lambda p: {'serverTime': now_ms()}),
            ('GET', '/api/v3/exchangeInfo'): ('public', lambda p: exchange_info(SPOT, self.markets.values(), now_ms())),
            ('GET', '/api/v3/depth'): ('public', self.get_depth),
            ('GET', '/api/v3/ticker/24hr'): ('public', self.get_ticker),
            ('GET', '/api/v3/account'): ('signed', self.get_account),
            ('POST', '/api/v3/order'): ('signed', self.post_order),
            ('GET', '/api/v3/order'): ('signed', lambda p: self.render_order(self.query(p))),
            ('DELETE', '/api/v3/order'): ('signed', self.delete_order),
            ('POST', '/api/v3/order/cancelReplace'): ('signed', self.cancel_replace),
            ('GET', '/api/v3/openOrders'): ('signed', lambda p: [self.render_order(o) for o in self.open_orders(p.get('symbol'))]),
            ('DELETE', '/api/v3/openOrders'): ('signed', self.delete_open_orders),
            ('GET', '/api/v3/allOrders'): ('signed', self.get_all_orders),
            ('GET', '/api/v3/myTrades'): ('signed', self.get_my_trades),
        }

    def get_depth(self, params):
        market = self.market(params.get('symbol'))
        limit = min(to_int(params, 'limit', 100), 5000)
        return self.books[market.id].snapshot(s8, limit)

    def get_ticker(self, params):
        markets = [self.market(params['symbol'])] if params.get('symbol') else list(self.markets.values())
        tickers = [self._ticker(m) for m in markets]
        return tickers[0] if params.get('symbol') else tickers

    def _ticker(self, market):
        book = self.books[market.id]
        trades = [t for t in self.trades if self.orders[t.order_id].market.id == market.id]
        bid, ask = book.sorted_bids()[:1], book.sorted_asks()[:1]
        last = trades[-1].price if trades else (book.mid() or ZERO)
        now = now_ms()
        return {'symbol': market.id, 'priceChange': s8(ZERO), 'priceChangePercent': '0.000',
                'weightedAvgPrice': s8(last), 'prevClosePrice': s8(last), 'lastPrice': s8(last),
                'lastQty': s8(trades[-1].qty if trades else ZERO),
                'bidPrice': s8(bid[0][0] if bid else ZERO), 'bidQty': s8(bid[0][1] if bid else ZERO),
                'askPrice': s8(ask[0][0] if ask else ZERO), 'askQty': s8(ask[0][1] if ask else ZERO),
                'openPrice': s8(last), 'highPrice': s8(last), 'lowPrice': s8(last),
                'volume': s8(sum((t.qty for t in trades), ZERO)),
                'quoteVolume': s8(sum((t.quote_qty for t in trades), ZERO)),
                'openTime': now - 86_400_000, 'closeTime': now,
                'firstId': trades[0].id if trades else -1, 'lastId': trades[-1].id if trades else -1,
                'count': len(trades)}

    def get_account(self, params):
        omit_zero = str(params.get('omitZeroBalances', '')).lower() == 'true'
        balances = [{'asset': a, 'free': s8(f), 'locked': s8(lk)} for a, (f, lk) in self.balances.items()
                    if not (omit_zero and f == 0 and lk == 0)]
        return {'makerCommission': 10, 'takerCommission': 10, 'buyerCommission': 0,
                'sellerCommission': 0,
                'commissionRates': {'maker': '0.00100000', 'taker': '0.00100000',
                                    'buyer': '0.00000000', 'seller': '0.00000000'},
                'canTrade': True, 'canWithdraw': True, 'canDeposit': True, 'brokered': False,
                'requireSelfTradePrevention': False, 'preventSor': False, 'updateTime': now_ms(),
                'accountType': 'SPOT', 'balances': balances, 'permissions': ['SPOT'], 'uid': 354937868}

    def post_order(self, params):
        resp_type = params.get('newOrderRespType') or ('FULL' if params.get('type') in ('MARKET', 'LIMIT') else 'ACK')
        if resp_type not in ('ACK', 'RESULT', 'FULL'):
            raise BinanceError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        return self.render_new_order(self.place(params), resp_type)

    def delete_order(self, params):
        # the cancel request gets its own client id, which Binance echoes as clientOrderId
        order = self.cancel(params, params.get('newClientOrderId') or random_client_id())
        return self._render_cancel(order)

    def cancel_replace(self, params):
        """POST /api/v3/order/cancelReplace: filters are checked first (a failure there changes nothing);
        then the original is canceled (its CANCELED executionReport carries the cancel's own id as `c` and
        the original's as `C`) and a new order, with a new orderId and its own client id, is placed for the
        quantity sent. STOP_ON_FAILURE: a failed cancel places nothing (-2022); a refused new order leaves
        the original canceled (-2021, HTTP 409)."""
        mode = mandatory(params, 'cancelReplaceMode')
        if mode not in ('STOP_ON_FAILURE', 'ALLOW_FAILURE'):
            raise BinanceError(-1100, "Illegal characters found in parameter 'cancelReplaceMode'.")
        if not (params.get('cancelOrderId') or params.get('cancelOrigClientOrderId')):
            raise BinanceError(-1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, "
                                      "but both were empty/null!")
        resp_type = params.get('newOrderRespType') or 'ACK'
        new = self.prepare(params)
        target = {'symbol': new.market.id, 'orderId': params.get('cancelOrderId'),
                  'origClientOrderId': params.get('cancelOrigClientOrderId')}
        try:
            canceled = self._render_cancel(self.cancel(target, params.get('cancelNewClientOrderId')
                                                       or random_client_id()))
        except BinanceError as exc:
            if mode == 'STOP_ON_FAILURE':
                raise BinanceError(-2022, 'Order cancel-replace failed.', 400, data={
                    'cancelResult': 'FAILURE', 'newOrderResult': 'NOT_ATTEMPTED',
                    'cancelResponse': exc.body(), 'newOrderResponse': None}) from None
            canceled = exc.body()
        try:
            placed = self.render_new_order(self.submit(new), resp_type)
        except BinanceError as exc:
            cancel_ok = 'orderId' in canceled
            raise BinanceError(-2021 if cancel_ok else -2022, 'Order cancel-replace partially failed.'
                               if cancel_ok else 'Order cancel-replace failed.', 409 if cancel_ok else 400, data={
                                   'cancelResult': 'SUCCESS' if cancel_ok else 'FAILURE', 'newOrderResult': 'FAILURE',
                                   'cancelResponse': canceled, 'newOrderResponse': exc.body()}) from None
        if 'orderId' not in canceled:  # ALLOW_FAILURE: the cancel failed, the new order went in anyway
            raise BinanceError(-2021, 'Order cancel-replace partially failed.', 409, data={
                'cancelResult': 'FAILURE', 'newOrderResult': 'SUCCESS',
                'cancelResponse': canceled, 'newOrderResponse': placed})
        return {'cancelResult': 'SUCCESS', 'newOrderResult': 'SUCCESS',
                'cancelResponse': canceled, 'newOrderResponse': placed}

    def _render_cancel(self, order: Order) -> dict:
        data = self.render_order(order)
        return {'symbol': order.market.id, 'origClientOrderId': order.client_order_id,
                'orderId': order.order_id, 'orderListId': -1,
                'clientOrderId': order.cancel_client_order_id, 'transactTime': order.update_time,
                **{k: data[k] for k in ('price', 'origQty', 'executedQty', 'origQuoteOrderQty',
                                        'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side',
                                        'selfTradePreventionMode')},
                **({'stopPrice': data['stopPrice']} if order.stop_price else {})}

    def delete_open_orders(self, params):
        market = self.market(params.get('symbol'))
        orders = self.open_orders(market.id)
        if not orders:
            raise BinanceError(-2011, 'Unknown order sent.')
        for order in orders:
            self.cancel({'symbol': market.id, 'orderId': order.order_id}, random_client_id())
        return [self._render_cancel(o) for o in orders]

    def get_all_orders(self, params):
        market = self.market(params.get('symbol'))
        orders = [o for o in self.orders.values() if o.market.id == market.id]
        return [self.render_order(o) for o in self.filter_orders(params, orders)]

    def get_my_trades(self, params):
        market = self.market(params.get('symbol'))
        trades = [t for t in self.trades if self.orders[t.order_id].market.id == market.id]
        return [self.render_trade(t) for t in self.filter_trades(params, trades)]
