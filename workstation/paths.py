"""Where the workstation keeps things: XDG directories, overridable for tests and portable installs."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "workstation"


def data_dir() -> Path:
    override = os.environ.get("WORKSTATION_DATA_DIR")
    return Path(override).expanduser() if override else Path(user_data_dir(APP))


def config_file() -> Path:
    return Path(user_config_dir(APP)) / "config.toml"


def themes_dirs() -> list[Path]:
    """Bundled themes first, then the user's, so a user theme of the same name wins."""
    bundled = Path(__file__).resolve().parent.parent / "themes"
    return [bundled, Path(user_config_dir(APP)) / "themes"]
