"""The PostgreSQL backend on the real server: boards, ids in commit order, NOTIFY, faults.

Each test makes its own board (a schema with a unique name) and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import PG_SERVER, Cli, new_pg_board
from sqlalchemy import text

from prodboard.domain.values import EventView
from prodboard.domain.workflow import default_workflow
from prodboard.errors import BadInput, StoreError
from prodboard.services.commands import Commands
from prodboard.services.context import Workspace, open_board
from prodboard.services.feed import ChangeFeed, FeedLost
from prodboard.storage import tables as models
from prodboard.storage.backend import BoardLost, SchemaTooNew
from prodboard.storage.postgres import schema as pg_schema
from prodboard.storage.postgres.address import parse
from prodboard.storage.postgres.engine import PostgresStore
from prodboard.storage.queries import Queries
from prodboard.storage.store import open_store, remove_board

TIMEOUT = 30.0  # generous: the machine is shared; nothing here measures time
WATCHER_ONLY = 3600.0  # a fallback poll that never comes within a test

WRITER = r"""
import sys
from prodboard.services.context import open_board
s = open_board(sys.argv[1], sys.argv[2])
for n in range(int(sys.argv[3])):
    s.board.comment(1, f"note {n}")
s.close()
"""


@pytest.fixture
def board(pg_board: str) -> Iterator[Workspace]:
    """A board on the server with ana (pm) and ben (writer), and piece #1 in Ideas."""
    s = open_board(pg_board, "ana", create=True)
    s.board.set_person("ana", display_name="Ana", roles=["pm"])
    s.board.add_person("ben", "Ben", ["writer"])
    s.board.create("Q3 pricing page", owner="ben")
    yield s
    s.close()


def pg_store(s: Workspace) -> PostgresStore:
    assert isinstance(s.store, PostgresStore)
    return s.store


def raw(url: str) -> psycopg.Connection[Any]:
    """A plain connection to the board's schema, outside prodboard (what psql does)."""
    address = parse(url)
    return psycopg.connect(address.dsn, options=f"-c search_path={address.board}")


def pg_store_for(url: str) -> PostgresStore:
    store, _ = open_store(url)
    assert isinstance(store, PostgresStore)
    return store


def ids(batches: list[list[EventView]]) -> list[int]:
    return [ev.id for batch in batches for ev in batch]


async def collect(feed: ChangeFeed, want: int) -> list[list[EventView]]:
    got: list[list[EventView]] = []

    async def run() -> None:
        async with contextlib.aclosing(feed.batches()) as stream:
            async for batch in stream:
                got.append(batch)
                if sum(map(len, got)) >= want:
                    return

    await asyncio.wait_for(run(), TIMEOUT)
    return got


def start_writer(url: str, user: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, url, user, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listener_pids(s: Workspace) -> list[int]:
    """The server processes LISTENing for this board (by their application name)."""
    name = f"prodboard listen {pg_store(s).schema}"[:63]
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (name,)).fetchall()
    return [r[0] for r in rows]


async def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


# -- boards on one server ----------------------------------------------------------------------

def test_an_address_never_shows_the_password_and_board_wins_over_the_url() -> None:
    a = parse("postgresql://ana:s3cret@db.internal:6543/prod?board=marketing&sslmode=require")
    assert (a.board, a.database, a.host) == ("marketing", "prod", "db.internal:6543")
    assert "s3cret" not in a.shown and a.shown == "postgresql://ana@db.internal:6543/prod?board=marketing"
    assert "board=" not in a.dsn and "sslmode=require" in a.dsn and "s3cret" in a.dsn
    assert parse("postgres://db/prod", "sales").board == "sales"
    assert parse("postgresql://db/prod?board=x", "sales").board == "sales"
    assert parse("postgresql://db/prod").board == "prodboard"
    for bad in ("postgresql://db/prod?board=public", "postgresql://db/prod?board=pg_x",
                "postgresql://db/prod?board=" + "a" * 49, "postgresql://db/a/b", "postgresql://db/prod#x"):
        with pytest.raises(BadInput):
            parse(bad)


