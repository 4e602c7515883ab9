"""Where a key is in a TOML file: ``tomllib`` gives values but no positions.

``key_lines`` scans the source once and maps every key path to the line that
declares it: table headers, dotted keys, arrays of tables (numbered, so the third
``[[stages]]`` table's ``wip`` is ``("stages", 2, "wip")``), inline tables and
array elements. Strings (all four kinds) and comments are skipped, so text that
merely looks like a key is never taken for one. It assumes the file parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)', re.S)
_SIMPLE = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE.get(code, code)

    return _ESCAPE.sub(one, body)


class _Scanner:
    def __init__(self, text: str, normalize: Callable[[str], str]) -> None:
        self.text, self.pos, self.line = text, 0, 1
        self.normalize = normalize
        self.found: dict[KeyPath, int] = {}
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path -> its last index

    # -- low level -------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_space(self, newlines: bool = False) -> None:
        """Blanks, and comments; across lines too when ``newlines``."""
        while self.pos < len(self.text):
            ch = self.peek()
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.advance((end if end >= 0 else len(self.text)) - self.pos)
            else:
                return

    def record(self, path: KeyPath, line: int) -> None:
        self.found.setdefault(path, line)

    # -- keys and strings ------------------------------------------------------------
    def string(self) -> str:
        """A string of any kind at pos; returns its value (escapes decoded for keys)."""
        for quote in ('"""', "'''"):
            if self.peek(3) == quote:
                end = self.pos + 3
                while True:
                    end = self.text.index(quote, end)
                    if quote == "'''" or not _escaped(self.text, end):
                        break
                    end += 1
                while self.text[end + 3:end + 4] == quote[0]:  # """a"""" ends at the last
                    end += 1
                body = self.text[self.pos + 3:end]
                self.advance(end + 3 - self.pos)
                return body
        quote = self.peek()
        end = self.pos + 1
        while True:
            end = self.text.index(quote, end)
            if quote == "'" or not _escaped(self.text, end):
                break
            end += 1
        body = self.text[self.pos + 1:end]
        self.advance(end + 1 - self.pos)
        return body if quote == "'" else _unescape(body)

    def key(self) -> tuple[str, ...]:
        """A (dotted, maybe quoted) key at pos."""
        parts: list[str] = []
        while True:
            self.skip_space()
            if self.peek() in ('"', "'"):
                parts.append(self.normalize(self.string()))
            else:
                m = _BARE.match(self.text, self.pos)
                if m is None:
                    raise ValueError(f"no key at line {self.line}")
                parts.append(self.normalize(m.group()))
                self.advance(m.end() - self.pos)
            self.skip_space()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    # -- values ----------------------------------------------------------------------
    def value(self, path: KeyPath) -> None:
        """Skip one value, recording the lines of array elements and inline-table keys."""
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    return
                self.record((*path, index), self.line)
                self.value((*path, index))
                index += 1
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif ch == "{":
            self.advance()
            while True:
                self.skip_space()
                if self.peek() == "}":
                    self.advance()
                    return
                self.assignment(path)
                self.skip_space()
                if self.peek() == ",":
                    self.advance()
        else:  # number, date, bool: up to a delimiter
            m = re.compile(r"[^,\]}\s#]+(?:[ T][0-9][^,\]}\s#]*)?").match(self.text, self.pos)
            self.advance((m.end() if m else self.pos + 1) - self.pos)

    def assignment(self, table: KeyPath) -> None:
        line = self.line
        parts = self.key()
        for n in range(1, len(parts) + 1):
            self.record((*table, *parts[:n]), line)
        if self.peek() != "=":
            raise ValueError(f"no '=' at line {self.line}")
        self.advance()
        self.skip_space()
        self.value((*table, *parts))

    # -- the document ----------------------------------------------------------------
    def header(self) -> KeyPath:
        line = self.line
        double = self.peek(2) == "[["
        self.advance(2 if double else 1)
        parts = self.key()
        self.advance(2 if double else 1)
        path: KeyPath = ()
        for n, part in enumerate(parts):
            path = (*path, part)
            if n < len(parts) - 1 and path in self.arrays:
                path = (*path, self.arrays[path])
            self.record(path, line)
        if double:
            self.arrays[path] = self.arrays.get(path, -1) + 1
            path = (*path, self.arrays[path])
            self.record(path, line)
        return path

    def document(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_space(newlines=True)
            if self.pos >= len(self.text):
                return self.found
            if self.peek() == "[":
                table = self.header()
            else:
                self.assignment(table)


def _escaped(text: str, at: int) -> bool:
    """Whether the quote at ``at`` is escaped (an odd run of backslashes before it)."""
    n = 0
    while at - n - 1 >= 0 and text[at - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def key_lines(text: str, normalize: Callable[[str], str] = str) -> dict[KeyPath, int]:
    """Every key path declared in ``text`` with the line of its first declaration.

    ``normalize`` is applied to each key as the loader applies it to the data (so a
    path built from cleaned keys still finds its line). Best effort on a file that
    does not parse: what was found before the trouble.
    """
    scanner = _Scanner(text, normalize)
    try:
        return scanner.document()
    except (ValueError, IndexError):
        return scanner.found


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int:
    """The line declaring ``path``, else its nearest declared parent, else 1."""
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1


def show(path: KeyPath) -> str:
    """``path`` as a person reads it: stages[2].wip, formats."blog post".checklist."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _BARE.fullmatch(part) else f'"{part}"'
            out += f".{name}" if out else name
    return out
