"""The workflow: stages, limits and rules, as a frozen value, and its default.

A team file replaces parts of the default; ``prodboard.config`` reads and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prodboard.errors import BadInput

GATES = ("brief", "approval", "checklist")
REVIEW_RESETS = ("all", "keep_approved")  # what a piece's review tracks keep when it returns
BRIEF_FIELDS = ("audience", "desired_action", "business_goal", "success_metrics")
LEVELS = ("all", "involved", "none")


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
    channel_max_per_day: int = 0  # the calendar warns past this many on one channel a day (0: off)
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
