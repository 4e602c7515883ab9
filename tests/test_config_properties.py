"""Property: any TOML value under any config key gives a config or one line naming the
file, the line the key is on, and the key. Never a traceback, never a value that would
crash later (non-finite, out of range)."""

from __future__ import annotations

import math
import os
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from prodboard.config import ConfigError, load_config
from prodboard.config.locate import show

SETTINGS = settings(max_examples=300, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

SCALAR = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 2**63 - 1, 365, 366, 8760, 600]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=8), st.sampled_from(["", " ", "editor", "ctrl+s,f2", "a, b", "\x1b[31m", "@pm",
                                          "approval", "brief", "checklist", "nord", "ctrl + s"]),
    st.dates(), st.times(), st.datetimes(),
)
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "name", "x y"]), inner, max_size=2)),
    max_leaves=5)
SANE = st.one_of(st.integers(0, 10), st.floats(1, 100), st.booleans(),
                 st.sampled_from(["Editor", "ctrl+s,f2", "nord", "approval", "seo"]),
                 st.lists(st.sampled_from(["editor", "pm", "@Legal", "seo"]), min_size=1, max_size=2))
ANY = st.one_of(SANE, VALUE)

# Every key the schema knows (and a stranger), as a TOML path.
TEAM_KEYS = [("board", k) for k in (
    "name", "review_sla_hours", "due_soon_hours", "at_risk_days", "wip_per_person", "approver_roles",
    "override_roles", "manager_roles", "admin_roles", "open_join", "derive_stage_due",
    "revision_limit", "free_formats", "bogus")] + [
    ("stages", 1, k) for k in ("name", "key", "wip", "gate", "responsible", "owner")] + [
    ("formats", "video", "revision_limit"), ("formats", "video", "checklist"), ("formats", "video", "x"),
    ("checklist", "seo"), ("checklist", "Fact Check"), ("keys", "new"), ("keys", "nonsense"),
    ("theme", "name"), ("theme", "colour"), ("notify", "toasts"), ("notify", "toast_seconds"),
    ("notify", "sound"), ("colours", "bg")]
PERSONAL_KEYS = [k for k in TEAM_KEYS if k[0] in ("keys", "theme", "notify", "colours")]
STAGES = '[[stages]]\nname = "Ideas"\n\n[[stages]]\n{name}{line}\n[[stages]]\nname = "Done"\n'


def toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}"
                             for c in value) + '"'
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f'"{k}" = {toml(v)}' for k, v in value.items()) + "}"


def document(path: tuple[str | int, ...], value: Any) -> tuple[str, int]:
    """A file setting ``path`` to ``value``, and the line it is on."""
    line = f'"{path[-1]}" = {toml(value)}' if " " in str(path[-1]) else f"{path[-1]} = {toml(value)}"
    if path[0] == "stages":
        text = STAGES.format(line=line, name="" if path[-1] == "name" else 'name = "Draft"\n')
        return text, text.splitlines().index(line) + 1
    table = ".".join(f'"{p}"' if " " in str(p) else str(p) for p in path[:-1])
    return f"# drawn\n[{table}]\n{line}\n", 3


def check(file: Path, text: str, line: int, path: tuple[str | int, ...], team: bool) -> None:
    file.write_text(text, encoding="utf-8")
    try:
        config = load_config(file, None) if team else load_config(None, file)
    except ConfigError as exc:
        message = exc.message
        assert "\n" not in message and "Traceback" not in message, message
        m = re.match(rf"{re.escape(str(file))}:(\d+): (\S.*?): \S", message)
        assert m, message
        # the error is about the drawn key (or the table holding it), on its line
        assert int(m.group(1)) in (line, line - 1) or m.group(2).startswith("stages"), (text, message)
        assert show(path).startswith(m.group(2)) or m.group(2).startswith(show(path[:1])), (text, message)
        event("refused")
        return
    event("loaded")
    wf, ui = config.workflow, config.ui
    for hours in (wf.review_sla_hours, wf.due_soon_hours):
        assert math.isfinite(hours) and 0 <= hours <= 8760
    assert 0 <= wf.at_risk_days <= 365 and 0 <= wf.wip_per_person <= 1000
    assert all(0 <= s.wip <= 1000 for s in wf.stages) and len(wf.stages) >= 2
    assert all(0 <= n <= 100 for n in (wf.revision_default, *wf.revision_by_format.values()))
    assert wf.approver_roles and wf.admin_roles
    assert 1 <= ui.notify.toast_seconds <= 600
    assert all(isinstance(k, str) and k and " " not in k for k in ui.keys.values())


@SETTINGS
@given(path=st.sampled_from(TEAM_KEYS), value=ANY)
def test_any_value_in_a_team_file(tmp_path: Path, path: tuple[str | int, ...], value: Any) -> None:
    text, line = document(path, value)
    check(tmp_path / "team.toml", text, line, path, team=True)


@SETTINGS
@given(path=st.sampled_from(PERSONAL_KEYS), value=ANY)
def test_any_value_in_a_personal_file(tmp_path: Path, path: tuple[str | int, ...], value: Any) -> None:
    text, line = document(path, value)
    check(tmp_path / "mine.toml", text, line, path, team=False)
