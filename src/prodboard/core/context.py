"""Opening a board for a person: where the database and config live, who is acting.

Nothing here runs at import time; the CLI and the tests call ``open_board``.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from .board import Board
from .clock import Clock, system_clock
from .demo import load_demo
from .env import check_environment
from .errors import BadInput
from .queries import Queries
from .store import Store, open_store
from .text import has_surrogates
from .workflow import Workflow, load_workflow


def default_db_path() -> Path:
    return Path(user_data_dir("prodboard", appauthor=False)) / "board.db"


def default_user() -> str:
    try:
        return getpass.getuser().lower()
    except (KeyError, OSError):
        return "me"


def find_config(db: Path, explicit: Path | None) -> Path | None:
    """--config / PRODBOARD_CONFIG, else prodboard.toml beside the board (shared by the
    team), else the user's config dir."""
    if explicit is not None:
        return explicit
    env = os.environ.get("PRODBOARD_CONFIG")
    if env:
        return Path(env)
    for candidate in (
        db.parent / "prodboard.toml",
        Path(user_config_dir("prodboard", appauthor=False)) / "prodboard.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Session:
    """An open board: the store, its workflow, and the acting person's commands."""

    store: Store
    workflow: Workflow
    board: Board
    queries: Queries
    config_path: Path | None
    created: bool = False

    @property
    def user(self) -> str:
        return self.board.actor

    def close(self) -> None:
        self.store.close()


def open_board(
    db: Path | None = None,
    user: str | None = None,
    *,
    config: Path | None = None,
    create: bool = False,
    demo: bool = False,
    clock: Clock = system_clock,
) -> Session:
    """Open the board at ``db`` (default: the user's data dir) as ``user``.

    On the default path a missing board is created with the demo content, so a
    newcomer's first ``prodboard`` shows a real board.
    """
    check_environment()  # a bad PRODBOARD_* setting stops us before anything is touched
    path = Path(db).expanduser() if db else default_db_path()
    if db is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        create = demo = True
    handle = (user or default_user()).strip().lower().lstrip("@")
    if not handle:
        raise BadInput("the user name is empty")
    if has_surrogates(handle):
        raise BadInput("the user name is not valid UTF-8")
    config_path = find_config(path, config)
    workflow = load_workflow(config_path)
    store, created = open_store(path, create=create, board_name=workflow.name)
    board = Board(store, workflow, handle, clock)
    if created and demo:
        load_demo(board)
    return Session(store, workflow, board, Queries(store, workflow), config_path, created)
