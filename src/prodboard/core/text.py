"""Cleaning text people type, and finding @mentions in it."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC included).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][\w.-]*[\w]|[A-Za-z])")


def clean(text: str) -> str:
    """Remove terminal control characters; keep everything else as written.

    Lone carriage returns become newlines so that a pasted Windows text keeps its lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """Like clean() for one-line fields (titles, names): newlines and tabs become spaces
    (a tab in a card would break the board's columns)."""
    return " ".join(clean(text).replace("\t", " ").split("\n")).strip()


def mentions(text: str) -> list[str]:
    """The @handles and @roles mentioned in a text, lowercased, in order, without repeats."""
    seen: list[str] = []
    for name in _MENTION.findall(text):
        low = name.lower()
        if low not in seen:
            seen.append(low)
    return seen
