"""Theme files: `themes/*.toml` -> textual Theme objects, plus the workstation's own variables.

A theme file holds the fields of `textual.theme.Theme` (name, primary, background, ...,
dark) and a `[variables]` table. The variables the workstation's TCSS uses are listed in
APP_VARIABLES; `defaults_for(theme)` derives every one of them from a theme's colour
system so that Textual's built-in themes (and theme files that leave some out) work too.
Bad files are collected, never raised: the app reports them once and skips them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "workstation-dark"
OUR_THEMES = ("workstation-dark", "workstation-light")

# Every app variable the TCSS uses, with what it means.
APP_VARIABLES = {
    "bid": "bid prices, buy side",
    "ask": "ask prices, sell side",
    "bid-depth": "depth bar behind bids (a colour with alpha, e.g. '#2BD47D 22%')",
    "ask-depth": "depth bar behind asks",
    "pnl-up": "profit",
    "pnl-down": "loss",
    "own-order": "our own resting orders on the ladder",
    "own-order-bg": "background behind our working quantity on the DOM",
    "cursor-row": "the DOM's cursor row (a background)",
    "env-paper": "PAPER environment banner background",
    "env-testnet": "TESTNET environment banner background",
    "env-demo": "DEMO environment banner background",
    "env-live": "LIVE environment banner background (must be impossible to miss)",
}

_COLOUR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
                  "surface", "panel", "boost")
_THEME_FIELDS = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class ThemeFailure:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


def defaults_for(theme: Theme) -> dict[str, str]:
    """Values for every app variable, derived from a theme's own colours."""
    colours = theme.to_color_system().generate()
    success = colours.get("success", "#2BD47D")
    error = colours.get("error", "#FF5C5C")
    warning = colours.get("warning", "#F5A524")
    primary = colours.get("primary", "#4C9AFF")
    accent = colours.get("accent", "#F5A524")
    ansi = getattr(theme, "ansi", False) or str(error).startswith("ansi_")
    # ANSI colours cannot be blended: a "22%" red bar is a solid red one, and red ask prices vanish on it.
    # Bars and backgrounds there are a neutral grey the bid and ask colours stay readable on.
    return {
        "bid": success,
        "ask": error,
        "bid-depth": "ansi_bright_black" if ansi else f"{success} 22%",
        "ask-depth": "ansi_bright_black" if ansi else f"{error} 22%",
        "pnl-up": success,
        "pnl-down": error,
        "own-order": warning,
        "own-order-bg": "ansi_bright_black" if ansi else f"{warning} 25%",
        "cursor-row": "ansi_blue" if ansi else f"{accent} 45%",
        "env-paper": primary,
        "env-testnet": warning,
        "env-demo": warning,
        "env-live": "#E0162B",
    }


def _check_colour(value: object, where: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a colour string, found {value!r}")
    base = value.split()[0] if value.split() else value
    if base.startswith("$") or base == "auto":
        return
    try:
        Color.parse(base)
    except ColorParseError:
        raise ValueError(f"{where}: {value!r} is not a colour") from None


def parse_theme(data: dict, path: Path) -> Theme:
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ValueError("missing 'name'")
    if "primary" not in data:
        raise ValueError("missing 'primary'")
    for name in _COLOUR_FIELDS:
        if data.get(name) is not None:
            _check_colour(data[name], name)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError("[variables] must be a table")
    for key, value in variables.items():
        if key in APP_VARIABLES:
            _check_colour(value, f"variables.{key}")
        elif not isinstance(value, str):
            raise ValueError(f"variables.{key} must be a string")
    if "dark" in data and not isinstance(data["dark"], bool):
        raise ValueError("'dark' must be true or false")
    theme = Theme(**data)
    theme.to_color_system().generate()  # anything else that is wrong fails here
    return theme


def load_themes(dirs: list[Path]) -> tuple[list[Theme], list[ThemeFailure]]:
    """Every `*.toml` in the folders, in order; a later theme of the same name replaces an earlier one."""
    loaded: dict[str, Theme] = {}
    failures: list[ThemeFailure] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(tomllib.loads(path.read_text(encoding="utf-8")), path)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
                failures.append(ThemeFailure(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
                continue
            loaded[theme.name] = theme
    return list(loaded.values()), failures
