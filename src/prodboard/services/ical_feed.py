"""Each person's calendar feed over HTTP on 127.0.0.1, behind a secret token.

A token is made by ``prodboard ical token H`` (by H or an admin) and shown once; the
board keeps only its SHA-256, in the meta table, so reading the board file does not
reveal it. Issuing a new one revokes the old. A request without the right token is
401, and the log line never holds the query string (where the token travels).
Every request reads the board afresh in its own read transaction, so the server
follows other people's writes; ``ETag`` and ``Last-Modified`` come from the latest
event, so a client asking again about an unchanged board gets 304 without a render.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, select

from prodboard.domain.clock import parse_utc
from prodboard.domain.identity import is_admin, normal_handle, unknown_person
from prodboard.domain.text import one_line
from prodboard.errors import ProdboardError, Refused
from prodboard.services import calendar, ical
from prodboard.services.context import Workspace
from prodboard.storage import tables as m

TOKEN_PREFIX = "ical_token:"
HOST = "127.0.0.1"
CACHE_LIMIT = 200_000
_PATH = re.compile(r"^/feed/([A-Za-z0-9._-]{1,64})\.ics$")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _may_manage(ws: Workspace, handle: str) -> str:
    """The person whose token is managed; only they or an admin may."""
    people = ws.queries.people()
    target = normal_handle(handle)
    if target == "me":
        target = ws.user
    if not any(p.handle == target for p in people):
        raise unknown_person(target, [p.handle for p in people])
    me = next((p for p in people if p.handle == ws.user), None)
    if me is None:
        ws.require_member()
    if target != ws.user and not is_admin(me, ws.workflow):
        raise Refused(f"only {target} or an admin ({' or '.join(ws.workflow.admin_roles)}) "
                      f"may manage {target}'s calendar token")
    return target


def issue_token(ws: Workspace, handle: str) -> tuple[str, str]:
    """A new token for ``handle`` (the old one stops working): (handle, token)."""
    target = _may_manage(ws, handle)
    token = secrets.token_urlsafe(24)
    key = TOKEN_PREFIX + target
    with ws.store.write() as conn:
        conn.execute(delete(m.META).where(m.META.c.key == key))
        conn.execute(m.META.insert().values(key=key, value=_digest(token)))
    return target, token


def revoke_token(ws: Workspace, handle: str) -> tuple[str, bool]:
    """Remove ``handle``'s token; True if there was one."""
    target = _may_manage(ws, handle)
    with ws.store.write() as conn:
        gone = conn.execute(delete(m.META).where(m.META.c.key == TOKEN_PREFIX + target))
    return target, bool(gone.rowcount)


def token_owner(ws: Workspace, token: str) -> str | None:
    """Whose token this is, or None (compared in constant time)."""
    if not token:
        return None
    want = _digest(token)
    with ws.store.read() as conn:
        rows = conn.execute(select(m.META.c.key, m.META.c.value)
                            .where(m.META.c.key.startswith(TOKEN_PREFIX))).all()
    found = None
    for key, value in rows:
        if hmac.compare_digest(str(value), want):
            found = str(key)[len(TOKEN_PREFIX):]
    return found


def person_feed(ws: Workspace, handle: str, cache: ical.Cache | None = None) -> bytes:
    """The calendar of the pieces ``handle`` owns or reviews."""
    q = ws.queries
    pieces = calendar.select_pieces(q, person=handle)
    return ical.render(pieces, ws.workflow, q.board_name(), calendar.board_uid(q), cache)


class FeedServer(ThreadingHTTPServer):
    """The HTTP server of the feeds; ``log`` receives one line per request."""

    daemon_threads = True

    def __init__(self, ws: Workspace, port: int, log: Callable[[str], None] | None = None) -> None:
        self.ws = ws
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.lock = threading.Lock()  # one render at a time: the board's reads are cheap
        self.cache: ical.Cache = {}  # each piece's events by (id, version)
        super().__init__((HOST, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, never a traceback (it would carry the request, token and all)."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # the client went away mid-answer
            self.log(f"{client_address[0]} closed the connection early")
            return
        self.log(f"{client_address[0]} unexpected error: {type(error).__name__}")


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer
    def version_string(self) -> str:
        return "prodboard-ical"

    def log_message(self, format: str, *args: Any) -> None:
        """Never the token: the path only, without its query string."""

    def _log(self, status: int) -> None:
        path = one_line(urlsplit(self.path).path[:200])  # a client's bytes reach a terminal
        self.server.log(f'{self.address_string()} "{one_line(str(self.command))} {path}" {status}')

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self._log(status)  # first: a client that leaves mid-answer is still in the log
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, (message + "\n").encode(),
                   {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        match = _PATH.match(parts.path)
        if match is None:
            self._text(HTTPStatus.NOT_FOUND, "not found: use /feed/HANDLE.ics?token=TOKEN")
            return
        token = (parse_qs(parts.query).get("token") or [""])[0]
        auth = self.headers.get("Authorization", "")
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        ws = self.server.ws
        try:
            with self.server.lock:
                owner = token_owner(ws, token)
                if owner is None or owner != normal_handle(match.group(1)):
                    self._text(HTTPStatus.UNAUTHORIZED, "a valid token is needed",
                               {"WWW-Authenticate": 'Bearer realm="prodboard"'})
                    return
                event_id, at = calendar.latest_event(ws.queries)
                etag = f'"e{event_id}"'
                modified = _http_date(at)
                if self._fresh(etag, at):
                    self._send(HTTPStatus.NOT_MODIFIED, headers={"ETag": etag, "Last-Modified": modified})
                    return
                if len(self.server.cache) > CACHE_LIMIT:
                    self.server.cache.clear()  # old versions pile up on a long-running server
                body = person_feed(ws, owner, self.server.cache)
        except ProdboardError as exc:  # busy, a lost file: the client tries again later
            self._text(HTTPStatus.SERVICE_UNAVAILABLE, exc.message, {"Retry-After": "5"})
            return
        self._send(HTTPStatus.OK, body, {
            "Content-Type": "text/calendar; charset=utf-8",
            "ETag": etag,
            "Last-Modified": modified,
            "Cache-Control": "private, no-cache",
        })

    def _fresh(self, etag: str, at: str | None) -> bool:
        """The client already holds this version (If-None-Match wins over the date)."""
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in {t.strip() for t in match.split(",")} or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since and at:
            try:
                return parse_utc(at).replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False


def _http_date(at: str | None) -> str:
    moment = parse_utc(at) if at else datetime(1970, 1, 1, tzinfo=UTC)
    return format_datetime(moment.replace(microsecond=0), usegmt=True)
