"""API keys live in the system keyring, nowhere else.

No keyring backend (a headless server) is an error with directions, never a silent plaintext
fallback. Environment variables are an explicit opt-in (WORKSTATION_ALLOW_ENV_KEYS=1) with a
warning. A Secret's repr is *** so it cannot leak through a log line or a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass

import keyring
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "workstation"
FIELDS = ("api_key", "secret", "passphrase")
_INDEX = "__index__"

NO_BACKEND_HELP = (
    "no system keyring is available to hold API keys. Either: (1) install and unlock a Secret Service "
    "(e.g. `apt install gnome-keyring`, then run the workstation inside `dbus-run-session -- sh -c "
    "'echo -n PASSWORD | gnome-keyring-daemon --unlock; workstation'`), or on macOS/Windows use the "
    "built-in keychain; or (2) opt in to environment variables, at your own risk: set "
    "WORKSTATION_ALLOW_ENV_KEYS=1 and WORKSTATION_<VENUE>_API_KEY / _SECRET / _PASSPHRASE."
)


class Secret(str):
    """A str that never shows itself in repr(), logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"


class CredentialsError(Exception):
    pass


@dataclass(frozen=True)
class Credentials:
    api_key: Secret | None = None
    secret: Secret | None = None
    passphrase: Secret | None = None
    source: str = "keyring"

    def __repr__(self) -> str:
        present = [name for name in FIELDS if getattr(self, name)]
        return f"Credentials(source={self.source!r}, set={present})"

    def ccxt_config(self) -> dict[str, str]:
        out = {}
        if self.api_key:
            out["apiKey"] = str(self.api_key)
        if self.secret:
            out["secret"] = str(self.secret)
        if self.passphrase:
            out["password"] = str(self.passphrase)
        return out


def backend_available() -> bool:
    backend = keyring.get_keyring()
    if type(backend).__module__.startswith("keyring.backends.fail"):
        return False
    try:
        return backend.priority > 0
    except Exception:  # noqa: BLE001 - a backend that cannot even say its priority is unusable
        return False


def _user(venue: str, account: str, field: str) -> str:
    return f"{venue}:{account}:{field}"


def _env_name(venue: str, field: str) -> str:
    return f"WORKSTATION_{re.sub(r'[^A-Z0-9]', '_', venue.upper())}_{field.upper()}"


def _env_allowed() -> bool:
    return os.environ.get("WORKSTATION_ALLOW_ENV_KEYS") == "1"


def get_secret(venue: str, field: str, account: str = "main") -> Secret | None:
    """One secret for a venue account, or None if it was never set."""
    if field not in FIELDS:
        raise ValueError(f"unknown credential field {field!r}; fields are {', '.join(FIELDS)}")
    if backend_available():
        try:
            value = keyring.get_password(SERVICE, _user(venue, account, field))
        except keyring.errors.KeyringError as exc:
            raise CredentialsError(f"the keyring refused to read {venue}/{account}: {exc}") from None
        if value is not None:
            return Secret(value)
    if _env_allowed():
        value = os.environ.get(_env_name(venue, field))
        if value:
            log.warning("using %s from the environment (WORKSTATION_ALLOW_ENV_KEYS=1)", _env_name(venue, field))
            return Secret(value)
        return None
    if not backend_available():
        raise CredentialsError(NO_BACKEND_HELP)
    return None


def load(venue: str, account: str = "main") -> Credentials:
    values = {name: get_secret(venue, name, account) for name in FIELDS}
    source = "keyring" if backend_available() else "environment"
    return Credentials(**values, source=source)


def _index() -> set[str]:
    raw = keyring.get_password(SERVICE, _INDEX)
    return set(json.loads(raw)) if raw else set()


def _require_backend() -> None:
    if not backend_available():
        raise CredentialsError(NO_BACKEND_HELP)


def store(venue: str, account: str, values: dict[str, str]) -> None:
    _require_backend()
    for name, value in values.items():
        if name not in FIELDS:
            raise ValueError(f"unknown credential field {name!r}")
        if value:
            keyring.set_password(SERVICE, _user(venue, account, name), value)
    index = _index() | {f"{venue}:{account}"}
    keyring.set_password(SERVICE, _INDEX, json.dumps(sorted(index)))


def delete(venue: str, account: str) -> int:
    _require_backend()
    removed = 0
    for name in FIELDS:
        try:
            keyring.delete_password(SERVICE, _user(venue, account, name))
            removed += 1
        except keyring.errors.PasswordDeleteError:
            pass
    index = _index() - {f"{venue}:{account}"}
    keyring.set_password(SERVICE, _INDEX, json.dumps(sorted(index)))
    return removed


def entries() -> list[tuple[str, str, list[str]]]:
    """(venue, account, fields that are set). Never the values."""
    _require_backend()
    out = []
    for item in sorted(_index()):
        venue, account = item.split(":", 1)
        present = [name for name in FIELDS if keyring.get_password(SERVICE, _user(venue, account, name))]
        out.append((venue, account, present))
    return out
