"""HTTP and websocket plumbing of the fake Binance: routing, API-key and
HMAC-SHA256 checks, injected faults, request counters and ws fan-out.

Websocket urls carry the real host as their first path segment
(`/stream.binance.com/ws/0`, `/fstream.binance.com/public/ws/0`,
`/ws-api.binance.com/ws-api/v3`), which keeps ccxt's url-based branching
(`is_spot_url` looks for "/stream") behaving as it does against Binance.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import traceback
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from .binance_markets import SPOT, USDM
from .binance_venue import BinanceError, Venue, now_ms, to_int
from .loopback import LoopbackServer

log = logging.getLogger(__name__)

FAULT_KINDS = {
    'rate_limit',              # 429 + Retry-After, request not processed
    'ip_ban',                  # 418 + Retry-After, request not processed
    'server_error',            # 503 "Service Unavailable.", request not processed
    'timeout_before_accept',   # hang without processing: the request is lost
    'timeout_after_accept',    # process (e.g. place the order), then hang past the client timeout
    'unknown_after_accept',    # process, then answer -1007 "execution status unknown"
}
_REJECTING = {
    'rate_limit': (429, {'code': -1003, 'msg': 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.'}),
    'ip_ban': (418, {'code': -1003, 'msg': 'Way too many requests; IP(127.0.0.1) banned until 4102444800000. Please use the websocket for live updates to avoid bans.'}),
}
_UNKNOWN_STATUS = {'code': -1007, 'msg': 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.'}


@dataclass
class Fault:
    method: str | None
    path: str
    kind: str
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return self.path == path and self.method in (None, method)


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict  # query + form params, signature removed
    status: int = 0


@dataclass(eq=False)
class WsConnection:
    ws: web.WebSocketResponse
    venue: str
    role: str  # 'market' | 'api' | 'user'
    path: str
    streams: set = field(default_factory=set)
    subscription_id: int | None = None  # set once the ws-api user stream is subscribed

    @property
    def receives_user_events(self) -> bool:
        return self.role == 'user' or self.subscription_id is not None


class Transport(LoopbackServer):
    def __init__(self, venues: dict[str, Venue], api_key: str, secret: str, hang_seconds: float):
        self.venues = venues
        self.api_key = api_key
        self.secret = secret
        self.hang_seconds = hang_seconds
        self.clock_skew_ms = 0
        self.requests: Counter = Counter()
        self.request_log: list[RecordedRequest] = []
        self.user_events: list[tuple[str, dict]] = []
        self.errors: list[str] = []  # crashes inside the fake itself; fixtures fail on these
        self.connections: list[WsConnection] = []
        self.listen_keys: dict[str, str] = {}  # listenKey -> venue
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._user_ready = {SPOT: asyncio.Event(), USDM: asyncio.Event()}
        self._next_subscription_id = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = {}
        for venue in venues.values():
            self._routes.update(venue.routes())
        self._routes.update(self._listen_key_routes())

    # -- counters and faults ---------------------------------------------

    def count(self, target: str) -> int:
        """Requests seen for 'GET /api/v3/depth', or for '/api/v3/depth' with any method."""
        method, _, path = target.rpartition(' ')
        if method:
            return self.requests[target]
        return sum(n for key, n in self.requests.items() if key.split(' ', 1)[1] == path)

    def reset_counters(self):
        self.requests.clear()
        self.request_log.clear()

    def fail_next(self, target: str, kind: str, times: int = 1):
        """Make the next `times` requests to target ('POST /api/v3/order' or '/api/v3/order') fail."""
        if kind not in FAULT_KINDS:
            raise ValueError(f'unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}')
        method, _, path = target.rpartition(' ')
        self._faults.append(Fault(method or None, path, kind, times))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _hang(self):
        try:
            await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
        except asyncio.TimeoutError:
            pass

    # -- REST ------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get('Upgrade', '').lower() == 'websocket':
            return await self._handle_ws(request)
        method, path = request.method, request.path
        body = await request.text()
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        self.requests[f'{method} {path}'] += 1
        record = RecordedRequest(method, path, {k: v for k, v in params.items() if k != 'signature'})
        self.request_log.append(record)
        response = await self._respond(request, method, path, params, body)
        record.status = response.status
        return response

    async def _respond(self, request, method, path, params, body) -> web.StreamResponse:
        route = self._routes.get((method, path))
        if route is None:
            return web.Response(status=404, text=f'fake binance has no route for {method} {path}')
        fault = self._take_fault(method, path)
        kind = fault.kind if fault else None
        if kind in _REJECTING:
            status, payload = _REJECTING[kind]
            return web.json_response(payload, status=status, headers={'Retry-After': '1'})
        if kind == 'server_error':
            return web.Response(status=503, text='Service Unavailable.')
        if kind == 'timeout_before_accept':
            await self._hang()
            return web.Response(status=504, text='Gateway Timeout')
        security, handler = route
        try:
            self._authorize(security, request, params, body)
            status, payload = 200, handler(params)
        except BinanceError as exc:
            status, payload = exc.http_status, exc.body()
        except Exception:
            self.errors.append(f'{method} {path}: {traceback.format_exc()}')
            log.exception('fake binance crashed on %s %s', method, path)
            return web.Response(status=500, text=f'fake binance crashed:\n{traceback.format_exc()}')
        await self.flush_events()
        if kind == 'timeout_after_accept':
            await self._hang()
        if kind == 'unknown_after_accept':
            return web.json_response(_UNKNOWN_STATUS, status=503)
        return web.json_response(payload, status=status)

    def _authorize(self, security: str, request: web.Request, params: dict, body: str):
        if security == 'public':
            return
        key = request.headers.get('X-MBX-APIKEY')
        if not key:
            raise BinanceError(-2014, 'API-key format invalid.', 401)
        if key != self.api_key:
            raise BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401)
        if security == 'signed':
            # Binance signs the query string and the form body concatenated, minus the signature itself.
            total = request.query_string + body
            self._check_signature(re.sub(r'&?signature=[^&]*', '', total), params)

    def _check_signature(self, payload: str, params: dict):
        signature = params.get('signature')
        if not signature:
            raise BinanceError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise BinanceError(-1022, 'Signature for this request is not valid.')
        if 'timestamp' not in params:
            raise BinanceError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
        server_now = now_ms() + self.clock_skew_ms
        recv_window = to_int(params, 'recvWindow', 5000)
        timestamp = to_int(params, 'timestamp')
        if timestamp > server_now + 1000:
            raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if server_now - timestamp > recv_window:
            raise BinanceError(-1021, 'Timestamp for this request is outside of the recvWindow.')

    def _listen_key_routes(self) -> dict:
        def create(venue):
            def handler(params):
                existing = next((k for k, v in self.listen_keys.items() if v == venue), None)
                key = existing or secrets.token_urlsafe(48)[:64]  # futures hands back the live key
                self.listen_keys[key] = venue
                return {'listenKey': key}
            return handler

        def keepalive(params):
            return {}

        def close(params):
            self.listen_keys.pop(params.get('listenKey', ''), None)
            return {}

        return {
            ('POST', '/api/v3/userDataStream'): ('apikey', create(SPOT)),
            ('PUT', '/api/v3/userDataStream'): ('apikey', keepalive),
            ('DELETE', '/api/v3/userDataStream'): ('apikey', close),
            ('POST', '/fapi/v1/listenKey'): ('apikey', create(USDM)),
            ('PUT', '/fapi/v1/listenKey'): ('apikey', lambda p: {'listenKey': next(
                (k for k, v in self.listen_keys.items() if v == USDM), '')}),
            ('DELETE', '/fapi/v1/listenKey'): ('apikey', close),
            # ccxt's default fetchMarkets types include inverse; serve an empty COIN-M list.
            ('GET', '/dapi/v1/exchangeInfo'): ('public', lambda p: {
                'timezone': 'UTC', 'serverTime': now_ms(), 'rateLimits': [], 'exchangeFilters': [],
                'symbols': []}),
        }

    # -- websocket -------------------------------------------------------

    def _classify(self, request: web.Request) -> tuple[str, str] | None:
        # live, testnet and demo hosts (ccxt's urls['test'] / urls['demo']) share one layout
        host, path = request.path.split('/')[1], request.path
        if host.startswith(('stream.', 'demo-stream.')):
            return SPOT, 'market'
        if host.startswith(('ws-api.', 'demo-ws-api.')):
            return SPOT, 'api'
        if host.startswith('fstream.'):
            return (USDM, 'user') if '/private/' in path else (USDM, 'market')
        if '/ws-fapi/' in path:
            return USDM, 'api'
        return None

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        kind = self._classify(request)
        self.requests[f'WS {request.path}'] += 1
        if kind is None:
            return web.Response(status=404, text=f'fake binance has no websocket at {request.path}')
        if kind[1] == 'user' and self.listen_keys.get(request.query.get('listenKey', '')) != USDM:
            return web.json_response({'code': -1125, 'msg': 'This listenKey does not exist.'}, status=400)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = WsConnection(ws, kind[0], kind[1], request.path)
        self.connections.append(conn)
        if conn.role == 'user':
            self._user_ready[conn.venue].set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_ws_message(conn, json.loads(msg.data))
        except Exception:
            self.errors.append(f'WS {request.path}: {traceback.format_exc()}')
            log.exception('fake binance ws crashed on %s', request.path)
        finally:
            self.connections.remove(conn)
            if not any(c.receives_user_events and c.venue == conn.venue for c in self.connections):
                self._user_ready[conn.venue].clear()
        return ws

    async def _on_ws_message(self, conn: WsConnection, message: dict):
        method, request_id = message.get('method'), message.get('id')
        self.requests[f'WS {method}'] += 1
        if conn.role == 'market':
            streams = message.get('params') or []
            if method == 'SUBSCRIBE':
                conn.streams.update(streams)
                await conn.ws.send_json({'result': None, 'id': request_id})
            elif method == 'UNSUBSCRIBE':
                conn.streams.difference_update(streams)
                await conn.ws.send_json({'result': None, 'id': request_id})
            elif method == 'LIST_SUBSCRIPTIONS':
                await conn.ws.send_json({'result': sorted(conn.streams), 'id': request_id})
            else:
                await conn.ws.send_json({'error': {'code': 2, 'msg': f'Invalid request: unknown method {method}'}, 'id': request_id})
            return
        if conn.role == 'api' and conn.venue == SPOT and method == 'userDataStream.subscribe.signature':
            await self._subscribe_user_stream(conn, request_id, message.get('params') or {})
            return
        await conn.ws.send_json({'id': request_id, 'status': 400, 'error': {
            'code': -1100, 'msg': f'fake binance ws-api does not implement {method}'}})

    async def _subscribe_user_stream(self, conn: WsConnection, request_id, params: dict):
        try:
            if params.get('apiKey') != self.api_key:
                raise BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401)
            # ws-api signs the key-sorted params (apiKey included) without url-encoding
            payload = '&'.join(f'{k}={params[k]}' for k in sorted(params) if k != 'signature')
            self._check_signature(payload, params)
        except BinanceError as exc:
            await conn.ws.send_json({'id': request_id, 'status': exc.http_status, 'error': exc.body()})
            return
        conn.subscription_id = self._next_subscription_id
        self._next_subscription_id += 1
        await conn.ws.send_json({'id': request_id, 'status': 200,
                                 'result': {'subscriptionId': conn.subscription_id}, 'rateLimits': []})
        self._user_ready[SPOT].set()

    async def wait_user_stream(self, venue: str, timeout: float = 5.0):
        """Block until a client listens to `venue`'s user data, so no event is pushed into the void."""
        await asyncio.wait_for(self._user_ready[venue].wait(), timeout)

    async def flush_events(self):
        for name, venue in self.venues.items():
            events, venue.events = venue.events, []
            for event in events:
                self.user_events.append((name, event))
                for conn in list(self.connections):
                    if conn.venue != name or not conn.receives_user_events:
                        continue
                    payload = event if conn.role == 'user' else {'subscriptionId': conn.subscription_id, 'event': event}
                    await self._send(conn, payload)

    async def broadcast(self, venue: str, stream: str, payload: dict) -> int:
        """Send a market-data event to every connection subscribed to `stream` (any speed suffix)."""
        sent = 0
        for conn in list(self.connections):
            if conn.venue == venue and conn.role == 'market' and any(
                    s == stream or s.startswith(stream + '@') for s in conn.streams):
                await self._send(conn, payload)
                sent += 1
        return sent

    async def _send(self, conn: WsConnection, payload: dict):
        try:
            await conn.ws.send_json(payload)
        except (ConnectionResetError, RuntimeError):
            pass  # client went away mid-send; its watch calls will see the disconnect

    async def drop_connections(self, venue: str | None = None, role: str | None = None):
        """Close websocket connections server-side, as Binance does every 24h or on maintenance."""
        for conn in list(self.connections):
            if venue in (None, conn.venue) and role in (None, conn.role):
                await conn.ws.close()
