"""The rule copilot's reading of a trader's everyday words: what to do with a position, a partial fill,
an order in doubt, a price that is off the tick. No model: phrases, the account as the Desk holds it
now, and the market's rules. Anything it does not recognise falls through to the order grammar in
rules.py. Every proposal still goes through the same tools, validation and gate as a model's.

    close my BTC perp position | get me out of BTC perp now | get me flat on BTC perp
    protect my ETH with a stop 3% below the market | put a stop at 64,000 on my BTC perp position
    buy 0.01 BTC perp if it breaks above 65,500 | buy 0.5 ETH but don't pay the spread
    spend about 1,000 USDT on ETH with a limit at 3,125 | buy as much ETH as the risk limits allow at 3,150
    my ETH bid filled 40%: cancel the rest | ... move the rest down to 3,199 | ... buy what is left at the market
    send it again (refused for an order in doubt; proposed again after a definite refusal)
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ..domain.market import Market
from ..domain.orders import Order, OrderStatus, Side
from ..domain.reports import Balance
from .tools import _floor

_NUM = r"(\d[\d,_]*(?:\.\d+)?|\.\d+)"
_ASSET = re.compile(r"\b([a-z]{2,6})\b(\s+perp(?:etual)?)?", re.I)


def _n(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("_", ""))


def _has(text: str, *phrases: str) -> bool:
    return any(p in text for p in phrases)


class Reader:
    """One request, read against the account and the markets as they are now."""

    def __init__(self, strategist: Any, session: Any, prompt: str):
        """``strategist`` is the RuleStrategist (its ``_stage``), ``session`` the turn's ToolSession."""
        self.s, self.session, self.view = strategist, session, session.view
        self.raw, self.text = prompt, " ".join(prompt.lower().replace("’", "'").split())

    # -- what the words name ---------------------------------------------------------------------
    def market(self) -> Market | None:
        perp_words = _has(self.text, "perp", "perpetual", "short", "go long", "long ")
        bases = {self.view.market(v, s).base for v, s in self.view.markets()}
        for match in _ASSET.finditer(self.text):
            word = match.group(1).upper()
            if word in bases:
                return self._find(word, bool(match.group(2)) or (perp_words and self._has_perp(word)))
        return None

    def _has_perp(self, base: str) -> bool:
        return any(self.view.market(v, s).base == base and self.view.market(v, s).is_derivative
                   for v, s in self.view.markets())

    def _find(self, base: str, perp: bool) -> Market | None:
        for v, s in self.view.markets():
            m = self.view.market(v, s)
            if m.base == base and m.is_derivative == perp:
                return m
        return None

    def holding(self, m: Market) -> Decimal:
        """Signed size held: the position on a derivative, the free coin on spot."""
        if m.is_derivative:
            return self.view.position(m.venue, m.symbol).size
        return self.view.balances(m.venue).get(m.base, Balance(m.base)).free

    def price_after(self, *words: str) -> Decimal | None:
        for word in words:
            match = re.search(rf"\b{word}\s+\$?{_NUM}", self.text)
            if match:
                return _n(match.group(1))
        return None

    def amount(self) -> Decimal | None:
        match = re.search(rf"\b(?:buy|sell|short|long|spend|up to)\s+(?:about\s+)?{_NUM}", self.text)
        return _n(match.group(1)) if match else None

    def percent(self) -> Decimal | None:
        match = re.search(rf"{_NUM}\s*%", self.text)
        return _n(match.group(1)) if match else None

    def side(self) -> Side | None:
        if re.search(r"\b(buy|go long|long|spend)\b", self.text):
            return Side.BUY
        if re.search(r"\b(sell|short|go short)\b", self.text):
            return Side.SELL
        return None

    # -- the account -------------------------------------------------------------------------------
    def in_doubt(self, m: Market | None = None, side: Side | None = None) -> list[Order]:
        return [o for o in self.view.orders() if o.status is OrderStatus.IN_DOUBT
                and (m is None or o.symbol == m.symbol) and (side is None or o.side is side)]

    def partial(self) -> Order | None:
        """The newest working order with a fill: what 'the rest' means."""
        working = [o for o in self.view.orders() if o.status in (OrderStatus.PARTIALLY_FILLED, OrderStatus.OPEN)
                   and o.filled > 0]
        return working[-1] if working else None

    def last_sent(self) -> Order | None:
        sent = [o for o in self.view.orders() if o.status in (OrderStatus.REJECTED, OrderStatus.IN_DOUBT)]
        return sent[-1] if sent else None


