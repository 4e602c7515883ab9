"""Cleaning text: terminal escape sequences go whole, everything printable stays."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodboard.domain.text import clean, clean_line, has_surrogates, one_line

# What must never survive: C0 controls but tab/newline, DEL, C1 (ESC included), surrogates.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        # CSI: colours, cursor moves, screen clears, private modes
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b[2Jb", "ab"),
        ("x\x1b[?1049hy", "xy"),
        ("cut \x1b[3", "cut "),  # unterminated at the end
        # OSC: BEL- or ST-terminated, or open to the end of the text
        ("\x1b]0;pwned\x07title", "title"),
        ("producer,\x1b]52;c;agvsbg8=\x1b\\", "producer,"),  # the clipboard write
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # a hyperlink
        ("keep\x1b]0;never closed", "keep"),
        ("a\x1b]0;t\x1b[31mb", "ab"),  # an ESC ends the string and starts the next sequence
        # DCS, SOS, PM, APC strings
        ("\x1bP1$r\x1b\\after", "after"),
        ("\x1bXsos\x1b\\s", "s"),
        ("\x1b^pm\x1b\\p", "p"),
        ("\x1b_apc\x1b\\q", "q"),
        # two-byte and charset sequences
        ("kim\x1bc", "kim"),  # ESC c: reset the terminal
        ("\x1b7save\x1b8", "save"),
        ("\x1b(Bascii", "ascii"),
        ("\x1b#8fill", "fill"),
        # 8-bit C1 forms
        ("a\x9b31mb", "ab"),
        ("x\x9d0;title\x9cy", "xy"),
        ("x\x9d0;title\x07y", "xy"),
        ("d\x90q\x9ce", "de"),
        ("\x9f apc \x9cz", "z"),
        ("next\x85line", "nextline"),
        # what is left: bare controls
        ("bell\x07 nul\x00 del\x7f esc\x1b", "bell nul del esc"),
    ],
)
def test_escape_sequences_go_whole(raw: str, want: str) -> None:
    assert clean(raw) == want


def test_printable_text_is_kept_as_written() -> None:
    text = "🚀 Café — مرحبا שלום 日本語 [bold]x[/b] 1 < 2 & ✓ ~!@#$%^&*()\ttab\nline"
    assert clean(text) == text


def test_line_endings_and_one_line_fields() -> None:
    assert clean("a\r\nb\rc") == "a\nb\nc"
    assert clean_line("  two\nlines\tand tab  ") == "two lines and tab"
    assert clean_line("\x1b]0;x\x07") == ""


def test_one_line_messages_cannot_forge_a_second_line() -> None:
    assert one_line("unknown stage 'a\nprodboard: fake'") == "unknown stage 'a\\nprodboard: fake'"
    assert "\n" not in one_line("x\r\ny\x1b[2J")


def test_undecodable_bytes_are_replaced() -> None:
    raw = b"caf\xff".decode("utf-8", "surrogateescape")
    assert has_surrogates(raw) and not has_surrogates(clean(raw))
    assert clean(raw) == "caf\ufffd"
    clean(raw).encode("utf-8")  # writable


_HOSTILE = st.sampled_from(["\x1b", "\x1b[", "\x1b]", "\x1bP", "\x9b", "\x9d", "\x9c", "\x07",
                            "\x1b\\", "\r", "\n", "\t", ";", "m", "[", "]", "c", "a", "\x00"])


@settings(max_examples=200, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.lists(st.one_of(_HOSTILE, st.text(max_size=5)), max_size=20).map("".join))
def test_nothing_dangerous_survives_and_cleaning_is_stable(text: str) -> None:
    once = clean(text)
    assert not FORBIDDEN.search(once), repr(once)
    assert clean(once) == once
    line = clean_line(text)
    assert "\n" not in line and "\t" not in line and not FORBIDDEN.search(line)
    assert "\n" not in one_line(text)


def test_bidi_overrides_are_removed_but_plain_marks_stay() -> None:
    """U+202E would show "txt.exe" as "exe.txt"; isolates likewise reorder. LRM/RLM stay."""
    from prodboard.domain.text import clean_line

    assert clean_line("invoice\u202etxt.exe") == "invoicetxt.exe"
    assert clean_line("a\u2066b\u2067c\u2068d\u2069e\u202a\u202b\u202c\u202d") == "abcde"
    assert clean_line("שלום\u200e abc\u200f") == "שלום\u200e abc\u200f"
