"""Offline fake of OKX v5: spot BTC-USDT and the USDT perpetual BTC-USDT-SWAP (1 contract = 0.01 BTC), REST and
websockets, live and demo trading. Real ccxt.pro classes talk to it with real signing and the passphrase.

As unfriendly as OKX: demo trading is the same host with an ``x-simulated-trading: 1`` header, and a key works
in its own environment only (50101 otherwise); the create and cancel answers carry ids and an sCode, no state;
a batch's failure is in ``data[].sCode`` under ``code`` "1"; fees are negative numbers; the books stream
chains ``seqId``/``prevSeqId``; the private stream needs a signed ``login``; keep-alive is a text "ping".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from decimal import Decimal

from .fake_server import FakeServer, HttpError, Request, WsConn
from .venue_engine import ZERO, Engine, EngineControls, Market, Order, Reject, Trade, dec, now_ms

API_KEY, SECRET, PASSPHRASE = "okx-demo-key-0001", "OKXDEMOSECRET00000000000000000", "Demo-Pass-1"
MARKETS = (
    Market("BTC/USDT", "BTC-USDT", "spot", "BTC", "USDT", Decimal("0.1"), Decimal("0.00000001"), Decimal("0.00001"),
           maker_fee=Decimal("0.0008"), taker_fee=Decimal("0.001")),
    Market("BTC/USDT:USDT", "BTC-USDT-SWAP", "swap", "BTC", "USDT", Decimal("0.1"), Decimal("0.01"), Decimal("0.01"),
           contract_size=Decimal("0.01")),
)
CODES = {"insufficient": ("51008", "Order failed. Insufficient USDT balance in account."),
         "duplicate_client_id": ("51016", "Duplicated clOrdId"),
         "not_found": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
         "reduce_only": ("51169", "Order failed because you don't have any positions in this direction for this "
                                  "contract to reduce or close."),
         "bad_qty": ("51121", "Order quantity must be a multiple of the lot size."),
         "bad_price": ("51006", "Order price is out of the price limit."),
         "min_notional": ("51020", "Your order should meet or exceed the minimum order amount.")}
STATE = {"new": "live", "partially_filled": "partially_filled", "filled": "filled", "canceled": "canceled",
         "rejected": "canceled", "untriggered": "live"}
ORD_TYPE = {"GTC": "limit", "IOC": "ioc", "FOK": "fok", "PostOnly": "post_only"}


def s(value) -> str:
    if value is None:
        return ""
    text = format(dec(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _inst_type(m: Market) -> str:
    return "SPOT" if m.kind == "spot" else "SWAP"


class FakeOkx(EngineControls, FakeServer):
    name = "fake okx"

    def __init__(self, keys: dict[str, tuple[str, str, str]] | None = None, balances: dict[str, str] | None = None,
                 hang_seconds: float = 30.0):
        super().__init__(hang_seconds)
        self.keys = keys or {API_KEY: (SECRET, PASSPHRASE, "demo")}  # key -> (secret, passphrase, environment)
        self.engine = Engine(list(MARKETS), balances or {"USDT": "10000", "BTC": "1"}, id_prefix="6589")
        self.fees = (Decimal("0.0009"), Decimal("0.0006"))  # (taker, maker) this account pays (charged: negative)
        self.maintenance: list[dict] = []  # {"state": "scheduled" | "ongoing" | ..., "begin": ms, "end": ms}
        self.routes = {
            ("GET", "/api/v5/public/instruments"): ("public", self.instruments),
            ("GET", "/api/v5/market/books"): ("public", self.books),
            ("GET", "/api/v5/market/ticker"): ("public", self.ticker),
            ("GET", "/api/v5/system/status"): ("public", lambda r: ok([dict(
                {"title": "Spot system upgrade", "href": "https://www.okx.com/help/", "preOpenBegin": "",
                 "scheDesc": "", "serviceType": "0", "maintType": "1", "env": "1", "system": "unified"},
                **{k: str(v) if k in ("begin", "end") else v for k, v in w.items()}) for w in self.maintenance])),
            ("GET", "/api/v5/account/trade-fee"): ("private", lambda r: ok([
                {"category": "1", "delivery": "", "exercise": "", "instType": r.query.get("instType", "SPOT"),
                 "level": "Lv1", "maker": s(-self.fees[1]), "makerU": "", "taker": s(-self.fees[0]), "takerU": "",
                 "ts": str(now_ms())}])),
            ("GET", "/api/v5/public/time"): ("public", lambda r: ok([{"ts": str(now_ms())}])),
            ("GET", "/api/v5/asset/currencies"): ("private", lambda r: ok([
                {"ccy": c, "chain": f"{c}-{c}", "canDep": True, "canWd": True, "canInternal": True, "name": c,
                 "minWd": "0.0001", "maxFee": "0", "minFee": "0", "mainNet": True} for c in ("BTC", "USDT")])),
            ("POST", "/api/v5/trade/batch-orders"): ("private", self.batch_orders),
            ("POST", "/api/v5/trade/order"): ("private", lambda r: self.batch_orders(r, [r.json])),
            ("POST", "/api/v5/trade/amend-order"): ("private", self.amend),
            ("POST", "/api/v5/trade/cancel-order"): ("private", self.cancel),
            ("GET", "/api/v5/trade/orders-pending"): ("private", lambda r: ok(self._orders(r, open_=True))),
            ("GET", "/api/v5/trade/orders-history"): ("private", lambda r: ok(self._orders(r, open_=False))),
            ("GET", "/api/v5/trade/order"): ("private", self.get_order),
            ("GET", "/api/v5/trade/fills"): ("private", self.fills),
            ("GET", "/api/v5/trade/fills-history"): ("private", self.fills),
            ("GET", "/api/v5/account/balance"): ("private", self.balance_answer),
            ("GET", "/api/v5/account/positions"): ("private", self.positions_answer),
            ("GET", "/api/v5/account/config"): ("private", lambda r: ok([{"acctLv": "2", "posMode": "net_mode",
                                                                           "uid": "44705892343619584"}])),
        }

    # -- test controls (set_book, fill, order ... in EngineControls) ------------------------------------
    async def push_book(self, symbol: str, bids=(), asks=(), *, gap: bool = False) -> int:
        market = self.engine.market(symbol)
        book = self.engine.books[symbol]
        previous = book.seq
        book.apply(bids, asks)
        if gap:
            book.seq += 1  # one update this client never saw
        data = {"asks": [[s(p), s(q), "0", "1"] for p, q in asks], "bids": [[s(p), s(q), "0", "1"] for p, q in bids],
                "ts": str(now_ms()), "checksum": 0, "seqId": book.seq, "prevSeqId": previous}
        sent = 0
        for conn in list(self.connections):
            if ("books", market.id) in conn.topics:
                await self.send(conn, {"arg": {"channel": "books", "instId": market.id}, "action": "update",
                                       "data": [data]})
                sent += 1
        return sent

    def private_streams(self) -> list[WsConn]:
        return [c for c in self.connections if c.private and c.authed and ("orders", "ANY") in c.topics]

    # -- auth ---------------------------------------------------------------------------------------------
    def authorize(self, req: Request) -> None:
        key = req.headers.get("OK-ACCESS-KEY", "")
        record = self.keys.get(key)
        if record is None:
            raise HttpError(401, {"code": "50111", "msg": "Invalid OK-ACCESS-KEY", "data": []})
        secret, passphrase, env = record
        demo = req.headers.get("x-simulated-trading") == "1"
        if (env == "demo") != demo:
            raise HttpError(401, {"code": "50101", "msg": "APIKey does not match current environment.", "data": []})
        if req.headers.get("OK-ACCESS-PASSPHRASE") != passphrase:
            raise HttpError(401, {"code": "50105", "msg": "OK-ACCESS-PASSPHRASE incorrect.", "data": []})
        ts = req.headers.get("OK-ACCESS-TIMESTAMP", "")
        path = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        digest = hmac.new(secret.encode(), f"{ts}{req.method}{path}{req.body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), req.headers.get("OK-ACCESS-SIGN", "")):
            raise HttpError(401, {"code": "50113", "msg": "Invalid Sign", "data": []})
        sent = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000
        if abs(now_ms() - sent) > 30_000:
            raise HttpError(401, {"code": "50102", "msg": "Timestamp request expired", "data": []})

    def rate_limited(self):
        return 429, {"code": "50011", "msg": "Too Many Requests", "data": []}

    def server_error(self):
        return 503, {"code": "50001", "msg": "Service temporarily unavailable. Try again later", "data": []}

    # -- market data --------------------------------------------------------------------------------------
    def instruments(self, req: Request):
        return ok([instrument(m) for m in MARKETS if _inst_type(m) == req.query.get("instType")])

    def _by_inst(self, inst_id: str) -> Market:
        market = next((m for m in MARKETS if m.id == inst_id), None)
        if market is None:
            raise HttpError(400, {"code": "51001", "msg": f"Instrument ID does not exist: {inst_id}", "data": []})
        return market

    def books(self, req: Request):
        market = self._by_inst(req.query.get("instId", ""))
        book = self.engine.books[market.symbol]
        depth = int(req.query.get("sz", 1))
        return ok([{"asks": [[s(p), s(q), "0", "1"] for p, q in book.sorted_asks()[:depth]],
                    "bids": [[s(p), s(q), "0", "1"] for p, q in book.sorted_bids()[:depth]], "ts": str(now_ms())}])

    def ticker(self, req: Request):
        market = self._by_inst(req.query.get("instId", ""))
        book = self.engine.books[market.symbol]
        bid, ask = (book.sorted_bids() or [(ZERO, ZERO)])[0], (book.sorted_asks() or [(ZERO, ZERO)])[0]
        last = self.engine.trades[-1].price if self.engine.trades else (bid[0] + ask[0]) / 2
        return ok([{"instType": _inst_type(market), "instId": market.id, "last": s(last), "lastSz": "0",
                    "askPx": s(ask[0]), "askSz": s(ask[1]), "bidPx": s(bid[0]), "bidSz": s(bid[1]), "open24h": s(last),
                    "high24h": s(last), "low24h": s(last), "volCcy24h": "0", "vol24h": "0", "sodUtc0": s(last),
                    "sodUtc8": s(last), "ts": str(now_ms())}])

    # -- orders -------------------------------------------------------------------------------------------
    def batch_orders(self, req: Request, body: list | None = None):
        results, failed = [], 0
        for p in body if body is not None else req.json:
            market = self._by_inst(p.get("instId", ""))
            ord_type = p.get("ordType", "limit")
            tif = {"ioc": "IOC", "fok": "FOK", "post_only": "PostOnly", "optimal_limit_ioc": "IOC"}.get(ord_type, "GTC")
            kind = "market" if ord_type in ("market", "optimal_limit_ioc") else "limit"
            qty = p.get("sz", "0")
            if market.kind == "spot" and kind == "market" and p.get("side") == "buy" and \
                    p.get("tgtCcy", "quote_ccy") == "quote_ccy":
                price = self.engine.levels_price(market, "buy") or Decimal(1)
                qty = s((dec(qty) / price).quantize(market.lot, rounding="ROUND_DOWN"))  # quote -> base
            try:
                order = self.engine.place(market, p.get("side", ""), kind, qty, p.get("px"), p.get("clOrdId", ""), tif,
                                          str(p.get("reduceOnly", "")).lower() == "true")
                results.append({"clOrdId": order.client_id, "ordId": order.order_id, "tag": p.get("tag", ""),
                                "ts": str(now_ms()), "sCode": "0", "sMsg": "Order placed"})
            except Reject as exc:
                failed += 1
                code, msg = CODES[exc.reason]
                results.append({"clOrdId": p.get("clOrdId", ""), "ordId": "", "tag": "", "ts": str(now_ms()),
                                "sCode": code, "sMsg": msg})
        if failed:
            raise HttpError(200, {"code": "1" if failed == len(results) else "2",
                                  "msg": "All operations failed" if failed == len(results) else "Bulk operation "
                                  "partially succeeded", "data": results, "inTime": str(now_ms()),
                                  "outTime": str(now_ms())})
        return ok(results)

    def _ref(self, p: dict) -> str:
        return p.get("ordId") or p.get("clOrdId") or ""

    def _single(self, fn, p: dict):
        try:
            order = fn()
        except Reject as exc:
            code, msg = CODES[exc.reason]
            raise HttpError(200, {"code": "1", "msg": "", "data": [{"clOrdId": p.get("clOrdId", ""), "ordId":
                                  p.get("ordId", ""), "sCode": code, "sMsg": msg, "ts": str(now_ms())}]}) from None
        return ok([{"clOrdId": order.client_id, "ordId": order.order_id, "reqId": "", "ts": str(now_ms()),
                    "sCode": "0", "sMsg": ""}])

    def amend(self, req: Request):
        p = req.json
        return self._single(lambda: self.engine.amend(self._ref(p), p.get("newSz"), p.get("newPx")), p)

    def cancel(self, req: Request):
        p = req.json
        return self._single(lambda: self.engine.cancel(self._ref(p)), p)

    def _orders(self, req: Request, open_: bool) -> list[dict]:
        q = req.query
        rows = [o for o in self.engine.orders.values() if o.is_open == open_
                and q.get("instType") in (None, _inst_type(o.market)) and q.get("instId") in (None, o.market.id)]
        return [render_order(o) for o in sorted(rows, key=lambda o: o.created_ms, reverse=True)]

    def get_order(self, req: Request):
        order = self.engine.find(req.query.get("ordId") or req.query.get("clOrdId") or "")
        if order is None or order.market.id != req.query.get("instId"):
            raise HttpError(200, {"code": "51603", "msg": "Order does not exist", "data": []})
        return ok([render_order(order)])

    def fills(self, req: Request):
        q = req.query
        rows = [render_fill(t) for t in reversed(self.engine.trades)
                if q.get("instType") in (None, _inst_type(t.order.market)) and q.get("instId") in (None, t.order.market.id)
                and t.ts >= int(q.get("begin", 0))]
        return ok(rows)

    def balance_answer(self, req: Request):
        details = []
        for ccy, (total, locked) in sorted(self.engine.balances.items()):
            upl = sum((self._upl(sym) for sym in self.engine.positions), ZERO) if ccy == "USDT" else ZERO
            details.append({"ccy": ccy, "cashBal": s(total), "eq": s(total + upl), "availBal": s(total - locked),
                            "availEq": s(total - locked + upl), "frozenBal": s(locked), "ordFrozen": s(locked),
                            "upl": s(upl), "uTime": str(now_ms()), "disEq": s(total), "eqUsd": ""})
        return ok([{"adjEq": "", "details": details, "imr": "", "isoEq": "0", "mgnRatio": "", "mmr": "",
                    "notionalUsd": "", "ordFroz": "", "totalEq": "", "uTime": str(now_ms()), "upl": ""}])

    def _upl(self, symbol: str) -> Decimal:
        pos, mark = self.engine.positions[symbol], self.engine.marks.get(symbol)
        return (mark - pos.entry) * pos.size * self.engine.market(symbol).contract_size if pos.size and mark else ZERO

    def positions_answer(self, req: Request):
        rows = []
        for symbol, pos in self.engine.positions.items():
            if not pos.size:
                continue  # OKX lists open positions only
            m = self.engine.market(symbol)
            mark = self.engine.marks.get(symbol, pos.entry)
            rows.append({"adl": "1", "availPos": "", "avgPx": s(pos.entry), "cTime": str(pos.updated_ms), "ccy": "USDT",
                         "imr": s(abs(pos.size) * m.contract_size * mark / pos.leverage), "instId": m.id,
                         "instType": "SWAP", "lever": s(pos.leverage), "liqPx": "", "markPx": s(mark),
                         "mgnMode": "cross", "mmr": "", "notionalUsd": s(abs(pos.size) * m.contract_size * mark),
                         "pos": s(pos.size), "posSide": "net", "realizedPnl": s(pos.realized), "upl": s(self._upl(symbol)),
                         "uTime": str(pos.updated_ms), "posId": "1752810569801498626", "last": s(mark)})
        return ok(rows)

    # -- websockets ---------------------------------------------------------------------------------------
    def ws_path_ok(self, host: str, path: str) -> bool:
        return host in ("ws.okx.com", "wspap.okx.com") and path in ("/ws/v5/public", "/ws/v5/private",
                                                                     "/ws/v5/business")

    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        if text == "ping":
            await self.send(conn, "pong")
            return
        msg = json.loads(text)
        op = msg.get("op")
        if op == "login":
            await self._login(conn, (msg.get("args") or [{}])[0])
        elif op == "subscribe":
            for arg in msg.get("args") or []:
                if conn.private and not conn.authed:
                    await self.send(conn, {"event": "error", "code": "60011", "msg": "Please log in", "connId": "f"})
                    return
                channel = arg.get("channel")
                conn.topics.add((channel, arg.get("instId") or arg.get("instType")))
                await self.send(conn, {"event": "subscribe", "arg": arg, "connId": "fakeconn"})
                if channel == "books":
                    await self._snapshot(conn, arg["instId"])
        else:
            await self.send(conn, {"event": "error", "code": "60012", "msg": f"Invalid request: {text[:80]}",
                                   "connId": "fakeconn"})

    async def _login(self, conn: WsConn, args: dict) -> None:
        record = self.keys.get(args.get("apiKey", ""))
        demo = conn.host == "wspap.okx.com" and conn.query.get("brokerId") == "9999"
        good = False
        if record is not None and (record[2] == "demo") == demo and args.get("passphrase") == record[1]:
            message = f"{args.get('timestamp')}GET/users/self/verify"
            expected = base64.b64encode(hmac.new(record[0].encode(), message.encode(), hashlib.sha256).digest())
            good = hmac.compare_digest(expected.decode(), args.get("sign", ""))
        conn.authed = good
        if good:
            await self.send(conn, {"event": "login", "code": "0", "msg": "", "connId": "fakeconn"})
        else:
            await self.send(conn, {"event": "error", "code": "60009", "msg": "Login failed.", "connId": "fakeconn"})

    async def _snapshot(self, conn: WsConn, inst_id: str) -> None:
        market = self._by_inst(inst_id)
        book = self.engine.books[market.symbol]
        data = {"asks": [[s(p), s(q), "0", "1"] for p, q in book.sorted_asks()],
                "bids": [[s(p), s(q), "0", "1"] for p, q in book.sorted_bids()], "ts": str(now_ms()),
                "checksum": 0, "seqId": book.seq, "prevSeqId": -1}
        await self.send(conn, {"arg": {"channel": "books", "instId": inst_id}, "action": "snapshot", "data": [data]})

    async def flush(self) -> None:
        last_trade: dict[str, Trade] = {}
        pushes: list[dict] = []
        for kind, obj in self.engine.take_events():
            if kind == "trade":
                last_trade[obj.order.order_id] = obj
                pushes.append(render_order(obj.order, obj))  # OKX reports a fill as an order update with its trade
            elif kind == "order" and obj.order_id not in last_trade:
                pushes.append(render_order(obj))
        for row in pushes:
            payload = {"arg": {"channel": "orders", "instType": "ANY", "uid": "44705892343619584"}, "data": [row]}
            for conn in self.private_streams():
                await self.send(conn, payload)


# -- shapes --------------------------------------------------------------------------------------------------
def ok(data) -> dict:
    return {"code": "0", "msg": "", "data": data}


def instrument(m: Market) -> dict:
    row = {"alias": "", "baseCcy": "", "category": "1", "ctMult": "", "ctType": "", "ctVal": "", "ctValCcy": "",
           "expTime": "", "instFamily": "", "instId": m.id, "instType": _inst_type(m), "lever": "10",
           "listTime": "1548133413000", "lotSz": s(m.lot), "maxIcebergSz": "9999999999", "maxLmtAmt": "20000000",
           "maxLmtSz": "9999999999", "maxMktAmt": "1000000", "maxMktSz": "1000000", "maxStopSz": "1000000",
           "maxTriggerSz": "9999999999", "maxTwapSz": "9999999999", "minSz": s(m.min_qty), "optType": "",
           "quoteCcy": "", "ruleType": "normal", "settleCcy": "", "state": "live", "stk": "", "tickSz": s(m.tick),
           "uly": ""}
    if m.kind == "spot":
        row.update(baseCcy=m.base, quoteCcy=m.quote)
    else:
        row.update(ctMult="1", ctType="linear", ctVal=s(m.contract_size), ctValCcy=m.base, instFamily=f"{m.base}-{m.quote}",
                   lever="100", settleCcy=m.settle, uly=f"{m.base}-{m.quote}")
    return row


def render_order(o: Order, trade: Trade | None = None) -> dict:
    row = {"accFillSz": s(o.filled), "algoClOrdId": "", "algoId": "", "attachAlgoClOrdId": "", "attachAlgoOrds": [],
           "avgPx": s(o.average) if o.filled else "", "cTime": str(o.created_ms), "cancelSource": "",
           "category": "normal", "ccy": "", "clOrdId": o.client_id, "fee": s(-o.fee),
           "feeCcy": o.market.base if o.market.kind == "spot" and o.side == "buy" else o.market.quote,
           "fillPx": "", "fillSz": "0", "fillTime": "", "instId": o.market.id, "instType": _inst_type(o.market),
           "lever": "" if o.market.kind == "spot" else "10", "ordId": o.order_id,
           "ordType": "market" if o.type == "market" else ORD_TYPE.get(o.tif, "limit"), "pnl": "0",
           "posSide": "net" if o.market.kind != "spot" else "", "px": s(o.price), "pxType": "", "pxUsd": "",
           "pxVol": "", "quickMgnType": "", "rebate": "0", "rebateCcy": o.market.quote,
           "reduceOnly": "true" if o.reduce_only else "false", "side": o.side, "slOrdPx": "", "slTriggerPx": "",
           "slTriggerPxType": "", "source": "", "state": STATE[o.status], "stpId": "", "stpMode": "cancel_maker",
           "sz": s(o.qty), "tag": "", "tdMode": "cash" if o.market.kind == "spot" else "cross", "tgtCcy": "",
           "tpOrdPx": "", "tpTriggerPx": "", "tpTriggerPxType": "", "tradeId": "", "uTime": str(o.updated_ms)}
    if trade is not None:
        row.update(fillPx=s(trade.price), fillSz=s(trade.qty), tradeId=trade.trade_id, fillTime=str(trade.ts),
                   fillFee=s(-trade.fee), fillFeeCcy=trade.fee_currency, execType="M" if trade.maker else "T")
    return row


def render_fill(t: Trade) -> dict:
    o = t.order
    return {"side": o.side, "fillSz": s(t.qty), "fillPx": s(t.price), "fillPxVol": "", "fillFwdPx": "",
            "fee": s(-t.fee), "fillPnl": "0", "ordId": o.order_id, "feeRate": "", "instType": _inst_type(o.market),
            "fillPxUsd": "", "instId": o.market.id, "clOrdId": o.client_id, "posSide": "net", "billId": t.trade_id,
            "subType": "1", "fillMarkVol": "", "tag": "", "fillTime": str(t.ts), "execType": "M" if t.maker else "T",
            "fillIdxPx": "", "tradeId": t.trade_id, "fillMarkPx": "", "feeCcy": t.fee_currency, "ts": str(t.ts)}
