"""Configuration: TOML, every key documented in config.example.toml, validated at start.

One pydantic model per section gives each key its type and bounds in one place: numbers are
finite and inside documented bounds (a NaN window, an infinite refresh interval or a limit so
large that every risk check overflows is refused here, not found later), unknown keys are
refused, and the error names the file, the key's path, what was expected and what was found,
on one line. No config file at all means the paper exchange with defaults.

Secrets never live here: a key that looks like one (anywhere, options tables included) or a
value that looks like an API key is refused with directions to the keyring.
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, \
    model_validator

from .domain.money import MAX_VALUE, parse_typed
from .paths import config_file, data_dir

ENVIRONMENTS = ("testnet", "demo", "live")
FAULTS = ("timeout_after_accept", "rate_limit", "server_error", "drop_fill_message", "stream_disconnect", "maintenance")
RESERVED_VENUES = ("paper", "copilot")  # the built-in paper exchange; the copilot's keyring entry

# A key is refused when its name, lower-cased and without _ - . or spaces, contains one of these.
_SECRET_PARTS = ("apikey", "secret", "password", "passwd", "passphrase", "privatekey", "token", "credential")
_SECRET_VALUE = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{16,}|xox[bap]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,})")
KEYRING_HELP = "secrets do not belong in the config file; remove it and run `workstation keys set NAME` " \
               "to store it in the system keyring"


class ConfigError(Exception):
    """One clear line: file, key, expected, found."""


# -- value types: each says what it accepts, in the words of the error message ----------------------------------
def _range(low: Any, high: Any, above: bool = False) -> str:
    return f"{'above' if above else 'from'} {_bound(low)} {'and at most' if above else 'to'} {_bound(high)}"


def _number_in(low: float, high: float):
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"expected a number {_range(low, high)}, found {_found(value)}")
        return float(value)
    return check


def _whole_in(low: int, high: int):
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number {_range(low, high)}, found {_found(value)}")
        return value
    return check


def _money_in(low: Decimal, high: Decimal, above: bool):
    def check(value: Any) -> Decimal:
        expected = f'expected a number written as a string or integer, like "25000", {_range(low, high, above)}'
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ValueError(f"{expected} (a float loses money), found {_found(value)}")
        if isinstance(value, str):
            try:
                number = parse_typed(value, "")
            except ValueError as exc:
                raise ValueError(f"{expected}: {str(exc).lstrip(': ')}") from None
        else:
            number = Decimal(value)
        if number is None or not number.is_finite() or number < low or number > high or (above and number == low):
            raise ValueError(f"{expected}, found {_found(value)}")
        return number
    return check


def _flag(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {_found(value)}")
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, found {_found(value)}")
    return value


def _url(*schemes: str):
    def check(value: str) -> str:
        if not value.startswith(tuple(f"{s}://" for s in schemes)):
            raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}, "
                             f"found {_found(value)}")
        return value
    return AfterValidator(check)


def _seconds_or_off(value: float) -> float:
    if 0 < value < 0.1:  # a busy loop of model calls
        raise ValueError(f"expected 0 (off) or at least 0.1 seconds, found {value:g}")
    return value


def _not_a_list(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of strings, found {_found(value)}")
    return value


def Seconds(low: float, high: float) -> Any:  # noqa: N802 - a type, read as one in the models below
    return Annotated[float, BeforeValidator(_number_in(low, high))]


def Whole(low: int, high: int) -> Any:  # noqa: N802
    return Annotated[int, BeforeValidator(_whole_in(low, high))]


def Money(low: str | int = 0, high: str | Decimal = MAX_VALUE, *, above: bool = False) -> Any:  # noqa: N802
    return Annotated[Decimal, BeforeValidator(_money_in(Decimal(low), Decimal(high), above))]


def Text(length: int = 100) -> Any:  # noqa: N802
    return Annotated[str, BeforeValidator(_text), Field(max_length=length)]


Flag = Annotated[bool, BeforeValidator(_flag)]
Name = Annotated[str, BeforeValidator(_text), Field(max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
SymbolList = Annotated[tuple[Text(40), ...], BeforeValidator(_not_a_list), Field(max_length=200)]
Symbols = Annotated[SymbolList, Field(min_length=1)]
Probability = Seconds(0, 1)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, arbitrary_types_allowed=True,
                              defer_build=True)


# -- sections ------------------------------------------------------------------------------------------------
class Faults(_Section):
    timeout_after_accept: Probability = 0.0
    rate_limit: Probability = 0.0
    server_error: Probability = 0.0
    drop_fill_message: Probability = 0.0
    stream_disconnect: Probability = 0.0
    maintenance: Probability = 0.0


class PaperConfig(_Section):
    enabled: Flag = True
    seed: Whole(0, 2**32 - 1) = 7
    latency_ms: Seconds(0, 10_000) = 40.0
    latency_sigma: Seconds(0, 3) = 0.5
    speed: Seconds(0.01, 1000) = 1.0
    balances: dict[Annotated[str, Field(pattern=r"^[A-Z0-9]{1,20}$")], Money()] = Field(default_factory=dict)
    faults: Faults = Field(default_factory=Faults)  # dict(faults) gives {name: probability}
    modify: Literal["cancel_replace", "amend"] = "cancel_replace"  # Binance spot's cancelReplace, or in place


WsUrl = Annotated[str, BeforeValidator(_text), Field(max_length=300), _url("ws", "wss")]


class VenueTable(_Section):
    exchange: Annotated[str, BeforeValidator(_text), Field(max_length=40, pattern=r"^[a-z0-9_]+$")]
    environment: Literal["testnet", "demo", "live"]
    account: Name = "main"
    symbols: SymbolList = ()
    rest_url: Annotated[str, BeforeValidator(_text), Field(max_length=300), _url("http", "https")] | None = None
    ws_url: WsUrl | None = None
    # separate websocket bases where a proxy serves them apart (each defaults to ws_url): market streams, the
    # private (user) streams, and the WebSocket API (Binance's user stream subscribes through it)
    ws_public_url: WsUrl | None = None
    ws_private_url: WsUrl | None = None
    ws_api_url: WsUrl | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    confirm_live: Flag = False


class VenueConfig(VenueTable):
    name: Name


# Every risk limit: (type, default). The same names as desk.risk.RiskLimits; the overrides tables take the
# same types with no default (unset = inherit).
_RISK: dict[str, tuple[Any, Any]] = {
    "max_order_notional": (Money(), Decimal("25000")),
    "max_order_amount": (Money() | None, None),
    "max_open_orders": (Whole(1, 100_000), 50),
    "price_collar_pct": (Money(0, 1000), Decimal("5")),
    "trigger_collar_pct": (Money(0, 1000), Decimal("25")),
    "stale_book_ms": (Whole(100, 3_600_000), 5000),
    "max_spread_bps": (Money(0, 100_000), Decimal("500")),
    "max_position_notional": (Money(), Decimal("50000")),
    "daily_loss_limit": (Money(above=True), Decimal("2500")),  # 0 would block everything
    "max_margin_pct": (Money(0, 100, above=True), Decimal("30")),
    "max_leverage": (Money(0, 200, above=True), Decimal("5")),
    "duplicate_window_s": (Seconds(0, 3600), 5.0),
    "orders_per_s": (Whole(1, 1000), 10),
    "cancels_per_s": (Whole(1, 1000), 20),
}
RISK_KEYS = tuple(_RISK)

RiskOverrides = create_model("RiskOverrides", __base__=_Section,
                             **{k: (t | None, None) for k, (t, _) in _RISK.items()})
VenueRiskOverrides = create_model("VenueRiskOverrides", __base__=RiskOverrides,
                                  symbols=(dict[str, RiskOverrides], Field(default_factory=dict)))


def _set_only(table: Any) -> dict[str, Any]:
    """An overrides table as {key: value} for the keys it sets (what factory.risk_gate layers)."""
    if isinstance(table, dict):
        return table
    out = {k: v for k, v in table.model_dump(exclude_none=True).items() if k != "symbols"}
    if isinstance(table, VenueRiskOverrides):
        out["symbols"] = {s: _set_only(t) for s, t in table.symbols.items()}
    return out


def _each_set_only(tables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _set_only(table) for name, table in tables.items()}


_RiskBase = create_model("_RiskBase", __base__=_Section, **{k: (t, d) for k, (t, d) in _RISK.items()})


class RiskConfig(_RiskBase):  # type: ignore[misc, valid-type]
    # symbol -> overrides on every venue; venue -> overrides, with "symbols" -> per symbol on that venue
    symbols: Annotated[dict[str, RiskOverrides], AfterValidator(_each_set_only)] = Field(  # type: ignore[valid-type]
        default_factory=dict)
    venues: Annotated[dict[str, VenueRiskOverrides], AfterValidator(_each_set_only)] = Field(  # type: ignore[valid-type]
        default_factory=dict)


class CopilotConfig(_Section):
    kind: Literal["rules", "llm", "off"] = "rules"
    base_url: Annotated[str, BeforeValidator(_text), Field(max_length=300), _url("http", "https")] = \
        "http://127.0.0.1:11434/v1"
    model: Text(200) = "llama3.1"
    auto_propose_s: Annotated[Seconds(0, 86_400), AfterValidator(_seconds_or_off)] = 0.0
    timeout_s: Seconds(0.1, 600) = 30.0
    proposal_expiry_s: Seconds(1, 86_400) = 120.0
    price_tolerance_bps: Money(0, 10_000) = Decimal("50")


class WorkstationSection(_Section):
    data_dir: Text(1000) | None = None
    theme: Text(100) = "workstation-dark"
    refresh_interval_s: Seconds(0.2, 3600) = 3.0
    symbols: Symbols = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT")


# == The cockpit (issue 14): quantity presets, one-gesture orders, human expiry, layout, alerts ========
# Kept in one section; config.example.toml documents every key under [cockpit] and [alerts].
def _off_if_blank(value: Any) -> Any:
    return None if value == "" else value  # "" turns a threshold off


PresetSizes = Annotated[tuple[Money(above=True), ...], BeforeValidator(_not_a_list), Field(min_length=1, max_length=5)]
Threshold = Annotated[Money(above=True) | None, BeforeValidator(_off_if_blank)]


class CockpitConfig(_Section):
    one_gesture: Flag = True  # the ticket's enter stages AND approves a human's own order (ctrl+s only stages)
    human_expiry_s: Seconds(0, 86_400) = 300.0  # a human order left waiting for approval expires (0 = never)
    layout: Literal["auto", "tabs", "all"] = "auto"  # auto: every table at once from 140 columns
    ui_fps: Whole(1, 60) = 25  # the UI tick: live data reaches the screen at most this often per second
    grid_levels: Whole(1, 10) = 4  # levels a side in each book of the grid (more when the books are few)
    presets_notional: PresetSizes = (Decimal("100"), Decimal("500"), Decimal("1000"), Decimal("5000"),
                                     Decimal("10000"))  # keys 1..5 in quote, for symbols without their own
    presets: dict[Text(40), PresetSizes] = Field(default_factory=dict)  # symbol -> sizes in base units


class AlertsConfig(_Section):
    fills: Flag = True
    in_doubt: Flag = True
    disconnects: Flag = True
    pnl_loss: Threshold = Decimal("1000")  # day PnL at or below minus this, per account
    pnl_gain: Threshold = None  # day PnL at or above this
    margin_near_pct: Annotated[Money(0, 100, above=True) | None, BeforeValidator(_off_if_blank)] = Decimal("80")
    bell: Flag = False  # ring the terminal bell for warnings and errors
# == end of the cockpit section ========================================================================


class ConfigFile(_Section):
    """The file as written: one table per section."""

    workstation: WorkstationSection = Field(default_factory=WorkstationSection)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    venues: dict[Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")], VenueTable] = \
        Field(default_factory=dict)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    copilot: CopilotConfig = Field(default_factory=CopilotConfig)
    keys: dict[str, Text(40)] = Field(default_factory=dict)
    cockpit: CockpitConfig = Field(default_factory=CockpitConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    @model_validator(mode="after")
    def _reserved_names(self) -> "ConfigFile":
        for name in self.venues:
            if name.lower() in RESERVED_VENUES:
                what = "the built-in paper exchange" if name.lower() == "paper" else "the copilot's keyring entry"
                raise ValueError(f"venues.{name}: {name!r} is the name of {what}; give this venue another name "
                                 f"(the table name is the venue's name), or use [paper] for the paper exchange")
        return self


class Config(_Section):
    path: Path | None = None
    data_dir: Path = Field(default_factory=data_dir)
    theme: str = "workstation-dark"
    refresh_interval_s: Seconds(0.2, 3600) = 3.0
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT")
    paper: PaperConfig = Field(default_factory=PaperConfig)
    venues: tuple[VenueConfig, ...] = ()
    risk: RiskConfig = Field(default_factory=RiskConfig)
    copilot: CopilotConfig = Field(default_factory=CopilotConfig)
    keys: dict[str, str] = Field(default_factory=dict)
    cockpit: CockpitConfig = Field(default_factory=CockpitConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"


# -- errors, one line each ----------------------------------------------------------------------------------
def _found(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _bound(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _unwrap(kind: Any) -> Any:
    while True:
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        elif get_origin(kind) in (Union, UnionType):
            kind = next(a for a in get_args(kind) if a is not type(None))
        else:
            return kind


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys the table at ``loc`` (a path into the file) takes, for an 'unknown key' message."""
    kind: Any = ConfigFile
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            if field is None:
                return []
            kind = field.annotation
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return []
    kind = _unwrap(kind)
    return sorted(kind.model_fields) if isinstance(kind, type) and issubclass(kind, BaseModel) else []


