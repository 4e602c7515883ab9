"""What goes inside the notification escapes, which alerts are which kind, and the
``[notify]`` keys of the personal file."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodboard.config import ConfigError, load_ui
from prodboard.domain.notify import BODY_MAX, DEFAULT_KINDS, desktop_escapes, kind_of, osc_text
from prodboard.domain.values import EventView


def event(kind: str, **data: object) -> EventView:
    return EventView(1, "2026-11-20T09:00:00+00:00", "ben", kind, 1, dict(data))


@pytest.mark.parametrize("hostile", [
    "a\x1b]777;notify;forged;x\x07b", "a\x9d0;title\x9cb", "a\x07\x1b\\b", "a\x1b[2Jb",
    "a\x1bc\x00\x7f\x85b", "a\u202eb",
])
def test_nothing_can_end_or_open_a_sequence(hostile: str) -> None:
    out = osc_text(hostile, 100)
    assert out.startswith("a") and out.endswith("b")
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in out)
    assert ";" not in out and "\u202e" not in out


def test_fields_are_bounded_and_the_body_makes_no_field() -> None:
    assert len(osc_text("x" * 1000, BODY_MAX)) == BODY_MAX
    seq = desktop_escapes("prodboard: @ben", "one; two\nthree")
    assert seq == ("\x1b]777;notify;prodboard: @ben;one, two three\a"
                   "\x1b]9;prodboard: @ben: one, two three\a")


def test_kinds() -> None:
    assert kind_of(event("comment.added", mentions=["ana"]), "ana") == "mention"
    assert kind_of(event("comment.added", mentions=["editor"]), "ana", ("editor",)) == "mention"
    assert kind_of(event("comment.added", mentions=["ben"]), "ana") == "comment"
    assigned = EventView(1, "", "ben", "piece.assigned", 1, {"changes": {"owner": ["ben", "ana"]}})
    assert kind_of(assigned, "ana") == "assignment"
    assert kind_of(assigned, "ben") is None  # taken from me: not an assignment to me
    assert kind_of(event("review.assigned"), "ana") == "review_request"
    assert kind_of(event("piece.changes_requested"), "ana") == "changes_requested"
    assert kind_of(event("alert.overdue"), "ana") == "overdue"
    assert kind_of(event("person.away"), "ana") == "team"
    assert kind_of(event("piece.moved"), "ana") is None
    moved = EventView(1, "", "ben", "piece.moved", 1, {"changes": {"stage": ["draft", "review"]}})
    assert kind_of(moved, "ana", review_stage="review") == "review_request"
    assert kind_of(moved, "ana", review_stage="optimize") is None


def test_the_personal_file(tmp_path: Path) -> None:
    mine = tmp_path / "me.toml"
    assert load_ui(None, None).notify.desktop == DEFAULT_KINDS
    mine.write_text('[notify]\nbell = false\ndesktop = ["overdue", "mention", "overdue"]\n')
    prefs = load_ui(None, mine).notify
    assert (prefs.bell, prefs.desktop) == (False, ("overdue", "mention"))
    mine.write_text('[notify]\ndesktop = []\n')
    assert load_ui(None, mine).notify.desktop == ()
    mine.write_text('# mine\n[notify]\ndesktop = [\n  "mention",\n  "mentions",\n]\n')
    with pytest.raises(ConfigError, match=r"me.toml:3: notify.desktop: unknown kind 'mentions' "
                                          r"\(kinds: mention, assignment,"):
        load_ui(None, mine)
    mine.write_text('[notify]\nbell = 1\n')
    with pytest.raises(ConfigError, match=r"me.toml:2: notify.bell: expected true or false"):
        load_ui(None, mine)
    mine.write_text('[notify]\ndesktop = "mention"\n')
    with pytest.raises(ConfigError, match=r"me.toml:2: notify.desktop: expected a list"):
        load_ui(None, mine)