async def handle(strategist: Any, prompt: str, session: Any) -> str | None:
    """The answer to the request, or None when the words are not recognised here."""
    r = Reader(strategist, session, prompt)
    t = r.text
    if re.search(r"\b(again|retry)\b", t) and not r.amount():
        return await _again(r)
    if _has(t, "the rest", "what is left", "leave it") and r.partial() is not None \
            and not _has(t, "position"):
        return await _rest(r)
    if _has(t, "close", "get me out", "get out", "flat", "flatten"):
        return await _close(r)
    if _has(t, "protect", "stop at", "stop-loss at", "a stop ") and not _has(t, "take-profit", "take profit"):
        return await _protect(r)
    if t.endswith("?") and r.side() is None:
        return await _answer(r)
    return await _order(r)


async def _stage(r: Reader, tool: str, args: dict[str, Any], m: Market) -> str:
    return (await r.s._stage(r.session, tool, {"venue": m.venue, "symbol": m.symbol, **args}, m)).text


async def _answer(r: Reader) -> str:
    m = r.market()
    if m is None:
        return "Ask about a market by name, e.g. 'what is the spread on ETH?'"
    book = r.view.book(m.venue, m.symbol)
    size = r.holding(m)
    return (f"{m.symbol}: bid {book.best_bid if book else '?'}, ask {book.best_ask if book else '?'}, "
                   f"spread {book.spread if book else '?'}; you hold {size} {m.base}. No order proposed.")


async def _again(r: Reader) -> str:
    last = r.last_sent()
    if last is None:
        return "I see no refused order to propose again."
    if last.status is OrderStatus.IN_DOUBT:
        return (f"Order {last.client_order_id} ({last.side.value} {last.amount} {last.symbol}) is in doubt: "
                       f"the venue may have it. I will not propose it again until the venue answers.")
    m = r.view.market(last.venue, last.symbol)
    spec = last.spec
    args: dict[str, Any] = {"side": spec.side.value, "type": spec.type.value, "amount": str(spec.amount),
                            "rationale": f"{last.client_order_id} was refused ({last.reason or 'rejected'}); nothing "
                                         f"was placed, so the same order again."}
    if spec.price is not None:
        price = spec.price
        if spec.post_only:  # a post-only order that would have crossed goes back at today's touch
            book = r.view.book(m.venue, m.symbol)
            touch = book.best_bid if spec.side is Side.BUY else book.best_ask
            price = min(price, touch) if spec.side is Side.BUY else max(price, touch)
            args["post_only"] = True
        args["price"] = str(price)
    return await _stage(r, "stage_order", args, m)


