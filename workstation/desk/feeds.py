"""What keeps the Desk live: order books, the private order and fill streams, the refresh timer.

Streams are fast but miss messages; REST polling (the refresh) is slow but complete. Both run: a
stream that drops is resubscribed with backoff while polling covers the gap; a stream that never
works falls back to polling for good; refused keys stop private streams at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from ..domain.book import Book
from ..venues.ccxt_venue import ExchangeVenue
from ..venues.errors import ErrorKind
from . import stream_health
from .events import BookChanged, RiskAlert
from .ports import DeskPort
from .refresh_plan import RefreshPlanner

log = logging.getLogger(__name__)


class Feeds:
    def __init__(self, desk: DeskPort):
        self.desk = desk
        self.streams_ok: dict[str, bool] = {}
        self.book_seen_ms: dict[tuple[str, str], int] = {}

    def start(self) -> None:
        desk = self.desk
        for name, venue in desk.venues.items():
            for symbol in desk.watch_symbols[name]:
                desk.router.spawn(self.book_loop(name, symbol))
            self.start_private_streams(name)
        desk.router.spawn(self.refresh_loop())

    def start_private_streams(self, name: str) -> None:
        venue = self.desk.venues[name]
        if venue.has("watchMyTrades"):
            self.desk.router.spawn(self.fill_stream(name))
        if venue.has("watchOrders"):
            self.desk.router.spawn(self.order_stream(name))

    # -- books -----------------------------------------------------------------------------------
    async def store_book(self, venue: str, book: Book) -> None:
        desk = self.desk
        key = (venue, book.symbol)
        desk.books[key] = book
        self.book_seen_ms[key] = desk.clock.wall_ms()
        desk.bus.publish(BookChanged(venue, book.symbol, book))

    async def sync_books(self) -> None:
        """Snapshot every watched book by REST: start-up, stream outages, and headless scripts."""
        desk = self.desk
        for name, venue in desk.venues.items():
            for symbol in desk.watch_symbols.get(name, []):
                await self.store_book(name, await venue.fetch_book(symbol, desk.settings.book_depth))

    async def book_loop(self, venue_name: str, symbol: str) -> None:
        """The book by stream where the venue has one, by REST polling where not.

        A depth stream sends only when the book changes: a calm book is silent, not stale. After
        ``book_quiet_s`` of silence the book is confirmed current: by the stream's own heartbeat where the
        venue tells it, else by a REST snapshot. A failed watch (a checksum or sequence gap, a disconnect) is
        answered with a REST snapshot at once, then the next watch resubscribes from scratch (ccxt restarts
        the book after a ChecksumError). Repeated failures back off; a stream that never works falls back to
        polling for good."""
        desk = self.desk
        venue = desk.venues[venue_name]
        streaming = venue.has("watchOrderBook")
        failures = 0
        watched_once = False
        pending: asyncio.Future | None = None
        try:
            while True:
                try:
                    if streaming:
                        if pending is None:
                            pending = asyncio.ensure_future(venue.watch_book(symbol, desk.settings.book_depth))
                        done, _ = await asyncio.wait({pending}, timeout=desk.settings.book_quiet_s)
                        if not done:
                            await self._confirm_quiet_book(venue_name, symbol)
                            continue
                        watch, pending = pending, None
                        book = watch.result()
                        watched_once = True
                    else:
                        await asyncio.sleep(self.poll_interval(venue, 1.0))
                        book = await venue.fetch_book(symbol, desk.settings.book_depth)
                    await self.store_book(venue_name, book)
                    if streaming:
                        stream_health.ok(desk, venue_name, "book")
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a checksum gap or disconnect: fall back to REST, then resubscribe
                    failures += 1
                    log.info("book %s %s: %s; falling back to a snapshot", venue_name, symbol, exc)
                    kind = getattr(exc, "kind", None)
                    if streaming:
                        stream_health.failed(desk, venue_name, "book", exc)
                    if streaming and not watched_once and (failures >= 5 or kind in (ErrorKind.PARAMETER,
                                                                                     ErrorKind.PERMANENT)):
                        log.warning("book %s %s: the stream does not work (%s); polling by REST", venue_name,
                                    symbol, exc)
                        streaming = False
                    with contextlib.suppress(Exception):
                        await self.store_book(venue_name, await venue.fetch_book(symbol, desk.settings.book_depth))
                    await asyncio.sleep(min(0.2 * 2 ** (failures - 1), 10.0) * (0.75 + random.random() / 2))
        finally:
            if pending is not None:
                pending.cancel()

    async def _confirm_quiet_book(self, venue_name: str, symbol: str) -> None:
        """No depth update for a while. If the stream's connection spoke recently (a heartbeat, any message),
        the book is simply calm: it is current. Otherwise a REST snapshot says what the book is now."""
        desk = self.desk
        venue = desk.venues[venue_name]
        key = (venue_name, symbol)
        heard = venue.stream_heard_ms()
        if heard is not None and desk.clock.wall_ms() - heard < desk.settings.book_quiet_s * 1000 \
                and key in desk.books:
            self.book_seen_ms[key] = desk.clock.wall_ms()
            return
        try:
            await self.store_book(venue_name, await venue.fetch_book(symbol, desk.settings.book_depth))
        except Exception as exc:  # noqa: BLE001 - the book stays as it was; the gate's stale check decides
            log.info("book %s %s: quiet-book snapshot failed: %s", venue_name, symbol, exc)

    @staticmethod
    def poll_interval(venue: ExchangeVenue, base: float) -> float:
        """Polling slows as the account's rate budget runs low: x3 under 20 % left, x10 under 5 %."""
        remaining, capacity = venue.rate_budget()
        fraction = remaining / max(capacity, 1)
        return base * (10 if fraction < 0.05 else 3 if fraction < 0.2 else 1)

    # -- private streams ---------------------------------------------------------------------------
    def check_auth(self, venue_name: str) -> bool:
        """True if the account's keys were refused. Shown to the trader once (a RiskAlert), never retried."""
        desk = self.desk
        venue = desk.venues[venue_name]
        taker = getattr(venue, "take_auth_alert", None)
        err = taker() if taker is not None else None
        if err is not None:
            self.streams_ok[venue_name] = False
            log.error("%s: keys refused: %s", venue_name, err.message)
            desk.bus.publish(RiskAlert(f"{venue_name}: the venue refused the API keys ({err.message}). Private "
                                       f"calls are stopped, not retried: set new keys with `workstation keys set "
                                       f"{venue_name}` and restart", "error"))
        return getattr(venue, "auth_error", None) is not None

    async def _private_stream(self, venue_name: str, what: str, step) -> None:
        """Run ``step`` (one watch and its handling) forever: back off on errors (polling in refresh()
        covers the gap; streams miss messages anyway), stop for good when the keys are refused."""
        failures = 0
        while True:
            try:
                await step()
                self.streams_ok[venue_name] = True
                stream_health.ok(self.desk, venue_name, what)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - streams drop; refresh() backs them up
                self.streams_ok[venue_name] = False
                stream_health.failed(self.desk, venue_name, what, exc)
                if getattr(exc, "kind", None) is ErrorKind.AUTH or self.check_auth(venue_name):
                    self.check_auth(venue_name)
                    log.info("%s stream %s stopped: keys refused", what, venue_name)
                    return
                failures += 1
                log.info("%s stream %s: %s", what, venue_name, exc)
                await asyncio.sleep(min(self.desk.settings.stream_retry_s * 2 ** (failures - 1), 30.0)
                                    * (0.75 + random.random() / 2))

    async def fill_stream(self, venue_name: str) -> None:
        desk = self.desk
        venue = desk.venues[venue_name]

        async def step() -> None:
            for fill in await venue.watch_my_trades():
                desk.ledger.record_fill(fill)

        await self._private_stream(venue_name, "fill", step)

    async def order_stream(self, venue_name: str) -> None:
        desk = self.desk
        venue = desk.venues[venue_name]

        async def step() -> None:
            for report in await venue.watch_orders():
                order = desk.ledger.find(venue_name, report.client_order_id, report.venue_order_id)
                if order is not None:
                    desk.ledger.apply_report(order, report, "stream")

        await self._private_stream(venue_name, "order", step)

    # -- the refresh timer -------------------------------------------------------------------------
    async def refresh_loop(self) -> None:
        desk = self.desk
        while True:
            # the rate budget sets the cadence: the weight of a refresh, and slower when the budget runs low
            interval = RefreshPlanner.of(desk).interval()
            await asyncio.sleep(interval)
            try:
                await desk.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh failed")
            for name in desk.venues:
                self.check_auth(name)
