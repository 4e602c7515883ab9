"""Errors the core raises; each carries the exit code the command line uses."""

from __future__ import annotations


class ProdboardError(Exception):
    """Base class: a one-line message meant for a person, an exit code, and the title
    a board's toast gives it (what happened, not only that nothing was saved)."""

    exit_code = 2
    title = "Not saved"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ProdboardError):
    """Bad usage or bad input (unknown stage, user, piece, malformed value)."""

    exit_code = 2
    title = "Check the input"


class NotFound(BadInput):
    """An unknown piece, person or stage."""

    title = "Not found"


class StoreError(ProdboardError):
    """The database cannot be used: missing, not ours, newer schema, read-only."""

    exit_code = 2
    title = "Board unavailable"


class Busy(ProdboardError):
    """Another process held the write lock longer than the busy timeout."""

    exit_code = 1
    title = "Board is busy"


class Refused(ProdboardError):
    """A production rule refused the change; the message says what is missing."""

    exit_code = 1
    title = "Refused"

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class Conflict(ProdboardError):
    """An edit was based on a stale version and touches fields someone else changed."""

    exit_code = 1
    title = "Conflict"

    def __init__(self, message: str, fields: tuple[str, ...], by: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields
        self.by = by


class ConfigError(ProdboardError):
    """A config file is malformed: one line ``FILE:LINE: key: why``; exit code 2."""

    exit_code = 2
