"""Every PRODBOARD_* environment variable, in one typed, frozen ``Settings``.

``Settings.from_env(environ)`` reads and checks them all at once: a value out of
range or malformed is one clear line (never clamped, never silently replaced by a
default), so a typo stops a command before it touches anything. ``current()`` is
the process's settings, parsed once; it is rebuilt only when the PRODBOARD_*
variables themselves change (the in-process CLI tests and ``monkeypatch`` do that).
Tests build their own with ``Settings.from_env({...})`` or ``Settings(...)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prodboard.domain.clock import EARLIEST, LATEST, Clock, parse_utc
from prodboard.domain.text import has_surrogates
from prodboard.errors import BadInput

PREFIX = "PRODBOARD_"
# Read as text (paths and names); checked only for being valid UTF-8.
TEXTS = ("PRODBOARD_DB", "PRODBOARD_BOARD", "PRODBOARD_USER", "PRODBOARD_CONFIG", "PRODBOARD_USER_CONFIG")


@dataclass(frozen=True)
class Number:
    """A numeric setting: its default and the inclusive range it must lie in."""

    name: str
    default: float
    lo: float
    hi: float
    whole: bool = False
    unit: str = ""

    def read(self, environ: Mapping[str, str]) -> float:
        raw = environ.get(self.name)
        if raw is None:
            return self.default
        span = f"{self.lo:g} to {self.hi:g}{self.unit}"
        kind = "a whole number" if self.whole else "a number"
        try:
            value = int(raw) if self.whole else float(raw)
        except ValueError:
            raise BadInput(f"{self.name}={raw!r} is not {kind} (use {span}, or unset it)") from None
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise BadInput(f"{self.name}={raw!r} is out of range (use {span})")
        return value


BUSY_TIMEOUT_MS = Number("PRODBOARD_BUSY_TIMEOUT_MS", 5000, 0, 600_000, whole=True, unit=" ms")
POLL_INTERVAL = Number("PRODBOARD_POLL_INTERVAL", 1.0, 0.05, 60, unit=" s")
CHECK_INTERVAL = Number("PRODBOARD_CHECK_INTERVAL", 30.0, 0.05, 86_400, unit=" s")

_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off (any case)."""
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise BadInput(f"{name}={raw!r} is not a yes/no value (use 1 or 0)")


def _moment(environ: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 time (years 1970-9000: far from today would overflow date arithmetic)."""
    raw = environ.get(name)
    if raw is None:
        return None
    try:
        moment = parse_utc(raw.strip())
    except (ValueError, OverflowError):
        raise BadInput(f"{name}={raw!r} is not an ISO 8601 time (e.g. 2026-11-20T09:00:00Z)") from None
    if not EARLIEST <= moment.year <= LATEST:
        raise BadInput(f"{name}={raw!r} is out of range (years {EARLIEST}-{LATEST})")
    return moment


def _text(environ: Mapping[str, str], name: str) -> str | None:
    raw = environ.get(name) or None  # set but empty counts as unset, as click does
    if raw is not None and has_surrogates(raw):
        raise BadInput(f"{name} is not valid UTF-8")
    return raw


@dataclass(frozen=True)
class Settings:
    """The PRODBOARD_* variables, checked. The README's *Environment* table lists them."""

    db: str | None = None  # PRODBOARD_DB (the CLI's --db wins)
    board: str | None = None  # PRODBOARD_BOARD: which board on a PostgreSQL server (--board wins)
    user: str | None = None  # PRODBOARD_USER (--user wins)
    config: str | None = None  # PRODBOARD_CONFIG: the team file (--config wins)
    user_config: str | None = None  # PRODBOARD_USER_CONFIG: the personal file
    busy_timeout_ms: int = int(BUSY_TIMEOUT_MS.default)
    poll_interval: float = POLL_INTERVAL.default
    check_interval: float = CHECK_INTERVAL.default
    watch: bool = True  # False: poll only (network file systems)
    now: datetime | None = None  # PRODBOARD_NOW pins the clock (tests, demos)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Every setting from ``environ``; BadInput (one line) for the first bad one."""
        return cls(
            db=_text(environ, "PRODBOARD_DB"),
            board=_text(environ, "PRODBOARD_BOARD"),
            user=_text(environ, "PRODBOARD_USER"),
            config=_text(environ, "PRODBOARD_CONFIG"),
            user_config=_text(environ, "PRODBOARD_USER_CONFIG"),
            busy_timeout_ms=int(BUSY_TIMEOUT_MS.read(environ)),
            poll_interval=POLL_INTERVAL.read(environ),
            check_interval=CHECK_INTERVAL.read(environ),
            watch=_flag(environ, "PRODBOARD_WATCH", True),
            now=_moment(environ, "PRODBOARD_NOW"),
        )

    @property
    def config_path(self) -> Path | None:
        return Path(self.config) if self.config else None

    @property
    def user_config_path(self) -> Path | None:
        return Path(self.user_config) if self.user_config else None

    def clock(self) -> Clock:
        """The pinned clock when PRODBOARD_NOW is set, else the real one."""
        pinned = self.now
        if pinned is None:
            return real_clock
        return lambda: pinned


def real_clock() -> datetime:
    return datetime.now(UTC)


_cache: tuple[tuple[tuple[str, str], ...], Settings] | None = None


def _snapshot(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in environ.items() if k.startswith(PREFIX)))


def current() -> Settings:
    """This process's settings (parsed once per distinct set of PRODBOARD_* values)."""
    global _cache
    key = _snapshot(os.environ)
    if _cache is None or _cache[0] != key:
        _cache = (key, Settings.from_env(os.environ))
    return _cache[1]


def undecodable() -> str | None:
    """The first path/name setting that is not valid UTF-8, as a one-line message (the
    CLI checks this before parsing arguments, which would carry the bad bytes on)."""
    for name in TEXTS:
        if has_surrogates(os.environ.get(name, "")):
            return f"{name} is not valid UTF-8"
    return None


_pinned: tuple[str | None, datetime | None] = (None, None)


def system_clock() -> datetime:
    """Now, in UTC; PRODBOARD_NOW (ISO 8601) pins it for tests and demos. Every write
    asks a few times, so it reads that one variable (not a snapshot of the whole
    environment, which cost more than a write's SQL) and parses it once per value."""
    global _pinned
    raw = os.environ.get("PRODBOARD_NOW")
    if raw is None:
        return real_clock()
    if _pinned[0] != raw:
        _pinned = (raw, _moment({"PRODBOARD_NOW": raw}, "PRODBOARD_NOW"))
    moment = _pinned[1]
    assert moment is not None
    return moment

