"""What every fake venue server shares: an aiohttp app on 127.0.0.1 at a free port, one catch-all route to
the subclass's ``_handle``, and a stop that releases parked handlers and closes every websocket first."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web


class LoopbackServer:
    port: int
    connections: list[Any]  # each with a ``ws`` (aiohttp's WebSocketResponse)
    _closing: asyncio.Event  # set on stop: handlers parked by timeout faults return
    _runner: web.AppRunner | None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self):
        self._closing.set()
        for conn in list(self.connections):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc):
        await self.stop()
