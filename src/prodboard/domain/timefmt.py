"""How a time is shown to a person: in one zone that is named, and relative where
people expect it ("3 h ago", "due in 2 days"). Pure: the zone and now are passed in.

Stored times stay UTC ISO 8601 (domain/clock.py); JSON output keeps that form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from prodboard.domain.clock import parse_utc

_MINUTE, _HOUR, _DAY = 60, 3600, 86400


def zone_label(moment: datetime) -> str:
    """The zone's short name at that moment ("EST", "IST", "UTC"), else its offset."""
    name = moment.tzname() or ""
    if name and not name.startswith(("+", "-")):
        return name
    offset = moment.strftime("%z")  # e.g. +0530, shown as UTC+05:30
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def local(value: str | datetime, zone: tzinfo) -> datetime:
    """A stored time (ISO text or an aware datetime) in ``zone``."""
    moment = parse_utc(value) if isinstance(value, str) else value.astimezone(UTC)
    return moment.astimezone(zone)


def clock_time(value: str | datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """``2026-03-08 01:59 EST``; with ``now``, the day is left out for today's times
    ("14:05 IST") and the year for this year's ("Mar 08 01:59 EST")."""
    moment = local(value, zone)
    label = zone_label(moment)
    if now is not None:
        today = now.astimezone(zone).date()
        if moment.date() == today:
            return f"{moment:%H:%M} {label}"
        if moment.year == today.year:
            return f"{moment:%b %d %H:%M} {label}"
    return f"{moment:%Y-%m-%d %H:%M} {label}"


def ago(value: str | datetime, now: datetime) -> str:
    """How long ago (or, for a future time, how soon): "just now", "5 min ago",
    "3 h ago", "2 days ago", "in 4 h"."""
    moment = parse_utc(value) if isinstance(value, str) else value
    seconds = int((now - moment).total_seconds())
    span = _span(abs(seconds))
    if span == "":
        return "just now"
    return f"{span} ago" if seconds > 0 else f"in {span}"


def _span(seconds: int) -> str:
    if seconds < _MINUTE:
        return ""
    if seconds < _HOUR:
        return f"{seconds // _MINUTE} min"
    if seconds < _DAY:
        return f"{seconds // _HOUR} h"
    days = seconds // _DAY
    return "1 day" if days == 1 else f"{days} days"


def when(value: str | datetime, zone: tzinfo, now: datetime) -> str:
    """The clock time and how long ago: ``09:12 EST (3 h ago)``."""
    return f"{clock_time(value, zone, now)} ({ago(value, now)})"


def due_in(due: date | str, now: datetime, zone: tzinfo) -> str:
    """A due date against today in ``zone``: "due today", "due tomorrow",
    "due in 2 days", "1 day overdue", "3 days overdue"."""
    day = date.fromisoformat(due) if isinstance(due, str) else due
    days = (day - now.astimezone(zone).date()).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    return "1 day overdue" if days == -1 else f"{-days} days overdue"
