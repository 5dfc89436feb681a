"""HTTP and websocket plumbing shared by the fake Bybit and the fake OKX: one aiohttp server on 127.0.0.1,
routes by (method, path), injected faults, a request log, and websocket connections.

Every URL carries the real host as its first path segment (``/api-demo.bybit.com/v5/order/create``,
``/wspap.okx.com/ws/v5/private``): the workstation's own ``rest_url``/``ws_url`` overrides with ``{host}``
produce exactly that, so the fake can tell live, testnet and demo hosts apart, as the real venues do (a demo
key on the live host is refused).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from .loopback import LoopbackServer

log = logging.getLogger(__name__)

FAULT_KINDS = {
    "rate_limit",  # the venue's 429, request not processed
    "server_error",  # a 5xx before processing
    "timeout_before_accept",  # hang without processing: the request is lost
    "timeout_after_accept",  # process (place the order), then hang past the client's timeout
}


class HttpError(Exception):
    """An answer other than success, already in the venue's shape."""

    def __init__(self, status: int, payload: Any):
        super().__init__(f"{status} {payload}")
        self.status, self.payload = status, payload


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict[str, str]
    body: str
    headers: Any
    raw_query: str

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}

    @property
    def params(self) -> dict[str, Any]:
        body = self.json if self.body.startswith(("{", "[")) else dict(parse_qsl(self.body))
        if isinstance(body, list):
            body = body[0] if body else {}
        return {**self.query, **body}


@dataclass
class Fault:
    method: str | None
    path: str
    kind: str
    remaining: int


@dataclass
class Seen:
    method: str
    host: str
    path: str
    params: dict[str, Any]
    status: int = 0


@dataclass(eq=False)
class WsConn:
    ws: web.WebSocketResponse
    host: str
    path: str
    query: dict[str, str]
    topics: set = field(default_factory=set)
    authed: bool = False

    @property
    def private(self) -> bool:
        return "private" in self.path


Handler = Callable[[Request], Any]


class FakeServer(LoopbackServer):
    name = "fake"

    def __init__(self, hang_seconds: float = 30.0):
        self.hang_seconds = hang_seconds
        self.routes: dict[tuple[str, str], tuple[str, Handler]] = {}  # (METHOD, path) -> (public|private, handler)
        self.requests: Counter = Counter()
        self.request_log: list[Seen] = []
        self.errors: list[str] = []  # crashes of the fake itself: fixtures fail on these
        self.connections: list[WsConn] = []
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- counters and faults ----------------------------------------------------------------------
    def count(self, target: str) -> int:
        """Requests seen for 'POST /v5/order/create' (or the path alone, any method)."""
        method, _, path = target.rpartition(" ")
        return sum(n for key, n in self.requests.items()
                   if key.split(" ", 1)[1] == path and (not method or key.split(" ", 1)[0] == method))

    def sent(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.request_log if s.method == method and s.path == path]

    def fail_next(self, target: str, kind: str, times: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        method, _, path = target.rpartition(" ")
        self._faults.append(Fault(method or None, path, kind, times))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if re.fullmatch(fault.path, path) and fault.method in (None, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _hang(self) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
        except asyncio.TimeoutError:
            pass

    # -- what a venue supplies ------------------------------------------------------------------------
    def authorize(self, request: Request) -> None:  # raise HttpError when keys or signature are wrong
        raise NotImplementedError

    def rate_limited(self) -> tuple[int, Any]:
        raise NotImplementedError

    def server_error(self) -> tuple[int, Any]:
        return 503, "Service Unavailable"

    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        raise NotImplementedError

    async def flush(self) -> None:
        """Push the engine's pending events to the private streams."""

    # -- REST -----------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._handle_ws(request)
        host, _, path = request.path.lstrip("/").partition("/")
        req = Request(request.method, host, "/" + path, dict(parse_qsl(request.query_string, keep_blank_values=True)),
                      await request.text(), request.headers, request.query_string)
        self.requests[f"{req.method} {req.path}"] += 1
        seen = Seen(req.method, host, req.path, {})
        self.request_log.append(seen)
        try:
            seen.params = req.params
        except ValueError:
            pass
        status, payload = await self._respond(req)
        seen.status = status
        if isinstance(payload, str):
            return web.Response(status=status, text=payload)
        return web.json_response(payload, status=status)

    async def _respond(self, req: Request) -> tuple[int, Any]:
        route = self.routes.get((req.method, req.path))
        if route is None:
            return 404, f"{self.name} has no route for {req.method} {req.path}"
        fault = self._take_fault(req.method, req.path)
        kind = fault.kind if fault else None
        if kind == "rate_limit":
            return self.rate_limited()
        if kind == "server_error":
            return self.server_error()
        if kind == "timeout_before_accept":
            await self._hang()
            return 504, "Gateway Timeout"
        security, handler = route
        try:
            if security == "private":
                self.authorize(req)
            payload = handler(req)
            status = 200
        except HttpError as exc:
            status, payload = exc.status, exc.payload
        except Exception:  # noqa: BLE001 - a crash of the fake itself fails the test that saw it
            self.errors.append(f"{req.method} {req.path}: {traceback.format_exc()}")
            log.exception("%s crashed on %s %s", self.name, req.method, req.path)
            return 500, f"{self.name} crashed:\n{traceback.format_exc()}"
        await self.flush()
        if kind == "timeout_after_accept":
            await self._hang()
        return status, payload

    # -- websocket ------------------------------------------------------------------------------
    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        host, _, path = request.path.lstrip("/").partition("/")
        self.requests[f"WS /{path}"] += 1
        if not self.ws_path_ok(host, "/" + path):
            return web.Response(status=404, text=f"{self.name} has no websocket at {request.path}")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = WsConn(ws, host, "/" + path, dict(request.query))
        self.connections.append(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self.on_ws_text(conn, msg.data)
        except Exception:  # noqa: BLE001
            self.errors.append(f"WS {request.path}: {traceback.format_exc()}")
            log.exception("%s ws crashed on %s", self.name, request.path)
        finally:
            self.connections.remove(conn)
        return ws

    def ws_path_ok(self, host: str, path: str) -> bool:
        return True

    async def send(self, conn: WsConn, payload: Any) -> None:
        try:
            await conn.ws.send_str(payload if isinstance(payload, str) else json.dumps(payload))
        except (ConnectionResetError, RuntimeError):
            pass  # the client went away mid-send: its watch sees the disconnect

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "the client") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name}: timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def drop_connections(self, private: bool | None = None) -> None:
        """Close websocket connections server-side (maintenance, the daily reconnect)."""
        for conn in list(self.connections):
            if private is None or conn.private == private:
                await conn.ws.close()
