"""The team file's workflow: the schema's checked tables made into a ``Workflow``.

The schema has already checked types and ranges; what is left are the rules that
look across keys (a stage declared twice, a gate on the last stage, a format's
checklist naming an item nobody declared).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prodboard.config.locate import KeyPath
from prodboard.config.source import Source
from prodboard.domain.workflow import GATES, Stage, Workflow

if TYPE_CHECKING:  # the schema (pydantic) is imported only to check a file
    from prodboard.config import schema

_STAGE_KEY = re.compile(r"[a-z][a-z0-9_-]*")
_ITEM = re.compile(r"[a-z][a-z0-9_]*")


def roles(values: list[str]) -> tuple[str, ...]:
    """Roles as people's roles are stored: lower case, no @, each once."""
    return tuple(dict.fromkeys(v.strip().lower().lstrip("@") for v in values))


def build_workflow(team: schema.TeamFile, src: Source, wf: Workflow) -> Workflow:
    """``wf`` (the default) replaced by what the team file declares."""
    changes: dict[str, Any] = {}
    for key, value in team.board.model_dump(exclude_unset=True).items():
        attr = "revision_default" if key == "revision_limit" else key
        changes[attr] = roles(value) if isinstance(value, list) else value
    if team.stages is not None:
        changes["stages"] = _stages(team.stages, src)
    if team.checklist is not None:
        for item in team.checklist:
            if not _ITEM.fullmatch(item):
                raise src.fail(("checklist", item),
                               "not a valid item name (lower-case letters, digits and _)")
        changes["checklist_labels"] = {**wf.checklist_labels, **team.checklist}
        changes["checklist_default"] = tuple(team.checklist) or wf.checklist_default
    labels = changes.get("checklist_labels", wf.checklist_labels)
    revisions, checklists = dict(wf.revision_by_format), dict(wf.checklist_by_format)
    reviews, sequential = dict(wf.reviews_by_format), set(wf.sequential_formats)
    declared: list[str] = []
    for raw, spec in team.formats.items():
        where: KeyPath = ("formats", raw)
        fmt = " ".join(raw.split()).lower()  # pieces store their format in lower case
        if not fmt:
            raise src.fail(where, "a format needs a name")
        if spec.revision_limit is not None:
            revisions[fmt] = spec.revision_limit
        if spec.checklist is not None:
            unknown = [i for i in spec.checklist if i not in labels]
            if unknown:
                raise src.fail((*where, "checklist"), f"unknown checklist item {unknown[0]!r} "
                               f"(items: {', '.join(labels)}; declare new ones in [checklist])")
            checklists[fmt] = tuple(dict.fromkeys(spec.checklist))
        if spec.reviews is not None:
            reviews[fmt] = roles(spec.reviews)
        if spec.sequential is not None:
            (sequential.add if spec.sequential else sequential.discard)(fmt)
        declared.append(fmt)
    if team.formats:
        changes["reviews_by_format"] = reviews
        changes["sequential_formats"] = frozenset(sequential)
        changes["revision_by_format"] = revisions
        changes["checklist_by_format"] = checklists
        changes["formats"] = tuple(dict.fromkeys((*wf.formats, *declared)))
    return replace(wf, **changes)


def _stages(stages: list[schema.Stage], src: Source) -> tuple[Stage, ...]:
    out: list[Stage] = []
    for i, st in enumerate(stages):
        where: KeyPath = ("stages", i)
        key = (st.key or st.name).lower()
        said: KeyPath = (*where, "key" if st.key is not None else "name")
        if not _STAGE_KEY.fullmatch(key):
            raise src.fail(said, f"{key!r} is not a valid stage key (lower-case letters, "
                           "digits, _ -; set key = \"...\" when the name has spaces)")
        if any(s.key == key for s in out):
            raise src.fail(said, f"stage {key!r} is declared twice")
        gate = st.gate.strip()
        if gate and gate not in GATES:
            raise src.fail((*where, "gate"), f"unknown gate {gate!r} (gates: {', '.join(GATES)})")
        if gate and any(s.gate == gate for s in out):
            raise src.fail((*where, "gate"), f"the {gate} gate is already on another stage")
        if gate and i == len(stages) - 1:
            raise src.fail((*where, "gate"), "the last stage cannot have a gate (nothing leaves it forward)")
        if gate == "approval" and i == 0:
            raise src.fail((*where, "gate"), "the approval gate needs a stage before it (for changes)")
        assign = (st.assign or "").lower().lstrip("@")
        out.append(Stage(key, st.name, st.wip, gate, roles(st.responsible), assign))
    return tuple(out)
