"""Cleaning text people type, and finding @mentions in it.

Everything stored or shown goes through ``clean``/``clean_line``: a terminal acts on
escape sequences (OSC 52 writes the clipboard, ``ESC c`` resets the screen), so
they are removed whole, not only their ESC byte, which would leave ``[31m`` behind.
"""

from __future__ import annotations

import re

# Whole escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms. A string sequence
# (OSC, DCS, SOS, PM, APC) ends at BEL (OSC only), ST (ESC \ or 0x9c), at another
# ESC (which starts the next sequence, as terminals treat it), or at the end of the
# text: an unterminated one swallows the rest, as it would on a terminal.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?        # CSI
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x9c|\x1b\\)?        # OSC
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x9c|\x1b\\)?  # DCS SOS PM APC
    | \x1b [\x20-\x2f]* [\x30-\x7e]                                 # ESC c, ESC ( B, ESC 7
    """,
    re.VERBOSE,
)
# What is left: C0 controls except tab and newline, DEL, C1 controls, lone ESC.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates reorder what follows on screen, so
# a title could read as something else ("Trojan Source"). The plain LRM/RLM marks stay.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Lone surrogates: undecodable bytes from argv or stdin; they cannot be written as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][\w.-]*[\w]|[A-Za-z])")


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences, control characters and bidi overrides, keeping
    tab and newline."""
    text = _ESCAPES.sub("", text)
    text = _CONTROL.sub("", text)
    text = _BIDI.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def clean(text: str) -> str:
    """Remove terminal escape sequences and controls; keep everything else as written.

    Lone carriage returns become newlines so that a pasted Windows text keeps its lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return strip_escapes(text)


def clean_line(text: str) -> str:
    """Like clean() for one-line fields (titles, names): newlines and tabs become spaces
    (a tab in a card would break the board's columns)."""
    return " ".join(clean(text).replace("\t", " ").split("\n")).strip()


def one_line(text: str) -> str:
    """A message for stderr: cleaned, with newlines shown as ``\\n`` so an argument that
    holds one cannot make a second line (or forge one)."""
    return clean(text).replace("\n", "\\n").replace("\t", " ")


def has_surrogates(text: str) -> bool:
    """True when ``text`` holds undecodable bytes (it was not valid UTF-8)."""
    return _SURROGATE.search(text) is not None


def mentions(text: str) -> list[str]:
    """The @handles and @roles mentioned in a text, lowercased, in order, without repeats."""
    seen: list[str] = []
    for name in _MENTION.findall(text):
        low = name.lower()
        if low not in seen:
            seen.append(low)
    return seen
