"""The config files' schema: what each table may hold, its type and its bounds.

Strict (a string is not a number, true is not 1), closed (``extra="forbid"``: an
unknown key is an error, not ignored) and bounded: every number has a range, and
nan/inf are refused, because a huge or non-finite value would be accepted here and
crash date arithmetic later. ``messages.py`` turns pydantic's errors into lines.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from prodboard.domain.notify import KINDS

# field name -> (lowest, highest, unit): the one list of ranges (messages.py quotes it)
BOUNDS: dict[str, tuple[float, float, str]] = {
    "review_sla_hours": (0, 8760, " hours"),
    "due_soon_hours": (0, 8760, " hours"),
    "at_risk_days": (0, 365, " days"),
    "wip_per_person": (0, 1000, ""),
    "wip": (0, 1000, ""),
    "revision_limit": (0, 100, ""),
    "channel_max_per_day": (0, 1000, ""),
    "toast_seconds": (1, 600, " s"),
}


def _bounded(name: str) -> Any:
    lo, hi, _ = BOUNDS[name]
    return Field(ge=lo, le=hi, allow_inf_nan=False)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Roles = list[Text]


def _key_list(value: str) -> str:
    parts = [p.strip() for p in value.split(",")]
    if not all(parts) or any(ch.isspace() for p in parts for ch in p):
        raise PydanticCustomError(
            "key_list", "{value} is not a key list (keys separated by commas, no spaces inside "
            'a key; "," is comma)', {"value": repr(value)})
    return ",".join(parts)


KeyList = Annotated[str, AfterValidator(_key_list)]


class Table(BaseModel):
    """A TOML table: strict types, no unknown keys, immutable once read."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Board(Table):
    name: Text | None = None
    review_sla_hours: Annotated[float, _bounded("review_sla_hours")] | None = None
    due_soon_hours: Annotated[float, _bounded("due_soon_hours")] | None = None
    at_risk_days: Annotated[int, _bounded("at_risk_days")] | None = None
    wip_per_person: Annotated[int, _bounded("wip_per_person")] | None = None
    approver_roles: Annotated[Roles, Field(min_length=1)] | None = None
    override_roles: Roles | None = None
    manager_roles: Roles | None = None
    admin_roles: Annotated[Roles, Field(min_length=1)] | None = None
    open_join: bool | None = None
    derive_stage_due: bool | None = None
    revision_limit: Annotated[int, _bounded("revision_limit")] | None = None
    free_formats: bool | None = None
    channel_max_per_day: Annotated[int, _bounded("channel_max_per_day")] | None = None
    review_advance: bool | None = None
    review_reset: Literal["all", "keep_approved"] | None = None


class Stage(Table):
    name: Text
    key: Text | None = None
    wip: Annotated[int, _bounded("wip")] = 0
    gate: str = ""
    responsible: Roles = []
    assign: Text | None = None  # a role: a piece entering gets an owner holding it


class Format(Table):
    revision_limit: Annotated[int, _bounded("revision_limit")] | None = None
    checklist: Roles | None = None
    reviews: Roles | None = None  # review tracks: the roles whose sign-off the format needs
    sequential: bool | None = None  # the tracks one after another, in order


class Theme(Table):
    name: Text | None = None


def _notify_kinds(value: list[str]) -> list[str]:
    unknown = [v for v in value if v not in KINDS]
    if unknown:
        raise PydanticCustomError(
            "notify_kind", "unknown kind {kinds} (kinds: {known})",
            {"kinds": ", ".join(map(repr, unknown)), "known": ", ".join(KINDS)})
    return list(dict.fromkeys(value))


# the kinds of alerts that ring the bell and reach the desktop while the board is in the
# background; [] for none
NotifyKinds = Annotated[list[Text], Field(max_length=4 * len(KINDS)),
                        AfterValidator(_notify_kinds)]


class Notify(Table):
    toasts: bool | None = None
    toast_seconds: Annotated[float, _bounded("toast_seconds")] | None = None
    bell: bool | None = None
    desktop: NotifyKinds | None = None


class PersonalSections(Table):
    """What both files may set: the person's keys, theme and notifications."""

    keys: dict[str, KeyList] = {}
    theme: Theme = Theme()
    notify: Notify = Notify()


class Metrics(Table):
    timezone: Text | None = None  # checked against the zone database by config/metrics.py


Target = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class TeamFile(PersonalSections):
    """The team file (beside the board, or --config): the workflow, and team defaults
    for the personal sections."""

    board: Board = Board()
    stages: Annotated[list[Stage], Field(min_length=2)] | None = None
    formats: dict[str, Format] = {}
    checklist: dict[str, Text] | None = None
    metrics: Metrics = Metrics()
    targets: dict[str, Target] = {}  # names and shares checked by config/metrics.py


WORKFLOW_SECTIONS = ("board", "stages", "formats", "checklist", "metrics", "targets")
UI_SECTIONS = ("keys", "theme", "notify")


class PersonalFile(PersonalSections):
    """A person's own file. The team's sections are accepted and ignored (with one
    warning, by the loader), so nobody changes the team's rules from their machine."""

    board: Any = None
    stages: Any = None
    formats: Any = None
    checklist: Any = None
    metrics: Any = None
    targets: Any = None
