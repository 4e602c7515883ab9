"""The board model on its own: order, counts, filters and incremental updates."""

from __future__ import annotations

from dataclasses import replace

from prodboard.domain.values import PieceView
from prodboard.domain.workflow import default_workflow
from prodboard.tui.board_state import BoardState, Filter


def piece(pid: int, stage: str, rank: float, **kw: object) -> PieceView:
    base = dict(
        id=pid, title=f"piece {pid}", format="blog post", channels=(), owner="ana",
        reviewers=(), stage=stage, rank=rank, priority=2, tags=(), due=None, publish_date=None,
        audience="", desired_action="", business_goal="", success_metrics="", key_message="",
        checklist={}, revision_rounds=0, cost=0.0, links=(), approved_by=None, approved_at=None,
        approval_delegated=False, stage_entered_at="", created_at="", updated_at="",
        archived=False, archive_reason="", version=1,
    )
    base.update(kw)
    return PieceView(**base)  # type: ignore[arg-type]


def test_update_keeps_board_order_and_counts() -> None:
    model = BoardState(default_workflow())
    model.load([piece(i, "published", float(i)) for i in range(1, 1001)] + [piece(2000, "draft", 1)])
    moved = replace(model.pieces[500], stage="draft", rank=0.5)
    touched = model.update([moved])
    assert touched == {"published", "draft"}
    assert [p.id for p in model.columns["draft"]] == [500, 2000]
    assert model.counts["published"] == 999 and 500 not in [p.id for p in model.columns["published"]]
    ranks = [(p.rank, p.id) for p in model.columns["published"]]
    assert ranks == sorted(ranks)
    model.update([replace(moved, archived=True)])
    assert [p.id for p in model.columns["draft"]] == [2000] and 500 not in model.pieces


def test_filter_terms_and_counts() -> None:
    model = BoardState(default_workflow())
    model.load([piece(1, "draft", 1, owner="ana", tags=("seo",)),
                piece(2, "draft", 2, owner="ben", format="video"),
                piece(3, "review", 1, owner="ben", title="Pricing page")])
    model.set_filter(Filter.parse("owner:ben"))
    assert [p.id for p in model.columns["draft"]] == [2]
    assert model.counts["draft"] == 2  # the whole stage still counts
    model.set_filter(Filter.parse("pricing"))
    assert [p.id for c in model.columns.values() for p in c] == [3]
    model.set_filter(Filter.parse("tag:seo"))
    assert [p.id for c in model.columns.values() for p in c] == [1]
    assert Filter.parse("format:video  owner:@Ben").describe() == "owner:ben format:video"
    # an update under a filter only shows what matches
    model.update([replace(model.pieces[2], tags=("seo",))])
    assert [p.id for p in model.columns["draft"]] == [1, 2]
