"""Loading the config: the team file and the personal file, each read once, layered
in one place.

The team file (beside the board, or --config) owns the workflow and may set team
defaults for ``[keys]``/``[theme]``/``[notify]``; the personal file (the user
config dir, or PRODBOARD_USER_CONFIG) holds only those three and wins entry by
entry. Workflow sections in a personal file are ignored with one warning line, so
nobody changes the team's rules from their own machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prodboard.config.source import Source
from prodboard.config.team import build_workflow
from prodboard.config.ui import UISettings, merge_ui
from prodboard.domain.text import clean_line
from prodboard.domain.workflow import Workflow, default_workflow


@dataclass(frozen=True)
class Config:
    """Everything the config files say, checked: the team's workflow and the merged
    personal settings (``ui.warnings``: lines to show the person)."""

    workflow: Workflow = field(default_factory=default_workflow)
    ui: UISettings = field(default_factory=UISettings)


def load_config(team: Path | None, personal: Path | None = None) -> Config:
    """The default workflow replaced by the team file's, and the team's ui defaults
    overlaid by the person's (either file may be None)."""
    if team is None and personal is None:
        return Config()  # nothing to check: the schema (pydantic) is not even imported
    from prodboard.config import schema

    layers: list[tuple[Source, schema.PersonalSections]] = []
    workflow = default_workflow()
    warnings: list[str] = []
    if team is not None:
        src = Source(team)
        checked = src.validate(schema.TeamFile)
        workflow = build_workflow(checked, src, workflow)
        layers.append((src, checked))
    if personal is not None:
        src = Source(personal)
        mine = src.validate(schema.PersonalFile)
        layers.append((src, mine))
        ignored = [key for key in schema.WORKFLOW_SECTIONS if key in src.data]
        if ignored:
            owner = f"the team file {team}" if team else "the team file (prodboard.toml beside the board)"
            warnings.append(clean_line(
                f"{personal}: {', '.join(f'[{k}]' for k in ignored)} ignored: workflow and rules "
                f"come from {owner}; a personal file sets only "
                f"{', '.join(f'[{k}]' for k in schema.UI_SECTIONS)}"))
    return Config(workflow, merge_ui(layers, tuple(warnings)))


def load_workflow(path: Path | None) -> Workflow:
    """The team file's workflow (the whole file is checked, its ui sections too)."""
    return load_config(path).workflow


def load_ui(team: Path | None, personal: Path | None = None) -> UISettings:
    """The merged keys, theme and notify of both files."""
    return load_config(team, personal).ui
