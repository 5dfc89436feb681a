"""Scenarios as data: the TOML format, its loader and its validation.

One file holds one or more ``[[scenario]]`` tables (the README shows the whole format). Every
field is checked when the file loads, and each mistake names the file, the scenario and the field
and says what would be accepted, so a user adding a scenario never meets a traceback mid-run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

# The chain from intention to state, in order. Every check grades one of these steps.
STEPS: tuple[str, ...] = ("intention", "specification", "selection", "parameters", "execution",
                          "confirmation", "state")
REGIMES = ("frozen", "calm", "normal", "volatile")
SIDES = ("buy", "sell")
SETUP_ORDER_TYPES = ("market", "limit", "stop_market", "stop_limit")

# check kind -> (default step, the parameters it takes); "step" may always be given to override.
CHECKS: dict[str, tuple[str | None, frozenset[str]]] = {
    "proposes": (None, frozenset({"count", "min", "kind"})),
    "tool": ("selection", frozenset({"in"})),
    "symbol": ("intention", frozenset({"equals"})),
    "side": ("intention", frozenset({"equals"})),
    "order_type": ("selection", frozenset({"in"})),
    "flag": ("selection", frozenset({"name", "equals"})),
    "amount": ("specification", frozenset({"equals", "min", "max"})),
    "notional": ("specification", frozenset({"max"})),
    "price": ("specification", frozenset({"min", "max", "relation"})),
    "trigger": ("parameters", frozenset({"relation", "min", "max"})),
    "protective_stop": ("selection", frozenset({"amount"})),
    "target": (None, frozenset({"order"})),
    "no_repeat_in_doubt": ("execution", frozenset()),
    "schedule": ("selection", frozenset({"total", "price_limit", "max_minutes", "min_minutes"})),
}
# Parameters that are amounts or prices (decimal strings, or "{...}" placeholders resolved at grading).
DECIMAL_PARAMS: dict[str, tuple[str, ...]] = {
    "amount": ("equals", "min", "max"), "notional": ("max",), "price": ("min", "max"), "trigger": ("min", "max"),
    "protective_stop": ("amount",), "schedule": ("total", "price_limit"),
}
PRICE_RELATIONS = ("passive", "marketable", "below_mid", "above_mid")
ACTIONS: dict[str, frozenset[str]] = {
    "approve": frozenset({"fault"}),  # fault: on while the approved orders are sent, off after
    "reject": frozenset({"reason"}),
    "fill": frozenset({"order", "fraction"}),
    "flow": frozenset({"symbol", "side", "amount"}),
    "mid": frozenset({"symbol", "price"}),
    "fault": frozenset({"name", "probability"}),
    "wait": frozenset({"seconds"}),
    "refresh": frozenset(),
    "cancel": frozenset({"order"}),
}
FAULTS = ("timeout_after_accept", "rate_limit", "server_error", "drop_fill_message", "stream_disconnect",
          "maintenance")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message says where and what to write instead."""


@dataclass(frozen=True, slots=True)
class Check:
    kind: str
    step: str
    params: dict[str, Any]

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.kind}({args})" if args else self.kind


@dataclass(frozen=True, slots=True)
class Call:
    """One scripted tool call: the reference answer, or a scripted copilot's line."""

    tool: str
    arguments: Any  # a dict (placeholders allowed in strings) or a raw string sent as is


@dataclass(frozen=True, slots=True)
class Action:
    do: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Turn:
    say: str
    checks: tuple[Check, ...]
    reference: tuple[Call, ...]
    then: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class SetupOrder:
    name: str
    symbol: str
    side: str
    type: str
    amount: Decimal
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    fill: Decimal | None = None  # fraction filled by other traders' flow at set-up
    fault: str | None = None  # a fault on while it is sent (timeout_after_accept -> IN_DOUBT)


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    step: str
    title: str
    turns: tuple[Turn, ...]
    seed: int = 7
    regime: str = "frozen"
    mids: dict[str, Decimal] = field(default_factory=dict)
    balances: dict[str, Decimal] | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)
    positions: tuple[SetupOrder, ...] = ()
    orders: tuple[SetupOrder, ...] = ()
    source: str = ""

    @property
    def checks(self) -> int:
        return sum(len(t.checks) for t in self.turns)


# -- parsing helpers --------------------------------------------------------------------------------
class _Where:
    def __init__(self, source: str, scenario: str | None = None):
        self.source, self.scenario = source, scenario

    def error(self, where: str, problem: str, fix: str) -> ScenarioError:
        who = f"scenario {self.scenario!r}" if self.scenario else "file"
        return ScenarioError(f"{self.source}: {who}: {where}: {problem}; {fix}")


