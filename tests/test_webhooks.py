"""Webhooks against a real HTTP server on 127.0.0.1, delivered by real processes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, new_pg_board, one_error_line

from prodboard.services.context import Workspace, open_board
from prodboard.storage.store import remove_board

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
DEADLINE_S = 120  # generous: the machine is shared


def verify(headers: Any, body: bytes, secret: str = SECRET) -> bool:
    """A receiver's check, written from the Standard Webhooks spec (not our code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Receiver:
    """A real HTTP server. ``fail_first`` answers 500 that many times; ``hold`` makes the
    request for that webhook-id wait until ``release`` is set."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = 0
        self.always_fail = False
        self.hold: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                msg_id = self.headers["webhook-id"]
                with receiver.lock:
                    receiver.received.append({"id": msg_id, "body": json.loads(body),
                                              "ok": verify(self.headers, body),
                                              "timestamp": self.headers["webhook-timestamp"]})
                    fail = receiver.always_fail or receiver.fail_first > 0
                    receiver.fail_first -= 1
                if receiver.hold == msg_id and not receiver.release.is_set():
                    receiver.holding.set()
                    receiver.release.wait(DEADLINE_S)
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[int]:
        with self.lock:
            return [int(r["id"]) for r in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def where(request: pytest.FixtureRequest, db_path: Path) -> Iterator[str]:
    """The board's location: the test file, or (``indirect`` "postgres") a fresh schema."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield str(db_path)
        return
    url = new_pg_board("hook")
    yield url
    remove_board(url)


