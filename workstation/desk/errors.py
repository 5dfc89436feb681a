"""The Desk's one error type, in its own module so every desk module can raise it without a cycle."""

from __future__ import annotations

import contextlib
from typing import Iterator


class DeskError(Exception):
    """A verb that cannot be done as asked; the message says why and what to do instead."""


@contextlib.contextmanager
def refused(*kinds: type[BaseException]) -> Iterator[None]:
    """A part's refusal (a control or group error, a bad value) as the Desk's one error type."""
    try:
        yield
    except kinds as exc:
        raise DeskError(str(exc)) from exc
