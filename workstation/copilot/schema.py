"""Tool-call arguments: parsing a model's JSON and validating it against the tool's pydantic model.

Each tool's arguments are one pydantic model (catalogue.py); the same model gives the JSON schema
the chat-completions ``tools`` list carries (``parameters_schema``), so what the model is told and
what is checked cannot drift apart. Every problem is reported, each naming the field, what is
wrong and what would pass, short enough for a model to read and correct itself.

Money never passes through a float: JSON numbers are parsed as Decimal (``parse_float``), NaN and
Infinity are refused, a Python float handed in directly is refused, and decimal strings are read
by ``domain.money.parse_typed`` (no decimal commas, signs, letters or exponents guessed at).
Arguments nested deeper than a tool could use, or longer than any call needs, are refused before
they are parsed.
"""

from __future__ import annotations

import functools
import json
import reprlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from ..domain.money import MAX_PLACES, MAX_VALUE, NumberError, check_bounds, parse_typed

MAX_ARGUMENTS_CHARS = 20_000  # the longest legitimate call (a 2,000-character rationale) is far below
MAX_DEPTH = 8  # tool arguments are flat objects: nothing needs more than a couple of levels
_PROBLEM_CHARS, _FIX_CHARS = 240, 240


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with a call: which field, what is wrong, what would pass."""

    field: str | None  # None: the call as a whole
    problem: str
    fix: str = ""
    scenario: str = "invalid_value"  # unknown_tool | malformed_arguments | missing_field | extra_field | wrong_type | ...

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": _clip(self.problem, _PROBLEM_CHARS)}
        if self.fix:
            out["fix"] = _clip(self.fix, _FIX_CHARS)
        return out

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return where + _clip(self.problem, _PROBLEM_CHARS) + (f"; {_clip(self.fix, _FIX_CHARS)}" if self.fix else "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ArgumentsError(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


_short_repr = reprlib.Repr()
_short_repr.maxlevel, _short_repr.maxstring, _short_repr.maxother, _short_repr.maxdict = 3, 60, 60, 8


def shown(raw: Any, limit: int = 2000) -> str:
    """A call's raw arguments for the journal: bounded, and safe for any nesting (repr() is not)."""
    text = raw if isinstance(raw, str) else _short_repr.repr(raw)
    return _clip(text, limit)


