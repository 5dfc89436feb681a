"""Offline fake of Bybit v5, unified trading account: spot and the linear perpetual, REST and websockets, live,
testnet and demo-trading hosts. Real ccxt.pro classes talk to it with real HMAC signing.

    async with FakeBybit() as bybit:
        bybit.set_book("BTC/USDT", bids=[[25000, 1]], asks=[[25001, 1]])
        ... a Desk configured with rest_url/ws_url = bybit.base_url + "/{host}" ...
        await bybit.fill(client_order_id, "0.001")

As unfriendly as Bybit: the create answer carries only the ids (no status, no fill); keys work on their own
environment's host only (a demo key on api.bybit.com gets 10003); errors come as HTTP 200 with a retCode;
``avgPrice`` is "" until something fills; an order someone else placed has ``orderLinkId`` ""; the private
stream needs an ``auth`` with a signature that expires; public streams are on the live host even in demo.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

from .fake_server import FakeServer, HttpError, Request, WsConn
from .venue_engine import ZERO, Engine, EngineControls, Market, Order, Reject, Trade, dec, now_ms

API_KEY, SECRET = "BYBITDEMOKEY0001", "BYBITDEMOSECRET000000000000000"
MARKETS = (
    Market("BTC/USDT", "BTCUSDT", "spot", "BTC", "USDT", Decimal("0.01"), Decimal("0.000001"), Decimal("0.000048"),
           Decimal("1"), maker_fee=Decimal("0.001"), taker_fee=Decimal("0.001")),
    Market("BTC/USDT:USDT", "BTCUSDT", "swap", "BTC", "USDT", Decimal("0.1"), Decimal("0.001"), Decimal("0.001"),
           Decimal("5")),
)
HOSTS = {"api.bybit.com": "live", "api-testnet.bybit.com": "testnet", "api-demo.bybit.com": "demo",
         "stream.bybit.com": "live", "stream-testnet.bybit.com": "testnet", "stream-demo.bybit.com": "demo"}
# venue-neutral refusal -> (retCode, retMsg) as Bybit words them
CODES = {"insufficient": (110007, "ab not enough for new order"), "duplicate_client_id": (110072,
         "OrderLinkedID is duplicate"), "not_found": (110001, "order not exists or too late to cancel"),
         "reduce_only": (110017, "Reduce-only rule not satisfied"), "bad_qty": (170136, "Order quantity exceeded "
         "lower limit."), "bad_price": (170134, "Order price has too many decimals."),
         "min_notional": (170140, "Order value exceeded lower limit.")}
STATUS = {"new": "New", "partially_filled": "PartiallyFilled", "filled": "Filled", "canceled": "Cancelled",
          "rejected": "Rejected", "untriggered": "Untriggered"}
TIF = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "PostOnly": "PostOnly"}


def s(value) -> str:
    if value is None:
        return ""
    text = format(dec(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _category(m: Market) -> str:
    return "spot" if m.kind == "spot" else "linear"


class FakeBybit(EngineControls, FakeServer):
    name = "fake bybit"

    def __init__(self, keys: dict[str, tuple[str, str]] | None = None, balances: dict[str, str] | None = None,
                 hang_seconds: float = 30.0):
        super().__init__(hang_seconds)
        self.keys = keys or {API_KEY: (SECRET, "demo")}  # api key -> (secret, environment)
        self.engine = Engine(list(MARKETS), balances or {"USDT": "10000", "BTC": "1"})
        self.fees = (Decimal("0.0006"), Decimal("0.0001"))  # (taker, maker) this account pays: a VIP tier
        self.maintenance: list[dict] = []  # {"state": "scheduled" | "ongoing" | "completed", "begin": ms, "end": ms}
        self.routes = {
            ("GET", "/v5/market/instruments-info"): ("public", self.instruments),
            ("GET", "/v5/market/orderbook"): ("public", self.orderbook),
            ("GET", "/v5/market/tickers"): ("public", self.tickers),
            ("GET", "/v5/system/status"): ("public", lambda r: ok({"list": [dict(
                {"id": f"m{i}", "title": "System maintenance", "href": "https://announcements.bybit.com/",
                 "serviceTypes": [1, 2], "product": [1, 4], "uidSuffix": [], "maintainType": 1, "env": 1},
                **{k: str(v) if k in ("begin", "end") else v for k, v in w.items()})
                for i, w in enumerate(self.maintenance)]})),
            ("GET", "/v5/account/fee-rate"): ("private", lambda r: ok({"list": [
                {"symbol": m.id, "takerFeeRate": s(self.fees[0]), "makerFeeRate": s(self.fees[1])}
                for m in MARKETS if _category(m) == r.query.get("category", "spot")
                and r.query.get("symbol") in (None, m.id)]})),
            ("GET", "/v5/market/time"): ("public", lambda r: ok({"timeSecond": str(now_ms() // 1000),
                                                                  "timeNano": str(now_ms() * 10**6)})),
            ("GET", "/v5/asset/coin/query-info"): ("private", self.coins),
            ("GET", "/v5/user/query-api"): ("private", lambda r: ok({"uta": 1, "unified": 0, "readOnly": 0})),
            ("GET", "/v5/account/info"): ("private", lambda r: ok({"unifiedMarginStatus": 5})),
            ("POST", "/v5/order/create"): ("private", self.create),
            ("POST", "/v5/order/amend"): ("private", self.amend),
            ("POST", "/v5/order/cancel"): ("private", self.cancel),
            ("POST", "/v5/order/cancel-all"): ("private", self.cancel_all),
            ("GET", "/v5/order/realtime"): ("private", self.realtime),
            ("GET", "/v5/order/history"): ("private", self.history),
            ("GET", "/v5/execution/list"): ("private", self.executions),
            ("GET", "/v5/account/wallet-balance"): ("private", self.wallet),
            ("GET", "/v5/position/list"): ("private", self.position_list),
            ("POST", "/v5/position/set-leverage"): ("private", lambda r: ok({})),
        }

    # -- test controls (set_book, fill, order ... in EngineControls) ------------------------------------
    async def push_book(self, symbol: str, bids=(), asks=()) -> int:
        """Apply a delta to the book and stream it on orderbook.50."""
        market = self.engine.market(symbol)
        book = self.engine.books[symbol]
        book.apply(bids, asks)
        delta = {"s": market.id, "b": [[s(p), s(q)] for p, q in bids], "a": [[s(p), s(q)] for p, q in asks],
                 "u": book.seq, "seq": book.seq}
        return await self._publish(market, "delta", delta)

    def private_streams(self) -> list[WsConn]:
        return [c for c in self.connections if c.private and c.authed and "order" in c.topics]

    # -- auth -------------------------------------------------------------------------------------------
    def authorize(self, req: Request) -> None:
        key = req.headers.get("X-BAPI-API-KEY", "")
        secret, env = self.keys.get(key, (None, None))
        if secret is None or env != HOSTS.get(req.host):
            raise HttpError(401, {"retCode": 10003, "retMsg": "API key is invalid.", "result": {},
                                  "retExtInfo": {}, "time": now_ms()})
        ts, window = req.headers.get("X-BAPI-TIMESTAMP", "0"), req.headers.get("X-BAPI-RECV-WINDOW", "5000")
        payload = req.body if req.method == "POST" else req.raw_query
        expected = hmac.new(secret.encode(), f"{ts}{key}{window}{payload}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, req.headers.get("X-BAPI-SIGN", "")):
            raise HttpError(200, err(10004, f"error sign! origin_string[{ts}{key}{window}{payload}]"))
        if abs(now_ms() - int(ts)) > int(window):
            raise HttpError(200, err(10002, "invalid request, please check your server timestamp or recv_window"))

    def rate_limited(self):
        return 200, err(10006, "Too many visits. Exceeded the API Rate Limit.")

    def server_error(self):
        return 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"

    # -- market data ------------------------------------------------------------------------------------
    def instruments(self, req: Request):
        category = req.query.get("category")
        rows = [instrument(m) for m in MARKETS if _category(m) == category]
        return ok({"category": category, "list": rows, "nextPageCursor": ""})

    def coins(self, req: Request):
        chain = {"chainType": "", "confirmation": "", "withdrawFee": "", "depositMin": "", "withdrawMin": "",
                 "chain": "", "chainDeposit": "1", "chainWithdraw": "1", "minAccuracy": "8", "withdrawPercentageFee": ""}
        return ok({"rows": [{"name": c, "coin": c, "remainAmount": "1000000", "chains": [dict(chain, chain=c)]}
                            for c in ("BTC", "USDT")]})

    def _market(self, req: Request, params: dict | None = None) -> Market:
        p = params if params is not None else req.params
        kind = "spot" if p.get("category") == "spot" else "swap"
        market = self.engine.by_venue_id(kind, p.get("symbol", ""))
        if market is None:
            raise HttpError(200, err(10001, f"params error: symbol invalid: {p.get('symbol')}"))
        return market

    def orderbook(self, req: Request):
        market = self._market(req)
        book = self.engine.books[market.symbol]
        limit = int(req.query.get("limit", 25))
        return ok({"s": market.id, "b": [[s(p), s(q)] for p, q in book.sorted_bids()[:limit]],
                   "a": [[s(p), s(q)] for p, q in book.sorted_asks()[:limit]], "ts": now_ms(), "u": book.seq,
                   "seq": book.seq, "cts": now_ms()})

    def tickers(self, req: Request):
        market = self._market(req)
        book = self.engine.books[market.symbol]
        bid, ask = (book.sorted_bids() or [(ZERO, ZERO)])[0], (book.sorted_asks() or [(ZERO, ZERO)])[0]
        last = self.engine.trades[-1].price if self.engine.trades else (bid[0] + ask[0]) / 2
        row = {"symbol": market.id, "bid1Price": s(bid[0]), "bid1Size": s(bid[1]), "ask1Price": s(ask[0]),
               "ask1Size": s(ask[1]), "lastPrice": s(last), "prevPrice24h": s(last), "price24hPcnt": "0",
               "highPrice24h": s(last), "lowPrice24h": s(last), "turnover24h": "0", "volume24h": "0"}
        if market.kind == "swap":
            row["markPrice"] = s(self.engine.marks.get(market.symbol, last))
        return ok({"category": _category(market), "list": [row]})

    # -- orders -----------------------------------------------------------------------------------------
    def create(self, req: Request):
        p = req.json
        market = self._market(req, p)
        tif = p.get("timeInForce", "GTC" if p.get("orderType") == "Limit" else "IOC")
        qty = p.get("qty", "0")
        if market.kind == "spot" and p.get("orderType") == "Market" and p.get("marketUnit", "quoteCoin") != "baseCoin":
            price = self.engine.levels_price(market, p["side"].lower()) or Decimal(1)
            qty = s((dec(qty) / price).quantize(market.lot, rounding="ROUND_DOWN"))  # quote -> base
        try:
            order = self.engine.place(market, p["side"].lower(), p["orderType"].lower(), qty, p.get("price"),
                                      p.get("orderLinkId", ""), tif, bool(p.get("reduceOnly")), p.get("triggerPrice"),
                                      int(p.get("triggerDirection") or 0), p.get("triggerBy", ""))
        except Reject as exc:
            raise HttpError(200, err(*CODES[exc.reason])) from None
        return ok({"orderId": order.order_id, "orderLinkId": order.client_id})

    def _ref(self, p: dict) -> str:
        return p.get("orderId") or p.get("orderLinkId") or ""

    def amend(self, req: Request):
        p = req.json
        try:
            order = self.engine.amend(self._ref(p), p.get("qty"), p.get("price"))
        except Reject as exc:
            raise HttpError(200, err(*CODES[exc.reason])) from None
        return ok({"orderId": order.order_id, "orderLinkId": order.client_id})

    def cancel(self, req: Request):
        p = req.json
        try:
            order = self.engine.cancel(self._ref(p))
        except Reject as exc:
            raise HttpError(200, err(*CODES[exc.reason])) from None
        return ok({"orderId": order.order_id, "orderLinkId": order.client_id})

    def cancel_all(self, req: Request):
        p = req.json
        kind = "spot" if p.get("category") == "spot" else "swap"
        done = []
        for order in self.engine.open_orders(kind):
            if p.get("symbol") in (None, order.market.id):
                done.append(self.engine.cancel(order.order_id))
        return ok({"list": [{"orderId": o.order_id, "orderLinkId": o.client_id} for o in done], "success": "1"})

    def _orders(self, req: Request, open_only: bool) -> list[Order]:
        q = req.query
        kind = "spot" if q.get("category") == "spot" else "swap"
        out = []
        for order in self.engine.orders.values():
            if order.market.kind != kind or ("symbol" in q and q["symbol"] != order.market.id):
                continue
            if q.get("orderId") and q["orderId"] != order.order_id:
                continue
            if q.get("orderLinkId") and q["orderLinkId"] != order.client_id:
                continue
            conditional = order.status == "untriggered"
            if kind == "spot" and conditional != (q.get("orderFilter") == "StopOrder"):
                continue  # spot lists conditional orders separately (orderFilter=StopOrder)
            if open_only and not order.is_open and not (q.get("orderId") or q.get("orderLinkId")):
                continue
            if not open_only and order.is_open:
                continue
            out.append(order)
        return sorted(out, key=lambda o: o.created_ms, reverse=True)

    def realtime(self, req: Request):
        """Open orders; with an orderId or orderLinkId also a recent closed one (Bybit keeps the last 500)."""
        return ok({"category": req.query.get("category"), "nextPageCursor": "",
                   "list": [render_order(o) for o in self._orders(req, True)]})

    def history(self, req: Request):
        return ok({"category": req.query.get("category"), "nextPageCursor": "",
                   "list": [render_order(o) for o in self._orders(req, False)]})

    def executions(self, req: Request):
        q = req.query
        kind = "spot" if q.get("category") == "spot" else "swap"
        since = int(q.get("startTime", 0))
        rows = [render_execution(t) for t in reversed(self.engine.trades)
                if t.order.market.kind == kind and q.get("symbol") in (None, t.order.market.id) and t.ts >= since]
        return ok({"category": q.get("category"), "list": rows, "nextPageCursor": ""})

    def wallet(self, req: Request):
        coins = []
        for coin, (total, locked) in sorted(self.engine.balances.items()):
            upl = sum((self._upl(sym) for sym in self.engine.positions), ZERO) if coin == "USDT" else ZERO
            coins.append({"coin": coin, "equity": s(total + upl), "walletBalance": s(total), "locked": s(locked),
                          "totalOrderIM": "0", "totalPositionIM": "0", "unrealisedPnl": s(upl),
                          "cumRealisedPnl": "0", "usdValue": "", "borrowAmount": "0", "availableToWithdraw": "",
                          "accruedInterest": "0", "bonus": "0", "marginCollateral": True, "collateralSwitch": True})
        return ok({"list": [{"accountType": "UNIFIED", "totalEquity": "", "totalWalletBalance": "",
                             "totalAvailableBalance": "", "coin": coins}]})

    def _upl(self, symbol: str) -> Decimal:
        pos = self.engine.positions[symbol]
        mark = self.engine.marks.get(symbol)
        return (mark - pos.entry) * pos.size * self.engine.market(symbol).contract_size if pos.size and mark else ZERO

    def position_list(self, req: Request):
        rows = []
        for symbol, pos in self.engine.positions.items():
            m = self.engine.market(symbol)
            if req.query.get("symbol") not in (None, m.id):
                continue
            mark = self.engine.marks.get(symbol, pos.entry)
            rows.append({"positionIdx": 0, "riskId": 1, "symbol": m.id, "side": "" if not pos.size else
                         ("Buy" if pos.size > 0 else "Sell"), "size": s(abs(pos.size)), "avgPrice": s(pos.entry),
                         "positionValue": s(abs(pos.size) * pos.entry), "tradeMode": 0, "positionStatus": "Normal",
                         "leverage": s(pos.leverage), "markPrice": s(mark), "liqPrice": "", "bustPrice": "",
                         "positionIM": s(abs(pos.size) * pos.entry / pos.leverage), "positionMM": "",
                         "takeProfit": "", "stopLoss": "", "trailingStop": "0", "unrealisedPnl": s(self._upl(symbol)),
                         "curRealisedPnl": s(pos.realized), "cumRealisedPnl": s(pos.realized),
                         "createdTime": str(pos.updated_ms), "updatedTime": str(pos.updated_ms), "seq": 1,
                         "isReduceOnly": False, "tpslMode": "Full", "adlRankIndicator": 0})
        return ok({"category": "linear", "list": rows, "nextPageCursor": ""})

    # -- websockets -------------------------------------------------------------------------------------
    def ws_path_ok(self, host: str, path: str) -> bool:
        return host in HOSTS and path in ("/v5/public/spot", "/v5/public/linear", "/v5/private")

    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        msg = json.loads(text)
        op, req_id = msg.get("op"), msg.get("req_id")
        if op == "ping":
            await self.send(conn, {"success": True, "ret_msg": "pong", "conn_id": "fake", "req_id": req_id,
                                   "op": "ping"})
        elif op == "auth":
            await self._auth(conn, msg)
        elif op == "subscribe":
            if conn.private and not conn.authed:
                await self.send(conn, {"success": False, "ret_msg": "Request not authorized", "conn_id": "fake",
                                       "req_id": req_id, "op": "subscribe"})
                return
            conn.topics.update(msg.get("args") or [])
            await self.send(conn, {"success": True, "ret_msg": "", "conn_id": "fake", "req_id": req_id,
                                   "op": "subscribe"})
            for topic in msg.get("args") or []:
                if topic.startswith("orderbook."):
                    await self._snapshot(conn, topic)
        else:
            await self.send(conn, {"success": False, "ret_msg": f"error:handler not found,topic:{op}",
                                   "conn_id": "fake", "req_id": req_id, "op": op})

    async def _auth(self, conn: WsConn, msg: dict) -> None:
        key, expires, signature = (msg.get("args") or [None, None, None])[:3]
        secret, env = self.keys.get(key, (None, None))
        good = secret is not None and env == HOSTS.get(conn.host) and int(expires) > now_ms() and \
            hmac.compare_digest(hmac.new(secret.encode(), f"GET/realtime{expires}".encode(),
                                         hashlib.sha256).hexdigest(), signature or "")
        conn.authed = good
        reply = {"success": good, "ret_msg": "" if good else "error:USVC1111", "op": "auth", "conn_id": "fake"}
        if not good:
            reply["request"] = {"op": "auth", "args": [key, expires, "***"]}
        await self.send(conn, reply)

    async def _snapshot(self, conn: WsConn, topic: str) -> None:
        market_id = topic.split(".")[2]
        kind = "spot" if conn.path.endswith("spot") else "swap"
        market = self.engine.by_venue_id(kind, market_id)
        if market is None:
            return
        book = self.engine.books[market.symbol]
        depth = int(topic.split(".")[1])
        data = {"s": market.id, "b": [[s(p), s(q)] for p, q in book.sorted_bids()[:depth]],
                "a": [[s(p), s(q)] for p, q in book.sorted_asks()[:depth]], "u": book.seq, "seq": book.seq}
        await self.send(conn, {"topic": topic, "type": "snapshot", "ts": now_ms(), "data": data, "cts": now_ms()})

    async def _publish(self, market: Market, type_: str, data: dict) -> int:
        path = "/v5/public/spot" if market.kind == "spot" else "/v5/public/linear"
        sent = 0
        for conn in list(self.connections):
            for topic in conn.topics:
                if conn.path == path and topic.startswith("orderbook.") and topic.endswith("." + market.id):
                    await self.send(conn, {"topic": topic, "type": type_, "ts": now_ms(), "data": data,
                                           "cts": now_ms()})
                    sent += 1
        return sent

    async def flush(self) -> None:
        for kind, obj in self.engine.take_events():
            if kind == "order":
                payload = {"id": f"fake-{now_ms()}", "topic": "order", "creationTime": now_ms(),
                           "data": [dict(render_order(obj), category=_category(obj.market))]}
                topic = "order"
            elif kind == "trade":
                payload = {"id": f"fake-{now_ms()}", "topic": "execution", "creationTime": now_ms(),
                           "data": [dict(render_execution(obj), category=_category(obj.order.market))]}
                topic = "execution"
            else:
                continue
            for conn in list(self.connections):
                if conn.private and conn.authed and topic in conn.topics:
                    await self.send(conn, payload)


# -- shapes ------------------------------------------------------------------------------------------------
def ok(result) -> dict:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms()}


def err(code: int, msg: str) -> dict:
    return {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": now_ms()}


def instrument(m: Market) -> dict:
    if m.kind == "spot":
        return {"symbol": m.id, "baseCoin": m.base, "quoteCoin": m.quote, "innovation": "0", "status": "Trading",
                "marginTrading": "utaOnly", "stTag": "0",
                "lotSizeFilter": {"basePrecision": s(m.lot), "quotePrecision": "0.00000001",
                                  "minOrderQty": s(m.min_qty), "maxOrderQty": "71", "minOrderAmt": s(m.min_notional),
                                  "maxOrderAmt": "2000000"},
                "priceFilter": {"tickSize": s(m.tick)}, "riskParameters": {"priceLimitRatioX": "0.01",
                                                                           "priceLimitRatioY": "0.02"}}
    return {"symbol": m.id, "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": m.base,
            "quoteCoin": m.quote, "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
            "priceScale": "1", "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
            "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": s(m.tick)},
            "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": s(m.min_qty), "qtyStep": s(m.lot),
                              "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "119.000",
                              "minNotionalValue": s(m.min_notional)},
            "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": m.settle, "copyTrading": "both",
            "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False}


def render_order(o: Order) -> dict:
    status = STATUS[o.status]
    if o.status == "canceled" and o.filled and o.market.kind == "spot":
        status = "PartiallyFilledCanceled"
    return {"orderId": o.order_id, "orderLinkId": o.client_id, "blockTradeId": "", "symbol": o.market.id,
            "price": s(o.price) if o.price is not None else "0", "qty": s(o.qty), "side": o.side.capitalize(),
            "isLeverage": "", "positionIdx": 0, "orderStatus": status, "cancelType": "UNKNOWN",
            "rejectReason": o.reject_reason or "EC_NoError", "avgPrice": s(o.average) if o.filled else "",
            "leavesQty": s(o.remaining if o.is_open else ZERO), "leavesValue": "", "cumExecQty": s(o.filled),
            "cumExecValue": s(o.cost), "cumExecFee": s(o.fee), "timeInForce": TIF.get(o.tif, "GTC"),
            "orderType": o.type.capitalize(), "stopOrderType": "Stop" if o.trigger_price else "", "orderIv": "",
            "triggerPrice": s(o.trigger_price), "takeProfit": "", "stopLoss": "", "tpTriggerBy": "",
            "slTriggerBy": "", "triggerDirection": o.trigger_direction, "triggerBy": o.trigger_by,
            "lastPriceOnCreated": "", "reduceOnly": o.reduce_only, "closeOnTrigger": False, "smpType": "None",
            "smpGroup": 0, "smpOrderId": "", "tpslMode": "", "tpLimitPrice": "", "slLimitPrice": "", "placeType": "",
            "createdTime": str(o.created_ms), "updatedTime": str(o.updated_ms)}


def render_execution(t: Trade) -> dict:
    o = t.order
    return {"symbol": o.market.id, "orderType": o.type.capitalize(), "underlyingPrice": "",
            "orderLinkId": o.client_id, "side": o.side.capitalize(), "indexPrice": "", "orderId": o.order_id,
            "stopOrderType": "", "leavesQty": s(o.remaining), "execTime": str(t.ts), "feeCurrency": t.fee_currency,
            "isMaker": t.maker, "execFee": s(t.fee), "feeRate": s(o.market.maker_fee if t.maker else o.market.taker_fee),
            "execId": f"e0cbe81d-0f18-5866-{int(t.trade_id):04d}-cf319b5dab3b", "tradeIv": "", "blockTradeId": "",
            "markPrice": "", "execPrice": s(t.price), "markIv": "", "orderQty": s(o.qty),
            "orderPrice": s(o.price) if o.price is not None else "0", "execValue": s(t.price * t.qty),
            "execType": "Trade", "execQty": s(t.qty), "closedSize": "", "seq": int(t.trade_id)}
