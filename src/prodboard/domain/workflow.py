"""The workflow: stages, limits and rules, from a default a TOML file can replace.

The file is validated strictly: an unknown key or a bad value is one error naming
the file, the key and its line.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from prodboard.domain.text import clean_line
from prodboard.errors import BadInput, ProdboardError

GATES = ("brief", "approval", "checklist")
REVIEW_RESETS = ("all", "keep_approved")  # what a piece's review tracks keep when it returns
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
    assign: str = ""  # a role: a piece entering gets an owner holding it (routing)


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
    admin_roles: tuple[str, ...] = ("admin", "pm")  # may add people, change roles and delegates
    open_join: bool = True  # anyone may `prodboard join` (admins are told)
    derive_stage_due: bool = False
    free_formats: bool = False  # True: a piece may have a format the config does not list
    # Review tracks (docs/rules.md): format -> the roles whose sign-off it needs.
    reviews_by_format: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sequential_formats: frozenset[str] = frozenset()
    review_advance: bool = True  # the last track's approval moves the piece on
    review_reset: str = "all"  # on return to review: "all", or "keep_approved"

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

    def reviews_for(self, fmt: str) -> tuple[str, ...]:
        """The review tracks of a format; () keeps the single approval."""
        return self.reviews_by_format.get(fmt, ())

    def sequential(self, fmt: str) -> bool:
        return fmt in self.sequential_formats

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
    "admin_roles": list,
    "open_join": bool,
    "derive_stage_due": bool,
    "revision_limit": int,
    "free_formats": bool,
    "review_advance": bool,
    "review_reset": str,
}
# Every number has a bounded range: a huge or non-finite one would be accepted here and
# crash date arithmetic later (in checks, rules, the board's first paint).
_RANGES: dict[str, tuple[int, int, str]] = {
    "review_sla_hours": (0, 8760, " hours"),
    "due_soon_hours": (0, 8760, " hours"),
    "at_risk_days": (0, 365, " days"),
    "wip_per_person": (0, 1000, ""),
    "wip": (0, 1000, ""),
    "revision_limit": (0, 100, ""),
}
_STAGE_KEYS: dict[str, type | tuple[type, ...]] = {
    "key": str, "name": str, "wip": int, "gate": str, "responsible": list, "assign": str,
}
_FORMAT_KEYS: dict[str, type | tuple[type, ...]] = {
    "revision_limit": int, "checklist": list, "reviews": list, "sequential": bool,
}
_TOP_KEYS = ("board", "stages", "formats", "checklist", "keys", "theme", "notify")


KeyPath = tuple[str | int, ...]
_KEY_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")
_HEADER = re.compile(r"^\s*(\[\[?)(.*?)\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"""^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=""")


def _split_key(text: str) -> tuple[str, ...] | None:
    """The parts of a (dotted, possibly quoted) TOML key, or None if it is not one."""
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if m is None or m.end() == pos:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def _key_lines(text: str) -> list[tuple[KeyPath, int]]:
    """Every table header and key assignment with its full key path and line number.

    ``[[stages]]`` tables are numbered, so the third stage's ``wip`` is
    ``("stages", 2, "wip")``.
    """
    out: list[tuple[KeyPath, int]] = []
    header: KeyPath = ()
    seen: dict[KeyPath, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        head = _HEADER.match(line)
        if head:
            parts = _split_key(head.group(2))
            if parts is None:
                continue
            if head.group(1) == "[[":
                seen[parts] = seen.get(parts, -1) + 1
                header = (*parts, seen[parts])
            else:
                header = parts
            out.append((header, lineno))
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = _split_key(assign.group(1))
            if key is not None:
                out.append(((*header, *key), lineno))
    return out


def _line_of(text: str, path: KeyPath | str) -> int:
    """The line that declares ``path``, or its nearest declared parent; 1 if none.

    A dotted string (``"board.wip"``, or a bare ``"name"``) is also accepted; a bare
    name not found at the top level matches the first key of that name anywhere.
    """
    lines = _key_lines(text)
    if isinstance(path, str):
        parts: KeyPath = tuple(path.split("."))
        exact = [lineno for got, lineno in lines if got == parts]
        nested = [lineno for got, lineno in lines if got[-len(parts):] == parts]
        if exact or nested:
            return (exact or nested)[0]
        path = parts
    for n in range(len(path), 0, -1):
        want = path[:n]
        for got, lineno in lines:
            if got[:n] == want:
                return lineno
    return 1


def _show(path: KeyPath) -> str:
    """``path`` as a person reads it: stages[2].wip, formats."blog post".checklist."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += f".{name}" if out else name
    return out


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, key: str | KeyPath, why: str) -> ConfigError:
        where = tuple(key.split(".")) if isinstance(key, str) else key
        return ConfigError(f"{self.path}:{_line_of(self.text, where)}: {_show(where)}: {why}")

    def check(self, table: dict[str, Any], allowed: dict[str, Any], where: str | KeyPath) -> None:
        base = tuple(where.split(".")) if isinstance(where, str) else where
        for key, value in table.items():
            name = (*base, key)
            if key not in allowed:
                raise self.fail(name, f"unknown key (allowed: {', '.join(allowed)})")
            want = allowed[key]
            if isinstance(value, bool) and want in (int, (int, float)):
                raise self.fail(name, f"expected {_type_name(want)}, not true/false")
            if not isinstance(value, want):
                raise self.fail(name, f"expected {_type_name(want)}, got {_toml_type(value)}")
            if want is list and not all(isinstance(v, str) and v.strip() for v in value):
                raise self.fail(name, "expected a list of non-empty strings")
            if want is str and not value.strip():
                raise self.fail(name, "must not be empty")
            if want in (int, (int, float)):
                self.check_range(name, key, value)

    def check_range(self, name: KeyPath, key: str, value: float) -> None:
        if not math.isfinite(value):
            raise self.fail(name, "must be a finite number (not nan or inf)")
        lo, hi, unit = _RANGES.get(key, (0, 10**6, ""))
        if value < 0:
            raise self.fail(name, f"must not be negative (use {lo} to {hi}{unit})")
        if not lo <= value <= hi:
            raise self.fail(name, f"must be between {lo} and {hi}{unit}, not {value:g}")


