"""`prodboard ical serve`: a real server process on 127.0.0.1, a real HTTP client, and
changes made meanwhile by other processes."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest

START_TIMEOUT_S = 60


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc, self.port = proc, port

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def stop(self) -> tuple[int, str]:
        """Interrupt it (as ctrl+c does); its exit code and everything it logged."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def serve(db: Path, *args: str) -> Served:
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana",
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "prodboard", "ical", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], START_TIMEOUT_S)
    if not ready:
        proc.kill()
        raise AssertionError("the server did not start")
    line = proc.stderr.readline()
    assert line.startswith("serving http://127.0.0.1:"), line
    port = int(line.split("127.0.0.1:")[1].split("/")[0])
    return Served(proc, port)


@pytest.fixture
def board(cli: Any, db_path: Path) -> Path:
    code, _, err = cli("init", "--demo")
    assert code == 0, err
    return db_path


@pytest.fixture
def server(board: Path) -> Iterator[Served]:
    served = serve(board, "--port", "0")
    yield served
    if served.proc.poll() is None:
        served.proc.kill()
        served.proc.wait(timeout=30)


def token_for(cli: Any, handle: str) -> str:
    code, out, err = cli("ical", "token", handle)
    assert code == 0, err
    return str(out).strip()


def publish_of(body: bytes, piece: int) -> tuple[date, int]:
    cal = icalendar.Calendar.from_ical(body)
    ev = next(e for e in cal.walk("VEVENT") if str(e["UID"]).startswith(f"piece-{piece}-publish@"))
    return ev.decoded("DTSTART"), int(str(ev["SEQUENCE"]))


def test_feed_with_token_401_without_304_unchanged(cli: Any, server: Served) -> None:
    token = token_for(cli, "ben")
    other = token_for(cli, "chloe")
    status, headers, body = server.get(f"/feed/ben.ics?token={token}")
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(body)
    assert {int(str(e["UID"]).split("-")[1]) for e in cal.walk("VEVENT")} == {7, 8, 10, 11, 12}
    for path, extra in (("/feed/ben.ics", {}), (f"/feed/ben.ics?token={token}x", {}),
                        (f"/feed/ben.ics?token={other}", {}),  # chloe's token is not ben's
                        ("/feed/ben.ics", {"Authorization": "Bearer nope"})):
        status, denied, text = server.get(path, extra)
        assert status == 401, path
        assert denied["WWW-Authenticate"].startswith("Bearer")
        assert b"BEGIN:VCALENDAR" not in text
    status, _, _ = server.get("/feed/ben.ics", {"Authorization": f"Bearer {token}"})
    assert status == 200
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, again, body = server.get(f"/feed/ben.ics?token={token}", {"If-None-Match": etag})
    assert (status, body, again["ETag"]) == (304, b"", etag)
    status, _, _ = server.get(f"/feed/ben.ics?token={token}", {"If-Modified-Since": modified})
    assert status == 304
    assert server.get("/elsewhere")[0] == 404
    assert server.get("/%1b]52;c;aGk=%07x")[0] == 404
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:  # raw bytes
        raw.sendall(b"GET /\x1b[31mred\x07 HTTP/1.0\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.0 404")
    code, log = server.stop()
    assert code == 0
    assert token not in log and other not in log and "token=" not in log
    assert '"GET /feed/ben.ics" 401' in log and '"GET /feed/ben.ics" 200' in log
    assert "\x1b" not in log and "\x07" not in log and '"GET /red" 404' in log  # escapes removed whole


def test_a_reschedule_from_another_process_is_a_new_version(cli: Any, server: Served) -> None:
    token = token_for(cli, "chloe")
    path = f"/feed/chloe.ics?token={token}"
    status, headers, body = server.get(path)
    day, sequence = publish_of(body, 7)
    assert day != date(2026, 12, 24)  # elsewhere before the move
    code, _, err = cli("edit", "7", "--publish", "2026-12-24", user="chloe")
    assert code == 0, err
    status, moved, body = server.get(path, {"If-None-Match": headers["ETag"]})
    assert status == 200 and moved["ETag"] != headers["ETag"]
    assert publish_of(body, 7) == (date(2026, 12, 24), sequence + 1)
    for _ in range(3):  # more writes while it serves: it keeps answering, from the latest
        assert cli("comment", "7", "still here", user="chloe")[0] == 0
        assert server.get(path)[0] == 200
    status, _, _ = server.get(path, {"If-None-Match": moved["ETag"]})
    assert status == 200  # the comments are events too: the feed is asked again
    assert cli("ical", "token", "chloe", "--revoke")[0] == 0
    assert server.get(path)[0] == 401


def test_a_taken_port_is_one_line_and_exit_1(cli: Any, board: Path, server: Served) -> None:
    code, out, err = cli("ical", "serve", "--port", str(server.port))
    assert code == 1 and out == ""
    assert err.startswith(f"prodboard: cannot listen on 127.0.0.1:{server.port}:")
    assert len(err.splitlines()) == 1
    assert server.get("/feed/ana.ics")[0] == 401


def test_a_failed_answer_is_one_log_line_without_the_request(tmp_path: Path) -> None:
    """A client that hangs up mid-answer, or a bug, is one line: no traceback (which
    would carry the request line, token and all) reaches the log."""
    from prodboard.services.context import open_board
    from prodboard.services.ical_feed import FeedServer

    lines: list[str] = []
    ws = open_board(tmp_path / "b.db", "ana", create=True, demo=True)
    server = FeedServer(ws, 0, log=lines.append)
    try:
        for error in (BrokenPipeError(), ConnectionResetError(), RuntimeError("GET /x?token=secret")):
            try:
                raise error
            except Exception:  # noqa: BLE001  (what socketserver hands to handle_error)
                server.handle_error(None, ("127.0.0.1", 5555))
    finally:
        server.server_close()
        ws.close()
    early, bug = "127.0.0.1 closed the connection early", "127.0.0.1 unexpected error: RuntimeError"
    assert lines == [early, early, bug]
