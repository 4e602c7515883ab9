"""Shared fixtures: a board file per test, sessions on it, and the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from prodboard.services.context import Workspace, open_board

CLI_TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the person's own config, data dir and prodboard settings out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("TZ", "UTC")  # times are shown in the machine's zone (config/zone.py)
    for name in ("PRODBOARD_DB", "PRODBOARD_BOARD", "PRODBOARD_USER", "PRODBOARD_CONFIG",
                 "PRODBOARD_BUSY_TIMEOUT_MS",
                 "PRODBOARD_NOW", "PRODBOARD_USER_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "board.db"


@pytest.fixture
def make_session(db_path: Path) -> Iterator[Callable[..., Workspace]]:
    """``make_session(user)`` opens the test board as ``user``. The first call creates
    it, and ``user`` is then its creator and admin; anyone else must be added first
    (``admin.board.add_person(...)``, the real ``people add``), or opened with
    ``newcomer=True`` to act as a guest or to ``join``."""
    opened: list[Workspace] = []

    def make(user: str = "ana", **kw: Any) -> Workspace:
        kw.setdefault("create", True)
        session = open_board(kw.pop("db", db_path), user, **kw)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


class Cli:
    """Runs ``python -m prodboard`` (the installed entry point) in a subprocess."""

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = db_path  # a board file, or a PostgreSQL board URL

    def __call__(
        self,
        *args: str | int,
        user: str | None = "ana",
        db: Path | str | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """``user=None`` acts as the OS login (set it with ``env={"LOGNAME": ...}``)."""
        full_env = dict(os.environ)
        full_env["PRODBOARD_DB"] = str(db if db is not None else self.db_path)
        if user is not None:
            full_env["PRODBOARD_USER"] = user
        full_env["PYTHONIOENCODING"] = "utf-8"
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "prodboard", *map(str, args)],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=full_env,
            timeout=CLI_TIMEOUT_S,
        )
        # Whatever goes wrong, the command line never shows a person a traceback.
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, proc.stdout, proc.stderr

    def many(self, *calls: Sequence[Any]) -> list[tuple[int, str, str]]:
        """Run independent commands side by side (a trailing dict in a call holds keywords)."""

        def one(call: Sequence[Any]) -> tuple[int, str, str]:
            if call and isinstance(call[-1], dict):
                return self(*call[:-1], **call[-1])
            return self(*call)

        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(one, calls))


def one_error_line(err: str) -> str:
    """stderr holds exactly one line, starting with 'prodboard:' (never a traceback)."""
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith("prodboard: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


# -- PostgreSQL: the real server, a fresh board (schema) per test -------------------------------

PG_SERVER = os.environ.get("PRODBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def pg_unavailable() -> str | None:
    """Why the test server cannot be used (None when it can); asked once per run."""
    if "why" not in _pg_state:
        import psycopg

        try:
            psycopg.connect(PG_SERVER, connect_timeout=5).close()
            _pg_state["why"] = None
        except psycopg.Error as exc:
            _pg_state["why"] = f"no PostgreSQL server at {PG_SERVER}: {str(exc).splitlines()[0]}"
    return _pg_state["why"]


def new_pg_board(prefix: str = "t") -> str:
    """The URL of a board name nobody has used (created by the test, dropped after)."""
    import uuid

    why = pg_unavailable()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(why)  # CI runs the PostgreSQL tests for real
        pytest.skip(why)
    return f"{PG_SERVER}?board={prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg_board() -> Iterator[str]:
    """A fresh PostgreSQL board URL; its schema is dropped after the test."""
    from prodboard.storage.store import remove_board

    url = new_pg_board()
    yield url
    remove_board(url)


@pytest.fixture(params=["sqlite", "postgres"])
def board_location(request: pytest.FixtureRequest, db_path: Path) -> Iterator[str]:
    """Where a test board lives, once per backend: a file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(db_path)
        return
    from prodboard.storage.store import remove_board

    url = new_pg_board()
    yield url
    remove_board(url)
