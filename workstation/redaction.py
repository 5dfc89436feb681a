"""Secrets out of every text that is kept or shown: logs, the journal, exports, screens, tracebacks.

Two kinds of knowledge: the values of the secrets in use this process (``register_secret``: venue keys
and the copilot's key, removed verbatim wherever they appear, whatever surrounds them), and the
shapes secrets take in text no one registered (an export of an old journal, a server's error body):
``key=value`` and ``"key": "value"`` pairs under a secret-looking name, bearer tokens, the common
API-key formats (``sk-...``), and "Incorrect API key provided: X" answers.

No heavy imports here: the copilot, the journal's exports and the log filter all use it.
"""

from __future__ import annotations

import re
import threading

SECRET_NAME = (r"(?:api[_-]?key|apikey|x-mbx-apikey|api[_-]?secret|secret(?:[_-]?key)?|private[_-]?key|signature|"
               r"sign|passphrase|password|passwd|access[_-]?token|auth[_-]?token|token|listenKey)")
_KEY_VALUE = re.compile(r"(?i)([\"']?\b" + SECRET_NAME + r"[\"']?)(\s*[=:]\s*[\"']?)([^&\s\"',;}\]]{3,})")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_SHAPES = re.compile(r"\b(?:sk-[A-Za-z0-9_\-*.]{8,}|sk_(?:live|test)_[A-Za-z0-9]{8,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
                     r"gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16})")
_PROVIDED = re.compile(r"(?i)(api[ _-]?key provided\s*:?\s*)([^\s\"',.;]+)")
SECRET_KEY_NAME = re.compile(r"(?i)^" + SECRET_NAME + r"$|api.?key|secret|signature|passphrase|password|token")

_known: set[str] = set()  # secret values in use this process
_lock = threading.Lock()


def register_secret(value: object) -> None:
    """Remember a secret's value so that redact() removes it verbatim, whatever surrounds it."""
    text = str(value or "")
    if len(text) >= 6:  # shorter strings would redact ordinary words
        with _lock:
            _known.add(text)


def redact_known(text: str) -> str:
    """Only the registered secret values, verbatim: safe on structured text (JSON) of any kind."""
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def redact(text: str) -> str:
    """Known secret values become ``***``; secret-shaped text is cut to ``name:***`` (never ``name=``)."""
    text = redact_known(text if isinstance(text, str) else str(text))
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}:***", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    text = _PROVIDED.sub(lambda m: f"{m.group(1)}***", text)
    return _SHAPES.sub("***", text)


def redact_obj(value: object) -> object:
    """A JSON-like structure with values under secret-looking keys replaced whole, and every string redacted."""
    if isinstance(value, dict):
        return {k: ("***" if isinstance(k, str) and SECRET_KEY_NAME.search(k) else redact_obj(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    return value
