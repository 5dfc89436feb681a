"""Errors are classified once, here, from ccxt's exception classes (reference/ccxt.md section 4).

The rest of the workstation never looks at a ccxt exception: it sees a VenueError with a kind
that says what to do.
"""

from __future__ import annotations

import logging
from enum import Enum

import ccxt

from ..redaction import redact, register_secret


class ErrorKind(str, Enum):
    TRANSIENT = "transient"  # nothing happened at the venue; retry with backoff inside the rate budget
    RATE_LIMITED = "rate_limited"  # a definite refusal (429): back off, do not hammer
    PERMANENT = "permanent"  # the venue refused for good; show its message
    PARAMETER = "parameter"  # the request was wrong; name the field
    AUTH = "auth"  # keys wrong or lacking permission; never retried
    NOT_FOUND = "not_found"  # the venue does not know the order (now)
    UNKNOWN_OUTCOME = "unknown_outcome"  # it may have happened: look it up, never re-send blindly


# ccxt puts the signed URL into many error messages (and, at DEBUG, the request headers with the API key
# into its log); a signature or key must never reach a log, the journal, an export or a traceback.
# redact and register_secret (workstation.redaction, which needs no ccxt) are re-exported under the venues' names.
__all__ = ["ErrorKind", "RedactingFilter", "VenueError", "classify", "redact", "register_secret", "root_cause"]


class RedactingFilter(logging.Filter):
    """Scrubs one record: the formatted message and any exception text. Attach to a logger or handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string still must not leak its args
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        return True


def root_cause(exc: BaseException) -> BaseException:
    """The ccxt exception behind a non-ccxt one, where ccxt raised a bug while handling its own error.

    ccxt 4.5.90: spot ``watch_orders`` with a bad secret raises ``KeyError('spot')`` from its cleanup
    while the AuthenticationError is being handled; the AuthenticationError is what the trader must see.
    """
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, ccxt.BaseError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return exc


WRITES = frozenset({"create_order", "cancel_order", "edit_order", "cancel_all_orders"})


def classify(exc: BaseException, operation: str) -> ErrorKind:
    """The kind of an exception raised by ``operation`` (a ccxt method name)."""
    write = operation in WRITES
    if isinstance(exc, (ccxt.RateLimitExceeded, ccxt.DDoSProtection)):
        return ErrorKind.RATE_LIMITED
    if isinstance(exc, ccxt.OnMaintenance):
        return ErrorKind.TRANSIENT
    if isinstance(exc, (ccxt.RequestTimeout, ccxt.ExchangeNotAvailable)):
        # A timeout or a 5xx after the request left: the venue may have acted on it.
        return ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.TRANSIENT
    if isinstance(exc, ccxt.InvalidNonce):
        return ErrorKind.TRANSIENT
    if isinstance(exc, ccxt.NetworkError):
        return ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.TRANSIENT
    if isinstance(exc, ccxt.OperationFailed):
        return ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.TRANSIENT
    if isinstance(exc, ccxt.OrderNotFound):
        return ErrorKind.NOT_FOUND
    if isinstance(exc, ccxt.DuplicateOrderId) and operation == "create_order":
        # the venue already holds an order with our client id (an earlier send did arrive): look it up
        return ErrorKind.UNKNOWN_OUTCOME
    if isinstance(exc, ccxt.AuthenticationError):
        return ErrorKind.AUTH
    if isinstance(exc, (ccxt.InvalidOrder, ccxt.BadRequest, ccxt.ArgumentsRequired, ccxt.NotSupported)):
        return ErrorKind.PARAMETER
    if isinstance(exc, ccxt.ExchangeError):
        return ErrorKind.PERMANENT
    if isinstance(exc, (TimeoutError, ConnectionError, OSError)):
        return ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.TRANSIENT
    return ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.PERMANENT


class VenueError(Exception):
    """A venue call failed. ``kind`` says what to do; the message is the venue's, made readable."""

    def __init__(self, venue: str, operation: str, kind: ErrorKind, message: str, original: BaseException | None = None):
        super().__init__(f"{venue} {operation}: {kind.value}: {message}")
        self.venue, self.operation, self.kind, self.message, self.original = venue, operation, kind, message, original

    @classmethod
    def from_exception(cls, venue: str, operation: str, exc: BaseException) -> "VenueError":
        exc = root_cause(exc)
        kind = classify(exc, operation)
        text = redact(str(exc) or type(exc).__name__)
        if len(text) > 300:
            text = text[:300] + "..."
        return cls(venue, operation, kind, f"{type(exc).__name__}: {text}", exc)

    def __reduce__(self):  # picklable (multiprocessing, exports) without the original exception
        return (VenueError, (self.venue, self.operation, self.kind, self.message))
