"""Clocks and timestamps. PRODBOARD_NOW (read in prodboard.settings) pins the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

# A pinned clock far from today would overflow date arithmetic (due dates, horizons).
EARLIEST, LATEST = 1970, 9000


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The storage form of a timestamp: UTC, ISO 8601, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
