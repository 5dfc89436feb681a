"""The Desk's one error type, in its own module so every desk module can raise it without a cycle."""


class DeskError(Exception):
    """A verb that cannot be done as asked; the message says why and what to do instead."""