async def _rest(r: Reader) -> str:
    o = r.partial()
    assert o is not None
    left = o.amount - o.filled
    if _has(r.text, "leave"):
        return f"{o.client_order_id} has {o.filled} filled and {left} still working; leaving it as it is."
    price = r.price_after("to")
    if price is not None and _has(r.text, "move"):
        result = await r.session.call("propose_modify", {"client_order_id": o.client_order_id, "price": str(price),
                                                         "rationale": f"Move the unfilled {left} to {price}."})
        return "Proposed: " + result.proposal.summary() if result.ok else "; ".join(map(str, result.errors))
    result = await r.session.call("propose_cancel", {"client_order_id": o.client_order_id, "rationale":
                                                     f"{o.filled} of {o.amount} filled; cancel the {left} left."})
    text = ["Proposed: cancel the rest of " + o.client_order_id if result.ok else "; ".join(map(str, result.errors))]
    if _has(r.text, "market", "take it", "buy what is left", "sell what is left"):
        m = r.view.market(o.venue, o.symbol)
        text.append(await _stage(r, "stage_order", {"side": o.side.value, "type": "market", "amount": str(left),
                                                    "rationale": f"The {left} left of {o.client_order_id}, at the "
                                                                 f"market, once the rest is canceled."}, m))
    return " ".join(text)


async def _close(r: Reader) -> str:
    m = r.market()
    if m is None:
        held = [p for p in r.view.positions() if p.size]
        if len(held) != 1:
            return "Which position? Name the market, e.g. 'close my BTC perp position'."
        m = r.view.market(held[0].venue, held[0].symbol)
    size = r.holding(m)
    if not size:
        return f"You hold no {m.symbol} position: nothing to close."
    text = []
    if _has(r.text, "cancel the take-profit", "cancel the tp", "cancel it"):
        for o in r.view.orders():
            if o.symbol == m.symbol and o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                res = await r.session.call("propose_cancel", {"client_order_id": o.client_order_id,
                                                              "rationale": "Cancel it before closing the position."})
                text.append("Proposed: cancel " + o.client_order_id if res.ok else str(res.errors[0]))
    side = Side.SELL if size > 0 else Side.BUY
    args: dict[str, Any] = {"side": side.value, "type": "market", "amount": str(abs(size)),
                            "rationale": f"Close the {abs(size)} {m.base} {'long' if size > 0 else 'short'} as it "
                                         f"stands now, at the market" + (", reduce-only." if m.is_derivative else ".")}
    if m.is_derivative:
        args["reduce_only"] = True
    text.append(await _stage(r, "stage_order", args, m))
    return " ".join(text)


async def _protect(r: Reader) -> str:
    m = r.market()
    if m is None:
        return "Which position? e.g. 'protect my BTC perp position'."
    size = r.holding(m)
    if not size:
        return f"You hold no {m.symbol} position to protect."
    mid = r.view.mark(m.venue, m.symbol)
    side = Side.SELL if size > 0 else Side.BUY
    trigger = r.price_after("at")
    pct = r.percent() or Decimal(2)
    if trigger is None:
        trigger = mid * (1 - pct / 100) if side is Side.SELL else mid * (1 + pct / 100)
    trigger = m.round_price(trigger, side.opposite)  # a sell stop rounds up toward the market: never looser
    args: dict[str, Any] = {"side": side.value, "type": "stop_market", "amount": str(abs(size)),
                            "trigger_price": str(trigger),
                            "rationale": f"A stop at {trigger} closes the {abs(size)} {m.base} if the market goes "
                                         f"against you (mid {mid})."}
    if m.is_derivative:
        args["reduce_only"] = True
    return await _stage(r, "stage_order", args, m)


