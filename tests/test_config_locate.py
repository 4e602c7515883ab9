"""The TOML key locator: every key path's line, for tables, dotted keys, arrays of tables,
inline tables and arrays, never fooled by strings or comments that look like keys."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodboard.config import ConfigError, load_config
from prodboard.config.locate import KeyPath, key_lines, line_of, show

DOC = '''\
# a comment = 1
title = "x = 1"  # not a key
[board]
name = """
fake = 2
[not.a.table]
"""
at_risk_days = 3

[[stages]]
name = "A"
[[stages]]
name = 'B'
wip = 4
[stages.extra]
deep = true

[formats."blog post"]
checklist = [
  "seo",  # a comment in an array
  "legal",
]
[formats.video]
revision_limit = 1

[checklist]
site.seo = "SEO"
"Fact Check" = 'x'
inline = { a = 1, b = { c = [1, 2] } }
tricky = 'C:\\'
quote = "say \\"k = v\\""
'''


def test_every_kind_of_key_is_found() -> None:
    assert tomllib.loads(DOC)["checklist"]["tricky"] == "C:\\"
    lines = key_lines(DOC)
    want: dict[KeyPath, int] = {
        ("title",): 2, ("board",): 3, ("board", "name"): 4, ("board", "at_risk_days"): 8,
        ("stages", 0): 10, ("stages", 0, "name"): 11, ("stages", 1): 12,
        ("stages", 1, "name"): 13, ("stages", 1, "wip"): 14, ("stages", 1, "extra"): 15,
        ("stages", 1, "extra", "deep"): 16, ("formats", "blog post"): 18,
        ("formats", "blog post", "checklist"): 19, ("formats", "blog post", "checklist", 1): 21,
        ("formats", "video", "revision_limit"): 24, ("checklist", "site"): 27,
        ("checklist", "site", "seo"): 27, ("checklist", "Fact Check"): 28,
        ("checklist", "inline", "b", "c", 1): 29, ("checklist", "quote"): 31,
    }
    for path, line in want.items():
        assert lines.get(path) == line, (path, lines.get(path))
    assert ("fake",) not in lines and ("board", "fake") not in lines
    assert not any("not" in p for p in lines)
    assert ("a comment",) not in lines


def test_a_missing_key_falls_back_to_its_parent() -> None:
    lines = key_lines(DOC)
    assert line_of(lines, ("stages", 1, "gate")) == 12
    assert line_of(lines, ("formats", "video", "checklist")) == 23
    assert line_of(lines, ("nowhere",)) == 1


def test_keys_are_normalised_like_the_data() -> None:
    lines = key_lines('[formats."Case\\u001b Study"]\nx = 1\n', lambda k: k.replace("\x1b", ""))
    assert lines[("formats", "Case Study", "x")] == 2


def test_show_reads_like_toml() -> None:
    assert show(("stages", 2, "wip")) == "stages[2].wip"
    assert show(("formats", "blog post", "checklist")) == 'formats."blog post".checklist'


# -- property: for a generated document, every leaf's line holds its own key -----------

NAMES = st.one_of(st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True),
                  st.sampled_from(["blog post", "a.b", "x = 1", "#", "[t]", 'q"uote']))
SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), st.sampled_from(['"s"', "'k = v'", '"""\nx = 1\n"""']))


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() \
        else '"' + name.replace('"', '\\"') + '"'


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[KeyPath, int]]:
    text = ""
    expect: dict[KeyPath, int] = {}
    for t in draw(st.lists(NAMES, unique=True, max_size=3)):
        arrays = draw(st.integers(0, 2))
        for index in range(arrays or 1):
            text += f"[[{_key(t)}]]\n" if arrays else f"[{_key(t)}]\n"
            base: KeyPath = (t, index) if arrays else (t,)
            for k in draw(st.lists(NAMES, unique=True, max_size=3)):
                value = draw(SCALARS)
                expect[(*base, k)] = text.count("\n") + 1
                shown = str(value).lower() if isinstance(value, bool) else str(value)
                text += f"{_key(k)} = {shown}  # {_key(k)} = 0\n"
    return text, expect


@settings(max_examples=150, deadline=None)
@given(doc=documents())
def test_generated_documents(doc: tuple[str, dict[KeyPath, int]]) -> None:
    text, expect = doc
    data: Any = tomllib.loads(text)
    assert data is not None
    lines = key_lines(text)
    for path, line in expect.items():
        assert lines.get(path) == line, (text, path)


# -- the loader's errors point at the line, whatever the TOML form ----------------------

FORMS = [
    ("board.at_risk_days = 'x'\n", "1: board.at_risk_days"),
    ("[board]\nname = 'x'\n\n# at_risk_days = 3\nat_risk_days = -1\n", "5: board.at_risk_days"),
    ("\nboard = { name = 'x', at_risk_days = true }\n", "2: board.at_risk_days"),
    ("stages = [\n  { name = 'A' },\n  { name = 'B', wip = -1 },\n]\n", "3: stages[1].wip"),
    ("[[stages]]\nname = 'A'\n[[stages]]\nname = 'B'\n[[stages]]\nname = 'C'\nowner = 'x'\n",
     "7: stages[2].owner"),
    ('[formats]\nvideo.revision_limit = 1\n"blog post".revision_limit = 1e9\n',
     '3: formats."blog post".revision_limit'),
    ("[notify]\ntoasts = true\n\n[notify.extra]\nx = 1\n", "4: notify.extra"),
    ("description = '''\n[board]\nat_risk_days = 'x'\n'''\n", "1: description"),
]


@pytest.mark.parametrize(("text", "where"), FORMS)
def test_errors_point_at_the_key_in_every_form(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.message.startswith(f"{path}:{where}: "), exc.value.message
