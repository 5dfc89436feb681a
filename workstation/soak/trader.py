"""The soak's trader: a human at the Desk, placing every kind of order through stage -> approve.

Market and limit orders, modifies (of partly filled orders first), cancels, OCO pairs, brackets (stop,
trailing stop, take-profit), standalone trailing stops and scaled orders, on the three spot markets and
the perpetual, under the default risk limits: whatever the gate denies is counted, never avoided. When
an approval comes back in doubt, the trader (impatient) stages the same order again: the Desk must
refuse it while the first may be live.

The trader looks at the venue's books and balances to choose prices and sides (as a human looks at the
screen), and at the Desk's working orders to choose what to modify or cancel. None of that is checked
here: the referee does the checking.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any

from ..venues.paper.exchange import PaperExchange
from .child import SYMBOLS, VENUE
from .intents import Intents
from .supervisor import CommandFailed, DeskProcess

HOLDINGS = {"BTC": Decimal(1), "ETH": Decimal(10), "SOL": Decimal(100)}  # where spot balances should hover
BPS = Decimal("0.0001")
ACTIONS = (("market", 26), ("limit", 30), ("modify", 10), ("cancel", 10), ("oco", 5), ("bracket", 7),
           ("trailing", 4), ("scaled", 4), ("far_limit", 2), ("big_order", 2))
RULE = re.compile(r"[a-z_]+")


class Trader:
    def __init__(self, seed: int, exchange: PaperExchange, desk: DeskProcess, intents: Intents):
        self.rng = random.Random(f"soak-trader:{seed}")
        self.exchange, self.desk, self.intents = exchange, desk, intents
        self.n = 0  # decisions taken
        self.actions: Counter = Counter()
        self.denied: Counter = Counter()  # by the rule that denied (staging, approval, modify, cancel)
        self.outcomes: Counter = Counter()  # status of each approved order right after approval
        self.modifies = 0
        self.contingent = 0
        self.refusals: Counter = Counter()  # what the Desk answered when it refused a verb (first words)

    # -- the screen -------------------------------------------------------------------------------------
    def _spec(self, symbol: str) -> Any:
        return self.exchange.sim.specs[symbol]

    def touch(self, symbol: str, side: str) -> Decimal:
        """The price a marketable order would meet first: the best ask for a buy, the best bid for a sell."""
        market, spec = self.exchange.sim.markets[symbol], self._spec(symbol)
        ticks = market.best("asks" if side == "buy" else "bids")
        return (ticks if ticks is not None else market.mid) * spec.tick

    def mid(self, symbol: str) -> Decimal:
        return self.exchange.sim.mark(symbol)

    def price(self, symbol: str, price: Decimal, side: str) -> Decimal:
        tick = self._spec(symbol).tick
        return (price / tick).to_integral_value(ROUND_FLOOR if side == "buy" else ROUND_CEILING) * tick

    def passive(self, symbol: str, price: Decimal, side: str) -> Decimal:
        """Never cross our own resting orders: the venue would let both rest (no self-trade), the book would
        be crossed, and a crossed book is denied (rightly) by the gate for everything on that market."""
        own = [o.price for o in self.exchange.sim.open.values()
               if o.symbol == symbol and o.price is not None and o.side != side and o.triggered]
        if not own:
            return price
        tick = self._spec(symbol).tick
        if side == "buy":
            return min(price, min(own) * tick - tick)
        return max(price, max(own) * tick + tick)

    def steps(self, symbol: str, count: int) -> Decimal:
        """``count`` small price steps (a tenth of the distance between the book's levels, at least a tick)."""
        spec = self._spec(symbol)
        return spec.tick * max(1, spec.level_ticks // 10) * count

    def amount(self, symbol: str, notional: Decimal) -> Decimal:
        spec = self._spec(symbol)
        lots = (notional / self.mid(symbol) / spec.lot).to_integral_value(ROUND_DOWN)
        return max(lots, Decimal(1)) * spec.lot

    def side(self, symbol: str) -> str:
        """Buy and sell so that holdings wander around where they started."""
        sim = self.exchange.sim
        if symbol.endswith(":USDT"):
            pos = sim.accounts.positions.get(symbol)
            size = float(pos.lots * self._spec(symbol).lot) if pos else 0.0
            bias = 0.5 - max(-0.4, min(0.4, size * 2))
        else:
            base = symbol.split("/")[0]
            held = sim.accounts.total.get(base, Decimal(0))
            bias = 0.5 - max(-0.4, min(0.4, float((held - HOLDINGS[base]) / HOLDINGS[base]) * 4))
        return "buy" if self.rng.random() < bias else "sell"

    def spec(self, symbol: str, side: str, kind: str, amount: Decimal, **fields: Any) -> dict[str, Any]:
        return {"venue": VENUE, "symbol": symbol, "side": side, "type": kind, "amount": amount,
                "rationale": f"soak:{self.n}", **fields}

    # -- talking to the Desk --------------------------------------------------------------------------------
    def _denied(self, reason: str) -> None:
        rule = next((p for p in reason.split(": ") if RULE.fullmatch(p)), None)
        if rule is None:
            self.refusals[reason[:60]] += 1
        self.denied[rule or "other"] += 1

    async def stage(self, spec: dict[str, Any], kind: str, slot: str | None = None) -> dict[str, Any] | None:
        order = await self.desk.command("stage", spec=spec)
        self.intents.add(order["cid"], kind, spec["symbol"], spec["amount"], slot)
        if order["status"] == "denied":
            self._denied(order["reason"])
            return None
        return order

    async def approve(self, cid: str) -> list[dict[str, Any]]:
        try:
            orders = await self.desk.command("approve", cid=cid)
        except CommandFailed as exc:
            self._denied(exc.message)
            return []
        for order in orders:
            intent = self.intents.get(order["cid"])
            if intent is not None:
                intent.approved = True
            if order["status"] == "denied":
                self._denied(order["reason"])
            else:
                self.outcomes[order["status"]] += 1
        return orders

    async def place(self, spec: dict[str, Any], kind: str) -> int:
        """Stage, approve; if the answer is in doubt, try the same order once more (the Desk must refuse)."""
        order = await self.stage(spec, kind)
        if order is None:
            return 1
        done = await self.approve(order["cid"])
        if done and done[0]["status"] == "in_doubt":
            again = await self.stage(spec, "retry", slot=order["cid"])
            if again is not None:
                await self.approve(again["cid"])
            return 2
        return 1

    async def working(self) -> list[dict[str, Any]]:
        return await self.desk.command("working")

    # -- one decision -------------------------------------------------------------------------------------------
    async def act(self, force: str | None = None) -> int:
        """Take one decision (``force`` one kind of action); returns the orders staged."""
        self.n += 1
        action = force or self.rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
        self.actions[action] += 1
        return await getattr(self, f"_{action}")()

    async def _market(self) -> int:
        symbol = self.rng.choice(SYMBOLS)
        side = self.side(symbol)
        return await self.place(self.spec(symbol, side, "market", self.amount(symbol, self._notional())), "market")

    async def _limit(self, resting: bool = False) -> int:
        symbol = self.rng.choice(SYMBOLS)
        side = self.side(symbol)
        sign = 1 if side == "buy" else -1
        # mostly behind the touch (resting); sometimes through it (a marketable limit)
        count = self.rng.randint(-40, -1) if resting else self.rng.choice([self.rng.randint(-40, 2),
                                                                           self.rng.randint(1, 8)])
        near = self.price(symbol, self.touch(symbol, side) + sign * self.steps(symbol, count), side)
        price = self.passive(symbol, near, side)
        return await self.place(self.spec(symbol, side, "limit", self.amount(symbol, self._notional()), price=price),
                                "limit")

    async def _far_limit(self) -> int:
        """A typo: a limit 6-9 % away from the market (the price collar must deny it)."""
        symbol = self.rng.choice(SYMBOLS)
        side = self.side(symbol)
        away = Decimal(self.rng.randint(600, 900)) * BPS * (-1 if side == "buy" else 1)
        price = self.price(symbol, self.mid(symbol) * (1 + away), side)
        return await self.place(self.spec(symbol, side, "limit", self.amount(symbol, self._notional()), price=price),
                                "limit")

    async def _big_order(self) -> int:
        """Too big for the per-order notional limit (denied) or close to it."""
        symbol = self.rng.choice(SYMBOLS[:3])
        side = self.side(symbol)
        amount = self.amount(symbol, Decimal(self.rng.randint(20_000, 40_000)))
        return await self.place(self.spec(symbol, side, "market", amount), "market")

    def _notional(self) -> Decimal:
        return Decimal(self.rng.randint(20, 400))

    async def _modify(self) -> int:
        working = [o for o in await self.working()
                   if o["type"] == "limit" and o["status"] in ("open", "partially_filled")]
        if not working:
            return await self._limit(resting=True)
        partly = [o for o in working if o["status"] == "partially_filled"]
        order = self.rng.choice(partly if partly and self.rng.random() < 0.7 else working)
        symbol, side = order["symbol"], order["side"]
        change: dict[str, Any] = {}
        if self.rng.random() < 0.7:
            step = self.steps(symbol, self.rng.choice([-3, -2, -1, 1, 2, 3]))
            moved = self.price(symbol, order["price"] + step, side)
            change["price"] = self.passive(symbol, moved, side)
        if not change or self.rng.random() < 0.4:
            change["amount"] = order["amount"] + self._spec(symbol).lot * self.rng.randint(1, 20)
        intent = self.intents.get(order["cid"]) or self.intents.add(
            order["cid"], "external" if order["external"] else "replacement", symbol, order["amount"], staged=False)
        if "amount" in change:
            intent.requested.append(change["amount"])
        self.modifies += 1
        try:
            now = await self.desk.command("modify", cid=order["cid"], **change)
        except CommandFailed as exc:
            if "denied" in exc.message:
                self._denied(exc.message.split("denied: ", 1)[-1])
            self.outcomes["modify_refused"] += 1
            self.refusals[exc.message[:60]] += 1
            return 0
        if now["cid"] != order["cid"]:  # cancel-replace: the rest goes on under a new id, same decision
            self.intents.add(now["cid"], "replacement", symbol, now["amount"], slot=intent.slot, staged=False)
        return 0

    async def _cancel(self) -> int:
        working = [o for o in await self.working() if o["status"] != "in_doubt"]
        if not working:
            return await self._limit(resting=True)
        try:
            await self.desk.command("cancel", cid=self.rng.choice(working)["cid"])
        except CommandFailed as exc:
            if "denied" in exc.message:
                self._denied(exc.message.split("denied: ", 1)[-1])
            self.outcomes["cancel_refused"] += 1
        return 0

    async def _group(self, kind: str, specs: list[dict[str, Any]], label: str, **options: Any) -> int:
        try:
            orders = await self.desk.command("stage_group", kind=kind, specs=specs, **options)
        except CommandFailed as exc:  # a group that cannot exist (a slice under the lot): refused, not denied
            self.outcomes[f"{kind}_refused"] += 1
            self.refusals[exc.message[:60]] += 1
            return 0
        for order in orders:
            self.intents.add(order["cid"], label, order["symbol"], order["amount"])
        if label in ("oco", "bracket"):
            self.contingent += len(orders)
        if orders[0]["status"] == "denied":
            self._denied(orders[0]["reason"])
            return len(orders)
        await self.approve(orders[0]["cid"])
        return len(orders)

    def _away(self, symbol: str, side: str, low: int, high: int, further: bool) -> Decimal:
        """A price ``low``..``high`` bps from mid: above for (sell, further) and (buy, not further)."""
        bps = Decimal(self.rng.randint(low, high)) * BPS
        up = (side == "sell") == further
        return self.price(symbol, self.mid(symbol) * (1 + bps if up else 1 - bps), side)

    async def _oco(self) -> int:
        """Take profit or stop out: a limit beyond the market and a stop behind it, one cancels the other."""
        symbol = self.rng.choice(SYMBOLS[:3])
        side = self.side(symbol)
        amount = self.amount(symbol, self._notional())
        limit = self._away(symbol, side, 3, 25, further=True)
        stop = self._away(symbol, side, 3, 25, further=False)
        legs = [self.spec(symbol, side, "limit", amount, price=limit),
                self.spec(symbol, side, "stop_market", amount, trigger_price=stop)]
        return await self._group("oco", legs, "oco")

    async def _bracket(self) -> int:
        symbol = self.rng.choice(SYMBOLS)
        side = self.side(symbol)
        amount = self.amount(symbol, self._notional())
        if self.rng.random() < 0.5:
            entry = self.spec(symbol, side, "market", amount)
        else:
            price = self.passive(symbol, self.price(symbol, self.touch(symbol, side), side), side)
            entry = self.spec(symbol, side, "limit", amount, price=price)
        exit_side = "sell" if side == "buy" else "buy"
        options: dict[str, Any] = {"take_profit_price": self._away(symbol, exit_side, 5, 30, further=True)}
        if self.rng.random() < 0.4:
            options["trailing_percent"] = Decimal(self.rng.randint(3, 20)) / 100
        else:
            options["stop_price"] = self._away(symbol, exit_side, 5, 30, further=False)
        return await self._group("bracket", [entry], "bracket", **options)

    async def _trailing(self) -> int:
        """A trailing stop held locally: it follows the best price and fires on a pull-back."""
        symbol = self.rng.choice(SYMBOLS[:3])
        side = self.side(symbol)
        percent = Decimal(self.rng.randint(2, 15)) / 100
        spec = self.spec(symbol, side, "trailing_stop", self.amount(symbol, self._notional()), trailing_percent=percent)
        return await self.place(spec, "trailing")

    async def _scaled(self) -> int:
        symbol = self.rng.choice(SYMBOLS)
        side = self.side(symbol)
        count = self.rng.randint(3, 5)
        total = max(self.amount(symbol, Decimal(self.rng.randint(60, 600))), self._spec(symbol).lot * count * 3)
        start = self.passive(symbol, self._away(symbol, side, 1, 4, further=True), side)
        end = self.passive(symbol, self._away(symbol, side, 8, 30, further=True), side)
        base = self.spec(symbol, side, "limit", total, price=start)
        return await self._group("scaled", [base], "scaled", total=total, start=start, end=end, count=count,
                                 distribution=self.rng.choice(["equal", "increasing", "decreasing"]))