def _decimal(w: _Where, where: str, value: Any, *, positive: bool = True) -> Decimal:
    if isinstance(value, float):
        raise w.error(where, f"{value!r} is a TOML float (binary, inexact)", f'write it as a string, e.g. "{value}"')
    try:
        out = Decimal(str(value)) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except InvalidOperation:
        out = None
    if out is None or not out.is_finite() or (positive and out <= 0):
        raise w.error(where, f"{value!r} is not a {'positive ' if positive else ''}decimal",
                      'write a decimal string, e.g. "0.5"')
    return out


def _only(w: _Where, where: str, table: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    extra = sorted(set(table) - allowed)
    if extra:
        raise w.error(where, f"unknown field(s) {', '.join(extra)}", f"use only {', '.join(sorted(allowed))}")


def _table(w: _Where, where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise w.error(where, f"must be a table, got {type(value).__name__}", "write it as { key = value, ... }")
    return value


def _list(w: _Where, where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise w.error(where, f"must be a list, got {type(value).__name__}", "write it as [ ..., ... ]")
    return value


def _choice(w: _Where, where: str, value: Any, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise w.error(where, f"{value!r} is not allowed", f"use one of {', '.join(options)}")
    return value


def _text(w: _Where, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise w.error(where, "is missing or empty", "write a non-empty string")
    return value


def _check(w: _Where, where: str, raw: Any, scenario_step: str) -> Check:
    if not isinstance(raw, dict) or "check" not in raw:
        raise w.error(where, "a check must be a table with a 'check' field", f"e.g. {{ check = \"side\", "
                      f"equals = \"buy\" }}; kinds: {', '.join(CHECKS)}")
    kind = _choice(w, f"{where}.check", raw["check"], CHECKS)
    default_step, params = CHECKS[kind]
    _only(w, where, raw, {"check", "step", *params})
    step = _choice(w, f"{where}.step", raw.get("step", default_step or scenario_step), STEPS)
    values = {k: v for k, v in raw.items() if k not in ("check", "step")}
    if kind in ("proposes",) and not ({"count", "min"} & set(values)):
        raise w.error(where, "proposes needs count or min", "e.g. { check = \"proposes\", count = 1 }")
    if kind in ("price", "trigger") and "relation" in values:
        _choice(w, f"{where}.relation", values["relation"], PRICE_RELATIONS)
    if kind == "flag":
        _choice(w, f"{where}.name", values.get("name"), ("post_only", "reduce_only"))
        if not isinstance(values.get("equals"), bool):
            raise w.error(where, "flag needs equals = true or false", "add equals = true")
    if kind in ("tool", "order_type") and not (isinstance(values.get("in"), list) and values["in"]):
        raise w.error(where, f"{kind} needs a non-empty list 'in'", 'e.g. in = ["stage_order"]')
    if kind in ("symbol", "side") and not isinstance(values.get("equals"), str):
        raise w.error(where, f"{kind} needs equals = \"...\"", "add the expected value")
    if kind == "side":
        _choice(w, f"{where}.equals", values["equals"], SIDES)
    if kind == "target" and not isinstance(values.get("order"), str):
        raise w.error(where, "target needs order = \"<name>\"", "name a set-up order, or \"proposed\"")
    for key in DECIMAL_PARAMS.get(kind, ()):
        if key in values and not (isinstance(values[key], str) and "{" in values[key]):  # "{...}": a placeholder
            values[key] = _decimal(w, f"{where}.{key}", values[key], positive=False)
    for key in ("count", "min_minutes", "max_minutes") if kind in ("proposes", "schedule") else ():
        if key in values and (not isinstance(values[key], int) or isinstance(values[key], bool) or values[key] < 0):
            raise w.error(f"{where}.{key}", f"{values[key]!r} is not a whole number", "use e.g. 1")
    if kind == "proposes" and "min" in values and not isinstance(values["min"], int):
        raise w.error(f"{where}.min", f"{values['min']!r} is not a whole number", "use e.g. 1")
    return Check(kind, step, values)


def _call(w: _Where, where: str, raw: Any) -> Call:
    if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
        raise w.error(where, "a reference call needs tool = \"...\" and arguments = { ... }",
                      'e.g. { tool = "get_book", arguments = { symbol = "ETH/USDT" } }')
    _only(w, where, raw, {"tool", "arguments"})
    arguments = raw.get("arguments", {})
    if not isinstance(arguments, (dict, str)):
        raise w.error(f"{where}.arguments", "must be a table or a string", "write arguments = { ... }")
    return Call(raw["tool"], arguments)


def _action(w: _Where, where: str, raw: Any) -> Action:
    if not isinstance(raw, dict) or "do" not in raw:
        raise w.error(where, "an action needs do = \"...\"", f"actions: {', '.join(ACTIONS)}")
    do = _choice(w, f"{where}.do", raw["do"], ACTIONS)
    _only(w, where, raw, {"do", *ACTIONS[do]})
    params = {k: v for k, v in raw.items() if k != "do"}
    if do == "approve" and "fault" in params:
        _choice(w, f"{where}.fault", params["fault"], FAULTS)
    if do == "fault":
        _choice(w, f"{where}.name", params.get("name"), FAULTS)
        p = params.get("probability")
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise w.error(f"{where}.probability", f"{p!r} is not a probability", "use a number from 0 to 1")
    if do == "fill":
        params["fraction"] = _decimal(w, f"{where}.fraction", params.get("fraction"))
        if params["fraction"] > 1:
            raise w.error(f"{where}.fraction", "is above 1", "use a fraction such as \"0.4\"")
        params.setdefault("order", "proposed")
    if do == "flow":
        _choice(w, f"{where}.side", params.get("side"), SIDES)
        _text(w, f"{where}.symbol", params.get("symbol"))
        params["amount"] = _decimal(w, f"{where}.amount", params.get("amount"))
    if do == "mid":
        _text(w, f"{where}.symbol", params.get("symbol"))
        params["price"] = _decimal(w, f"{where}.price", params.get("price"))
    if do == "wait":
        s = params.get("seconds")
        if not isinstance(s, int) or isinstance(s, bool) or not 0 < s <= 7200:
            raise w.error(f"{where}.seconds", f"{s!r} is not a whole number of seconds", "use 1 to 7200")
    if do == "cancel":
        _text(w, f"{where}.order", params.get("order"))
    return Action(do, params)


def _setup_order(w: _Where, where: str, raw: Any, position: bool) -> SetupOrder:
    if not isinstance(raw, dict):
        raise w.error(where, "must be a table", "see the README's scenario format")
    allowed = {"symbol", "side", "amount"} if position else {"name", "symbol", "side", "type", "amount", "price",
                                                             "trigger_price", "fill", "fault"}
    _only(w, where, raw, allowed)
    name = raw.get("name", f"position:{raw.get('symbol')}") if position else _text(w, f"{where}.name", raw.get("name"))
    kind = "market" if position else _choice(w, f"{where}.type", raw.get("type", "limit"), SETUP_ORDER_TYPES)
    price = _decimal(w, f"{where}.price", raw["price"]) if "price" in raw else None
    trigger = _decimal(w, f"{where}.trigger_price", raw["trigger_price"]) if "trigger_price" in raw else None
    if kind in ("limit", "stop_limit") and price is None:
        raise w.error(where, f"a {kind} order needs a price", 'add price = "3150"')
    if kind.startswith("stop") and trigger is None:
        raise w.error(where, f"a {kind} order needs a trigger_price", 'add trigger_price = "3100"')
    fill = _decimal(w, f"{where}.fill", raw["fill"]) if "fill" in raw else None
    if fill is not None and (fill > 1 or kind != "limit"):
        raise w.error(f"{where}.fill", "a set-up fill is a fraction (at most 1) of a resting limit order",
                      'use fill = "0.4" on a limit order')
    fault = _choice(w, f"{where}.fault", raw["fault"], FAULTS) if "fault" in raw else None
    return SetupOrder(name, _text(w, f"{where}.symbol", raw.get("symbol")),
                      _choice(w, f"{where}.side", raw.get("side"), SIDES), kind,
                      _decimal(w, f"{where}.amount", raw.get("amount")), price, trigger, fill, fault)


def parse_scenario(raw: Any, source: str, index: int) -> Scenario:
    w = _Where(source)
    if not isinstance(raw, dict):
        raise w.error(f"scenario #{index + 1}", "must be a table", "start it with [[scenario]]")
    sid = _text(w, f"scenario #{index + 1}.id", raw.get("id"))
    w = _Where(source, sid)
    _only(w, "top level", raw, {"id", "step", "title", "seed", "regime", "mids", "balances", "limits", "faults",
                                "position", "order", "turn"})
    step = _choice(w, "step", raw.get("step"), STEPS)
    seed = raw.get("seed", 7)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise w.error("seed", f"{seed!r} is not a whole number", "use e.g. seed = 7")
    mids = {str(k): _decimal(w, f"mids.{k}", v) for k, v in _table(w, "mids", raw.get("mids", {})).items()}
    balances = raw.get("balances")
    if balances is not None:
        balances = {str(k): _decimal(w, f"balances.{k}", v, positive=False)
                    for k, v in _table(w, "balances", balances).items()}
    faults = dict(_table(w, "faults", raw.get("faults", {})))
    for name, p in faults.items():
        _choice(w, f"faults.{name}", name, FAULTS)
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise w.error(f"faults.{name}", f"{p!r} is not a probability", "use a number from 0 to 1")
    from ..desk.risk import RiskLimits  # the limits a scenario may set are the gate's own

    limits = dict(_table(w, "limits", raw.get("limits", {})))
    _only(w, "limits", limits, RiskLimits.field_names())
    for name, v in limits.items():
        _decimal(w, f"limits.{name}", v)  # every limit is a positive number
    turns_raw = raw.get("turn")
    if not isinstance(turns_raw, list) or not turns_raw:
        raise w.error("turn", "a scenario needs at least one [[scenario.turn]]", 'add one with say = "..."')
    turns = []
    for i, t in enumerate(turns_raw):
        where = f"turn {i + 1}"
        _only(w, where, _table(w, where, t), {"say", "checks", "reference", "then"})
        checks = tuple(_check(w, f"{where}.checks[{j}]", c, step)
                       for j, c in enumerate(_list(w, f"{where}.checks", t.get("checks", []))))
        reference = _list(w, f"{where}.reference", t.get("reference", []))
        then = _list(w, f"{where}.then", t.get("then", []))
        turns.append(Turn(_text(w, f"{where}.say", t.get("say")), checks,
                          tuple(_call(w, f"{where}.reference[{j}]", c) for j, c in enumerate(reference)),
                          tuple(_action(w, f"{where}.then[{j}]", a) for j, a in enumerate(then))))
    if not any(t.checks for t in turns):
        raise w.error("turn", "no checks: nothing would be graded", "add checks = [ ... ] to a turn")
    orders = tuple(_setup_order(w, f"order[{i}]", o, False)
                   for i, o in enumerate(_list(w, "order", raw.get("order", []))))
    names = [o.name for o in orders]
    if len(set(names)) != len(names) or "proposed" in names:
        raise w.error("order", "set-up order names must be unique and not 'proposed'", "rename them")
    return Scenario(id=sid, step=step, title=str(raw.get("title", sid)), turns=tuple(turns), seed=seed,
                    regime=_choice(w, "regime", raw.get("regime", "frozen"), REGIMES), mids=mids,
                    balances=balances, limits=limits, faults=faults,
                    positions=tuple(_setup_order(w, f"position[{i}]", p, True)
                                    for i, p in enumerate(_list(w, "position", raw.get("position", [])))),
                    orders=orders, source=source)


def parse_text(text: str, source: str) -> list[Scenario]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    _only(_Where(source), "top level", data, {"scenario"})
    raws = data.get("scenario")
    if not isinstance(raws, list) or not raws:
        raise ScenarioError(f"{source}: no [[scenario]] tables; see the README's scenario format")
    return [parse_scenario(raw, source, i) for i, raw in enumerate(raws)]


def builtin_files() -> list[Any]:
    """The scenario files shipped inside the package (package data), in name order."""
    folder = resources.files("workstation.evaluation") / "scenarios"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def load_scenarios(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> list[Scenario]:
    """The built-in scenarios (unless ``builtin`` is False) and those in ``paths`` (files or folders)."""
    out: list[Scenario] = []
    if builtin:
        for f in builtin_files():
            out.extend(parse_text(f.read_text(encoding="utf-8"), f"scenarios/{f.name}"))
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise ScenarioError(f"{path}: no such file or folder")
        files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        if not files:
            raise ScenarioError(f"{path}: no .toml files in this folder")
        for f in files:
            out.extend(parse_text(f.read_text(encoding="utf-8"), str(f)))
    seen: dict[str, str] = {}
    for s in out:
        if s.id in seen:
            raise ScenarioError(f"{s.source}: scenario {s.id!r} is also defined in {seen[s.id]}; ids must be unique")
        seen[s.id] = s.source
    return out


def select(scenarios: list[Scenario], only: Iterable[str] = ()) -> list[Scenario]:
    """Scenarios whose id or step is in ``only`` (all when empty); an unknown name is an error."""
    only = list(only)
    if not only:
        return scenarios
    known = {s.id for s in scenarios} | set(STEPS)
    unknown = [o for o in only if o not in known]
    if unknown:
        raise ScenarioError(f"no scenario or step named {', '.join(unknown)}; steps are {', '.join(STEPS)}")
    return [s for s in scenarios if s.id in only or s.step in only]