def _explain(err: dict[str, Any]) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    found = f", found {_found(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op, key = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le"),
                   "less_than": ("<", "lt")}[kind]
        return f"expected a number {op} {_bound(ctx[key])}" + found
    if kind == "finite_number":
        return "expected a finite number (not nan or inf)" + found
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '').replace(' or ', ', ').replace(chr(39), '')}" + found
    if kind in ("missing",):
        return "missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "expected a table" + found
    if kind in ("tuple_type", "list_type"):
        return "expected a list of strings" + found
    if kind == "too_short":
        return "expected at least one entry"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} entries"
    if kind == "string_too_long":
        return f"expected at most {ctx.get('max_length')} characters" + found
    if kind == "string_pattern_mismatch":
        return "expected letters, digits and _ - . : only (e.g. \"main\", \"binance_testnet\", \"USDT\")" + found
    if kind == "string_type":
        return "expected a string" + found
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ").lstrip(": ")
    return err["msg"] + found


def _message(where: str, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(p for p in first["loc"] if p != "[key]")
    key = ".".join(str(p) for p in loc)
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        line = f"{key}: unknown key; expected one of {', '.join(allowed)}"
    elif first["type"] == "missing":
        field = loc[-1]
        hint = {"exchange": 'a ccxt exchange id such as "binance"',
                "environment": f"one of {', '.join(ENVIRONMENTS)}"}.get(str(field), "a value")
        line = f"{key}: missing; expected {hint}"
    elif first["type"] == "value_error" and not key:
        line = _explain(first)
    else:
        line = f"{key}: {_explain(first)}"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{where}: {line}{more}"


def _refuse_secrets(where: str, data: Any, prefix: str = "") -> None:
    """Secret-looking keys anywhere (options tables included), and values that look like API keys."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = re.sub(r"[\s_.\-]", "", str(key).lower())
            if any(part in name for part in _SECRET_PARTS):
                raise ConfigError(f"{where}: {prefix}{key}: {KEYRING_HELP}")
            _refuse_secrets(where, value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _refuse_secrets(where, value, f"{prefix[:-1]}[{i}].")
    elif isinstance(data, str) and _SECRET_VALUE.search(data):
        raise ConfigError(f"{where}: {prefix[:-1]}: the value looks like an API key; {KEYRING_HELP}")


def _refuse_non_finite(where: str, data: Any, prefix: str = "") -> None:
    """Options are passed to ccxt as they are: no nan or inf may hide in them either."""
    if isinstance(data, dict):
        for key, value in data.items():
            _refuse_non_finite(where, value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for value in data:
            _refuse_non_finite(where, value, prefix)
    elif isinstance(data, float) and (data != data or data in (float("inf"), float("-inf"))):
        raise ConfigError(f"{where}: {prefix[:-1]}: expected a finite number (not nan or inf), found {data!r}")


def parse(data: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "<config>"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected tables of keys, found {_found(data)}")
    _refuse_secrets(where, data)
    for name, venue in (data.get("venues") or {}).items() if isinstance(data.get("venues"), dict) else ():
        if isinstance(venue, dict):
            _refuse_non_finite(where, venue.get("options"), f"venues.{name}.options.")
    try:
        file = ConfigFile.model_validate(data)
        ws = file.workstation
        kwargs: dict[str, Any] = {}
        if ws.data_dir is not None:
            kwargs["data_dir"] = Path(os.path.expanduser(ws.data_dir))
        return Config(path=path, theme=ws.theme, refresh_interval_s=ws.refresh_interval_s, symbols=ws.symbols,
                      paper=file.paper, risk=file.risk, copilot=file.copilot, keys=dict(file.keys),
                      cockpit=file.cockpit, alerts=file.alerts,
                      venues=tuple(VenueConfig(name=n, **t.model_dump()) for n, t in file.venues.items()), **kwargs)
    except ValidationError as exc:
        raise ConfigError(_message(where, exc)) from None


def load(path: str | Path | None = None) -> Config:
    """Load the config at ``path`` (or $WORKSTATION_CONFIG, or the user's config dir). Missing file = defaults."""
    explicit = path or os.environ.get("WORKSTATION_CONFIG")
    target = Path(explicit).expanduser() if explicit else config_file()
    if not target.exists():
        if explicit:
            raise ConfigError(f"{target}: no such file; copy config.example.toml there or leave --config out")
        return Config()
    if not target.is_file():
        raise ConfigError(f"{target}: not a file; point --config at a TOML file")
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{target}: not valid TOML: the file is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{target}: cannot be read: {exc.strerror or exc}") from None
    return parse(data, target)
