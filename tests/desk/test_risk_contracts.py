"""Margin on contract markets: sizes are in contracts (OKX BTC-USDT-SWAP: 1 contract = 0.01 BTC), so every
position and working order counts x its contract size. Counted as base, three 1-contract orders (~$750 of
BTC) read as $75,000 and the gate denied them at "49.8% margin" (found with the fake OKX)."""

from decimal import Decimal as D

from workstation.desk.risk import RiskContext, RiskLimits, check_margin
from workstation.domain.book import Book
from workstation.domain.market import Market
from workstation.domain.orders import Order, OrderSpec, OrderStatus as S, OrderType as T, Side
from workstation.domain.positions import Position
from workstation.domain.reports import Balance

OKX_PERP = Market("okx", "BTC/USDT:USDT", "BTC", "USDT", kind="swap", settle="USDT", tick=D("0.1"), lot=D("0.01"),
                  contract_size=D("0.01"))


def context(**kw) -> RiskContext:
    base = dict(market=OKX_PERP, book=Book(OKX_PERP.symbol, ((D("25000"), D("500")),), ((D("25000.1"), D("500")),)),
                balances={"USDT": Balance("USDT", D("10000"), D(0), D("10000"))}, position=None, working=[],
                now_ms=0, marks={OKX_PERP.symbol: D("25000")}, contract_sizes={OKX_PERP.symbol: D("0.01")})
    return RiskContext(**{**base, **kw})


def order(amount: str, n: int) -> Order:
    spec = OrderSpec("okx", OKX_PERP.symbol, Side.BUY, T.LIMIT, D(amount), price=D("25000"))
    return Order(spec, f"ws{n}", status=S.OPEN)


def test_working_contracts_count_at_their_contract_size():
    spec = OrderSpec("okx", OKX_PERP.symbol, Side.BUY, T.LIMIT, D("1"), price=D("25000"))
    limits = RiskLimits(max_margin_pct=D("30"), max_leverage=D("5"))
    assert check_margin(spec, context(working=[order("1", 1), order("1", 2)]), limits) == []  # 0.75% margin
    # 119 contracts working (29,750 USDT) + this one: 30,000 USDT gross at 10x = 30% of 10,000: still allowed
    assert check_margin(spec, context(working=[order("119", 1)]), limits) == []
    assert {p.rule for p in check_margin(spec, context(working=[order("120", 1)]), limits)} == {"max_margin"}


def test_a_position_in_contracts_counts_at_its_contract_size():
    spec = OrderSpec("okx", OKX_PERP.symbol, Side.BUY, T.LIMIT, D("1"), price=D("25000"))
    long = Position("okx", OKX_PERP.symbol, size=D("100"), average_entry=D("24000"))  # 1 BTC, +1,000 USDT unrealized
    problems = check_margin(spec, context(positions={OKX_PERP.symbol: long}), RiskLimits(max_margin_pct=D("30")))
    assert problems == []  # 25,250 gross / 10x = 2,525 of 11,000 equity: 23%
    tight = check_margin(spec, context(positions={OKX_PERP.symbol: long}), RiskLimits(max_margin_pct=D("20")))
    assert "of equity 11000.00 USDT" in tight[0].message  # the unrealized PnL counted at the contract size too
