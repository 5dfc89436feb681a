"""A transport that records instead of sending: the real ccxt class builds and signs every request,
this keeps it and answers from a table of the venue's recorded answers.

It replaces ``exchange.fetch`` (the one method that does HTTP) and does what ccxt's own ``fetch`` does
with an answer: ``handle_errors`` (the venue's error codes -> ccxt exceptions) and
``handle_http_status_code``. So signing, request building, parsing and error mapping are ccxt's own;
only the socket is missing. No server, no port: a test case costs milliseconds.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

import ccxt
import ccxt.pro


@dataclass
class Reply:
    """An answer with a status other than 200, or headers, or a body that is not JSON."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


TIMEOUT = object()  # the request left, no answer came (ccxt raises RequestTimeout)


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.url).query, keep_blank_values=True))

    @property
    def payload(self) -> Any:
        """The body as the venue reads it: JSON, or a form, or None."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return dict(urllib.parse.parse_qsl(self.body, keep_blank_values=True))

    @property
    def params(self) -> dict[str, Any]:
        """Query and body together (a JSON list body, OKX's batch, gives its first element)."""
        body = self.payload
        if isinstance(body, list):
            body = body[0] if body else {}
        return {**self.query, **(body or {})}

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


Answer = Any  # a JSON value, a Reply, TIMEOUT, or a callable(Sent) -> one of those


class Recorder:
    def __init__(self, exchange: Any, routes: dict[tuple[str, str], Answer]):
        self.exchange = exchange
        self.routes = dict(routes)  # (METHOD, path regex) -> answer
        self.sent: list[Sent] = []
        self._once: list[tuple[str, str, Answer]] = []
        exchange.fetch = self.fetch

    def once(self, method: str, path: str, answer: Answer) -> None:
        """The next request to ``method path`` gets ``answer`` (before the routes table)."""
        self._once.append((method, path, answer))

    def answer_for(self, sent: Sent) -> Answer:
        for i, (method, path, answer) in enumerate(self._once):
            if method == sent.method and re.fullmatch(path, sent.path):
                del self._once[i]
                return answer
        for (method, path), answer in self.routes.items():
            if method == sent.method and re.fullmatch(path, sent.path):
                return answer
        raise AssertionError(f"{self.exchange.id}: no recorded answer for {sent.method} {sent.path} "
                             f"(query {sent.query}, body {sent.body})")

    async def fetch(self, url, method="GET", headers=None, body=None):
        sent = Sent(method, url, dict(headers or {}), body)
        self.sent.append(sent)
        answer = self.answer_for(sent)
        if callable(answer):
            answer = answer(sent)
        if answer is TIMEOUT:
            raise ccxt.RequestTimeout(f"{self.exchange.id} {method} {url}")
        reply = answer if isinstance(answer, Reply) else Reply(answer)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        ex = self.exchange
        ex.last_http_response, ex.last_json_response = text, parsed
        ex.handle_errors(reply.status, "", url, method, reply.headers, text, parsed, dict(headers or {}), body)
        ex.handle_http_status_code(reply.status, "", url, method, text)
        return parsed if parsed is not None else text

    def last(self, method: str | None = None, path: str | None = None) -> Sent:
        for sent in reversed(self.sent):
            if (method is None or sent.method == method) and (path is None or re.fullmatch(path, sent.path)):
                return sent
        raise AssertionError(f"no {method or ''} {path or ''} request was recorded; sent: "
                             f"{[(s.method, s.path) for s in self.sent]}")

    def clear(self) -> None:
        self.sent.clear()


def exchange(exchange_id: str, credentials: dict[str, str], options: dict | None = None,
             has: dict | None = None) -> Any:
    """A real ccxt.pro instance with keys, its own rate limiter off (nothing is sent)."""
    cls = getattr(ccxt.pro, exchange_id)
    config: dict[str, Any] = {**credentials, "enableRateLimit": False, "options": dict(options or {})}
    if has:
        config["has"] = has
    ex = cls(config)
    ex.timeout_on_exit = 0
    return ex


Check = Callable[[Sent], None]