def _type_name(want: Any) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}
    if isinstance(want, tuple):
        return "a number"
    return names.get(want, str(want))


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a table"
    kinds = {str: "a string", int: "a whole number", float: "a decimal number", list: "a list"}
    return kinds.get(type(value), type(value).__name__)


def load_workflow(path: Path | None) -> Workflow:
    """The default workflow, replaced by the parts ``path`` declares (if given)."""
    wf = default_workflow()
    if path is None:
        return wf
    text, data = read_toml(path)
    return parse_workflow(data, _Reader(path, text), wf)


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """A config file's text and its TOML tables; ConfigError (one line) if it cannot be
    read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, text, exc)) from exc


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``FILE:LINE: invalid TOML: why`` from the parser's "why (at line L, column C)"."""
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", msg)
    if m:
        return f"{path}:{m.group(1)}: invalid TOML: {msg[: m.start()]} (column {m.group(2)})"
    m = re.search(r"\s*\(at end of document\)\s*$", msg)
    if m:
        last = max(1, len(text.splitlines()))
        return f"{path}:{last}: invalid TOML: {msg[: m.start()]} (at end of file)"
    return f"{path}:1: invalid TOML: {msg}"


_TABLE_SECTIONS = ("board", "formats", "checklist", "keys", "theme", "notify")


def _cleaned(value: Any) -> Any:
    """The config with every string (keys of tables too) cleaned like stored text: the
    board shows stage names, labels, formats and roles, so they must not carry escapes."""
    if isinstance(value, str):
        return clean_line(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean_line(k): _cleaned(v) for k, v in value.items()}
    return value


def parse_workflow(data: dict[str, Any], r: _Reader, wf: Workflow) -> Workflow:
    data = _cleaned(data)
    for key in data:
        if key not in _TOP_KEYS:
            raise r.fail((key,), f"unknown section (allowed: {', '.join(_TOP_KEYS)})")
        if key in _TABLE_SECTIONS and not isinstance(data[key], dict):
            raise r.fail((key,), f"expected a table [{key}], got {_toml_type(data[key])}")
    changes: dict[str, Any] = {}
    board = data.get("board", {})
    r.check(board, _BOARD_KEYS, ("board",))
    if board.get("approver_roles") == []:
        raise r.fail(("board", "approver_roles"), "needs at least one role (or nobody could approve)")
    if board.get("admin_roles") == []:
        raise r.fail(("board", "admin_roles"), "needs at least one role (or nobody could add people)")
    if board.get("review_reset", "all") not in REVIEW_RESETS:
        raise r.fail(("board", "review_reset"), f"expected one of {', '.join(REVIEW_RESETS)}")
    for key, value in board.items():
        attr = "revision_default" if key == "revision_limit" else key
        if isinstance(value, list):  # roles: stored lower-case, as people's roles are
            value = tuple(dict.fromkeys(v.strip().lower().lstrip("@") for v in value))
        changes[attr] = value.strip() if isinstance(value, str) else value
    if "stages" in data:
        changes["stages"] = _parse_stages(data["stages"], r)
    if "checklist" in data:
        labels = data["checklist"]
        for item, label in labels.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", item):
                raise r.fail(("checklist", item),
                             "not a valid item name (lower-case letters, digits and _)")
            if not isinstance(label, str) or not label.strip():
                raise r.fail(("checklist", item), "expected a non-empty label string")
        changes["checklist_labels"] = {**wf.checklist_labels, **labels}
        changes["checklist_default"] = tuple(labels) or wf.checklist_default
    if "formats" in data:
        known = changes.get("checklist_labels", wf.checklist_labels)
        _parse_formats(data["formats"], r, replace(wf, checklist_labels=known), changes)
    for section in ("keys", "theme"):  # read by the board; only their shape is checked here
        for key, value in data.get(section, {}).items():
            if not isinstance(value, str):
                raise r.fail((section, key), f"expected a string, got {_toml_type(value)}")
    return replace(wf, **changes)


