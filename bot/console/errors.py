"""The one error type console services raise: an HTTP-free status and a message for the person."""

from __future__ import annotations


class ConsoleError(Exception):
    """An action the console refuses: ``status`` follows HTTP (400 bad input, 403 not allowed, 404 unknown,
    409 someone else got there first), ``message`` is shown to the operator as it is (Chinese)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(what: str) -> ConsoleError:
    """404 for an unknown record (a stale link, a typed URL)."""
    return ConsoleError(404, f"没有这个{what}")
