"""The workflow config: the default, the example file, and strict validation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prodboard.config import ConfigError, load_workflow
from prodboard.domain.workflow import default_workflow
from prodboard.services.context import open_board

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "prodboard.example.toml"
CLI_TIMEOUT_S = 60


def config_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prodboard.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_workflow(path)
    message = exc.value.message
    assert "\n" not in message and exc.value.exit_code == 2
    assert message.startswith(f"{path}:")
    return message[len(str(path)) + 1:]


# -- the default and the example ---------------------------------------------------------


def test_default_workflow() -> None:
    wf = default_workflow()
    assert [s.key for s in wf.stages] == [
        "ideas", "brief", "draft", "review", "optimize", "scheduled", "published",
    ]
    assert {s.key: s.gate for s in wf.stages if s.gate} == {
        "brief": "brief", "review": "approval", "optimize": "checklist",
    }
    assert wf.revision_limit("blog post") == 2
    assert wf.revision_limit("campaign") == 3
    assert wf.revision_limit("newsletter") == 2
    assert wf.checklist_for("blog post") == ("brand_voice", "seo", "legal", "channels", "analytics")
    assert wf.checklist_for("social post") == ("brand_voice", "legal", "channels")
    assert wf.review_sla_hours == 48 and wf.due_soon_hours == 24 and wf.at_risk_days == 3
    assert wf.approver_roles == ("editor",) and "pm" in wf.override_roles
    assert wf.derive_stage_due is False
    assert load_workflow(None) == wf


def test_the_example_file_loads() -> None:
    wf = load_workflow(EXAMPLE)
    assert [s.key for s in wf.stages] == [s.key for s in default_workflow().stages]
    assert wf.stage("review").gate == "approval" and wf.stage("review").responsible == ("editor",)
    assert wf.wip_per_person == 4 and wf.derive_stage_due is True
    assert wf.manager_roles == ("pm",)
    assert wf.revision_limit("blog post") == 2 and wf.revision_limit("campaign") == 3
    assert wf.revision_limit("social post") == 1 and wf.revision_limit("whitepaper") == 2
    assert wf.checklist_for("video") == ("brand_voice", "legal", "channels", "analytics")
    assert wf.label("legal") == "Legal / compliance"


def test_the_example_file_declares_every_board_option() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in ("review_sla_hours", "due_soon_hours", "at_risk_days", "wip_per_person",
                "approver_roles", "override_roles", "manager_roles", "derive_stage_due",
                "revision_limit", "[[stages]]", "[checklist]", '[formats."blog post"]'):
        assert key in text


def test_the_rules_page_shows_the_example_as_it_is() -> None:
    page = (EXAMPLE.parent / "rules.md").read_text(encoding="utf-8")
    assert "```toml\n" + EXAMPLE.read_text(encoding="utf-8") + "```" in page


def test_a_board_opens_with_the_example(tmp_path: Path) -> None:
    session = open_board(tmp_path / "b.db", "pia", config=EXAMPLE, create=True)
    try:
        assert session.workflow.wip_per_person == 4
    finally:
        session.close()


def test_a_partial_file_keeps_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prodboard.toml"
    path.write_text('[board]\nreview_sla_hours = 24\napprover_roles = ["Editor", "@Legal"]\n')
    wf = load_workflow(path)
    assert wf.review_sla_hours == 24 and wf.approver_roles == ("editor", "legal")
    assert wf.stages == default_workflow().stages


def test_format_names_are_matched_in_lower_case(tmp_path: Path) -> None:
    path = tmp_path / "prodboard.toml"
    path.write_text('[formats."Case Study"]\nrevision_limit = 4\n')
    wf = load_workflow(path)
    assert wf.revision_limit("case study") == 4 and "case study" in wf.formats


def test_config_beside_the_board_is_found(tmp_path: Path) -> None:
    (tmp_path / "prodboard.toml").write_text("[board]\nat_risk_days = 5\n")
    session = open_board(tmp_path / "b.db", "pia", create=True)
    try:
        assert session.workflow.at_risk_days == 5
        assert session.config_path == tmp_path / "prodboard.toml"
    finally:
        session.close()


# -- strict validation: one line, naming file, line and key --------------------------------


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        ("[board]\nname = 'x'\n\n[colours]\nbg = 'red'\n", "4: colours", "unknown section"),
        ("[board]\nreview_sla_hours = 24\nreview_sla = 12\n", "3: board.review_sla", "unknown key"),
        ("[board]\nat_risk_days = 'three'\n", "2: board.at_risk_days", "expected a whole number"),
        ("[board]\nat_risk_days = 2.5\n", "2: board.at_risk_days", "expected a whole number"),
        ("[board]\nwip_per_person = true\n", "2: board.wip_per_person", "not true/false"),
        ("[board]\nderive_stage_due = 1\n", "2: board.derive_stage_due", "expected true or false"),
        ("[board]\napprover_roles = 'editor'\n", "2: board.approver_roles", "expected a list"),
        ("[board]\napprover_roles = []\n", "2: board.approver_roles", "at least one role"),
        ("[board]\noverride_roles = ['pm', '']\n", "2: board.override_roles", "non-empty strings"),
        ("[board]\n\nreview_sla_hours = -1\n", "3: board.review_sla_hours", "must not be negative"),
        ("board.due_soon_hours = -2\n", "1: board.due_soon_hours", "must not be negative"),
        ("board = 3\n", "1: board", "expected a table"),
        ("[formats.video]\nrevision_limit = 1\n[formats.campaign]\nrevision_limit = -3\n",
         "4: formats.campaign.revision_limit", "must not be negative"),
        ('[board]\nrevision_limit = 2\n[formats."blog post"]\nrevision_limit = "two"\n',
         '4: formats."blog post".revision_limit', "expected a whole number"),
        ('[formats."blog post"]\nchecklist = ["seo", "tone"]\n',
         '2: formats."blog post".checklist', "unknown checklist item 'tone'"),
        ('[formats."blog post"]\nlimit = 3\n', '2: formats."blog post".limit', "unknown key"),
        ("[formats]\nvideo = 3\n", "2: formats.video", "expected a table"),
        ('[checklist]\nseo = "SEO"\n"Fact Check" = "Facts"\n', '3: checklist."Fact Check"',
         "not a valid item name"),
        ('[checklist]\nseo = 1\n', "2: checklist.seo", "non-empty label"),
        ('[keys]\nmove_left = 1\n', "2: keys.move_left", "expected a string"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, where: str, why: str) -> None:
    message = config_error(tmp_path, text)
    assert message.startswith(where + ": "), message
    assert why in message


STAGES = """
[[stages]]
key = "ideas"
name = "Ideas"

