"""Tool-call arguments: parsing a model's JSON and validating it against a JSON schema.

A small validator for the subset of JSON Schema the tool catalogue uses (object,
properties, required, additionalProperties=false, type, enum, minimum, exclusiveMinimum,
maximum, maxLength, pattern, format "decimal"). No new dependency, and every message
names the field and says what would pass, so a model can correct itself.

Money never passes through a float: JSON numbers are parsed as Decimal (``parse_float``),
NaN and Infinity are refused, and a Python float handed in directly is refused too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with a call: which field, what is wrong, what would pass."""

    field: str | None  # None: the call as a whole
    problem: str
    fix: str = ""
    scenario: str = "invalid_value"  # unknown_tool | malformed_arguments | missing_field | extra_field | wrong_type | ...

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": self.problem}
        if self.fix:
            out["fix"] = self.fix
        return out

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.problem}" + (f"; {self.fix}" if self.fix else "")


class ArgumentsError(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments as a dict. Accepts a JSON string (the protocol) or a dict."""
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if not isinstance(raw, str):
        raise ArgumentsError([FieldError(None, f"arguments must be a JSON object, got {type(raw).__name__}",
                                         'send one JSON object, e.g. {"symbol": "ETH/USDT"}', "malformed_arguments")])
    try:
        value = json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ArgumentsError([FieldError(
            None, f"arguments are not valid JSON ({exc.msg} at character {exc.pos})",
            'send one JSON object with double-quoted keys and no trailing commas, e.g. {"symbol": "ETH/USDT"}',
            "malformed_arguments")]) from None
    except ValueError as exc:
        raise ArgumentsError([FieldError(None, f"arguments contain {exc}", "send finite numbers only, as strings "
                                         'like "3000.50"', "malformed_arguments")]) from None
    if not isinstance(value, dict):
        raise ArgumentsError([FieldError(None, f"arguments must be a JSON object, got {type(value).__name__}",
                                         'wrap the fields in {...}', "malformed_arguments")])
    return value


_JSON_TYPES = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "an object", "array": "a list"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean " + ("true" if value else "false")
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, (int, Decimal)):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an int, a Decimal or a numeric string; None when it is not one."""
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            return None
        try:
            out = Decimal(text)
        except InvalidOperation:
            return None
        return out if out.is_finite() else None
    return None


def _matches_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value())
    if kind == "number":
        return (isinstance(value, (int, Decimal)) and not isinstance(value, bool))
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    return False


def validate(tool: str, schema: dict[str, Any], args: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check ``args`` against an object schema. Returns (normalised args, errors).

    Normalised: decimal fields become Decimal, integer fields int. Every problem is reported,
    not only the first, so the model can fix the call in one go.
    """
    errors: list[FieldError] = []
    props: dict[str, Any] = schema.get("properties", {})
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        if name not in args or args[name] is None:
            errors.append(FieldError(name, f"is required by {tool} and is missing",
                                     f"add {name}: {_describe(props.get(name, {}))}", "missing_field"))
    if schema.get("additionalProperties") is False:
        for name in args:
            if name not in props:
                errors.append(FieldError(name, f"is not a field of {tool}",
                                         f"remove it; {tool} takes only {', '.join(props)}", "extra_field"))
    for name, value in args.items():
        spec = props.get(name)
        if spec is None:
            continue
        if value is None and name not in schema.get("required", []):
            continue
        value, problem = _check_value(name, spec, value)
        if problem is not None:
            errors.append(problem)
        else:
            out[name] = value
    return out, errors


def _describe(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of " + ", ".join(map(str, spec["enum"]))
    if spec.get("format") == "decimal":
        example = spec.get("examples", ["0.5"])[0]
        return f'a decimal number as a string, e.g. "{example}"'
    kinds = spec.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return " or ".join(_JSON_TYPES.get(k, str(k)) for k in kinds if k)


def _check_value(name: str, spec: dict[str, Any], value: Any) -> tuple[Any, FieldError | None]:
    want = _describe(spec)
    if isinstance(value, float):
        return value, FieldError(name, f"got {_type_name(value)}; floats lose money",
                                 f"send {want}", "wrong_type")
    if spec.get("format") == "decimal":
        number = to_decimal(value)
        if number is None:
            return value, FieldError(name, f"must be a decimal number, got {_type_name(value)}", f"send {want}",
                                     "wrong_type")
        low, high = spec.get("exclusiveMinimum"), spec.get("maximum")
        if low is not None and number <= Decimal(str(low)):
            return value, FieldError(name, f"must be greater than {low}, got {number}", f"send {want} above {low}",
                                     "impossible_value")
        if spec.get("minimum") is not None and number < Decimal(str(spec["minimum"])):
            return value, FieldError(name, f"must be at least {spec['minimum']}, got {number}",
                                     f"send {want} of at least {spec['minimum']}", "impossible_value")
        if high is not None and number > Decimal(str(high)):
            return value, FieldError(name, f"must be at most {high}, got {number}", f"send {want} up to {high}",
                                     "impossible_value")
        return number, None
    kinds = spec.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not any(_matches_type(value, k) for k in kinds):
        return value, FieldError(name, f"must be {want}, got {_type_name(value)}", f"send {want}", "wrong_type")
    if "integer" in kinds and isinstance(value, Decimal):
        value = int(value)
    if "enum" in spec and value not in spec["enum"]:
        return value, FieldError(name, f"{value!r} is not allowed", f"use {want}", "invalid_value")
    if isinstance(value, str):
        if "maxLength" in spec and len(value) > spec["maxLength"]:
            return value, FieldError(name, f"is {len(value)} characters long, the limit is {spec['maxLength']}",
                                     "shorten it", "invalid_value")
        if "minLength" in spec and len(value.strip()) < spec["minLength"]:
            return value, FieldError(name, "is empty", f"write {spec.get('description', 'a value')}", "missing_field")
        if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
            return value, FieldError(name, f"{value!r} does not look right", spec.get("description", ""),
                                     "invalid_value")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in spec and value < spec["minimum"]:
            return value, FieldError(name, f"must be at least {spec['minimum']}, got {value}",
                                     f"send a whole number from {spec['minimum']}", "impossible_value")
        if "maximum" in spec and value > spec["maximum"]:
            return value, FieldError(name, f"must be at most {spec['maximum']}, got {value}",
                                     f"send a whole number up to {spec['maximum']}", "impossible_value")
    return value, None
