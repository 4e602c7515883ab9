"""A small, strict RFC 5545 reader of our own, the second parser the calendar tests read
the feed back with (the first is the icalendar library that wrote it): CRLF line
ends, lines folded at 75 octets, parameters, text escapes, nested components."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z0-9-]+")


@dataclass
class Prop:
    name: str
    params: dict[str, str]
    value: str  # raw, still escaped

    @property
    def text(self) -> str:
        """The value as TEXT (RFC 5545 3.3.11), unescaped."""
        out, i = [], 0
        while i < len(self.value):
            ch = self.value[i]
            if ch == "\\" and i + 1 < len(self.value):
                nxt = self.value[i + 1]
                out.append("\n" if nxt in "nN" else nxt)
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)


@dataclass
class Component:
    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def get(self, name: str) -> Prop:
        found = [p for p in self.props if p.name == name]
        assert len(found) == 1, f"{self.name}: {len(found)} {name}"
        return found[0]

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.props)

    def walk(self, name: str) -> list[Component]:
        out = [self] if self.name == name else []
        for child in self.children:
            out.extend(child.walk(name))
        return out


def unfold(data: bytes) -> list[str]:
    """Content lines, unfolded; every physical line ends in CRLF and is at most 75 octets."""
    assert data.endswith(b"\r\n"), "the last line must end with CRLF"
    physical = data[:-2].split(b"\r\n")
    for raw in physical:
        assert b"\n" not in raw and b"\r" not in raw, f"bare line break in {raw!r}"
        assert len(raw) <= 75, f"line longer than 75 octets: {raw!r}"
    lines: list[bytes] = []
    for raw in physical:
        if raw[:1] in (b" ", b"\t"):
            assert lines, "a continuation line first"
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return [line.decode("utf-8") for line in lines]  # folding may split a UTF-8 sequence


def _prop(line: str) -> Prop:
    m = _NAME.match(line)
    assert m, f"no property name: {line!r}"
    name, pos, params = m.group().upper(), m.end(), {}
    while line[pos] == ";":
        key = _NAME.match(line, pos + 1)
        assert key and line[key.end()] == "=", f"bad parameter in {line!r}"
        pos = key.end() + 1
        if line[pos] == '"':
            end = line.index('"', pos + 1)
            value, pos = line[pos + 1:end], end + 1
        else:
            end = pos
            while line[end] not in ";:,":
                end += 1
            value, pos = line[pos:end], end
        params[key.group().upper()] = value
    assert line[pos] == ":", f"no value in {line!r}"
    return Prop(name, params, line[pos + 1:])


def parse(data: bytes) -> Component:
    """The one VCALENDAR in ``data``."""
    stack: list[Component] = []
    root: Component | None = None
    for line in unfold(data):
        prop = _prop(line)
        if prop.name == "BEGIN":
            comp = Component(prop.value.upper())
            if stack:
                stack[-1].children.append(comp)
            else:
                assert root is None, "more than one top-level component"
                root = comp
            stack.append(comp)
        elif prop.name == "END":
            assert stack and stack[-1].name == prop.value.upper(), f"unbalanced END:{prop.value}"
            stack.pop()
        else:
            assert stack, f"a property outside any component: {line!r}"
            stack[-1].props.append(prop)
    assert root is not None and not stack, "unterminated calendar"
    assert root.name == "VCALENDAR"
    return root
