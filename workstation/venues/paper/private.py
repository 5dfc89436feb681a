"""The paper venue's private streams: watch_orders and watch_my_trades.

Order reports and trades on the stream carry our client order id, as Binance's executionReport
does (REST trades do not). A subscription starts at the first call; what was pushed while a
connection was down is lost, and REST is how a client catches up, as on a real venue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccxt.base.errors import NetworkError

if TYPE_CHECKING:
    from .market import MarketSpec
    from .simulator import Simulator


class PrivateStreams:
    """Mixin of PaperExchange: watch_orders and watch_my_trades."""

    sim: Simulator
    _cursors: dict[tuple[str, str | None], int]
    _close_gen: int

    def _spec(self, symbol: str | None) -> MarketSpec:
        raise NotImplementedError

    async def _gate_stream(self, private: bool) -> None:
        raise NotImplementedError

    def _disconnected(self) -> bool:
        raise NotImplementedError

    async def _wait(self, gen: int) -> None:
        raise NotImplementedError

    async def _watch(self, kind: str, symbol: str | None) -> list[dict[str, Any]]:
        if symbol is not None:
            self._spec(symbol)
        await self._gate_stream(private=True)
        key = (kind, symbol)
        if self._disconnected():
            self._cursors.pop(key, None)  # what was pushed meanwhile is lost
            raise NetworkError("paper websocket connection closed (1006)")
        events = self.sim.orders_log if kind == "orders" else self.sim.trades_log
        if kind == "orders":
            self.sim.stream_orders = True
        else:
            self.sim.stream_trades = True
        gen = self._close_gen
        cursor = self._cursors.setdefault(key, events.end)
        while True:
            items, cursor = events.read(cursor)
            self._cursors[key] = cursor
            items = [i for i in items if symbol is None or i["symbol"] == symbol]
            if items:
                return items
            await self._wait(gen)

    async def watch_orders(self, symbol: str | None = None, since: int | None = None,
                           limit: int | None = None, params: dict[str, Any] | None = None,
                           ) -> list[dict[str, Any]]:
        """Orders updated since this watcher's previous call (latest state of each)."""
        latest: dict[str, dict[str, Any]] = {}
        for snapshot in await self._watch("orders", symbol):
            latest.pop(snapshot["id"], None)
            latest[snapshot["id"]] = snapshot
        return list(latest.values())

    async def watch_my_trades(self, symbol: str | None = None, since: int | None = None,
                              limit: int | None = None, params: dict[str, Any] | None = None,
                              ) -> list[dict[str, Any]]:
        return await self._watch("trades", symbol)