def test_init_creates_the_schema_and_a_second_init_is_refused(pg_board: str, cli: Cli) -> None:
    code, out, err = cli("init", db=pg_board)
    assert code == 0, err
    assert "created postgresql://postgres@127.0.0.1:5432/test?board=" in out
    code, _, err = cli("init", db=pg_board)
    assert code == 2 and "already holds a board" in err
    code, out, _ = cli("add", "From the CLI", db=pg_board)
    assert code == 0
    code, out, _ = cli("ls", db=pg_board)
    assert "From the CLI" in out
    store = pg_store_for(pg_board)
    assert store.schema_version() == models.SCHEMA_VERSION
    with store.read() as conn:
        tables = {r[0] for r in conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": store.schema})}
    store.close()
    assert {"piece", "event", "person", "recipient", "meta", "raisedalert"} <= tables


def test_the_board_option_picks_a_board_on_the_server(cli: Cli) -> None:
    url = new_pg_board()
    name = url.rsplit("board=", 1)[1]
    base = url.split("?", 1)[0]
    try:
        assert cli("--board", name, "init", db=base)[0] == 0
        assert cli("--board", name, "add", "Picked by --board", db=base)[0] == 0
        assert "Picked by --board" in cli("ls", db=url)[1]  # the same board by URL
        code, _, err = cli("--board", "Not-A-Name", "ls", db=base)
        assert code == 2 and "board name 'Not-A-Name'" in err
    finally:
        remove_board(url)


def test_boards_on_one_server_are_isolated(make_session: Callable[..., Workspace]) -> None:
    first, second = new_pg_board(), new_pg_board()
    try:
        a = make_session("ana", db=first)
        b = make_session("ana", db=second)
        a.board.create("Only on the first board")
        assert [p.title for p in b.queries.pieces()] == []
        assert b.queries.last_event_id() == 1  # its own ids: only its founding event
        # A writer holding the first board's lock does not hold up the second board.
        with a.store.write():
            done = threading.Event()

            def other_board() -> None:
                b.board.create("Not blocked")
                done.set()

            threading.Thread(target=other_board).start()
            assert done.wait(TIMEOUT)
        assert [p.title for p in b.queries.pieces()] == ["Not blocked"]
    finally:
        remove_board(first)
        remove_board(second)


def test_a_missing_board_or_bad_address_is_one_line(pg_board: str, cli: Cli) -> None:
    cases = [
        (pg_board, "no board "),
        (PG_SERVER.replace(":5432", ":1") + "?board=x", "cannot reach the PostgreSQL server"),
        (PG_SERVER.rsplit("/", 1)[0] + "/no_such_db_here", "no database 'no_such_db_here'"),
        ("postgresql://no_such_role_here@127.0.0.1:5432/test", 'role "no_such_role_here"'),
        ("postgresql://127.0.0.1:99999/test", "not a valid PostgreSQL URL"),
        ("postgresql://127.0.0.1:5432", "name the database"),
    ]
    for url, expected in cases:
        code, out, err = cli("ls", db=url)
        assert code == 2, (url, err)
        assert expected in err and len(err.strip().splitlines()) == 1, (url, err)


# -- the same guarantees as SQLite -------------------------------------------------------------

def test_the_event_table_is_append_only_for_everyone(board: Workspace) -> None:
    url = board.store.location
    with raw(url) as conn:
        for stmt in ("UPDATE event SET kind = 'x'", "DELETE FROM event", "TRUNCATE event CASCADE"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(stmt)
            conn.rollback()
    assert len(board.queries.events_since(0)) == 4


def test_a_newer_schema_is_refused(pg_board: str) -> None:
    open_store(pg_board, create=True)[0].close()
    with raw(pg_board) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'",
                     (str(models.SCHEMA_VERSION + 1),))
    with pytest.raises(SchemaTooNew, match="newer prodboard"):
        open_store(pg_board)


def test_an_older_schema_is_migrated_in_one_transaction(
    pg_board: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(pg_board, create=True)[0].close()
    older = models.SCHEMA_VERSION - 1

    def set_version(v: int) -> None:
        with raw(pg_board) as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(v),))

    def step(conn: Any) -> None:
        conn.exec_driver_sql("CREATE TABLE migrated_marker (n int)")
        if fail:
            raise RuntimeError("step failed half-way")

    monkeypatch.setitem(pg_schema.MIGRATIONS, older, step)
    set_version(older)
    fail = True
    with pytest.raises(RuntimeError):
        open_store(pg_board)
    with raw(pg_board) as conn:  # nothing of the failed step stayed
        assert conn.execute("SELECT to_regclass('migrated_marker')").fetchone() == (None,)
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(older),)
    fail = False
    store, _ = open_store(pg_board)
    assert store.schema_version() == models.SCHEMA_VERSION
    with store.read() as done:
        assert done.execute(text("SELECT to_regclass('migrated_marker')")).scalar() is not None
    store.close()


