"""The paper venue's state machine: markets, our orders, money, and what gets pushed.

Synchronous and deterministic: the async ccxt face (exchange.py) adds latency, faults
and rate limits around it. This class is also the matching engine's Sink.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from ccxt.base.errors import (
    DuplicateOrderId, ExchangeError, InsufficientFunds, InvalidOrder, OrderImmediatelyFillable, OrderNotFound,
)

from .accounts import Accounts, liquidation_price
from .market import MarketSpec, PublicTrade, SyntheticMarket
from .matching import MatchingEngine, Order, Trade
from .rules import check_cost
from .streams import EventLog
from .structures import order_dict, trade_dict

ZERO = Decimal(0)
STOP_MARKET_BUFFER = Decimal("1.05")  # a stop-market buy may walk past its trigger


class Simulator:
    def __init__(self, seed: int, specs: Iterable[MarketSpec], balances: dict[str, Decimal],
                 start_ms: int, drop_fill: Callable[[], bool] = lambda: False) -> None:
        self.now = start_ms
        ordered = sorted(specs, key=lambda s: s.tracks is not None)  # anchors move first
        self.specs: dict[str, MarketSpec] = {s.symbol: s for s in ordered}
        self.markets: dict[str, SyntheticMarket] = {
            s.symbol: SyntheticMarket(s, seed, start_ms) for s in ordered}
        for s in ordered:
            if s.tracks is not None:
                self.markets[s.symbol].backfill_from(self.markets[s.tracks])
        self.accounts = Accounts(balances)
        self.engine = MatchingEngine(self.markets, self)
        self.orders: dict[str, Order] = {}
        self.open: dict[str, Order] = {}
        self.by_client_id: dict[str, Order] = {}
        self.trades: list[Trade] = []
        self.orders_log = EventLog()
        self.trades_log = EventLog()
        self.stream_orders = False  # set once someone watches; before that nobody listens
        self.stream_trades = False
        self._drop_fill = drop_fill
        self._order_seq = 0
        self._trade_seq = 0

    # ---- time ------------------------------------------------------------------------
    def step(self, dt_ms: int = 100) -> None:
        if dt_ms <= 0:
            raise ValueError("dt_ms must be positive")
        self.now += dt_ms
        for symbol, market in self.markets.items():
            flows = market.advance(dt_ms, self._anchor(market.spec))
            self.engine.on_step(symbol, flows)
        self.check_liquidations()

    def skip(self, dt_ms: int) -> None:
        """Let time pass with every market standing still (a long gap is not replayed: see clock.py)."""
        if dt_ms <= 0:
            raise ValueError("dt_ms must be positive")
        self.now += dt_ms

    def _anchor(self, spec: MarketSpec) -> int | None:
        if spec.tracks is None:
            return None
        anchor = self.markets[spec.tracks]
        return int(anchor.mid * anchor.spec.tick / spec.tick)

    def mark(self, symbol: str) -> Decimal:
        market = self.markets[symbol]
        return market.mid * market.spec.tick

    # ---- test hooks ------------------------------------------------------------------
    def set_mid(self, symbol: str, ticks: int) -> None:
        self.markets[symbol].set_mid(ticks, self._anchor(self.specs[symbol]))
        self.engine.on_step(symbol, [])
        self.check_liquidations()

    def inject_flow(self, symbol: str, side: str, lots: int) -> int:
        traded = self.engine.apply_flow(symbol, side, lots, max_levels=self.specs[symbol].depth)
        self.engine.check_triggers(symbol)
        self.check_liquidations()
        self.markets[symbol].version += 1
        return traded

    # ---- intake ----------------------------------------------------------------------
    def place(self, spec: MarketSpec, *, type: str, side: str, lots: int, price: int | None,
              trigger: int | None, tif: str, post_only: bool, reduce_only: bool,
              client_id: str | None) -> Order:
        if client_id is not None and client_id in self.by_client_id:
            raise DuplicateOrderId(f"paper clientOrderId {client_id!r} was already used")
        lots = self._reduce_only_lots(spec, side, lots) if reduce_only else lots
        if post_only and trigger is None and price is not None \
                and self.engine.would_cross(spec.symbol, side, price):
            raise OrderImmediatelyFillable(
                f"paper post-only {side} at {price * spec.tick} would take liquidity")
        reference = price if price is not None else trigger if trigger is not None \
            else self._touch(spec.symbol, side)
        if not reduce_only:
            check_cost(spec, lots, reference)
        if type == "market" and trigger is None:
            ccy, need = self._walk_requirement(spec, side, lots, reduce_only)
        else:
            ref = reference * spec.tick
            if price is None and side == "buy":
                ref *= STOP_MARKET_BUFFER
            ccy, need = self.accounts.requirement(spec, side, lots, ref, reduce_only)
        free = self.accounts.free(ccy)
        if need > free:
            raise InsufficientFunds(f"paper insufficient balance for {spec.symbol} {side}: "
                                    f"need {need} {ccy}, free {free} {ccy}")
        self._order_seq += 1
        order_id = str(self._order_seq)
        order = Order(order_id, client_id or f"paper-{order_id}", spec.symbol, type, side,
                      lots, price, self.now, tif=tif, post_only=post_only,
                      reduce_only=reduce_only, trigger=trigger,
                      trigger_up=trigger is None or trigger >= self.markets[spec.symbol].last,
                      triggered=trigger is None, updated_ts=self.now)
        self.accounts.set_reserved(order, ccy, need)
        self.orders[order_id] = order
        self.open[order_id] = order
        self.by_client_id[order.client_id] = order
        self._emit_order(order)
        self.engine.submit(order)
        if trigger is not None:
            self.engine.check_triggers(spec.symbol)
        self.check_liquidations()
        self.markets[spec.symbol].version += 1  # the displayed book changed
        return order

    def _touch(self, symbol: str, side: str) -> int:
        best = self.markets[symbol].best("asks" if side == "buy" else "bids")
        return best if best is not None else self.markets[symbol].mid

    def _walk_requirement(self, spec: MarketSpec, side: str, lots: int,
                          reduce_only: bool) -> tuple[str, Decimal]:
        plan = self.engine.plan(spec.symbol, side, lots, None)
        if not plan:
            raise InvalidOrder(f"paper no liquidity on the {spec.symbol} book")
        if not spec.is_swap and side == "buy":
            cost = sum((p * spec.tick * q * spec.lot for p, q in plan), ZERO)
            return spec.quote, cost * (1 + spec.taker)
        worst = plan[-1][0] * spec.tick
        return self.accounts.requirement(spec, side, lots, worst, reduce_only)

    def _reduce_only_lots(self, spec: MarketSpec, side: str, lots: int) -> int:
        if not spec.is_swap:
            raise InvalidOrder(f"paper reduceOnly is only supported for the perpetual, not {spec.symbol}")
        pos = self.accounts.positions.get(spec.symbol)
        held = pos.lots if pos else 0
        if held == 0 or (held > 0) == (side == "buy"):
            raise InvalidOrder(f"paper reduce-only {side} would increase the {spec.symbol} position")
        return min(lots, abs(held))

    def cancel(self, order: Order) -> None:
        if not order.is_open:
            raise OrderNotFound(f"paper order {order.id} is {order.status}; nothing to cancel")
        self.engine.finish(order, "canceled", "canceled by user")
        self.markets[order.symbol].version += 1

    def cancel_replace(self, order: Order, *, lots: int, price: int | None, trigger: int | None,
                       client_id: str) -> Order:
        """Binance spot's order/cancelReplace (STOP_ON_FAILURE): the original is canceled (its CANCELED
        report carries its own client id), then a new order with a new venue id is placed for `lots`:
        the new order's own quantity, whatever the original already filled. If the cancel fails,
        nothing is placed; if the new order is refused, the original stays canceled."""
        if not order.is_open:
            raise OrderNotFound(f"paper cancel-replace failed: order {order.id} is {order.status}; "
                                f"nothing was canceled and no new order was placed")
        if client_id in self.by_client_id:
            raise DuplicateOrderId(f"paper clientOrderId {client_id!r} was already used; nothing was canceled")
        spec = self.specs[order.symbol]
        self.engine.finish(order, "canceled", "canceled by cancel-replace")
        try:
            return self.place(spec, type=order.type, side=order.side, lots=lots, price=price,
                              trigger=trigger, tif=order.tif, post_only=order.post_only,
                              reduce_only=order.reduce_only, client_id=client_id)
        except ExchangeError as exc:
            raise type(exc)(f"paper cancel-replace partly failed: order {order.id} was canceled, "
                            f"the new order was refused: {exc}") from None

    def amend(self, order: Order, lots: int | None, price: int | None, trigger: int | None) -> None:
        if not order.is_open:
            raise OrderNotFound(f"paper order {order.id} is {order.status}; nothing to edit")
        spec = self.specs[order.symbol]
        if order.type == "market" and price is not None:
            raise InvalidOrder("paper a market order has no price to edit")
        new_lots = order.amount if lots is None else lots
        new_price = order.price if price is None else price
        if new_lots <= order.filled:
            raise InvalidOrder(f"paper amount must exceed the filled amount {order.filled * spec.lot}")
        if order.reduce_only:
            new_lots = order.filled + self._reduce_only_lots(spec, order.side, new_lots - order.filled)
        if order.post_only and order.triggered and new_price is not None \
                and self.engine.would_cross(order.symbol, order.side, new_price):
            raise OrderImmediatelyFillable(
                f"paper post-only {order.side} at {new_price * spec.tick} would take liquidity")
        new_trigger = order.trigger if trigger is None else trigger
        reference = new_price if new_price is not None else new_trigger
        assert reference is not None
        if not order.reduce_only:
            check_cost(spec, new_lots, reference)
        ref = reference * spec.tick * (STOP_MARKET_BUFFER if new_price is None and order.side == "buy" else 1)
        ccy, need = self.accounts.requirement(spec, order.side, new_lots - order.filled, ref,
                                              order.reduce_only)
        if need > self.accounts.free(ccy) + (order.reserved if order.reserve_ccy == ccy else ZERO):
            raise InsufficientFunds(f"paper insufficient balance to edit order {order.id}: "
                                    f"need {need} {ccy}")
        keep = order.resting and new_price == order.price and new_lots < order.amount
        order.amount, order.price = new_lots, new_price
        if trigger is not None and not order.triggered:
            order.trigger = trigger
            order.trigger_up = trigger >= self.markets[order.symbol].last
        self.accounts.set_reserved(order, ccy, need)
        order.updated_ts = self.now
        self.engine.requeue(order, keep)
        if order.is_open:
            self._emit_order(order)
        if not order.triggered:
            self.engine.check_triggers(order.symbol)
        self.markets[order.symbol].version += 1

    # ---- sink (called by the matching engine) -------------------------------------------
    def on_fill(self, order: Order, lots: int, price: int, maker: bool) -> None:
        spec = self.specs[order.symbol]
        price_d = price * spec.tick
        rate = spec.maker if maker else spec.taker
        fee, ccy, realized = self.accounts.apply_fill(spec, order, lots, price_d, rate, self.now)
        self._trade_seq += 1
        trade = Trade(str(self._trade_seq), order.id, order.client_id, order.symbol, order.side,
                      price, lots, lots * spec.lot * price_d * spec.contract_size, fee, ccy, rate,
                      maker, self.now, realized)
        self._book_trade(order, trade)

    def _book_trade(self, order: Order, trade: Trade) -> None:
        order.cost += trade.cost
        order.fee += trade.fee
        order.fee_currency = trade.fee_currency
        order.last_trade_ts = order.updated_ts = trade.timestamp
        order.trades.append(trade)
        self.trades.append(trade)
        taker_side = order.side if not trade.maker else ("sell" if order.side == "buy" else "buy")
        self.markets[order.symbol].record_trade(
            PublicTrade(trade.id, trade.timestamp, trade.price, trade.lots, taker_side))
        if not order.is_open:
            self._close_out(order)
        if self._drop_fill():
            return  # recorded (REST sees it) but never pushed
        if self.stream_trades:
            self.trades_log.append(trade_dict(self.specs[order.symbol], trade, stream=True))
        self._emit_order(order)

    def on_change(self, order: Order) -> None:
        order.updated_ts = self.now
        self.markets[order.symbol].version += 1
        if not order.is_open:
            self._close_out(order)
        self._emit_order(order)

    def fill_cap(self, order: Order) -> int:
        if not order.reduce_only:
            return order.remaining
        pos = self.accounts.positions.get(order.symbol)
        if pos is None or (pos.lots > 0) == (order.side == "buy"):
            return 0
        return min(order.remaining, abs(pos.lots))

    def activate(self, order: Order) -> bool:
        """A stop fired: make sure it can still be paid for at today's book."""
        order.triggered_ts = order.updated_ts = self.now
        self.markets[order.symbol].version += 1
        spec = self.specs[order.symbol]
        if order.type == "market":
            try:
                ccy, need = self._walk_requirement(spec, order.side, order.remaining, order.reduce_only)
            except InvalidOrder as exc:
                order.reason = str(exc)
                return False
            if need > self.accounts.free(ccy) + order.reserved:
                order.reason = f"insufficient balance at trigger: need {need} {ccy}"
                return False
            self.accounts.set_reserved(order, ccy, need)
        self._emit_order(order)
        return True

    def record_public(self, symbol: str, price: int, lots: int, taker_side: str) -> None:
        self._trade_seq += 1
        self.markets[symbol].record_trade(
            PublicTrade(str(self._trade_seq), self.now, price, lots, taker_side))

    def _close_out(self, order: Order) -> None:
        self.accounts.release(order)
        self.open.pop(order.id, None)

    def _emit_order(self, order: Order) -> None:
        if self.stream_orders:
            self.orders_log.append(order_dict(self.specs[order.symbol], order))

    # ---- the perpetual's risk engine ----------------------------------------------------
    def check_liquidations(self) -> None:
        for symbol, pos in list(self.accounts.positions.items()):
            spec = self.specs[symbol]
            mark = self.mark(symbol)
            liq = liquidation_price(pos, spec)
            if (pos.lots > 0 and mark <= liq) or (pos.lots < 0 and mark >= liq):
                self._liquidate(spec)

    def _liquidate(self, spec: MarketSpec) -> None:
        market = self.markets[spec.symbol]
        pos = self.accounts.liquidate(spec)
        assert pos is not None
        self._order_seq += 1
        self._trade_seq += 1
        order_id = str(self._order_seq)
        side = "sell" if pos.lots > 0 else "buy"
        lots = abs(pos.lots)
        order = Order(order_id, f"liquidation-{order_id}", spec.symbol, "market", side, lots,
                      None, self.now, tif="IOC", reduce_only=True, status="closed", filled=lots,
                      updated_ts=self.now, reason="liquidated: mark crossed the liquidation price")
        cost = lots * spec.lot * market.mid * spec.tick * spec.contract_size
        trade = Trade(str(self._trade_seq), order_id, order.client_id, spec.symbol, side,
                      market.mid, lots, cost, ZERO, spec.settle or spec.quote, ZERO, False,
                      self.now, -pos.margin, liquidation=True)
        self.orders[order_id] = order
        self.by_client_id[order.client_id] = order
        self._book_trade(order, trade)
        for other in [o for o in self.open.values() if o.symbol == spec.symbol and o.reduce_only]:
            self.engine.finish(other, "canceled", "reduce-only: position was liquidated")