[[stages]]
key = "draft"
name = "Draft"
{extra}

[[stages]]
key = "live"
name = "Live"
"""


@pytest.mark.parametrize(
    ("extra", "where", "why"),
    [
        ('gate = "legal"', "9: stages[1].gate", "unknown gate 'legal' (gates: brief, approval, checklist)"),
        ("wip = -1", "9: stages[1].wip", "must not be negative"),
        ('owner = "ana"', "9: stages[1].owner", "unknown key"),
        ('responsible = "editor"', "9: stages[1].responsible", "expected a list"),
        ('wip = "5"', "9: stages[1].wip", "expected a whole number"),
    ],
)
def test_bad_stages(tmp_path: Path, extra: str, where: str, why: str) -> None:
    message = config_error(tmp_path, STAGES.format(extra=extra))
    assert message.startswith(where + ": "), message
    assert why in message


def test_duplicate_stage(tmp_path: Path) -> None:
    text = STAGES.format(extra="") + '\n[[stages]]\nkey = "draft"\nname = "Draft again"\n'
    message = config_error(tmp_path, text)
    assert message.startswith("16: stages[3].key: stage 'draft' is declared twice"), message


def test_duplicate_stage_by_name(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[stages]]\nname = "Draft"\n[[stages]]\nname = "draft"\n')
    assert message.startswith("4: stages[1].name: stage 'draft' is declared twice"), message


def test_stage_name_with_spaces_needs_a_key(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[stages]]\nname = "Legal review"\n[[stages]]\nname = "Done"\n')
    assert message.startswith("2: stages[0].name: 'legal review' is not a valid stage key"), message


def test_stage_without_a_name(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[stages]]\nkey = "a"\n[[stages]]\nkey = "b"\nname = "B"\n')
    assert message.startswith("1: stages[0]: every stage needs a name"), message


def test_the_same_gate_twice(tmp_path: Path) -> None:
    text = ('[[stages]]\nname = "A"\ngate = "brief"\n[[stages]]\nname = "B"\ngate = "brief"\n'
            '[[stages]]\nname = "C"\n')
    message = config_error(tmp_path, text)
    assert message.startswith("6: stages[1].gate: the brief gate is already on another stage"), message


def test_no_gate_on_the_last_stage(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[stages]]\nname = "A"\n[[stages]]\nname = "B"\ngate = "checklist"\n')
    assert message.startswith("5: stages[1].gate: the last stage cannot have a gate"), message


def test_approval_gate_needs_a_stage_before_it(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[stages]]\nname = "A"\ngate = "approval"\n[[stages]]\nname = "B"\n')
    assert message.startswith("3: stages[0].gate: the approval gate needs a stage before it"), message


def test_a_single_stage_is_not_a_workflow(tmp_path: Path) -> None:
    message = config_error(tmp_path, '\n[[stages]]\nname = "Only"\n')
    assert message.startswith("2: stages: expected at least two [[stages]] tables"), message


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[board]\nname = "x"\nreview_sla_hours = \n')
    assert message.startswith("3: invalid TOML: "), message


def test_unclosed_table_header(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[board]\nname = "x"\n\n[formats\n')
    assert message.startswith("4: invalid TOML: "), message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as exc:
        load_workflow(path)
    assert exc.value.message == f"{path}: config file not found"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "prodboard.toml"
    path.write_bytes(b"[board]\nname = '\xff'\n")
    with pytest.raises(ConfigError) as exc:
        load_workflow(path)
    assert exc.value.message.startswith(f"{path}: cannot read config file")


# -- the command line ------------------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRODBOARD_DB": str(tmp_path / "board.db"), "PRODBOARD_USER": "pia",
           "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-c", "from prodboard.cli import main; main()", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=CLI_TIMEOUT_S,
        cwd=tmp_path,
    )


def test_cli_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    (tmp_path / "bad.toml").write_text("[board]\nreview_sla_hours = 48\nreveiw_sla_hours = 24\n")
    proc = run_cli(tmp_path, "--config", "bad.toml", "ls")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("prodboard: bad.toml:3: board.reveiw_sla_hours: unknown key")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("text", ["[board\n", "[board]\nat_risk_days = -1\n"])
def test_cli_bad_config_before_the_board_is_opened(tmp_path: Path, text: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    proc = run_cli(tmp_path, "--config", "bad.toml", "check")
    assert proc.returncode == 2 and proc.stderr.startswith("prodboard: bad.toml:")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_cli_missing_config(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "--config", "missing.toml", "ls")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "prodboard: missing.toml: config file not found"


def test_cli_with_the_example(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "--config", str(EXAMPLE), "init").returncode == 0
    proc = run_cli(tmp_path, "--config", str(EXAMPLE), "ls")
    assert proc.returncode == 0, proc.stderr
