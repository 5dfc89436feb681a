"""The parent's side of the Desk's process: start it, talk to it, drive its clock, kill it, start it again.

Processes come from a fork server (zygote.py) that has already imported the Desk: a restart costs a
fork, not a second of imports. One Desk process at a time; each connects to the soak's Unix socket and
speaks ``wire``. Time: the venue's clock moves only here. ``step()`` moves it in slices (never past the
child's next timer, never more than 500 ms) and after each slice waits until the child is *quiescent*:
it has seen every message, has nothing to run, and none of its requests is being answered (a watch
waiting for the venue to change, or a send held on purpose, do not count). When the parent waits for a
command and the child is quiescent, the child is waiting for its own timer: the clock moves to it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ..venues.paper.exchange import PaperExchange
from .venue_server import Killed, VenueServer
from .wire import encode, error_payload, read_message

SLICE_MS = 500  # the longest the venue's clock moves in one go (a decision's step, or up to the Desk's next timer)
PARKED = frozenset({"watch_order_book", "watch_orders", "watch_my_trades"})


class ChildDied(Exception):
    """The Desk's process was killed (or died) before it answered."""


class CommandFailed(Exception):
    """The Desk refused a command (a DeskError) or it failed; ``kind`` is the exception class's name."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Hung(Exception):
    """The Desk's process stopped answering while it had work to do."""


