"""The built-in copilot: an offline, rule-based strategist. The default; no model, no network.

Setups, each explained in plain words in the proposal's rationale:
- Mean reversion to a band (spot markets): the mid is more than ``band_k`` standard deviations
  from its ``lookback``-minute average -> a limit at the touch back toward the average
  (a buy below the band; a sell above it when the account holds the coin).
- Breakout with a bracket (perpetuals, where a short and reduce-only exits exist): the mid
  leaves the ``range_lookback``-minute high/low range -> an entry at the touch with a stop
  two standard deviations back inside the range and a take-profit at twice that distance.
- Scaling into (or out of) a position, on request: "scale into 0.5 ETH below 3,000 over the
  next hour" -> a ladder of limit orders from 3,000 down.

Sizes come from the risk limits (a fraction of the per-order notional cap) and the free
balance. Every order goes through the same tools, validation and gate as a model's would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.market import Market
from ..domain.money import ZERO
from ..domain.orders import Side
from ..domain.reports import Balance
from .intents import handle as read_intent
from .tools import ToolSession, _floor

HELP = ("I understand: \"scale into 0.5 ETH below 3,000 over the next hour\", \"scale out of 1 ETH above 3,300\", "
        "\"buy 0.2 ETH at 3,150\", \"sell 0.01 BTC perp\", \"bracket buy 0.01 BTC perp\", or \"scan\" to look for "
        "mean-reversion and breakout setups.")

_NUM = r"\d[\d,_]*(?:\.\d+)?|\.\d+"
_ORDER = re.compile(
    rf"(?P<verb>scale\s+into|scale\s+in|accumulate|scale\s+out\s+of|scale\s+out|bracket\s+buy|bracket\s+sell|buy|sell)"
    rf"\s+(?P<amount>{_NUM})\s*(?P<asset>[a-z]{{2,10}})(?P<perp>\s+perp(?:etual)?)?"
    rf"(?:\s+(?P<rel>below|under|above|at|@)\s+\$?(?P<price>{_NUM}))?"
    rf"(?:.*?over\s+the\s+next\s+(?P<n>\d+|an|a|one)?\s*(?P<unit>minute|min|hour|hr)s?)?", re.I)


@dataclass
class Outcome:
    """What one copilot turn says back to the trader."""

    text: str
    refused: bool = False


def _n(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("_", ""))


def _fmt(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "?"
    return f"{value:,.{places}f}"


def _sqrt(x: Decimal) -> Decimal:
    return x.sqrt() if x > 0 else ZERO


class RuleStrategist:
    name = "rules"

    def __init__(self, *, lookback: int = 20, band_k: Decimal = Decimal(2), range_lookback: int = 30,
                 size_fraction: Decimal = Decimal("0.1"), balance_fraction: Decimal = Decimal("0.25"),
                 ladder_width_pct: Decimal = Decimal(1), ladder_orders: int = 5):
        self.lookback = lookback
        self.band_k = band_k
        self.range_lookback = range_lookback
        self.size_fraction = size_fraction
        self.balance_fraction = balance_fraction
        self.ladder_width_pct = ladder_width_pct
        self.ladder_orders = ladder_orders

    async def turn(self, prompt: str | None, session: ToolSession, *, skip_symbols: frozenset = frozenset()) -> Outcome:
        if prompt is None or re.fullmatch(r"\s*(scan|ideas?|setups?|what do you see\??)\s*", prompt, re.I):
            return await self.scan(session, skip_symbols)
        match = _ORDER.search(prompt)
        if match is None or not match["verb"].lower().startswith(("scale", "accumulate", "bracket")):
            answer = await read_intent(self, prompt, session)  # positions, partial fills, doubt, words
            if answer is not None:
                return Outcome(answer)
        if match is None:
            return Outcome(f"I did not understand {prompt!r}. {HELP}")
        return await self._request(match, session)

    # -- requests ------------------------------------------------------------------------------
    def _market_for(self, session: ToolSession, asset: str, perp: bool) -> Market | None:
        asset = asset.upper()
        for venue, symbol in session.view.markets():
            m = session.view.market(venue, symbol)
            if m.base == asset and m.is_derivative == perp:
                return m
        return None

    async def _request(self, match: re.Match, session: ToolSession) -> Outcome:
        verb = " ".join(match["verb"].lower().split())
        amount = _n(match["amount"])
        m = self._market_for(session, match["asset"], bool(match["perp"]))
        if m is None:
            kind = "perpetual" if match["perp"] else "spot"
            return Outcome(f"There is no {kind} market for {match['asset'].upper()} here. {HELP}")
        book = session.view.book(m.venue, m.symbol)
        if book is None or book.mid is None:
            return Outcome(f"No order book for {m.symbol} yet; ask again in a moment.")
        price = _n(match["price"]) if match["price"] else None
        horizon = ""
        if match["unit"]:
            count = match["n"] if match["n"] and match["n"].isdigit() else "1"
            unit = "hour" if match["unit"].lower().startswith("h") else "minute"
            horizon = f" over the next {unit}" if count == "1" else f" over the next {count} {unit}s"
        if verb in ("scale into", "scale in", "accumulate", "scale out of", "scale out"):
            side = Side.BUY if verb in ("scale into", "scale in", "accumulate") else Side.SELL
            if horizon:
                minutes = int(match["n"]) if match["n"] and match["n"].isdigit() else 1
                minutes *= 60 if match["unit"].lower().startswith("h") else 1
                return await self._schedule(session, m, side, amount, price, minutes, horizon)
            return await self._ladder(session, m, side, amount, price, horizon)
        if verb.startswith("bracket"):
            side = Side.BUY if verb.endswith("buy") else Side.SELL
            candles = await session.view.candles(m.venue, m.symbol, "1m", self.range_lookback + 2)
            stats = _stats([c[4] for c in candles[:-1]][-self.lookback:])
            if stats is None:
                return Outcome(f"Not enough price history for {m.symbol} to place a stop yet.")
            return await self._bracket(session, m, side, amount, stats[1], "You asked for a bracket.")
        side = Side.BUY if verb == "buy" else Side.SELL
        args: dict[str, Any] = {"venue": m.venue, "symbol": m.symbol, "side": side.value, "amount": str(amount)}
        if price is None:
            args["type"] = "market"
            walk = book.walk(side, amount)
            args["rationale"] = (f"You asked to {side.value} {amount} {m.base} at the market. The book now gives an "
                                 f"average of about {_fmt(walk.average)} ({_fmt(walk.slippage_bps)} bps from mid "
                                 f"{_fmt(book.mid)}).")
        else:
            args.update(type="limit", price=str(m.round_price(price, side)))
            args["rationale"] = (f"You asked to {side.value} {amount} {m.base} at {_fmt(price)}; a limit order there "
                                 f"(mid now {_fmt(book.mid)}).")
        return await self._stage(session, "stage_order", args, m)

    async def _ladder(self, session: ToolSession, m: Market, side: Side, amount: Decimal, price: Decimal | None,
                      horizon: str) -> Outcome:
        book = session.view.book(m.venue, m.symbol)
        touch = book.best_bid if side is Side.BUY else book.best_ask
        start = price if price is not None else touch
        # never start a buy ladder above the bid (or a sell below the ask): that would take, not rest
        start = min(start, touch) if side is Side.BUY else max(start, touch)
        width = start * self.ladder_width_pct / 100
        end = start - width if side is Side.BUY else start + width
        first, last = m.round_price(start, side), m.round_price(end, side)
        count = self.ladder_orders
        while count > 2 and _floor(amount / count, m.lot) * first < (m.min_cost or ZERO):
            count -= 1
        where = f"{'below' if side is Side.BUY else 'above'} {_fmt(price)}" if price is not None else "from the touch"
        rationale = (f"You asked to scale {'into' if side is Side.BUY else 'out of'} {amount} {m.base} {where}"
                     f"{horizon}. {count} limit orders of about {_fmt(amount / count, 4)} {m.base} each, from "
                     f"{_fmt(first)} to {_fmt(last)} ({self.ladder_width_pct}% wide), so the average improves if the "
                     f"price keeps {'falling' if side is Side.BUY else 'rising'}; mid now {_fmt(book.mid)}.")
        if horizon:
            rationale += f" Cancel whatever has not filled by the end of the{horizon.replace(' over the next', '')}."
        args = {"venue": m.venue, "symbol": m.symbol, "side": side.value, "total_amount": str(amount),
                "from_price": str(first), "to_price": str(last), "orders": count, "rationale": rationale}
        return await self._stage(session, "stage_scaled", args, m)

    async def _schedule(self, session: ToolSession, m: Market, side: Side, amount: Decimal, price: Decimal | None,
                        minutes: int, horizon: str) -> Outcome:
        """A time-sliced schedule, approved once: a slice every 5 minutes, never beyond the price limit."""
        book = session.view.book(m.venue, m.symbol)
        limit = m.round_price(price, side) if price is not None else (book.best_ask if side is Side.BUY
                                                                      else book.best_bid)
        slices = max(1, min(12, minutes // 5))
        rationale = (f"You asked to scale {'into' if side is Side.BUY else 'out of'} {amount} {m.base} "
                     f"{'at or below' if side is Side.BUY else 'at or above'} {_fmt(limit)}{horizon}: {slices} slices, "
                     f"one every {minutes / slices:g} minutes, each at the touch and never beyond {_fmt(limit)}, "
                     f"each through the risk gate; cancel the schedule at any time (mid now {_fmt(book.mid)}).")
        args = {"venue": m.venue, "symbol": m.symbol, "side": side.value, "total_amount": str(amount),
                "price_limit": str(limit), "duration_minutes": minutes, "slices": slices, "rationale": rationale}
        return await self._stage(session, "stage_schedule", args, m)

    async def _stage(self, session: ToolSession, tool: str, args: dict[str, Any], m: Market) -> Outcome:
        result = await session.call(tool, args)
        if result.ok and result.proposal is not None:
            return Outcome(f"Proposed for your approval: {result.proposal.summary()}. {args['rationale']}")
        return Outcome(f"I could not propose that on {m.symbol}: " + "; ".join(str(e) for e in result.errors))

    # -- scanning --------------------------------------------------------------------------------
    async def scan(self, session: ToolSession, skip_symbols: frozenset = frozenset()) -> Outcome:
        lines: list[str] = []
        for venue, symbol in session.view.watched():
            if (venue, symbol) in skip_symbols:
                continue
            m = session.view.market(venue, symbol)
            line = await self._scan_one(session, m)
            if line:
                lines.append(line)
        return Outcome("\n".join(lines) if lines else "No setup right now: every watched market is inside its band "
                       "and its range.")

    async def _scan_one(self, session: ToolSession, m: Market) -> str | None:
        book = session.view.book(m.venue, m.symbol)
        if book is None or book.mid is None:
            return None
        candles = await session.view.candles(m.venue, m.symbol, "1m", max(self.lookback, self.range_lookback) + 1)
        done = candles[:-1]  # the last bar is still forming
        stats = _stats([c[4] for c in done][-self.lookback:])
        if stats is None or len(done) < self.range_lookback:
            return None
        mean, std = stats
        if std <= 0:
            return None
        mid = book.mid
        if m.is_derivative:
            window = done[-self.range_lookback:]
            high, low = max(c[2] for c in window), min(c[3] for c in window)
            if mid > high or mid < low:
                side = Side.BUY if mid > high else Side.SELL
                why = (f"Breakout: {m.symbol} mid {_fmt(mid)} is {'above' if side is Side.BUY else 'below'} its "
                       f"{self.range_lookback}-minute range ({_fmt(low)} to {_fmt(high)}).")
                outcome = await self._bracket(session, m, side, None, std, why)
                return outcome.text
            return None
        z = (mid - mean) / std
        lower, upper = mean - self.band_k * std, mean + self.band_k * std
        if mid >= lower and mid <= upper:
            return None
        side = Side.BUY if mid < lower else Side.SELL
        price = book.best_bid if side is Side.BUY else book.best_ask
        amount = self._size(session, m, price, side)
        if amount is None:
            return (f"{m.symbol} is outside its band, but the free balance and the risk limits leave no size above "
                    f"the market's minimum.")
        rationale = (
            f"Mean reversion: {m.symbol} mid {_fmt(mid)} is {abs(z):.1f} standard deviations "
            f"{'below' if side is Side.BUY else 'above'} its {self.lookback}-minute average {_fmt(mean)} "
            f"(band {_fmt(lower)} to {_fmt(upper)}). {side.value.capitalize()} {amount} {m.base} with a limit at the "
            f"{'bid' if side is Side.BUY else 'ask'} {_fmt(price)}, expecting a move back toward the average. "
            f"Size: {self._size_words(session, m)}. Exit idea: {'sell' if side is Side.BUY else 'buy back'} near "
            f"{_fmt(mean)}; this proposal does not place that exit.")
        args = {"venue": m.venue, "symbol": m.symbol, "side": side.value, "type": "limit", "amount": str(amount),
                "price": str(price), "post_only": True, "rationale": rationale}
        return (await self._stage(session, "stage_order", args, m)).text

    async def _bracket(self, session: ToolSession, m: Market, side: Side, amount: Decimal | None, std: Decimal,
                       why: str) -> Outcome:
        book = session.view.book(m.venue, m.symbol)
        entry = book.best_ask if side is Side.BUY else book.best_bid
        distance = max(2 * std, m.tick * 5, entry * Decimal("0.002"))
        stop = m.round_price(entry - side.sign * distance, side)  # buy: floor below; sell: ceil above
        take = m.round_price(entry + side.sign * 2 * distance, side.opposite)
        amount = amount if amount is not None else self._size(session, m, entry, side)
        if amount is None:
            return Outcome(f"{why} But the free balance and the risk limits leave no size above the minimum.")
        rationale = (f"{why} {side.value.capitalize()} {amount} {m.base} with a limit at the "
                     f"{'ask' if side is Side.BUY else 'bid'} {_fmt(entry)}, a stop-loss at {_fmt(stop)} (two standard "
                     f"deviations of the 1-minute closes, {_fmt(distance)}) and a take-profit at {_fmt(take)} (twice the "
                     f"risk). Size: {self._size_words(session, m)}.")
        args = {"venue": m.venue, "symbol": m.symbol, "side": side.value, "amount": str(amount), "entry_type": "limit",
                "price": str(entry), "stop_loss": str(stop), "take_profit": str(take), "rationale": rationale}
        return await self._stage(session, "stage_bracket", args, m)

    # -- sizing ----------------------------------------------------------------------------------
    def _size(self, session: ToolSession, m: Market, price: Decimal, side: Side) -> Decimal | None:
        limits = session.view.limits(m.venue, m.symbol)
        unit = price * m.contract_size
        caps = [limits.max_order_notional * self.size_fraction / unit]
        if limits.max_order_amount is not None:
            caps.append(limits.max_order_amount)
        balances = session.view.balances(m.venue)
        if m.is_derivative:
            caps.append(balances.get(m.settle or m.quote, Balance(m.quote)).free * self.balance_fraction / unit)
        elif side is Side.BUY:
            caps.append(balances.get(m.quote, Balance(m.quote)).free * self.balance_fraction / (unit * (1 + m.taker_fee)))
        else:
            caps.append(balances.get(m.base, Balance(m.base)).free * self.balance_fraction)
        amount = _floor(min(caps), m.lot)
        if amount <= 0 or (m.min_amount is not None and amount < m.min_amount):
            return None
        if m.min_cost is not None and amount * unit < m.min_cost:
            return None
        return amount

    def _size_words(self, session: ToolSession, m: Market) -> str:
        limits = session.view.limits(m.venue, m.symbol)
        return (f"{self.size_fraction * 100:.0f}% of the {_fmt(limits.max_order_notional, 0)} {m.quote} per-order "
                f"limit, capped at {self.balance_fraction * 100:.0f}% of the free balance")


def _stats(closes: list[Decimal]) -> tuple[Decimal, Decimal] | None:
    if len(closes) < 5:
        return None
    mean = sum(closes, ZERO) / len(closes)
    var = sum(((c - mean) ** 2 for c in closes), ZERO) / len(closes)
    return mean, _sqrt(var)
