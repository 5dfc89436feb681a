"""Configuration: TOML, every key documented in config.example.toml, validated at start.

A bad key, type or value is refused with one line naming the file, the key, what was
expected and what was found. No config file at all means the paper exchange with defaults.
Secrets never live here: a key that looks like one is refused with directions to the keyring.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .paths import config_file, data_dir

ENVIRONMENTS = ("testnet", "demo", "live")
FAULTS = ("timeout_after_accept", "rate_limit", "server_error", "drop_fill_message", "stream_disconnect", "maintenance")
SECRET_KEYS = ("api_key", "apikey", "secret", "password", "passphrase", "private_key", "token")


# Every risk limit a config may set: (kind, minimum). The same names as desk.risk.RiskLimits.
RISK_KEYS: dict[str, tuple[str, Any]] = {
    "max_order_notional": ("decimal", 0), "max_order_amount": ("decimal", 0), "max_open_orders": ("int", 1),
    "price_collar_pct": ("decimal", 0), "trigger_collar_pct": ("decimal", 0), "stale_book_ms": ("int", 100),
    "max_spread_bps": ("decimal", 0), "max_position_notional": ("decimal", 0), "daily_loss_limit": ("decimal", 0),
    "max_margin_pct": ("decimal", 0), "max_leverage": ("decimal", 0), "duplicate_window_s": ("float", 0.0),
    "orders_per_s": ("int", 1), "cancels_per_s": ("int", 1),
}


class ConfigError(Exception):
    """One clear line: file, key, expected, found."""


@dataclass(frozen=True)
class PaperConfig:
    enabled: bool = True
    seed: int = 7
    latency_ms: float = 40.0
    latency_sigma: float = 0.5
    speed: float = 1.0
    balances: dict[str, Decimal] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VenueConfig:
    name: str
    exchange: str
    environment: str
    account: str = "main"
    symbols: tuple[str, ...] = ()
    rest_url: str | None = None
    ws_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    confirm_live: bool = False


@dataclass(frozen=True)
class RiskConfig:
    max_order_notional: Decimal = Decimal("25000")
    max_order_amount: Decimal | None = None
    max_open_orders: int = 50
    price_collar_pct: Decimal = Decimal("5")
    stale_book_ms: int = 5000
    trigger_collar_pct: Decimal = Decimal("25")
    max_spread_bps: Decimal = Decimal("500")
    max_position_notional: Decimal = Decimal("50000")
    daily_loss_limit: Decimal = Decimal("2500")
    max_margin_pct: Decimal = Decimal("30")
    max_leverage: Decimal = Decimal("5")
    duplicate_window_s: float = 5.0
    orders_per_s: int = 10
    cancels_per_s: int = 20
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)  # symbol -> overrides, on every venue
    venues: dict[str, dict[str, Any]] = field(default_factory=dict)  # venue -> overrides, "symbols" -> per symbol


@dataclass(frozen=True)
class CopilotConfig:
    kind: str = "rules"  # rules | llm | off
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "llama3.1"
    auto_propose_s: float = 0.0
    timeout_s: float = 30.0
    proposal_expiry_s: float = 120.0
    price_tolerance_bps: Decimal = Decimal("50")


# == The cockpit (issue 14): quantity presets, one-gesture orders, human expiry, layout, alerts ========
# Kept in one section so the rest of the validation can change around it. Parsed by parse_cockpit().
PRESET_KEYS = 5  # keys 1..5


@dataclass(frozen=True)
class CockpitConfig:
    one_gesture: bool = True  # the ticket's enter stages AND approves a human's own order (ctrl+s only stages)
    human_expiry_s: float = 300.0  # a human-staged order left waiting for approval this long expires (0 = never)
    layout: str = "auto"  # auto: every table at once from 140 columns; tabs: always tabs; all: never tabs
    ui_fps: int = 25  # the UI tick: live data reaches the screen this many times a second at most
    grid_levels: int = 4  # levels a side in each book of the grid
    presets_notional: tuple[Decimal, ...] = (Decimal("100"), Decimal("500"), Decimal("1000"), Decimal("5000"),
                                             Decimal("10000"))  # in quote, for symbols without their own
    presets: dict[str, tuple[Decimal, ...]] = field(default_factory=dict)  # symbol -> sizes in base units


@dataclass(frozen=True)
class AlertsConfig:
    fills: bool = True
    in_doubt: bool = True
    disconnects: bool = True
    pnl_loss: Decimal | None = Decimal("1000")  # day PnL at or below minus this, per account ("" = off)
    pnl_gain: Decimal | None = None  # day PnL at or above this ("" = off)
    margin_near_pct: Decimal | None = Decimal("80")  # margin ratio at this % of its cap ("" = off)
    bell: bool = False  # ring the terminal bell for warnings and errors


def parse_cockpit(r: "_Reader", data: dict[str, Any]) -> dict[str, Any]:
    """[cockpit], [cockpit.presets] and [alerts] -> Config keyword arguments."""
    cp = r.table(data.get("cockpit", {}), "[cockpit]")
    r.only(cp, {"one_gesture", "human_expiry_s", "layout", "ui_fps", "grid_levels", "presets_notional", "presets"},
           "cockpit.")
    d = CockpitConfig()

    def sizes(value: Any, key: str) -> tuple[Decimal, ...]:
        if not isinstance(value, list) or not 1 <= len(value) <= PRESET_KEYS:
            raise r.fail(key, f"a list of 1 to {PRESET_KEYS} sizes written as strings, like [\"0.01\", \"0.05\"]",
                         value)
        out = tuple(r.decimal(v, f"{key}[{i}]") for i, v in enumerate(value))
        if any(v <= 0 for v in out):
            raise r.fail(key, "sizes above zero", value)
        return out

    fps = r.integer(cp.get("ui_fps", d.ui_fps), "cockpit.ui_fps", 1)
    if fps > 60:
        raise r.fail("cockpit.ui_fps", "a whole number from 1 to 60 (the screen draws at most 60 frames/s)", fps)
    levels = r.integer(cp.get("grid_levels", d.grid_levels), "cockpit.grid_levels", 1)
    if levels > 10:
        raise r.fail("cockpit.grid_levels", "a whole number from 1 to 10", levels)
    presets = {symbol: sizes(v, f"cockpit.presets.{symbol}")
               for symbol, v in r.table(cp.get("presets", {}), "cockpit.presets").items()}
    cockpit = CockpitConfig(
        one_gesture=r.boolean(cp.get("one_gesture", d.one_gesture), "cockpit.one_gesture"),
        human_expiry_s=r.number(cp.get("human_expiry_s", d.human_expiry_s), "cockpit.human_expiry_s"),
        layout=r.string(cp.get("layout", d.layout), "cockpit.layout", ("auto", "tabs", "all")),
        ui_fps=fps, grid_levels=levels,
        presets_notional=sizes(cp["presets_notional"], "cockpit.presets_notional") if "presets_notional" in cp
        else d.presets_notional,
        presets=presets)

    al = r.table(data.get("alerts", {}), "[alerts]")
    r.only(al, {"fills", "in_doubt", "disconnects", "pnl_loss", "pnl_gain", "margin_near_pct", "bell"}, "alerts.")
    a = AlertsConfig()

    def optional(key: str, default: Decimal | None) -> Decimal | None:
        if key not in al:
            return default
        if al[key] == "":
            return None  # "" turns a threshold off
        value = r.decimal(al[key], f"alerts.{key}")
        if value <= 0:
            raise r.fail(f"alerts.{key}", 'a number above 0, or "" for off', al[key])
        return value

    alerts = AlertsConfig(
        fills=r.boolean(al.get("fills", a.fills), "alerts.fills"),
        in_doubt=r.boolean(al.get("in_doubt", a.in_doubt), "alerts.in_doubt"),
        disconnects=r.boolean(al.get("disconnects", a.disconnects), "alerts.disconnects"),
        pnl_loss=optional("pnl_loss", a.pnl_loss), pnl_gain=optional("pnl_gain", a.pnl_gain),
        margin_near_pct=optional("margin_near_pct", a.margin_near_pct),
        bell=r.boolean(al.get("bell", a.bell), "alerts.bell"))
    return {"cockpit": cockpit, "alerts": alerts}
# == end of the cockpit section ========================================================================


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    data_dir: Path = field(default_factory=data_dir)
    theme: str = "workstation-dark"
    refresh_interval_s: float = 3.0
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT")
    paper: PaperConfig = field(default_factory=PaperConfig)
    venues: tuple[VenueConfig, ...] = ()
    risk: RiskConfig = field(default_factory=RiskConfig)
    copilot: CopilotConfig = field(default_factory=CopilotConfig)
    keys: dict[str, str] = field(default_factory=dict)
    cockpit: CockpitConfig = field(default_factory=CockpitConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"


# -- validation helpers ---------------------------------------------------------------------------
class _Reader:
    def __init__(self, path: Path | None):
        self.where = str(path) if path else "<config>"

    def fail(self, key: str, expected: str, found: Any) -> ConfigError:
        shown = f"{type(found).__name__} {found!r}" if not isinstance(found, str) else repr(found)
        return ConfigError(f"{self.where}: {key}: expected {expected}, found {shown}")

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, "a table", data)
        return data

    def only(self, data: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for key in data:
            if key.lower() in SECRET_KEYS:
                raise ConfigError(
                    f"{self.where}: {prefix}{key}: secrets do not belong in the config file; remove it and run "
                    f"`workstation keys set VENUE` to store it in the system keyring")
            if key not in allowed:
                raise ConfigError(f"{self.where}: {prefix}{key}: unknown key; expected one of {', '.join(sorted(allowed))}")

    def decimal(self, value: Any, key: str, minimum: Decimal | None = Decimal(0)) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(key, 'a number written as a string or integer, like "25000" (floats lose money)', value)
        try:
            out = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, "a number", value) from None
        if not out.is_finite() or (minimum is not None and out < minimum):
            raise self.fail(key, f"a number >= {minimum}", value)
        return out

    def number(self, value: Any, key: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, "a number", value)
        if value < minimum:
            raise self.fail(key, f"a number >= {minimum}", value)
        return float(value)

    def integer(self, value: Any, key: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"a whole number >= {minimum}", value)
        return value

    def string(self, value: Any, key: str, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, "a non-empty string", value)
        if choices and value not in choices:
            raise self.fail(key, f"one of {', '.join(choices)}", value)
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "a list of strings", value)
        return tuple(value)

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value


def parse(data: dict[str, Any], path: Path | None = None) -> Config:
    r = _Reader(path)
    r.only(data, {"workstation", "paper", "venues", "risk", "copilot", "keys", "cockpit", "alerts"}, "")
    ws = r.table(data.get("workstation", {}), "[workstation]")
    r.only(ws, {"data_dir", "theme", "refresh_interval_s", "symbols"}, "workstation.")
    kwargs: dict[str, Any] = {"path": path}
    if "data_dir" in ws:
        kwargs["data_dir"] = Path(os.path.expanduser(r.string(ws["data_dir"], "workstation.data_dir")))
    if "theme" in ws:
        kwargs["theme"] = r.string(ws["theme"], "workstation.theme")
    if "refresh_interval_s" in ws:
        kwargs["refresh_interval_s"] = r.number(ws["refresh_interval_s"], "workstation.refresh_interval_s", 0.2)
    if "symbols" in ws:
        kwargs["symbols"] = r.strings(ws["symbols"], "workstation.symbols")

    paper = r.table(data.get("paper", {}), "[paper]")
    r.only(paper, {"enabled", "seed", "latency_ms", "latency_sigma", "speed", "balances", "faults"}, "paper.")
    balances = {cur: r.decimal(v, f"paper.balances.{cur}") for cur, v in r.table(paper.get("balances", {}), "paper.balances").items()}
    faults_table = r.table(paper.get("faults", {}), "paper.faults")
    r.only(faults_table, set(FAULTS), "paper.faults.")
    faults = {}
    for name, p in faults_table.items():
        value = r.number(p, f"paper.faults.{name}")
        if value > 1:
            raise r.fail(f"paper.faults.{name}", "a probability between 0 and 1", p)
        faults[name] = value
    kwargs["paper"] = PaperConfig(
        enabled=r.boolean(paper.get("enabled", True), "paper.enabled"),
        seed=r.integer(paper.get("seed", 7), "paper.seed"),
        latency_ms=r.number(paper.get("latency_ms", 40.0), "paper.latency_ms"),
        latency_sigma=r.number(paper.get("latency_sigma", 0.5), "paper.latency_sigma"),
        speed=r.number(paper.get("speed", 1.0), "paper.speed", 0.01),
        balances=balances, faults=faults)

    venues = []
    for name, raw in r.table(data.get("venues", {}), "[venues]").items():
        prefix = f"venues.{name}."
        v = r.table(raw, f"[venues.{name}]")
        r.only(v, {"exchange", "environment", "account", "symbols", "rest_url", "ws_url", "options", "confirm_live"}, prefix)
        if "exchange" not in v:
            raise ConfigError(f"{r.where}: {prefix}exchange: missing; expected a ccxt exchange id such as \"binance\"")
        if "environment" not in v:
            raise ConfigError(f"{r.where}: {prefix}environment: missing; expected one of {', '.join(ENVIRONMENTS)}")
        venues.append(VenueConfig(
            name=name, exchange=r.string(v["exchange"], prefix + "exchange"),
            environment=r.string(v["environment"], prefix + "environment", ENVIRONMENTS),
            account=r.string(v.get("account", "main"), prefix + "account"),
            symbols=r.strings(v.get("symbols", []), prefix + "symbols") if "symbols" in v else (),
            rest_url=r.string(v["rest_url"], prefix + "rest_url") if "rest_url" in v else None,
            ws_url=r.string(v["ws_url"], prefix + "ws_url") if "ws_url" in v else None,
            options=r.table(v.get("options", {}), prefix + "options"),
            confirm_live=r.boolean(v.get("confirm_live", False), prefix + "confirm_live")))
        r.only(venues[-1].options, set(venues[-1].options) - set(SECRET_KEYS), prefix + "options.")
    kwargs["venues"] = tuple(venues)

    risk = r.table(data.get("risk", {}), "[risk]")
    r.only(risk, set(RISK_KEYS) | {"symbols", "venues"}, "risk.")

    def limits(table: dict[str, Any], prefix: str) -> dict[str, Any]:
        out = {}
        for key, value in table.items():
            kind, minimum = RISK_KEYS[key]
            if kind == "decimal":
                out[key] = r.decimal(value, prefix + key)
                if key in ("max_leverage", "max_margin_pct", "daily_loss_limit") and out[key] <= 0:
                    raise r.fail(prefix + key, "a number > 0 (a limit of 0 would block everything)", value)
            elif kind == "int":
                out[key] = r.integer(value, prefix + key, minimum)
            else:
                out[key] = r.number(value, prefix + key, minimum)
        return out

    symbol_limits = {}
    for symbol, raw in r.table(risk.get("symbols", {}), "risk.symbols").items():
        table = r.table(raw, f"risk.symbols.{symbol}")
        r.only(table, set(RISK_KEYS), f"risk.symbols.{symbol}.")
        symbol_limits[symbol] = limits(table, f"risk.symbols.{symbol}.")
    venue_limits: dict[str, dict[str, Any]] = {}
    for venue, raw in r.table(risk.get("venues", {}), "risk.venues").items():
        table = dict(r.table(raw, f"risk.venues.{venue}"))
        r.only(table, set(RISK_KEYS) | {"symbols"}, f"risk.venues.{venue}.")
        per_symbol = {}
        for symbol, sraw in r.table(table.pop("symbols", {}), f"risk.venues.{venue}.symbols").items():
            stable = r.table(sraw, f"risk.venues.{venue}.symbols.{symbol}")
            r.only(stable, set(RISK_KEYS), f"risk.venues.{venue}.symbols.{symbol}.")
            per_symbol[symbol] = limits(stable, f"risk.venues.{venue}.symbols.{symbol}.")
        venue_limits[venue] = {**limits(table, f"risk.venues.{venue}."), "symbols": per_symbol}
    top = limits({k: v for k, v in risk.items() if k in RISK_KEYS}, "risk.")
    kwargs["risk"] = RiskConfig(**top, symbols=symbol_limits, venues=venue_limits)

    cp = r.table(data.get("copilot", {}), "[copilot]")
    r.only(cp, {"kind", "base_url", "model", "auto_propose_s", "timeout_s", "proposal_expiry_s", "price_tolerance_bps"}, "copilot.")
    defaults = CopilotConfig()
    kwargs["copilot"] = CopilotConfig(
        kind=r.string(cp.get("kind", defaults.kind), "copilot.kind", ("rules", "llm", "off")),
        base_url=r.string(cp.get("base_url", defaults.base_url), "copilot.base_url"),
        model=r.string(cp.get("model", defaults.model), "copilot.model"),
        auto_propose_s=r.number(cp.get("auto_propose_s", 0.0), "copilot.auto_propose_s"),
        timeout_s=r.number(cp.get("timeout_s", defaults.timeout_s), "copilot.timeout_s", 0.1),
        proposal_expiry_s=r.number(cp.get("proposal_expiry_s", defaults.proposal_expiry_s), "copilot.proposal_expiry_s", 1),
        price_tolerance_bps=r.decimal(cp.get("price_tolerance_bps", "50"), "copilot.price_tolerance_bps"))

    keys = r.table(data.get("keys", {}), "[keys]")
    kwargs["keys"] = {action: r.string(key, f"keys.{action}") for action, key in keys.items()}
    kwargs.update(parse_cockpit(r, data))
    return Config(**kwargs)


def load(path: str | Path | None = None) -> Config:
    """Load the config at ``path`` (or $WORKSTATION_CONFIG, or the user's config dir). Missing file = defaults."""
    explicit = path or os.environ.get("WORKSTATION_CONFIG")
    target = Path(explicit).expanduser() if explicit else config_file()
    if not target.exists():
        if explicit:
            raise ConfigError(f"{target}: no such file; copy config.example.toml there or leave --config out")
        return Config()
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: not valid TOML: {exc}") from None
    return parse(data, target)