class ChildLink:
    """One connection to one Desk process."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: VenueServer):
        self.reader, self.writer, self.server = reader, writer, server
        self.exchange: PaperExchange = server.exchange
        self.seq = 0
        self.idle_seen = -1
        self.idle_until: int | None = None
        self.dead = False
        self.changed = asyncio.Event()
        self.hello: asyncio.Future = asyncio.get_running_loop().create_future()
        self._ids = itertools.count(1)
        self._commands: dict[int, asyncio.Future] = {}
        self._calls: dict[int, tuple[str, asyncio.Task]] = {}
        self._on_answer: dict[int, Any] = {}
        server.on_change = self.changed.set  # a send held (parked) at the venue counts as quiet

    def send(self, message: dict[str, Any], method: str = "") -> None:
        if self.dead:
            return
        self.seq += 1
        message["seq"], message["now"] = self.seq, self.exchange.milliseconds()
        self.writer.write(encode(message, self.server.rows, method))

    def command(self, name: str, on_answer: Any = None, **args: Any) -> asyncio.Future:
        """Send a command; the future gets its answer. ``on_answer()`` runs the moment the answer is read,
        before any request the child sent after it is applied (a snapshot of the venue at that instant)."""
        future = asyncio.get_running_loop().create_future()
        if self.dead:
            future.set_exception(ChildDied(name))
            return future
        command_id = next(self._ids)
        self._commands[command_id] = future
        if on_answer is not None:
            self._on_answer[command_id] = on_answer
        self.send({"k": "cmd", "id": command_id, "m": name, "a": args})
        return future

    @property
    def quiescent(self) -> bool:
        if self.dead or self.idle_seen != self.seq:
            return False
        busy = sum(1 for method, _ in self._calls.values() if method not in PARKED)
        return busy <= (1 if self.server.holding else 0)

    def describe(self) -> str:
        calls = ", ".join(sorted(method for method, _ in self._calls.values())) or "none"
        return (f"messages sent {self.seq}, seen {self.idle_seen}, idle until {self.idle_until}; "
                f"requests in flight: {calls}; commands waiting: {len(self._commands)}; "
                f"hold {self.server.hold}, now {self.exchange.milliseconds()}")

    async def serve(self) -> None:
        try:
            while True:
                self._dispatch(await read_message(self.reader))
                self.changed.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.close()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["k"]
        if kind == "call":
            task = asyncio.ensure_future(self._answer(message["id"], message["m"], message["a"], message["kw"]))
            self._calls[message["id"]] = (message["m"], task)
        elif kind == "idle":
            self.idle_seen, self.idle_until = message["seen"], message["until"]
        elif kind in ("done", "fail"):
            future = self._commands.pop(message["id"], None)
            hook = self._on_answer.pop(message["id"], None)
            if hook is not None and kind == "done":
                hook()
            if future is not None and not future.done():
                if kind == "done":
                    future.set_result(message.get("r"))
                else:
                    future.set_exception(CommandFailed(*message["e"]))
        elif kind == "hello" and not self.hello.done():
            self.hello.set_result(message["pid"])

    async def _answer(self, call_id: int, method: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        try:
            result = await self.server.handle(method, args, kwargs)
        except Killed:
            return
        except Exception as exc:  # noqa: BLE001 - the venue's exception goes back as the same class
            self.send({"k": "err", "id": call_id, "e": error_payload(exc), "rb": self.exchange.rate_budget()})
        else:
            self.send({"k": "ret", "id": call_id, "r": result, "rb": self.exchange.rate_budget()}, method)
        finally:
            self._calls.pop(call_id, None)
            self.changed.set()

    def close(self) -> None:
        """The process is gone: nothing more is read, answered or sent; waiting commands fail."""
        if self.dead:
            return
        self.dead = True
        self.writer.close()
        current = asyncio.current_task()
        for _, task in self._calls.values():
            if task is not current:
                task.cancel()
        for future in self._commands.values():
            if not future.done():
                future.set_exception(ChildDied("the Desk's process died"))
        self._commands.clear()
        self.changed.set()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc), 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class DeskProcess:
    """The Desk's process as the soak sees it: started, commanded, killed and started again."""

    def __init__(self, server: VenueServer, workdir: Path, instance: str):
        self.server = server
        self.exchange = server.exchange
        self.workdir = workdir
        self.instance = instance
        self.socket_path = str(workdir / "venue.sock")
        self.link: ChildLink | None = None
        self.pid: int | None = None
        self.number = 0
        self.kills = 0
        self.child_cpu_s = 0.0  # CPU the Desk's processes used (read just before each is killed)
        self.epoch_ms = self.exchange.milliseconds() - 1000
        self._listener: asyncio.AbstractServer | None = None
        self._connected: asyncio.Queue[ChildLink] = asyncio.Queue()
        self._zygote: asyncio.subprocess.Process | None = None
        server.kill_now = self.kill

    async def open(self) -> None:
        self._listener = await asyncio.start_unix_server(self._on_connect, path=self.socket_path, limit=2 ** 24)
        self._zygote = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workstation.soak.zygote", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = ChildLink(reader, writer, self.server)
        await self._connected.put(link)
        await link.serve()

    async def spawn(self) -> None:
        """A new Desk process; returns once it is connected (it starts its Desk on the `start` command)."""
        zygote = self._zygote
        assert zygote is not None and zygote.stdin is not None and zygote.stdout is not None
        self.number = self.server.new_process()
        config = {"socket": self.socket_path, "journal": str(self.workdir / "journal.sqlite3"),
                  "instance": self.instance, "now_ms": self.exchange.milliseconds(), "epoch_ms": self.epoch_ms,
                  "process": self.number,
                  "log": str(self.workdir / "desk.log")}
        zygote.stdin.write((json.dumps(config) + "\n").encode())
        self.pid = int(await asyncio.wait_for(zygote.stdout.readline(), 120))
        self.link = await asyncio.wait_for(self._connected.get(), 120)
        await asyncio.wait_for(self.link.hello, 120)

    def kill(self, reason: str = "", count: bool = True) -> None:
        """SIGKILL, now. Whatever the process was doing stops mid-step; nothing is cleaned up."""
        if self.pid is not None and self.link is not None and not self.link.dead:
            self.child_cpu_s += _cpu_seconds(self.pid)
            os.kill(self.pid, signal.SIGKILL)
            self.kills += count
        if self.link is not None:
            self.link.close()

    async def dump_stacks(self) -> None:
        """Ask a hung Desk process for its threads' stacks (written beside its log, desk.log.stacks)."""
        if self.pid is not None and self.alive:
            os.kill(self.pid, signal.SIGUSR1)
            await asyncio.sleep(0.5)

    async def reap(self) -> None:
        """After a kill: the websockets die with the process; the venue forgets its subscriptions."""
        self.pid = None
        await self.exchange.close()

    async def shutdown(self) -> None:
        self.kill("end of the soak", count=False)
        await self.reap()
        if self._listener is not None:
            self._listener.close()
        if self._zygote is not None:
            if self._zygote.stdin is not None:
                self._zygote.stdin.close()
            await asyncio.wait_for(self._zygote.wait(), 30)

    @property
    def alive(self) -> bool:
        return self.link is not None and not self.link.dead

    # -- time ---------------------------------------------------------------------------------------
    async def settle(self, until: asyncio.Future | None = None, real_timeout_s: float = 120.0) -> None:
        """Wait until the child is quiescent (or dead, or ``until`` is done)."""
        link = self.link
        loop = asyncio.get_running_loop()
        deadline = loop.time() + real_timeout_s
        while True:
            for _ in range(3):  # let the venue's woken watchers answer first
                await asyncio.sleep(0)
            if link is None:
                return
            link.changed.clear()  # before looking: whatever changes after the look wakes us
            if link.dead or link.quiescent or (until is not None and until.done()):
                return
            waits = [asyncio.ensure_future(link.changed.wait())]
            if until is not None:
                waits.append(until)  # type: ignore[arg-type]
            done, _ = await asyncio.wait(waits, timeout=max(0.0, deadline - loop.time()),
                                         return_when=asyncio.FIRST_COMPLETED)
            waits[0].cancel()
            if not done:
                raise Hung(f"the Desk's process sent nothing for {real_timeout_s:.0f}s while it had work to do "
                           f"({link.describe()})")

    def _slice(self, limit_ms: int) -> None:
        link = self.link
        step = min(SLICE_MS, limit_ms)
        if link is not None and link.idle_until is not None:
            now = self.exchange.milliseconds()
            if now < link.idle_until < now + step:
                step = link.idle_until - now
        self.exchange.step(max(1, step))
        self.server.tick()
        if link is not None:
            link.send({"k": "time"})

    async def step(self, ms: int) -> None:
        """Move the venue's clock ``ms`` forward, the child keeping up slice by slice."""
        target = self.exchange.milliseconds() + ms
        while self.exchange.milliseconds() < target:
            self._slice(target - self.exchange.milliseconds())
            await self.settle()

    async def run(self, future: asyncio.Future, max_virtual_ms: int = 300_000) -> Any:
        """Wait for a command's answer, moving the clock whenever the child waits for its own timers."""
        start = self.exchange.milliseconds()
        while not future.done():
            await self.settle(until=future)
            if future.done():
                break
            if self.exchange.milliseconds() - start > max_virtual_ms:
                raise Hung(f"no answer after {max_virtual_ms / 1000:.0f}s of venue time")
            self._slice(SLICE_MS)
        return future.result()

    async def command(self, name: str, on_answer: Any = None, **args: Any) -> Any:
        if self.link is None or self.link.dead:
            raise ChildDied(name)
        return await self.run(self.link.command(name, on_answer, **args))