def test_a_schema_that_is_not_a_board_is_refused(pg_board: str) -> None:
    store = pg_store_for_raw_schema(pg_board)
    with pytest.raises(StoreError, match="is not a prodboard board"):
        open_store(pg_board)
    store.close()


def pg_store_for_raw_schema(url: str) -> PostgresStore:
    """Make the board's schema by hand, empty, as some other application might."""
    store = PostgresStore(parse(url), busy_ms=1000)
    with store.admin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{store.schema}"')
    return store


def test_a_board_dropped_while_open_is_lost_not_followed(board: Workspace) -> None:
    feed = ChangeFeed(board.store, board.queries.last_event_id(), use_watcher=False)
    assert feed.poll() == []
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{pg_store(board).schema}" CASCADE'.encode())
    with pytest.raises(FeedLost, match=r"was dropped \(its schema \w+ is gone from the server\) while open"):
        feed.poll()
    with pytest.raises(BoardLost):
        board.board.comment(1, "into the void")
    feed.close()


# -- event ids in commit order -----------------------------------------------------------------

def test_a_transaction_held_open_cannot_make_the_feed_skip_an_event(board: Workspace) -> None:
    """T1 takes its id and stays open; T2 commits meanwhile; the feed must still read
    T1's event once it commits. The board's advisory lock makes T2 wait for T1."""
    store = pg_store(board)
    feed = ChangeFeed(store, board.queries.last_event_id(), use_watcher=False)
    release, inserted = threading.Event(), threading.Event()

    def t1() -> None:
        with store.write() as conn:
            conn.execute(models.EVENTS.insert().values(at="2026-01-01T00:00:00", actor="ana",
                                                       kind="piece.commented", piece_id=1, data={}))
            inserted.set()
            release.wait(TIMEOUT)

    first = threading.Thread(target=t1)
    first.start()
    assert inserted.wait(TIMEOUT)
    second = threading.Thread(target=lambda: board.board.comment(1, "committed while T1 is open"))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # T2 waits for the board's lock
    assert feed.poll() == []  # nothing committed yet
    release.set()
    first.join(TIMEOUT)
    second.join(TIMEOUT)
    delivered = [ev.id for ev in feed.poll()]
    assert delivered == sorted(delivered) and len(delivered) == 2  # T1's event is not skipped
    feed.close()


def _held_open(store: PostgresStore, work: Callable[[Any], None]) -> tuple[threading.Event, threading.Thread]:
    """A change to one piece (``write(shared=True)``) that runs ``work`` and stays open
    until the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def run() -> None:
        with store.write(shared=True) as conn:
            work(conn)
            started.set()
            release.wait(TIMEOUT)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(TIMEOUT)
    return release, thread


def _started(fn: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=fn)
    thread.start()
    return thread


def test_changes_to_two_pieces_run_side_by_side_and_one_piece_waits(board: Workspace) -> None:
    """A writer holding piece #1's row (not yet at its event) does not stop a change to
    piece #2; a change to #1 and a change to the whole team wait for it."""
    store = pg_store(board)
    board.board.create("Launch email", owner="ben")
    feed = ChangeFeed(store, board.queries.last_event_id(), use_watcher=False)
    release, holder = _held_open(store, lambda conn: conn.execute(
        text("SELECT id FROM piece WHERE id = 1 FOR NO KEY UPDATE")))
    other = _started(lambda: board.board.edit(2, {"priority": 1}))
    other.join(TIMEOUT)
    assert not other.is_alive()  # piece #2 did not wait for #1's writer
    same = _started(lambda: board.board.edit(1, {"title": "Q3 pricing page, v2"}))
    team = _started(lambda: board.board.add_person("cara", "Cara", ["editor"]))
    same.join(0.5)
    team.join(0.1)
    assert same.is_alive() and team.is_alive()  # #1's row and the board lock are held
    assert [ev.piece_id for ev in feed.poll()] == [2]
    release.set()
    for thread in (holder, same, team):
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    later = feed.poll()
    assert sorted(ev.kind for ev in later) == ["person.added", "piece.edited"]
    edited = board.queries.piece(1)
    assert edited is not None and edited.title == "Q3 pricing page, v2" and edited.version == 2
    feed.close()


