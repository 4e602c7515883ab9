"""Errors the core raises; each carries the exit code the command line uses."""

from __future__ import annotations


class ProdboardError(Exception):
    """Base class: a one-line message meant for a person, and an exit code."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ProdboardError):
    """Bad usage or bad input (unknown stage, user, piece, malformed value)."""

    exit_code = 2


class NotFound(BadInput):
    """An unknown piece, person or stage."""


class StoreError(ProdboardError):
    """The database cannot be used: missing, not ours, newer schema, read-only."""

    exit_code = 2


class Busy(ProdboardError):
    """Another process held the write lock longer than the busy timeout."""

    exit_code = 1


class Refused(ProdboardError):
    """A production rule refused the change; the message says what is missing."""

    exit_code = 1

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class Conflict(ProdboardError):
    """An edit was based on a stale version and touches fields someone else changed."""

    exit_code = 1

    def __init__(self, message: str, fields: tuple[str, ...], by: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields
        self.by = by
