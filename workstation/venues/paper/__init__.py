"""The embedded paper venue: a deterministic simulated exchange with ccxt's async surface.

    ex = PaperExchange(seed=1, latency=None, faults=None, balances=None, start_ms=None, speed=1.0,
                       modify="cancel_replace", state_path=None)
    ex.step(100)                      # advance simulated time (tests); or: await ex.start()
    ex.freeze(); ex.set_mid("BTC/USDT", "65000"); ex.inject_flow("BTC/USDT", "sell", "0.5")
    ex.set_fault("rate_limit", 0.1); ex.fault_counts; ex.rate_budget(); ex.save()
    await ex.create_order("BTC/USDT", "limit", "buy", "0.01", "64000", {"clientOrderId": "a-1"})

Modules: market (synthetic mid, book, flow, candles), matching (book walk, queues, stops),
accounts (balances, reservations, isolated-margin perp), simulator (state + events),
exchange (the ccxt face: trading, account, private streams), public (markets, books, ticker,
trades, candles), clock (pacing, catch-up after a gap), state (its own file), faults,
transport (latency, rate limit), rules, structures, streams.
"""

from .exchange import DEFAULT_BALANCES, DEFAULT_START_MS, PaperExchange
from .faults import FAULT_NAMES
from .market import DEFAULT_SPECS, MarketSpec
from .transport import LatencyModel

__all__ = ["DEFAULT_BALANCES", "DEFAULT_SPECS", "DEFAULT_START_MS", "FAULT_NAMES",
           "LatencyModel", "MarketSpec", "PaperExchange"]