def test_an_event_id_held_open_by_one_piece_cannot_make_the_feed_skip(board: Workspace) -> None:
    """Two changes to different pieces run side by side, but the second draws its event
    id only after the first (holding a drawn id, open) commits: id order stays commit
    order, and the feed reads both."""
    store = pg_store(board)
    board.board.create("Launch email", owner="ben")
    start = board.queries.last_event_id()
    feed = ChangeFeed(store, start, use_watcher=False)
    release, holder = _held_open(store, lambda conn: conn.execute(
        models.EVENTS.insert().values(id=store.event_id(), at="2026-01-01T00:00:00",
                                      actor="ana", kind="piece.commented", piece_id=1, data={})))
    second = _started(lambda: board.board.comment(2, "waits for the event lock, not the row"))
    second.join(0.5)
    assert second.is_alive()  # at its event's insert, queued behind the open id
    assert feed.poll() == []
    release.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)
    delivered = [ev.id for ev in feed.poll()]
    assert delivered == [start + 1, start + 2]  # the held id first, nothing skipped
    feed.close()


def test_without_the_lock_a_reader_would_skip(board: Workspace) -> None:
    """Why the lock is there: a transaction that draws an id without it (here a raw
    connection) and commits after a later one is never seen by ``id > cursor``."""
    store = pg_store(board)
    start = board.queries.last_event_id()
    with raw(store.location) as bypass:
        bypass.execute("INSERT INTO event (at, actor, kind, piece_id, data) "
                       "VALUES ('2026-01-01T00:00:00', 'ana', 'piece.commented', 1, '{}')")
        board.board.comment(1, "takes the next id and commits first")  # not blocked
        cursor = board.queries.events_since(start)[-1].id
        bypass.commit()
    late = [ev.id for ev in board.queries.events_since(start)]
    assert late == [start + 1, start + 2] and cursor == start + 2
    assert board.queries.events_since(cursor) == []  # start + 1 is behind the cursor: skipped


# -- wake-up by LISTEN/NOTIFY ------------------------------------------------------------------

def test_the_feed_wakes_on_notify_from_another_process(board: Workspace) -> None:
    url = board.store.location
    start = board.queries.last_event_id()

    async def scenario() -> list[int]:
        feed = ChangeFeed(board.store, start, poll_interval=WATCHER_ONLY)
        task = asyncio.create_task(collect(feed, 5))
        writer = await asyncio.to_thread(start_writer, url, "ben", 5)
        got = ids(await task)
        out, err = await asyncio.to_thread(writer.communicate, timeout=TIMEOUT)
        assert writer.returncode == 0, err
        assert feed.poll() == []  # nothing twice
        feed.close()
        return got

    assert asyncio.run(scenario()) == list(range(start + 1, start + 6))


def test_a_rolled_back_write_notifies_nobody(board: Workspace) -> None:
    store = pg_store(board)
    listen = store.wake_source()
    stop = threading.Event()
    with pytest.raises(RuntimeError), store.write() as conn:
        conn.execute(models.EVENTS.insert().values(at="2026-01-01T00:00:00", actor="ana",
                                                   kind="piece.commented", piece_id=1, data={}))
        raise RuntimeError("changed my mind")
    hints = listen.hints_sync(stop, 0.5)
    assert next(hints) is False  # the timeout passed with no notification
    board.board.comment(1, "this one commits")
    assert next(hints) is True
    stop.set()
    listen.close()