def _too_deep(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


def _raw_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings: checked before json.loads recurses into it."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _malformed(problem: str, fix: str) -> ArgumentsError:
    return ArgumentsError([FieldError(None, problem, fix, "malformed_arguments")])


def parse_arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments as a dict. Accepts a JSON string (the protocol) or a dict."""
    if isinstance(raw, dict):
        if _too_deep(raw):
            raise _malformed(f"arguments are nested more than {MAX_DEPTH} levels deep",
                             "send one flat JSON object of the tool's fields")
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if not isinstance(raw, str):
        raise _malformed(f"arguments must be a JSON object, got {type(raw).__name__}",
                         'send one JSON object, e.g. {"symbol": "ETH/USDT"}')
    if len(raw) > MAX_ARGUMENTS_CHARS:
        raise _malformed(f"arguments are {len(raw)} characters long, the limit is {MAX_ARGUMENTS_CHARS}",
                         "send only the tool's fields, with a rationale of at most 2000 characters")
    if _raw_depth(raw) > MAX_DEPTH:
        raise _malformed(f"arguments are nested more than {MAX_DEPTH} levels deep",
                         "send one flat JSON object of the tool's fields")
    try:
        value = json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _malformed(f"arguments are not valid JSON ({exc.msg} at character {exc.pos})",
                         'send one JSON object with double-quoted keys and no trailing commas, e.g. '
                         '{"symbol": "ETH/USDT"}') from None
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"arguments contain {_clip(str(exc), 80)}",
                         'send finite numbers only, as strings like "3000.50"') from None
    if not isinstance(value, dict):
        raise _malformed(f"arguments must be a JSON object, got {type(value).__name__}", "wrap the fields in {...}")
    return value


# -- argument types ----------------------------------------------------------------------------------------------
class ArgumentProblem(ValueError):
    """Raised inside a field validator: the message is the problem, ``scenario`` and ``fix`` come along."""

    def __init__(self, problem: str, scenario: str, fix: str = ""):
        super().__init__(problem)
        self.scenario, self.fix = scenario, fix


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean " + ("true" if value else "false")
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, (int, Decimal)):
        return f"number {_clip(str(value), 30)}"
    if isinstance(value, str):
        return f"string {_clip(value, 40)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _decimal_arg(example: str, minimum: Decimal | None, exclusive: bool, maximum: Decimal):
    want = f'a decimal number as a string, e.g. "{example}"'

    def check(value: Any) -> Decimal:
        if isinstance(value, float):
            raise ArgumentProblem(f"got {type_name(value)}; floats lose money", "wrong_type", f"send {want}")
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise ArgumentProblem(f"must be a decimal number, got {type_name(value)}", "wrong_type", f"send {want}")
        try:
            number = parse_typed(value, "", negative=True) if isinstance(value, str) else check_bounds(Decimal(value), "")
        except NumberError as exc:
            reason = str(exc).lstrip(": ")
            scenario = "impossible_value" if ("too large" in reason or "decimal places" in reason) else "wrong_type"
            if "not a number" in reason:
                reason = f"must be a decimal number, got {type_name(value)}"
            raise ArgumentProblem(reason, scenario, f"send {want}") from None
        if number is None:
            raise ArgumentProblem("must be a decimal number, got an empty string", "wrong_type", f"send {want}")
        if minimum is not None and (number < minimum or (exclusive and number == minimum)):
            word = "greater than" if exclusive else "at least"
            raise ArgumentProblem(f"must be {word} {minimum}, got {number}", "impossible_value",
                                  f"send {want} {'above' if exclusive else 'of at least'} {minimum}")
        if number > maximum:
            raise ArgumentProblem(f"must be at most {maximum}, got {number}", "impossible_value",
                                  f"send {want} up to {maximum}")
        return number
    return check


def Dec(description: str, example: str = "0.5", *, minimum: str | None = "0", exclusive: bool = True,  # noqa: N802
        maximum: Decimal = MAX_VALUE) -> Any:
    """A decimal argument: a JSON number or a decimal string, never a float; bounds in the schema too."""
    low = None if minimum is None else Decimal(minimum)
    schema: dict[str, Any] = {"type": ["string", "number"], "format": "decimal",
                              "description": f'{description} (a decimal, preferably as a string like "{example}"; at '
                                             f'most {MAX_PLACES} decimals)', "examples": [example]}
    if low is not None:
        schema["exclusiveMinimum" if exclusive else "minimum"] = int(low) if low == low.to_integral() else str(low)
    schema["maximum"] = int(maximum)
    return Annotated[Decimal, BeforeValidator(_decimal_arg(example, low, exclusive, maximum)), WithJsonSchema(schema)]


def _whole_arg(low: int, high: int):
    def check(value: Any) -> int:
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentProblem(f"must be a whole number, got {type_name(value)}", "wrong_type",
                                  f"send a whole number from {low} to {high}")
        if not low <= value <= high:
            raise ArgumentProblem(f"must be {'at least ' + str(low) if value < low else 'at most ' + str(high)}, "
                                  f"got {value}", "impossible_value", f"send a whole number from {low} to {high}")
        return value
    return check


def Whole(low: int, high: int, description: str) -> Any:  # noqa: N802
    return Annotated[int, BeforeValidator(_whole_arg(low, high)),
                     WithJsonSchema({"type": "integer", "minimum": low, "maximum": high, "description": description})]


def _flag_arg(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ArgumentProblem(f"must be true or false, got {type_name(value)}", "wrong_type", "send true or false")
    return value


def Flag(description: str) -> Any:  # noqa: N802
    return Annotated[bool, BeforeValidator(_flag_arg), WithJsonSchema({"type": "boolean", "description": description})]


def Text(description: str, max_length: int, min_length: int = 0) -> Any:  # noqa: N802
    return Annotated[str, Field(description=description, max_length=max_length, min_length=min_length)]


class Arguments(BaseModel):
    """The base of every tool's arguments: no field that is not declared, numbers finite."""

    # defer_build: a model's validator is built at its first call, not at start-up (it costs ~20 ms a tool)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=False, hide_input_in_errors=False,
                              defer_build=True)


