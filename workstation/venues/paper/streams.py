"""Push streams: bounded event logs read through per-watcher cursors.

A watcher's subscription starts at its first call (as with a websocket); anything pushed
before that is only visible through REST, as on a real venue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from itertools import islice
from typing import Any


class Notifier:
    """Wakes every waiter on the next notify(); cheap when nobody waits."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        if self._event is None or self._loop is not loop:  # an exchange may outlive a loop
            self._event, self._loop = asyncio.Event(), loop
        await self._event.wait()


class EventLog:
    def __init__(self, maxlen: int = 50_000) -> None:
        self._items: deque[Any] = deque()
        self._start = 0
        self._maxlen = maxlen

    def append(self, item: Any) -> None:
        self._items.append(item)
        if len(self._items) > self._maxlen:
            self._items.popleft()
            self._start += 1

    @property
    def end(self) -> int:
        return self._start + len(self._items)

    def read(self, cursor: int) -> tuple[list[Any], int]:
        """Items from cursor on (those trimmed away are lost, as from a full ws buffer)."""
        offset = max(0, cursor - self._start)
        return list(islice(self._items, offset, None)), self.end
