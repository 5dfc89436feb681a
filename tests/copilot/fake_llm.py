"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for the copilot's tests.

Each POST /v1/chat/completions pops the next scripted step:
- a message dict (``tool_calls(...)``, ``reply(...)``, ``refusal(...)``) -> a normal 200 answer;
- ``slow(seconds, step)`` -> waits, then answers with ``step``;
- ``raw(status, body)`` -> that status and body verbatim (e.g. not JSON, or a 503);
- a callable(request_json) -> a step, to answer depending on what the client sent.
With the script empty it answers "no trade". Every request body is kept in ``requests``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

_ids = itertools.count(1)


@dataclass
class Slow:
    seconds: float
    then: Any


@dataclass
class Raw:
    status: int
    body: str


def tool_call(name: str, arguments: dict | str, call_id: str | None = None) -> dict[str, Any]:
    return tool_calls((name, arguments, call_id))


def tool_calls(*calls: tuple) -> dict[str, Any]:
    out = []
    for call in calls:
        name, arguments = call[0], call[1]
        call_id = (call[2] if len(call) > 2 else None) or f"call_{next(_ids)}"
        out.append({"id": call_id, "type": "function", "function": {
            "name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}})
    return {"role": "assistant", "content": None, "tool_calls": out}


def reply(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def refusal(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "refusal": text}


def slow(seconds: float, then: Any) -> Slow:
    return Slow(seconds, then)


def raw(status: int, body: str) -> Raw:
    return Raw(status, body)


class FakeLLM:
    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def push(self, *steps: Any) -> None:
        self.script.extend(steps)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.auth.append(request.headers.get("Authorization"))
        step: Any = self.script.pop(0) if self.script else reply("no trade")
        if callable(step):
            step = step(body)
        while isinstance(step, Slow):
            await asyncio.sleep(step.seconds)
            step = step.then
        if isinstance(step, Raw):
            return web.Response(status=step.status, text=step.body, content_type="application/json")
        finish = "tool_calls" if step.get("tool_calls") else "stop"
        answer = {"id": f"chatcmpl-{next(_ids)}", "object": "chat.completion", "model": body.get("model"),
                  "choices": [{"index": 0, "message": step, "finish_reason": finish}]}
        return web.json_response(answer)

    def tool_messages(self, request_index: int) -> list[dict[str, Any]]:
        """The tool results the client sent in one request, decoded."""
        return [json.loads(m["content"]) | {"_id": m["tool_call_id"]}
                for m in self.requests[request_index]["messages"] if m["role"] == "tool"]
