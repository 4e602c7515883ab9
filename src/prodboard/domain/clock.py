"""The clock the core reads. Tests and scripts pin it with PRODBOARD_NOW."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from prodboard.errors import BadInput

Clock = Callable[[], datetime]

# A pinned clock far from today would overflow date arithmetic (due dates, horizons).
EARLIEST, LATEST = 1970, 9000


def fixed_now() -> datetime | None:
    """The moment PRODBOARD_NOW pins (ISO 8601, years 1970-9000), or None when unset."""
    fixed = os.environ.get("PRODBOARD_NOW")
    if fixed is None:
        return None
    try:
        moment = parse_utc(fixed.strip())
    except (ValueError, OverflowError):
        raise BadInput(
            f"PRODBOARD_NOW={fixed!r} is not an ISO 8601 time (e.g. 2026-11-20T09:00:00Z)"
        ) from None
    if not EARLIEST <= moment.year <= LATEST:
        raise BadInput(f"PRODBOARD_NOW={fixed!r} is out of range (years {EARLIEST}-{LATEST})")
    return moment


def system_clock() -> datetime:
    """Now, in UTC; PRODBOARD_NOW (ISO 8601) overrides it for tests and demos."""
    return fixed_now() or datetime.now(UTC)


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The storage form of a timestamp: UTC, ISO 8601, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