def _size(r: Reader, m: Market, side: Side, price: Decimal) -> tuple[Decimal | None, str]:
    """The amount the words ask for, on the lot: a number, a share of a holding, dollars, a limit, a minimum."""
    t = r.text
    unit = price * m.contract_size
    if _has(t, "smallest", "minimum"):
        least = max(m.min_amount or m.lot, (m.min_cost or 0) / unit)
        return (least / m.lot).to_integral_value(ROUND_CEILING) * m.lot, "the venue's minimum"
    if _has(t, "half my", "half of my"):
        return _floor(abs(r.holding(m)) / 2, m.lot), "half the position"
    amount = r.amount()
    if amount is None and _has(t, "all my", "everything", "i have", "i hold", "i bought", "i own"):
        return _floor(abs(r.holding(m)), m.lot), "all of it"
    if _has(t, "as much", "limits allow", "max"):
        limits = r.view.limits(m.venue, m.symbol)
        held = abs(r.view.position(m.venue, m.symbol).size) * unit
        room = min(limits.max_order_notional, limits.max_position_notional - held)
        return _floor(room / unit, m.lot), "as much as the risk limits allow"
    if amount is not None and re.search(rf"(spend|about)\s+(about\s+)?{_NUM}\s*(usdt|usd|\$|dollars)", t):
        return _floor(amount / unit, m.lot), f"{amount} {m.quote} at {price}"
    if amount is not None and _has(t, "cash i have", "what i have", "i can afford"):
        free = r.view.balances(m.venue).get(m.quote, Balance(m.quote)).free
        return min(_floor(amount, m.lot), _floor(free / (unit * (1 + m.taker_fee)), m.lot)), "what the cash pays for"
    if amount is None:
        return None, ""
    return _floor(amount, m.lot), ""


async def _order(r: Reader) -> str | None:
    m, side = r.market(), r.side()
    if m is None or side is None:
        return None
    book = r.view.book(m.venue, m.symbol)
    if book is None or book.mid is None:
        return None
    doubt = r.in_doubt(m, side)
    if doubt:
        return (f"{doubt[0].client_order_id} ({doubt[0].side.value} {doubt[0].amount} {m.symbol}) is in doubt: "
                       f"the venue may have it. I will not propose another {side.value} until the venue answers.")
    t = r.text
    touch = book.best_bid if side is Side.BUY else book.best_ask
    breakout = r.price_after("above") if _has(t, "breaks above") else r.price_after("below") \
        if _has(t, "breaks below") else None
    price = r.price_after("at", "below", "under", "above") if breakout is None else breakout
    market_order = _has(t, "at the market") or (price is None and breakout is None and (
        _has(t, " now") or m.is_derivative and not _has(t, "spread", "post-only", "under the market")))
    if _has(t, "at the bid", "at the ask", "don't pay the spread", "post-only", "without crossing",
             "under the market", "over the market"):
        price, market_order = touch, False
    ref = price or (book.best_ask if side is Side.BUY else book.best_bid)
    amount, how = _size(r, m, side, ref)
    if amount is None:
        return None
    if amount <= 0:
        return f"That leaves no size on {m.symbol} ({how})."
    why = f"You asked to {side.value} {amount} {m.base}" + (f" ({how})" if how else "")
    args: dict[str, Any] = {"side": side.value, "amount": str(amount)}
    if breakout is not None:
        args.update(type="stop_market", trigger_price=str(m.round_price(breakout, side.opposite)),
                    rationale=f"{why} if it breaks {'above' if side is Side.BUY else 'below'} {breakout}: a stop "
                              f"order that triggers there.")
    elif market_order:
        args.update(type="market", rationale=f"{why} at the market (mid {book.mid}).")
    else:
        args.update(type="limit", price=str(m.round_price(price or touch, side)),
                    rationale=f"{why} with a limit at {m.round_price(price or touch, side)} (mid {book.mid}).")
        if _has(t, "post-only", "don't pay the spread", "without crossing"):
            args["post_only"] = True
    if _has(t, "stop-loss", "stop loss") and _has(t, "take-profit", "take profit"):
        entry = book.best_ask if side is Side.BUY else book.best_bid
        distance = entry * Decimal("0.015")
        args = {"side": side.value, "amount": str(amount), "entry_type": "market" if market_order else "limit",
                "stop_loss": str(m.round_price(entry - side.sign * distance, side)),
                "take_profit": str(m.round_price(entry + side.sign * 2 * distance, side.opposite)),
                "rationale": f"{why} with a stop-loss 1.5% away and a take-profit at twice that."}
        if not market_order:
            args["price"] = str(entry)
        return await _stage(r, "stage_bracket", args, m)
    return await _stage(r, "stage_order", args, m)