# -- validation --------------------------------------------------------------------------------------------------
@functools.cache
def parameters_schema(model: type[Arguments]) -> dict[str, Any]:
    """The tool's ``parameters`` for chat completions: the model's JSON schema, flattened and without titles.
    Cached (callers must not change it): generating a JSON schema is the slow part of a tool's definition."""
    raw = model.model_json_schema()
    props = {name: _clean(spec) for name, spec in raw.get("properties", {}).items()}
    return {"type": "object", "properties": props, "required": list(raw.get("required", [])),
            "additionalProperties": False}


def _clean(spec: dict[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    options = spec.pop("anyOf", None)
    if options:  # Optional[X]: X (absent means "not given"; the model never needs to send null)
        inner = next((o for o in options if o.get("type") != "null"), {})
        spec = {**inner, **{k: v for k, v in spec.items() if k not in ("default",)}}
    spec.pop("title", None)
    if spec.get("default", ...) is None:
        spec.pop("default")
    if "const" in spec and "enum" not in spec:
        spec["enum"] = [spec.pop("const")]
    return spec


def describe(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of " + ", ".join(map(str, spec["enum"]))
    if spec.get("format") == "decimal":
        return f'a decimal number as a string, e.g. "{spec.get("examples", ["0.5"])[0]}"'
    names = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
    kinds = spec.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return " or ".join(names.get(k, str(k)) for k in kinds if k)


def validate(tool: str, model: type[Arguments], args: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check ``args`` against the tool's model. Returns (the fields given, normalised; every error).

    Normalised: decimals are Decimal, whole numbers int. A null counts as not given for an optional field
    and as missing for a required one."""
    schema = parameters_schema(model)
    props, required = schema["properties"], set(schema["required"])
    errors: list[FieldError] = []
    given = {}
    for name, value in args.items():
        if value is None and name in props:
            if name in required:
                errors.append(_missing(tool, name, props))
            continue
        given[name] = value
    try:
        out = model.model_validate(given).model_dump(exclude_unset=True)
    except ValidationError as exc:
        out = {}
        for err in exc.errors(include_url=False):
            errors.append(_field_error(tool, err, props))
    return (out if not errors else {}), _dedupe(errors)


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen, out = set(), []
    for e in errors:
        key = (e.field, e.problem)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _missing(tool: str, name: str, props: dict[str, Any]) -> FieldError:
    return FieldError(name, f"is required by {tool} and is missing", f"add {name}: {describe(props.get(name, {}))}",
                      "missing_field")


def _field_error(tool: str, err: dict[str, Any], props: dict[str, Any]) -> FieldError:
    name = str(err["loc"][0]) if err["loc"] else None
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    spec = props.get(name or "", {})
    want = describe(spec)
    if kind == "missing":
        return _missing(tool, name or "?", props)
    if kind == "extra_forbidden":
        return FieldError(name, f"is not a field of {tool}", f"remove it; {tool} takes only {', '.join(props)}",
                          "extra_field")
    if kind == "value_error" and isinstance(ctx.get("error"), ArgumentProblem):
        problem = ctx["error"]
        return FieldError(name, str(problem), problem.fix, problem.scenario)
    if kind == "literal_error" or kind == "enum":
        return FieldError(name, f"{_clip(str(value), 40)!r} is not allowed", f"use {want}", "invalid_value")
    if kind == "string_too_long":
        return FieldError(name, f"is {len(value)} characters long, the limit is {ctx.get('max_length')}",
                          "shorten it", "invalid_value")
    if kind == "string_too_short":
        return FieldError(name, "is empty or too short", f"write {spec.get('description', 'a value')}",
                          "missing_field")
    if kind in ("string_type", "bool_type", "int_type", "dict_type", "list_type"):
        return FieldError(name, f"must be {want}, got {type_name(value)}", f"send {want}", "wrong_type")
    return FieldError(name, _clip(err.get("msg", "is not valid"), 120), f"send {want}", "invalid_value")
