from decimal import Decimal as D

from hypothesis import given, settings, strategies as st

from workstation.domain.book import Book
from workstation.domain.orders import Fill, Side
from workstation.domain.positions import Position, position_from_fills


def book():
    return Book("BTC/USDT", bids=((D("99"), D("1")), (D("98"), D("2"))), asks=((D("101"), D("1")), (D("102"), D("2"))))


def test_book_basics():
    b = book()
    assert (b.best_bid, b.best_ask, b.mid, b.spread) == (D("99"), D("101"), D("100"), D("2"))
    assert b.spread_bps == D("200")


def test_walk_bigger_orders_pay_more():
    b = book()
    small, big = b.walk(Side.BUY, D("0.5")), b.walk(Side.BUY, D("2"))
    assert small.average == D("101") and small.slippage_bps == D("100")
    assert big.average == D("101.5") and big.slippage_bps > small.slippage_bps
    sell = b.walk(Side.SELL, D("2"))
    assert sell.average == D("98.5") and sell.slippage_bps == D("150")  # a cost for sells is positive too


def test_walk_stops_at_the_book_and_the_limit():
    b = book()
    w = b.walk(Side.BUY, D("10"))
    assert not w.complete and w.filled == D("3")
    capped = b.walk(Side.BUY, D("3"), limit_price=D("101"))
    assert capped.filled == D("1") and capped.worst_price == D("101")


prices = st.integers(min_value=1, max_value=10_000).map(lambda n: D(n) / 100)
sizes = st.integers(min_value=1, max_value=1_000).map(lambda n: D(n) / 1000)


@settings(max_examples=200, deadline=None)
@given(asks=st.lists(st.tuples(prices, sizes), min_size=1, max_size=20, unique_by=lambda x: x[0]),
       amount=sizes)
def test_walk_matches_brute_force(asks, amount):
    asks = tuple(sorted(asks))
    b = Book("X/Y", bids=((D("0.01"), D("1")),), asks=asks)
    w = b.walk(Side.BUY, amount)
    # brute force: expand the book into unit lots of 0.001 and take them cheapest first
    lots = [price for price, size in asks for _ in range(int(size * 1000))]
    taken = lots[: int(amount * 1000)]
    assert w.filled == D(len(taken)) / 1000
    assert w.cost == sum(taken, D(0)) / 1000


fills = st.lists(st.tuples(st.sampled_from([Side.BUY, Side.SELL]), prices, sizes, sizes.map(lambda f: f / 100)),
                 min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(fills)
def test_position_equals_the_sum_of_its_fills(rows):
    fs = [Fill("paper", f"t{i}", "c", None, "BTC/USDT", side, price, amount, fee, "USDT", None, i)
          for i, (side, price, amount, fee) in enumerate(rows)]
    pos = position_from_fills("paper", "BTC/USDT", fs)
    assert pos.size == sum((f.amount * f.side.sign for f in fs), D(0))
    assert pos.fees == sum((f.fee for f in fs), D(0))
    assert pos.fill_count == len(fs)
    # cash conservation: realized + unrealized at any mark equals the cash flows valued at that mark
    mark = D("123.45")
    cash = sum((-f.side.sign * f.amount * f.price for f in fs), D(0))
    # the average entry is a division, so equality holds to Decimal's 28 significant digits
    assert abs(pos.realized_pnl + pos.unrealized_pnl(mark) - (cash + pos.size * mark)) < D("1e-15")


def test_position_average_entry_realized_and_flip():
    p = Position("paper", "BTC/USDT")
    p = p.apply(Fill("paper", "1", "c", None, "BTC/USDT", Side.BUY, D("100"), D("1")))
    p = p.apply(Fill("paper", "2", "c", None, "BTC/USDT", Side.BUY, D("110"), D("1")))
    assert p.average_entry == D("105") and p.size == D("2")
    p = p.apply(Fill("paper", "3", "c", None, "BTC/USDT", Side.SELL, D("120"), D("3")))
    assert p.realized_pnl == D("30") and p.size == D("-1") and p.average_entry == D("120")
    assert p.unrealized_pnl(D("110")) == D("10")


def test_tick_and_lot_checks_are_exact_at_any_number_of_digits():
    Decimal = D
    # 28 significant digits would round these onto the tick and the lot; the venue would then hold 64499.50
    # and the order 1E-31 "remaining" forever (issue 12, finding 11)
    from workstation.domain.market import Market
    from workstation.domain.orders import OrderSpec, OrderType, Side

    market = Market(venue="paper", symbol="BTC/USDT", base="BTC", quote="USDT", tick=Decimal("0.01"),
                    lot=Decimal("0.00001"))
    price = Decimal("64499.500000000000000000000000001")
    spec = OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), price=price)
    assert [p.rule for p in market.check(spec)] == ["price_tick"]
    amount = Decimal("0.010000000000000000000000000000001")
    spec = OrderSpec("paper", "BTC/USDT", Side.BUY, OrderType.LIMIT, amount, price=Decimal("64499.5"))
    assert [p.rule for p in market.check(spec)] == ["amount_step"]
    assert market.round_price(price, Side.SELL) == Decimal("64499.51")  # a sell never rounds down past its price
    assert market.round_price(price, Side.BUY) == Decimal("64499.50")
