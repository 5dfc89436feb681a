"""A deterministic demo session on the paper exchange with the copilot's kinds of rows.

Market orders (human and copilot), resting limits partly filled then canceled, one far limit
canceled unfilled, a venue refusal after retries, an in-doubt send resolved by lookup, a risk
denial, a human's decline of a copilot proposal, and a copilot tool-call error. Then five
simulated minutes of books so that every markout horizon is sampled.
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal as D
from pathlib import Path

from workstation.config import Config, PaperConfig
from workstation.copilot.view import CopilotView
from workstation.desk.clock import ManualClock
from workstation.desk.desk import Desk, DeskSettings
from workstation.desk.journal import Journal, spec_to_dict
from workstation.desk.risk import RiskGate, RiskLimits
from workstation.domain.orders import OrderSpec, Origin
from workstation.factory import paper_venue

FAKE_SECRETS = ("AKFAKEKEY1234567890", "s3cr3tFAKEsecretVALUE", "deadbeefSIGNATURE00", "hunter2PASSPHRASE")
SYMBOLS = ["BTC/USDT", "ETH/USDT"]


class TickingClock(ManualClock):
    """Moves a few deterministic milliseconds on every monotonic read, so latencies differ and are known."""

    def __init__(self) -> None:
        super().__init__()
        self._ticks = itertools.cycle((3, 11, 5, 17, 2, 7, 13))

    def mono_ns(self) -> int:
        self.advance(next(self._ticks))
        return super().mono_ns()


async def _books(desk: Desk) -> None:
    for symbol in SYMBOLS:
        await desk.store_book("paper", await desk.venues["paper"].fetch_book(symbol, desk.settings.book_depth))


async def _tick(desk: Desk, ms: int, refresh: bool = False) -> None:
    desk.venues["paper"].exchange.step(ms)
    desk.clock.advance(ms)
    await _books(desk)
    if refresh:
        await desk.refresh()


def _mid(desk: Desk, symbol: str) -> D:
    return desk.book("paper", symbol).mid


async def session(path: Path) -> Desk:
    # the paper venue keeps its state beside the journal: this session's own directory, never the user's
    venue = paper_venue(Config(data_dir=path.parent, paper=PaperConfig(latency_ms=0)), realtime=False)
    ex = venue.exchange
    desk = Desk({"paper": venue}, Journal(path), clock=TickingClock(),
                settings=DeskSettings(in_doubt_poll_s=0.01, send_retries=2),
                gate=RiskGate(default_limits=RiskLimits(max_order_notional=D("200000"))),
                symbols={"paper": list(SYMBOLS)})
    await desk.connect()
    view = CopilotView.of(desk)

    async def human(spec: OrderSpec):
        order = desk.stage(spec)
        assert order.status.value == "pending_approval", order.reason
        await _tick(desk, 400)  # the human reads the ticket
        return await desk.approve(order.client_order_id)

    # 1-2. human market orders, two sizes
    await human(OrderSpec("paper", "BTC/USDT", "buy", "market", D("0.01")))
    await _tick(desk, 1000, refresh=True)
    await human(OrderSpec("paper", "ETH/USDT", "sell", "market", D("2")))
    await _tick(desk, 1000, refresh=True)

    # 3. a copilot proposal, approved: market buy
    spec = OrderSpec("paper", "ETH/USDT", "buy", "market", D("0.5"), origin=Origin.COPILOT,
                     rationale="momentum: 5m return above threshold")
    staged = view.stage(spec, "copilot:rules")
    view.record("proposal", {"proposal_id": "cp0001", "kind": "stage", "origin": "copilot:rules",
                             "venue": "paper", "symbol": "ETH/USDT", "rationale": spec.rationale,
                             "decision_mid": str(_mid(desk, "ETH/USDT")), "orders": [staged.client_order_id],
                             "specs": [spec_to_dict(spec)],
                             "snapshot": {"mid": str(_mid(desk, "ETH/USDT")), "spread_bps": "1.5"}},
                "copilot:rules")
    await _tick(desk, 700)
    await desk.approve(staged.client_order_id)
    await _tick(desk, 1000, refresh=True)

    # 4. a copilot proposal the human declines
    spec = OrderSpec("paper", "BTC/USDT", "sell", "limit", D("0.02"), price=(_mid(desk, "BTC/USDT") + D("50")).quantize(D("1")),
                     origin=Origin.COPILOT, rationale="fade the spike")
    declined = view.stage(spec, "copilot:rules")
    view.record("proposal", {"proposal_id": "cp0002", "kind": "stage", "origin": "copilot:rules",
                             "venue": "paper", "symbol": "BTC/USDT", "rationale": spec.rationale,
                             "orders": [declined.client_order_id], "specs": [spec_to_dict(spec)]}, "copilot:rules")
    await _tick(desk, 1200)
    desk.reject(declined.client_order_id, "no edge: spread too wide")

    # 5. a copilot tool call that failed validation (with a leaked key in it, which export must scrub)
    view.record("copilot_error", {"scenario": "wrong_type", "tool": "stage_order",
                                  "arguments": {"amount": "lots", "api_key": FAKE_SECRETS[0]},
                                  "error": f"amount: not a number; request apiKey={FAKE_SECRETS[0]} "
                                           f"secret: {FAKE_SECRETS[1]}"}, "copilot:llm")

    # 6. a risk denial: far too large
    desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "market", D("50")))

    # 7-8. resting limits at the touch, large against the flow: partly filled, then canceled
    near = await human(OrderSpec("paper", "ETH/USDT", "buy", "limit", D("9"),
                                 price=desk.book("paper", "ETH/USDT").best_bid))
    near_btc = await human(OrderSpec("paper", "BTC/USDT", "sell", "limit", D("0.9"),
                                     price=desk.book("paper", "BTC/USDT").best_ask))
    # 9. a limit far away: never fills
    far = await human(OrderSpec("paper", "BTC/USDT", "buy", "limit", D("0.01"),
                                price=(_mid(desk, "BTC/USDT") * D("0.97")).quantize(D("1"))))
    resting = (near, near_btc, far)
    for _ in range(40):  # until one of them is partly filled
        await _tick(desk, 500, refresh=True)
        if any(D(0) < desk.order(o.client_order_id).filled < o.amount for o in resting):
            break
    for order in resting:
        if desk.order(order.client_order_id).status.is_working:
            await desk.cancel(order.client_order_id)
    await _tick(desk, 500, refresh=True)

    # 10. the venue refuses three times (429): retried, then rejected. The error text carries a signed URL.
    o = desk.stage(OrderSpec("paper", "BTC/USDT", "sell", "market", D("0.01")))
    await _tick(desk, 300)
    ex.set_fault("rate_limit", 1.0)
    await desk.approve(o.client_order_id)
    ex.set_fault("rate_limit", 0.0)
    desk.journal.append("cancel_failed", actor="human", order=desk.ledger.orders[o.client_order_id], payload={
        "error": f"binance GET https://api.binance.com/api/v3/order?symbol=BTCUSDT&signature={FAKE_SECRETS[2]}"
                 f"&passphrase={FAKE_SECRETS[3]} 401"})

    # 11. the send times out after the venue accepted it: in doubt, then found by client order id
    doubt = desk.stage(OrderSpec("paper", "BTC/USDT", "buy", "market", D("0.02")))
    await _tick(desk, 300)
    ex.set_fault("timeout_after_accept", 1.0)
    await desk.approve(doubt.client_order_id)
    ex.set_fault("timeout_after_accept", 0.0)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if not desk.order(doubt.client_order_id).status.is_working:
            break
    await _tick(desk, 500, refresh=True)

    # five simulated minutes of books: every markout horizon comes due
    for i in range(62):
        await _tick(desk, 5_000, refresh=i % 10 == 0)
    await desk.stop()
    return desk


def run(path: Path) -> Desk:
    return asyncio.run(session(path))
