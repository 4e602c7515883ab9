"""Our lean event writer gives the bytes icalendar writes for the same events: escapes,
folding at 75 octets (never inside a UTF-8 character or an escape), property order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ical_parse import parse
from test_calendar_domain import piece

from prodboard.domain.workflow import default_workflow
from prodboard.services import ical

WF = default_workflow()
# What folding and escaping care about, and characters of 1 to 4 UTF-8 octets.
TEXT = st.one_of(
    st.lists(st.sampled_from([*"ab ;,\\^:\"\n\r\té表🎉", "x" * 9]), max_size=60).map("".join),
    st.lists(st.sampled_from([*"ab ;,\\^:", "x" * 9]), max_size=60).map("".join),  # ASCII only
)


def ours(p: object) -> bytes:
    return ("\r\n".join(ical.event_lines(p, WF, "b0ard")) + "\r\n").encode()  # type: ignore[arg-type]


def theirs(p: object) -> bytes:
    return b"".join(bytes(e.to_ical()) for e in ical.piece_events(p, WF, "b0ard"))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(title=TEXT, message=TEXT, fmt=TEXT, channels=st.lists(TEXT, max_size=3),
       archived=st.booleans(), stage=st.sampled_from(["draft", "scheduled", "published"]),
       due=st.sampled_from([None, "2026-11-19", "2026-12-31"]), version=st.integers(1, 10**6))
def test_the_same_bytes_as_icalendar(title: str, message: str, fmt: str, channels: list[str],
                                     archived: bool, stage: str, due: str | None,
                                     version: int) -> None:
    texts = (title, message, fmt, *channels)
    if any("\\N" in t for t in texts):  # icalendar reads a typed \N as a newline; we do not
        return
    p = piece(7, title=title.strip() or "t", key_message=message, format=fmt,
              channels=tuple(channels), publish_date="2026-11-21", due=due, archived=archived,
              stage=stage, version=version)
    assert ours(p) == theirs(p)


def test_a_typed_backslash_n_stays_as_typed() -> None:
    p = piece(3, title=r"C:\New folder", publish_date="2026-11-21")
    body = b"BEGIN:VCALENDAR\r\n" + ours(p) + b"END:VCALENDAR\r\n"
    event = parse(body).walk("VEVENT")[0]
    assert event.get("SUMMARY").text == r"C:\New folder"


def test_long_lines_fold_under_75_octets() -> None:
    p = piece(3, title="表" * 60, key_message="word, " * 40, publish_date="2026-11-21")
    body = b"BEGIN:VCALENDAR\r\n" + ours(p) + b"END:VCALENDAR\r\n"
    event = parse(body).walk("VEVENT")[0]  # our parser checks every line's length
    assert event.get("SUMMARY").text == "表" * 60
    assert "Key message: " + "word, " * 39 + "word," in event.get("DESCRIPTION").text