def test_follow_on_the_command_line_wakes_on_notify(board: Workspace, tmp_path: Path) -> None:
    url = board.store.location
    env = dict(os.environ, PRODBOARD_DB=url, PRODBOARD_USER="ana", PRODBOARD_POLL_INTERVAL="60")
    follower = subprocess.Popen([sys.executable, "-m", "prodboard", "log", "--follow"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not listener_pids(board):
            assert follower.poll() is None, follower.communicate()
            assert time.monotonic() < deadline, "log --follow did not LISTEN"
            time.sleep(0.05)
        board.board.comment(1, "seen by log --follow")
        assert follower.stdout is not None
        lines: list[str] = []
        while not any("seen by log --follow" in ln for ln in lines):
            assert time.monotonic() < deadline, lines
            lines.append(follower.stdout.readline())
    finally:
        follower.terminate()
        follower.communicate(timeout=TIMEOUT)


def test_after_the_listener_is_terminated_every_event_arrives_once(board: Workspace) -> None:
    """pg_terminate_backend on the feed's listener (a server restart, as the feed sees
    it) while a writer commits: the listener reconnects, the feed catches up from its
    cursor, and no event is missed or repeated."""
    url = board.store.location
    start = board.queries.last_event_id()

    async def scenario() -> tuple[list[int], int]:
        feed = ChangeFeed(board.store, start, poll_interval=WATCHER_ONLY)
        task = asyncio.create_task(collect(feed, 20))
        await eventually(lambda: bool(listener_pids(board)), "the listener did not connect")
        writer = await asyncio.to_thread(start_writer, url, "ben", 20)
        for pid in listener_pids(board):
            with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        got = ids(await task)
        _, err = await asyncio.to_thread(writer.communicate, timeout=TIMEOUT)
        assert writer.returncode == 0, err
        more = feed.poll()
        reconnects = getattr(feed._wake, "reconnects", 0)
        feed.close()
        return got + [ev.id for ev in more], reconnects

    got, reconnects = asyncio.run(scenario())
    assert got == list(range(start + 1, start + 21))
    assert reconnects >= 1


# -- who may write -----------------------------------------------------------------------------

ROLES_DOC = Path(__file__).resolve().parents[1] / "docs" / "postgres.md"


def role_recipe(board: str, member: str, reader: str) -> list[str]:
    """The grants docs/postgres.md tells an admin to run, for this board and roles."""
    doc = ROLES_DOC.read_text()
    block = doc.split("<!-- roles -->", 1)[1].split("<!-- /roles -->", 1)[0]
    body = block.split("```sql", 1)[1].split("```", 1)[0]
    lines = [ln for ln in body.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    stmts = " ".join(lines).split(";")
    return [st.strip().replace("marketing", f'"{board}"').replace("member_role", f'"{member}"')
            .replace("reader_role", f'"{reader}"') for st in stmts if st.strip()]


def test_the_documented_roles_a_member_writes_and_a_reader_only_reads(board: Workspace, cli: Cli) -> None:
    store = pg_store(board)
    member, reader = (f"{kind}_{os.getpid()}_{store.identity}" for kind in ("member", "reader"))
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        for stmt in role_recipe(store.schema, member, reader):
            admin.execute(stmt.encode())
    try:
        as_member = store.location.replace("postgres@", f"{member}@")
        code, _, err = cli("comment", "1", "written by a member role", db=as_member, user="ben")
        assert code == 0, err
        assert "written by a member role" in [c.body for c in board.queries.comments(1)]

        as_reader = store.location.replace("postgres@", f"{reader}@")
        reading, _ = open_store(as_reader)
        assert reading.readonly
        assert [p.title for p in Queries(reading, default_workflow()).pieces()] == ["Q3 pricing page"]
        with pytest.raises(StoreError, match="read-only"):
            Commands(reading, default_workflow(), "ana").comment(1, "not allowed")
        reading.close()
        code, _, err = cli("comment", "1", "not allowed", db=as_reader)
        assert code == 2 and "read-only" in err
        assert "not allowed" not in [c.body for c in board.queries.comments(1)]
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            for role in (member, reader):
                admin.execute(f'DROP OWNED BY "{role}"'.encode())
                admin.execute(f'DROP ROLE "{role}"'.encode())


def test_a_login_that_is_a_person_acts_as_that_person(board: Workspace, cli: Cli) -> None:
    """People who log in with their own roles act as themselves: the login is the actor,
    and --user naming someone else is refused. A login that is nobody on the board
    (here the admin's ``postgres``) leaves --user in charge."""
    store = pg_store(board)
    login = f"p{os.getpid()}_{store.identity}"
    board.board.add_person(login, "Logged In", ["writer"])
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        for stmt in role_recipe(store.schema, login, f"r_{login}"):
            admin.execute(stmt.encode())
    try:
        url = store.location.replace("postgres@", f"{login}@")
        code, _, err = cli("comment", "1", "as my login", db=url, user=None)
        assert code == 0, err
        code, _, err = cli("comment", "1", "pretending", db=url, user="ana")
        assert code == 1 and f"logged in to the database as {login}" in err
        code, _, err = cli("comment", "1", "naming myself", db=url, user=login)
        assert code == 0, err
        actors = {c.body: c.author for c in board.queries.comments(1)}
        assert actors == {"as my login": login, "naming myself": login}
        assert cli("comment", "1", "shared login", db=store.location, user="ben")[0] == 0
        assert board.queries.comments(1)[-1].author == "ben"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            for role in (login, f"r_{login}"):
                admin.execute(f'DROP OWNED BY "{role}"'.encode())
                admin.execute(f'DROP ROLE "{role}"'.encode())