BOTH = pytest.mark.parametrize("where", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def cli(where: str) -> Cli:
    return Cli(where)


@pytest.fixture
def board(where: str) -> Iterator[Workspace]:
    s = open_board(where, "ana", create=True)
    s.board.set_person("ana", roles=["admin", "pm"])
    s.board.add_person("ben", "Ben", ["editor"])
    s.board.add_person("chloe", "Chloé", ["writer"])
    yield s
    s.close()


def deliverer(db: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PRODBOARD_DB": db, "PRODBOARD_USER": "ana"}
    return subprocess.Popen([sys.executable, "-m", "prodboard", "hooks", "run", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(check: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@BOTH
def test_signed_deliveries_in_order_of_matching_events(cli: Any, board: Workspace,
                                                       receiver: Receiver) -> None:
    code, out, err = cli("hooks", "add", receiver.url, "--events", "moved,piece.approved",
                         "--secret", SECRET)
    assert (code, err) == (0, "") and out == f"hook 1 → {receiver.url}\n"
    pid = board.board.create("Launch post", owner="chloe")
    board.board.comment(pid, "not sent: comments are not asked for")
    board.board.move(pid, "brief", override="test")
    board.board.move(pid, "draft", override="test")
    moves = [e.id for e in board.queries.history(pid) if e.kind == "piece.moved"]
    code, out, err = cli("hooks", "run", "--drain")
    assert (code, out) == (0, "2 attempts; nothing owed\n"), err
    assert receiver.ids() == moves
    first = receiver.received[0]
    assert all(r["ok"] for r in receiver.received)  # the signatures check out
    assert first["timestamp"].isdigit()
    assert first["body"]["type"] == "piece.moved"
    assert first["body"]["data"]["event"]["piece_id"] == pid
    assert first["body"]["data"]["text"] == "ana moved 'Launch post' Ideas → Brief"
    code, out, _ = cli("hooks", "run", "--drain")  # completed: nothing is sent twice
    assert out == "0 attempts; nothing owed\n" and receiver.ids() == moves
    code, out, _ = cli("hooks", "log")
    assert code == 0 and len(out.splitlines()) == 2 and "ok 204" in out
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC  hook ", line)  # the zone named
               for line in out.splitlines())
    code, out, _ = cli("hooks", "ls", "--json")
    assert json.loads(out)[0]["pending"] == 0 and "secret" not in out
    code, out, _ = cli("export")
    assert code == 0 and SECRET not in out and receiver.url not in out  # hooks stay home


def test_a_wrong_secret_does_not_verify(cli: Any, board: Workspace, receiver: Receiver) -> None:
    cli("hooks", "add", receiver.url, "--secret", "whsec_" + base64.b64encode(b"other key").decode())
    board.board.create("x")
    cli("hooks", "run", "--drain")
    assert receiver.received and not any(r["ok"] for r in receiver.received)


@BOTH
def test_retries_after_500s_then_delivers_in_order(cli: Any, board: Workspace,
                                                  receiver: Receiver) -> None:
    cli("hooks", "add", receiver.url, "--secret", SECRET)
    receiver.fail_first = 3
    ids = [board.board.create(f"Piece {i}") for i in range(3)]
    events = [e.id for e in board.queries.events_since(0) if e.piece_id in ids]
    code, out, err = cli("hooks", "run", "--drain", "--retry-base", "0.05")
    assert code == 0, err
    assert out == "6 attempts; nothing owed\n"
    assert receiver.ids() == [events[0]] * 4 + events[1:]  # the first retried, the rest waited
    code, out, _ = cli("hooks", "log", "--json")
    log = json.loads(out)
    assert [(r["attempt"], r["status"], r["ok"]) for r in log[:4]] == [
        (1, 500, False), (2, 500, False), (3, 500, False), (4, 204, True)]


@BOTH
def test_nothing_lost_when_the_deliverer_is_killed(board: Workspace, cli: Any,
                                                   receiver: Receiver, where: str) -> None:
    cli("hooks", "add", receiver.url, "--secret", SECRET)
    ids = [board.board.create(f"Piece {i}") for i in range(4)]
    events = [e.id for e in board.queries.events_since(0) if e.piece_id in ids]
    receiver.hold = str(events[1])  # the second event's request hangs
    first = deliverer(where, "--timeout", "2", "--interval", "0.05")
    try:
        assert receiver.holding.wait(DEADLINE_S), "the deliverer never sent the second event"
        first.send_signal(signal.SIGKILL)  # killed mid-delivery
        first.wait(timeout=DEADLINE_S)
    finally:
        if first.poll() is None:
            first.kill()
    receiver.release.set()
    assert receiver.ids() == events[:2]
    code, out, err = cli("hooks", "run", "--drain", "--timeout", "2")  # waits out the lease
    assert code == 0, err
    got = receiver.ids()
    assert sorted(set(got)) == events  # nothing lost
    assert got == [events[0], events[1], *events[1:]]  # only the one in flight went twice
    code, out, _ = cli("hooks", "run", "--drain")
    assert out == "0 attempts; nothing owed\n" and receiver.ids() == got


@BOTH
def test_two_deliverers_send_each_event_once(board: Workspace, cli: Any, receiver: Receiver) -> None:
    cli("hooks", "add", receiver.url, "--secret", SECRET)
    cli("hooks", "add", receiver.url + "?second", "--secret", SECRET)
    ids = [board.board.create(f"Piece {i}") for i in range(10)]
    events = [e.id for e in board.queries.events_since(0) if e.piece_id in ids]
    results = cli.many(("hooks", "run", "--drain"), ("hooks", "run", "--drain"))
    assert [r[0] for r in results] == [0, 0], results
    got = receiver.ids()
    assert sorted(got) == sorted(events * 2)  # each event once per hook
    attempts = sum(int(r[1].split()[0]) for r in results)
    assert attempts == 20


@BOTH
def test_disabled_after_failures_and_admins_are_told(cli: Any, board: Workspace,
                                                    receiver: Receiver) -> None:
    board.board.set_person("ben", roles=["editor", "admin"])
    cli("hooks", "add", receiver.url, "--max-failures", "3", "--secret", SECRET)
    receiver.always_fail = True
    board.board.create("Doomed")
    code, out, err = cli("hooks", "run", "--drain", "--retry-base", "0.05")
    assert (code, out) == (0, "3 attempts; nothing owed\n"), err
    code, out, _ = cli("hooks", "ls")
    assert "DISABLED" in out and "3/3 failures" in out
    for admin in ("ana", "ben"):
        code, out, _ = cli("inbox", "--json", user=admin)
        texts = [a["text"] for a in json.loads(out)]
        assert any("disabled webhook 1" in t and "after 3 failed deliveries" in t for t in texts), texts
    code, out, _ = cli("inbox", "--json", user="chloe")
    assert not any("webhook" in a["text"] for a in json.loads(out))
    receiver.always_fail = False
    assert cli("hooks", "enable", 1)[0] == 0
    code, out, _ = cli("hooks", "run", "--drain")
    assert code == 0
    ids = receiver.ids()
    assert ids[3] == ids[0]  # the missed event, at last, then the alert event itself
    assert [r["body"]["type"] for r in receiver.received[4:]] == ["hook.disabled"]


def test_slack_format_is_one_readable_line(cli: Any, board: Workspace, receiver: Receiver) -> None:
    cli("hooks", "add", receiver.url, "--format", "slack", "--events", "created", "--secret", SECRET)
    board.board.create("Launch post")
    cli("hooks", "run", "--drain")
    assert [r["body"] for r in receiver.received] == [
        {"text": "[Content production] ana created 'Launch post' in Ideas"}]


def test_a_receiver_that_is_down_is_retried(cli: Any, board: Workspace) -> None:
    cli("hooks", "add", "http://127.0.0.1:9/", "--max-failures", "2", "--secret", SECRET)
    board.board.create("x")
    code, out, err = cli("hooks", "run", "--drain", "--retry-base", "0.05", "--timeout", "2")
    assert code == 0, err
    code, out, _ = cli("hooks", "log", "--json")
    log = json.loads(out)
    assert len(log) == 2 and all(r["status"] is None and r["error"] for r in log)


@pytest.mark.parametrize(("args", "code", "says"), [
    (("add", "ftp://example.com/x"), 2, "is not an http(s) URL"),
    (("add", "nonsense"), 2, "is not an http(s) URL"),
    (("add", "http://127.0.0.1:1/", "--events", "teleported"), 2, "unknown event 'teleported'"),
    (("add", "http://127.0.0.1:1/", "--format", "xml"), 2, "xml"),
    (("add", "http://127.0.0.1:1/", "--secret", "whsec_***"), 2, "base64"),
    (("add", "http://127.0.0.1:1/", "--max-failures", "0"), 2, "0"),
    (("rm", "7"), 2, "no webhook 7"),
    (("rm", "abc"), 2, "abc"),
    (("enable", "0"), 2, "out of range"),
    (("run", "--timeout", "nan"), 2, "nan"),
    (("run", "--retry-base", "-1"), 2, "-1"),
])
def test_bad_hook_commands(cli: Any, board: Workspace, args: tuple[str, ...], code: int,
                           says: str) -> None:
    got, out, err = cli("hooks", *args)
    assert got == code and out == "" and says in one_error_line(err), err
    assert cli("hooks", "ls")[1].startswith("no webhooks")


def test_only_admins_manage_hooks(cli: Any, board: Workspace, receiver: Receiver) -> None:
    code, _, err = cli("hooks", "add", receiver.url, user="chloe")
    assert code == 1 and "admin" in one_error_line(err)
    cli("hooks", "add", receiver.url)
    code, _, err = cli("hooks", "rm", "1", user="chloe")
    assert code == 1 and "admin" in one_error_line(err)
    code, out, _ = cli("hooks", "rm", "1")
    assert (code, out) == (0, f"removed hook 1 ({receiver.url})\n")
