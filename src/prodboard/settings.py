"""The PRODBOARD_* environment settings: in range, or one clear error (never clamped).

``check_environment`` reads them all when a board opens, so a typo stops the
command before it touches anything instead of crashing half-way, or being
silently replaced by a default.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from prodboard.errors import BadInput


@dataclass(frozen=True)
class Number:
    """A numeric setting: its default and the inclusive range it must lie in."""

    name: str
    default: float
    lo: float
    hi: float
    whole: bool = False
    unit: str = ""

    def read(self) -> float:
        raw = os.environ.get(self.name)
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
NUMBERS = (BUSY_TIMEOUT_MS, POLL_INTERVAL, CHECK_INTERVAL)

_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def flag(name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off (any case)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise BadInput(f"{name}={raw!r} is not a yes/no value (use 1 or 0)")


def busy_timeout_ms() -> int:
    return int(BUSY_TIMEOUT_MS.read())


def poll_interval() -> float:
    return POLL_INTERVAL.read()


def check_interval() -> float:
    return CHECK_INTERVAL.read()


def watch_enabled() -> bool:
    """False when PRODBOARD_WATCH is off: poll only (network file systems)."""
    return flag("PRODBOARD_WATCH", True)


def check_environment() -> None:
    """Raise BadInput for the first PRODBOARD_* setting that is malformed or out of range."""
    from prodboard.domain.clock import fixed_now

    for setting in NUMBERS:
        setting.read()
    watch_enabled()
    fixed_now()