def _parse_stages(stages: Any, r: _Reader) -> tuple[Stage, ...]:
    if not isinstance(stages, list) or len(stages) < 2 or not all(isinstance(s, dict) for s in stages):
        raise r.fail(("stages",), "expected at least two [[stages]] tables")
    out: list[Stage] = []
    for i, st in enumerate(stages):
        where: KeyPath = ("stages", i)
        r.check(st, _STAGE_KEYS, where)
        if "name" not in st:
            raise r.fail(where, "every stage needs a name")
        key = str(st.get("key", st["name"])).strip().lower()
        said: KeyPath = (*where, "key" if "key" in st else "name")
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", key):
            raise r.fail(said, f"{key!r} is not a valid stage key (lower-case letters, "
                         "digits, _ -; set key = \"...\" when the name has spaces)")
        if any(s.key == key for s in out):
            raise r.fail(said, f"stage {key!r} is declared twice")
        gate = st.get("gate", "")
        if gate and gate not in GATES:
            raise r.fail((*where, "gate"), f"unknown gate {gate!r} (gates: {', '.join(GATES)})")
        if gate and any(s.gate == gate for s in out):
            raise r.fail((*where, "gate"), f"the {gate} gate is already on another stage")
        if gate and i == len(stages) - 1:
            raise r.fail((*where, "gate"), "the last stage cannot have a gate (nothing leaves it forward)")
        if gate == "approval" and i == 0:
            raise r.fail((*where, "gate"), "the approval gate needs a stage before it (for changes)")
        roles = tuple(dict.fromkeys(v.strip().lower().lstrip("@") for v in st.get("responsible", ())))
        assign = st.get("assign", "").strip().lower().lstrip("@")
        out.append(Stage(key, st["name"].strip(), st.get("wip", 0), gate, roles, assign))
    return tuple(out)


def _parse_formats(formats: Any, r: _Reader, wf: Workflow, changes: dict[str, Any]) -> None:
    revisions = dict(wf.revision_by_format)
    checklists = dict(wf.checklist_by_format)
    reviews = dict(wf.reviews_by_format)
    sequential = set(wf.sequential_formats)
    declared: list[str] = []
    for raw, spec in formats.items():
        where: KeyPath = ("formats", raw)
        fmt = " ".join(raw.split()).lower()  # pieces store their format in lower case
        if not fmt:
            raise r.fail(where, "a format needs a name")
        if not isinstance(spec, dict):
            raise r.fail(where, f"expected a table, got {_toml_type(spec)}")
        r.check(spec, _FORMAT_KEYS, where)
        if "revision_limit" in spec:
            revisions[fmt] = spec["revision_limit"]
        if "checklist" in spec:
            unknown = [i for i in spec["checklist"] if i not in wf.checklist_labels]
            if unknown:
                raise r.fail((*where, "checklist"), f"unknown checklist item {unknown[0]!r} "
                             f"(items: {', '.join(wf.checklist_labels)}; declare new ones in [checklist])")
            checklists[fmt] = tuple(dict.fromkeys(spec["checklist"]))
        if "reviews" in spec:
            reviews[fmt] = tuple(dict.fromkeys(v.strip().lower().lstrip("@") for v in spec["reviews"]))
        if spec.get("sequential") is True:
            sequential.add(fmt)
        elif spec.get("sequential") is False:
            sequential.discard(fmt)
        declared.append(fmt)
    changes["reviews_by_format"] = reviews
    changes["sequential_formats"] = frozenset(sequential)
    changes["revision_by_format"] = revisions
    changes["checklist_by_format"] = checklists
    changes["formats"] = tuple(dict.fromkeys((*wf.formats, *declared)))
