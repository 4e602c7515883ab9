"""The workflow: stages, limits and rules, from a default a TOML file can replace.

The file is validated strictly: an unknown key or a bad value is one error naming
the file, the key and its line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import BadInput, ProdboardError

GATES = ("brief", "approval", "checklist")
BRIEF_FIELDS = ("audience", "desired_action", "business_goal", "success_metrics")
LEVELS = ("all", "involved", "none")


class ConfigError(ProdboardError):
    """The config file is malformed; exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    wip: int = 0  # 0: no limit
    gate: str = ""  # checked when a piece leaves this stage forward
    responsible: tuple[str, ...] = ()  # roles told when a piece enters


@dataclass(frozen=True)
class Workflow:
    name: str = "Content production"
    stages: tuple[Stage, ...] = ()
    checklist_labels: dict[str, str] = field(default_factory=dict)
    checklist_default: tuple[str, ...] = ()
    checklist_by_format: dict[str, tuple[str, ...]] = field(default_factory=dict)
    revision_default: int = 2
    revision_by_format: dict[str, int] = field(default_factory=dict)
    formats: tuple[str, ...] = ()
    review_sla_hours: float = 48.0
    due_soon_hours: float = 24.0
    at_risk_days: int = 3
    wip_per_person: int = 0
    approver_roles: tuple[str, ...] = ("editor",)
    override_roles: tuple[str, ...] = ("pm", "strategist")
    manager_roles: tuple[str, ...] = ("pm",)
    derive_stage_due: bool = False

    # -- lookups -------------------------------------------------------------
    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (key or display name, any case)."""
        want = name.strip().lower()
        for st in self.stages:
            if want in (st.key, st.name.lower()):
                return st
        known = ", ".join(s.key for s in self.stages)
        raise BadInput(f"unknown stage {name!r} (stages: {known})")

    def index(self, key: str) -> int:
        for i, st in enumerate(self.stages):
            if st.key == key:
                return i
        raise BadInput(f"unknown stage {key!r}")

    @property
    def first(self) -> Stage:
        return self.stages[0]

    @property
    def last(self) -> Stage:
        return self.stages[-1]

    def checklist_for(self, fmt: str) -> tuple[str, ...]:
        return self.checklist_by_format.get(fmt, self.checklist_default)

    def revision_limit(self, fmt: str) -> int:
        return self.revision_by_format.get(fmt, self.revision_default)

    def label(self, item: str) -> str:
        return self.checklist_labels.get(item, item.replace("_", " "))

    def gate_stage(self, gate: str) -> Stage | None:
        return next((s for s in self.stages if s.gate == gate), None)


DEFAULT_STAGES = (
    Stage("ideas", "Ideas", 0, "", ("strategist",)),
    Stage("brief", "Brief", 6, "brief", ("strategist",)),
    Stage("draft", "Draft", 8, "", ()),
    Stage("review", "Review", 5, "approval", ("editor",)),
    Stage("optimize", "Optimize", 5, "checklist", ("distribution",)),
    Stage("scheduled", "Scheduled", 0, "", ("distribution",)),
    Stage("published", "Published", 0, "", ()),
)

DEFAULT_CHECKLIST = ("brand_voice", "seo", "legal", "channels", "analytics")
DEFAULT_LABELS = {
    "brand_voice": "Brand voice",
    "seo": "SEO",
    "legal": "Legal / compliance",
    "channels": "Distribution channels confirmed",
    "analytics": "Analytics tracking",
}
DEFAULT_FORMATS = (
    "blog post", "video", "newsletter", "infographic", "whitepaper", "social post", "campaign",
)


def default_workflow() -> Workflow:
    return Workflow(
        stages=DEFAULT_STAGES,
        checklist_labels=dict(DEFAULT_LABELS),
        checklist_default=DEFAULT_CHECKLIST,
        checklist_by_format={"social post": ("brand_voice", "legal", "channels")},
        revision_by_format={"blog post": 2, "campaign": 3},
        formats=DEFAULT_FORMATS,
    )


# -- loading ---------------------------------------------------------------

_BOARD_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "review_sla_hours": (int, float),
    "due_soon_hours": (int, float),
    "at_risk_days": int,
    "wip_per_person": int,
    "approver_roles": list,
    "override_roles": list,
    "manager_roles": list,
    "derive_stage_due": bool,
    "revision_limit": int,
}
_STAGE_KEYS: dict[str, type | tuple[type, ...]] = {
    "key": str, "name": str, "wip": int, "gate": str, "responsible": list,
}
_FORMAT_KEYS: dict[str, type | tuple[type, ...]] = {"revision_limit": int, "checklist": list}
_TOP_KEYS = ("board", "stages", "formats", "checklist", "keys", "theme")


def _line_of(text: str, key: str) -> int:
    """Best-effort line number of ``key`` (last dotted part) in the TOML text."""
    last = key.split(".")[-1].split("[")[0]
    pattern = re.compile(rf'^\s*(\[+\s*)?"?{re.escape(last)}"?\s*[=\].]', re.M)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, key: str, why: str) -> ConfigError:
        return ConfigError(f"{self.path}:{_line_of(self.text, key)}: {key}: {why}")

    def check(self, table: dict[str, Any], allowed: dict[str, Any], where: str) -> None:
        for key, value in table.items():
            name = f"{where}.{key}" if where else key
            if key not in allowed:
                raise self.fail(name, f"unknown key (allowed: {', '.join(allowed)})")
            want = allowed[key]
            if isinstance(value, bool) and want in (int, (int, float)):
                raise self.fail(name, "expected a number")
            if not isinstance(value, want):
                raise self.fail(name, f"expected {_type_name(want)}")
            if want is list and not all(isinstance(v, str) for v in value):
                raise self.fail(name, "expected a list of strings")
            if want in (int, (int, float)) and value < 0:
                raise self.fail(name, "must not be negative")


def _type_name(want: Any) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
    if isinstance(want, tuple):
        return "a number"
    return names.get(want, str(want))


def load_workflow(path: Path | None) -> Workflow:
    """The default workflow, replaced by the parts ``path`` declares (if given)."""
    wf = default_workflow()
    if path is None:
        return wf
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return parse_workflow(data, _Reader(path, text), wf)


def parse_workflow(data: dict[str, Any], r: _Reader, wf: Workflow) -> Workflow:
    for key in data:
        if key not in _TOP_KEYS:
            raise r.fail(key, f"unknown section (allowed: {', '.join(_TOP_KEYS)})")
    changes: dict[str, Any] = {}
    board = data.get("board", {})
    if not isinstance(board, dict):
        raise r.fail("board", "expected a table")
    r.check(board, _BOARD_KEYS, "board")
    for key, value in board.items():
        attr = "revision_default" if key == "revision_limit" else key
        changes[attr] = tuple(value) if isinstance(value, list) else value
    if "stages" in data:
        changes["stages"] = _parse_stages(data["stages"], r)
    if "formats" in data:
        _parse_formats(data["formats"], r, wf, changes)
    if "checklist" in data:
        labels = data["checklist"]
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise r.fail("checklist", "expected a table of item = \"label\"")
        changes["checklist_labels"] = {**wf.checklist_labels, **labels}
        changes["checklist_default"] = tuple(labels) or wf.checklist_default
    return replace(wf, **changes)


def _parse_stages(stages: Any, r: _Reader) -> tuple[Stage, ...]:
    if not isinstance(stages, list) or not stages:
        raise r.fail("stages", "expected at least one [[stages]] table")
    out: list[Stage] = []
    for i, st in enumerate(stages):
        where = f"stages[{i}]"
        if not isinstance(st, dict):
            raise r.fail(where, "expected a table")
        r.check(st, _STAGE_KEYS, "stages")
        if "name" not in st:
            raise r.fail(f"{where}.name", "every stage needs a name")
        key = str(st.get("key", st["name"])).strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", key):
            raise r.fail("stages.key", f"{key!r} is not a valid stage key (letters, digits, _ -)")
        if any(s.key == key for s in out):
            raise r.fail("stages.key", f"stage {key!r} is declared twice")
        gate = st.get("gate", "")
        if gate and gate not in GATES:
            raise r.fail("stages.gate", f"unknown gate {gate!r} (gates: {', '.join(GATES)})")
        out.append(
            Stage(key, st["name"], st.get("wip", 0), gate, tuple(st.get("responsible", ())))
        )
    return tuple(out)


def _parse_formats(formats: Any, r: _Reader, wf: Workflow, changes: dict[str, Any]) -> None:
    if not isinstance(formats, dict):
        raise r.fail("formats", "expected a table of formats")
    revisions = dict(wf.revision_by_format)
    checklists = dict(wf.checklist_by_format)
    for fmt, spec in formats.items():
        if not isinstance(spec, dict):
            raise r.fail(f"formats.{fmt}", "expected a table")
        r.check(spec, _FORMAT_KEYS, f"formats.{fmt}")
        if "revision_limit" in spec:
            revisions[fmt] = spec["revision_limit"]
        if "checklist" in spec:
            checklists[fmt] = tuple(spec["checklist"])
    changes["revision_by_format"] = revisions
    changes["checklist_by_format"] = checklists
    changes["formats"] = tuple(dict.fromkeys((*wf.formats, *formats)))
